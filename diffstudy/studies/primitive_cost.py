"""What each primitive costs a gradient: forward and reverse operations per operation of f.

Reverse mode's cost is a sum over the tape: each entry is recorded (its own operation), its
local partials are computed, each multiplied by the entry's adjoint, and added into the
adjoint of an argument already used elsewhere. So the ratio reverse/f of any program lies
within the ratios of its primitives, and the largest of them bounds it.

Each primitive is measured, not estimated: a chain of its steps is run on counting numbers at
lengths 2 and 3, and the difference is what one more step costs. The chain is the worst case
of the additions: a unary step y ← p(y) feeds one adjoint, which then needs no addition
(a program has at least as many values as uses of them beyond the first, less one per binary
step), and a binary step y ← p(y, x) reuses x, adding into x's adjoint every time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .. import fn
from ..harness.cases import make_case
from ..harness.methods import run_methods
from .section import Section


@dataclass(frozen=True)
class Step:
    """One primitive as a step of a chain: its name, the step as written, and a start point."""

    name: str
    written: str
    step: Callable[..., Any]
    start: float
    binary: bool = False
    lengths: tuple[int, int] = (2, 3)  # the chains whose difference is one step, taken at the later one's last step


STEPS = [
    Step("add", "y + x", lambda y, x: y + x, 0.5, binary=True),
    Step("sub", "y − x", lambda y, x: y - x, 0.5, binary=True),
    Step("mul", "y · x", lambda y, x: y * x, 0.5, binary=True),
    Step("div", "y / x", lambda y, x: y / x, 0.5, binary=True),
    Step("pow", "y ** x", lambda y, x: y**x, 1.5, binary=True),
    Step("neg", "−y", lambda y: -y, 0.5),
    Step("square", "y ** 2", lambda y: y**2, 0.5),
    Step("sqrt", "sqrt(y)", fn.sqrt, 0.5),
    Step("exp", "exp(y)", fn.exp, 0.5),
    Step("log", "log(y)", fn.log, 1e10),
    Step("sin", "sin(y)", fn.sin, 0.5),
    Step("cos", "cos(y)", fn.cos, 0.5),
    Step("tan", "tan(y)", fn.tan, 0.3),
    Step("tanh", "tanh(y), y < 1", fn.tanh, 0.3),
    # From 1 on the rule takes 1/cosh² to avoid the cancellation of 1 − tanh², at a price. A
    # chain of tanh falls below 1 after its first step: that step is the one measured.
    Step("tanh", "tanh(y), y ≥ 1", fn.tanh, 2.0, lengths=(0, 1)),
    Step("sinh", "sinh(y)", fn.sinh, 0.5),
    Step("cosh", "cosh(y)", fn.cosh, 0.5),
    Step("asin", "asin(y)", fn.asin, 0.5),
    Step("acos", "acos(y)", fn.acos, 0.7),
    Step("atan", "atan(y)", fn.atan, 0.5),
]

COLUMNS = ["primitive", "step", "own ops", "forward ops per pass", "forward/own per pass", "reverse ops", "reverse/own"]


def _chain(step: Step, length: int) -> Callable[..., Any]:
    def program(y: Any, *x: Any) -> Any:
        for _ in range(length):
            y = step.step(y, *x)
        return y

    return program


def _counts(step: Step, length: int) -> tuple[int, int, int]:
    """ops(f), forward ops and reverse ops of the chain of ``length`` steps."""
    at = {"y": step.start, "x": 0.5} if step.binary else {"y": step.start}
    run = run_methods(make_case(_chain(step, length), at, name=f"{step.name} chain"), ("forward", "reverse"))
    run.stops()
    return run.f_ops.total, run.ops("forward"), run.ops("reverse")


def measure(step: Step) -> dict[str, Any]:
    """One row: what one more step of ``step`` costs f, forward mode per pass and reverse mode."""
    short, long = (_counts(step, length) for length in step.lengths)
    own, forward, reverse = (b - a for a, b in zip(short, long))
    passes = 2 if step.binary else 1
    return {
        "primitive": step.name,
        "step": f"y ← {step.written}",
        "own ops": own,
        "forward ops per pass": forward / passes,
        "forward/own per pass": forward / passes / own,
        "reverse ops": reverse,
        "reverse/own": reverse / own,
    }


def table() -> pd.DataFrame:
    """Every primitive's marginal costs, one row each, largest reverse/own first."""
    rows = [measure(step) for step in STEPS]
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    return frame.sort_values("reverse/own", ascending=False, kind="stable").reset_index(drop=True)


def bound(frame: pd.DataFrame) -> tuple[float, str]:
    """The largest reverse/own and its primitive: the bound on reverse/f the table implies."""
    worst = frame.loc[frame["reverse/own"].astype(float).idxmax()]
    return float(worst["reverse/own"]), str(worst["primitive"])


def section(frame: pd.DataFrame, measured: tuple[float, str, str] | None = None) -> Section:
    """The table as a titled section; ``measured`` is the largest reverse/f of the studied
    functions (ratio, function, at which size: "n = 1"), set beside the bound."""
    worst, name = bound(frame)
    notes = [
        f"one more step of the chain, counted: any program of these primitives has reverse/f ≤ {worst:g} "
        f"({name}), plus one operation for the seed"
    ]
    if measured is not None:
        ratio, function, at = measured
        notes.append(f"the functions of the summary measure at most {ratio:.3f} ({function}, {at})")
    return Section(
        "primitives", "The cost of a gradient, primitive by primitive: operations per operation of f", frame, notes
    )

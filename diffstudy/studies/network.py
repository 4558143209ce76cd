"""Backpropagation through a network, measured: the cost of a gradient as the weights grow.

A tanh network of fixed depth and batch is swept over its width. At every width the operations
of f, of reverse mode (one recording, one sweep), of forward mode (one pass per weight) and of
sympy's gradient are counted on counting arrays, where each array operation tallies the scalar
operations it performs. Reverse mode's ratio to f stays a small constant however many weights
there are; forward mode's grows with their number; sympy's stops at its budget.

The lecture's chain W₃W₂W₁x shows why: reverse mode multiplies from the loss side, a vector
times a matrix at every step, never two big matrices. :func:`chain_table` sets the counted
multiplications beside the chain cost of that order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..harness.families import as_case
from ..harness.methods import run_methods
from .chain import cost as chain_cost
from .chain import fold_left, fold_right
from .cost import CostLimits, measure_methods
from .programs import network, powers_of_two, sizes_up_to
from .section import Section

COLUMNS = [
    "width", "weights", "f ops", "reverse ops", "reverse/f", "reverse mul/f mul", "tape length",
    "generated ops", "generated/f", "forward ops", "forward/f", "symbolic ops", "symbolic/f",
]  # fmt: skip


@dataclass(frozen=True)
class NetworkLimits:
    """The network swept (depth, batch, widths up to ``max_width``) and how far each method goes."""

    depth: int = 3
    batch: int = 16
    max_width: int = 1024
    # Counting arrays count a whole array operation at once, so reverse mode is run at every width;
    # forward mode makes one pass per weight, and stops once a pass count passed max_ops.
    cost: CostLimits = field(
        default_factory=lambda: CostLimits(max_ops=20_000_000, method_max_ops={"reverse": 10**12, "generated": 10**12})
    )


@dataclass
class NetworkSweep:
    """The network swept over its width: a row per width, and what stopped where."""

    limits: NetworkLimits
    rows: pd.DataFrame
    notes: list[str]
    interrupted: bool = False


def sweep(limits: NetworkLimits, progress: Callable[[str], None] | None = None) -> NetworkSweep:
    """Measure the network at widths 2, 4, 8, … up to ``limits.max_width``."""
    stopped: dict[str, str] = {}
    rows, interrupted = [], None
    for width in sizes_up_to(powers_of_two(2, 1 << 20), limits.max_width):
        if progress:
            progress(f"network width={width}")
        program = network(width, limits.depth, limits.batch)
        weights = sum(int(np.size(v)) for v in program[2])
        try:
            measured = measure_methods(as_case(program, f"network({width})"), f"width {width}", weights,
                                       limits.cost, stopped)  # fmt: skip
        except KeyboardInterrupt:  # a user's stop: keep what was measured
            interrupted = f"interrupted at width {width}"
            break
        row: dict[str, Any] = dict.fromkeys(COLUMNS)
        row.update({"width": width, "weights": weights})
        row.update({column: value for column, value in measured.items() if column in row})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=COLUMNS, dtype=object)
    notes = [
        reason
        for method, reason in stopped.items()
        if rows and f"{method} ops" in frame and frame[f"{method} ops"].iloc[-1] is None
    ]
    return NetworkSweep(limits, frame, notes + ([interrupted] if interrupted else []), interrupted is not None)


# ---------------------------------------------------------------- the lecture's chain W_L ⋯ W₁ x


REVERSE_COUNTED = "reverse: mul counted beyond f's"
LOSS_SIDE = "loss side: n_L + cost of ((uᵀW_L)W_{L−1})⋯W₁"
FORWARD_COUNTED = "forward: mul counted beyond f's"
INPUT_SIDE = "input side: cost of uᵀ(W_L(⋯(W₁I)))"


def linear_chain(widths: Sequence[int], seed: int = 1) -> tuple[Callable[..., Any], Any]:
    """f(x) = u · (W_L ⋯ W₁ x) for integer matrices Wᵢ of widths[i+1] × widths[i] and a fixed u."""
    rng = np.random.default_rng(seed)
    layers = [rng.integers(-3, 4, size=(widths[i + 1], widths[i])) for i in range(len(widths) - 1)]
    u = rng.integers(-3, 4, size=widths[-1])

    def program(x: Any) -> Any:
        for layer in layers:
            x = layer @ x
        return u @ x

    return program, np.array([float(k % 5 - 2) for k in range(widths[0])])


def chain_table(shapes: Sequence[Sequence[int]]) -> pd.DataFrame:
    """Reverse and forward multiplications of ∇ₓ u·(W_L⋯W₁x), counted on counting arrays, beside the
    chain costs of the product uᵀW_L⋯W₁ taken from the loss side and from the input side."""
    rows = []
    for widths in shapes:
        program, x = linear_chain(widths)
        run = run_methods(as_case((program, ["x"], [x]), "linear chain"), ("forward", "reverse"))
        run.stops()
        own = run.f_ops["mul"]
        # uᵀ, W_L, …, W₁ and the identity (forward mode's n₀ one-hot seeds): dims 1, n_L, …, n₀, n₀.
        dims = [1, *reversed(widths), widths[0]]
        n = widths[0]
        loss_side = widths[-1] + chain_cost(dims[:-1], fold_left(len(dims) - 2))
        rows.append(
            {
                "widths": " → ".join(map(str, widths)),
                "f mul": own,
                REVERSE_COUNTED: run.results["reverse"].ops["mul"] - own,
                LOSS_SIDE: loss_side,
                FORWARD_COUNTED: run.results["forward"].ops["mul"] - n * own,
                INPUT_SIDE: chain_cost(dims, fold_right(len(dims) - 1)),
            }
        )
    return pd.DataFrame(rows, dtype=object)


CHAIN_SHAPES = ((4, 8, 8, 2), (64, 32, 16, 1), (8, 64, 64, 8), (100, 100, 100, 100))


def sections(sweep_result: NetworkSweep, chain: pd.DataFrame | None = None) -> list[Section]:
    """The network study as titled tables: the sweep over width, and the lecture's chain."""
    limits = sweep_result.limits
    parts = [
        Section(
            "network",
            f"A tanh network of depth {limits.depth}, batch {limits.batch}: the cost of the gradient by every weight "
            "(no biases; data X of batch × width and targets Y fixed; loss mean((tanh(⋯tanh(XW₁ᵀ)⋯)w_out − Y)²))",
            sweep_result.rows,
            sweep_result.notes,
        )
    ]
    if chain is not None:
        parts.append(
            Section(
                "linear_chain",
                "The lecture's chain u·(W_L⋯W₁x): reverse mode multiplies from the loss side",
                chain,
                [
                    "the counted columns are measured on counting arrays; the cost columns are the chain costs of "
                    "the two orders, from the chain study: they are equal, every time",
                    "reverse mode: the seed times u (n_L products), then (uᵀW_L)W_{L−1}… from the loss side, a row "
                    "vector times a matrix at every step; forward mode: one pass per entry of x, W_L(⋯(W₁I)) from "
                    "the input side, a matrix times a matrix",
                ],
            )
        )
    return parts

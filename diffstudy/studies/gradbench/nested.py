"""GradBench's two nested evals, ``saddle`` and ``particle`` (Pearlmutter and Siskind's): gradient
descent whose objective itself runs gradient descent (saddle) or follows a gradient field
(particle). The function's name picks the two modes: ``rf`` is reverse mode outside, forward mode
inside. An inner derivative treats an outer one's numbers as constants — perturbation confusion
would change the answers that GradBench checks.

The nesting is the eval; ``--method`` picks nothing here beyond declining: ``generated`` (the
loops end where the values say, so each call would be a new path to write out) and ``symbolic``
(a loop that compares values has no single expression) decline in one line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ... import api
from ...errors import Declined
from ...fn import sqrt
from . import descent
from .evals import Eval, Function, number
from .methods import Method

NESTINGS = ("rr", "ff", "fr", "rf")
GRADIENTS: dict[str, descent.Gradient] = {"r": api.grad, "f": api.jacfwd}


def _modes(nesting: str, method: Method) -> tuple[descent.Gradient, descent.Gradient]:
    if method.name not in ("reverse", "forward"):
        raise Declined(
            f"{method.name}: the nested evals name their modes ({nesting}: outer {nesting[0]}, inner {nesting[1]}) "
            "and their loops end where the values say; run them with --method reverse or forward"
        )
    return GRADIENTS[nesting[0]], GRADIENTS[nesting[1]]


def saddle_point(start: list[float], outer: descent.Gradient, inner: descent.Gradient) -> list[Any]:
    """min over p₁ of max over p₂ of (p₁₀² + p₁₁²) − (p₂₀² + p₂₁²), both from ``start``: p₁ then p₂."""

    def f(p1: list[Any], p2: list[Any]) -> Any:
        return (p1[0] * p1[0] + p1[1] * p1[1]) - (p2[0] * p2[0] + p2[1] * p2[1])

    def worst(p1: list[Any]) -> Any:
        return descent.maximum(inner, lambda p2: f(p1, p2), start)

    p1 = descent.argmin(outer, worst, start)
    p2 = descent.argmax(outer, lambda p: f(p1, p), start)
    return [float(v) for v in [*p1, *p2]]


CHARGE_AT_ORIGIN = (10.0, 0.0)
START, VELOCITY, STEP = (0.0, 8.0), (0.75, 0.0), 0.1


def miss(w: Any, inner: descent.Gradient) -> Any:
    """Where the particle crosses the x axis, squared: x₀(t_f)², by Euler's method in steps of
    0.1 through the field of charges at (10, 10 − w) and (10, 0), the force being −∇ of the
    potential Σ 1/‖x − charge‖, and the crossing interpolated linearly."""
    charges = [(10.0, 10.0 - w), CHARGE_AT_ORIGIN]

    def potential(x: list[Any]) -> Any:
        return sum(1 / sqrt((x[0] - c[0]) ** 2 + (x[1] - c[1]) ** 2) for c in charges)

    force = inner(potential)
    x, velocity = list(START), list(VELOCITY)
    while True:
        acceleration = [-g for g in force(x)]
        moved = [x[0] + STEP * velocity[0], x[1] + STEP * velocity[1]]
        if not moved[1] > 0:
            break
        x = moved
        velocity = [velocity[0] + STEP * acceleration[0], velocity[1] + STEP * acceleration[1]]
    to_axis = -x[1] / velocity[1]
    crossing = x[0] + to_axis * velocity[0]
    return crossing * crossing


def control(w0: float, outer: descent.Gradient, inner: descent.Gradient) -> float:
    """The w for which the particle passes through the origin, by gradient descent from w0."""
    return float(descent.argmin(outer, lambda w: miss(w[0], inner), [w0])[0])


def _runner(nesting: str, solve: Callable[..., Any]) -> Callable[[Any, Method], Any]:
    def run(start: Any, method: Method) -> Any:
        return solve(start, *_modes(nesting, method))

    return run


SADDLE = Eval(
    "saddle",
    {
        nesting: Function(lambda data: [float(v) for v in data["start"]], _runner(nesting, saddle_point), list, True)
        for nesting in NESTINGS
    },
    primal="",
    derivatives=NESTINGS,
)

PARTICLE = Eval(
    "particle",
    {nesting: Function(lambda data: float(data["w"]), _runner(nesting, control), number, True) for nesting in NESTINGS},
    primal="",
    derivatives=NESTINGS,
)

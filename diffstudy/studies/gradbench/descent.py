"""The gradient descent that GradBench's ``saddle`` and ``particle`` nest, as its C++ solver does it.

From x, step against the gradient by η (starting at 10⁻⁵); a step that lowers f is taken, and
after ten taken in a row η doubles; a step that does not is refused and η halves. It stops when
the gradient's norm, or a step, is at most 10⁻⁵. The comparisons decide on the numbers' values,
so the loop runs as often as the values say, whichever mode differentiates through it.

Points are lists of numbers, so each coordinate is one number of whichever mode runs.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ...fn import sqrt

TOLERANCE = 1e-5
FIRST_STEP = 1e-5
STEPS_BEFORE_DOUBLING = 10

Gradient = Callable[[Callable[[list[Any]], Any]], Callable[[list[Any]], Sequence[Any]]]


def _norm(v: Sequence[Any]) -> Any:
    return sqrt(sum(x * x for x in v))


def argmin(gradient: Gradient, f: Callable[[list[Any]], Any], start: Sequence[Any]) -> list[Any]:
    """A point where ``f`` is least, by gradient descent from ``start``; ``gradient(f)`` is ∇f."""
    grad_f = gradient(f)
    x = list(start)
    fx = f(x)
    gx = list(grad_f(x))
    eta = FIRST_STEP
    taken = 0
    while True:
        if _norm(gx) <= TOLERANCE:
            return x
        if taken == STEPS_BEFORE_DOUBLING:
            eta *= 2
            taken = 0
            continue
        stepped = [xi - eta * gi for xi, gi in zip(x, gx)]
        if _norm([a - b for a, b in zip(x, stepped)]) <= TOLERANCE:
            return x
        f_stepped = f(stepped)
        if f_stepped < fx:
            x, fx = stepped, f_stepped
            gx = list(grad_f(x))
            taken += 1
        else:
            eta /= 2
            taken = 0


def argmax(gradient: Gradient, f: Callable[[list[Any]], Any], start: Sequence[Any]) -> list[Any]:
    """A point where ``f`` is greatest: the argmin of −f."""
    return argmin(gradient, lambda x: -f(x), start)


def maximum(gradient: Gradient, f: Callable[[list[Any]], Any], start: Sequence[Any]) -> Any:
    """f's value at :func:`argmax`."""
    return f(argmax(gradient, f, start))

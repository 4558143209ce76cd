"""Second derivatives by nesting the two modes: Hessians and Hessian-vector products.

The gradient of f is a program too, so either mode can differentiate it. Three ways are
measured (the inner one computes the gradient, the outer one differentiates it):

* forward over forward: an inner pass per input entry inside an outer pass per input entry,
  n² passes in all;
* forward over reverse: one outer pass per input entry around a recording and a sweep, n of
  them; a single outer pass along v is the Hessian-vector product H·v (Pearlmutter, 1994);
* reverse over reverse: the recording and sweep of f recorded on an outer tape, then one outer
  sweep per gradient entry.

Nesting is safe because each pass and tape has its own level (:mod:`.active`): the inner one
treats the outer one's numbers as constants. Every function here returns the value of f, its
gradient and the Hessian rows (row i is ∂(∂f/∂xᵢ)/∂x), the entries of array inputs flattened
in numpy's order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import Declined
from . import forward, reverse
from .trees import flat_entries

Function = Callable[..., Any]


class NotScalar(Declined):
    """The function has several outputs, or an array output: it has no single Hessian."""


def require_one_number(count: int) -> None:
    """Raise :class:`NotScalar` unless a function returned one number (``count`` entries)."""
    if count != 1:
        raise NotScalar(f"a Hessian needs a function of one number; this one returns {count} numbers")


def gradient_by_reverse(f: Function, sizes: list[int] | None = None) -> Function:
    """A function returning (f, ∂f/∂x₁, …) at its inputs, by one recording and one sweep.

    ``sizes``, when given, receives the length of each tape recorded (the inner tape's size).
    """

    def value_and_gradient(*inputs: Any) -> tuple[Any, ...]:
        recording = reverse.record(f, inputs)
        require_one_number(len(recording.positions))
        if sizes is not None:
            sizes.append(len(recording.tape))
        return (*flat_entries(recording.values), *reverse.gradient_row(recording, (0, 0)))

    return value_and_gradient


def gradient_by_forward(f: Function) -> Function:
    """A function returning (f, ∂f/∂x₁, …) at its inputs, by one forward pass per input entry."""

    def value_and_gradient(*inputs: Any) -> tuple[Any, ...]:
        values, rows = forward.jacobian(f, inputs)
        require_one_number(len(values))
        return (*values, *rows[0])

    return value_and_gradient


def _split(values: list[Any], rows: list[list[Any]]) -> tuple[Any, list[Any], list[list[Any]]]:
    """(value, gradient, Hessian) from the outer Jacobian of (f, ∇f): its first row is ∇f again."""
    return values[0], values[1:], rows[1:]


def hessian_forward_over_forward(f: Function, point: Sequence[Any]) -> tuple[Any, list[Any], list[list[Any]]]:
    """Value, gradient and Hessian by forward mode over forward mode."""
    values, rows = forward.jacobian(gradient_by_forward(f), point)
    return _split(values, rows)


def hessian_forward_over_reverse(
    f: Function, point: Sequence[Any], sizes: list[int] | None = None
) -> tuple[Any, list[Any], list[list[Any]]]:
    """Value, gradient and Hessian by forward mode over reverse mode: one H·eᵢ per input entry."""
    values, rows = forward.jacobian(gradient_by_reverse(f, sizes), point)
    return _split(values, rows)


def hessian_reverse_over_reverse(
    f: Function, point: Sequence[Any], sizes: list[int] | None = None
) -> tuple[Any, list[Any], list[list[Any]]]:
    """Value, gradient and Hessian by reverse mode over reverse mode: the inner recording and
    sweep recorded on an outer tape (its length is appended to ``sizes`` after the inner one's),
    then one outer sweep per gradient entry (none for the value: its gradient is recorded)."""
    recording = reverse.record(gradient_by_reverse(f, sizes), point)
    if sizes is not None:
        sizes.append(len(recording.tape))
    rows = [reverse.gradient_row(recording, position) for position in recording.positions[1:]]
    values = flat_entries(recording.values)
    return values[0], values[1:], rows


def hvp(f: Function, point: Sequence[Any], direction: Sequence[Any]) -> tuple[Any, list[Any], list[Any]]:
    """Value, gradient and H·v by one forward pass over one recording and sweep.

    ``direction`` has one tangent per input (an array of the input's shape for an array).
    """
    values, derivatives = forward.push(gradient_by_reverse(f), point, direction)
    return values[0], values[1:], flat_entries(derivatives[1:])

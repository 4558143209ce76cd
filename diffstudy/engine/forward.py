"""Forward mode: dual numbers ``a + a'ε``, one pass per input direction.

Each operation computes its value and pushes the tangent through the primitive's local partials
(ẏ = Σ pᵢ·ẋᵢ). A dual number carries one tangent and a tag naming its pass; two duals of
different passes refuse to combine, so nested differentiation fails loudly instead of confusing
perturbations.

A tangent that is zero by structure — that of an input the pass does not differentiate by, and
of everything computed from such inputs alone — is None, and no arithmetic is spent on it (JAX
calls these symbolic zeros). Reverse mode likewise spends nothing on variables its output does
not depend on, so the two modes are measured on equal terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import NestingError
from .active import Active, constant_like, install_operators
from .primitives import Primitive, accumulate
from .trees import outputs_of


class Dual(Active):
    """A dual number: a value, the tangent carried along with it, and the tag of its pass."""

    __slots__ = ("value", "tangent", "tag")
    kind = "dual number"
    priority = 2

    def __init__(self, value: Any, tangent: Any, tag: object) -> None:
        self.value = value
        self.tangent = tangent
        self.tag = tag

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def __diffstudy_apply__(self, primitive: Primitive) -> Dual:
        a = self.value
        out = primitive.evaluate(a)
        if self.tangent is None:
            return Dual(out, None, self.tag)
        return Dual(out, accumulate(None, primitive.partials[0](a, out), self.tangent), self.tag)


def _confused() -> NestingError:
    return NestingError(
        "dual numbers of two forward passes met (perturbation confusion): nested differentiation is not supported"
    )


def _binary(primitive: Primitive) -> Callable[[Dual, Any], Any]:
    evaluate = primitive.evaluate
    rule_x, rule_y = primitive.partials

    def method(self: Dual, other: Any) -> Any:
        a = self.value
        if other.__class__ is Dual:
            if other.tag is not self.tag:
                raise _confused()
            b = other.value
            out = evaluate(a, b)
            tangent = None if self.tangent is None else accumulate(None, rule_x(a, b, out), self.tangent)
            if other.tangent is not None:
                tangent = accumulate(tangent, rule_y(a, b, out), other.tangent)
        elif self.treats_as_constant(other):
            out = evaluate(a, other)
            tangent = None if self.tangent is None else accumulate(None, rule_x(a, other, out), self.tangent)
        else:
            return NotImplemented
        return Dual(out, tangent, self.tag)

    method.__name__ = primitive.name
    return method


def _reflected(primitive: Primitive) -> Callable[[Dual, Any], Any]:
    evaluate = primitive.evaluate
    rule_y = primitive.partials[1]

    def method(self: Dual, other: Any) -> Any:
        if not self.treats_as_constant(other):
            return NotImplemented
        b = self.value
        out = evaluate(other, b)
        if self.tangent is None:
            return Dual(out, None, self.tag)
        return Dual(out, accumulate(None, rule_y(other, b, out), self.tangent), self.tag)

    method.__name__ = "r" + primitive.name
    return method


install_operators(Dual, _binary, _reflected)


def push(f: Callable[..., Any], point: Sequence[Any], tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """One forward pass: the outputs' values and their derivatives along ``tangents`` (J·v).

    A tangent of None is a structural zero: that input is held constant in this pass.
    """
    tag = object()
    inputs = [Dual(v, t, tag) for v, t in zip(point, tangents)]
    values, derivatives = [], []
    for out in outputs_of(f(*inputs)):
        if isinstance(out, Dual):
            if out.tag is not tag:
                raise _confused()
            values.append(out.value)
            derivatives.append(constant_like(out.value, 0) if out.tangent is None else out.tangent)
        else:  # an output that does not depend on the inputs
            values.append(out)
            derivatives.append(constant_like(point[0], 0))
    return values, derivatives


def unit_tangents(point: Sequence[Any], direction: int) -> list[Any]:
    """The seed of the pass along input ``direction``: 1 there (in the input's type), zero elsewhere."""
    return [constant_like(v, 1) if i == direction else None for i, v in enumerate(point)]


def jacobian(f: Callable[..., Any], point: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Values and Jacobian (one row per output) of ``f`` at ``point``, by n forward passes."""
    values: list[Any] = []
    columns = []
    for direction in range(len(point)):
        values, derivatives = push(f, point, unit_tangents(point, direction))
        columns.append(derivatives)
    rows = [list(row) for row in zip(*columns)]
    return values, rows

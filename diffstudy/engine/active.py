"""What diffstudy's own number types share: refusing conversions, comparing values, operators.

The three types (counting numbers, dual numbers, tape variables) each wrap a ``value``. Their
operator methods are generated from the operator table in :mod:`diffstudy.primitives`, so no
operator is written twenty times. When two of them meet, the one with the higher ``priority``
does the work and treats the other as a constant: a dual number whose value is a counting number
adds a counting constant, and the counting number counts the operation.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import sympy

from ..errors import NestingError, UnsupportedOperation
from .primitives import BINARY_OPERATORS, NEG, Primitive

MethodFactory = Callable[[Primitive], Callable[..., Any]]


class Active:
    """Base of diffstudy's number types: each has a ``value`` and a ``priority``."""

    __slots__ = ()
    kind = "number"
    priority = 0
    value: Any

    def _refuse(self, conversion: str) -> Any:
        raise UnsupportedOperation(
            f"{conversion} of a {self.kind} would drop its derivative "
            "(math.sin and friends do this): use diffstudy.fn.sin, fn.exp, ... instead"
        )

    def __float__(self) -> float:
        return self._refuse("float()")

    def __int__(self) -> int:
        return self._refuse("int()")

    def __index__(self) -> int:
        return self._refuse("an integer index")

    def __complex__(self) -> complex:
        return self._refuse("complex()")

    def __round__(self, ndigits: int | None = None) -> Any:
        return self._refuse("round()")

    def __array__(self, *args: Any, **kwargs: Any) -> Any:
        return self._refuse("a numpy array")

    def __pos__(self) -> Active:
        return self

    # Comparisons look at the value only: that is how a program takes a data-dependent branch.
    def __lt__(self, other: Any) -> bool:
        return self.value < value_of(other)

    def __le__(self, other: Any) -> bool:
        return self.value <= value_of(other)

    def __gt__(self, other: Any) -> bool:
        return self.value > value_of(other)

    def __ge__(self, other: Any) -> bool:
        return self.value >= value_of(other)

    def __eq__(self, other: object) -> bool:
        return bool(self.value == value_of(other))

    def __ne__(self, other: object) -> bool:
        return bool(self.value != value_of(other))

    def __bool__(self) -> bool:
        return bool(self.value)

    __hash__ = None  # type: ignore[assignment]  # equal values, different derivatives

    def treats_as_constant(self, other: Any) -> bool:
        """Whether ``other`` is a constant in an operation with ``self``.

        False means ``other`` outranks ``self`` and should do the operation. Two numbers of the
        same rank that are not of one differentiation cannot be combined.
        """
        rank = other.priority if isinstance(other, Active) else -1
        if rank < self.priority:
            return True
        if rank > self.priority:
            return False
        raise NestingError(
            f"a {self.kind} met a {other.kind} of another differentiation: "
            "nested or mixed differentiation is not supported"
        )


def value_of(x: Any) -> Any:
    """The value inside one of diffstudy's numbers; anything else unchanged."""
    return x.value if isinstance(x, Active) else x


def plain(x: Any) -> Any:
    """Strip every layer of diffstudy number from ``x`` (a dual of a counting number, say)."""
    while isinstance(x, Active):
        x = x.value
    return x


def constant_like(x: Any, c: int) -> Any:
    """The integer ``c`` in the number type of ``x``, made without counting an operation.

    The engines' seeds (a tangent of 1, an adjoint of 1, a tangent of 0) are made this way, so
    that every operation on them is counted like any other.
    """
    if isinstance(x, Active):
        return x.constant(c)
    if isinstance(x, float):
        return float(c)
    if isinstance(x, sympy.Basic):
        return sympy.Integer(c)
    return Fraction(c)


def _negation(self: Any) -> Any:
    return self.__diffstudy_apply__(NEG)


def install_operators(cls: type, binary: MethodFactory, reflected: MethodFactory) -> None:
    """Give ``cls`` its arithmetic operators, one method per primitive in the operator table.

    Negation goes through the class's ``__diffstudy_apply__``, like the elementary functions.
    """
    for primitive, name, reflected_name in BINARY_OPERATORS:
        setattr(cls, name, binary(primitive))
        setattr(cls, reflected_name, reflected(primitive))
    cls.__neg__ = _negation

"""The counting number type: the yardstick every operation count in diffstudy comes from.

A :class:`Counting` number does the arithmetic on the value it wraps (a float, a Fraction, ...)
and adds one to its tally under the primitive's name for each operation it performs. Running a
method on counting numbers measures what that method actually does; no count is estimated.
Comparisons and conversions of constants are not arithmetic and are not counted.

A :class:`CountingArray` does the same for a whole array: each array operation adds the scalar
operations it performs, as its primitive's ``count`` says (an (m×n)(n×p) product is mnp
multiplications and m(n−1)p additions), so an array program counts what its scalar-loop
transcription counts; the tests run both and compare.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from ..errors import DomainError
from . import array_primitives, float_range
from .active import Active, ActiveArray, constant_like, install_operators
from .primitives import Primitive, shown


class Tally(Counter):
    """Operations counted by kind (``add``, ``mul``, ``sin``, ...)."""

    @property
    def total(self) -> int:
        """All operations of every kind."""
        return sum(self.values())

    def since(self, earlier: Counter) -> Tally:
        """The operations counted after ``earlier`` was copied from this tally."""
        return Tally({kind: n - earlier.get(kind, 0) for kind, n in self.items() if n != earlier.get(kind, 0)})


class Counting(Active):
    """A number that performs each operation on its value and tallies it by kind."""

    __slots__ = ("value", "tally")
    kind = "counting number"
    priority = 1

    def __init__(self, value: Any, tally: Tally) -> None:
        self.value = value
        self.tally = tally

    def __repr__(self) -> str:
        return f"Counting({self.value!r})"

    def constant(self, c: int) -> Counting:
        """The integer ``c`` as a counting number on the same tally, counted as nothing."""
        return Counting(constant_like(self.value, c), self.tally)

    def __diffstudy_apply__(self, primitive: Primitive) -> Counting:
        self.tally[primitive.name] += 1
        result = primitive.evaluate(self.value)
        if float_range.is_tiny(result):
            float_range.check(primitive, (self.value,), result)
        return Counting(result, self.tally)

    def same_differentiation(self, other: Active) -> bool:
        return isinstance(other, CountingArray)

    def lifted(self) -> CountingArray:
        return CountingArray(self.value, self.tally)


def _in_range(result: Any, primitive: Primitive, a: Any, b: Any) -> Any:
    """``result``, unless a float operation overflowed to inf (Python says nothing): then an error.
    A result below the normal floats is checked for an underflow, which is noted."""
    if result.__class__ is float and result - result != 0:
        raise DomainError(f"{primitive.name} of {shown(a)} and {shown(b)} overflows a float")
    if float_range.is_tiny(result):
        float_range.check(primitive, (a, b), result)
    return result


def _overflowing(evaluate: Callable[[Any, Any], Any], name: str, a: Any, b: Any) -> Any:
    """``evaluate(a, b)``, with a float overflow (a huge Fraction times a float) reported by name."""
    try:
        return evaluate(a, b)
    except OverflowError:
        raise DomainError(f"{name} of {shown(a)} and {shown(b)} overflows a float") from None


def _binary(primitive: Primitive) -> Callable[[Counting, Any], Any]:
    evaluate, name = primitive.evaluate, primitive.name

    def method(self: Counting, other: Any) -> Any:
        if other.__class__ is Counting:
            other = other.value
        elif not self.treats_as_constant(other):
            return NotImplemented
        result = _in_range(_overflowing(evaluate, name, self.value, other), primitive, self.value, other)
        self.tally[name] += 1
        return Counting(result, self.tally)

    method.__name__ = name
    return method


def _reflected(primitive: Primitive) -> Callable[[Counting, Any], Any]:
    evaluate, name = primitive.evaluate, primitive.name

    def method(self: Counting, other: Any) -> Any:
        if not self.treats_as_constant(other):
            return NotImplemented
        result = _in_range(_overflowing(evaluate, name, other, self.value), primitive, other, self.value)
        self.tally[name] += 1
        return Counting(result, self.tally)

    method.__name__ = "r" + name
    return method


install_operators(Counting, _binary, _reflected)


class CountingArray(ActiveArray):
    """An array that performs each array operation on its value and tallies its scalar operations."""

    __slots__ = ("value", "tally")
    kind = "counting array"
    priority = 1

    def __init__(self, value: Any, tally: Tally) -> None:
        self.value = value
        self.tally = tally

    def __repr__(self) -> str:
        return f"CountingArray({self.value!r})"

    def constant(self, c: int) -> CountingArray:
        """An array of ``c`` of this shape on the same tally, counted as nothing."""
        return CountingArray(array_primitives.constant_like(self.value, c), self.tally)

    def wrap(self, value: Any) -> CountingArray:
        """A plain array as a counting array on the same tally (a seed, counted as nothing)."""
        return CountingArray(value, self.tally)

    def same_differentiation(self, other: Active) -> bool:
        return isinstance(other, (Counting, CountingArray))

    def apply_array(
        self, primitive: array_primitives.ArrayPrimitive, args: Any, params: array_primitives.Params
    ) -> CountingArray:
        values = []
        for a in args:
            if isinstance(a, (Counting, CountingArray)):
                values.append(a.value)
            elif isinstance(a, Active) and not self.treats_as_constant(a):
                return a.apply_array(primitive, args, params)
            else:
                values.append(a)
        out = primitive.evaluate(*values, **params)
        self.tally.update(primitive.count(values, out, params))
        return CountingArray(out, self.tally)


def counting(values: Iterable[Any], tally: Tally) -> list[Any]:
    """Wrap each value as a counting number on ``tally`` (a counting array for an array)."""
    return [CountingArray(v, tally) if isinstance(v, np.ndarray) else Counting(v, tally) for v in values]

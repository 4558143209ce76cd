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
from fractions import Fraction
from typing import Any

import numpy as np

from . import array_primitives, float_range
from .active import Active, ActiveArray, constant_like, install_operators, operate
from .primitives import Primitive, overflow


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

    def process(self, primitive: Primitive, args: Any) -> Counting:
        """Perform ``primitive`` on the values, and count it once under its name."""
        values = [a.value if a.__class__ is Counting else a for a in args]
        result = _in_range(_overflowing(primitive.evaluate, primitive.name, *values), primitive, *values)
        self.tally[primitive.counted_as] += 1
        return Counting(result, self.tally)

    def same_differentiation(self, other: Active) -> bool:
        return isinstance(other, (Counting, CountingArray))

    def lifted(self) -> CountingArray:
        return CountingArray(self.value, self.tally)


def _in_range(result: Any, primitive: Primitive, *args: Any) -> Any:
    """``result``, unless a float operation overflowed to inf (Python says nothing): then an error.
    A result below the normal floats is checked for an underflow, which is noted."""
    if result.__class__ is float and result - result != 0:
        raise overflow(primitive.name, *args)
    if float_range.is_tiny(result):
        float_range.check(primitive, args, result)
    return result


def _overflowing(evaluate: Callable[..., Any], name: str, *args: Any) -> Any:
    """``evaluate(*args)``, with a float overflow (a huge Fraction times a float) reported by name."""
    try:
        return evaluate(*args)
    except OverflowError:
        raise overflow(name, *args) from None


def _binary(primitive: Primitive) -> Callable[[Counting, Any], Any]:
    """``Counting.__mul__`` and its siblings: a quick path for a counting or plain number."""
    evaluate, name = primitive.evaluate, primitive.counted_as

    def method(self: Counting, other: Any) -> Any:
        if other.__class__ is Counting:
            other = other.value
        elif other.__class__ not in _CONSTANTS:
            return operate(primitive, (self, other))
        result = _in_range(_overflowing(evaluate, name, self.value, other), primitive, self.value, other)
        self.tally[name] += 1
        return Counting(result, self.tally)

    method.__name__ = name
    return method


_CONSTANTS = frozenset({float, int, Fraction})


install_operators(Counting, _binary)


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
        values = [a.value if isinstance(a, (Counting, CountingArray)) else a for a in args]
        out = primitive.evaluate(*values, **params)
        self.tally.update(primitive.count(values, out, params))
        return CountingArray(out, self.tally)


def counting(values: Iterable[Any], tally: Tally) -> list[Any]:
    """Wrap each value as a counting number on ``tally`` (a counting array for an array)."""
    return [CountingArray(v, tally) if isinstance(v, np.ndarray) else Counting(v, tally) for v in values]

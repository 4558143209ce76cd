"""The counting number type: the yardstick every operation count in diffstudy comes from.

A :class:`Counting` number does the arithmetic on the value it wraps (a float, a Fraction, ...)
and adds one to its tally under the primitive's name for each operation it performs. Running a
method on counting numbers measures what that method actually does; no count is estimated.
Comparisons and conversions of constants are not arithmetic and are not counted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from .active import Active, constant_like, install_operators
from .primitives import Primitive


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
        return Counting(primitive.evaluate(self.value), self.tally)


def _binary(primitive: Primitive) -> Callable[[Counting, Any], Any]:
    evaluate, name = primitive.evaluate, primitive.name

    def method(self: Counting, other: Any) -> Any:
        if other.__class__ is Counting:
            other = other.value
        elif not self.treats_as_constant(other):
            return NotImplemented
        result = evaluate(self.value, other)
        self.tally[name] += 1
        return Counting(result, self.tally)

    method.__name__ = name
    return method


def _reflected(primitive: Primitive) -> Callable[[Counting, Any], Any]:
    evaluate, name = primitive.evaluate, primitive.name

    def method(self: Counting, other: Any) -> Any:
        if not self.treats_as_constant(other):
            return NotImplemented
        result = evaluate(other, self.value)
        self.tally[name] += 1
        return Counting(result, self.tally)

    method.__name__ = "r" + name
    return method


install_operators(Counting, _binary, _reflected)


def counting(values: Iterable[Any], tally: Tally) -> list[Counting]:
    """Wrap each value as a counting number on ``tally``."""
    return [Counting(v, tally) for v in values]

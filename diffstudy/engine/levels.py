"""Levels of differentiation, and the one place that decides which number performs an operation.

diffstudy's number types (counting numbers, dual numbers, tape variables, sympy's traced
values, and an array type of each) all derive from :class:`Leveled`. Each has a ``priority``,
its level: sympy's traced values are 0, counting numbers 1, and every forward pass or tape takes
the next level when it starts (:func:`next_level`), above every level before it. When numbers
of several types meet in one operation, :func:`owner_of` picks the one that performs it — the
highest level, and an array over a scalar of the same differentiation — and every other
argument is a constant to it. Each type then handles the operation in one hook, as JAX's
``Trace.process_primitive`` does: ``process(primitive, args)`` for a scalar primitive,
``apply_array(primitive, args, params)`` for an array one.

The ordering is what keeps nested derivatives apart: in d/dx [x · d/dy (x + y)], x + y is a dual
number of the inner pass whose value is a dual number of the outer pass, and x is a constant to
the inner pass, so the inner derivative is 1, not 2 (Siskind and Pearlmutter's perturbation
confusion cannot happen).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import NestingError

# Counting numbers are 1, sympy's traced values 0; each forward pass or tape takes the next level.
next_level = itertools.count(2).__next__


_nested = 0  # differentiations started over numbers of another (a ds.grad inside f, traced)


def note_nested(point: Sequence[Any]) -> None:
    """Count a differentiation that starts at ``point``, if a number of it is one of ours (its
    numbers then hold another differentiation's: its rules decide on values that one records)."""
    global _nested
    if any(isinstance(v, Leveled) for v in point):
        _nested += 1


def nested_count() -> int:
    """How many differentiations over our numbers have started: two readings differ when one did."""
    return _nested


class Leveled:
    """Base of diffstudy's number types: a ``value``, a level (``priority``), and the two hooks."""

    __slots__ = ()
    kind = "number"
    priority = 0
    is_array = False

    def process(self, primitive: Any, args: Sequence[Any]) -> Any:
        """Perform the scalar ``primitive`` on ``args``, of which this number is the owner."""
        raise NotImplementedError

    def apply_array(self, primitive: Any, args: Sequence[Any], params: dict[str, Any]) -> Any:
        """Perform the array ``primitive`` on ``args``, of which this array is the owner."""
        raise NotImplementedError

    def same_differentiation(self, other: Leveled) -> bool:
        """Whether ``other`` belongs to the same pass, tape or tally as this number."""
        return False

    def lifted(self) -> Leveled:
        """This number as a 0-d array of its own kind: the same variable, pass or tally."""
        raise NotImplementedError


def is_ours(x: Any) -> bool:
    """Whether ``x`` is one of diffstudy's number types (of any level, number or array)."""
    return isinstance(x, Leveled)


def owner_of(args: Sequence[Any]) -> Leveled | None:
    """The argument that performs an operation on ``args``, or None when none of them is ours.

    The highest level wins; at the same level an array wins over a number of its own
    differentiation. A number that wins beside an array (a plain array of numbers, or an array of
    a lower level) acts as a 0-d array of its kind, so that the array operation does the work.
    Two arguments of the same level but of different differentiations cannot be combined.

    Raises:
        NestingError: two measurements or tracings of the same level met.
    """
    owner = None
    array = False
    for a in args:
        if isinstance(a, Leveled):
            array = array or a.is_array
            if owner is None or a.priority > owner.priority:
                owner = a
            elif a.priority == owner.priority and a is not owner:
                if not (owner.same_differentiation(a) or a.same_differentiation(owner)):
                    raise NestingError(
                        f"a {owner.kind} met a {a.kind} of another differentiation of the same level: "
                        "two measurements (or two tracings) cannot be mixed"
                    )
                if a.is_array and not owner.is_array:
                    owner = a
        elif a.__class__ is np.ndarray and a.dtype != object:
            array = True
    if owner is not None and array and not owner.is_array:
        return owner.lifted()
    return owner


def plain(x: Any) -> Any:
    """Strip every layer of diffstudy number from ``x`` (a dual of a counting number, say)."""
    while isinstance(x, Leveled):
        x = x.value
    return x


def value_of(x: Any) -> Any:
    """The value inside one of diffstudy's numbers (one layer); anything else unchanged."""
    return x.value if isinstance(x, Leveled) else x

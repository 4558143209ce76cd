"""What a tape keeps for its backward sweep, counted by what it holds.

Every object an entry holds is counted once, by Python's own size of it (``sys.getsizeof``: a
float is 24 bytes, an array its header and, when it owns them, its data), with the numbers in it
(an array's entries, a float, a Fraction). What the program holds anyway is not counted: the
inputs' values and the constants and data it gave operations (an array of data that a linear map
refers to too), nor the registry's shared objects (primitives, rules, small integers). A
checkpointed call or loop (:class:`.reverse.Recomputed`) keeps its snapshots and the tape of the
stretch it recorded on the forward run: they are counted too, the tape as one item.

Nothing here walks by recursion: a stack of objects, and a list of tapes still to count.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, fields, is_dataclass
from fractions import Fraction
from typing import Any

import numpy as np

from . import reverse
from .array_primitives import ArrayPrimitive, LinearMap
from .levels import Leveled
from .primitives import Argument, Primitive, Unit

_SHARED = (type(None), bool, str, type, Primitive, ArrayPrimitive, Unit, Argument)


@dataclass(frozen=True)
class Kept:
    """One thing an entry keeps: ``what`` it is (``value``, ``partial``, ``map``, ``entry`` for the
    entry's own bookkeeping, ``snapshots``, ``tape``), of ``shape``, holding ``numbers`` numbers in
    ``bytes`` bytes; ``by`` is the argument it belongs to (a partial's or a map's), or a note."""

    entry: int
    what: str
    shape: tuple[int, ...]
    numbers: int
    bytes: int
    by: str = ""


@dataclass(frozen=True)
class Held:
    """What a tape keeps in all: how many numbers, in how many bytes."""

    numbers: int
    bytes: int


class Counter:
    """Counts objects once each, never those marked as the program's own."""

    def __init__(self) -> None:
        self.seen: set[int] = set()
        self.keep_alive: list[Any] = []  # the objects whose ids are in seen, so that no id is reused

    def mark(self, obj: Any) -> None:
        """Mark ``obj`` and what it holds as not the tape's."""
        self.size(obj)

    def size(self, obj: Any) -> tuple[int, int]:
        """(numbers, bytes) of ``obj`` and what it holds, each object not met before."""
        numbers = total = 0
        stack = [obj]
        while stack:
            x = stack.pop()
            if isinstance(x, _SHARED) or (x.__class__ is int and -5 <= x <= 256) or id(x) in self.seen:
                continue
            if callable(x) and not isinstance(x, (Leveled, LinearMap, np.ndarray)):
                continue  # a function (a rule called by name): the program's
            self.seen.add(id(x))
            self.keep_alive.append(x)
            if isinstance(x, (reverse.Tape, reverse.Recording)):
                continue  # another tape: counted as a tape of its own (see held)
            total += sys.getsizeof(x)
            if isinstance(x, np.ndarray):
                if x.base is not None:
                    stack.append(x.base)
                elif x.dtype == object:
                    stack.extend(x.flat)
                else:
                    numbers += x.size
            elif isinstance(x, (float, complex, np.generic)):
                numbers += 1
            elif isinstance(x, Fraction):
                numbers += 1
                stack += [x.numerator, x.denominator]
            elif isinstance(x, (tuple, list, set, frozenset)):
                stack.extend(x)
            elif isinstance(x, dict):
                stack.extend(x.values())
            elif isinstance(x, Leveled):  # a number of an outer differentiation: its value and tangent
                stack += [getattr(x, name) for name in ("value", "tangent") if hasattr(x, name)]
            elif is_dataclass(x):  # a linear map: the arrays and numbers it refers to
                stack += [getattr(x, f.name) for f in fields(x)]
        return numbers, total


def _shape(value: Any) -> tuple[int, ...]:
    while isinstance(value, Leveled):
        value = value.value
    return tuple(np.shape(value)) if isinstance(value, np.ndarray) else ()


def _map_shape(linear_map: Any) -> tuple[int, ...]:
    """The shape of the largest array a linear map holds (its partials, entry by entry), or ()."""
    arrays = [getattr(linear_map, f.name) for f in fields(linear_map)] if is_dataclass(linear_map) else []
    arrays = [_plain_array(a) for a in arrays]
    arrays = [a for a in arrays if isinstance(a, np.ndarray)]
    return tuple(max(arrays, key=np.size).shape) if arrays else ()


def _plain_array(value: Any) -> Any:
    while isinstance(value, Leveled):
        value = value.value
    return value


def _constants(tape: reverse.Tape) -> list[Any]:
    """What the program gave the tape: the inputs' values and every constant argument."""
    given: list[Any] = []
    for entry in tape:
        if entry[0] is None:
            given.append(entry[1])
        elif entry.__class__ is reverse.ArrayEntry:
            given += [c for c in entry.constants if c is not None]
        elif entry.__class__ is not reverse.Recomputed:
            _, _, first, first_partial, second, second_partial = entry
            given += [c for i, c in ((first, first_partial), (second, second_partial)) if i is None and c is not None]
    return given


def kept(tape: reverse.Tape, counter: Counter | None = None) -> list[Kept]:
    """Each thing ``tape`` keeps, entry by entry, each object counted at the first entry holding it;
    the tape a checkpointed call keeps (a stretch recorded on the forward run) is one item, with
    what the tapes inside it keep."""
    counter = counter or Counter()
    inner: list[tuple[reverse.Tape, int, str]] = []
    found = _entries(tape, counter, inner)
    for sub, k, what in inner:
        numbers = size = 0
        tapes = [sub]
        while tapes:
            below: list[tuple[reverse.Tape, int, str]] = []
            for item in _entries(tapes.pop(), counter, below):
                numbers, size = numbers + item.numbers, size + item.bytes
            tapes += [t for t, _, _ in below]
        found.append(Kept(k, "tape", (), numbers, size, what))
    return sorted(found, key=lambda item: item.entry)


def _entries(tape: reverse.Tape, counter: Counter, inner: list[tuple[reverse.Tape, int, str]]) -> list[Kept]:
    """What each entry of ``tape`` keeps; the tapes of checkpointed calls go to ``inner``."""
    for given in _constants(tape):
        counter.mark(given)
    found: list[Kept] = []

    def add(k: int, what: str, obj: Any, by: str = "") -> None:
        numbers, size = counter.size(obj)
        if size:
            shape = _shape(obj) if what in ("value", "partial") else _map_shape(obj) if what == "map" else ()
            found.append(Kept(k, what, shape, numbers, size, by))

    for k, entry in enumerate(tape):
        found.append(Kept(k, "entry", (), 0, sys.getsizeof(entry)))
        counter.seen.add(id(entry))
        counter.keep_alive.append(entry)
        if entry[0] is None:  # an input: its value is the program's
            continue
        add(k, "value", entry[1])
        if entry.__class__ is reverse.ArrayEntry:
            for index, linear_map in entry.arguments:
                add(k, "map", linear_map, by=str(index))
            for bookkeeping in (entry.arguments, entry.operands, entry.constants, entry.params):
                add(k, "entry", bookkeeping)
        elif entry.__class__ is reverse.Recomputed:
            if entry.output == 0:
                for what, obj in entry.primitive.kept_objects():
                    if isinstance(obj, reverse.Tape):
                        inner.append((obj, k, what))
                    else:
                        add(k, "snapshots", obj, by=what)
        else:
            _, _, first, first_partial, second, second_partial = entry
            for index, partial in ((first, first_partial), (second, second_partial)):
                if index is not None:
                    add(k, "entry", index)  # an index past the small integers Python shares
                    add(k, "partial", partial, by=str(index))
    return found


def held(tape: reverse.Tape) -> Held:
    """How many numbers and bytes ``tape`` keeps in all (see :func:`kept`)."""
    items = kept(tape)
    return Held(sum(item.numbers for item in items), sum(item.bytes for item in items))

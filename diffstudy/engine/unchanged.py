"""The arrays f's operations on tape variables read, kept from changing until f returns.

A tape entry refers to the plain arrays its operation read (``x * d`` keeps ``d`` as its partial
by x), and the generated code names them as its constants; neither copies them. Were f to change
such an array in place afterwards (a buffer refilled in a loop, ``d[:] = 0``), the backward sweep
would read the new entries and give a wrong derivative, and the generated code a wrong value. So
while f runs on a tape, each such array (on the tape, those a linear map refers to; in a trace
for code, every one an operation reads), and every array whose memory it views, is made
read-only: numpy refuses the write, and :func:`kept_while` turns its error into one line that
says where. They are made writable again when f returns, however it returns.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Iterable, Iterator
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation
from . import users_code
from .bits import same_bits

# How many recordings hold each array read-only now (by id; the recordings keep the arrays alive):
# an inner differentiation inside f leaves an array the outer one read read-only when it returns.
_holders: dict[int, int] = {}
_lock = threading.Lock()  # (two threads differentiating functions that read one array)


def keep(kept: dict[int, np.ndarray], a: np.ndarray) -> None:
    """Make ``a``, and the arrays whose memory it views, read-only until :func:`kept_while` ends.
    Those read-only already and held by no recording (the user's own) are left alone: they are
    not made writable afterwards either."""
    while a is not None:
        # (a view of memory another object holds, as a strided view is, could not be made
        # writable again: the array it views, further down, is kept instead)
        lockable = isinstance(a, np.ndarray) and (a.base is None or isinstance(a.base, np.ndarray))
        if lockable and id(a) not in kept:
            with _lock:
                held = _holders.get(id(a))
                if held is not None:
                    _holders[id(a)] = held + 1
                    kept[id(a)] = a
                elif a.flags.writeable:
                    a.flags.writeable = False
                    _holders[id(a)] = 1
                    kept[id(a)] = a
        a = getattr(a, "base", None)  # (a strided view's base is numpy's holder of the array it views)


def held_by(maps: tuple[tuple[int, Any], ...], a: np.ndarray) -> bool:
    """Whether one of an entry's linear maps refers to ``a`` or to a view of it (a product's factor,
    a matrix product's other matrix), so that the backward sweep reads its entries; a sum's or a
    difference's maps refer to nothing of their constants."""
    for _, linear_map in maps:
        for item in _arrays_of(linear_map):
            while isinstance(item, np.ndarray):
                if item is a:
                    return True
                item = item.base
    return False


def _arrays_of(linear_map: Any) -> Iterator[np.ndarray]:
    """The arrays a linear map holds in its fields (one level into a tuple of them)."""
    for name in getattr(linear_map, "__dataclass_fields__", ()):
        value = getattr(linear_map, name)
        for item in value if value.__class__ is tuple else (value,):
            if isinstance(item, np.ndarray):
                yield item


def keep_inputs(kept: dict[int, np.ndarray], point: Any) -> None:
    """Keep the arrays a recording's inputs hold as their values: the caller's own, which f may
    reach by another name (a global) and change."""
    for value in point:
        if value.__class__ is np.ndarray:
            keep(kept, value)


def keep_params(kept: dict[int, np.ndarray], params: dict[str, Any]) -> None:
    """Keep the arrays among an operation's parameters (an index array: its map refers to it)."""
    for value in params.values():
        for item in value if value.__class__ is tuple else (value,):
            if isinstance(item, np.ndarray):
                keep(kept, item)


@contextlib.contextmanager
def kept_while(kept: dict[int, np.ndarray]) -> Iterator[None]:
    """Run f's recording: a write into a kept array becomes an :class:`UnsupportedOperation` that
    says where, and every kept array no other recording holds is made writable again at the end."""
    try:
        yield
    except ValueError as error:
        if kept and "read-only" in str(error):
            raise UnsupportedOperation(_changed_after_use(error)) from None  # (numpy's words are in it)
        raise
    finally:
        with _lock:
            _let_go(kept)


def _let_go(kept: dict[int, np.ndarray]) -> None:
    """One holder fewer for each kept array; those no recording holds now made writable again."""
    released = []
    for key, a in kept.items():
        held = _holders.pop(key) - 1
        if held:
            _holders[key] = held
        else:
            released.append(a)
    # an array before the views of it: numpy makes a view writable only where its base is; a
    # view of an array another recording still holds waits for that one to let it go
    waiting = []
    for a in sorted(released + _waiting, key=_depth):
        try:
            a.flags.writeable = True
        except ValueError:
            if any(id(base) in _holders for base in _bases(a)):
                waiting.append(a)
    _waiting[:] = waiting


_waiting: list[np.ndarray] = []  # views let go of whose base another recording holds still


def _bases(a: Any) -> list[Any]:
    """The objects whose memory ``a`` views, one inside the other."""
    bases = []
    while (a := getattr(a, "base", None)) is not None:
        bases.append(a)
    return bases


def _depth(a: np.ndarray) -> int:
    """How many arrays ``a``'s memory is a view of, one inside the other."""
    return len(_bases(a))


def snapshot(kept: dict[int, np.ndarray], maps: Iterable[Any]) -> list[tuple[np.ndarray, np.ndarray]]:
    """The kept arrays one of the linear maps refers to (those a backward sweep reads), each beside
    a copy of it, for :func:`changed_since` to compare with later."""
    read = {id(a): a for linear_map in maps for a in _arrays_of(linear_map) if id(a) in kept}
    return [(a, a.copy()) for a in read.values()]


def changed_since(copies: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray | None:
    """The first array that no longer holds what its copy holds (to the bit), or None."""
    for a, copy in copies:
        if not same_bits(a, copy):
            return a
    return None


def _changed_after_use(error: ValueError) -> str:
    where = users_code.line_of(error.__traceback__)
    return (
        f"f changes an array in place{f' at {where}' if where else ''} after using it with a variable it is "
        f"differentiated by, whose derivative would then read the new entries: make a new array there instead "
        f"(numpy: {error})"
    )

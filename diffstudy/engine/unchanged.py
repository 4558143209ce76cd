"""The arrays f's operations on tape variables read, kept from changing until f returns.

A tape entry refers to the plain arrays its operation read (``x * d`` keeps ``d`` as its partial
by x), and the generated code names them as its constants; neither copies them. Were f to change
such an array in place afterwards (a buffer refilled in a loop, ``d[:] = 0``), the backward sweep
would read the new entries and give a wrong derivative, and the generated code a wrong value. So
while f runs on a tape, each such array, and every array whose memory it views, is made
read-only: numpy refuses the write, and :func:`kept_while` turns its error into one line that
says where. They are made writable again when f returns, however it returns.
"""

from __future__ import annotations

import contextlib
import linecache
import os
import traceback
from collections.abc import Iterator
from typing import Any

import numpy as np

from ..errors import UnsupportedOperation

# Where a write into a kept array is not the user's own line: numpy's code, diffstudy's, Python's.
_NOT_THE_USERS = tuple(
    os.path.dirname(path) + os.sep for path in (np.__file__, os.path.dirname(__file__), os.__file__)
) + ("<frozen",)


def keep(kept: list[np.ndarray], a: np.ndarray) -> None:
    """Make ``a``, and the arrays whose memory it views, read-only until :func:`kept_while` ends
    (those already read-only are left alone: they are not made writable afterwards either)."""
    while isinstance(a, np.ndarray):
        if a.flags.writeable:
            a.flags.writeable = False
            kept.append(a)
        a = a.base


def keep_params(kept: list[np.ndarray], params: dict[str, Any]) -> None:
    """Keep the arrays among an operation's parameters (an index array: its map refers to it)."""
    for value in params.values():
        for item in value if value.__class__ is tuple else (value,):
            if isinstance(item, np.ndarray):
                keep(kept, item)


@contextlib.contextmanager
def kept_while(kept: list[np.ndarray]) -> Iterator[None]:
    """Run f's recording: a write into a kept array becomes an :class:`UnsupportedOperation` that
    says where, and every kept array is made writable again at the end."""
    try:
        yield
    except ValueError as error:
        if kept and "read-only" in str(error):
            raise UnsupportedOperation(_changed_after_use(error)) from error
        raise
    finally:
        for a in reversed(kept):  # (a view after the array it views: numpy wants that one writable first)
            with contextlib.suppress(ValueError):
                a.flags.writeable = True
        kept.clear()


def _changed_after_use(error: ValueError) -> str:
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.startswith(_NOT_THE_USERS)]
    where = ""
    if frames:
        frame = frames[-1]
        source = linecache.getline(frame.filename, frame.lineno or 0).strip()
        where = f" at {os.path.basename(frame.filename)}:{frame.lineno}" + (f" (`{source}`)" if source else "")
    return (
        f"f changes an array in place{where} after using it with a variable it is differentiated by, "
        f"whose derivative would then read the new entries: make a new array there instead (numpy: {error})"
    )

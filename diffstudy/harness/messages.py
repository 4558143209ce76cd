"""One-line messages for errors raised while a case runs: what went wrong, and where in its file."""

from __future__ import annotations

import linecache
import os
import traceback

from ..engine import generate
from ..errors import DiffstudyError
from .cases import Case, display_path


def _frames(error: BaseException) -> list[traceback.FrameSummary]:
    """Traceback frames of ``error`` and of the errors it was raised from, oldest first."""
    chain = []
    while error is not None and error not in chain:
        chain.append(error)
        error = error.__cause__ or error.__context__
    return [frame for e in reversed(chain) for frame in traceback.extract_tb(e.__traceback__)]


def last_frame_in(error: BaseException, filename: str | None) -> traceback.FrameSummary | None:
    """The last frame in ``filename`` that ``error``, or an error it was raised from, passed through."""
    frames = [f for f in _frames(error) if f.filename == filename]
    return frames[-1] if frames else None


def locate(error: BaseException, case: Case) -> str:
    """``file:line (`source`)`` of the case-file line where ``error`` arose, or ``""``: in the
    case's own code, or in code written from it (the line its block's comment names)."""
    frame = last_frame_in(error, case.file)
    if frame is not None:
        filename, lineno = frame.filename, frame.lineno or 0
    else:
        written = [generate.program_line(f.filename, f.lineno or 0) for f in _frames(error)]
        named = [line for line in written if line is not None]
        if not named or case.file is None or named[-1][0] != os.path.basename(case.file):
            return ""
        filename, lineno = case.file, named[-1][1]
    source = linecache.getline(filename, lineno).strip()
    return f"{display_path(filename)}:{lineno}" + (f" (`{source}`)" if source else "")


def describe(error: BaseException, case: Case) -> str:
    """A one-line message for ``error``: what went wrong and where in the case file."""
    if isinstance(error, DiffstudyError):
        what = str(error)
    elif isinstance(error, ZeroDivisionError):
        what = "division by zero"
    elif isinstance(error, OverflowError):
        what = f"a number overflows a float ({error})"
    elif isinstance(error, RecursionError):
        what = "the case recursed without end (RecursionError: maximum recursion depth exceeded)"
    else:
        what = f"{type(error).__name__}: {error}"
    # Where the case's own code did not raise it (sympy's expression, the result's shape), the
    # case's definition is the place to look.
    where = locate(error, case) or (case.where if case.file else "")
    if where and os.path.basename(where.split(" ", 1)[0]) in what:  # the message names its line itself
        where = ""
    return " ".join((f"{where}: {what}" if where else what).split())

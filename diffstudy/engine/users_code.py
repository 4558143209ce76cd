"""Where in the user's code something happened: the innermost frame outside numpy, diffstudy and
Python's own library, as ``file.py:12 (`source line`)``, for a message to name."""

from __future__ import annotations

import linecache
import os
import sys
import traceback
from types import TracebackType

import numpy as np

_NOT_THE_USERS = tuple(
    os.path.dirname(path) + os.sep for path in (np.__file__, os.path.dirname(__file__), os.__file__)
) + ("<frozen",)


def is_the_users(filename: str) -> bool:
    """Whether a frame's file is the user's: not numpy's, diffstudy's or Python's own, nor a
    compiled module's source, which a traceback names by a path of its own (numpy/random/_generator.pyx)."""
    return not filename.startswith(_NOT_THE_USERS) and not filename.endswith(".pyx")


def _said(filename: str, lineno: int) -> tuple[str, str]:
    """``file.py:12 (`source`)`` (the source cut at 80 characters), and the whole source line."""
    source = linecache.getline(filename, lineno).strip()
    shown = source if len(source) <= 80 else source[:79] + "…"
    return f"{os.path.basename(filename)}:{lineno}" + (f" (`{shown}`)" if shown else ""), source


def line_of(error_traceback: TracebackType | None) -> str:
    """The user's line an error passed through last, or ``""``."""
    frames = [f for f in traceback.extract_tb(error_traceback) if is_the_users(f.filename)]
    return _said(frames[-1].filename, frames[-1].lineno or 0)[0] if frames else ""


_NUMPYS_STATISTICS = ("numpy._core._methods", "numpy.core._methods")  # (numpy 2, numpy 1)


def numpys_statistic() -> str | None:
    """The name of numpy's mean, var or std running now (on an array of objects, which numpy
    computes in Python: np.mean(np.array([x[0], x[1]]))), the outermost (np.std's, not the np.var
    it calls), or None."""
    frame, name = sys._getframe(1), None
    while frame is not None:
        if frame.f_code.co_name in ("_mean", "_var", "_std") and frame.f_globals.get("__name__") in _NUMPYS_STATISTICS:
            name = frame.f_code.co_name[1:]
        frame = frame.f_back
    return name


def calling_line() -> tuple[str, str]:
    """The user's line running now, innermost: ``(file.py:12 (`source`), source)``, or ``("", "")``."""
    frame = sys._getframe(1)
    while frame is not None and not is_the_users(frame.f_code.co_filename):
        frame = frame.f_back
    if frame is None:
        return "", ""
    return _said(frame.f_code.co_filename, frame.f_lineno)

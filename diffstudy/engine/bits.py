"""Two arrays compared to the bit, at C speed: what f reads is compared with a copy at every call."""

from __future__ import annotations

import ctypes
from typing import Any

import numpy as np


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    """Equal arrays, to the bit for floats (0.0 is not −0.0; nan is nan); other entries by ==."""
    if a.shape != b.shape or a.dtype != b.dtype:
        return False
    laid_out = a.dtype.kind in "biufc" and a.flags.c_contiguous and b.flags.c_contiguous
    if laid_out and (a.nbytes <= _SHORT or _memcmp is not None):
        return _same_bytes(a, b)
    if a.dtype.kind == "f" and a.dtype.itemsize in (2, 4, 8):
        bits = f"i{a.dtype.itemsize}"  # the floats' bits, compared as integers in one pass
        return bool(np.array_equal(np.ascontiguousarray(a).view(bits), np.ascontiguousarray(b).view(bits)))
    try:
        return bool(np.array_equal(a, b))
    except Exception:
        return False


def _same_bytes(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two arrays of numbers laid out by rows, of one shape and type, hold the same bytes
    (a float's bits; an int's or a bool's value). Every array f reads is looked at at every call,
    so at C speed: a short array's bytes compared as bytes objects (their copies cost less than
    numpy's call), a long one's memory by C's memcmp, in one pass that makes no array (a third of
    np.array_equal's time on 800 kB)."""
    if a.nbytes <= _SHORT:
        return a.tobytes() == b.tobytes()
    return _memcmp(a.ctypes.data, b.ctypes.data, a.nbytes) == 0


_SHORT = 1 << 16  # bytes up to which an array's are copied to be compared


def _c_memcmp() -> Any:
    try:
        memcmp = ctypes.CDLL(None).memcmp  # the C library the interpreter runs on (POSIX)
    except (OSError, TypeError, AttributeError):  # (Windows has no such handle)
        return None
    memcmp.restype = ctypes.c_int
    memcmp.argtypes = (ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
    return memcmp


_memcmp = _c_memcmp()

"""Operations whose float result fell below the float range, noted as met.

An overflow is an error everywhere in diffstudy (a float past 1.8e308 is inf, and inf is never a
number to present). An underflow is silent: a nonzero result smaller than the smallest normal
float, 2.2e-308, is rounded to a subnormal number, with fewer digits, or to 0, and the next
operation carries on (1/cosh(x)² at 300 passes through sech³ ≈ 1e-390 on its way to a derivative
of −2.1e-260, and both algorithmic modes give −0.0). Two float methods that met the same
underflow agree on the same wrong number, so a comparison of the two cannot see it.

The definition is IEEE 754's: an operation underflows when its result is tiny (below the smallest
normal float) and inexact. The floating-point unit raises a flag for it, which numpy reads around
each of its operations: an operation of the counting numbers whose float result is tiny is
computed once more by the primitive's numpy ufunc with that flag watched (a sum or difference
never needs it: a tiny sum is exact), and numpy's own operations on arrays report it as they run.
Whoever differentiates collects the notes with :func:`collecting`, as the kinks met are collected.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

import numpy as np

from .primitives import Primitive, shown

SMALLEST_NORMAL = sys.float_info.min  # 2**-1022; below it a float has fewer than 53 bits
SMALLEST_SUBNORMAL = 2.0**-1074  # the smallest positive float, and the spacing of all below SMALLEST_NORMAL
EXACT_WHEN_TINY = frozenset({"add", "sub", "neg", "abs", "maximum", "minimum"})  # IEEE 754: no rounding there


@dataclass
class Underflows:
    """The underflows met while collecting: how many operations, and the first one described."""

    first: str | None = None
    count: int = 0

    def add(self, description: str) -> None:
        """Count one more underflow, described if it is the first."""
        self.first = self.first or description
        self.count += 1

    def flagged(self, kind: str, flag: int) -> None:
        """numpy's error callback: an array operation raised the underflow flag."""
        self.add("an array operation (numpy's) rounded entries to subnormal numbers or 0")

    def notes(self) -> list[str]:
        """One note for all of them (none if there were none)."""
        if not self.count:
            return []
        more = f" (and {self.count - 1:,} more operation{'s' if self.count > 2 else ''})" if self.count > 1 else ""
        return [f"underflow: {self.first}{more}, below the float range (2.2e-308)"]


_collected: ContextVar[Underflows | None] = ContextVar("float_range_underflows", default=None)


@contextmanager
def collecting() -> Iterator[Underflows]:
    """Collect the underflows of the operations run in the body: those of numbers, which
    :func:`check` is given, and those of numpy's arrays, whose flag numpy reports as they run."""
    underflows = Underflows()
    token = _collected.set(underflows)
    try:
        with np.errstate(under="call", call=underflows.flagged):
            yield underflows
    finally:
        _collected.reset(token)


def is_tiny(result: Any) -> bool:
    """True for a float below the smallest normal float: 0, or a subnormal number."""
    return isinstance(result, float) and -SMALLEST_NORMAL < result < SMALLEST_NORMAL


def check(primitive: Primitive, operands: Sequence[Any], result: float) -> None:
    """Note an underflow if computing ``primitive`` on ``operands`` (which gave the tiny float
    ``result``) raised IEEE 754's underflow flag; ignored when nobody is collecting."""
    underflows = _collected.get()
    if underflows is None or primitive.name in EXACT_WHEN_TINY:
        return
    if result == 0 and any(v == 0 for v in operands):
        return  # a zero factor or argument: 0 exactly, nothing lost
    try:
        with np.errstate(all="ignore", under="raise"):
            primitive.ufunc(*(np.float64(v) for v in operands))
    except FloatingPointError:
        underflows.add(f"{primitive.name} of {' and '.join(shown(v) for v in operands)} gives {shown(result)}")
    except (TypeError, ValueError, OverflowError):
        pass  # an operand numpy cannot hold as a float (a huge Fraction): not a float operation

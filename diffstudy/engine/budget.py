"""Size and time budgets, so that a swelling symbolic computation is stopped, never waited on."""

from __future__ import annotations

import math
import os
import re
import signal
import threading
import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from ..errors import BudgetExceeded

_REPEAT = 0.2  # seconds between alarms once the budget has run out


class _OutOfTime(BaseException):
    """Raised by the timer inside library code; a BaseException so no ``except Exception`` eats it."""


@dataclass(frozen=True)
class Budget:
    """How large (expression-tree nodes) and how long (seconds) a symbolic step may grow.

    The nodes decide, the same on every machine; the seconds are a safety stop for a step that
    would run on and on, set far beyond what a step within the nodes takes, so that a busy
    machine does not change what a table contains.
    """

    nodes: int = 200_000
    seconds: float = 300.0

    def __str__(self) -> str:
        """The budget as ``--budget`` reads it: ``200000,20s``."""
        return f"{self.nodes},{self.seconds:g}s"

    def check_size(self, size: int, what: str) -> None:
        """Raise BudgetExceeded when ``size`` nodes is past the budget."""
        if size > self.nodes:
            raise BudgetExceeded(f"{what} has {size:,} nodes, past the budget of {self.nodes:,}")

    @contextmanager
    def clock(self, what: str) -> Iterator[None]:
        """Run the body under the time budget; past it, raise BudgetExceeded naming ``what``.

        Sympy walks expressions recursively, so a deep enough expression ends in RecursionError
        inside sympy; that is reported as a BudgetExceeded too (a RecursionError of the program's
        own passes through). The timer is a SIGALRM, so it is only armed on the main thread and
        not inside another clock; elsewhere the body runs without a time limit.
        """
        usable = threading.current_thread() is threading.main_thread() and self.seconds > 0
        if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
            try:
                yield
            except RecursionError as error:
                raise _too_deep(error, what) from None
            return

        def out_of_time(signum: int, frame: object) -> None:
            raise _OutOfTime

        previous = signal.signal(signal.SIGALRM, out_of_time)
        # After the budget the alarm repeats: an exception raised while Python runs a garbage-
        # collector callback or a __del__ is swallowed, so one alarm alone might never stop the body.
        signal.setitimer(signal.ITIMER_REAL, self.seconds, _REPEAT)
        try:
            yield
        except _OutOfTime:
            signal.setitimer(signal.ITIMER_REAL, 0)
            raise BudgetExceeded(f"{what} ran past the time budget of {self.seconds:g} s") from None
        except RecursionError as error:
            signal.setitimer(signal.ITIMER_REAL, 0)
            raise _too_deep(error, what) from None
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _too_deep(error: RecursionError, what: str) -> Exception:
    """Sympy's recursion on a deep expression is the budget's business; the program's own is its error."""
    frames = traceback.extract_tb(error.__traceback__)
    # The function that recursed is the one the traceback repeats most.
    repeated = Counter((frame.filename, frame.name) for frame in frames).most_common(1)
    if repeated and f"{os.sep}sympy{os.sep}" in repeated[0][0][0]:
        return BudgetExceeded(f"{what}: the expression is too deep for sympy's recursion")
    return error


_LIMIT = re.compile(r"^\s*(?P<number>[0-9][0-9.eE+]*)\s*(?P<unit>s|sec|seconds|nodes)?\s*$")


def parse_budget(text: str, default: Budget | None = None) -> Budget:
    """Read a budget such as ``"200000"``, ``"30s"`` or ``"100000,30s"`` (nodes and/or seconds)."""
    budget = default or Budget()
    nodes, seconds = budget.nodes, budget.seconds
    for part in text.split(","):
        match = _LIMIT.match(part.replace("_", ""))
        if not match:
            raise ValueError(f"cannot read budget {part.strip()!r}: use e.g. 200000 (nodes) or 30s")
        number = float(match["number"])
        if not math.isfinite(number) or number <= 0 or number > 10**15:
            raise ValueError(f"budget {part.strip()!r} is not a positive number of a sensible size")
        if match["unit"] in ("s", "sec", "seconds"):
            seconds = number
        else:
            nodes = int(number)
    return Budget(nodes=nodes, seconds=seconds)

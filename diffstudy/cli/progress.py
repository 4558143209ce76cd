"""A one-line progress indicator on standard error, for runs that take more than a moment.

It writes only when standard error is a terminal, so pipes, files and tests get clean output.
"""

from __future__ import annotations

import shutil
import sys
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """Shows ``label [i/total] what (elapsed)`` on one self-overwriting line (``[i]`` when the
    total is not known in advance)."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        # One column short of the terminal: a full line would wrap, and the next would not overwrite it.
        self.width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        self.done = 0
        self.started = time.monotonic()

    def step(self, what: str) -> None:
        """Count one more step, described by ``what``."""
        self.done += 1
        if self.enabled:
            elapsed = time.monotonic() - self.started
            count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
            line = f"{self.label} [{count}] {what} ({elapsed:.0f} s)"
            self.stream.write("\r" + line[: self.width].ljust(self.width))
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()

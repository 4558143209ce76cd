"""Progress on standard error, for runs that take more than a moment.

On a terminal, one self-overwriting line says which step is running. Elsewhere (a pipe, a file,
a test) standard error gets a plain line once the run has gone on for ``QUIET_SECONDS``, and
again every ``EVERY_SECONDS``, so a long study never looks like a hang; a quick run writes nothing.
Standard output is never touched: with ``--format csv`` or ``json`` it stays machine-readable.
"""

from __future__ import annotations

import shutil
import sys
import threading
import time
from types import TracebackType
from typing import TextIO

QUIET_SECONDS = 3.0  # off a terminal, how long a run goes before it says it is working
EVERY_SECONDS = 20.0  # ... and how often it says so again


class Progress:
    """Shows ``label [i/total] what (elapsed)`` on one self-overwriting line (``[i]`` when the
    total is not known in advance); off a terminal, the same as a plain line now and then."""

    def __init__(self, total: int | None, label: str, stream: TextIO | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        # One column short of the terminal: a full line would wrap, and the next would not overwrite it.
        self.width = max(20, shutil.get_terminal_size((100, 24)).columns - 1)
        self.done = 0
        self.what = "starting"
        self.started = time.monotonic()
        self.finished = threading.Event()
        # Off a terminal a step can be long and the next one far off, so a timer says it, not the steps.
        self.reporter = None if self.enabled else threading.Thread(target=self._say_it_is_working, daemon=True)

    def status(self) -> str:
        """``[i/total] what (elapsed)``: where the run is."""
        elapsed = time.monotonic() - self.started
        count = f"{self.done}/{self.total}" if self.total else f"{self.done}"
        return f"[{count}] {self.what} ({elapsed:.0f} s)"

    def step(self, what: str) -> None:
        """Count one more step, described by ``what``."""
        self.done += 1
        self.what = what
        if self.enabled:
            line = f"{self.label} {self.status()}"
            self.stream.write("\r" + line[: self.width].ljust(self.width))
            self.stream.flush()

    def _say_it_is_working(self) -> None:
        wait = QUIET_SECONDS
        while not self.finished.wait(wait):
            try:
                self.stream.write(f"diffstudy: {self.label} is working: {self.status()}\n")
                self.stream.flush()
            except (OSError, ValueError):  # standard error closed: nobody to tell
                return
            wait = EVERY_SECONDS

    def __enter__(self) -> Progress:
        if self.reporter:
            self.reporter.start()
        return self

    def __exit__(self, kind: type | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.finished.set()
        if self.reporter:
            self.reporter.join(timeout=1.0)  # a line half written finishes; a blocked stream is not waited on
        if self.enabled:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()

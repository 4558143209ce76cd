"""What the tape keeps for the backward sweep, listed: each value, partial and linear map, its
shape and bytes, and the line of the case that made it — as JAX's ``print_saved_residuals``.

The case is recorded once on the tape; as each entry is appended, the line of the case's file
that was running is noted (the first frame in that file, up from the operation). A checkpointed
call or loop is one row for the snapshots it keeps and one for the tape of the stretch it
recorded last; what it does not keep is not listed, because it is not there.
"""

from __future__ import annotations

import linecache
import os
import sys
from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..engine import kept, reverse
from ..harness.cases import Case
from .graph import _node_names, _operation


class _Lines:
    """Told by the tape of each entry it appends: the line of ``file`` running then.

    A checkpointed call is recorded as a call (its inside is not to be seen), so this observer
    does not ask to see every comparison."""

    sees_every_comparison = False

    def __init__(self, file: str) -> None:
        self.file = file
        self.lines: list[tuple[str, int] | None] = []

    def compared(self, symbol: str, left: Any, right: Any, result: Any) -> None:
        """A comparison the program made: nothing is kept for it."""

    def line(self) -> tuple[str, int] | None:
        frame = sys._getframe(2)
        while frame is not None and frame.f_code.co_filename != self.file:
            frame = frame.f_back
        return (self.file, frame.f_lineno) if frame is not None else None


class _LinedTape(reverse.Tape):
    """A tape that notes the case's line beside each entry it appends."""

    __slots__ = ()

    def append(self, entry: tuple) -> None:
        self.observer.lines.append(self.observer.line())
        super().append(entry)


@dataclass
class Saved:
    """What one recording of a case keeps: a row per thing kept, and the totals."""

    case: str
    rows: pd.DataFrame  # node, operation, kept, shape, numbers, bytes, line
    numbers: int
    bytes: int
    bookkeeping: int  # bytes of the entries themselves (tuples, indices), not listed row by row


def _where(line: tuple[str, int] | None) -> str:
    if line is None:
        return ""
    text = linecache.getline(line[0], line[1]).strip()
    return f"{os.path.basename(line[0])}:{line[1]}: {text}"


def _shape_text(item: kept.Kept) -> str:
    """``3×3`` for an array, ``number`` for a number; nothing for a tape or snapshots."""
    if item.what in ("tape", "snapshots"):
        return ""
    return "×".join(map(str, item.shape)) if item.shape else "number"


def _kind(item: kept.Kept, names: list[str]) -> str:
    if item.what == "partial":
        return f"∂ by {names[int(item.by)]}"
    if item.what == "map":
        return f"map of ∂ by {names[int(item.by)]}"
    if item.what == "snapshots":
        return f"snapshots: {item.by}"
    if item.what == "tape":
        return item.by
    return item.what


def saved(case: Case) -> Saved:
    """Record ``case`` and list what its tape keeps for the backward sweep, line by line."""
    watcher = _Lines(case.file or getattr(getattr(case.function, "__code__", None), "co_filename", ""))

    def noted(*inputs: Any) -> Any:
        tape = inputs[0].tape
        tape.__class__, tape.observer = _LinedTape, watcher
        watcher.lines.extend([None] * len(inputs))
        return case.function(*inputs)

    recording = reverse.record(noted, case.point)
    tape = recording.tape
    tape.__class__, tape.observer = reverse.Tape, None
    names = list(case.inputs) + _node_names(len(tape) - len(case.inputs), set(case.inputs))
    items = kept.kept(tape)
    rows = [
        {
            "node": names[item.entry],
            "operation": _operation(reverse.entry_at(tape, item.entry), names),
            "kept": _kind(item, names),
            "shape": _shape_text(item) if item.numbers or item.what == "value" else "",
            "numbers": item.numbers,
            "bytes": item.bytes,
            "line": _where(watcher.lines[item.entry]) if item.entry < len(watcher.lines) else "",
        }
        for item in items
        if item.what != "entry"
    ]
    frame = pd.DataFrame(rows, columns=["node", "operation", "kept", "shape", "numbers", "bytes", "line"], dtype=object)
    bookkeeping = sum(item.bytes for item in items if item.what == "entry")
    return Saved(case.name, frame, sum(item.numbers for item in items), sum(item.bytes for item in items), bookkeeping)


def notes(listed: Saved) -> list[str]:
    """The totals under the listing."""
    return [
        f"{listed.case}'s tape keeps {listed.numbers:,} numbers in {listed.bytes:,} bytes, "
        f"{listed.bookkeeping:,} of them the entries' own (a tuple each, and the indices of their arguments); "
        "the inputs' values and the program's data are not the tape's and are not counted",
        "bytes are Python's own sizes (a float is 24 bytes, an array its header and its data), each object once: "
        "a partial that is another node's value (x·y by x is y) is that node's",
    ]

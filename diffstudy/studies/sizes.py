"""Sweeping a family over its sizes: one row per size, until a measure says stop, the user
interrupts, or the family fails (a user's family can fail as any case can)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..harness.families import Family

# A measure gives the row of one size, and why the sweep stops there (None: go on).
Measure = Callable[[int], tuple[dict[str, Any], str | None]]


@dataclass
class SizeRun:
    """The rows measured, and how the sweep ended: ``ended`` says why it stopped early, if it did."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    ended: str | None = None
    interrupted: bool = False
    failed: bool = False


def each_size(
    family: Family, sizes: Sequence[int], measure: Measure, progress: Callable[[str], None] | None, name: str
) -> SizeRun:
    """Measure ``family`` at each of ``sizes`` in turn; ``name`` is what the study calls the size
    (k, n), unless the family names it itself."""
    name = family.size_letter(name)
    run = SizeRun()
    for size in sizes:
        if progress:
            progress(f"{family.name} {name}={size}")
        try:
            row, stop = measure(size)
        except KeyboardInterrupt:  # a user's stop: keep what was measured
            run.ended, run.interrupted = f"interrupted at {name} = {size}", True
            return run
        except Exception as error:  # say where, keep the rows
            run.ended, run.failed = f"failed at {name} = {size}: {family.failure(error)}", True
            return run
        run.rows.append(row)
        if stop:
            run.ended = f"stopped at {name} = {size}: {stop}"
            return run
    return run

"""REPORT.md, written by the package from its own measurements: tables, figures and findings.

Three parts: :mod:`.measure` runs the studies once and computes every number the report quotes,
:mod:`.figures` draws them with matplotlib, :mod:`.text` writes the markdown around them.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

from .figures import draw_figures
from .machine import BEGIN, comparable
from .measure import Measurements, ReportSettings, UserCases, measure_all, measure_user
from .text import report_text


def build(
    settings: ReportSettings | None = None,
    progress: Callable[[str], None] | None = None,
    user: UserCases | None = None,
) -> tuple[str, Measurements]:
    """Measure everything, with ``user``'s own cases and families too, and write the report's
    markdown (figures are drawn separately)."""
    measured = measure_all(settings or ReportSettings(), progress, user)
    return report_text(measured), measured


def write(
    path: Path, figures: Path, progress: Callable[[str], None] | None = None, user: UserCases | None = None
) -> tuple[list[Path], Measurements]:
    """Write the report to ``path`` and its figures into ``figures``, with ``user``'s own cases
    and families if given; return the files written and what was measured.

    Everything is measured, written and drawn in a folder of its own beside ``path`` first, and
    moved into place only once complete: an interrupted or failed report leaves the previous
    one as it was, never half of a new one.
    """
    text, measured = build(progress=progress, user=user)
    with tempfile.TemporaryDirectory(prefix=".report-", dir=path.parent) as staging:
        staged, staged_figures = Path(staging) / path.name, Path(staging) / "figures"
        staged.write_text(text, encoding="utf-8")
        staged_figures.mkdir()
        drawn = draw_figures(measured, staged_figures)
        figures.mkdir(parents=True, exist_ok=True)
        # A move within one file system is a rename, which replaces a file whole (across file
        # systems shutil copies); the report goes last, once its figures are in place.
        written = [Path(shutil.move(figure, figures / figure.name)) for figure in drawn]
        return [Path(shutil.move(staged, path)), *written], measured


__all__ = [
    "build", "write", "draw_figures", "report_text", "measure_user", "ReportSettings", "Measurements", "UserCases",
    "comparable", "BEGIN",
]  # fmt: skip

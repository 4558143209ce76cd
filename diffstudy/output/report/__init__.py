"""REPORT.md, written by the package from its own measurements: tables, figures and findings.

Three parts: :mod:`.measure` runs the studies once and computes every number the report quotes,
:mod:`.figures` draws them with matplotlib, :mod:`.text` writes the markdown around them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from .figures import draw_figures
from .measure import Measurements, ReportSettings, measure_all
from .text import report_text


def build(
    settings: ReportSettings | None = None, progress: Callable[[str], None] | None = None
) -> tuple[str, Measurements]:
    """Measure everything and write the report's markdown (figures are drawn separately)."""
    measured = measure_all(settings or ReportSettings(), progress)
    return report_text(measured), measured


def write(path: Path, figures: Path, progress: Callable[[str], None] | None = None) -> list[Path]:
    """Write REPORT.md to ``path`` and its figures into ``figures``; return the files written."""
    text, measured = build(progress=progress)
    path.write_text(text, encoding="utf-8")
    return [path, *draw_figures(measured, figures)]


__all__ = ["build", "write", "draw_figures", "ReportSettings", "Measurements"]

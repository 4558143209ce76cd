"""The tutorial notebook runs from top to bottom, in a kernel, as a student runs it: it never goes stale."""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbclient import NotebookClient

TUTORIAL = Path(__file__).resolve().parent.parent / "examples" / "tutorial.ipynb"


def outputs(cell) -> str:
    """Everything a cell showed, every format of it, as one text."""
    shown = []
    for output in cell.get("outputs", []):
        shown.append(output.get("text", ""))
        shown += [str(v) for v in output.get("data", {}).values()]
    return "\n".join(shown)


def test_the_tutorial_runs_and_shows_the_lecture(tmp_path):
    notebook = nbformat.read(TUTORIAL, as_version=4)
    # A cell that raises stops the run with CellExecutionError, naming the cell and the error.
    NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    by_source = {cell.source.splitlines()[-1]: outputs(cell) for cell in code}
    assert "[140, 24]" in by_source['ds.compare(F, {"x": 2, "y": 3})']  # the lecture's gradient, three ways
    assert "(Fraction(140, 1), Fraction(24, 1))" in by_source["ds.grad(F, argnums=(0, 1))(2, 3)"]
    graph = by_source['ds.graph(F, {"x": 2, "y": 3})']
    assert "<iframe srcdoc=" in graph and "| v4 (output)" in graph  # the page, and its markdown
    assert "data:image/png;base64," in by_source["projects"]  # the SGD figures

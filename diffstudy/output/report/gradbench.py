"""REPORT.md's section "diffstudy among the AD tools": GradBench's evals timed here, beside the
ratios GradBench published for five tools, with a figure.

Times depend on the machine, so the table and every number drawn from a time stand between the
markers of :mod:`.machine`, which the report's up-to-date test leaves out.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from ...studies.gradbench import study
from ..tables import display, render
from .machine import timed


def _table(rows: pd.DataFrame) -> str:
    shown = rows.copy()
    for column in ("primal ms", "derivative ms", "diffstudy ratio"):
        shown[column] = shown[column].map(lambda v: f"{v:.3g}")
    for tool in study.PUBLISHED_TOOLS:
        shown[tool] = shown[tool].map(lambda v: "" if pd.isna(v) else f"{v:g}")
    return render(display(shown), "markdown")


# The workloads the report times: lstm's derivative takes seconds a run on the tape, so the report
# leaves it to ``gradbench_connect.py``.
REPORTED = tuple(w for w in study.WORKLOADS if w.eval != "lstm")


def gradbench_part(rows: pd.DataFrame | None) -> str:
    """The section's markdown, the timings between the markers (none where not measured)."""
    heading = "## 11. diffstudy among the AD tools"
    evals = ", ".join(dict.fromkeys(w.eval for w in REPORTED))
    intro = (
        "GradBench (github.com/gradbench/gradbench) is the AD community's benchmark: each eval sends inputs "
        "to a tool and validates its answers against golden C++ code. `python -m diffstudy gradbench` is such a "
        "tool; its evals are ordinary numpy programs differentiated by diffstudy (README, *diffstudy on "
        f"GradBench*). Here the evals {evals} run in this process at GradBench's smallest workloads, on inputs "
        "of the same shapes made with a seeded generator; **diffstudy ratio** is the best derivative time over the "
        "best primal time (the primal is plain numpy), beside the ratios GradBench published on "
        f"{study.PUBLISHED_DATE} for {', '.join(study.PUBLISHED_TOOLS)} at the same workload (an empty cell: that "
        "tool has no result there). Lower is better. `generated` is timed after its first call, which writes "
        "and compiles the code, as JAX's jit is."
    )
    if rows is None:
        return "\n\n".join([heading, intro, timed()])
    return "\n\n".join([heading, intro, timed(_table(rows), "![diffstudy among the AD tools](figures/gradbench.png)")])


def draw(rows: pd.DataFrame | None, path: Path) -> list[Path]:
    """The ratios of each workload as bars on a log scale, diffstudy's methods beside the tools'."""
    if rows is None:
        return []
    import matplotlib.pyplot as plt

    labels = list(dict.fromkeys(rows["eval"]))
    series: dict[str, list[Any]] = {}
    for method, part in rows.groupby("method", sort=False):
        series[f"diffstudy {method}"] = [part[part["eval"] == e]["diffstudy ratio"].iloc[0] for e in labels]
    first = rows.drop_duplicates("eval")
    for tool in study.PUBLISHED_TOOLS:
        series[tool] = [first[first["eval"] == e][tool].iloc[0] for e in labels]
    figure, ax = plt.subplots(figsize=(10, 4.5))
    width = 0.8 / len(series)
    for k, (name, values) in enumerate(series.items()):
        ax.bar(
            [i + k * width for i in range(len(labels))], [v if pd.notna(v) else 0 for v in values], width, label=name
        )
    ax.set_yscale("log")
    ax.set_xticks([i + 0.4 - width / 2 for i in range(len(labels))], labels)
    ax.set_ylabel("derivative time / primal time")
    ax.set_title(f"GradBench's smallest workloads: diffstudy here, the tools as published on {study.PUBLISHED_DATE}")
    ax.legend(fontsize=8, ncol=3)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return [path]

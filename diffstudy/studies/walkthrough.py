"""A case to step through: its graph recorded for stepping, beside its comparison four ways.

What the HTML page of ``graph --format html`` and ``diffstudy.graph`` show: the graph with each
node's tangents (forward mode, along the inputs the reader may pick) and each backward sweep
edge by edge (:func:`.graph.build` with ``steps``), and the case compared by every method, so the
page can end with the gradient beside sympy's.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..engine.budget import Budget
from ..harness import compare
from ..harness.cases import Case
from . import graph


@dataclass
class Walkthrough:
    """One case ready to be stepped through."""

    case: Case
    graph: graph.Graph
    comparison: pd.DataFrame  # harness.compare's rows of this case, one per method
    source: list[str]  # the lines of the case's function, as written
    first_line: int | None  # the line number of source[0] in the case's file (None: no source)


def default_directions(case: Case) -> list[str] | None:
    """The forward sweeps a page offers: along every input entry when they are at most
    ``TANGENT_LIMIT``, else along the first entry of each input (None: every entry)."""
    if sum(int(np.size(v)) for v in case.point) <= graph.TANGENT_LIMIT:
        return None
    first = [name if np.ndim(v) == 0 else f"{name}[{','.join('0' * np.ndim(v))}]" for name, v in case.at.items()]
    return first[: graph.TANGENT_LIMIT]


def source_of(case: Case) -> tuple[list[str], int | None]:
    """The case's function as written and the line it starts on; no lines where Python has none."""
    try:
        lines, start = inspect.getsourcelines(case.function)
    except (OSError, TypeError):
        return [], None
    return [line.rstrip("\n") for line in lines], start


def walk(case: Case, along: Sequence[str] | None = None, budget: Budget | None = None) -> Walkthrough:
    """Record ``case`` for stepping (tangents along ``along``, or :func:`default_directions`) and
    compare it by every method.

    Raises:
        graph.TangentChoiceError: ``along`` names no input or entry of the case, or too many.
        Exception: whatever recording the case raises (a domain error, an unsupported call).
    """
    recorded = graph.build(case, tangents=True, along=along or default_directions(case), steps=True)
    comparison = compare.compare([case], budget=budget or Budget())
    source, first_line = source_of(case)
    return Walkthrough(case, recorded, comparison, source, first_line)


def entry_labels(case: Case, index: int) -> list[str]:
    """The entries of input ``index`` as the page names them: ``x``, or ``W1[0,0]``, ``W1[0,1]``, …"""
    return [graph._label(case, index, j) for j in range(int(np.size(case.point[index])))]

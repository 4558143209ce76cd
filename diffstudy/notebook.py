"""The study from Python, as a notebook shows it: objects that display themselves.

``diffstudy.compare(f, at)`` differentiates f four ways and shows the comparison as its table;
``diffstudy.graph(f, at)`` shows the computational graph as the page to step through (the HTML of
``graph --format html``, in a frame of its own); ``diffstudy.swell``, ``cost``, ``chain`` and
``sgd`` run the study's sweeps and show their tables and figures. Each result has
``_repr_html_`` (Jupyter, VS Code) and ``_repr_markdown_`` (where only markdown is shown), and
prints as text.
"""

from __future__ import annotations

import base64
import html
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from .engine.budget import Budget
from .errors import CaseError
from .harness import compare as comparing
from .harness.cases import Case, make_case
from .harness.families import Family
from .output import graph_html, graph_view
from .output.compare_view import compare_view
from .output.report import figures
from .output.tables import display, emit, render
from .studies import chain as chains
from .studies import cost as costs
from .studies import sgd as descents
from .studies import swell as swells
from .studies import walkthrough
from .studies.graph import Graph
from .studies.section import Section

FRAME_HEIGHT = 780  # px of the frame a graph's page is shown in


def _case(f: Callable[..., Any], at: Mapping[str, Any] | None) -> Case:
    """``f`` at ``at`` as a case; a function marked with ``@case`` brings its own point."""
    marked = getattr(f, "__diffstudy_case__", None)
    if at is None:
        if marked is None:
            raise CaseError(
                f"{getattr(f, '__name__', 'the function')}: say where to differentiate it, e.g. at={{'x': 2}}"
            )
        case = marked
    else:
        case = make_case(f, at)
    if case.problem:
        raise CaseError(case.problem)
    return case


def _table_html(frame: pd.DataFrame) -> str:
    return frame.to_html(index=False, escape=True, border=0, na_rep="")


def _notes_html(notes: Sequence[str]) -> str:
    return "".join(f"<p><small>{html.escape(note)}</small></p>" for note in notes)


@dataclass
class Comparison:
    """A function differentiated by every method: ``frame`` has a row per method (the columns of
    ``compare --format json``), ``table`` and ``notes`` are what ``compare`` prints."""

    frame: pd.DataFrame

    @property
    def table(self) -> pd.DataFrame:
        """The comparison as ``compare`` prints it: value, gradient, agreement, operations, sizes."""
        return compare_view(self.frame)[0]

    @property
    def notes(self) -> list[str]:
        """The notes under the table (errors, kinks, underflows)."""
        return compare_view(self.frame)[1]

    @property
    def failed(self) -> bool:
        """Whether a method failed or disagreed with sympy."""
        return comparing.failed(self.frame)

    def _repr_html_(self) -> str:
        return _table_html(self.table) + _notes_html(self.notes)

    def _repr_markdown_(self) -> str:
        return "\n\n".join([render(self.table, "markdown"), *self.notes])

    def __repr__(self) -> str:
        return "\n\n".join([render(self.table, "table"), *self.notes])


def compare(
    f: Callable[..., Any],
    at: Mapping[str, Any] | None = None,
    methods: Sequence[str] | None = None,
    order: int = 1,
    budget: Budget | None = None,
) -> Comparison:
    """Differentiate ``f`` at ``at`` (input name → number or array) by every method — sympy's
    exact derivative, forward mode and reverse mode, each counting its operations — and check them
    against sympy's: ``python -m diffstudy compare`` for one function. ``order`` 2: the Hessian.

    A function marked with ``@case`` brings its own ``at``.

    Example:
        >>> import diffstudy as ds
        >>> ds.compare(lambda x, y: x**3 * (x + 3 * y), {"x": 2, "y": 3}).frame["gradient"].tolist()[0]
        {'x': Fraction(140, 1), 'y': Fraction(24, 1)}
    """
    frame = comparing.compare([_case(f, at)], methods, budget or Budget(), order=order)
    return Comparison(frame)


@dataclass
class GraphPage:
    """A function's computational graph, ready to be stepped through: ``html`` is the page of
    ``graph --format html``, ``graph`` the nodes and edges as DataFrames."""

    walk: walkthrough.Walkthrough
    html: str = field(repr=False)

    @property
    def graph(self) -> Graph:
        """The nodes (value, tangents, adjoints, the line that made each) and edges (local partials)."""
        return self.walk.graph

    def save(self, path: str | Path) -> Path:
        """Write the page to ``path`` (open it in any browser, no network needed); return the path."""
        path = Path(path)
        path.write_text(self.html, encoding="utf-8")
        return path

    def _repr_html_(self) -> str:
        # A frame of its own: the page's script and style stay apart from the notebook's and from
        # another graph's in the same notebook.
        return (
            f'<iframe srcdoc="{html.escape(self.html, quote=True)}" title="computational graph of '
            f'{html.escape(self.walk.case.name)}" style="width: 100%; height: {FRAME_HEIGHT}px; border: 0"></iframe>'
        )

    def _repr_markdown_(self) -> str:
        return render(graph_view.node_table(self.graph), "markdown") + "\n\n" + graph_view.legend(self.graph)

    def __repr__(self) -> str:
        return graph_view.to_text(self.graph, 100)


def graph(f: Callable[..., Any], at: Mapping[str, Any] | None = None, along: Sequence[str] | None = None) -> GraphPage:
    """The computational graph of ``f`` at ``at``, as a page that steps through the forward sweep
    (values, and tangents along an input: ``along`` names the inputs or entries offered, ``["W1"]``
    or ``["W1[0,1]"]``) and the backward sweep edge by edge, to the gradient beside sympy's.

    A function marked with ``@case`` brings its own ``at``.
    """
    walk = walkthrough.walk(_case(f, at), along)
    return GraphPage(walk, graph_html.to_html(walk, graph_html.IN_PYTHON))


@dataclass
class Study:
    """One of the study's sweeps: its titled tables (``sections``) and figures (PNG)."""

    name: str
    sections: list[Section]
    figures: list[bytes] = field(default_factory=list, repr=False)

    def table(self, key: str) -> pd.DataFrame:
        """The table ``key`` names (a family's name, ``growth``, ``orders``, …)."""
        for section in self.sections:
            if section.key == key:
                return section.frame
        raise KeyError(f"{self.name} has the tables {', '.join(s.key for s in self.sections)}")

    def _repr_html_(self) -> str:
        parts = [
            f"<h4>{html.escape(s.title)}</h4>" + _table_html(display(s.frame)) + _notes_html(s.notes)
            for s in self.sections
        ]
        parts += [
            f'<img alt="{self.name}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'
            for png in self.figures
        ]
        return "".join(parts)

    def _repr_markdown_(self) -> str:
        return emit(self.sections, "markdown")

    def __repr__(self) -> str:
        return emit(self.sections, "table", 100)


def _families(chosen: Sequence[str | Callable[..., Any]], builtin: Mapping[str, Family]) -> list[Family]:
    """Built-in families by name, or functions marked with ``@family``."""
    found = []
    for item in chosen:
        marked = getattr(item, "__diffstudy_family__", None)
        if marked is not None:
            found.append(marked)
        elif isinstance(item, str) and item in builtin:
            found.append(builtin[item])
        else:
            raise ValueError(
                f"{item!r} is not a family: choose from {', '.join(builtin)}, or mark a function with @family"
            )
    return found


def _drawn(draw: Callable[[Path], Any]) -> bytes:
    """A figure drawn by the report's code into a file, as PNG bytes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "figure.png"
        draw(path)
        return path.read_bytes()


def swell(*families: str | Callable[..., Any], max_k: int | None = None) -> Study:
    """Sweep families of programs over their size k (``python -m diffstudy swell``): sympy's
    trees against the tape, until the budget. Built-in families by name (``"logistic"``,
    ``"chebyshev"``, ``"nested_sin"``, ``"speelpenning"``; all by default) or ``@family`` functions."""
    limits = swells.Limits(max_k=max_k)
    sweeps = [swells.sweep(family, limits) for family in _families(families or list(swells.FAMILIES), swells.FAMILIES)]
    return Study("swell", swells.sections(sweeps), [_drawn(lambda path: figures._figure_swell(sweeps, path))])


def cost(*functions: str | Callable[..., Any], max_n: int | None = None) -> Study:
    """Operations of the forward, reverse and symbolic gradients over ops(f), for n inputs
    (``python -m diffstudy cost``): ``"speelpenning"``, ``"rosenbrock"``, ``"log_sum_exp"``,
    ``"quadratic_form"`` (all by default) or ``@family`` functions."""
    limits = costs.CostLimits(max_n=max_n)
    sweeps = [costs.sweep(family, limits) for family in _families(functions or list(costs.FUNCTIONS), costs.FUNCTIONS)]
    return Study("cost", costs.sections(sweeps))


def chain(dims: Sequence[int] = chains.DIMS, sizes: Sequence[tuple[int, int]] = chains.PROBLEM2_SIZES) -> Study:
    """Every order of a matrix chain of these dimensions, costed and counted, the best by dynamic
    programming, with the lecture's A·B·C and Problem 2 at ``sizes`` (m, n) (``python -m diffstudy chain``)."""
    return Study("chain", chains.sections(dims, sizes=sizes))


def sgd(
    seed: int = descents.Settings().seed,
    trials: int = descents.Settings().trials,
    sizes: Sequence[int] = descents.Settings().sizes,
    samples: int = descents.Settings().samples,
    epochs: int = descents.Settings().epochs,
) -> Study:
    """The lecture's two projects (``python -m diffstudy sgd``): running averages with and without
    replacement, and SGD on least squares and its region of confusion."""
    measured = descents.study(descents.Settings(seed, trials, tuple(sizes), samples, epochs))
    with tempfile.TemporaryDirectory() as folder:
        drawn = [path.read_bytes() for path in figures.sgd_figures(measured, Path(folder))]
    return Study("sgd", descents.sections(measured), drawn)

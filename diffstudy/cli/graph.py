"""``python -m diffstudy graph CASE``: the computational graph recorded on the tape."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..harness.cases import Case
from ..output import graph_html, graph_view
from ..studies import graph, saved, walkthrough
from ..studies.section import Section
from .common import (
    FAILED,
    OK,
    USAGE,
    UsageError,
    add_case_options,
    add_debug,
    add_format,
    gather_cases,
    on_one_case,
    output_width,
    print_sections,
)

RENDERERS = {
    "text": graph_view.to_text,
    "dot": graph_view.to_dot,
    "mermaid": graph_view.to_mermaid,
    "json": graph_view.to_json,
    "html": None,  # the page to step through: recorded for stepping and compared, see run
}


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``graph`` and its options."""
    parser = commands.add_parser(
        "graph",
        help="draw the computational graph of one case, with local partials and adjoints",
        description=(
            "Record one case on the tape and show its computational graph: each node's operation "
            "and value, each edge's local partial derivative, and each node's adjoint after the "
            "backward sweep (one per output). Mermaid renders on GitHub; dot renders with Graphviz. "
            "html is one self-contained page to open in a browser: the graph beside the case's source, "
            "stepped through the forward sweep (values and tangents) and the backward sweep edge by edge, "
            "ending with the gradient beside forward mode's and sympy's."
        ),
    )
    parser.add_argument("name", metavar="CASE", nargs="?", help="the case to draw, e.g. lecture27 or problem5")
    add_case_options(parser, select=False)
    add_format(parser, tuple(RENDERERS))
    parser.add_argument(
        "-o", "--output", metavar="FILE", type=Path, help="write to FILE instead of standard output (e.g. graph.html)"
    )
    parser.add_argument(
        "--tangents",
        metavar="INPUT",
        nargs="?",
        action="append",
        help=(
            "also show each node's forward-mode tangent ∂node/∂input, one forward sweep per input entry "
            f"(at most {graph.TANGENT_LIMIT}); --tangents W1 sweeps along the entries of input W1 only, "
            "--tangents W1[0,1] along one entry (repeatable)"
        ),
    )
    parser.add_argument(
        "--saved",
        action="store_true",
        help=(
            "list what the tape keeps for the backward sweep instead: each value, partial and linear map, "
            "its shape and bytes, and the line of the case that made it (--format text or json)"
        ),
    )
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Record the case and print its graph in the chosen format."""
    name, along = case_and_tangents(args)
    if args.saved and (args.format not in ("text", "json") or args.tangents is not None):
        raise UsageError("--saved lists what the tape keeps as a table: with --format text or json, without --tangents")
    cases, problems = gather_cases(args, [name])
    if not cases:
        return USAGE
    if args.saved:
        return list_saved(cases[0], args, problems)
    if args.format == "html":
        recorded = None
        text = on_one_case(
            args,
            cases[0],
            "recording the graph",
            lambda case: graph_html.to_html(walkthrough.walk(case, along)),
            (graph.TangentChoiceError,),
        )
    else:
        recorded = text = on_one_case(
            args,
            cases[0],
            "recording the graph",
            lambda case: graph.build(case, tangents=args.tangents is not None, along=along),
            (graph.TangentChoiceError,),
        )
    if text is None:
        return FAILED
    if args.format == "text":
        text = graph_view.to_text(recorded, output_width(args))
    elif args.format != "html":
        text = RENDERERS[args.format](recorded)
    if args.output is None:
        print(text)
    else:
        write(args.output, text)
    return USAGE if problems else OK


def write(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, or say in one line why it cannot be written."""
    try:
        path.write_text(text + "\n", encoding="utf-8")
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    print(f"diffstudy: wrote {path}", file=sys.stderr)


def case_and_tangents(args: argparse.Namespace) -> tuple[str, list[str] | None]:
    """The case to draw, and the inputs or entries ``--tangents`` names (None: every entry).

    ``graph --tangents lecture27`` is read as it was meant before ``--tangents`` took an input:
    the case, and tangents along every entry.
    """
    tangents = args.tangents
    name = args.name
    if name is None and tangents and tangents[-1] is not None:
        name, tangents = tangents[-1], [*tangents[:-1], None]
    if name is None:
        raise UsageError("graph needs the case to draw, e.g. python -m diffstudy graph lecture27")
    if not tangents or None in tangents:
        return name, None
    return name, tangents


def list_saved(case: Case, args: argparse.Namespace, problems: list[str]) -> int:
    """Print what the case's tape keeps for the backward sweep, row by row, with the totals."""
    listed = on_one_case(args, case, "recording the tape", saved.saved)
    if listed is None:
        return FAILED
    title = f"What the tape of {case.name} keeps for the backward sweep"
    shown = argparse.Namespace(**{**vars(args), "format": "table" if args.format == "text" else args.format})
    print_sections([Section("saved", title, listed.rows, saved.notes(listed))], shown)
    return USAGE if problems else OK

"""The command line: ``python -m diffstudy compare`` and the study's other commands.

Exit statuses: 0 when everything ran and agreed (a sweep stopped by its budget counts as run);
1 when a method failed or disagreed; 2 for bad usage or a case file that cannot be loaded; 130
when interrupted (a sweep interrupted with Ctrl-C still prints what it measured). Errors are one
line each; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from . import chain, cost, graph, report, swell
from .budget import Budget, parse_budget
from .cases import Case, builtin_cases_dir, load_cases
from .compare import DEFAULT_RTOL, compare, describe, failed
from .methods import METHODS
from .progress import Progress
from .tables import FORMATS, compare_view, emit, render, to_csv, to_json

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad usage: reported in one line, exit status 2."""


def error_printer(debug: bool) -> Callable[[BaseException], None]:
    """What to do with an error a method reported: print its traceback under ``--debug``."""

    def show(error: BaseException) -> None:
        if debug:
            traceback.print_exception(error, file=sys.stderr)

    return show


def budget_argument(text: str) -> Budget:
    """argparse type for ``--budget``."""
    try:
        return parse_budget(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def select(cases: list[Case], names: Sequence[str] | None) -> list[Case]:
    """The cases named (all when no names); an unknown name is a UsageError listing close names."""
    if not names:
        return cases
    known = {c.name: c for c in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(known), n=4, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known cases: {', '.join(known)}"
        raise UsageError(f"unknown case {name!r}{hint}")
    return [known[n] for n in dict.fromkeys(names)]


def gather_cases(args: argparse.Namespace) -> tuple[list[Case], list[str]]:
    """The built-in cases (unless ``--no-builtin``), those under ``--cases``, filtered by ``--case``.

    Problems loading them are printed here, one line each, and returned so the exit status can
    report them; the cases that did load still run.
    """
    paths = ([] if args.no_builtin else [builtin_cases_dir()]) + list(args.cases or [])
    cases, problems = load_cases(paths, on_error=error_printer(args.debug))
    for problem in problems:
        print(f"diffstudy: {problem}", file=sys.stderr)
    cases = select(cases, args.case)
    if not cases and not problems:
        raise UsageError("no cases to run")
    return cases, problems


def run_compare(args: argparse.Namespace) -> int:
    """``compare``: every case, every method, one table."""
    cases, problems = gather_cases(args)
    with Progress(len(cases), "compare") as progress:
        frame = compare(
            cases,
            methods=args.methods,
            budget=args.budget,
            rtol=args.rtol,
            progress=progress.step,
            on_error=error_printer(args.debug),
        )
    if args.format == "json":
        print(to_json(frame))
    elif args.format == "csv":
        print(to_csv(frame), end="")
    else:
        table, notes = compare_view(frame)
        print(render(table, args.format))
        if notes:
            print()
            print("\n".join(notes))
        if args.format == "table":
            print()
            print(COMPARE_LEGEND)
    if problems:
        return USAGE
    return FAILED if failed(frame) else OK


def run_graph(args: argparse.Namespace) -> int:
    """``graph CASE``: the computational graph recorded on the tape, with partials and adjoints."""
    args.case = [args.name]
    cases, problems = gather_cases(args)
    if not cases:
        return USAGE
    try:
        with Budget().clock("recording the graph"):
            recorded = graph.build(cases[0], tangents=args.tangents)
    except Exception as error:
        error_printer(args.debug)(error)
        print(f"diffstudy: {cases[0].name}: {describe(error, cases[0])}", file=sys.stderr)
        return FAILED
    renderers = {
        "text": graph.to_text,
        "dot": graph.to_dot,
        "mermaid": graph.to_mermaid,
        "json": graph.to_json,
    }
    print(renderers[args.format](recorded))
    return USAGE if problems else OK


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def pair(text: str) -> tuple[int, int]:
    """argparse type for ``m,n``."""
    try:
        m, n = (int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not m,n (two integers)") from None
    return m, n


def widths(text: str) -> tuple[int, ...]:
    """argparse type for ``8,6,4,1``: layer widths, input first."""
    try:
        values = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a list of widths such as 8,6,4,1") from None
    if len(values) < 2 or min(values) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give at least two positive widths")
    return values


def sweep_each(label: str, items: Sequence[Any], total: int, sweep_one: Callable[..., Any]) -> list[Any]:
    """Sweep every item under one progress line; stop after a sweep the user interrupted."""
    sweeps = []
    with Progress(total, label) as progress:
        for item in items:
            sweeps.append(sweep_one(item, progress.step))
            if sweeps[-1].interrupted:
                break
    return sweeps


def run_swell(args: argparse.Namespace) -> int:
    """``swell``: sweep each family upwards until the symbolic derivative passes the budget."""
    limits = swell.Limits(
        budget=args.budget, expand_nodes=args.expand_gate, simplify_nodes=args.simplify_gate, max_k=args.max_k
    )
    families = [swell.FAMILIES[name] for name in dict.fromkeys(args.family or swell.FAMILIES)]
    total = sum(len([k for k in f.ks if args.max_k is None or k <= args.max_k]) for f in families)
    sweeps = sweep_each("swell", families, total, lambda family, step: swell.sweep(family, limits, step))
    survey = swell.survey_table() if swell.FAMILIES["logistic"] in families else None
    print(emit(swell.sections(sweeps, survey), args.format))
    return INTERRUPTED if sweeps[-1].interrupted else OK


def run_cost(args: argparse.Namespace) -> int:
    """``cost``: the operations of a gradient, as ratios to ops(f), for n = 1, 2, 4, …"""
    limits = cost.CostLimits(
        budget=args.budget, max_ops=args.max_ops, symbolic_max_n=args.symbolic_max_n, max_n=args.max_n
    )
    functions = [cost.FUNCTIONS[name] for name in dict.fromkeys(args.function or cost.FUNCTIONS)]
    total = sum(len([n for n in f.sizes if args.max_n is None or n <= args.max_n]) for f in functions)
    sweeps = sweep_each("cost", functions, total, lambda function, step: cost.sweep(function, limits, step))
    if sweeps[-1].interrupted:
        print(emit(cost.sections(sweeps), args.format))
        return INTERRUPTED
    crossover = cost.crossover_table(args.crossover) if args.crossover else None
    print(emit(cost.sections(sweeps, crossover), args.format))
    return OK


def run_chain(args: argparse.Namespace) -> int:
    """``chain``: every order of a matrix chain, the lecture's ABC, Problem 2, and the AD link."""
    if len(args.dims) < 3:
        raise UsageError("--dims needs at least three numbers (two matrices)")
    if len(args.dims) > 9:
        raise UsageError("--dims lists every order, so it takes at most nine numbers (eight matrices)")
    parts = chain.sections(
        dims=args.dims,
        lecture=args.lecture,
        sizes=args.problem2 or chain.PROBLEM2_SIZES,
        shapes=args.layers or chain.LAYER_SHAPES,
    )
    print(emit(parts, args.format))
    return OK


def run_report(args: argparse.Namespace) -> int:
    """``report``: measure everything and write REPORT.md with its figures."""
    figures = args.figures or args.output.parent / "figures"
    with Progress(None, "report") as progress:
        written = report.write(args.output, figures, progress=progress.step)
    for path in written:
        print(f"wrote {path}")
    return OK


COMPARE_LEGEND = (
    "ops: arithmetic operations and elementary-function calls, counted while each method ran; "
    "ops/f: ops divided by those of the function alone.\n"
    "symbolic: the value and derivative expressions evaluated as trees (cse: after sympy.cse); "
    "forward: all n passes of dual numbers; reverse: recording plus backward sweep.\n"
    "size: expression-tree nodes (symbolic) or tape length (reverse). agreement: largest relative "
    "difference from sympy's exact value."
)


def add_common(parser: argparse.ArgumentParser) -> None:
    """Options every command takes."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def add_case_options(parser: argparse.ArgumentParser) -> None:
    """``--cases``, ``--no-builtin`` and ``--case``."""
    parser.add_argument(
        "--cases",
        metavar="PATH",
        type=Path,
        action="append",
        help="also load cases from this file or folder of .py files (repeatable)",
    )
    parser.add_argument("--no-builtin", action="store_true", help="leave out the built-in cases")
    parser.add_argument("--case", metavar="NAME", action="append", help="run only this case (repeatable)")


def add_format(parser: argparse.ArgumentParser) -> None:
    """``--format``."""
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="table",
        help="table (default), markdown, csv, or json (a list of records)",
    )


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m diffstudy``."""
    parser = argparse.ArgumentParser(
        prog="python -m diffstudy",
        description=(
            "Differentiate the same program three ways (symbolic with sympy, forward-mode dual "
            "numbers, a reverse-mode tape), check that they agree, and measure what each costs."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    compare_parser = commands.add_parser(
        "compare",
        help="differentiate every case three ways and print one table",
        description=(
            "Differentiate every case by every method and print values, gradients, agreement "
            "with sympy's exact value, measured operation counts and sizes. Exit status: 0 all "
            "agree, 1 a method failed or disagreed, 2 bad usage or a case file that cannot load."
        ),
        epilog=COMPARE_LEGEND,
    )
    add_case_options(compare_parser)
    add_format(compare_parser)
    compare_parser.add_argument(
        "--method",
        dest="methods",
        metavar="METHOD",
        action="append",
        choices=list(METHODS),
        help=f"run only this method (repeatable; {', '.join(METHODS)})",
    )
    compare_parser.add_argument(
        "--budget",
        type=budget_argument,
        default=Budget(),
        help="limit of the symbolic derivative (tree nodes) and of each method's run (seconds), e.g. 200000 or 30s "
        "or 200000,30s (default 200000,20s)",
    )
    compare_parser.add_argument(
        "--rtol",
        type=float,
        default=DEFAULT_RTOL,
        help=f"largest relative difference still counted as agreement (default {DEFAULT_RTOL:g})",
    )
    add_common(compare_parser)
    compare_parser.set_defaults(run=run_compare)

    graph_parser = commands.add_parser(
        "graph",
        help="draw the computational graph of one case, with local partials and adjoints",
        description=(
            "Record one case on the tape and show its computational graph: each node's operation "
            "and value, each edge's local partial derivative, and each node's adjoint after the "
            "backward sweep (one per output). Mermaid renders on GitHub; dot renders with Graphviz."
        ),
    )
    graph_parser.add_argument("name", metavar="CASE", help="the case to draw, e.g. lecture27 or problem5")
    graph_parser.add_argument(
        "--cases",
        metavar="PATH",
        type=Path,
        action="append",
        help="also load cases from this file or folder of .py files (repeatable)",
    )
    graph_parser.add_argument("--no-builtin", action="store_true", help="leave out the built-in cases")
    graph_parser.add_argument(
        "--format", choices=graph.GRAPH_FORMATS, default="text", help="text (default), dot, mermaid or json"
    )
    graph_parser.add_argument(
        "--tangents",
        action="store_true",
        help="also show each node's forward-mode tangent ∂node/∂input, one forward sweep per input",
    )
    add_common(graph_parser)
    graph_parser.set_defaults(run=run_graph)

    swell_parser = commands.add_parser(
        "swell",
        help="how the symbolic derivative swells while the tape stays small, measured",
        description=(
            "Sweep families of programs (logistic map, Chebyshev recurrence, nested sin, "
            "Speelpenning's product) over a size k. For each k, size every representation of the "
            "value and gradient (sympy's trees, after CSE, expand and simplify; the tape run on sympy "
            "symbols as a DAG) and count every method's operations. A family stops at the first k "
            "whose symbolic derivative passes the budget; each column's growth is fitted from the data."
        ),
    )
    swell_parser.add_argument(
        "--family",
        action="append",
        choices=list(swell.FAMILIES),
        help="sweep only this family (repeatable; default: all)",
    )
    swell_parser.add_argument(
        "--budget",
        type=budget_argument,
        default=swell.Limits().budget,
        help="limit of the symbolic derivative, nodes and/or seconds per step (default 200000,30s)",
    )
    swell_parser.add_argument("--max-k", type=positive_int, help="largest k to try")
    swell_parser.add_argument(
        "--expand-gate",
        type=int,
        default=swell.Limits().expand_nodes,
        help="try sympy.expand only up to this many nodes (default %(default)s)",
    )
    swell_parser.add_argument(
        "--simplify-gate",
        type=int,
        default=swell.Limits().simplify_nodes,
        help="try sympy.simplify only up to this many nodes (default %(default)s)",
    )
    add_format(swell_parser)
    add_common(swell_parser)
    swell_parser.set_defaults(run=run_swell)

    cost_parser = commands.add_parser(
        "cost",
        help="the cheap gradient principle: gradient cost over ops(f) as n grows",
        description=(
            "For functions of n = 1, 2, 4, … inputs (Speelpenning, extended Rosenbrock, log-sum-exp, "
            "a dense quadratic form), count the operations of f, of the forward-mode gradient (n "
            "passes), of the reverse-mode gradient and of sympy's gradient, and their ratios to ops(f). "
            "Then the Jacobian crossover of ℝⁿ → ℝᵐ: forward n passes against reverse m sweeps."
        ),
    )
    cost_parser.add_argument(
        "--function", action="append", choices=list(cost.FUNCTIONS), help="only this function (repeatable)"
    )
    cost_parser.add_argument("--max-n", type=positive_int, help="largest n (default 1024)")
    cost_parser.add_argument(
        "--symbolic-max-n", type=positive_int, default=64, help="largest n for sympy's gradient (default 64)"
    )
    cost_parser.add_argument(
        "--max-ops",
        type=positive_int,
        default=cost.CostLimits().max_ops,
        help="a method that counted more operations than this is not run at larger n (default %(default)s)",
    )
    cost_parser.add_argument(
        "--budget",
        type=budget_argument,
        default=cost.CostLimits().budget,
        help="limit of sympy's gradient: nodes and/or seconds (default 100000,20s)",
    )
    cost_parser.add_argument(
        "--crossover",
        type=int,
        default=64,
        help="n·m of the Jacobian crossover table (default 64; 0 leaves the table out)",
    )
    add_format(cost_parser)
    add_common(cost_parser)
    cost_parser.set_defaults(run=run_cost)

    chain_parser = commands.add_parser(
        "chain",
        help="the order of a matrix product matters, and forward/reverse mode are two orders",
        description=(
            "Cost every parenthesization of a matrix chain and find the best by dynamic programming, "
            "each cost checked by multiplying real matrices of counting numbers; the lecture's A·B·C "
            "with C a column; Problem 2's A(AᵀA) against (AAᵀ)A; and forward and reverse mode on "
            "linear layers, measured beside the chain costs of the two orders."
        ),
    )
    chain_parser.add_argument(
        "--dims",
        type=positive_int,
        nargs="+",
        default=[10, 100, 5, 1],
        help="matrix i is dims[i] × dims[i+1] (default 10 100 5 1)",
    )
    chain_parser.add_argument(
        "--lecture",
        type=positive_int,
        nargs=3,
        metavar=("M", "N", "P"),
        default=[50, 50, 50],
        help="sizes of the lecture's A (m×n) and B (n×p); C is p×1 (default 50 50 50)",
    )
    chain_parser.add_argument(
        "--problem2", type=pair, action="append", metavar="M,N", help="a size of A for Problem 2 (repeatable)"
    )
    chain_parser.add_argument(
        "--layers",
        type=widths,
        action="append",
        metavar="W,W,…",
        help="layer widths, input first (repeatable)",
    )
    add_format(chain_parser)
    add_common(chain_parser)
    chain_parser.set_defaults(run=run_chain)

    report_parser = commands.add_parser(
        "report",
        help="measure everything and write REPORT.md with its figures",
        description=(
            "Run compare, swell, cost, chain and graph on the built-in cases and write REPORT.md: "
            "tables, figures (matplotlib, into figures/) and findings whose numbers are inserted from "
            "the measurements. The sweeps stop on node and operation counts, never on the clock, so the "
            "text is the same on every machine. Takes about a minute."
        ),
    )
    report_parser.add_argument(
        "--output", type=Path, default=Path("REPORT.md"), help="where to write the report (default REPORT.md)"
    )
    report_parser.add_argument("--figures", type=Path, help="folder for the figures (default: figures/ beside it)")
    add_common(report_parser)
    report_parser.set_defaults(run=run_report)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "methods", "unset") is None:
        args.methods = list(METHODS)
    try:
        return args.run(args)
    except UsageError as error:
        print(f"diffstudy: {error}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("diffstudy: interrupted", file=sys.stderr)
        return INTERRUPTED

"""``python -m diffstudy compare``: every case, every method, one table."""

from __future__ import annotations

import argparse
import sys

from ..engine.budget import Budget
from ..harness.compare import DEFAULT_RTOL, compare, failed, methods_of
from ..harness.hessians import SECOND_ORDER
from ..harness.methods import METHODS
from ..output.compare_view import COMPARE_LEGEND, HESSIAN_LEGEND, compare_view
from ..output.tables import render, render_fitted, to_csv, to_json, wrap
from .common import (
    FAILED,
    OK,
    USAGE,
    UsageError,
    add_budget,
    add_case_options,
    add_debug,
    add_format,
    case_output_to_stderr,
    error_printer,
    gather_cases,
    output_width,
    text_width,
    tolerance,
)
from .progress import Progress


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``compare`` and its options."""
    parser = commands.add_parser(
        "compare",
        help="differentiate every case four ways and print one table",
        description=(
            "Differentiate every case by every method and print values, gradients, agreement "
            "with sympy's exact value, measured operation counts and sizes. Exit status: 0 all "
            "agree, 1 a method failed or disagreed, 2 bad usage or a case file that cannot load."
        ),
        epilog=COMPARE_LEGEND,
    )
    add_case_options(parser)
    add_format(parser, what=" (a list of records)")
    parser.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=1,
        help="1: gradients (default); 2: Hessians, five ways (sympy, the modes nested, forward over generated code)",
    )
    parser.add_argument(
        "--method",
        dest="methods",
        metavar="METHOD",
        action="append",
        choices=list(dict.fromkeys([*METHODS, *SECOND_ORDER])),
        help=(f"run only this method (repeatable; {', '.join(METHODS)}; with --order 2: {', '.join(SECOND_ORDER)})"),
    )
    add_budget(
        parser,
        Budget(),
        "limit of the symbolic derivative (tree nodes) and of each method's run (seconds, a safety stop)",
    )
    parser.add_argument(
        "--full", action="store_true", help="show every entry of each value and gradient (a wide table)"
    )
    parser.add_argument(
        "--rtol",
        type=tolerance,
        default=DEFAULT_RTOL,
        help=f"largest relative difference still counted as agreement (default {DEFAULT_RTOL:g})",
    )
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Compare the cases and print the table; the exit status says whether all agreed."""
    methods = methods_of(args.order)
    wrong = [m for m in args.methods or [] if m not in methods]
    if wrong:
        other = 2 if args.order == 1 else 1
        raise UsageError(
            f"--method {wrong[0]} does not compute order {args.order} (it is a method of --order {other}): "
            f"choose from {', '.join(methods)}"
        )
    cases, problems = gather_cases(args, args.case)
    if not cases:  # every file failed to load: its problems are said, and there is no table
        return USAGE
    with Progress(len(cases), "compare") as progress, case_output_to_stderr():
        frame = compare(
            cases,
            methods=args.methods,
            budget=args.budget,
            rtol=args.rtol,
            progress=progress.step,
            on_error=error_printer(args.debug),
            order=args.order,
        )
    if args.format == "json":
        print(to_json(frame))
    elif args.format == "csv":
        print(to_csv(frame), end="")
    else:
        width = None if args.full else output_width(args)
        table, notes = compare_view(frame, width, args.full)
        # What is still too wide at its shortest goes in blocks of columns, each led by case and method.
        print(render_fitted(table, width) if args.format == "table" and width else render(table, args.format))
        # With --full or --wide the table is as wide as its numbers; the text around it still fits.
        if notes:
            print()
            print("\n".join(wrap(note, text_width(), "    ") for note in notes))
        if args.format == "table":
            legend = COMPARE_LEGEND if args.order == 1 else HESSIAN_LEGEND
            if "size" not in table.columns:
                legend += " (The size column is left out to fit this width: --wide shows it.)"
            print()
            print(wrap(legend, text_width()))
    if problems:  # said above the table, as the files loaded; counted again below it, where it is seen
        print(f"diffstudy: {len(problems)} problem(s) loading the cases, said above the table", file=sys.stderr)
        return USAGE
    return FAILED if failed(frame) else OK

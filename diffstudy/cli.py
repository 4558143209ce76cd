"""The command line: ``python -m diffstudy compare`` and the study's other commands.

Exit statuses: 0 when everything ran and agreed; 1 when a method failed or disagreed; 2 for bad
usage or a case file that cannot be loaded. Errors are one line each; ``--debug`` adds the
traceback.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path

from .budget import Budget, parse_budget
from .cases import Case, builtin_cases_dir, load_cases
from .compare import DEFAULT_RTOL, compare, failed
from .methods import METHODS
from .progress import Progress
from .tables import FORMATS, compare_view, output

OK, FAILED, USAGE = 0, 1, 2


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
    """The built-in cases (unless ``--no-builtin``), those under ``--cases``, filtered by ``--case``."""
    paths = ([] if args.no_builtin else [builtin_cases_dir()]) + list(args.cases or [])
    cases, problems = load_cases(paths, on_error=error_printer(args.debug))
    cases = select(cases, args.case)
    if not cases and not problems:
        raise UsageError("no cases to run")
    return cases, problems


def run_compare(args: argparse.Namespace) -> int:
    """``compare``: every case, every method, one table."""
    cases, problems = gather_cases(args)
    for problem in problems:
        print(f"diffstudy: {problem}", file=sys.stderr)
    with Progress(len(cases), "compare") as progress:
        frame = compare(
            cases,
            methods=args.methods,
            budget=args.budget,
            rtol=args.rtol,
            progress=progress.step,
            on_error=error_printer(args.debug),
        )
    if args.format in ("table", "markdown"):
        table, notes = compare_view(frame)
        print(output(frame, args.format, lambda f: table))
        if notes:
            print()
            print("\n".join(notes))
        if args.format == "table":
            print()
            print(COMPARE_LEGEND)
    else:
        print(output(frame, args.format, compare_view))
    if problems:
        return USAGE
    return FAILED if failed(frame) else OK


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
        help="limit of the symbolic derivative: tree nodes and/or seconds, e.g. 200000 or 30s "
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
        return 130

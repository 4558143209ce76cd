"""``python -m diffstudy report``: measure everything and write REPORT.md with its figures."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ..harness.loading import load_cases_and_families
from ..output import report
from .common import FAILED, OK, UsageError, add_debug, case_output_to_stderr, check_paths, error_printer
from .progress import Progress

DEFAULT_OUTPUT = Path("REPORT.md")


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``report`` and its options."""
    parser = commands.add_parser(
        "report",
        help="measure everything and write REPORT.md with its figures",
        description=(
            "Run compare, swell, cost, chain and graph on the built-in cases, and sgd, and write REPORT.md: "
            "tables, figures (matplotlib, into figures/) and findings whose numbers are inserted from "
            "the measurements. The sweeps stop on node and operation counts, never on the clock, so the "
            "text is the same on every machine. Takes one to two minutes. With --cases, your own cases "
            "join the comparison and your @family families the swell and cost studies, in a report of "
            "your own (--output)."
        ),
    )
    parser.add_argument(
        "--output", type=Path, help=f"where to write the report (default {DEFAULT_OUTPUT}; with --cases, required)"
    )
    parser.add_argument("--figures", type=Path, help="folder for the figures (default: figures/ beside it)")
    parser.add_argument(
        "--cases",
        metavar="PATH",
        type=Path,
        action="append",
        help=(
            "also measure the @case cases (compared in section 1) and @family families (swept in "
            "sections 3 and 4) of this file or folder (repeatable)"
        ),
    )
    add_debug(parser)
    parser.set_defaults(run=run)


def gather_user_cases(args: argparse.Namespace) -> report.UserCases | None:
    """The user's cases and families under ``--cases``, or None without it. Problems loading
    them are printed, one line each, and are a UsageError: nothing is measured for a minute
    only to leave a file out."""
    if not args.cases:
        return None
    if args.output is None:
        raise UsageError(
            f"--cases needs --output: {DEFAULT_OUTPUT} is the study's report of its built-in cases; "
            "write yours elsewhere, e.g. --output my_report/REPORT.md"
        )
    check_paths(args.cases)
    with case_output_to_stderr():
        cases, families, problems = load_cases_and_families(args.cases, on_error=error_printer(args.debug))
    for problem in problems:
        print(f"diffstudy: {problem}", file=sys.stderr)
    if problems:
        raise UsageError(f"{len(problems)} problem(s) loading --cases, said above; nothing was measured")
    return report.UserCases(cases, families, tuple(str(path) for path in args.cases))


def run(args: argparse.Namespace) -> int:
    """Write the report and say which files were written; with the user's cases, exit 1 when one
    of them failed or disagreed (the report says which)."""
    user = gather_user_cases(args)
    output = args.output or DEFAULT_OUTPUT
    figures = args.figures or output.parent / "figures"
    for folder in (output.parent, figures):  # before a minute of measuring, not after
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot write into {folder}: {error.strerror}") from None
    with Progress(None, "report") as progress, case_output_to_stderr():
        written, measured = report.write(output, figures, progress=progress.step, user=user)
    for path in written:
        print(f"wrote {path}")
    if measured.user is not None and measured.user.failed():
        print(f"diffstudy: some of your cases or families failed or disagreed: see {output}", file=sys.stderr)
        return FAILED
    return OK

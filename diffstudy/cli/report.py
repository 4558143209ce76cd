"""``python -m diffstudy report``: measure everything and write REPORT.md with its figures."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..output import report
from .common import OK, UsageError, add_debug
from .progress import Progress


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``report`` and its options."""
    parser = commands.add_parser(
        "report",
        help="measure everything and write REPORT.md with its figures",
        description=(
            "Run compare, swell, cost, chain and graph on the built-in cases, and sgd, and write REPORT.md: "
            "tables, figures (matplotlib, into figures/) and findings whose numbers are inserted from "
            "the measurements. The sweeps stop on node and operation counts, never on the clock, so the "
            "text is the same on every machine. Takes one to two minutes."
        ),
    )
    parser.add_argument(
        "--output", type=Path, default=Path("REPORT.md"), help="where to write the report (default %(default)s)"
    )
    parser.add_argument("--figures", type=Path, help="folder for the figures (default: figures/ beside it)")
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the report and say which files were written."""
    figures = args.figures or args.output.parent / "figures"
    for folder in (args.output.parent, figures):  # before a minute of measuring, not after
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise UsageError(f"cannot write into {folder}: {error.strerror}") from None
    with Progress(None, "report") as progress:
        written = report.write(args.output, figures, progress=progress.step)
    for path in written:
        print(f"wrote {path}")
    return OK

"""What every command shares: exit statuses, argument types, the options declared once, cases.

An option's default is shown from the object that owns it (a :class:`Budget`, a study's limits),
never typed into the help text a second time.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from ..engine.budget import Budget, parse_budget
from ..harness.cases import Case
from ..harness.loading import builtin_cases_dir, load_cases
from ..output.tables import FORMATS
from ..studies.programs import Family, sizes_up_to
from .progress import Progress

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130


class UsageError(Exception):
    """Bad usage: reported in one line, exit status 2."""


def error_printer(debug: bool) -> Callable[[BaseException], None]:
    """What to do with an error a method reported: print its traceback under ``--debug``."""

    def show(error: BaseException) -> None:
        if debug:
            traceback.print_exception(error, file=sys.stderr)

    return show


# ---------------------------------------------------------------- argument types


def budget_argument(text: str) -> Budget:
    """argparse type for ``--budget``."""
    try:
        return parse_budget(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


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


# ---------------------------------------------------------------- options declared once


def add_debug(parser: argparse.ArgumentParser) -> None:
    """``--debug``, which every command takes."""
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")


def add_case_options(parser: argparse.ArgumentParser, *, select: bool = True) -> None:
    """``--cases`` and ``--no-builtin``; ``--case`` too unless the command names its case itself."""
    parser.add_argument(
        "--cases",
        metavar="PATH",
        type=Path,
        action="append",
        help="also load cases from this file or folder of .py files (repeatable)",
    )
    parser.add_argument("--no-builtin", action="store_true", help="leave out the built-in cases")
    if select:
        parser.add_argument("--case", metavar="NAME", action="append", help="run only this case (repeatable)")


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str] = FORMATS, what: str = "") -> None:
    """``--format``, its first choice the default."""
    listed = ", ".join(choices[1:-1]) + f", or {choices[-1]}" if len(choices) > 2 else choices[-1]
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"{choices[0]} (default), {listed}{what}",
    )


def add_budget(parser: argparse.ArgumentParser, default: Budget, what: str) -> None:
    """``--budget``: nodes and/or seconds, its default read from ``default``."""
    parser.add_argument(
        "--budget",
        type=budget_argument,
        default=default,
        help=f"{what}, e.g. 200000 or 30s or 200000,30s (default {default})",
    )


# ---------------------------------------------------------------- cases


def select(cases: list[Case], names: Sequence[str] | None) -> list[Case]:
    """The cases named (all when no names); an unknown name is a UsageError listing close names."""
    if not names:
        return cases
    known = {c.name: c for c in cases}
    unknown = [n for n in names if n not in known]
    if unknown:
        name = unknown[0]
        close = difflib.get_close_matches(name, list(known), n=4, cutoff=0.6)
        hint = f"; did you mean {', '.join(close)}?" if close else f"; known cases: {', '.join(known)}"
        raise UsageError(f"unknown case {name!r}{hint}")
    return [known[n] for n in dict.fromkeys(names)]


def gather_cases(args: argparse.Namespace, names: Sequence[str] | None) -> tuple[list[Case], list[str]]:
    """The built-in cases (unless ``--no-builtin``) and those under ``--cases``, filtered by ``names``.

    Problems loading them are printed here, one line each, and returned so the exit status can
    report them; the cases that did load still run.
    """
    paths = ([] if args.no_builtin else [builtin_cases_dir()]) + list(args.cases or [])
    cases, problems = load_cases(paths, on_error=error_printer(args.debug))
    for problem in problems:
        print(f"diffstudy: {problem}", file=sys.stderr)
    cases = select(cases, names)
    if not cases and not problems:
        raise UsageError("no cases to run")
    return cases, problems


def sweep_each(
    label: str, families: Sequence[Family], largest: int | None, sweep_one: Callable[[Family, Any], Any]
) -> list[Any]:
    """Sweep every family up to size ``largest`` under one progress line; stop after an interrupted sweep."""
    sweeps = []
    total = sum(len(sizes_up_to(family.sizes, largest)) for family in families)
    with Progress(total, label) as progress:
        for family in families:
            sweeps.append(sweep_one(family, progress.step))
            if sweeps[-1].interrupted:
                break
    return sweeps

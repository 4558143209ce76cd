"""What every command shares: exit statuses, argument types, the options declared once, cases.

An option's default is shown from the object that owns it (a :class:`Budget`, a study's limits),
never typed into the help text a second time.
"""

from __future__ import annotations

import argparse
import difflib
import math
import shutil
import sys
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, redirect_stdout
from pathlib import Path
from typing import Any

from ..engine.budget import Budget, parse_budget
from ..harness.cases import Case
from ..harness.families import Family
from ..harness.loading import builtin_cases_dir, in_place_of_builtin, load_cases, load_families
from ..harness.messages import describe
from ..output.tables import FORMATS, emit, notes_of
from ..studies.section import Section
from .progress import Progress

OK, FAILED, USAGE, INTERRUPTED = 0, 1, 2, 130
DEFAULT_WIDTH = 100  # columns of text output when standard output is not a terminal


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


def tolerance(text: str) -> float:
    """argparse type for ``--rtol``: a finite number ≥ 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text} is not a finite tolerance ≥ 0")
    return value


def positive_seconds(text: str) -> float:
    """argparse type for a duration: a finite number of seconds > 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"{text} is not a number of seconds > 0")
    return value


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None


def positive_int(text: str) -> int:
    """argparse type: an integer ≥ 1."""
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text} is not a positive integer")
    return value


def nonnegative_int(text: str) -> int:
    """argparse type: an integer ≥ 0."""
    value = _whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text} is not an integer ≥ 0")
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
    add_keep_going(parser, "cases")


def add_keep_going(parser: argparse.ArgumentParser, what: str) -> None:
    """``--keep-going``: run what loaded when a case file does not load (else nothing runs)."""
    parser.add_argument(
        "--keep-going",
        action="store_true",
        help=(
            f"when a case file cannot be loaded, run the {what} that did (the exit status is still 2); "
            "without it nothing runs"
        ),
    )


def stop_on_problems(problems: Sequence[str], args: argparse.Namespace, what: str) -> None:
    """Print each problem loading the case files, one line each; unless ``--keep-going``, stop
    there with a UsageError, so that the problem is the last thing said, not a table."""
    for problem in problems:
        print(f"diffstudy: {problem}", file=sys.stderr)
    if problems and not args.keep_going:
        raise UsageError(
            f"nothing was run: {len(problems)} problem(s) loading the case files, said above; "
            f"--keep-going runs the {what} that loaded"
        )


def add_format(parser: argparse.ArgumentParser, choices: Sequence[str] = FORMATS, what: str = "") -> None:
    """``--format``, its first choice the default, and ``--wide`` for text tables."""
    listed = ", ".join(choices[1:-1]) + f", or {choices[-1]}" if len(choices) > 2 else choices[-1]
    parser.add_argument(
        "--format",
        choices=choices,
        default=choices[0],
        help=f"{choices[0]} (default), {listed}{what}",
    )
    parser.add_argument(
        "--wide",
        action="store_true",
        help="let text tables be as wide as their contents (default: fit the terminal, or 100 columns)",
    )


def output_width(args: argparse.Namespace) -> int | None:
    """How wide text output may be: the terminal's width, 100 columns when not a terminal, or
    unlimited with ``--wide``."""
    if getattr(args, "wide", False):
        return None
    return text_width()


def text_width() -> int:
    """How wide a paragraph (notes, a legend) is wrapped: the terminal's width, or 100 columns
    when not a terminal; ``--wide`` widens tables, not prose."""
    if sys.stdout.isatty():
        return shutil.get_terminal_size((100, 24)).columns
    return DEFAULT_WIDTH


def print_sections(sections: Sequence[Section], args: argparse.Namespace) -> None:
    """A study's tables on standard output; with CSV or JSON, the notes go to standard error."""
    print(emit(sections, args.format, output_width(args)), end="" if args.format == "csv" else "\n")
    if args.format in ("csv", "json"):
        for note in notes_of(sections):
            print(f"diffstudy: note: {note}", file=sys.stderr)


@contextmanager
def case_output_to_stderr() -> Iterator[None]:
    """What a case prints goes to standard error, so that standard output holds the results only."""
    with redirect_stdout(sys.stderr):
        yield


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


def check_paths(paths: Sequence[Path] | None) -> None:
    """A ``--cases`` path that does not exist is a UsageError, before anything runs."""
    missing = [str(path) for path in paths or [] if not path.exists()]
    if missing:
        raise UsageError(f"--cases {missing[0]}: no such file or folder")


def gather_cases(args: argparse.Namespace, names: Sequence[str] | None) -> tuple[list[Case], list[str]]:
    """The built-in cases (unless ``--no-builtin``) and those under ``--cases``, filtered by ``names``;
    a user's case takes the place of a built-in one of its name, with a note that says so.

    Problems loading them are printed here, one line each; they stop the command (a UsageError)
    unless ``--keep-going``, and are returned so the exit status can report them.
    """
    check_paths(args.cases)
    on_error = error_printer(args.debug)
    with case_output_to_stderr():
        builtin, problems = ([], []) if args.no_builtin else load_cases([builtin_cases_dir()], on_error)
        user, user_problems = load_cases(args.cases or [], on_error)
    problems += user_problems
    stop_on_problems(problems, args, "cases")
    cases, notes = in_place_of_builtin(builtin, user)
    cases = select(cases, names)
    for case in cases:  # (only of the cases that run)
        if case.name in notes:
            print(f"diffstudy: note: {notes[case.name]}", file=sys.stderr)
    if not cases and not problems:
        raise UsageError("no cases to run")
    return cases, problems


def add_family_options(parser: argparse.ArgumentParser, size: str) -> None:
    """``--cases``: sweep the ``@family`` programs of a file or folder instead of the built-in ones."""
    parser.add_argument(
        "--cases",
        metavar="PATH",
        type=Path,
        action="append",
        help=(
            f"sweep the families in this file or folder (repeatable): functions marked "
            f"@family({size}=range(1, 20), at={{...}}); the built-in ones then run only if named"
        ),
    )
    add_keep_going(parser, "families")


def capped(families: Mapping[str, Family]) -> str:
    """``, nested_sin to 128, speelpenning to 64``: the families swept only so far by default."""
    return "".join(f", {name} to {f.default_largest}" for name, f in families.items() if f.default_largest)


def gather_families(
    args: argparse.Namespace, builtin: Mapping[str, Family], chosen: Sequence[str] | None
) -> tuple[list[Family], list[str]]:
    """The built-in families ``chosen`` (all of them when neither they nor ``--cases`` are
    given), then the user's under ``--cases``; and the problems loading those, printed here one
    line each, which stop the command (a UsageError) unless ``--keep-going``. A path that does
    not exist, or no family at all, is a UsageError."""
    check_paths(args.cases)
    names = chosen or ([] if args.cases else list(builtin))
    families = [builtin[name] for name in dict.fromkeys(names)]
    problems: list[str] = []
    if args.cases:
        with case_output_to_stderr():
            found, problems = load_families(args.cases, on_error=error_printer(args.debug))
        stop_on_problems(problems, args, "families")
        taken = {family.name for family in families}
        clashes = [family for family in found if family.name in taken]
        if clashes:
            raise UsageError(
                f"{clashes[0].where}: family {clashes[0].name!r} has the name of the built-in family "
                "named by --family/--function: rename yours, or leave that option out"
            )
        families += found
    if not families:
        raise UsageError("no families to sweep")
    return families, problems


def finished(sweeps: Sequence[Any], problems: Sequence[str]) -> int:
    """The exit status of sweeps that ran to their end: 2 when a case file did not load (the
    user asked to go on without it: still bad input), 1 when a family failed, else 0."""
    if problems:
        return USAGE
    return FAILED if any(s.failed for s in sweeps) else OK


def sweep_each(
    label: str, families: Sequence[Family], largest: int | None, sweep_one: Callable[[Family, Any], Any]
) -> list[Any]:
    """Sweep every family up to size ``largest`` under one progress line; stop after an interrupted sweep."""
    sweeps = []
    total = sum(len(family.sizes_up_to(largest)) for family in families)
    with Progress(total, label) as progress:
        for family in families:
            sweeps.append(sweep_one(family, progress.step))
            if sweeps[-1].interrupted:
                break
    return sweeps


def on_one_case(
    args: argparse.Namespace,
    case: Case,
    what: str,
    work: Callable[[Case], Any],
    usage_errors: tuple[type[Exception], ...] = (),
) -> Any:
    """``work(case)`` under a clock, with what the case prints sent to standard error. An error
    of ``usage_errors`` is the user's choice gone wrong (a usage error, exit 2); any other failure
    is said in one line and gives None."""
    try:
        with Budget().clock(what), case_output_to_stderr():
            return work(case)
    except usage_errors as error:
        raise UsageError(str(error)) from None
    except Exception as error:
        error_printer(args.debug)(error)
        print(f"diffstudy: {case.name}: {describe(error, case)}", file=sys.stderr)
        return None

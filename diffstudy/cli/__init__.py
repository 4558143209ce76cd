"""The command line: ``python -m diffstudy compare`` and the study's other commands.

One module per command, each with its parser and its run function. Exit statuses: 0 when
everything ran and agreed (a sweep stopped by its budget counts as run); 1 when a method failed
or disagreed; 2 for bad usage or a case file that cannot be loaded; 130 when interrupted (a sweep
interrupted with Ctrl-C still prints what it measured, saying so; ``report`` writes nothing and
leaves the previous report as it was). Errors are one line each; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from . import chain, code, compare, cost, gradbench, graph, memory, report, sgd, swell, time
from .common import INTERRUPTED, OK, USAGE, UsageError

COMMANDS = (compare, graph, code, swell, cost, chain, time, memory, sgd, report, gradbench)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``python -m diffstudy``."""
    parser = argparse.ArgumentParser(
        prog="python -m diffstudy",
        description=(
            "Differentiate the same program four ways (symbolic with sympy, forward-mode dual "
            "numbers, a reverse-mode tape, and the derivative written out as code), check that they "
            "agree, and measure what each costs."
        ),
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for command in COMMANDS:
        command.add_parser(commands)
    for sub in commands.choices.values():
        sub.set_defaults(command_parser=sub)  # what it does not know, the command's usage says
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args, unknown = build_parser().parse_known_args(argv)
    if unknown:
        args.command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    try:
        return args.run(args)
    except UsageError as error:
        print(f"diffstudy: {error}", file=sys.stderr)
        return USAGE
    except KeyboardInterrupt:
        print("diffstudy: interrupted", file=sys.stderr)
        return INTERRUPTED
    except BrokenPipeError:
        # The reader stopped reading (``| head``): not an error. Python would flush standard
        # output again at exit and fail a second time, so it is pointed at nothing first.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return OK

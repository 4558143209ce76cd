"""``python -m diffstudy gradbench``: diffstudy as a tool of GradBench, the AD community's benchmark.

It reads GradBench's messages on standard input, one JSON object a line, and answers each on
standard output with the same id; nothing else is ever written there (a program's own prints go
to standard error). The evals are GradBench's, written as numpy programs in
:mod:`diffstudy.studies.gradbench`; ``--method`` picks how they are differentiated.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
import traceback

from ..studies.gradbench import EVALS
from ..studies.gradbench.methods import METHODS
from ..studies.gradbench.protocol import Tool, serve
from .common import OK


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``gradbench`` and its options."""
    parser = commands.add_parser(
        "gradbench",
        help="be a GradBench tool: answer its messages on standard input and output",
        description=(
            "Speak GradBench's protocol on standard input and output (start, define, evaluate, analysis; "
            "one JSON object a line), evaluating its evals "
            f"({', '.join(EVALS)}) as numpy programs differentiated by diffstudy. An evaluation that fails "
            "answers success: false with a one-line error; the tool goes on. Run an eval against it with "
            "benchmarks/gradbench_connect.py (see the README)."
        ),
    )
    parser.add_argument(
        "--method",
        choices=tuple(METHODS),
        default="reverse",
        help=(
            "how the evals are differentiated: reverse (the tape), forward (dual numbers), generated "
            "(the reverse sweep written out as Python and compiled once) or symbolic (sympy, within a "
            "budget of tree nodes); default %(default)s"
        ),
    )
    parser.add_argument(
        "--multithreaded",
        action="store_true",
        help="accepted as GradBench's tools accept it; diffstudy runs on one thread",
    )
    parser.add_argument(
        "--debug", action="store_true", help="print each failed evaluation's traceback on standard error"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Answer messages until standard input ends."""
    tool = Tool(args.method)
    if args.debug:
        tool.on_error = lambda error: traceback.print_exception(error, file=sys.stderr)
    protocol_out = sys.stdout

    def warn(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    with contextlib.redirect_stdout(sys.stderr):  # only protocol lines reach standard output
        serve(sys.stdin, protocol_out, tool, warn)
    return OK

"""``python -m diffstudy time``: the wall time of each gradient against the time of f."""

from __future__ import annotations

import argparse

from ..studies import timing
from .common import OK, add_debug, add_format, positive_int, positive_seconds, print_sections
from .progress import Progress


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``time`` and its options."""
    parser = commands.add_parser(
        "time",
        help="time each gradient against f: the tape, dual numbers, the generated code, sympy's compiled",
        description=(
            "Time f and each method's gradient the same way, in one process (the best of back-to-back runs "
            "with the garbage collector paused, and the spread): reverse mode's tape, forward mode's dual "
            "numbers, the derivative written out as code and compiled (ds.jit), and sympy's gradient "
            "compiled with lambdify, over n on the cost families and over the width of a tanh network. "
            "Times depend on the machine; the counts of python -m diffstudy cost do not."
        ),
    )
    parser.add_argument("--max-n", type=positive_int, default=1024, help="the largest n of the families (default 1024)")
    parser.add_argument(
        "--max-width",
        type=positive_int,
        default=256,
        help="the largest width of the network (default 256; from 1 to 7 the network is left out)",
    )
    parser.add_argument(
        "--seconds",
        type=positive_seconds,
        default=0.2,
        help="about how long each timing runs (default 0.2; at least 7 runs)",
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Time every method and print the tables."""
    limits = timing.TimeLimits(
        sizes=tuple(n for n in timing.TimeLimits().sizes if n <= args.max_n),
        widths=tuple(w for w in timing.TimeLimits().widths if w <= args.max_width),
        seconds=args.seconds,
    )
    with Progress(len(limits.sizes) * len(timing.FAMILIES) + len(limits.widths), "time") as progress:
        sweeps = timing.sweep(limits, progress.step)
    print_sections(timing.sections(sweeps, limits), args)
    return OK

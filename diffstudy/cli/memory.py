"""``python -m diffstudy memory``: reverse mode's memory measured, and bought back with recomputation."""

from __future__ import annotations

import argparse

from ..studies import memory
from .common import OK, add_debug, add_format, positive_int, print_sections
from .progress import Progress


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``memory`` and its options."""
    defaults = memory.MemorySettings()
    parser = commands.add_parser(
        "memory",
        help="reverse mode's memory measured, and bought back with recomputation (checkpointing)",
        description=(
            "What each method keeps, measured: the bytes the tape holds, counted object by object, and "
            "each method's peak measured by tracemalloc against f's own, on the cost study's families, "
            "the tanh network and three long loops (the logistic map, an RNN cell, an explicit Euler "
            "integrator); the loops under each schedule of ds.loop (all, every √n-th state, binomial "
            "with s snapshots); the binomial schedule's recomputed steps counted on counting numbers "
            "against Griewank and Walther's law t·n − β(s+1, t−1) and its recursion; the frontier of "
            "memory against recomputation at n = 1,000; and a loop of 10⁴ steps keeping s + 2 states. "
            "Peaks are measured and vary a little between machines and runs; counts do not. "
            "About two minutes."
        ),
    )
    parser.add_argument(
        "--max-n",
        type=positive_int,
        metavar="N",
        help=(
            f"the largest n: the families' inputs (default {max(defaults.family_sizes):,}) and the loops' steps "
            f"(default {max(defaults.law_lengths):,})"
        ),
    )
    parser.add_argument(
        "--max-width",
        type=positive_int,
        metavar="W",
        help=f"the widest network (default {max(defaults.widths)})",
    )
    parser.add_argument(
        "--snapshots",
        type=positive_int,
        metavar="S",
        default=defaults.snapshots,
        help="s of the binomial schedule in the table of loops (default %(default)s)",
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Measure and print the memory study's tables."""
    settings = memory.settings_up_to(args.max_n, args.max_width, args.snapshots)
    with Progress(memory.steps(settings), "memory") as progress:
        measured = memory.study(settings, progress.step)
    print_sections(memory.sections(measured), args)
    return OK

"""``python -m diffstudy sgd``: the lecture's two projects, sampling with and without replacement and
SGD's region of confusion."""

from __future__ import annotations

import argparse

from ..studies import sgd
from .common import OK, UsageError, add_debug, add_format, nonnegative_int, positive_int, print_sections
from .progress import Progress

SMALLEST_N = 20  # the fits run over k = 1 … N/10, which needs two points at least
SMALLEST_M = 3  # more samples than unknowns, so that the samples disagree at x*


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``sgd`` and its options."""
    defaults = sgd.Settings()
    parser = commands.add_parser(
        "sgd",
        help="the lecture's two projects: sampling with and without replacement, SGD's region of confusion",
        description=(
            "Project 1: the running average of N numbers from rand, drawn with replacement (N fresh draws) "
            "or without (a random order of N fixed numbers), over many trials: the mean absolute error "
            "after k samples and its slope on log-log axes. Project 2: stochastic gradient descent on "
            "least squares in one and two dimensions, with and without replacement, constant and "
            "decreasing steps, beside full-gradient descent: when the iterate enters the region of "
            "confusion, and how it wanders there. Every gradient is computed by diffstudy's reverse mode, "
            "its operations counted. CSV and JSON hold every k and every iterate."
        ),
    )
    parser.add_argument(
        "--seed", type=nonnegative_int, default=defaults.seed, help="seed of every random draw (default %(default)s)"
    )
    parser.add_argument(
        "--trials", type=positive_int, default=defaults.trials, help="trials of project 1 (default %(default)s)"
    )
    parser.add_argument(
        "--sizes",
        type=positive_int,
        nargs="+",
        metavar="N",
        default=list(defaults.sizes),
        help=f"how many numbers project 1 averages, each ≥ {SMALLEST_N} (default %(default)s)",
    )
    parser.add_argument(
        "--samples",
        type=positive_int,
        default=defaults.samples,
        help=f"m, the samples of project 2's least squares, ≥ {SMALLEST_M} (default %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=defaults.epochs, help="passes over the m samples (default %(default)s)"
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Measure both projects and print their tables."""
    small = [n for n in args.sizes if n < SMALLEST_N]
    if small:
        raise UsageError(f"--sizes {small[0]}: N must be at least {SMALLEST_N} (the fits run over k = 1 … N/10)")
    if args.samples < SMALLEST_M:
        raise UsageError(f"--samples {args.samples}: m must be at least {SMALLEST_M}, more samples than unknowns")
    settings = sgd.Settings(args.seed, args.trials, tuple(dict.fromkeys(args.sizes)), args.samples, args.epochs)
    with Progress(settings.progress_steps, "sgd") as progress:
        measured = sgd.study(settings, progress.step)
    print_sections(sgd.sections(measured, every_row=args.format in ("csv", "json")), args)
    return OK

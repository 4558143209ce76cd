"""``python -m diffstudy chain``: the order of a matrix product, and the two AD modes as two orders."""

from __future__ import annotations

import argparse

from ..studies import chain
from .common import OK, UsageError, add_debug, add_format, pair, positive_int, print_sections, widths


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``chain`` and its options."""
    parser = commands.add_parser(
        "chain",
        help="the order of a matrix product matters, and forward/reverse mode are two orders",
        description=(
            "Cost every parenthesization of a matrix chain and find the best by dynamic programming, "
            "each cost checked by multiplying real matrices of counting numbers; the lecture's A·B·C "
            "with C a column; Problem 2's A(AᵀA) against (AAᵀ)A; and forward and reverse mode on "
            "linear layers, measured beside the chain costs of the two orders."
        ),
    )
    parser.add_argument(
        "--dims",
        type=positive_int,
        nargs="+",
        default=list(chain.DIMS),
        help="matrix i is dims[i] × dims[i+1] (default %(default)s)",
    )
    parser.add_argument(
        "--lecture",
        type=positive_int,
        nargs=3,
        metavar=("M", "N", "P"),
        default=list(chain.LECTURE),
        help="sizes of the lecture's A (m×n) and B (n×p); C is p×1 (default %(default)s)",
    )
    parser.add_argument(
        "--problem2", type=pair, action="append", metavar="M,N", help="a size of A for Problem 2 (repeatable)"
    )
    parser.add_argument(
        "--layers",
        type=widths,
        action="append",
        metavar="W,W,…",
        help="layer widths, input first (repeatable)",
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Cost the chain every way and print the tables."""
    if len(args.dims) < 3:
        raise UsageError("--dims needs at least three numbers (two matrices)")
    if len(args.dims) > 9:
        raise UsageError("--dims lists every order, so it takes at most nine numbers (eight matrices)")
    parts = chain.sections(
        dims=args.dims,
        lecture=args.lecture,
        sizes=args.problem2 or chain.PROBLEM2_SIZES,
        shapes=args.layers or chain.LAYER_SHAPES,
    )
    print_sections(parts, args)
    return OK

"""``python -m diffstudy swell``: how the symbolic derivative swells while the tape stays small."""

from __future__ import annotations

import argparse

from ..studies import swell
from .common import (
    INTERRUPTED,
    add_budget,
    add_debug,
    add_family_options,
    add_format,
    capped,
    finished,
    gather_families,
    positive_int,
    print_sections,
    sweep_each,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``swell`` and its options."""
    defaults = swell.Limits()
    parser = commands.add_parser(
        "swell",
        help="how the symbolic derivative swells while the tape stays small, measured",
        description=(
            "Sweep families of programs (logistic map, Chebyshev recurrence, nested sin, "
            "Speelpenning's product) over a size k. For each k, size every representation of the "
            "value and gradient (sympy's trees, after CSE, expand and simplify; the tape run on sympy "
            "symbols as a DAG) and count every method's operations. A family stops at the first k "
            "whose symbolic derivative passes the budget; each column's growth is fitted from the data."
        ),
    )
    parser.add_argument(
        "--family",
        action="append",
        choices=list(swell.FAMILIES),
        help="sweep only this built-in family (repeatable; default: all)",
    )
    add_family_options(parser, "k")
    add_budget(
        parser,
        defaults.budget,
        "limit of the symbolic derivative in nodes, and of each step in seconds (a safety stop: the nodes decide)",
    )
    parser.add_argument(
        "--max-k", type=positive_int, help=f"largest k to try (default: each family's sizes{capped(swell.FAMILIES)})"
    )
    parser.add_argument(
        "--expand-gate",
        type=int,
        default=defaults.expand_nodes,
        help="try sympy.expand only up to this many nodes (default %(default)s)",
    )
    parser.add_argument(
        "--simplify-gate",
        type=int,
        default=defaults.simplify_nodes,
        help="try sympy.simplify only up to this many nodes (default %(default)s)",
    )
    parser.add_argument(
        "--hessian-gate",
        type=int,
        default=defaults.hessian_nodes,
        help="size sympy's Hessian only while its gradient has at most this many nodes (default %(default)s)",
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Sweep each family upwards until the symbolic derivative passes the budget."""
    limits = swell.Limits(
        budget=args.budget,
        expand_nodes=args.expand_gate,
        simplify_nodes=args.simplify_gate,
        hessian_nodes=args.hessian_gate,
        max_k=args.max_k,
    )
    families, problems = gather_families(args, swell.FAMILIES, args.family)
    sweeps = sweep_each("swell", families, args.max_k, lambda family, step: swell.sweep(family, limits, step))
    survey = swell.survey_table() if swell.FAMILIES["logistic"] in families else None
    print_sections(swell.sections(sweeps, survey), args)
    if sweeps[-1].interrupted:
        return INTERRUPTED
    return finished(sweeps, problems)

"""``python -m diffstudy cost``: the cheap gradient principle, gradient cost over ops(f) as n grows."""

from __future__ import annotations

import argparse

from ..output.tables import emit
from ..studies import cost
from .common import INTERRUPTED, OK, add_budget, add_debug, add_format, positive_int, sweep_each


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``cost`` and its options."""
    defaults = cost.CostLimits()
    parser = commands.add_parser(
        "cost",
        help="the cheap gradient principle: gradient cost over ops(f) as n grows",
        description=(
            "For functions of n = 1, 2, 4, … inputs (Speelpenning, extended Rosenbrock, log-sum-exp, "
            "a dense quadratic form), count the operations of f, of the forward-mode gradient (n "
            "passes), of the reverse-mode gradient and of sympy's gradient, and their ratios to ops(f). "
            "Then the Jacobian crossover of ℝⁿ → ℝᵐ: forward n passes against reverse m sweeps."
        ),
    )
    parser.add_argument(
        "--function", action="append", choices=list(cost.FUNCTIONS), help="only this function (repeatable)"
    )
    parser.add_argument("--max-n", type=positive_int, help="largest n (default 1024)")
    parser.add_argument(
        "--symbolic-max-n",
        type=positive_int,
        default=defaults.symbolic_max_n,
        help="largest n for sympy's gradient (default %(default)s)",
    )
    parser.add_argument(
        "--max-ops",
        type=positive_int,
        default=defaults.max_ops,
        help="a method that counted more operations than this is not run at larger n (default %(default)s)",
    )
    add_budget(parser, defaults.budget, "limit of each method's run, sympy's gradient in tree nodes too")
    parser.add_argument(
        "--crossover",
        type=int,
        default=64,
        help="n·m of the Jacobian crossover table (default %(default)s; 0 leaves the table out)",
    )
    add_format(parser)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Sweep each function over n and print the ratios, the summary and the crossover."""
    limits = cost.CostLimits(
        budget=args.budget, max_ops=args.max_ops, symbolic_max_n=args.symbolic_max_n, max_n=args.max_n
    )
    families = [cost.FUNCTIONS[name] for name in dict.fromkeys(args.function or cost.FUNCTIONS)]
    sweeps = sweep_each("cost", families, args.max_n, lambda family, step: cost.sweep(family, limits, step))
    if sweeps[-1].interrupted:
        print(emit(cost.sections(sweeps), args.format))
        return INTERRUPTED
    crossover = cost.crossover_table(args.crossover) if args.crossover else None
    print(emit(cost.sections(sweeps, crossover), args.format))
    return OK

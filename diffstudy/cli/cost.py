"""``python -m diffstudy cost``: the cheap gradient principle, gradient cost over ops(f) as n grows."""

from __future__ import annotations

import argparse
from dataclasses import replace

from ..studies import cost, network, primitive_cost, second_order
from .common import (
    INTERRUPTED,
    UsageError,
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
from .progress import Progress


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
        "--function",
        action="append",
        choices=[*cost.FUNCTIONS, "network"],
        help="only this built-in function (repeatable); network is the tanh network swept over its width",
    )
    add_family_options(parser, "n")
    largest = max(max(f.sizes) for f in cost.FUNCTIONS.values())
    sizes = f"each function's sizes, to {largest}{capped(cost.FUNCTIONS)}"
    parser.add_argument("--max-n", type=positive_int, help=f"largest n (default: {sizes})")
    parser.add_argument(
        "--symbolic-max-n",
        type=positive_int,
        help=(
            f"largest n for sympy's gradient (default {defaults.symbolic_max_n}), or with --order 2 for "
            f"sympy's Hessian (default {second_order.SecondLimits().symbolic_max_n})"
        ),
    )
    network_defaults = network.NetworkLimits()
    parser.add_argument(
        "--max-ops",
        type=positive_int,
        help=(
            f"a method that counted more operations than this is not run at larger n (default {defaults.max_ops:,}; "
            f"for the network's forward mode {network_defaults.cost.max_ops:,})"
        ),
    )
    add_budget(
        parser,
        defaults.budget,
        "sympy's gradient in tree nodes, each method's run in seconds (a safety stop: the counts decide what is run)",
    )
    parser.add_argument(
        "--max-width",
        type=positive_int,
        default=network_defaults.max_width,
        help="largest width of the network (default %(default)s)",
    )
    parser.add_argument(
        "--depth", type=positive_int, default=network_defaults.depth, help="layers of the network (default %(default)s)"
    )
    parser.add_argument(
        "--batch", type=positive_int, default=network_defaults.batch, help="batch of the network (default %(default)s)"
    )
    parser.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=1,
        help=(
            "1: gradients (default); 2: second derivatives instead: a Hessian-vector product, the full "
            "Hessian and sympy's, over ops(f) (--max-ops, --crossover and the network's options are for order 1)"
        ),
    )
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
    if args.order == 2:
        return run_second_order(args)
    limits = cost.CostLimits(
        budget=args.budget,
        max_ops=args.max_ops or cost.CostLimits().max_ops,
        symbolic_max_n=args.symbolic_max_n or cost.CostLimits().symbolic_max_n,
        max_n=args.max_n,
    )
    chosen = list(dict.fromkeys(args.function or ([] if args.cases else [*cost.FUNCTIONS, "network"])))
    builtin = [name for name in chosen if name != "network"]
    families, problems = gather_families(args, cost.FUNCTIONS, builtin) if args.cases or builtin else ([], [])
    sweeps = sweep_each("cost", families, args.max_n, lambda family, step: cost.sweep(family, limits, step))
    parts = cost.sections(sweeps, primitives=primitive_cost.table()) if sweeps else []
    if sweeps and sweeps[-1].interrupted:
        print_sections(parts, args)
        return INTERRUPTED
    if "network" in chosen:
        network_cost = network.NetworkLimits().cost
        network_limits = network.NetworkLimits(
            args.depth,
            args.batch,
            args.max_width,
            replace(limits, max_ops=args.max_ops or network_cost.max_ops, method_max_ops=network_cost.method_max_ops),
        )
        with Progress(None, "cost") as progress:
            measured = network.sweep(network_limits, progress.step)
        parts += network.sections(measured, network.chain_table(network.CHAIN_SHAPES))
        if measured.interrupted:
            print_sections(parts, args)
            return INTERRUPTED
    if args.crossover and builtin:
        parts += cost.sections([], cost.crossover_table(args.crossover))
    print_sections(parts, args)
    return finished(sweeps, problems)


def run_second_order(args: argparse.Namespace) -> int:
    """Sweep each function over n for its second derivatives and print one table per function."""
    if "network" in (args.function or []):
        raise UsageError("--order 2 sweeps the functions of n inputs; the network is measured at order 1")
    defaults = second_order.SecondLimits()
    limits = replace(
        defaults,
        budget=args.budget,
        max_n=args.max_n or defaults.max_n,
        symbolic_max_n=args.symbolic_max_n or defaults.symbolic_max_n,
    )
    builtin = list(args.function or ([] if args.cases else cost.FUNCTIONS))
    families, problems = gather_families(args, cost.FUNCTIONS, builtin)
    sweeps = sweep_each("cost", families, limits.max_n, lambda family, step: second_order.sweep(family, limits, step))
    print_sections(second_order.sections(sweeps), args)
    if sweeps and sweeps[-1].interrupted:
        return INTERRUPTED
    return finished(sweeps, problems)

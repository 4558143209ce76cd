"""``python -m diffstudy code CASE``: the derivative written out as Python, beside sympy's."""

from __future__ import annotations

import argparse

from ..output import code_view
from ..studies import written
from .common import (
    FAILED,
    OK,
    USAGE,
    UsageError,
    add_case_options,
    add_debug,
    gather_cases,
    on_one_case,
)


def add_parser(commands: argparse._SubParsersAction) -> None:
    """Declare ``code`` and its options."""
    parser = commands.add_parser(
        "code",
        help="print the derivative of one case written out as Python (the generated method's code)",
        description=(
            "Record one case at its point and print the program the generated method writes from the "
            "recording: f's operations in order, each under the line of the case that made it, then the "
            "adjoint of each in reverse order (reverse mode), or the tangent beside each (forward mode); "
            "after each line that gives a name a number, that number at the case's point. "
            "Below it, sympy's gradient after common-subexpression elimination, as sympy's code printer "
            "writes it, to compare the two texts."
        ),
    )
    parser.add_argument("name", metavar="CASE", help="the case, e.g. lecture27")
    parser.add_argument(
        "--mode",
        choices=("reverse", "forward"),
        default="reverse",
        help="reverse: the adjoint code (the gradient in one sweep); forward: the tangent code (default reverse)",
    )
    parser.add_argument(
        "--order",
        type=int,
        choices=(1, 2),
        default=1,
        help="2: the tangent code of the adjoint code, whose tangents are Hessian-vector products (reverse mode)",
    )
    parser.add_argument("--no-sympy", action="store_true", help="leave out sympy's gradient")
    parser.add_argument(
        "--no-values",
        action="store_true",
        help="leave out the comment after each line with its number at the case's point",
    )
    add_case_options(parser, select=False)
    add_debug(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Write the case's derivative as code and print it, with sympy's beside it."""
    if args.order == 2 and args.mode == "forward":
        raise UsageError("--order 2 writes the tangent code of the adjoint code: it goes with --mode reverse")
    cases, problems = gather_cases(args, [args.name])
    if not cases:
        return USAGE
    texts = on_one_case(
        args,
        cases[0],
        "writing the code",
        lambda case: written.derivative_code(
            case, mode=args.mode, order=args.order, sympy=not args.no_sympy, values=not args.no_values
        ),
        (written.NoCodeForm,),
    )
    if texts is None:
        return FAILED
    print(code_view.to_text(texts))
    return USAGE if problems else OK

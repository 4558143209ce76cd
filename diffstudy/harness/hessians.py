"""Second derivatives, measured: the Hessian five ways, each on counting numbers.

* ``symbolic``: sympy differentiates its gradient expressions once more; the value, gradient and
  Hessian expressions are evaluated as trees and after ``sympy.cse`` (counted), and exactly;
* ``forward-over-forward``, ``forward-over-reverse``, ``reverse-over-reverse``: the modes nested
  (:mod:`diffstudy.engine.second`), every operation of both levels counted;
* ``forward-over-generated``: forward mode's dual numbers run through the generated adjoint code
  (:mod:`diffstudy.engine.generate`): a Hessian-vector product per input entry, the inner
  gradient at the speed of written-out code.

Each gives a :class:`~.methods.Measurement` whose ``hessian`` has a row and a column per entry
of the inputs; :func:`~.methods.run_methods` runs them as it runs the first-order methods.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine import forward, generate, reverse, second, symbolic
from ..engine.active import plain
from ..engine.budget import Budget
from ..engine.counting import Tally, counting
from ..engine.trees import entries
from ..errors import DomainError
from .cases import Case
from .methods import Measurement, Method, count_symbolic


def _plain(numbers: list[Any]) -> list[Any]:
    """Numbers as the first-order methods give them: Fractions, floats (not numpy's float64)."""
    stripped = [plain(v) for v in numbers]
    return [float(v) if isinstance(v, np.floating) else v for v in stripped]


def _measurement(
    method: str, case: Case, found: tuple[Any, list[Any], list[list[Any]]], tally: Tally, size: int | None
) -> Measurement:
    value, gradient, hessian = found
    return Measurement(
        method,
        case.inputs,
        [plain(value)],
        [_plain(gradient)],
        tally,
        size=size,
        shapes=case.shapes,
        hessian=[_plain(row) for row in hessian],
    )


def measure_forward_over_forward(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """An inner forward pass per input entry inside an outer one per input entry: n² passes."""
    tally = Tally()
    found = second.hessian_forward_over_forward(case.function, counting(case.point, tally))
    return _measurement("forward-over-forward", case, found, tally, None)


def measure_forward_over_reverse(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """One outer forward pass per input entry around a recording and a sweep; the size is the tape's."""
    tally, sizes = Tally(), []
    found = second.hessian_forward_over_reverse(case.function, counting(case.point, tally), sizes)
    return _measurement("forward-over-reverse", case, found, tally, sizes[0])


def measure_reverse_over_reverse(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """The recording and sweep recorded on an outer tape, swept once per gradient entry; the
    size is the outer tape's length."""
    tally, sizes = Tally(), []
    found = second.hessian_reverse_over_reverse(case.function, counting(case.point, tally), sizes)
    return _measurement("reverse-over-reverse", case, found, tally, sizes[-1])


def measure_symbolic_hessian(case: Case, budget: Budget, exact: bool = True) -> Measurement:
    """sympy's Hessian: the gradient expressions differentiated once more, within ``budget``;
    counted with the value and gradient, as trees and after CSE, and evaluated exactly."""
    first = symbolic.derive(case.function, case.inputs, budget, case.shapes)
    second.require_one_number(len(first.outputs))
    gradient = first.jacobian[0]
    hessian = symbolic.hessian(first.symbols, gradient, budget, of="the gradient's expression")
    exprs = [*first.outputs, *gradient, *(d for row in hessian for d in row)]
    point = [v for value in case.point for v in entries(value)]
    n = len(first.symbols)
    numbers: list[Any] = []
    try:
        counts = count_symbolic(exprs, first.symbols, point, budget)
        if exact:
            with budget.clock("evaluating the symbolic Hessian exactly"):
                numbers = symbolic.evaluate_reference(exprs, first.symbols, point)
    except DomainError as error:
        raise DomainError(f"sympy's expression at the point: {error}") from None
    return Measurement(
        "symbolic",
        case.inputs,
        numbers[:1],
        [numbers[1 : 1 + n]] if numbers else [],
        counts.tree,
        size=counts.size,
        phases={"tree": counts.tree, "cse": counts.cse},
        ops_cse=counts.cse,
        size_cse=counts.size_cse,
        shapes=case.shapes,
        hessian=[numbers[1 + n + i * n : 1 + n + (i + 1) * n] for i in range(n)] if numbers else None,
    )


def measure_forward_over_generated(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """One outer forward pass per input entry through the generated adjoint code of f, written
    once at the point; the size is the code's lines."""
    script = generate.trace(case.function, list(case.point), list(case.inputs))
    source = generate.write(script, "reverse", f"gradient_of_{case.name}", floats=False)
    gradient_code = generate.build(source)
    second.require_one_number(len(script.recording.positions))
    seed = reverse.seed(script.recording.outputs[0], 0, script.recording.exact)

    def value_and_gradient(*inputs: Any) -> tuple[Any, ...]:
        values, adjoints = gradient_code(*inputs, seed)
        return (*values, *adjoints)

    tally = Tally()
    values, rows = forward.jacobian(value_and_gradient, counting(case.point, tally))
    found = values[0], [d for a in values[1:] for d in entries(plain(a))], rows[1:]
    return _measurement("forward-over-generated", case, found, tally, source.statements)


SYMBOLIC_HESSIAN = Method("symbolic", "sympy's Hessian", "sympy", 2, measure_symbolic_hessian, reference=True,
                          budgeted=True)  # fmt: skip
SECOND_ORDER: dict[str, Method] = {
    m.name: m
    for m in (
        SYMBOLIC_HESSIAN,
        Method("forward-over-forward", "forward over forward", "forward-over-forward", 2, measure_forward_over_forward),
        Method("forward-over-reverse", "forward over reverse", "forward-over-reverse", 2, measure_forward_over_reverse),
        Method("reverse-over-reverse", "reverse over reverse", "reverse-over-reverse", 2, measure_reverse_over_reverse),
        Method(
            "forward-over-generated",
            "forward over the generated code",
            "forward-over-generated",
            2,
            measure_forward_over_generated,
        ),  # fmt: skip
    )
}

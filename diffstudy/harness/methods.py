"""Run each method on counting numbers: value, Jacobian and the operations it really performed.

Every count here comes from running code on :class:`~diffstudy.engine.counting.Counting` numbers:

* ``f``: the plain function;
* ``symbolic``: the outputs and derivative expressions evaluated as trees, and again after
  ``sympy.cse``;
* ``forward``: all n passes of dual arithmetic;
* ``reverse``: the recording sweep plus one backward sweep per output.

:func:`run_methods` is the one measuring loop: ``compare`` and every study call it, so a case is
run the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np

from ..engine import expressions, float_range, forward, generate, kinks, reverse, symbolic
from ..engine.active import plain
from ..engine.array_primitives import shape_of
from ..engine.budget import Budget
from ..engine.counting import Tally, counting
from ..engine.ndarrays import numpy_errors_explained
from ..engine.trees import entries, outputs_of
from ..errors import BudgetExceeded, CaseError, Declined, DomainError
from .cases import Case, make_case


@dataclass
class Measurement:
    """What one method computed for one function at one point, and what it cost.

    ``values`` are the entries of the outputs, flattened; ``jacobian`` has one row per entry of
    the outputs and one column per entry of the inputs (an array input's entries in numpy's
    order). ``gradient`` and :meth:`by_input` give a row back its inputs' names and shapes.
    A second-order method fills ``hessian`` too: a row and a column per entry of the inputs.
    ``underflows`` says where the method's floats fell below the float range (see
    :mod:`.engine.float_range`).
    """

    method: str
    inputs: tuple[str, ...]
    values: list[Any]
    jacobian: list[list[Any]]
    ops: Tally
    size: int | None = None
    phases: dict[str, Tally] = field(default_factory=dict)
    ops_cse: Tally | None = None
    size_cse: int | None = None
    derivative: symbolic.SymbolicDerivative | None = None
    shapes: tuple[tuple[int, ...], ...] = ()
    kinks: list[str] = field(default_factory=list)
    hessian: list[list[Any]] | None = None
    underflows: list[str] = field(default_factory=list)
    output_shapes: tuple[tuple[int, ...], ...] = ()  # each output's shape, where the method saw them

    @property
    def value(self) -> Any:
        """The function's value: a number, or a tuple for a function of several outputs."""
        return self.values[0] if len(self.values) == 1 else tuple(self.values)

    @property
    def gradient(self) -> dict[str, Any]:
        """Input name → derivative (an array of the input's shape for an array), for one output."""
        if len(self.values) != 1:
            raise ValueError("a function of several outputs has a Jacobian, not a gradient")
        return self.by_input(self.jacobian[0])

    def by_input(self, row: Sequence[Any]) -> dict[str, Any]:
        """A flat row of derivatives as input name → number, or array of that input's shape."""
        shapes = self.shapes or ((),) * len(self.inputs)
        split, start = {}, 0
        for name, shape in zip(self.inputs, shapes):
            size = int(np.prod(shape))
            split[name] = row[start] if not shape else _array(row[start : start + size], shape)
            start += size
        return split

    def hessian_by_input(self) -> dict[str, dict[str, Any]]:
        """The Hessian as input name → input name → number, or array of shape (shape₁ + shape₂)."""
        if self.hessian is None:
            raise ValueError(f"the {self.method} method computes no Hessian")
        shapes = self.shapes or ((),) * len(self.inputs)
        sizes = [int(np.prod(shape)) for shape in shapes]
        starts = np.cumsum([0, *sizes])
        blocks: dict[str, dict[str, Any]] = {}
        for name, shape, start, size in zip(self.inputs, shapes, starts, sizes):
            rows = [self.by_input(row) for row in self.hessian[start : start + size]]
            blocks[name] = {
                other: rows[0][other]
                if not shape
                else _array([d for row in rows for d in np.ravel(row[other])], shape + np.shape(rows[0][other]))
                for other in self.inputs
            }
        return blocks


def _array(numbers: Sequence[Any], shape: tuple[int, ...]) -> np.ndarray:
    """``numbers`` as an array of ``shape``: of floats when they are floats, else of the exact numbers."""
    array = np.array(numbers, dtype=object).reshape(shape)
    return array.astype(float) if all(isinstance(v, (float, np.floating)) for v in numbers) else array


def _plain_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    return [[plain(d) for d in row] for row in rows]


def measure_function(case: Case) -> tuple[list[Any], Tally]:
    """Evaluate the case's function on counting numbers: its outputs' entries and its operations."""
    tally = Tally()
    outputs = outputs_of(case.function(*counting(case.point, tally)))
    return [plain(v) for out in outputs for v in entries(plain(out))], tally


def measure_forward(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """Forward mode: one pass of dual arithmetic per entry of the inputs."""
    tally = Tally()
    values, rows = forward.jacobian(case.function, counting(case.point, tally))
    return Measurement("forward", case.inputs, [plain(v) for v in values], _plain_rows(rows), tally, shapes=case.shapes)


def measure_reverse(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """Reverse mode: one recording, then one backward sweep per entry of the outputs."""
    tally = Tally()
    recording = reverse.record(case.function, counting(case.point, tally))
    recorded = Tally(tally)
    rows = [reverse.gradient_row(recording, position) for position in recording.positions]
    phases = {"record": recorded, "backward": tally.since(recorded)}
    return Measurement(
        "reverse",
        case.inputs,
        [plain(v) for value in recording.values for v in entries(plain(value))],
        _plain_rows(rows),
        tally,
        size=len(recording.tape),
        phases=phases,
        shapes=case.shapes,
        output_shapes=_output_shapes(recording.values),
    )


def _output_shapes(outputs: Sequence[Any]) -> tuple[tuple[int, ...], ...]:
    return tuple(shape_of(plain(out)) for out in outputs)


@dataclass
class SymbolicCounts:
    """The operations of evaluating expressions as trees and after CSE, and both sizes."""

    tree: Tally
    cse: Tally
    size: int
    size_cse: int


def count_symbolic(
    exprs: Sequence[Any], symbols: Sequence[Any], point: Sequence[Any], budget: Budget
) -> SymbolicCounts:
    """Evaluate ``exprs`` at ``point`` on counting numbers, as trees and after ``sympy.cse``.

    The counts depend on the expressions alone, not on the values met: where a float leaves the
    float range on the way (sympy's expression of a program that squares a number seven times
    holds 1e1985), the count is taken again on mpmath numbers, whose exponents do not overflow.
    """
    size = expressions.tree_size(exprs)
    budget.check_size(size, "the symbolic derivative")
    with budget.clock("evaluating the symbolic derivative"):
        replacements, reduced = expressions.cse(exprs)
        try:
            tree, after_cse = _count_trees(exprs, replacements, reduced, symbols, point)
        except DomainError as first:
            with mpmath.workdps(30):
                precise = [mpmath.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else mpmath.mpf(v)
                           for v in point]  # fmt: skip
                try:
                    tree, after_cse = _count_trees(exprs, replacements, reduced, symbols, precise)
                except DomainError:
                    raise first from None  # outside the domain at any precision: said as the point's numbers
    return SymbolicCounts(tree, after_cse, size, expressions.cse_size(replacements, reduced))


def _count_trees(
    exprs: Sequence[Any], replacements: Any, reduced: Any, symbols: Sequence[Any], point: Sequence[Any]
) -> tuple[Tally, Tally]:
    """The operations of evaluating ``exprs`` as trees, and of their CSE form, at ``point``."""
    tree = Tally()
    expressions.evaluate(exprs, dict(zip(symbols, counting(point, tree))))
    after_cse = Tally()
    expressions.evaluate_cse(replacements, reduced, dict(zip(symbols, counting(point, after_cse))))
    return tree, after_cse


def measure_symbolic(case: Case, budget: Budget, exact: bool = True) -> Measurement:
    """Symbolic: sympy's derivative, counted as a tree and after CSE, and evaluated exactly.

    With ``exact`` False the derivative is only counted and sized: ``values`` and ``jacobian``
    stay empty (the studies need the counts, not the numbers).
    """
    derivative = symbolic.derive(case.function, case.inputs, budget, case.shapes)
    exprs = derivative.expressions
    point = [v for value in case.point for v in entries(value)]
    values: list[Any] = []
    rows: list[list[Any]] = []
    try:  # the expressions, traced on symbols, meet the point only from here on
        counts = count_symbolic(exprs, derivative.symbols, point, budget)
        if exact:
            with budget.clock("evaluating the symbolic derivative exactly"):
                numbers = symbolic.evaluate_reference(exprs, derivative.symbols, point)
            m, n = len(derivative.outputs), len(derivative.symbols)
            values, rows = numbers[:m], [numbers[m + k * n : m + (k + 1) * n] for k in range(m)]
    except DomainError as error:
        raise DomainError(f"sympy's expression at the point: {error}") from None
    return Measurement(
        "symbolic",
        case.inputs,
        values,
        rows,
        counts.tree,
        size=counts.size,
        phases={"tree": counts.tree, "cse": counts.cse},
        ops_cse=counts.cse,
        size_cse=counts.size_cse,
        derivative=derivative,
        shapes=case.shapes,
    )


def measure_generated(case: Case, budget: Budget | None = None, exact: bool = True) -> Measurement:
    """The derivative written out as code: f traced once at the point, its adjoint code written and
    compiled (:mod:`.engine.generate`), then run on counting numbers, one call per entry of the
    outputs (each call runs f's forward sweep and one backward sweep). Its size is the code's lines.

    Raises:
        Declined: the program is too large to write out (the tape is the method for it).
    """
    point = list(case.point)
    try:
        script = generate.trace(case.function, point, list(case.inputs), limit=True)
        source = generate.write(script, "reverse", f"gradient_of_{case.name}", floats=False)
    except generate.TooLarge as error:
        raise Declined(str(error)) from None
    function = generate.build(source)
    recording = script.recording
    tally = Tally()
    inputs = counting(point, tally)
    values: list[Any] = []
    rows = []
    for k, entry in recording.positions:
        seeds = [reverse.seed(out, entry, recording.exact) if j == k else _zero_seed(out) for j, out in
                 enumerate(recording.outputs)]  # fmt: skip
        outputs, adjoints = function(*inputs, *seeds)
        values = [plain(v) for value in outputs for v in entries(plain(value))]
        rows.append([plain(d) for a in adjoints for d in entries(plain(a))])
    if not recording.positions:  # no output entries: f alone
        outputs, _ = function(*inputs, *[0] * len(recording.outputs))
        values = [plain(v) for value in outputs for v in entries(plain(value))]
    shapes = _output_shapes(outputs)
    return Measurement(
        "generated", case.inputs, values, rows, tally, size=source.statements, shapes=case.shapes, output_shapes=shapes
    )


def _zero_seed(out: Any) -> Any:
    value = plain(out)
    return 0 if not np.ndim(value) else np.zeros(np.shape(value))


@dataclass(frozen=True)
class Method:
    """One way of differentiating, as the harness runs it and the tables name it.

    Attributes:
        name: its key in rows, JSON and ``--method`` ("reverse").
        label: how a sentence names it ("reverse mode", "sympy's gradient").
        short: how an agreement names it as the reference ("sympy").
        order: 1 for gradients and Jacobians, 2 for Hessians.
        measure: ``measure(case, budget, exact)``: the method run on counting numbers.
        reference: exact where the point is rational: the other methods are checked against it.
        budgeted: its derivative's size is bounded by the budget's nodes (sympy's swell); every
            method is bounded by the budget's seconds.
    """

    name: str
    label: str
    short: str
    order: int
    measure: Callable[[Case, Budget, bool], Measurement]
    reference: bool = False
    budgeted: bool = False


SYMBOLIC = Method("symbolic", "sympy's gradient", "sympy", 1, measure_symbolic, reference=True, budgeted=True)
FORWARD = Method("forward", "forward mode", "forward", 1, measure_forward)
REVERSE = Method("reverse", "reverse mode", "reverse", 1, measure_reverse)
GENERATED = Method("generated", "the generated code", "generated", 1, measure_generated)

METHODS: dict[str, Method] = {m.name: m for m in (SYMBOLIC, FORWARD, REVERSE, GENERATED)}


@dataclass
class CaseRun:
    """Every method run on one case: the function's own operations, each result, each failure."""

    case: Case
    f_ops: Tally | None
    results: dict[str, Measurement]
    failures: dict[str, Exception]
    f_values: list[Any] | None = None  # the output entries of f itself, run at the point

    def ops(self, method: str) -> int | None:
        """The total operations of ``method``, or None when it did not run."""
        result = self.results.get(method)
        return result.ops.total if result is not None else None

    def stops(self) -> dict[str, str]:
        """Method → message, for each method its budget stopped or that declined (sympy and a
        data-dependent branch); any other failure is raised again, for the study to report."""
        for error in self.failures.values():
            if not isinstance(error, (BudgetExceeded, Declined)):
                raise error
        return {method: str(error) for method, error in self.failures.items()}


def _ignore(error: BaseException) -> None:
    pass


def run_methods(
    case: Case,
    methods: Sequence[str] = tuple(METHODS),
    budget: Budget | None = None,
    *,
    exact: bool = True,
    on_error: Callable[[BaseException], None] = _ignore,
    table: Mapping[str, Method] = METHODS,
) -> CaseRun:
    """Run the function and each method on counting numbers, each under ``budget``'s clock.

    A method that fails (a domain error, a declined branch, the budget) is kept in ``failures``
    and the next one still runs; ``on_error`` sees each failure (to print its traceback). With
    ``exact`` False the symbolic method is counted but not evaluated. ``table`` names the
    methods: the first-order ones, or :data:`.hessians.SECOND_ORDER`.
    """
    budget = budget or Budget()
    results: dict[str, Measurement] = {}
    failures: dict[str, Exception] = {}
    f_values: list[Any] | None = None
    try:
        with budget.clock("evaluating f"), numpy_errors_explained():
            f_values, f_ops = measure_function(case)
    except Exception as error:  # the methods below report it, each in its own row
        f_ops = None
        on_error(error)
    for method in methods:
        try:
            with (
                budget.clock(f"the {method} method"),
                kinks.collecting() as met,
                float_range.collecting() as below,
                numpy_errors_explained(),
            ):
                results[method] = table[method].measure(case, budget, exact)
            results[method].kinks = met
            results[method].underflows = below.notes()
        except Exception as error:
            failures[method] = error
            on_error(error)
    return CaseRun(case, f_ops, results, failures, f_values)


def gradient(
    f: Callable[..., Any], at: Mapping[str, Any], method: str = "reverse", budget: Budget | None = None
) -> Measurement:
    """Differentiate ``f`` at ``at`` (input name → number) by ``method``, counting its operations.

    ``method`` is "symbolic", "forward", "reverse" or "generated". The result has ``value``, ``gradient``
    (or ``jacobian`` for several outputs), ``ops`` (a tally by kind; ``ops.total`` in all) and
    ``size`` (tape length, or derivative tree nodes).

    Example:
        >>> import diffstudy
        >>> r = diffstudy.gradient(lambda x, y: x**3 * (x + 3*y), {"x": 2, "y": 3})
        >>> r.value, r.gradient
        (Fraction(88, 1), {'x': Fraction(140, 1), 'y': Fraction(24, 1)})
    """
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}: choose from {', '.join(METHODS)}")
    case = make_case(f, at)
    if case.problem:
        raise CaseError(case.problem)
    run = run_methods(case, (method,), budget or Budget())
    if method in run.failures:
        raise run.failures[method]
    return run.results[method]

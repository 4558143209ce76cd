"""Run every method on every case and gather the results in one tidy pandas DataFrame.

One row per (case, method), each with a ``status``: ``ok``; ``declined`` (symbolic
differentiation of a data-dependent branch); ``budget`` (the method's budget stopped it: the
symbolic derivative swelled past its size, or a method outlasted the clock; ``error`` says
which); ``disagree``; or ``error`` (with its one-line message). A failing method never stops the
others, nor a failing case the next. ``notes`` holds what an ``ok`` row must say besides: a value
that agrees with sympy's only as rounded to the float range, or, where no exact value was there
to check against, an underflow the floats met.

Agreement is the largest relative difference from the reference, named in ``reference``:
sympy's value when the symbolic method ran, otherwise the other algorithmic method. Values and
each row of the Jacobian are compared separately, each relative to its largest reference
entry; a row whose reference is all zeros is compared relative to the size of f. Two float
methods are compared the same way both ways round (see :func:`_scale`), and a float that is
sympy's value below the normal floats, as closely as a float can be, agrees (see
:func:`_entry_differences`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import numpy as np
import pandas as pd
import sympy

from ..engine import float_range
from ..engine.budget import Budget
from ..engine.primitives import shown
from ..engine.symbolic import exact_rational
from ..errors import BudgetExceeded, CallsDisagree, Declined
from .cases import Case
from .hessians import SECOND_ORDER
from .messages import describe
from .methods import METHODS, Measurement, Method, run_methods

DEFAULT_RTOL = 1e-9

COLUMNS = [
    "case",
    "method",
    "where",
    "inputs",
    "point",
    "outputs",
    "value",
    "gradient",
    "jacobian",
    "hessian",
    "exact",
    "ops",
    "ops_by_kind",
    "f_ops",
    "ratio",
    "ops_cse",
    "ratio_cse",
    "size",
    "size_cse",
    "agreement",
    "reference",
    "status",
    "error",
    "kinks",
    "notes",
]


def _exact(v: Any) -> sympy.Basic:
    if isinstance(v, Fraction) or (isinstance(v, float) and math.isfinite(v)):
        return exact_rational(v)
    return sympy.sympify(v)  # sympy numbers, and a float overflowed to inf or nan


FLOAT_RESOLUTION = exact_rational(float_range.SMALLEST_SUBNORMAL)  # 2**-1074: the floats' finest spacing
SMALLEST_NORMAL = exact_rational(float_range.SMALLEST_NORMAL)  # 2**-1022: below it a float has fewer digits


def _rounded_below_range(computed: Any, reference: sympy.Basic, difference: sympy.Basic) -> bool:
    """Whether ``computed`` is a float that stands for a ``reference`` below the normal floats as
    closely as the float range allows: within one step of the subnormals (2**-1074), which
    includes the correctly rounded float (0.0 for a reference below 2**-1075)."""
    return isinstance(computed, float) and abs(reference) < SMALLEST_NORMAL and difference <= FLOAT_RESOLUTION


def _entry_differences(computed: Sequence[Any], reference: Sequence[Any], scale: sympy.Basic) -> list[float]:
    """Each entry's |computed − reference| / ``scale``, exactly. An entry that is its reference
    rounded to the float range (:func:`_rounded_below_range`) is measured against the smallest
    normal float instead: floats hold no relative precision below it, and no float is closer."""
    differences = []
    for c, r in zip(computed, reference):
        exact_c, exact_r = _exact(c), _exact(r)
        difference = abs(exact_c - exact_r)
        if difference and _rounded_below_range(c, exact_r, difference):
            differences.append(_as_float(difference / max(scale, SMALLEST_NORMAL)))
        else:
            differences.append(_as_float(difference / scale))
    return differences


def _as_float(ratio: sympy.Basic) -> float:
    """An exact relative difference as a float that is 0 only for the same number: one too small
    for a float is the smallest float (0 would read as 'exact')."""
    return float(ratio) or (float_range.SMALLEST_SUBNORMAL if ratio else 0.0)


def _groups(
    result: Measurement, reference: Measurement, outputs: Sequence[tuple[int, ...]] = ()
) -> list[tuple[str, Sequence[Any], Sequence[Any]]]:
    """(what it is, computed, reference) for the values, each Jacobian row and each Hessian row;
    an output entry named as numpy indexes it when the outputs' shapes are known."""
    several = len(reference.values) > 1
    groups = [("the value" + ("s" if several else ""), result.values, reference.values)]
    groups += [
        (f"the derivatives of output {_output_entry(outputs, k)}" if several else "the gradient", computed, expected)
        for k, (computed, expected) in enumerate(zip(result.jacobian, reference.jacobian))
    ]
    groups += [
        (f"the Hessian's row by {_input_entry(result, i)}", computed, expected)
        for i, (computed, expected) in enumerate(zip(result.hessian or [], reference.hessian or []))
    ]
    return groups


def _input_entry(result: Measurement, column: int) -> str:
    """The entry of the inputs a column of the Jacobian is the derivative by: ``x``, or ``W[1, 2]``."""
    shapes = result.shapes or ((),) * len(result.inputs)
    found = _located(shapes, column)
    if found is None:
        return f"column {column - sum(math.prod(shape) for shape in shapes)}"
    k, index = found
    return f"{result.inputs[k]}{index}"


def _output_entry(shapes: Sequence[tuple[int, ...]], entry: int) -> str:
    """An entry of the outputs, counted flat, as numpy indexes it: ``[1, 0]`` of one output of
    2 × 2; ``1 [2]`` or ``0`` among several outputs; ``[3]`` where their shapes are not known."""
    found = _located(shapes, entry)
    if found is None:
        return f"[{entry - sum(math.prod(shape) for shape in shapes)}]"
    k, index = found
    return index if len(shapes) == 1 else f"{k} {index}".rstrip()


def _located(shapes: Sequence[tuple[int, ...]], entry: int) -> tuple[int, str] | None:
    """Which of arrays of ``shapes`` an entry of them all, counted flat, lies in, and its index
    there as numpy writes it (``[1, 0]``; nothing for a number); None past their ends."""
    for k, shape in enumerate(shapes):
        size = math.prod(shape)
        if entry < size:
            return k, f"[{', '.join(str(int(i)) for i in np.unravel_index(entry, shape))}]" if shape else ""
        entry -= size
    return None


def _position(
    label: str, result: Measurement, entry: int, entries: int, outputs: Sequence[tuple[int, ...]] = ()
) -> str:
    """Where in a group (see :func:`_groups`) an entry is: an output's (from 0, as numpy indexes
    it), or the input entry a derivative is by."""
    if label.startswith("the value"):
        return f" of output {_output_entry(outputs, entry)}" if entries > 1 else ""
    return f"{', its entry' if label.startswith('the Hessian') else ''} by {_input_entry(result, entry)}"


def _largest(numbers: Iterable[Any]) -> sympy.Basic:
    return max((abs(_exact(v)) for v in numbers), default=sympy.S.Zero)


def _scale(computed: Sequence[Any], expected: Sequence[Any], size_of_f: sympy.Basic, peers: bool, rtol: float) -> Any:
    """What a group's differences are relative to.

    Against sympy: its largest entry; for a row of zeros, the size of f (a derivative that is 0 in
    exact arithmetic comes out as a rounding error of the size f's own rounding errors have).

    Between two float methods (``peers``: sympy did not run) neither is the reference, so the
    comparison is the same both ways round: relative to the larger of the two rows' largest
    entries. A row that both give within ``rtol``·|f| of zero is what a zero row of sympy's would
    accept from either, so it is measured against the size of f too: a derivative that is 0 in
    exact arithmetic comes out of each method as its own rounding noise (Σ softmax(b) is 1 for
    every b; its gradient is 2.8e-17 by forward mode and 0.0 by reverse). The size of the terms
    that cancelled would be the better scale, but a tape of array operations keeps
    vector-Jacobian products, not the |partial| × |adjoint| sums that would measure it.
    """
    largest = _largest(expected)
    if not peers:
        return largest or size_of_f or 1
    largest = max(largest, _largest(computed))
    if largest <= sympy.Float(rtol) * size_of_f:
        return size_of_f or 1
    return largest


def _differences(
    result: Measurement, reference: Measurement, rtol: float, outputs: Sequence[tuple[int, ...]] = ()
) -> list[tuple[float, str, Sequence[Any], Sequence[Any], list[float]]]:
    """For each group: (its relative difference, what it is, computed, reference, each entry's)."""
    peers = not method_named(reference.method).reference
    size_of_f = max(_largest(reference.values), _largest(result.values) if peers else 0) or sympy.S.One
    differences = []
    for label, computed, expected in _groups(result, reference, outputs):
        entries = _entry_differences(computed, expected, _exact(_scale(computed, expected, size_of_f, peers, rtol)))
        differences.append((max(entries, default=0.0), label, computed, expected, entries))
    return differences


def agreement(result: Measurement, reference: Measurement, rtol: float = DEFAULT_RTOL) -> float:
    """Largest relative difference of the values and of each Jacobian row from the reference
    (each group relative to the scale :func:`_scale` gives it)."""
    return max(difference for difference, *_ in _differences(result, reference, rtol))


def _where_it_differs(
    result: Measurement, reference: Measurement, rtol: float = DEFAULT_RTOL, outputs: Sequence[tuple[int, ...]] = ()
) -> str:
    """The group that differs most from the reference, and its most different entry, both numbers
    (an output's entry as numpy indexes it where ``outputs``, their shapes, are known)."""
    differences = _differences(result, reference, rtol, outputs)
    _, label, computed, expected, entries = max(differences, key=lambda group: group[0])
    entry = max(range(len(expected)), key=lambda i: entries[i])
    position = _position(label, result, entry, len(expected), outputs)
    return f"{label}{position}: {shown(computed[entry])} against {shown(expected[entry])}"


def _rounded_to_the_range(
    result: Measurement, reference: Measurement, outputs: Sequence[tuple[int, ...]] = ()
) -> list[str]:
    """A note for the entries that agree with sympy only as its value rounded to the float range."""
    rounded = []
    for label, computed, expected in _groups(result, reference, outputs):
        for i, (c, r) in enumerate(zip(computed, expected)):
            difference = abs(_exact(c) - _exact(r))
            if difference and _rounded_below_range(c, _exact(r), difference):
                position = _position(label, result, i, len(expected), outputs)
                rounded.append(f"{label}{position}: {shown(c)} for sympy's {shown(r)}")
    if not rounded:
        return []
    more = f" (and {len(rounded) - 1:,} more)" if len(rounded) > 1 else ""
    return [
        f"below the float range: {rounded[0]}{more}; as close as a float comes (within 2**-1074, the "
        "spacing of the smallest floats), so it agrees"
    ]


def _numbers(result: Measurement) -> list[Any]:
    """Every number a method computed: values, derivatives, and second derivatives."""
    rows = [*result.jacobian, *(result.hessian or [])]
    return [*result.values, *(d for row in rows for d in row)]


def _finite(result: Measurement) -> bool:
    return all(math.isfinite(v) for v in _numbers(result) if isinstance(v, float))


def _is_exact(result: Measurement) -> bool:
    return all(isinstance(v, Fraction) for v in _numbers(result))


def method_named(name: str) -> Method:
    """The method of this name, of either order."""
    return METHODS.get(name) or SECOND_ORDER[name]


def _reference_for(method: str, results: dict[str, Measurement]) -> str | None:
    """The method ``method`` is checked against: the exact one where it ran (none for itself),
    else the first other that ran."""
    exact = next((m for m in results if method_named(m).reference), None)
    if exact is not None:
        return exact if exact != method else None
    return next((m for m in results if m != method), None)


def _disagreement(
    method: str, difference: float, rtol: float, reference: str, results: dict[str, Measurement], where: str
) -> str:
    """Why a method disagrees with its reference (``where``, from :func:`_where_it_differs`: the
    place and both numbers), naming a kink that only one of them met."""
    text = f"differs from {method_named(reference).short} by {difference:.2e} (rtol {rtol:g}) in "
    text += where
    met = results[reference].kinks
    if met and not results[method].kinks:
        text += (
            f"; the reference met a kink ({'; '.join(met)}) that this method's floats passed beside: "
            "each side is a one-sided derivative"
        )
    return text


def _as_f_gives(values: Sequence[Any], f_values: Sequence[Any] | None) -> bool:
    """Whether a method's values are the numbers f itself gives, entry for entry."""
    if f_values is None or len(values) != len(f_values):
        return False
    return all(type(a) is type(b) and (a == b or (a != a and b != b)) for a, b in zip(values, f_values))


def _floats_alone(result: Measurement) -> list[str] | None:
    """The underflows of a float method that has no exact value to be checked against: two float
    methods that met the same underflow agree on the same lost digits, so the row must say it."""
    if not result.underflows:
        return None
    caution = "with no exact value to compare with, the floats may have lost digits there"
    return [f"{note}; {caution}" for note in result.underflows]


def _status(error: BaseException) -> str:
    """A failure's name. A method its budget stopped is ``budget``, whichever it is: sympy's
    derivative swelling past it, or forward mode's n passes outlasting the clock on 10⁵ inputs,
    is what the study measures, not a failure."""
    if isinstance(error, Declined):
        return "declined"
    if isinstance(error, BudgetExceeded):
        return "budget"
    return "error"


def _row(case: Case, method: str, f_ops: int | None) -> dict[str, Any]:
    """A row of ``COLUMNS`` for one method on one case, before its results are filled in."""
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row |= {
        "case": case.name,
        "method": method,
        "where": case.where,
        "inputs": list(case.inputs),
        "point": {name: _nested(v) for name, v in case.at.items()},
        "f_ops": f_ops,
        "status": "ok",
        "error": None,
    }
    return row


def _fill(row: dict[str, Any], result: Measurement) -> None:
    """Put one method's results and counts into its row."""
    jacobian = [
        {name: _nested(d) for name, d in result.by_input(derivatives).items()} for derivatives in result.jacobian
    ]
    single = len(result.values) == 1
    row.update(
        outputs=len(result.values),
        value=result.value if single else list(result.values),
        gradient=jacobian[0] if single else None,
        jacobian=jacobian,
        hessian=None
        if result.hessian is None
        else {name: {other: _nested(d) for other, d in row.items()} for name, row in result.hessian_by_input().items()},
        exact=_is_exact(result),
        ops=result.ops.total,
        ops_by_kind=dict(sorted(result.ops.items())),
        size=result.size,
        ops_cse=result.ops_cse.total if result.ops_cse is not None else None,
        size_cse=result.size_cse,
        kinks=result.kinks or None,
    )
    if row["f_ops"]:
        row["ratio"] = result.ops.total / row["f_ops"]
        if result.ops_cse is not None:
            row["ratio_cse"] = result.ops_cse.total / row["f_ops"]


def _as_floats(row: dict[str, Any]) -> None:
    """A row at a point of floats, as read: its numbers floats, none of them called exact. The
    reference is still computed exactly at the floats' binary values (agreement is measured
    against it), but exact is for exact inputs."""
    row.update({column: _floats(row[column]) for column in ("value", "gradient", "jacobian", "hessian")})
    row["exact"] = False


def _floats(v: Any) -> Any:
    """``v`` with every Fraction in it a float, nested as ``v`` is (one beyond the float range stays exact)."""
    if isinstance(v, dict):
        return {k: _floats(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_floats(x) for x in v]
    if isinstance(v, Fraction):
        try:
            return float(v)
        except OverflowError:
            return v
    return v


def _nested(v: Any) -> Any:
    """An array as nested lists (JSON's shape of it); a number as it is."""
    return v.tolist() if isinstance(v, np.ndarray) else v


def compare_case(
    case: Case,
    methods: Sequence[str],
    budget: Budget,
    rtol: float,
    on_error: Callable[[BaseException], None],
    table: Mapping[str, Method] = METHODS,
) -> list[dict[str, Any]]:
    """Rows for one case: every method of ``table`` named in ``methods`` run, measured and
    checked against the reference."""
    run = run_methods(case, methods, budget, on_error=on_error, table=table)
    f_ops = run.f_ops.total if run.f_ops is not None else None
    rows = {method: _row(case, method, f_ops) for method in methods}
    for method, error in run.failures.items():
        rows[method].update(status=_status(error), error=describe(error, case))
    # forward mode's calls of f at the point gave other values: f depends on something it changes
    impure = any(isinstance(error, CallsDisagree) for error in run.failures.values())
    # the outputs' shapes, from a method that saw them (reverse mode's recording, the generated code)
    outputs = next((result.output_shapes for result in run.results.values() if result.output_shapes), ())
    for method, result in run.results.items():
        _fill(rows[method], result)
        if not case.exact:
            _as_floats(rows[method])
    for method, result in run.results.items():
        reference = _reference_for(method, run.results)
        exact_reference = reference is not None and method_named(reference).reference
        if not method_named(method).reference and not exact_reference:
            rows[method]["notes"] = _floats_alone(result)
        if reference is None:
            continue
        if not _finite(result):
            rows[method].update(status="error", error="the result is not finite: a float overflowed to inf or nan")
            continue
        difference = agreement(result, run.results[reference], rtol)
        rows[method].update(agreement=difference, reference=method_named(reference).short)
        where = _where_it_differs(result, run.results[reference], rtol, outputs) if not difference <= rtol else ""
        if where and result.kinks and run.results[reference].kinks and not where.startswith("the value"):
            # Both met the kink: f has no derivative there, and each method gives its convention's
            # number (an equal share per tied entry; sympy's Heaviside(0) = ½ per comparison). The
            # value is continuous at a kink: a value that differs is no convention.
            rows[method]["kinks"] = [*result.kinks, f"both at the kink, its convention differs from sympy's: {where}"]
        elif where:
            why = _disagreement(method, difference, rtol, reference, run.results, where)
            if where.startswith("the value") and _as_f_gives(result.values, run.f_values):
                why += (
                    "; f itself, run at the point, gives this value: its own arithmetic loses the digits "
                    "(rounding errors that cancel), not the method"
                )
            if impure:
                why += "; f gave another value when called again (the forward row says): each method met another f"
            rows[method].update(status="disagree", error="; ".join([why, *result.underflows]))
        elif exact_reference:
            rows[method]["notes"] = _rounded_to_the_range(result, run.results[reference], outputs) or None
    return list(rows.values())


def methods_of(order: int) -> Mapping[str, Method]:
    """The methods that compute derivatives of this order (1: gradients, 2: Hessians)."""
    if order not in (1, 2):
        raise ValueError(f"order {order}: diffstudy computes first (1) and second (2) derivatives")
    return METHODS if order == 1 else SECOND_ORDER


def compare(
    cases: Iterable[Case],
    methods: Sequence[str] | None = None,
    budget: Budget | None = None,
    rtol: float = DEFAULT_RTOL,
    progress: Callable[[str], None] | None = None,
    on_error: Callable[[BaseException], None] | None = None,
    order: int = 1,
) -> pd.DataFrame:
    """Differentiate every case by every method: one row per (case, method), columns ``COLUMNS``.

    With ``order`` 2 the methods are the Hessian's (:data:`.hessians.SECOND_ORDER`), and the
    ``hessian`` column is filled.
    """
    table = methods_of(order)
    rows = []
    for case in cases:
        if progress:
            progress(case.name)
        rows.extend(
            compare_case(case, methods or list(table), budget or Budget(), rtol, on_error or (lambda e: None), table)
        )
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def failed(frame: pd.DataFrame) -> bool:
    """Whether any method failed or disagreed (declining, or stopping at the budget, is not failing)."""
    return bool(frame["status"].isin(["error", "disagree"]).any())

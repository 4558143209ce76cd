"""Whether an inf or a nan among f's inputs is sure to show in f's value: then numpy code need not
check its inputs or its adjoints, only the value; and whether finite inputs make finite adjoints:
then it checks the inputs alone (see :func:`.generate._checked_sums`).

Numpy code runs with numpy's float errors raised (see :data:`.generate.RAISING`): an operation on
finite floats that overflows, divides by zero or makes a nan raises. So an adjoint can be inf or
nan without an error only where a number it was computed from was: an input, a constant, or a
float of Python's own, which says nothing when it overflows. Where every entry of every input
reaches the value through operations that keep an inf or nan (inf + 1 = inf, nan · 0 = nan; inf · 0
raises) and the constants are finite, a finite value says that every input was finite, and so was
every number the code made after. The code then checks the value alone, not a sum of each adjoint
(a sum costs as much as an operation of f: a fifth of the gradient of a short Rosenbrock).

Told only where that argument holds for certain: a recording whose one output is a number, made
by a sum or a mean, with no other number on it (Python's floats in a sum's adjoint: the seed
alone), and only operations that numpy computes itself under its float errors (no product of
matrices, which BLAS computes in threads whose float errors numpy does not see).

Where the value cannot tell (tanh(inf) = 1), :func:`shown_at` says which inputs an array the code
makes on the way can: the network's hidden layer before tanh, C @ W.T + b, shows an inf or nan of
W and b, so the code sums that array (a sixth of W's entries, and at hand) instead of W and b.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np

from . import array_primitives, primitives
from .array_primitives import Scale, pull
from .reverse import ArrayEntry, Recording

# Operations that move or sum entries: an inf or nan taken in is in the result, at the entries
# their linear map takes it to (a slice's, a sum's, a reshape's).
_CARRIED = {
    array_primitives.SUM,
    array_primitives.MEAN,
    array_primitives.INDEX,
    array_primitives.RESHAPE,
    array_primitives.TRANSPOSE,
    array_primitives.BROADCAST_TO,
}
# Operations numpy computes entry by entry under its float errors, which may hide an inf or nan
# (np.where picks, np.max of -inf and 1 is 1) but make none from finite numbers without an error.
_RAISING = {
    *_CARRIED,
    array_primitives.JOIN,
    array_primitives.WHERE,
    array_primitives.EXTREME,
}


def shown_by_the_value(recording: Recording) -> bool:
    """Whether an inf or nan in any entry of any input is sure to make the value inf or nan, or
    raise numpy's float error on the way, and nothing else can make an adjoint inf or nan."""
    tape, n = recording.tape, recording.n_inputs
    if len(recording.outputs) != 1 or getattr(recording.outputs[0], "tape", None) is not tape:
        return False
    output = recording.outputs[0].index
    entry = tape[output]
    if not (entry.__class__ is ArrayEntry and entry.primitive in (array_primitives.SUM, array_primitives.MEAN)):
        return False
    if not finite_from_finite_inputs(recording):
        return False
    return shown_at(recording, output, through_products=False) == set(range(n))


def shown_at(recording: Recording, k: int, through_products: bool = True) -> set[int]:
    """The inputs an inf or nan in any entry of which is sure to make some entry of the array
    entry ``k`` made inf or nan, or raise numpy's float error on the way: the numpy code checks
    ``k``'s array (often smaller, and at hand) instead of theirs. With ``through_products``, also
    through a product of matrices with a constant C of finite floats: an entry of A reaches every
    entry of C @ A whose row of C multiplies it by a number other than 0 (any such product with
    inf or nan is inf or nan, and so is any sum it is in, in whatever order BLAS adds)."""
    tape, n = recording.tape, recording.n_inputs
    reached: dict[int, Any] = {k: np.ones(np.shape(tape[k].value))}  # which entries reach k (> 0)
    for j in range(k, n - 1, -1):
        seen = reached.pop(j, None)
        if seen is None:  # an operation k does not read
            continue
        entry = tape[j]
        if entry.__class__ is not ArrayEntry:
            continue
        for position, (index, linear_map) in zip(_variables(entry), entry.arguments):
            if entry.primitive is array_primitives.MATMUL:
                variable = np.shape(tape[index][1])
                linear_map = _through_the_constant(entry, position, variable) if through_products else None
                if linear_map is None:
                    continue
            elif not _keeps(entry, position):
                continue
            elif entry.primitive not in _CARRIED:  # entry by entry: broadcast back, as the adjoint is
                linear_map = Scale(1.0, np.shape(tape[index][1]), np.shape(entry.value))
            with np.errstate(all="ignore"):  # (|C|ᵀ @ 1 past the float range is inf: reached all the same)
                term = np.greater(pull(None, linear_map, seen), 0).astype(float)
            reached[index] = term if index not in reached else reached[index] + term
    return {i for i in range(n) if i in reached and np.all(reached[i])}  # every entry of the input


def _through_the_constant(entry: ArrayEntry, position: int, variable: tuple[int, ...]) -> Any:
    """The map that takes which entries of C @ A (or A @ C) are reached back to which of A's reach
    them, C the product's constant and A of shape ``variable``: |C|ᵀ @ g (g @ |C|ᵀ), which is 0
    only where C multiplies by 0. None where the other factor is not a constant of finite floats."""
    constant = entry.constants[1 - position] if len(entry.constants) == 2 else None
    if not isinstance(constant, np.ndarray) or constant.dtype.kind != "f" or not np.isfinite(constant).all():
        return None
    if position == 0:
        return array_primitives.MatmulRight(np.abs(constant), variable)
    return array_primitives.MatmulLeft(np.abs(constant), variable)


def finite_from_finite_inputs(recording: Recording) -> bool:
    """Whether finite inputs make every number of the code finite, or raise numpy's float error:
    only operations numpy computes under its float errors, finite constants, and no number but the
    output (a number's adjoint is a Python float, which overflows without a word)."""
    tape, n = recording.tape, recording.n_inputs
    outputs = {getattr(output, "index", None) for output in recording.outputs}
    for k in range(n, len(tape)):
        entry = tape[k]
        if entry.__class__ is not ArrayEntry or not _raising(entry) or (k not in outputs and np.ndim(entry.value) == 0):
            return False
        if not all(_finite(constant) for constant in entry.constants if constant is not None):
            return False
    return True


def _raising(entry: ArrayEntry) -> bool:
    return entry.primitive.scalar is not None or entry.primitive in _RAISING


def _variables(entry: ArrayEntry) -> list[int]:
    return [p for p, operand in enumerate(entry.operands) if isinstance(operand, int)]


def _keeps(entry: ArrayEntry, position: int) -> bool:
    """Whether an inf or nan in the argument at ``position`` is sure to be in the result at the
    entries it reaches (or raise a float error)."""
    if entry.primitive in _CARRIED:
        return True
    scalar = entry.primitive.scalar
    if scalar is primitives.POW:  # x ** c keeps an inf or nan of x where c > 0 (inf ** 0 = 1, inf ** -1 = 0)
        exponent = entry.constants[1] if len(entry.constants) > 1 else None
        return position == 0 and exponent is not None and bool(np.all(np.asarray(exponent) > 0))
    return scalar is not None and scalar.keeps_non_finite[position]


def _finite(constant: Any) -> bool:
    if isinstance(constant, np.ndarray):
        return constant.dtype.kind in "biu" or (constant.dtype.kind == "f" and bool(np.isfinite(constant).all()))
    if isinstance(constant, float):
        return math.isfinite(constant)
    return isinstance(constant, (int, Fraction, np.integer, np.floating)) and bool(np.isfinite(float(constant)))

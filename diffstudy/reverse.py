"""Reverse mode: record a flat tape during one evaluation, then sweep it backwards.

The tape is a plain list. Entry k is the operation that produced variable k:

* ``(None, value)`` for an input;
* ``(primitive, value, i, p)`` for a function of variable ``i``, of local partial ``p``;
* ``(primitive, value, i, p, operands)`` for an operator whose other operand was a constant;
  ``operands`` are the two values as they were combined, kept so a graph can show the constant;
* ``(primitive, value, i, p, j, q)`` for an operator of two variables.

Recording order is already a valid reverse order, so the backward sweep is one loop from the
last entry to the first: no topological sort, no recursion, no sets. Adjoints live in a local
list, never on the variables, so sweeping twice gives the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .active import Active, constant_like, install_operators
from .errors import NestingError
from .forward import outputs_of
from .primitives import ONE, Primitive, accumulate

Entry = tuple


class Var(Active):
    """A variable on a tape: its value, its position on the tape, and the tape itself."""

    __slots__ = ("value", "index", "tape")
    kind = "tape variable"
    priority = 2

    def __init__(self, value: Any, index: int, tape: list[Entry]) -> None:
        self.value = value
        self.index = index
        self.tape = tape

    def __repr__(self) -> str:
        return f"Var({self.value!r}, index={self.index})"

    def __diffstudy_apply__(self, primitive: Primitive) -> Var:
        a = self.value
        out = primitive.evaluate(a)
        tape = self.tape
        tape.append((primitive, out, self.index, primitive.partials[0](a, out)))
        return Var(out, len(tape) - 1, tape)


_allocate = object.__new__


def _two_tapes() -> NestingError:
    return NestingError("variables of two tapes met: nested or mixed differentiation is not supported")


def _binary(primitive: Primitive) -> Callable[[Var, Any], Any]:
    new = _allocate
    evaluate = primitive.evaluate
    rule_x, rule_y = primitive.partials

    def method(self: Var, other: Any) -> Any:
        a = self.value
        tape = self.tape
        if other.__class__ is Var:
            if other.tape is not tape:
                raise _two_tapes()
            b = other.value
            out = evaluate(a, b)
            tape.append((primitive, out, self.index, rule_x(a, b, out), other.index, rule_y(a, b, out)))
        elif self.treats_as_constant(other):
            out = evaluate(a, other)
            tape.append((primitive, out, self.index, rule_x(a, other, out), (a, other)))
        else:
            return NotImplemented
        # Allocating without __init__ saves a call on the tape's hottest path.
        v = new(Var)
        v.value = out
        v.index = len(tape) - 1
        v.tape = tape
        return v

    method.__name__ = primitive.name
    return method


def _reflected(primitive: Primitive) -> Callable[[Var, Any], Any]:
    evaluate = primitive.evaluate
    rule_y = primitive.partials[1]

    def method(self: Var, other: Any) -> Any:
        if not self.treats_as_constant(other):
            return NotImplemented
        b = self.value
        out = evaluate(other, b)
        tape = self.tape
        tape.append((primitive, out, self.index, rule_y(other, b, out), (other, b)))
        return Var(out, len(tape) - 1, tape)

    method.__name__ = "r" + primitive.name
    return method


install_operators(Var, _binary, _reflected)


@dataclass
class Recording:
    """One evaluation recorded on a tape: the tape, how many inputs open it, and the outputs."""

    tape: list[Entry]
    n_inputs: int
    outputs: tuple[Any, ...]

    @property
    def values(self) -> list[Any]:
        """The outputs' values."""
        return [out.value if isinstance(out, Var) else out for out in self.outputs]


def record(f: Callable[..., Any], point: Sequence[Any]) -> Recording:
    """Evaluate ``f`` at ``point`` on tape variables and keep the tape."""
    tape: list[Entry] = [(None, v) for v in point]
    inputs = [Var(v, i, tape) for i, v in enumerate(point)]
    outputs = outputs_of(f(*inputs))
    for out in outputs:
        if isinstance(out, Var) and out.tape is not tape:
            raise _two_tapes()
        if isinstance(out, Active) and not isinstance(out, Var):
            raise NestingError(f"the function returned a {out.kind} instead of a tape variable")
    return Recording(tape, len(point), outputs)


def backward(tape: list[Entry], seeds: Mapping[int, Any]) -> list[Any]:
    """Adjoints of every variable up to the last seeded one, from one backward sweep.

    ``seeds`` maps a variable's index to its adjoint to start from (1 for the output whose
    gradient is wanted; the weights u of uᵀJ for several). A variable that none of the seeded
    variables depends on keeps the adjoint None, and the sweep spends nothing on it.
    """
    last = max(seeds)
    adjoints: list[Any] = [None] * (last + 1)
    for index, seed in seeds.items():
        adjoints[index] = seed
    add = accumulate
    for k in range(last, -1, -1):
        g = adjoints[k]
        if g is None:
            continue
        entry = tape[k]
        size = len(entry)
        if size == 6:
            _, _, i, p, j, q = entry
            adjoints[i] = add(adjoints[i], p, g)
            adjoints[j] = add(adjoints[j], q, g)
        elif size > 2:
            i = entry[2]
            adjoints[i] = add(adjoints[i], entry[3], g)
    return adjoints


def forward_sweep(tape: list[Entry], seeds: Mapping[int, Any]) -> list[Any]:
    """Tangents of every variable, pushed forward through the recorded partials from ``seeds``.

    The tape's own forward mode: ẏ = Σ pᵢ·ẋᵢ entry by entry, with the same partials and the same
    :func:`accumulate` as the backward sweep. A variable the seeds do not reach keeps None.
    """
    tangents: list[Any] = [None] * len(tape)
    for index, seed in seeds.items():
        tangents[index] = seed
    for k, entry in enumerate(tape):
        if len(entry) == 2:
            continue
        tangent = None
        if tangents[entry[2]] is not None:
            tangent = accumulate(None, entry[3], tangents[entry[2]])
        if len(entry) == 6 and tangents[entry[4]] is not None:
            tangent = accumulate(tangent, entry[5], tangents[entry[4]])
        tangents[k] = tangent
    return tangents


def pullback(recording: Recording, weights: Sequence[Any]) -> list[Any]:
    """uᵀJ: the weighted sum of the outputs' gradients, by one backward sweep (``weights`` = u)."""
    seeds: dict[int, Any] = {}
    for out, u in zip(recording.outputs, weights):
        if isinstance(out, Var) and u is not None:
            seeds[out.index] = accumulate(seeds.get(out.index), ONE, u)
    n, tape = recording.n_inputs, recording.tape
    adjoints = backward(tape, seeds) if seeds else []
    adjoints = adjoints[:n] + [None] * (n - len(adjoints))
    return [constant_like(entry[1], 0) if a is None else a for a, entry in zip(adjoints, tape)]


def gradient_row(recording: Recording, position: int) -> list[Any]:
    """The derivatives of output ``position`` with respect to every input, by one sweep."""
    weights: list[Any] = [None] * len(recording.outputs)
    out = recording.outputs[position]
    weights[position] = constant_like(out.value if isinstance(out, Var) else out, 1)
    return pullback(recording, weights)


def jacobian(f: Callable[..., Any], point: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Values and Jacobian of ``f`` at ``point``: one recording, then one sweep per output."""
    recording = record(f, point)
    rows = [gradient_row(recording, k) for k in range(len(recording.outputs))]
    return recording.values, rows

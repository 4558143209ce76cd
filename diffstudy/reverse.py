"""Reverse mode: record a flat tape during one evaluation, then sweep it backwards.

The tape is a plain list. Entry k is the operation that produced variable k:

* ``(None, value)`` for an input;
* ``(primitive, value, i, p)`` for an operation with one variable argument ``i`` of local
  partial ``p`` (the others were constants);
* ``(primitive, value, i, p, j, q)`` for one with two variable arguments.

Recording order is already a valid reverse order, so the backward sweep is one loop from the
last entry to the first: no topological sort, no recursion, no sets. Adjoints live in a local
list, never on the variables, so sweeping twice gives the same answer.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from .active import Active, constant_like, install_operators
from .errors import NestingError
from .forward import outputs_of
from .primitives import Primitive, accumulate

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
            tape.append((primitive, out, self.index, rule_x(a, other, out)))
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
        tape.append((primitive, out, self.index, rule_y(other, b, out)))
        return Var(out, len(tape) - 1, tape)

    method.__name__ = "r" + primitive.name
    return method


def _unary(primitive: Primitive) -> Callable[[Var], Var]:
    def method(self: Var) -> Var:
        return self.__diffstudy_apply__(primitive)

    method.__name__ = primitive.name
    return method


install_operators(Var, _binary, _reflected, _unary)


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


def backward(tape: list[Entry], output: int, seed: Any) -> list[Any]:
    """Adjoints of every variable up to ``output``, from one backward sweep seeded with ``seed``.

    A variable the output does not depend on keeps the adjoint None.
    """
    adjoints: list[Any] = [None] * (output + 1)
    adjoints[output] = seed
    add = accumulate
    for k in range(output, -1, -1):
        g = adjoints[k]
        if g is None:
            continue
        entry = tape[k]
        size = len(entry)
        if size == 6:
            _, _, i, p, j, q = entry
            adjoints[i] = add(adjoints[i], p, g)
            adjoints[j] = add(adjoints[j], q, g)
        elif size == 4:
            _, _, i, p = entry
            adjoints[i] = add(adjoints[i], p, g)
    return adjoints


def gradient_row(recording: Recording, position: int) -> list[Any]:
    """The derivatives of output ``position`` with respect to every input, by one sweep."""
    out = recording.outputs[position]
    inputs = [entry[1] for entry in recording.tape[: recording.n_inputs]]
    if not isinstance(out, Var):
        return [constant_like(v, 0) for v in inputs]
    adjoints = backward(recording.tape, out.index, constant_like(out.value, 1))
    row = []
    for i, v in enumerate(inputs):
        adjoint = adjoints[i] if i < len(adjoints) else None
        row.append(constant_like(v, 0) if adjoint is None else adjoint)
    return row


def jacobian(f: Callable[..., Any], point: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Values and Jacobian of ``f`` at ``point``: one recording, then one sweep per output."""
    recording = record(f, point)
    rows = [gradient_row(recording, k) for k in range(len(recording.outputs))]
    return recording.values, rows

"""Reverse mode: record a flat tape during one evaluation, then sweep it backwards.

How ``x * y`` is differentiated, from the operator to the gradient::

    >>> recording = record(lambda x, y: x * y, [2.0, 3.0])

1. :func:`record` puts one entry per input on a fresh tape and calls the function on tape
   variables: ``Var(2.0, index=0)`` and ``Var(3.0, index=1)``.
2. ``x * y`` calls ``Var.__mul__``, the method :func:`_binary` made from the primitive ``MUL``.
   It computes the value ``MUL.evaluate(2.0, 3.0) = 6.0`` and the local partials from ``MUL``'s
   rules, ∂(xy)/∂x = y = 3.0 and ∂(xy)/∂y = x = 2.0, appends one entry to the tape and returns
   the variable that entry produced, ``Var(6.0, index=2)``::

    >>> [entry_at(recording.tape, k) for k in range(3)]  # doctest: +NORMALIZE_WHITESPACE
    [Entry(primitive=None, value=2.0, first=None, first_partial=None, second=None, second_partial=None),
     Entry(primitive=None, value=3.0, first=None, first_partial=None, second=None, second_partial=None),
     Entry(primitive=<primitive mul>, value=6.0, first=0, first_partial=3.0, second=1, second_partial=2.0)]

3. :func:`backward` seeds the output's adjoint with 1 and walks the tape from the last entry to
   the first. Entry 2 adds (partial × adjoint) into each argument's adjoint: x̄ += 3.0 · 1 and
   ȳ += 2.0 · 1. The inputs' entries have no arguments, so the sweep ends with the gradient::

    >>> gradient_row(recording, 0)
    [3.0, 2.0]

The tape is a plain list of tuples laid out as :class:`Entry`. An array operation (``W @ x``,
``np.sum``) is one entry too, an :class:`ArrayEntry`, however many numbers it moves: its
arguments carry linear maps whose ``transpose`` is the vector-Jacobian product, so the tape of a
network is a handful of entries whatever its number of weights. Recording order is already a
valid reverse order, so the backward sweep is one loop: no topological sort, no recursion, no
sets. Adjoints live in a local list, never on the variables, so sweeping twice gives the same
answer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property
from typing import Any, NamedTuple

import numpy as np

from ..errors import NestingError
from . import array_primitives, unchanged
from .active import Active, ActiveArray, constant_like, install_operators, operate
from .levels import next_level, note_nested
from .primitives import Argument, Primitive, Unit, accumulate
from .trees import entries, flat_entries, is_array, outputs_of, size_of


class Entry(NamedTuple):
    """The layout of one tape entry: the operation that produced variable k.

    An operation has one or two arguments, in the order they were written. Each argument is the
    index of a variable with the local partial derivative by it; an argument that was a constant
    has no variable and no partial, so its index is None and the partial's place holds the
    constant itself (a computational graph shows it). An input has no primitive and no arguments.

    The tape stores plain tuples in this order, because building a named tuple on the hottest
    path would cost a third of the time of an operation; :func:`entry_at` names one for reading.
    """

    primitive: Primitive | None
    value: Any
    first: int | None
    first_partial: Any
    second: int | None
    second_partial: Any


class Constant(NamedTuple):
    """A number an array operation was given as a constant argument (``x ** 2``: the 2)."""

    value: Any


class ArrayEntry(NamedTuple):
    """The tape entry of an array operation: its primitive, its value, and its arguments.

    ``arguments`` has (index of the variable, linear map of the operation's derivative by it)
    for each argument that is a variable; ``operands`` has, for every argument in the order
    written, its variable's index, or for a constant the constant if it is a number and None if
    it is an array (a computational graph shows them).
    """

    primitive: array_primitives.ArrayPrimitive
    value: Any
    arguments: tuple[tuple[int, array_primitives.LinearMap], ...]
    operands: tuple[int | None, ...]
    constants: tuple[Any, ...]  # each argument that was a constant, as given; None for a variable
    params: array_primitives.Params  # what the operation was given besides its arguments (axis, shape)


class Recomputed(NamedTuple):
    """The tape entry of one output of a checkpointed call or loop (:mod:`.checkpoint`).

    Nothing the call computed inside is on this tape: its ``primitive`` (the call) keeps its
    inputs, and the backward sweep has it run again on a tape of its own and pull the adjoints of
    all its outputs back at once, at the first of its entries the sweep reaches.
    """

    primitive: Any  # the call: a checkpoint.Block, with pull(adjoints, k), push(tangents) and inputs
    value: Any
    output: int  # which of the call's outputs (its entries follow one another on the tape)


class Tape(list):
    """The entries of one recording, in the order they were made, and the tape's level.

    A tape started inside another differentiation has a higher level (:func:`.active.next_level`):
    its variables hold the outer numbers as values, and a variable of an outer tape is a
    constant to it, so the two never mix (reverse over reverse, reverse over forward).
    """

    __slots__ = ("level", "observer", "kept", "keep_all")

    def __init__(self, entries: Iterable[tuple] = (), observer: Any = None) -> None:
        super().__init__(entries)
        self.level = next_level()
        self.observer = observer  # told of every comparison of its variables (the path taken), or None
        self.kept: dict[int, np.ndarray] = {}  # the plain arrays its maps read (read-only while f ran)
        self.keep_all = False  # every plain array an entry is given kept so (code written from it names them)


class ClosedTape(Tape):
    """A tape whose differentiation has returned: a variable of it that escaped (stored in a list
    or a global by the function) cannot record anything more, and says so."""

    __slots__ = ()

    def append(self, entry: tuple) -> None:
        raise NestingError(
            "a tape variable was used after the grad or jacrev call that made it returned "
            "(the function stored it somewhere): use its value, or compute inside the function"
        )


def close(recording: Recording) -> None:
    """Close ``recording``'s tape once its derivatives are taken, so an escaped variable fails clearly.

    Only the type changes; nothing is copied, and an open tape's appends stay list.append.
    """
    recording.tape.__class__ = ClosedTape


def _priority(self: Var | VarArray) -> int:
    return self.tape.level


def entry_at(tape: Tape, k: int) -> Entry | ArrayEntry:
    """Entry ``k`` of ``tape``, with its fields named."""
    entry = tape[k]
    return entry if entry.__class__ is ArrayEntry or entry.__class__ is Recomputed else Entry._make(entry)


def arguments_of(entry: Entry | ArrayEntry) -> list[tuple[int, Any]]:
    """(variable index, local partial or linear map) for every variable argument of an entry."""
    if entry.__class__ is ArrayEntry:
        return list(entry.arguments)
    if entry.__class__ is Recomputed:  # the call itself stands for the partials it did not keep
        return [(index, entry.primitive) for index in entry.primitive.inputs if index is not None]
    _, _, first, first_partial, second, second_partial = entry
    return [(i, p) for i, p in ((first, first_partial), (second, second_partial)) if i is not None]


class Var(Active):
    """A variable on a tape: its value, its position on the tape, and the tape itself."""

    __slots__ = ("value", "index", "tape")
    kind = "tape variable"
    priority = property(_priority)

    def __init__(self, value: Any, index: int, tape: Tape) -> None:
        self.value = value
        self.index = index
        self.tape = tape

    def __repr__(self) -> str:
        return f"Var({self.value!r}, index={self.index})"

    def same_differentiation(self, other: Active) -> bool:
        return getattr(other, "tape", None) is self.tape

    def lifted(self) -> VarArray:
        return VarArray(self.value, self.index, self.tape)

    def process(self, primitive: Primitive, args: Any) -> Var:
        """Perform ``primitive`` and record one entry: each argument's index and local partial,
        or for a constant no index and the constant itself (see :class:`Entry`)."""
        tape = self.tape
        if len(args) == 1:  # self: a function of one number, the common case
            a = self.value
            out = primitive.evaluate(a)
            tape.append((primitive, out, self.index, primitive.partials[0](a, out), None, None))
            return Var(out, len(tape) - 1, tape)
        mine = [a.__class__ is Var and a.tape is tape for a in args]
        values = [a.value if m else a for a, m in zip(args, mine)]
        out = primitive.evaluate(*values)
        fields: list[Any] = []
        for a, m, rule in zip(args, mine, primitive.partials):
            fields += (a.index, rule(*values, out)) if m else (None, a)
        tape.append((primitive, out, *fields))
        return Var(out, len(tape) - 1, tape)


_allocate = object.__new__
_SCALARS = frozenset({float, Fraction})
_CONSTANTS = frozenset({float, int, Fraction})  # plain numbers: constants to any of ours, no question asked
_FLOATS_ONLY = frozenset({float})


def _binary(primitive: Primitive) -> Callable[[Var, Any], Any]:
    """``Var.__mul__`` and its siblings: evaluate, record one entry, return the new variable.

    The tape's hottest path, so a partial that is a constant (add, sub: ±1) or an argument
    (mul: x·y by x is y) is taken without calling its rule; the rule table stays the one source.
    """
    new = _allocate
    evaluate = primitive.evaluate
    rule_x, rule_y = primitive.partials
    mul_like = isinstance(rule_x, Argument) and rule_x.position == 1 and isinstance(rule_y, Argument)
    unit_like = isinstance(rule_x, Unit) and isinstance(rule_y, Unit)

    def method(self: Var, other: Any) -> Any:
        a = self.value
        tape = self.tape
        if other.__class__ is Var and other.tape is tape:
            b = other.value
            out = evaluate(a, b)
            if mul_like:  # the partials written out, without a call: x·y by x is y, by y is x
                tape.append((primitive, out, self.index, b, other.index, a))
            elif unit_like:
                tape.append((primitive, out, self.index, rule_x, other.index, rule_y))
            else:
                tape.append((primitive, out, self.index, rule_x(a, b, out), other.index, rule_y(a, b, out)))
        elif other.__class__ in _CONSTANTS:
            out = evaluate(a, other)
            tape.append((primitive, out, self.index, rule_x(a, other, out), None, other))
        else:  # another tape's variable, an array, a number of another kind: decided in one place
            return operate(primitive, (self, other))
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
        if other.__class__ not in _CONSTANTS:
            return operate(primitive, (other, self))
        b = self.value
        out = evaluate(other, b)
        tape = self.tape
        tape.append((primitive, out, None, other, self.index, rule_y(other, b, out)))
        return Var(out, len(tape) - 1, tape)

    method.__name__ = "r" + primitive.name
    return method


install_operators(Var, _binary, _reflected)


class VarArray(ActiveArray):
    """An array on a tape: its value, its position on the tape, and the tape itself."""

    __slots__ = ("value", "index", "tape")
    kind = "tape array"
    priority = property(_priority)

    def __init__(self, value: Any, index: int, tape: Tape) -> None:
        self.value = value
        self.index = index
        self.tape = tape

    def __repr__(self) -> str:
        return f"VarArray({self.value!r}, index={self.index})"

    def constant(self, c: int) -> Any:
        return constant_like(self.value, c)

    def scalars(self) -> list[Any]:
        """The entries as 0-d arrays on this tape (each an indexing entry), in numpy's order."""
        if not self.shape:
            return [self]
        return [self[index] for index in np.ndindex(*self.shape)]

    def same_differentiation(self, other: Active) -> bool:
        return getattr(other, "tape", None) is self.tape

    def apply_array(
        self, primitive: array_primitives.ArrayPrimitive, args: Any, params: array_primitives.Params
    ) -> VarArray:
        """Evaluate ``primitive`` and record one entry: the linear map of each argument on this tape."""
        tape = self.tape
        values, variables, operands, constants = [], [], [], []
        for position, a in enumerate(args):
            if (a.__class__ is VarArray or a.__class__ is Var) and a.tape is tape:
                values.append(a.value)
                variables.append((position, a.index))
                operands.append(a.index)
                constants.append(None)
            else:  # a constant to this tape (the owner was decided by levels.owner_of)
                values.append(a)
                operands.append(Constant(a) if np.ndim(a) == 0 else None)
                constants.append(a)
        if params:
            unchanged.keep_params(tape.kept, params)
        out = primitive.evaluate(*values, **params)
        partial = primitive.partial
        maps = tuple([(index, partial(position, values, out, params)) for position, index in variables])
        for a in constants:
            if isinstance(a, np.ndarray) and (tape.keep_all or unchanged.held_by(maps, a)):
                unchanged.keep(tape.kept, a)
        tape.append(_new_entry(ArrayEntry, (primitive, out, maps, tuple(operands), tuple(constants), params)))
        return VarArray(out, len(tape) - 1, tape)


_new_entry = tuple.__new__  # a named tuple made without the call its constructor adds


def _watched(cls: type, name: str, symbol: str) -> None:
    """Make ``cls``'s comparison ``name`` tell the tape's observer the path it decided: the
    generated code (:mod:`.generate`) checks every one of them when it runs at another point."""
    compare = getattr(cls, name)

    def watched(self: Var | VarArray, other: Any) -> Any:
        result = compare(self, other)
        observer = self.tape.observer
        if observer is not None:
            observer.compared(symbol, self, other, result)
        return result

    watched.__name__ = name
    setattr(cls, name, watched)


def _watched_truth(self: Var | VarArray) -> bool:
    result = bool(self.value)
    observer = self.tape.observer
    if observer is not None:
        observer.compared("!=", self, 0, result)  # ``if x:`` decides as x != 0 does
    return result


_SYMBOLS = {np.less: "<", np.less_equal: "<=", np.greater: ">", np.greater_equal: ">=", np.equal: "==",
            np.not_equal: "!="}  # fmt: skip


def _watched_ufuncs(cls: type) -> None:
    """Make numpy's comparisons on ``cls`` (np.less(x, y), and ``c < x`` with a plain array c on the
    left, which numpy turns into np.less) tell the observer the path they decided, as the operators do."""
    array_ufunc = cls.__array_ufunc__

    def watched(self: Var | VarArray, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        result = array_ufunc(self, ufunc, method, *inputs, **kwargs)
        observer = self.tape.observer
        if observer is not None and ufunc in _SYMBOLS and len(inputs) == 2 and result is not NotImplemented:
            observer.compared(_SYMBOLS[ufunc], inputs[0], inputs[1], result)
        return result

    cls.__array_ufunc__ = watched


def _watched_text(cls: type, name: str, how: str) -> None:
    """Make ``cls``'s conversion to text ``name`` tell the tape's observer: text a program makes of
    a number (str(x), f"{x:.3f}") may decide its path where no comparison shows it."""
    convert = getattr(cls, name)

    def watched(self: Var | VarArray, *args: Any) -> str:
        observer = self.tape.observer
        if observer is not None:
            observer.read_as_text(how)
        return convert(self, *args)

    watched.__name__ = name
    setattr(cls, name, watched)


for _cls in (Var, VarArray):
    for _name, _symbol in (("__lt__", "<"), ("__le__", "<="), ("__gt__", ">"), ("__ge__", ">="),
                           ("__eq__", "=="), ("__ne__", "!=")):  # fmt: skip
        _watched(_cls, _name, _symbol)
    _watched_ufuncs(_cls)
    _cls.__bool__ = _watched_truth  # type: ignore[method-assign]
    for _name, _how in (("__str__", "str()"), ("__format__", "format()"), ("__repr__", "repr()")):
        _watched_text(_cls, _name, _how)


@dataclass
class Recording:
    """One evaluation recorded on a tape: the tape, how many inputs open it, and the outputs."""

    tape: Tape
    n_inputs: int
    outputs: tuple[Any, ...]

    def on_tape(self, out: Any) -> bool:
        """Whether ``out`` is a variable of this recording (else a constant of it)."""
        return isinstance(out, (Var, VarArray)) and out.tape is self.tape

    @cached_property
    def exact(self) -> bool:
        """Whether an input is exact (a Fraction, or an array of them, under any layers).

        Then a float output (log 3) is seeded with an exact 1, so that a rational derivative (1/3)
        stays exact in reverse mode as it does in forward mode, which seeds the input.
        """
        values = [entry[1] for entry in self.tape[: self.n_inputs]]
        if _FLOATS_ONLY.issuperset(map(type, values)):  # floats alone, the common case, seen at once
            return False
        return any(array_primitives.is_exact(value) for value in values)

    @property
    def values(self) -> list[Any]:
        """The outputs' values."""
        return [out.value if self.on_tape(out) else out for out in self.outputs]

    @property
    def positions(self) -> list[tuple[int, int]]:
        """Every entry of the outputs, as (output, flat index): the rows of the Jacobian."""
        return [(k, j) for k, out in enumerate(self.values) for j in range(size_of(out))]


def record(f: Callable[..., Any], point: Sequence[Any]) -> Recording:
    """Evaluate ``f`` at ``point`` on tape variables (tape arrays for arrays) and keep the tape."""
    tape = Tape([(None, v, None, None, None, None) for v in point])  # an input: a value, made of nothing
    kinds = [VarArray if is_array(v) else Var for v in point] if not _SCALARS.issuperset(map(type, point)) else None
    if kinds is not None:
        note_nested(point)
    if kinds is None:  # numbers only, the common case, made quick (no __init__ call per input)
        inputs = []
        for i, v in enumerate(point):
            var = _allocate(Var)
            var.value, var.index, var.tape = v, i, tape
            inputs.append(var)
    else:
        inputs = [kind(v, i, tape) for i, (kind, v) in enumerate(zip(kinds, point))]
    with unchanged.kept_while(tape.kept):
        unchanged.keep_inputs(tape.kept, point)
        outputs = outputs_of(f(*inputs))
    for out in outputs:
        if isinstance(out, Active) and out.priority > tape.level:
            raise NestingError(f"the function returned a {out.kind} of a differentiation nested inside this one")
    return Recording(tape, len(point), outputs)


def backward(tape: Tape, seeds: Mapping[int, Any], keep_all: bool = True) -> list[Any]:
    """Adjoints of every variable up to the last seeded one, from one backward sweep.

    ``seeds`` maps a variable's index to its adjoint to start from (1 for the output whose
    gradient is wanted; the weights u of uᵀJ for several). A variable that none of the seeded
    variables depends on keeps the adjoint None, and the sweep spends nothing on it. With
    ``keep_all`` False only the inputs' adjoints are wanted, so the memory of an intermediate
    array adjoint may be reused once its entry has been swept.
    """
    last = max(seeds)
    adjoints: list[Any] = [None] * (last + 1)
    for index, seed in seeds.items():
        adjoints[index] = seed
    add, pull = accumulate, array_primitives.pull_owned
    owned: set[int] = set()  # adjoints that are arrays this sweep made and holds nowhere else
    # A slice of the Tape is a plain list, which Python indexes faster than a subclass of it;
    # copying the pointers costs a small fraction of the sweep.
    entries = tape[: last + 1]
    for k in range(last, -1, -1):
        g = adjoints[k]
        if g is None:
            continue
        entry = entries[k]
        if entry.__class__ is ArrayEntry:
            last_argument = len(entry.arguments) - 1
            spare = not keep_all and k in owned
            for position, (index, linear_map) in enumerate(entry.arguments):
                adjoints[index], own = pull(
                    adjoints[index], linear_map, g, index in owned, spare and position == last_argument
                )
                (owned.add if own else owned.discard)(index)
            continue
        if entry.__class__ is Recomputed:  # a checkpointed call: run again, all its outputs pulled back at once
            owned.difference_update(entry.primitive.pull(adjoints, k))
            continue
        _, _, first, first_partial, second, second_partial = entry  # an Entry
        # accumulate(), written out: the sweep's hottest lines.
        if first is not None:
            total = adjoints[first]
            if first_partial.__class__ is Unit:
                adjoints[first] = add(total, first_partial, g)
            else:
                term = first_partial * g
                adjoints[first] = term if total is None else total + term
        if second is not None:
            total = adjoints[second]
            if second_partial.__class__ is Unit:
                adjoints[second] = add(total, second_partial, g)
            else:
                term = second_partial * g
                adjoints[second] = term if total is None else total + term
    return adjoints


def forward_sweep(tape: Tape, seeds: Mapping[int, Any]) -> list[Any]:
    """Tangents of every variable, pushed forward through the recorded partials from ``seeds``.

    The tape's own forward mode: ẏ = Σ pᵢ·ẋᵢ entry by entry, with the same partials and the same
    :func:`accumulate` as the backward sweep. A variable the seeds do not reach keeps None.
    """
    tangents: list[Any] = [None] * len(tape)
    for index, seed in seeds.items():
        tangents[index] = seed
    for k, entry in enumerate(tape):
        if entry[0] is None:
            continue
        if entry.__class__ is Recomputed:  # a checkpointed call pushes all its outputs' tangents at once
            if entry.output == 0:
                tangents[k : k + entry.primitive.outputs] = entry.primitive.push(tangents)
            continue
        combine = array_primitives.push if entry.__class__ is ArrayEntry else accumulate
        tangent = None
        for index, partial in arguments_of(entry):
            if tangents[index] is not None:
                tangent = combine(tangent, partial, tangents[index])
        tangents[k] = tangent
    return tangents


def seed(out: Any, entry: int, exact: bool = False) -> Any:
    """1 at one entry of an output (a number, or an array that is 1 at ``entry`` and 0 elsewhere);
    exact, whatever the output's type, when the inputs are (see :attr:`Recording.exact`)."""
    value = out.value if isinstance(out, (Var, VarArray)) else out
    if is_array(value):
        return array_primitives.unit_like(value, entry, exact and not array_primitives.is_exact(value))
    return constant_like(value, Fraction(1) if exact else 1)


def pullback(recording: Recording, weights: Sequence[Any]) -> list[Any]:
    """uᵀJ: the weighted sum of the outputs' gradients, by one backward sweep (``weights`` = u).

    One weight per output, of the output's shape (None: weight zero). The result has one
    adjoint per input, of the input's shape.
    """
    seeds: dict[int, Any] = {}
    for out, u in zip(recording.outputs, weights):
        if recording.on_tape(out) and u is not None:
            seeds[out.index] = u if out.index not in seeds else seeds[out.index] + u
    n, tape = recording.n_inputs, recording.tape
    adjoints = backward(tape, seeds, keep_all=False)[:n] if seeds else []
    adjoints += [None] * (n - len(adjoints))
    for i, a in enumerate(adjoints):
        if a is None:  # an input the outputs do not depend on
            adjoints[i] = constant_like(tape[i][1], 0)
    return adjoints


def gradient_row(recording: Recording, position: int | tuple[int, int]) -> list[Any]:
    """The derivatives of one output entry with respect to every input entry, by one sweep.

    ``position`` is an output's number, or (output, flat index of its entry) for an array.
    """
    k, entry = (position, 0) if isinstance(position, int) else position
    weights: list[Any] = [None] * len(recording.outputs)
    weights[k] = seed(recording.outputs[k], entry, recording.exact)
    return flat_entries(pullback(recording, weights))


def jacobian(f: Callable[..., Any], point: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Values and Jacobian of ``f`` at ``point``: one recording, then one sweep per output entry."""
    recording = record(f, point)
    rows = [gradient_row(recording, position) for position in recording.positions]
    return [v for value in recording.values for v in entries(value)], rows

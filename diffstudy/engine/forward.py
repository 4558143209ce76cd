"""Forward mode: dual numbers ``a + a'ε``, one pass per input direction.

Each operation computes its value and pushes the tangent through the primitive's local partials
(ẏ = Σ pᵢ·ẋᵢ). A dual number carries one tangent and the tag of its pass. Passes nest: a pass
started inside another has a higher level (:func:`.active.next_level`), its duals hold the outer
pass's numbers as values, and a dual of the outer pass is a constant to it, so perturbations of
two passes never mix.

A tangent that is zero by structure — that of an input the pass does not differentiate by, and
of everything computed from such inputs alone — is None, and no arithmetic is spent on it (JAX
calls these symbolic zeros). Reverse mode likewise spends nothing on variables its output does
not depend on, so the two modes are measured on equal terms.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from itertools import repeat
from math import isfinite
from typing import Any

from ..errors import CallsDisagree, CaseError, NestingError
from . import array_primitives
from .active import Active, ActiveArray, constant_like, install_operators, operate
from .levels import next_level, note_nested
from .primitives import Argument, Primitive, accumulate, overflow
from .trees import directions, entries, flat_entries, is_array, outputs_of

_SCALARS = frozenset({float, Fraction})
_CONSTANTS = frozenset({float, int, Fraction})  # plain numbers: constants to any of ours, no question asked


class Tag:
    """The tag of one forward pass: identity tells two passes apart, ``level`` orders them."""

    __slots__ = ("level",)

    def __init__(self) -> None:
        self.level = next_level()

    def __repr__(self) -> str:
        return f"<pass at level {self.level}>"


def _priority(self: Dual | DualArray) -> int:
    return self.tag.level


class Dual(Active):
    """A dual number: a value, the tangent carried along with it, and the tag of its pass."""

    __slots__ = ("value", "tangent", "tag")
    kind = "dual number"
    priority = property(_priority)

    def __init__(self, value: Any, tangent: Any, tag: object) -> None:
        self.value = value
        self.tangent = tangent
        self.tag = tag

    def __repr__(self) -> str:
        return f"Dual({self.value!r}, {self.tangent!r})"

    def process(self, primitive: Primitive, args: Any) -> Dual:
        """Perform ``primitive``: its value, and the tangent pushed through its partials."""
        tag = self.tag
        if len(args) == 1:  # self: a function of one number, the common case
            a = self.value
            out = primitive.evaluate(a)
            if self.tangent is None:
                return Dual(out, None, tag)
            return Dual(out, accumulate(None, primitive.partials[0](a, out), self.tangent), tag)
        values, tangents = [], []
        for a in args:
            mine = a.__class__ is Dual and a.tag is tag
            values.append(a.value if mine else a)
            tangents.append(a.tangent if mine else None)
        out = primitive.evaluate(*values)
        if out.__class__ is float and not isfinite(out):  # Python's float overflows to inf silently
            raise overflow(primitive.name, *values)
        tangent = None
        for rule, t in zip(primitive.partials, tangents):
            if t is not None:
                tangent = accumulate(tangent, rule(*values, out), t)
        return Dual(out, tangent, tag)

    def same_differentiation(self, other: Active) -> bool:
        return getattr(other, "tag", None) is self.tag

    def lifted(self) -> DualArray:
        return DualArray(self.value, self.tangent, self.tag)


def _binary(primitive: Primitive) -> Callable[[Dual, Any], Any]:
    """``Dual.__mul__`` and its siblings: a quick path for a dual of the same pass or a plain
    number; anything else is decided by :func:`.active.operate`."""
    new, finite = object.__new__, isfinite
    evaluate, name = primitive.evaluate, primitive.name
    rule_x, rule_y = primitive.partials
    # x·y: the partials are the arguments themselves, taken without calling the rules.
    mul_like = isinstance(rule_x, Argument) and rule_x.position == 1 and isinstance(rule_y, Argument)

    def method(self: Dual, other: Any) -> Any:
        a = self.value
        if other.__class__ is Dual and other.tag is self.tag:
            b = other.value
            out = evaluate(a, b)
            t = self.tangent
            tangent = None if t is None else accumulate(None, b if mul_like else rule_x(a, b, out), t)
            if other.tangent is not None:
                tangent = accumulate(tangent, a if mul_like else rule_y(a, b, out), other.tangent)
        elif other.__class__ in _CONSTANTS:
            out = evaluate(a, other)
            tangent = None if self.tangent is None else accumulate(None, rule_x(a, other, out), self.tangent)
        else:
            return operate(primitive, (self, other))
        if out.__class__ is float and not finite(out):  # Python's float overflows to inf silently
            raise overflow(name, a, other.value if other.__class__ is Dual else other)
        dual = new(Dual)  # without __init__: one call fewer on forward mode's hottest path
        dual.value, dual.tangent, dual.tag = out, tangent, self.tag
        return dual

    method.__name__ = primitive.name
    return method


def _reflected(primitive: Primitive) -> Callable[[Dual, Any], Any]:
    evaluate = primitive.evaluate
    rule_y = primitive.partials[1]

    def method(self: Dual, other: Any) -> Any:
        if other.__class__ not in _CONSTANTS:
            return operate(primitive, (other, self))
        b = self.value
        out = evaluate(other, b)
        if out.__class__ is float and not isfinite(out):
            raise overflow(primitive.name, other, b)
        if self.tangent is None:
            return Dual(out, None, self.tag)
        return Dual(out, accumulate(None, rule_y(other, b, out), self.tangent), self.tag)

    method.__name__ = "r" + primitive.name
    return method


install_operators(Dual, _binary, _reflected)


class DualArray(ActiveArray):
    """An array of dual numbers: an array value, its tangent array (None: zero), and its pass's tag."""

    __slots__ = ("value", "tangent", "tag")
    kind = "dual array"
    priority = property(_priority)

    def __init__(self, value: Any, tangent: Any, tag: object) -> None:
        self.value = value
        self.tangent = tangent
        self.tag = tag

    def __repr__(self) -> str:
        return f"DualArray({self.value!r}, {self.tangent!r})"

    def constant(self, c: int) -> DualArray:
        return DualArray(constant_like(self.value, c), None, self.tag)

    def scalars(self) -> list[Dual]:
        """The entries as dual numbers of this pass, in numpy's order."""
        values = entries(self.value)
        tangents = [None] * len(values) if self.tangent is None else entries(self.tangent)
        return [Dual(v, t, self.tag) for v, t in zip(values, tangents)]

    def same_differentiation(self, other: Active) -> bool:
        return getattr(other, "tag", None) is self.tag

    def apply_array(
        self, primitive: array_primitives.ArrayPrimitive, args: Any, params: array_primitives.Params
    ) -> DualArray:
        """Evaluate ``primitive`` on the values and push the tangents through its linear maps."""
        tag = self.tag
        values, tangents = [], []
        for a in args:
            if (a.__class__ is DualArray or a.__class__ is Dual) and a.tag is tag:
                values.append(a.value)
                tangents.append(a.tangent)
            else:  # a constant to this pass (the owner was decided by levels.owner_of)
                values.append(a)
                tangents.append(None)
        out = primitive.evaluate(*values, **params)
        if all(t is None for t in tangents):
            return DualArray(out, None, tag)
        return DualArray(out, primitive.tangent(tangents, values, out, params), tag)


def push(f: Callable[..., Any], point: Sequence[Any], tangents: Sequence[Any]) -> tuple[list[Any], list[Any]]:
    """One forward pass: the outputs' values and their derivatives along ``tangents`` (J·v).

    A tangent of None is a structural zero: that input is held constant in this pass. An output
    or an input may be an array; its tangent is then an array of its shape.
    """
    tag = Tag()
    if _SCALARS.issuperset(map(type, point)):  # numbers only, the common case, made quick
        inputs = list(map(Dual, point, tangents, repeat(tag)))
    else:
        note_nested(point)
        inputs = [DualArray(v, t, tag) if is_array(v) else Dual(v, t, tag) for v, t in zip(point, tangents)]
    values, derivatives = [], []
    zero = None  # the derivative 0 of an output the seeded inputs do not reach, found once per pass
    for out in outputs_of(f(*inputs)):
        if isinstance(out, (Dual, DualArray)) and out.tag is tag:
            values.append(out.value)
            if out.tangent is None:
                zero = _zero_for(point) if zero is None else zero
                derivatives.append(constant_like(out.value, zero))
            else:
                derivatives.append(out.tangent)
        elif isinstance(out, Active) and out.priority > tag.level:
            raise NestingError(f"the function returned a {out.kind} of a differentiation nested inside this one")
        else:  # an output that does not depend on the inputs (a number, or one of an outer pass)
            values.append(out)
            # a zero of the output's shape, in the type of the inputs' entries
            derivatives.append(constant_like(out, 0) if is_array(out) else constant_like(entries(point[0])[0], 0))
    return values, derivatives


def _zero_for(point: Sequence[Any]) -> int | Fraction:
    """0 for an output that the seeded inputs do not reach: exact when an input is (log(2 + y²)
    by x at integers is 0, not 0.0), else 0 in the output's type."""
    return Fraction(0) if any(array_primitives.is_exact(v) for v in point) else 0


def unit_tangents(point: Sequence[Any], direction: tuple[int, int]) -> list[Any]:
    """The seed of the pass along one entry of one input: 1 there (in the input's type), zero elsewhere.

    ``direction`` is (input, flat index of the entry); the other inputs get None.
    """
    which, entry = direction
    return [unit_like(v, entry) if i == which else None for i, v in enumerate(point)]


def unit_like(x: Any, entry: int) -> Any:
    """1 in the type of ``x``; for an array, the array of its shape that is 1 at ``entry`` and 0 elsewhere."""
    if not is_array(x):
        return constant_like(x, 1)
    return array_primitives.unit_like(x, entry)


def _same_as_first(found: list[Any], first: list[Any], call: int, calls: int) -> None:
    """Refuse a Jacobian whose columns would come from calls of f that disagree: an f that
    depends on something it changes (a buffer it writes, a random draw, a counter)."""
    for entry, (now, then) in enumerate(zip(found, first)):
        if not (now == then or (now != now and then != then)):  # (nan is nan again)
            raise CallsDisagree(
                f"f gave another value at the same point on its call {call} of {calls} (output entry {entry}: "
                f"{now}, where its first call gave {then}): forward mode calls f once per input entry, so f must "
                "not depend on anything it changes (a buffer it writes into, a random draw, a counter)"
            )
    if len(found) != len(first):
        raise CaseError(f"f gave {len(found)} output entries on its call {call} of {calls}, {len(first)} on its first")


def jacobian(f: Callable[..., Any], point: Sequence[Any]) -> tuple[list[Any], list[list[Any]]]:
    """Values and Jacobian of ``f`` at ``point``, by one forward pass per entry of the inputs.

    The values are the outputs' entries; the Jacobian has a row per entry of the outputs and a
    column per entry of the inputs.
    """
    values: list[Any] = []
    columns = []
    every = directions(list(point))
    for direction in every:
        outputs, derivatives = push(f, point, unit_tangents(point, direction))
        found = flat_entries(outputs)
        if columns:  # each column from another call of f: each call must give the first's values
            _same_as_first(found, values, len(columns) + 1, len(every))
        values = found
        columns.append(flat_entries(derivatives))
    if not columns:  # inputs with no entries (an empty array): the values, and rows of nothing
        values = flat_entries(push(f, point, [None] * len(point))[0])
        return values, [[] for _ in values]
    rows = [list(row) for row in zip(*columns)]
    return values, rows

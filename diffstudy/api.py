"""The function API, in JAX's vocabulary: ``grad``, ``value_and_grad``, ``jacfwd``, ``jacrev``,
``jvp``, ``vjp``, ``hessian``.

These run the engines on plain numbers, with no counting, as fast as the engines go. Arguments
may be numbers, numpy arrays, and lists, tuples and dicts of them (JAX's pytrees); results have
the structure and shapes JAX gives. A list of 1,000 floats is 1,000 scalar inputs on the scalar
tape; an array is one input on the array tape.

The transforms nest, in any order (``grad(grad(f))``, ``jacfwd(jacrev(f))``): each pass and tape
has its own level, so an inner derivative never absorbs an outer perturbation.

Integers are exact, as everywhere in diffstudy: ``grad(lambda x: x**3)(2)`` is ``Fraction(12, 1)``;
pass ``2.0`` for a float.

For measuring what a method costs, use :func:`diffstudy.gradient` instead.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import wraps
from operator import itemgetter
from typing import Any

import numpy as np

from . import watched
from .engine import forward, reverse, unchanged, users_code
from .engine.active import Active, plain
from .engine.ndarrays import numpy_errors_explained, object_array
from .engine.primitives import overflow, shown
from .engine.trees import Structure, flatten, place_of, size_of, unflatten
from .errors import ArgumentError, CaseError, DomainError, NotFinite, ShapeError, UnsupportedOperation

ArgNums = int | Sequence[int]


@dataclass(frozen=True)
class Transform:
    """What a transform of this API is, kept on the function it returns (``ds.jit`` reads it)."""

    kind: str  # "grad", "value_and_grad", "jacrev", "jacfwd" or "hessian"
    f: Callable[..., Any]
    argnums: ArgNums
    has_aux: bool


def _marked(function: Callable[..., Any], kind: str, f: Callable[..., Any], argnums: ArgNums, has_aux: bool) -> Any:
    function.__diffstudy_transform__ = Transform(kind, f, argnums, has_aux)  # type: ignore[attr-defined]
    return function


def _selected(argnums: ArgNums, count: int) -> tuple[int, ...]:
    single = isinstance(argnums, int) and not isinstance(argnums, bool)
    chosen = (argnums,) if single else tuple(argnums) if isinstance(argnums, (tuple, list)) else None
    if chosen is None or not all(isinstance(i, int) and not isinstance(i, bool) for i in chosen):
        raise CaseError(f"argnums must be an argument's position or a tuple of them, not {argnums!r}")
    for i in chosen:
        if not -count <= i < count:
            raise CaseError(f"argnums {i} is out of range for a function called with {count} arguments")
    positions = tuple(i % count for i in chosen)
    if len(set(positions)) != len(positions):
        raise CaseError(f"argnums {argnums!r} names an argument twice: differentiate by each once")
    return positions


class _Split:
    """The arguments of one call, split into the leaves being differentiated and the rest.

    ``leaves`` are the numbers and arrays of the chosen arguments, in order; :meth:`call` runs
    the function on new leaves (tape variables, dual numbers) with the other arguments as given.
    """

    def __init__(
        self,
        f: Callable[..., Any],
        args: Sequence[Any],
        argnums: ArgNums,
        kwargs: dict[str, Any] | None = None,
        has_aux: bool = False,
    ) -> None:
        self.f, self.args, self.kwargs, self.has_aux = f, list(args), kwargs or {}, has_aux
        self.aux: Any = None
        self.chosen = _selected(argnums, len(args))
        self.single = isinstance(argnums, int)
        self.structures: list[Structure] = []
        self.leaves: list[Any] = []
        self.counts: list[int] = []
        for i in self.chosen:
            try:
                leaves, structure = flatten(args[i])
            except TypeError as error:
                raise ArgumentError(f"argument {i}: {error}") from None
            self.structures.append(structure)
            self.counts.append(len(leaves))
            self.leaves += leaves
        bad = _first_not_finite_leaf(self.leaves)
        if bad is not None:
            k = int(np.searchsorted(np.cumsum(self.counts), bad[0], side="right"))
            place = place_of(self.structures[k], bad[0] - sum(self.counts[:k]), _entry_not_finite(self.leaves[bad[0]]))
            raise NotFinite(
                f"argument {self.chosen[k]}{f' at {place}' if place else ''}: {bad[1]} is not a finite number"
            )
        self.dtypes = _derivative_dtypes([args[i] for i in self.chosen])
        # each chosen argument a number or an array itself: its leaf is its derivative as it is
        self.bare_leaves = not any(self.dtypes) and all(s[0] == "leaf" for s in self.structures)
        self.output_structure: Structure | None = None
        self.output_shapes: list[tuple[int, ...]] = []
        self.entrywise: list[bool] = []
        self.keep_ints = False  # with it, call keeps the output leaves of integers (arrays too) as f gave them
        self.ints: list[tuple[int, Any]] = []  # (place among the output leaves, the integer)

    @contextlib.contextmanager
    def explained(self) -> Iterator[None]:
        """A result that is not finite said to come from an argument not differentiated by, or an
        array or number f reads as a global or from its closure, that holds inf or nan, where one
        does (rather than from an overflow on the way), with the place in it that does."""
        try:
            yield
        except ResultNotFinite as error:
            given = [
                (f"argument {i}", ", not differentiated by,", a)
                for i, a in enumerate(self.args)
                if i not in self.chosen
            ]
            given += [(f"keyword argument {k}", ", not differentiated by,", v) for k, v in self.kwargs.items()]
            for name, why, value in [*given, *_read_by(self.f)]:
                try:
                    leaves, structure = flatten(value)
                except (TypeError, ValueError):  # not numbers: a string, a function
                    continue
                bad = _first_not_finite_leaf(leaves)
                if bad is not None:
                    place = place_of(structure, bad[0], _entry_not_finite(leaves[bad[0]]))
                    where = f"{name}{f' at {place}' if place else ''}{why}"
                    raise DomainError(f"the result is not finite ({error.value}): {where} holds {bad[1]}") from None
            raise

    def call(self, *leaves: Any) -> tuple[Any, ...]:
        """The function at the arguments with the chosen ones rebuilt from ``leaves``; its outputs' leaves."""
        args, start = list(self.args), 0
        for i, structure, count in zip(self.chosen, self.structures, self.counts):
            args[i] = unflatten(structure, list(leaves[start : start + count]))
            start += count
        try:
            result = self.f(*args, **self.kwargs)
        except (DomainError, ShapeError) as error:
            _said_at_the_users_line(error)
            raise
        if self.has_aux:
            if not isinstance(result, (tuple, list)) or len(result) != 2:
                raise CaseError("with has_aux=True the function must return a pair: (output, auxiliary data)")
            result, aux = result
            level = next((leaf.priority for leaf in leaves if isinstance(leaf, Active)), None)
            self.aux = aux if level is None else _strip(aux, level)
        try:
            outputs, self.output_structure = flatten(result)
        except TypeError as error:
            raise ArgumentError(f"the function's output: {error}") from None
        if self.keep_ints:  # (the engines take an int as a Fraction, to compute exactly)
            given = flatten(result, as_given=True)[0]
            self.ints = [
                (j, leaf)
                for j, leaf in enumerate(given)
                if isinstance(leaf, (int, np.integer)) or (isinstance(leaf, np.ndarray) and leaf.dtype.kind in "iu")
            ]
        self.output_shapes = [np.shape(plain(o)) if not _entrywise(o) else o.shape for o in outputs]
        self.entrywise = [_entrywise(o) for o in outputs]
        # An object array of diffstudy's numbers (np.array([x * y, x + y])) goes to the engine entry by entry.
        return tuple(e for o in outputs for e in (o.flat if _entrywise(o) else [o]))

    def regroup(self, values: Sequence[Any]) -> list[Any]:
        """The engine's outputs gathered back into the function's output leaves."""
        leaves, start = [], 0
        for shape, entrywise in zip(self.output_shapes, self.entrywise):
            if entrywise:
                size = int(np.prod(shape))
                leaves.append(object_array(values[start : start + size], shape))
                start += size
            else:
                leaves.append(values[start])
                start += 1
        return leaves

    def spread(self, leaves: Sequence[Any]) -> list[Any]:
        """Weights given per output leaf, spread over the engine's outputs (the inverse of :meth:`regroup`)."""
        return [e for leaf, entrywise in zip(leaves, self.entrywise) for e in (np.ravel(leaf) if entrywise else [leaf])]

    def arranged(self, per_leaf: Sequence[Any]) -> Any:
        """One value per leaf, put back in the chosen arguments' structure (a tuple for several).

        A derivative by a float32 (or float16) leaf is given in its dtype, as JAX gives a
        cotangent its primal's dtype; it is computed in float64.
        """
        if self.bare_leaves:
            return per_leaf[0] if self.single else tuple(per_leaf)
        if any(self.dtypes):
            per_leaf = [v if d is None else _in_dtype(v, d) for v, d in zip(per_leaf, self.dtypes)]
        rebuilt, start = [], 0
        for structure, count in zip(self.structures, self.counts):
            rebuilt.append(unflatten(structure, list(per_leaf[start : start + count])))
            start += count
        return rebuilt[0] if self.single else tuple(rebuilt)


_PLAIN = frozenset({float, int, Fraction, np.float64})


def _said_at_the_users_line(error: BaseException) -> None:
    """A rule's error raised while f ran (log of a negative number, an axis out of bounds) begun
    with the user's line it passed through last, as compare begins it, where it names none."""
    where = users_code.line_of(error.__traceback__)
    if where and error.args and where.split(" ")[0] not in str(error.args[0]):
        error.args = (f"{where}: {error.args[0]}", *error.args[1:])


def _derivative_dtypes(arguments: Sequence[Any]) -> list[np.dtype | None]:
    """Per leaf of ``arguments``, the float dtype its derivatives are given in (see
    :meth:`_Split.arranged`); [] when none has one, the common case, found quickly."""
    if _PLAIN.issuperset(map(type, arguments)):
        return []
    given = [leaf for argument in arguments for leaf in flatten(argument, as_given=True)[0]]
    if _PLAIN.issuperset(map(type, given)):
        return []
    return [_lower_precision(leaf) for leaf in given]


def _lower_precision(leaf: Any) -> np.dtype | None:
    """The dtype of a leaf of numpy's floats narrower than float64 (np.float32(3), a float16
    array), which diffstudy computes with in float64; None for any other leaf."""
    dtype = getattr(leaf, "dtype", None)
    if isinstance(leaf, (np.floating, np.ndarray)) and dtype.kind == "f" and dtype.itemsize < 8:
        return dtype
    return None


def _in_dtype(value: Any, dtype: np.dtype) -> Any:
    """A derivative (a number or an array of them) in ``dtype``; one of an outer differentiation as it is.

    Raises:
        DomainError: the derivative, finite in float64, is past the range of ``dtype``.
    """
    try:
        with np.errstate(over="raise"):
            if isinstance(value, np.ndarray) and value.dtype != object:
                return value.astype(dtype)
            if isinstance(value, float):
                return dtype.type(value)
    except FloatingPointError:
        largest = value if isinstance(value, float) else float(np.max(np.abs(value)))
        raise DomainError(
            f"a derivative of {shown(largest)} overflows {dtype}, the dtype of the argument it is by "
            "(computed in float64, it is given in the argument's dtype)"
        ) from None
    return value


def _callable(f: Any, transform: str) -> None:
    """Raise at once, as JAX does, when a transform is given something that is not a function."""
    if not callable(f):
        raise ArgumentError(f"{transform} takes a function to differentiate, not {type(f).__name__} {f!r}")


def _strip(aux: Any, level: int) -> Any:
    """``aux`` with every number of this differentiation (or one nested in it) replaced by its
    value, as JAX returns auxiliary data concrete."""
    if isinstance(aux, (list, tuple)):
        return type(aux)(_strip(item, level) for item in aux)
    if isinstance(aux, dict):
        return {key: _strip(item, level) for key, item in aux.items()}
    if isinstance(aux, np.ndarray) and aux.dtype == object:
        return _finish(object_array([_strip(item, level) for item in aux.flat], aux.shape))
    while isinstance(aux, Active) and aux.priority >= level:
        aux = aux.value
    return _finish(aux) if not isinstance(aux, Active) and isinstance(aux, (float, np.ndarray)) else aux


_FLOAT = frozenset({float})


def _entrywise(x: Any) -> bool:
    return isinstance(x, np.ndarray) and x.dtype == object and any(isinstance(v, Active) for v in x.flat)


def _finish(value: Any) -> Any:
    """A result as the user sees it: plain numbers, float arrays as float arrays.

    A number of an outer differentiation (this call nested in another) is left as it is, for
    that one to finish.

    Raises:
        DomainError: a float overflowed to inf or nan on the way (Python's floats say nothing).
    """
    if isinstance(value, Active):
        return value
    if isinstance(value, np.ndarray) and value.dtype == object and all(isinstance(v, float) for v in value.flat):
        value = value.astype(float)  # numpy's floats too (a Hessian's entries): then checked below
    bad = _first_not_finite(value)
    if bad is not None:
        raise ResultNotFinite(bad)
    return value


class ResultNotFinite(DomainError):
    """A result that is inf or nan: an overflow on the way, or data that held one (see _Split.explained)."""

    def __init__(self, value: float) -> None:
        self.value = value
        super().__init__(
            f"the result is not finite ({value}): a float overflowed to inf or nan on the way, "
            "or an argument not differentiated by holds one"
        )


def _first_not_finite(value: Any) -> float | None:
    """The first inf or nan in a number or an array of any dtype (an object array's entries
    too), or None when every float in it is finite; exact numbers are always finite."""
    if isinstance(value, float):  # numpy's float64 too (math.isfinite: no float error numpy would raise)
        return None if math.isfinite(value) else float(value)
    if isinstance(value, np.ndarray):
        if value.dtype.kind in "fc":
            bad = value[~np.isfinite(value)]
            return float(bad.flat[0]) if bad.size else None
        if value.dtype == object:
            return next((v for v in map(_first_not_finite, value.flat) if v is not None), None)
    if isinstance(value, np.floating):
        return None if np.isfinite(value) else float(value)
    return None


def _read_by(f: Any) -> list[tuple[str, str, Any]]:
    """The arrays and numbers ``f``'s own code reads as globals or from its closure: each one's
    name, how f reads it, and it."""
    code = getattr(f, "__code__", None)
    if code is None:
        return []
    loaded, _ = watched.names_read(code)  # (the names f loads as globals: not x.T's T)
    read = [(f"the global {name}", ", which f reads,", f.__globals__[name]) for name in loaded
            if name in f.__globals__]  # fmt: skip
    for name, cell in zip(code.co_freevars, f.__closure__ or ()):
        with contextlib.suppress(ValueError):  # (a cell not yet filled)
            read.append((name, ", which f reads from its closure,", cell.cell_contents))
    return [(name, how, value) for name, how, value in read if isinstance(value, (float, np.ndarray, np.floating))]


def _entry_not_finite(leaf: Any) -> tuple[int, ...]:
    """The index of the first entry of an array leaf that is inf or nan; () for a number."""
    if not isinstance(leaf, np.ndarray) or not leaf.ndim:
        return ()
    for index in np.ndindex(leaf.shape) if leaf.dtype == object else ():
        if _first_not_finite(leaf[index]) is not None:
            return tuple(int(i) for i in index)
    wrong = np.argwhere(~np.isfinite(leaf)) if leaf.dtype.kind in "fc" else ()
    return tuple(int(i) for i in wrong[0]) if len(wrong) else ()


def _first_not_finite_leaf(leaves: Sequence[Any]) -> tuple[int, float] | None:
    """(position, value) of the first leaf (a number or an array) holding inf or nan, or None.

    An input that is not finite is the user's to fix, and is said to be so; an overflow is the
    program's.
    """
    if _FLOAT.issuperset(map(type, leaves)):
        total = sum(leaves)
        if total - total == 0:  # inf or nan anywhere would make the sum inf or nan
            return None
    for k, leaf in enumerate(leaves):
        bad = _first_not_finite(leaf)
        if bad is not None:
            return k, bad
    return None


def _require_finite(leaves: Sequence[Any], what: str) -> None:
    """Raise a CaseError naming ``what`` (the tangents, the cotangent) when a leaf holds inf or nan."""
    bad = _first_not_finite_leaf(leaves)
    if bad is not None:
        raise CaseError(f"{what}: {bad[1]} is not a finite number")


def _finish_all(values: Sequence[Any]) -> list[Any]:
    """:func:`_finish` of each value; floats alone (a gradient of 1,000 numbers) checked in one sum."""
    if _FLOAT.issuperset(map(type, values)):
        total = sum(values)
        if total - total == 0:  # inf or nan anywhere would make the sum inf or nan
            return list(values)
    return _separate([_finish(v) for v in values])


def _separate(values: Sequence[Any]) -> list[Any]:
    """The arrays among ``values`` each the user's own to change: one that is the same array as
    another, or a view of its memory (∂(a + b) gives a and b one adjoint), copied, and so is a
    read-only one (np.sum's adjoint is a broadcast view of one number)."""
    if len(values) == 1:  # (a gradient by one array: no other to share its memory)
        only = values[0]
        return [only.copy() if isinstance(only, np.ndarray) and not only.flags.writeable else only]
    held: set[int] = set()
    separate = []
    for value in values:
        if isinstance(value, np.ndarray):
            root = value
            while isinstance(root.base, np.ndarray):
                root = root.base
            if id(root) in held or not value.flags.writeable:
                value = value.copy()
                root = value
            held.add(id(root))
        separate.append(value)
    return separate


_VALUE = itemgetter(1)  # an entry's value, in Entry and ArrayEntry alike


def _record(split: _Split) -> reverse.Recording:
    """The function recorded on a tape, every value on it finite (see :func:`_check_recorded`)."""
    recording = reverse.record(split.call, split.leaves)
    _check_recorded(recording.tape, recording.exact)
    return recording


def _check_recorded(tape: reverse.Tape, exact: bool = False) -> None:
    """Raise where a Python float on the tape overflowed to inf or nan, also one that did not
    reach the result (x / (1 + x*x) at 1e200 is 0 on floats, truly 1e-200).

    One pass after recording, a sum (the hot path of the tape stays as it is); numpy's values are
    checked by numpy as they are computed (:func:`numpy_errors_explained`), numbers of an outer
    differentiation by that one. ``exact``: the inputs are, so most values are Fractions.
    """
    values = map(_VALUE, tape)
    if exact:  # a Fraction is always finite, and slow to make a float of
        values = (v for v in values if v.__class__ is not Fraction)
    try:
        # Exact, so finite only when every value is; a value that is no float (an array, a number of
        # an outer differentiation, which refuses float()) or a sum past the float range raises.
        total = math.fsum(values)
    except (TypeError, ValueError, OverflowError):
        total = math.nan
    if total - total == 0:
        return
    for k, value in enumerate(map(_VALUE, tape)):
        if value.__class__ is float and value - value != 0:
            raise _overflow_at(tape, k)


def _overflow_at(tape: reverse.Tape, k: int) -> DomainError:
    """The error of entry ``k``, whose value overflowed, in the words of the counting numbers."""
    entry = reverse.entry_at(tape, k)
    if isinstance(entry, reverse.ArrayEntry):
        return DomainError(f"{entry.primitive.name} of arrays overflows a float")
    if isinstance(entry, reverse.Recomputed):
        return DomainError(f"{entry.primitive.name} overflows a float")
    operands = [
        tape[index][1] if index is not None else constant
        for index, constant in ((entry.first, entry.first_partial), (entry.second, entry.second_partial))
        if index is not None or constant is not None
    ]
    if len(operands) == 1:
        return DomainError(f"{entry.primitive.name}({shown(operands[0])}) overflows a float")
    return overflow(entry.primitive.name, *operands)


def _scalar_output(recording: reverse.Recording, what: str) -> None:
    if len(recording.outputs) != 1 or np.shape(plain(recording.values[0])) != ():
        shapes = [np.shape(v) for v in recording.values]
        raise CaseError(f"{what} is only defined for a function of one number; this one returned shapes {shapes}")


def value_and_grad(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function that returns ``(f(*args), ∇f)``: the gradient by reverse mode, one sweep.

    The gradient has the structure of ``args[argnums]`` (a tuple of them for several argnums).
    Keyword arguments go to f undifferentiated. With ``has_aux`` f returns ``(output, aux)`` and
    the result is ``((output, aux), ∇f)``, as in JAX.
    """
    _callable(f, "value_and_grad")

    @wraps(f)
    def value_and_gradient(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        with numpy_errors_explained():
            split = _Split(f, args, argnums, kwargs, has_aux)
        with numpy_errors_explained(), split.explained():
            recording = _record(split)
            _scalar_output(recording, "grad")
            adjoints = reverse.pullback(recording, [reverse.seed(recording.outputs[0], 0, recording.exact)])
            reverse.close(recording)
            value = _finish(recording.values[0])
            return (value, split.aux) if has_aux else value, split.arranged(_finish_all(adjoints))

    return _marked(value_and_gradient, "value_and_grad", f, argnums, has_aux)


def grad(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function that returns ∇f at its arguments, by reverse mode (f must return one number).

    Keyword arguments go to f undifferentiated; with ``has_aux`` f returns ``(output, aux)`` and
    the result is ``(∇f, aux)``, as in JAX.
    """
    _callable(f, "grad")
    both = value_and_grad(f, argnums, has_aux)

    @wraps(f)
    def gradient(*args: Any, **kwargs: Any) -> Any:
        value, gradients = both(*args, **kwargs)
        return (gradients, value[1]) if has_aux else gradients

    return _marked(gradient, "grad", f, argnums, has_aux)


def vjp(f: Callable[..., Any], *primals: Any) -> tuple[Any, Callable[[Any], tuple[Any, ...]]]:
    """``(f(*primals), vjp_fn)``: ``vjp_fn(u)`` is uᵀJ, one cotangent per primal, by one backward sweep each.

    ``u`` has the structure of f's output. The tape is recorded once and swept per call.
    """
    _callable(f, "vjp")
    with numpy_errors_explained():
        split = _Split(f, primals, tuple(range(len(primals))))
        recording = _record(split)
        output_structure = split.output_structure
        out = unflatten(output_structure, _finish_all(split.regroup(recording.values)))
    # the arrays of the caller's that the tape's maps refer to: a change would change the sweep
    maps = (m for entry in recording.tape if entry.__class__ is reverse.ArrayEntry for _, m in entry.arguments)
    read = unchanged.snapshot(recording.tape.kept, maps)

    def vjp_fn(cotangent: Any) -> tuple[Any, ...]:
        weights, structure = flatten(cotangent)
        if structure != output_structure:
            raise CaseError("the cotangent must have the structure and shapes of the function's output")
        changed = unchanged.changed_since(read)
        if changed is not None:
            raise UnsupportedOperation(
                f"an array of shape {changed.shape} that f read has changed in place since vjp recorded f: "
                "its tape would read the new entries; call vjp again"
            )
        _require_finite(weights, "the cotangent")
        with numpy_errors_explained():
            return split.arranged(_finish_all(reverse.pullback(recording, split.spread(weights))))

    return out, vjp_fn


def jvp(f: Callable[..., Any], primals: Sequence[Any], tangents: Sequence[Any]) -> tuple[Any, Any]:
    """``(f(*primals), J·tangents)`` by one forward pass: ``tangents`` has the structure of ``primals``."""
    _callable(f, "jvp")
    for name, given in (("primals", primals), ("tangents", tangents)):
        if not isinstance(given, (tuple, list)):
            raise CaseError(f"jvp takes the {name} as a tuple, one per argument of f, as JAX does: jvp(f, (x,), (v,))")
    with numpy_errors_explained():
        split = _Split(f, primals, tuple(range(len(primals))))
        seeds, structure = flatten(tuple(tangents))
        if len(seeds) != len(split.leaves) or any(np.shape(s) != np.shape(v) for s, v in zip(seeds, split.leaves)):
            raise CaseError("the tangents must have the structure and shapes of the primals")
        _require_finite(seeds, "the tangents")
        values, derivatives = forward.push(split.call, split.leaves, seeds)
        rebuild = split.output_structure
        return (
            unflatten(rebuild, _finish_all(split.regroup(values))),
            unflatten(rebuild, _finish_all(split.regroup(derivatives))),
        )


def _jacobian_blocks(split: _Split, rows: list[list[Any]]) -> Any:
    """The Jacobian in JAX's layout: for each output leaf, for each input leaf, an array of shape
    out_shape + in_shape, filled from ``rows`` (a row per output entry, a column per input entry)."""
    out_sizes = [int(np.prod(shape)) for shape in split.output_shapes]
    out_offsets = np.cumsum([0, *out_sizes])
    in_offsets = np.cumsum([0] + [size_of(v) for v in split.leaves])
    per_output = []
    for k, out_shape in enumerate(split.output_shapes):
        per_input = []
        for i, leaf in enumerate(split.leaves):
            shape = out_shape + np.shape(leaf)
            block = [
                rows[out_offsets[k] + a][in_offsets[i] + b] for a in range(out_sizes[k]) for b in range(size_of(leaf))
            ]
            array = object_array(block, shape)
            with split.explained():
                per_input.append(_finish(array if shape else block[0]))
        per_output.append(split.arranged(per_input))
    return unflatten(split.output_structure, per_output)


def jacrev(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function that returns the Jacobian of f by reverse mode: one sweep per output entry
    (with ``has_aux``, ``(jacobian, aux)``; keyword arguments go to f undifferentiated)."""
    _callable(f, "jacrev")

    @wraps(f)
    def jacobian(*args: Any, **kwargs: Any) -> Any:
        with numpy_errors_explained():
            split = _Split(f, args, argnums, kwargs, has_aux)
            recording = _record(split)
            rows = [reverse.gradient_row(recording, p) for p in recording.positions]
            reverse.close(recording)
            blocks = _jacobian_blocks(split, rows)
            return (blocks, split.aux) if has_aux else blocks

    return _marked(jacobian, "jacrev", f, argnums, has_aux)


def jacfwd(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function that returns the Jacobian of f by forward mode: one pass per input entry
    (with ``has_aux``, ``(jacobian, aux)``; keyword arguments go to f undifferentiated)."""
    _callable(f, "jacfwd")

    @wraps(f)
    def jacobian(*args: Any, **kwargs: Any) -> Any:
        with numpy_errors_explained():
            split = _Split(f, args, argnums, kwargs, has_aux)
            if not split.leaves:  # nothing to differentiate by (argnums=()): reverse mode's empty answer
                return jacrev(f, argnums, has_aux)(*args, **kwargs)
            _, rows = forward.jacobian(split.call, split.leaves)
            blocks = _jacobian_blocks(split, rows)
            return (blocks, split.aux) if has_aux else blocks

    return _marked(jacobian, "jacfwd", f, argnums, has_aux)


def hessian(f: Callable[..., Any], argnums: ArgNums = 0, has_aux: bool = False) -> Callable[..., Any]:
    """A function that returns the Hessian of f: forward mode over reverse mode, as JAX's
    ``jacfwd(jacrev(f))``, one Hessian-vector product per input entry.

    For an input of shape s the Hessian has shape s + s (a number for a number). A function of
    several numbers gets its Hessians stacked: output shape + s + s, as JAX gives. With
    ``has_aux``, ``(hessian, aux)``.
    """
    _callable(f, "hessian")
    return _marked(jacfwd(jacrev(f, argnums, has_aux), argnums, has_aux), "hessian", f, argnums, has_aux)

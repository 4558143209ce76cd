"""``jit`` and ``code``: a function, or a transform of one, written out as Python and compiled.

``ds.jit(f)``, ``ds.jit(ds.grad(f))``, ``ds.jit(ds.jacrev(f))``, ``ds.jit(ds.jacfwd(f))``,
``ds.jit(ds.hessian(f))``: the first call at a new input structure traces f once
(:func:`.engine.generate.trace`), writes f and its derivative as Python
(:func:`.engine.generate.write`) and compiles it; later calls of the same structure run the
compiled code. A call on another path (a comparison decides otherwise) traces again and keeps
both. ``.source`` is the text of the code the last call ran; ``ds.code(fn, *args)`` writes it for
given arguments without keeping it.

What is an input of the code: every number of every argument that holds only floats (or float
arrays), differentiated or not, so a new data array is seen. Any other argument (an int that
counts a loop, a string, a keyword argument) is a constant of the trace, as JAX's static
arguments are: the cache is keyed on it. What f reads besides its arguments (its globals, the
attributes of ``self``, …) is kept when traced and looked at again at each call
(:mod:`.watched`): a change since and f is traced again.

Where the code cannot check its path at another point (f caught an exception while traced, f
differentiates inside itself, f took :data:`PATHS` paths at one input structure, the program is
too long to write out), the tape differentiates f at those arguments' shapes from then on, and a
:class:`.JitWarning` says why, once.
"""

from __future__ import annotations

import contextlib
import gc
import struct
import warnings
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from . import api, watched
from .api import Transform
from .engine import generate
from .engine.levels import Leveled
from .engine.ndarrays import numpy_errors_explained
from .engine.trees import flatten, size_of, unflatten
from .errors import ArgumentError, CaseError, DiffstudyError, DomainError, JitWarning, NotFinite, UnsupportedOperation


def _dynamic(value: Any) -> bool:
    """Whether an argument's numbers are inputs of the code (floats and float arrays only)."""
    try:
        leaves, _ = flatten(value)
    except (TypeError, ValueError):
        return False
    return bool(leaves) and all(map(_float_leaf, leaves))


_FLOAT64 = np.dtype(np.float64)
PATHS = 16  # paths traced at one input structure, beyond which f's path is taken to follow its data


class NotOneNumber(CaseError):
    """A gradient asked of a function that gives several numbers."""


_SEVERAL = "several outputs"  # (ds.jit(ds.hessian(f))'s note that f gives several numbers, with the arguments' kinds)


class Unfollowable(DiffstudyError):
    """A recording whose path the code cannot check at another point (see :class:`.generate.Script`)."""


def _inspect(
    args: Sequence[Any],
    kwargs: dict[str, Any],
    chosen: tuple[int, ...],
    lists: dict[int, Sequence[float]] | None = None,
) -> tuple[tuple, Sequence[Any], bool]:
    """The input structure of a call (its cache key), the numbers the code takes, and whether they
    are all floats. A float, a list of floats and a float array are seen at once; any other
    argument is flattened, or is a constant of the trace keyed by its value. ``lists``: the
    arguments that are lists of numbers, as floats (see :func:`_lists_of_numbers`)."""
    parts: list[Any] = []
    leaves: list[Any] = []
    floats = True
    for i, a in enumerate(args):
        cls = a.__class__
        if cls is float:
            parts.append(float)
            leaves.append(a)
        elif (
            lists
            and i in lists
            and a
            and a[0].__class__ is float
            and a[-1].__class__ is float
            and (i in chosen or _floats_only(a))
        ):
            # A list of numbers differentiated that begins and ends with a float (checking each
            # entry's type would cost a third of f), or one of floats only: its entries as floats
            # are the code's inputs, as Program takes them (an int among the floats of a list not
            # differentiated makes it a constant of the trace).
            parts.append((cls, len(a)))
            if len(args) == 1:  # the code's inputs are this list's entries: not copied
                leaves = lists[i]
            else:
                leaves.extend(lists[i])
        elif cls is np.ndarray and ((dtype := a.dtype) is _FLOAT64 or dtype.kind == "f"):
            parts.append((cls, a.shape, dtype, a.strides))  # laid out otherwise: traced again
            leaves.append(a if dtype is _FLOAT64 else a.astype(np.float64))  # computed in float64, as the tape does
        elif i in chosen or _dynamic(a):
            try:
                found, structure = flatten(a)
            except TypeError as error:
                raise ArgumentError(f"argument {i}: {error}") from None
            floats = floats and all(_float_leaf(leaf) for leaf in found)
            # each leaf's type as given and an array's dtype and layout: a derivative is given in
            # its argument's dtype (np.float32(1) and np.float64(1) are each traced), and an array
            # laid out otherwise is traced again
            kinds = tuple(_leaf_kind(leaf) for leaf in flatten(a, as_given=True)[0])
            parts.append(("input", structure, kinds))
            leaves.extend(found)
        else:
            parts.append(watched.key(a))
    key = (tuple(parts), tuple(sorted((k, watched.key(v)) for k, v in kwargs.items())) if kwargs else ())
    return key, leaves, floats


def _lists_of_numbers(args: Sequence[Any], kwargs: dict[str, Any]) -> dict[int, Sequence[float]] | None:
    """None where f is to run as it is: an argument is (or holds) one of diffstudy's numbers (a
    transform around this one), or a float (alone or in a list) is inf or nan (the tape raises
    where it is differentiated by, f computes with it where not). Else the arguments that are
    lists or tuples of numbers, every entry a float or converting to one (no array of several
    entries, no list inside), by position: the list itself, or its entries as Python floats where
    one is numpy's (an int64, a float32: computed as the float64 the tape computes in)."""
    lists = {}
    for i, value in enumerate((*args, *kwargs.values())):
        if value.__class__ is float:
            if value - value != 0:  # inf or nan
                return None
            continue
        if value.__class__ is np.ndarray and value.dtype.kind == "f":
            continue
        if value.__class__ is list or value.__class__ is tuple:
            as_floats = _as_floats(value)
            if as_floats is _NOT_FINITE:
                return None
            if as_floats is not None:  # numbers, none of them ours, told at C speed
                lists[i] = as_floats
                continue
        if isinstance(value, Leveled):
            return None
        if isinstance(value, (list, tuple, dict, np.ndarray)):
            try:
                leaves, _ = flatten(value)
            except (TypeError, ValueError):
                continue
            if any(isinstance(leaf, Leveled) or (leaf.__class__ is float and leaf - leaf != 0) for leaf in leaves):
                return None
    return lists


def _as_floats(values: list[Any] | tuple[Any, ...]) -> Sequence[float] | None:
    """The entries of ``values`` as Python floats where every one is a float or converts to one
    (none is one of diffstudy's numbers, which refuse float()), else None. Their sum, the fastest
    look at each entry Python has, is a float where each is a float, an int or a Fraction (computed
    as it is); not where one is diffstudy's number (its sum is one too) or numpy's (an int64 would
    wrap around, a float32 round to 24 bits): then they are packed as C doubles and unpacked as
    floats, which diffstudy's numbers refuse. A Decimal, which a float cannot be added to: None.
    :data:`_NOT_FINITE` where a float among them is inf or nan (their sum is)."""
    try:
        total = sum(values)
        if total.__class__ is float:  # floats, ints or Fractions: as they are
            return values if total - total == 0 else _NOT_FINITE
        form = f"{len(values)}d"
        as_floats = struct.unpack(form, struct.pack(form, *values))
    except Exception:  # a diffstudy number (UnsupportedOperation), a string, an array, a list
        return None
    total = sum(as_floats)
    return as_floats if total - total == 0 else _NOT_FINITE


def _layout(args: Sequence[Any]) -> tuple | None:
    """The shapes and strides of ``args`` where each is a float64 array (the commonest call of a
    numpy program), else None: such a call's cache key, in one look at each argument."""
    if len(args) == 1:  # (the commonest: one array)
        a = args[0]
        if a.__class__ is not np.ndarray or a.dtype is not _FLOAT64:
            return None
        return (a.shape, a.strides)
    layout = []
    for a in args:
        if a.__class__ is not np.ndarray or a.dtype is not _FLOAT64:
            return None
        layout.append(a.shape)
        layout.append(a.strides)
    return tuple(layout) if layout else None


_NOT_RUN: Any = object()  # what Jitted._run gives where no program kept follows the call's path

_NOT_FINITE: Any = object()  # what _as_floats gives for a list holding inf or nan (or whose sum overflows)


def _floats_only(values: list[Any] | tuple[Any, ...]) -> bool:
    return set(map(type, values)) == {float}


def _leaf_kind(leaf: Any) -> Any:
    return (leaf.dtype, leaf.strides) if leaf.__class__ is np.ndarray else leaf.__class__


def _float_leaf(leaf: Any) -> bool:
    return leaf.__class__ is float or (isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f")


class Program:
    """The compiled code of one input structure and one path, and how to call it."""

    def __init__(
        self, transform: Transform, args: Sequence[Any], kwargs: dict[str, Any], floats: bool, readable: bool
    ) -> None:
        f = transform.f
        self.transform = transform
        positions = tuple(range(len(args)))
        self.chosen = api._selected(transform.argnums, len(args)) if transform.kind != "value" else ()
        self.inputs = tuple(i for i in positions if i in self.chosen or _dynamic(args[i]))
        self.split = api._Split(f, args, self.inputs or (), kwargs) if self.inputs else None
        self.outer = api._Split(f, args, transform.argnums, kwargs) if self.chosen else None
        if self.split is None:
            raise CaseError("ds.jit needs an argument of numbers to trace f on")
        leaves = self.split.leaves
        names = [f"x{i}" for i in range(len(leaves))] if not readable else _leaf_names(f, args, self.inputs, leaves)
        self.split.keep_ints = transform.kind == "value"  # an int f returns is returned as it is, not as a Fraction
        with numpy_errors_explained():  # an array that overflows while traced: an error, not numpy's warning
            self.script = generate.trace(self.split.call, leaves, names, program=f, limit=True)
        if self.script.unfollowable is not None:
            raise Unfollowable(self.script.unfollowable)
        self.floats = floats
        self.seed = 1.0 if floats else Fraction(1)
        mode = "forward" if transform.kind == "jacfwd" else "value" if transform.kind == "value" else "reverse"
        self.mode = mode
        name = _function_name(f, transform.kind)
        # Which leaves of the code belong to the differentiated arguments, in order.
        starts = np.cumsum([0] + [len(flatten(args[i])[0]) for i in self.inputs])
        spans = {i: range(start, end) for i, start, end in zip(self.inputs, starts, starts[1:])}
        self.differentiated = [leaf for i in self.chosen for leaf in spans[i]]  # in argnums' order, (1, 0) too
        unit = transform.kind in ("grad", "value_and_grad")  # seeded with 1 at every call
        wanted = self.differentiated if mode == "reverse" else None  # a data array's adjoint is not made
        given = [*((f"argument {i}", a) for i, a in enumerate(args) if i not in self.inputs), *kwargs.items()]
        try:
            constants = [watched.argument(name, a) for name, a in given]  # a list of ints, an object: changed?
            self.seen = watched.read_by(f) + [read for read in constants if read is not None]
        except watched.TooDeep as too_deep:
            raise Unfollowable(str(too_deep)) from None
        self.source = generate.write(
            self.script,
            mode,
            name,
            floats=self.floats,
            compact=True,
            unit_seed=unit,
            wanted=wanted,
            compared=lambda constant: watched.compared_in_full(self.seen, (constant,)),
        )
        self.function = generate.build(self.source)
        # code that takes its inputs as one sequence (a long scalar program), called with the list
        # of them as it is: unpacked into a call, 1,000 floats cost a sixth of f's time
        self.in_one = getattr(self.function, "taking_one_sequence", None)
        if mode == "reverse":
            self._check_one_number()
        if transform.kind in ("jacrev", "jacfwd"):
            self.outer.call(*self.outer.leaves)  # once: the output's shapes, for the Jacobian's layout
        first, last = (self.differentiated[0], self.differentiated[-1] + 1) if self.differentiated else (0, 0)
        self.contiguous = self.differentiated == list(range(first, last))
        self.everything = self.contiguous and (first, last) == (0, len(leaves))  # every input differentiated
        # One float array, or one float, differentiated: its adjoint is the gradient as it is.
        self.bare = (
            self.outer is not None
            and self.outer.single
            and len(self.differentiated) == 1
            and self.outer.structures == [flatten(leaves[self.differentiated[0]])[1]]
            and isinstance(leaves[self.differentiated[0]], (np.ndarray, float))
            and not any(self.outer.dtypes)
        )
        self.span = slice(first, last)
        # A gradient by float arrays, each an argument of its own, which numpy code checked: their
        # adjoints returned as they are (copied where the user may not write into one), nothing else to do.
        self.as_they_are = (
            transform.kind == "grad"
            and self.everything
            and self.floats
            and self.source.derivatives_checked
            and self.outer.bare_leaves
            and all(np.ndim(leaf) > 0 for leaf in leaves)
        )
        structures = self.outer.structures if self.outer is not None else []
        self.one_list = (
            len(structures) == 1
            and self.outer.single
            and structures[0][0] == "list"
            and (isinstance(structures[0][-1], int))
            and not any(self.outer.dtypes)  # (a list of float32s: each derivative a float32)
        )

    def _check_one_number(self) -> None:
        if self.transform.kind in ("grad", "value_and_grad", "hessian"):
            values = self.script.recording.values
            if len(values) != 1 or np.shape(values[0]) != ():
                raise NotOneNumber(
                    f"{self.transform.kind} is only defined for a function of one number; "
                    f"this one returned shapes {[np.shape(v) for v in values]}"
                )

    def __call__(self, leaves: Sequence[Any], seed: Any = None) -> Any:
        """What the transform gives at these leaves; a gradient's output adjoint seeded with ``seed``
        (by default 1 in the type the code was written for)."""
        seed = self.seed if seed is None else seed
        if self.as_they_are:
            adjoints = api._separate(self.function(*leaves, seed)[1])
            return adjoints[0] if self.outer.single else tuple(adjoints)
        kind = self.transform.kind
        if kind == "value":
            values, _ = self.function(*leaves)
            outputs = self.split.regroup(values)
            for j, given in self.split.ints:  # a constant of the trace, on this path (an array: a copy)
                outputs[j] = given.copy() if isinstance(given, np.ndarray) else given
            return unflatten(self.split.output_structure, api._finish_all(outputs))
        if kind == "jacfwd":
            return self._jacfwd(leaves)
        if kind == "jacrev":
            return self._jacrev(leaves)
        values, adjoints = self.function(*leaves, seed) if self.in_one is None else self.in_one(leaves, seed)
        chosen = (
            adjoints
            if self.everything
            else adjoints[self.span]
            if self.contiguous
            else [adjoints[k] for k in self.differentiated]
        )
        if not self.floats or (not self.source.derivatives_checked and _not_finite(chosen)):
            chosen = api._finish_all(chosen)  # an adjoint that overflowed is an error
        elif self.source.derivatives_checked:  # numpy code: two adjoints may be one array, or a read-only view
            chosen = api._separate(chosen)
        if self.bare:
            gradient = chosen[0]
        elif self.one_list:  # a list the code made at this call is the user's as it is
            gradient = chosen if chosen is adjoints and adjoints.__class__ is list else list(chosen)
        else:
            gradient = self.outer.arranged(chosen)
        return (api._finish(values[0]), gradient) if kind == "value_and_grad" else gradient

    def _jacrev(self, leaves: list[Any]) -> Any:
        values = self.script.recording.values
        rows = []
        exact = not self.floats
        for k, value in enumerate(values):
            for entry in range(size_of(value)):
                seeds = [_unit(v, entry if j == k else None, exact) for j, v in enumerate(values)]
                _, adjoints = self.function(*leaves, *seeds)
                rows.append([d for i in self.differentiated for d in np.ravel(np.asarray(adjoints[i], dtype=object))])
        return self._blocks(rows)

    def _jacfwd(self, leaves: list[Any]) -> Any:
        columns = []
        for i in self.differentiated:
            for entry in range(size_of(leaves[i])):
                tangents = [_unit(v, entry if j == i else None, not self.floats) for j, v in enumerate(leaves)]
                _, derivatives = self.function(*leaves, *tangents)
                columns.append([d for out in derivatives for d in np.ravel(np.asarray(out, dtype=object))])
        rows = [list(row) for row in zip(*columns)]
        return self._blocks(rows)

    def _blocks(self, rows: list[list[Any]]) -> Any:
        return api._jacobian_blocks(self.outer, rows)


def _gradient_of(program: Program, seed: Any) -> Callable[..., Any]:
    """The gradient ``program``'s code computes, as a function of f's arguments (of any numbers),
    its output's adjoint seeded with ``seed``."""

    def gradient(*args: Any, **kwargs: Any) -> Any:
        _, leaves, _ = _inspect(args, kwargs, program.chosen)
        return program(leaves, seed)

    return gradient


def _recorded(f: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """f recorded on the tape at these arguments, which raises where a value overflowed on the way."""
    inputs = tuple(i for i, a in enumerate(args) if _dynamic(a))
    if inputs:
        # (an inf or nan given, not made on the way: f's own result is the result)
        with numpy_errors_explained(), contextlib.suppress(NotFinite):
            api._record(api._Split(f, args, inputs, kwargs))


def _not_finite(numbers: Sequence[Any]) -> bool:
    """Whether a sum of the numbers is inf or nan (one of them is)."""
    try:
        total = sum(numbers)
    except (TypeError, ValueError):
        return True
    if total.__class__ is float:
        return total - total != 0
    return bool(np.any(total - total != 0))


def _unit(value: Any, entry: int | None, exact: bool) -> Any:
    """1 at one entry of an output (or input) and 0 elsewhere; all 0 where ``entry`` is None."""
    zero, one = (Fraction(0), Fraction(1)) if exact else (0.0, 1.0)
    if np.ndim(value) == 0:
        return one if entry == 0 else zero
    unit = np.full(np.shape(value), zero, dtype=object if exact else float)
    if entry is not None:
        unit.flat[entry] = one
    return unit


def _leaf_names(f: Callable[..., Any], args: Sequence[Any], inputs: Sequence[int], leaves: list[Any]) -> list[str]:
    """The inputs named after f's parameters: ``x`` for a number, ``x_3`` for the entries of a list."""
    code = getattr(f, "__code__", None)
    parameters = list(code.co_varnames[: code.co_argcount]) if code is not None else []
    names = []
    for i in inputs:
        base = parameters[i] if i < len(parameters) else f"arg{i}"
        count = len(flatten(args[i])[0])
        names += [base] if count == 1 else [f"{base}_{j}" for j in range(count)]
    return names


def _function_name(f: Callable[..., Any], kind: str) -> str:
    given = getattr(f, "__name__", "f").replace("<lambda>", "f")
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in given) or "f"
    return {"value": name}.get(kind, f"{kind}_of_{name}")


class Jitted:
    """A function, or a transform of one, compiled per input structure and path (see :func:`jit`)."""

    def __init__(self, fn: Callable[..., Any]) -> None:
        if not callable(fn):
            raise CaseError(f"ds.jit needs a function, not {type(fn).__name__}")
        self.fn = fn
        transform = getattr(fn, "__diffstudy_transform__", None)
        if isinstance(transform, Transform) and transform.kind == "hessian":
            self.hessian_of = Jitted(api.grad(transform.f, transform.argnums))
            transform = None
        else:
            self.hessian_of = None
        self.transform = transform or Transform("value", fn, 0, False)
        if self.transform.has_aux:
            raise CaseError("ds.jit of a transform with has_aux is not supported: call the transform itself")
        self.cache: dict[tuple, list[Program]] = {}
        # The programs of calls whose arguments are float64 arrays only, by their layout: such a
        # call's cache key told without looking at each argument twice (see _layout).
        self.by_layout: dict[tuple, list[Program]] = {}
        self.last: Program | None = None
        self.traces = 0
        self.constant_calls = 0  # calls whose arguments held no float: f ran as it is
        self.on_tape: dict[tuple, str] = {}  # input structures the code cannot follow, and why
        self.arity, self.chosen = -1, ()

    def __repr__(self) -> str:
        inner = self.hessian_of or self
        kind, name = inner.transform.kind, _function_name(inner.transform.f, "value")
        what = name if kind == "value" else f"{kind}({name})"
        if self.hessian_of is not None:  # (its .source is the gradient's code)
            what = f"hessian({name}): dual numbers run through the code of {what}"
        paths = sum(len(programs) for programs in inner.cache.values())
        left = f", {len(inner.on_tape)} input structure(s) left to the tape" if inner.on_tape else ""
        return f"<ds.jit of {what}: {paths} path{'s' * (paths != 1)} written out{left}>"

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.hessian_of is not None:
            argnums = self.fn.__diffstudy_transform__.argnums
            several = (_SEVERAL, tuple((a.__class__, np.shape(a)) for a in args))  # (these arguments' kinds)
            if several not in self.hessian_of.on_tape:
                try:
                    return self.hessian_of._hessian(args, kwargs, argnums)
                except (FloatingPointError, DomainError):  # the tape decides, as for a gradient (below:
                    pass  # outside the handler, so that an error of the tape's is shown once)
                except NotOneNumber:  # the code is a gradient's: a Hessian per output is the tape's, from now on
                    self.hessian_of.on_tape[several] = reason = "f gives several numbers, and the code is a gradient's"
                    warnings.warn(f"ds.jit: {reason}; the tape stacks a Hessian per output", JitWarning, stacklevel=2)
            return self.fn(*args, **kwargs)
        try:
            programs = None if kwargs else self.by_layout.get(_layout(args))
            if programs:
                result = self._run(programs, args)
                if result is not _NOT_RUN:
                    return result
            lists = _lists_of_numbers(args, kwargs)
            if lists is None:
                # Called inside another transform (ds.grad(ds.jit(f))): f runs on that transform's
                # numbers, which record or push its operations themselves.
                return self.fn(*args, **kwargs)
            return self._compiled(args, kwargs, lists)
        except (FloatingPointError, DomainError):
            # numpy's float error in the written-out code (a norm's squares past the float range
            # where the tape's rule scales first), or an overflow or a domain error the code found:
            # the tape decides below (outside this handler, so that its error is shown once), and
            # says in one line which operation overflowed if one truly did.
            pass
        if self.transform.kind == "value":  # f itself would say nothing (1e200 / inf is 0.0)
            _recorded(self.fn, args, kwargs)
        return self.fn(*args, **kwargs)

    def _compiled(self, args: Sequence[Any], kwargs: dict[str, Any], lists: dict[int, Sequence[float]]) -> Any:
        """The compiled code of this input structure and path run, traced first if there is none."""
        chosen = self.chosen if len(args) == self.arity else self._chosen(len(args))
        key, leaves, floats = _inspect(args, kwargs, chosen, lists)
        if not chosen and self.transform.kind != "value":  # argnums=(): nothing to differentiate by
            return self.fn(*args, **kwargs)
        if not leaves and not chosen:
            # No float to trace f on: every argument is a constant of f (an int or a Fraction
            # stays exact, as f computes it), so f's own result is the result.
            self.constant_calls += 1
            return self.fn(*args, **kwargs)
        if self.on_tape and key in self.on_tape:
            return self.fn(*args, **kwargs)
        programs = self.cache.get(key)
        if programs is None:
            programs = self.cache[key] = []
            layout = None if kwargs else _layout(args)
            if layout is not None:
                self.by_layout[layout] = programs
        result = self._run(programs, leaves)
        if result is not _NOT_RUN:
            return result
        refused = None
        try:
            program = self._traced(key, args, kwargs, floats)
        except UnsupportedOperation as unsupported:  # (the tape run outside this handler: its error shown once)
            refused = unsupported
        if refused is not None:
            return self._by_the_tape_instead(key, refused, self.fn, args, kwargs)
        if program is None:
            return self.fn(*args, **kwargs)
        return program(leaves)

    def _run(self, programs: list[Program], leaves: Sequence[Any]) -> Any:
        """The result of the first of ``programs`` whose path the call takes; :data:`_NOT_RUN` where
        none does, or a global f reads has changed since (then none is kept)."""
        for program in programs:
            if not watched.unchanged(program.seen):
                programs.clear()  # a global f reads was rebound: every path is traced again
                break
            try:
                result = program(leaves)
            except generate.PathChanged:
                continue
            self.last = program
            return result
        return _NOT_RUN

    def _traced(self, key: tuple, args: Sequence[Any], kwargs: dict[str, Any], floats: bool) -> Program | None:
        """A new path's program, kept; None where the code cannot follow f (the tape is to be used)."""
        programs = self.cache[key]
        if len(programs) >= PATHS:
            self._on_tape(key, f"f took {PATHS} paths at these arguments' shapes (its path follows the data)")
            return None
        self.traces += 1
        collecting = gc.isenabled()
        gc.disable()  # the trace makes many objects that live on: Python's collector would walk the whole heap
        try:
            program = Program(self.transform, args, kwargs, floats, readable=True)
        except (Unfollowable, generate.TooLarge) as reason:
            self._on_tape(key, str(reason))
            return None
        except NotFinite:  # a number of the code's is inf or nan: f as it is decides, at this call
            return None
        finally:
            if collecting:
                gc.enable()
        programs.insert(0, program)
        self.last = program
        return program

    def _by_the_tape_instead(
        self, key: tuple, unsupported: UnsupportedOperation, by_the_tape: Callable[..., Any], args: Any, kwargs: Any
    ) -> Any:
        """The tape's result where the trace refused f. The code traces every float argument, so
        numpy's call on data f is not differentiated by (np.cbrt(y)) is refused, where the tape
        leaves it to numpy; and it names every array f gives an operation, where the tape keeps
        only those its derivative reads. The tape decides: its own error where f truly cannot be
        differentiated; else this input structure is left to it, said once."""
        result = by_the_tape(*args, **kwargs)
        self._on_tape(key, f"the code cannot follow f: {str(unsupported).split(';')[0]}")
        return result

    def _on_tape(self, key: tuple, reason: str) -> None:
        """f differentiated by the tape at every call of this input structure from now on, said once
        (at the user's line, four calls up)."""
        dropped = self.cache.get(key)
        self.by_layout = {layout: kept for layout, kept in self.by_layout.items() if kept is not dropped}
        self.on_tape[key] = reason = reason.removesuffix(": the tape is used")
        message = f"ds.jit: {reason}; the tape differentiates f at these arguments"
        warnings.warn(message, JitWarning, stacklevel=5)

    def _hessian(self, args: Sequence[Any], kwargs: dict[str, Any], argnums: Any) -> Any:
        """The Hessian: forward mode's dual numbers run through this gradient's code, written for
        any numbers (the float code checks its floats), one pass per input entry. The inputs are
        floats, so the output's adjoint is seeded with 1.0, as the tape seeds it: a gradient that
        does not depend on them (f linear) is then a float, not an exact 1 and 0s."""
        lists = _lists_of_numbers(args, kwargs)
        chosen = api._selected(self.transform.argnums, len(args))
        by_the_tape = api.jacfwd(self.fn, argnums)
        if lists is None or not chosen:  # inside another transform, or nothing to differentiate by
            return by_the_tape(*args, **kwargs)
        key, _, floats = _inspect(args, kwargs, chosen, lists)
        key = ("any numbers", key)
        if not floats or key in self.on_tape:
            return by_the_tape(*args, **kwargs)
        programs = self.cache.setdefault(key, [])
        for program in programs:
            if not watched.unchanged(program.seen):
                programs.clear()
                break
            try:
                result = api.jacfwd(_gradient_of(program, 1.0), argnums)(*args, **kwargs)
            except generate.PathChanged:
                continue
            self.last = program
            return result
        refused = None
        try:
            program = self._traced(key, args, kwargs, floats=False)
        except UnsupportedOperation as unsupported:  # (as in _compiled)
            refused = unsupported
        if refused is not None:
            return self._by_the_tape_instead(key, refused, by_the_tape, args, kwargs)
        if program is None:
            return by_the_tape(*args, **kwargs)
        return api.jacfwd(_gradient_of(program, 1.0), argnums)(*args, **kwargs)

    def _chosen(self, count: int) -> tuple[int, ...]:
        """The differentiated positions among ``count`` arguments (kept for the next call)."""
        self.arity = count
        self.chosen = api._selected(self.transform.argnums, count) if self.transform.kind != "value" else ()
        return self.chosen

    @property
    def source(self) -> str:
        """The Python source the last call ran (the compiled gradient's, for a Hessian)."""
        if self.hessian_of is not None:
            return self.hessian_of.source
        if self.last is None and self.constant_calls:
            raise CaseError(
                "ds.jit has written no code: no argument held a float, so f ran as it is "
                "(an int or a Fraction is a constant of f; give 2.0, not 2, to trace f on it)"
            )
        if self.last is None and self.on_tape:
            raise CaseError(f"ds.jit has written no code: {next(iter(self.on_tape.values()))}")
        if self.last is None:
            raise CaseError("ds.jit has written no code yet: call it once first")
        return self.last.source.text


def jit(fn: Callable[..., Any]) -> Jitted:
    """``fn`` (a function, or ``ds.grad(f)``, ``ds.value_and_grad(f)``, ``ds.jacrev(f)``,
    ``ds.jacfwd(f)``, ``ds.hessian(f)``) traced once per input structure and path, written out
    as Python and compiled; ``.source`` is the code. A Hessian is forward mode's dual numbers run
    over the compiled gradient, one pass per input entry."""
    return Jitted(fn)


def code(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> str:
    """The Python source ``ds.jit(fn)`` writes for these arguments."""
    if not args and not kwargs:
        raise CaseError("ds.code writes the code at a point: give the arguments, e.g. ds.code(ds.grad(f), 2.0, 3.0)")
    compiled = Jitted(fn)
    compiled(*args, **kwargs)
    return compiled.source

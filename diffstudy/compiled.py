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
arguments are: the cache is keyed on it. f's globals are read when traced, as in JAX; one that f
(or a comprehension in it) reads by name and that was rebound since (``scale = 3.0``) or changed
in place (a list, a dict, an array, an object's attributes) is noticed and f is traced again, as
is a constant argument or a default changed in place. Globals read only by the functions f calls
are not looked at.
"""

from __future__ import annotations

import copy
import struct
from collections.abc import Callable, Sequence
from fractions import Fraction
from types import FunctionType, ModuleType
from typing import Any

import numpy as np

from . import api
from .api import Transform
from .engine import generate
from .engine.levels import Leveled
from .engine.ndarrays import numpy_errors_explained
from .engine.trees import flatten, size_of, unflatten
from .errors import CaseError, DomainError


def _dynamic(value: Any) -> bool:
    """Whether an argument's numbers are inputs of the code (floats and float arrays only)."""
    try:
        leaves, _ = flatten(value)
    except (TypeError, ValueError):
        return False
    return bool(leaves) and all(map(_float_leaf, leaves))


def _static(value: Any) -> Any:
    """An argument that is a constant of the trace, as a cache key."""
    try:
        hash(value)
        return ("value", type(value), value)
    except TypeError:
        return ("object", id(value))


def _inspect(args: Sequence[Any], kwargs: dict[str, Any], chosen: tuple[int, ...]) -> tuple[tuple, list[Any], bool]:
    """The input structure of a call (its cache key), the numbers the code takes, and whether they
    are all floats. A float, a list of floats and a float array are seen at once; any other
    argument is flattened, or is a constant of the trace keyed by its value."""
    parts: list[Any] = []
    leaves: list[Any] = []
    floats = True
    for i, a in enumerate(args):
        cls = a.__class__
        if cls is float:
            parts.append(float)
            leaves.append(a)
        elif (cls is list or cls is tuple) and a and a[0].__class__ is float and a[-1].__class__ is float:
            # A list of floats, told by its ends (checking every entry would cost a third of f):
            # the code runs on any numbers, so another number inside only changes the result's type.
            parts.append((cls, len(a)))
            leaves.extend(a)
        elif cls is np.ndarray and a.dtype.kind == "f":
            parts.append((cls, a.shape, a.dtype.str, a.strides))  # laid out otherwise: traced again
            leaves.append(a if a.dtype == np.float64 else a.astype(np.float64))  # computed in float64, as the tape does
        elif i in chosen or _dynamic(a):
            try:
                found, structure = flatten(a)
            except TypeError as error:
                raise TypeError(f"argument {i}: {error}") from None
            kinds = tuple(_float_leaf(leaf) for leaf in found)
            floats = floats and all(kinds)
            laid_out = tuple(leaf.strides if leaf.__class__ is np.ndarray else None for leaf in found)
            parts.append(("input", structure, kinds, laid_out))  # an array laid out otherwise: traced again
            leaves.extend(found)
        else:
            parts.append(_static(a))
    key = (tuple(parts), tuple(sorted((k, _static(v)) for k, v in kwargs.items())) if kwargs else ())
    return key, leaves, floats


def _holds_ours(args: Sequence[Any], kwargs: dict[str, Any]) -> bool:
    """Whether an argument is (or holds) one of diffstudy's numbers: a transform around this one."""
    for value in (*args, *kwargs.values()):
        if value.__class__ is float or (value.__class__ is np.ndarray and value.dtype.kind == "f"):
            continue
        if (value.__class__ is list or value.__class__ is tuple) and _converts_to_floats(value):
            continue  # numbers, none of them ours, told at C speed (a search of the leaves costs as much as the code)
        if isinstance(value, Leveled):
            return True
        if isinstance(value, (list, tuple, dict, np.ndarray)):
            try:
                leaves, _ = flatten(value)
            except (TypeError, ValueError):
                continue
            if any(isinstance(leaf, Leveled) for leaf in leaves):
                return True
    return False


def _converts_to_floats(values: list[Any] | tuple[Any, ...]) -> bool:
    """Whether every entry of ``values`` is a float or converts to one, so that none is one of
    diffstudy's numbers, which refuse float(): packed as C doubles, the fastest look at each entry
    Python has (a third of the time of checking each entry's type)."""
    try:
        struct.pack(f"{len(values)}d", *values)
    except Exception:  # a diffstudy number (UnsupportedOperation), a string, an array, a list
        return False
    return True


def _float_leaf(leaf: Any) -> bool:
    return leaf.__class__ is float or (isinstance(leaf, np.ndarray) and leaf.dtype.kind == "f")


def _globals_of(f: Callable[..., Any]) -> list[tuple[dict[str, Any], str, Any, Any]]:
    """The globals and closure cells f reads by name, with what they held when traced and, for a
    list, dict, set or array, a copy of its contents: looked at again at each call, so that a
    rebound one, or one changed in place, is noticed."""
    code = getattr(f, "__code__", None)
    if code is None:
        return []
    names = getattr(f, "__globals__", {})
    read = dict.fromkeys(name for inner in _code_objects(code) for name in inner.co_names)
    seen = [(names, name, names[name], _contents(names[name])) for name in read if name in names]
    for name, cell in zip(code.co_freevars, f.__closure__ or ()):
        try:
            seen.append(({name: cell.cell_contents}, name, cell.cell_contents, _contents(cell.cell_contents)))
        except ValueError:  # a cell not filled yet
            continue
    for i, default in enumerate(getattr(f, "__defaults__", None) or ()):  # a default list changed in place
        seen.append(({f"default {i}": default}, f"default {i}", default, _contents(default)))
    return seen


def _code_objects(code: Any) -> list[Any]:
    """``code`` and the code of the comprehensions and functions written inside it, which read
    globals of their own."""
    found, stack = [], [code]
    while stack:
        inner = stack.pop()
        found.append(inner)
        stack.extend(c for c in inner.co_consts if hasattr(c, "co_names"))
    return found


def _static_arguments(
    args: Sequence[Any], kwargs: dict[str, Any], inputs: Sequence[int]
) -> list[tuple[dict[str, Any], str, Any, Any]]:
    """The arguments that are constants of the trace (not among ``inputs``, the code's) and could
    change in place (a list of ints, an object): kept as :func:`_globals_of` keeps a global, so that
    a change is noticed."""
    given = [*((f"argument {i}", a) for i, a in enumerate(args) if i not in inputs), *kwargs.items()]
    return [({name: a}, name, a, _contents(a)) for name, a in given if _static(a)[0] == "object"]


_IMMUTABLE = object()  # what a value that cannot change in place keeps (a number, a function, a module)


def _contents(value: Any) -> Any:
    """A copy of what a mutable container holds now, or :data:`_IMMUTABLE`."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if isinstance(value, (list, dict, set)):
        try:
            return copy.deepcopy(value)
        except Exception:  # something that cannot be copied: its identity alone is compared
            return _IMMUTABLE
    attributes = getattr(value, "__dict__", None)
    if type(attributes) is dict and not isinstance(value, (type, ModuleType, FunctionType)):
        # An object's attributes (cfg.scale = 5.0): each held and, if a container, its contents.
        return _Attributes({name: (held, _contents(held) if not hasattr(held, "__dict__") else _IMMUTABLE)
                            for name, held in attributes.items()})  # fmt: skip
    return _IMMUTABLE


class _Attributes(dict):
    """What an object's attributes held when traced: name → (the object, a copy of its contents)."""


def _same_contents(value: Any, kept: Any) -> bool:
    if kept is _IMMUTABLE:
        return True
    if isinstance(kept, _Attributes):
        now = getattr(value, "__dict__", {})
        return now.keys() == kept.keys() and all(
            now[name] is held and _same_contents(held, contents) for name, (held, contents) in kept.items()
        )
    try:
        if isinstance(value, np.ndarray):
            return bool(np.array_equal(value, kept))
        return bool(value == kept)
    except Exception:  # entries whose == is an array: changed, as far as can be told
        return False


def _unchanged(f: Callable[..., Any], seen: list[tuple[dict[str, Any], str, Any, Any]]) -> bool:
    code = getattr(f, "__code__", None)
    cells = dict(zip(code.co_freevars, f.__closure__ or ())) if code is not None and code.co_freevars else {}
    for names, name, value, kept in seen:
        if name in cells:
            try:
                now = cells[name].cell_contents
            except ValueError:
                return False
        else:
            now = names.get(name)
        if now is not value or not _same_contents(now, kept):
            return False
    return True


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
        with numpy_errors_explained():  # an array that overflows while traced: an error, not numpy's warning
            self.script = generate.trace(self.split.call, leaves, names, program=f)
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
        self.source = generate.write(
            self.script, mode, name, floats=self.floats, compact=True, unit_seed=unit, wanted=wanted
        )
        self.function = generate.build(self.source)
        self.seen = _globals_of(f) + _static_arguments(args, kwargs, self.inputs)
        if mode == "reverse":
            self._check_one_number()
        if transform.kind in ("jacrev", "jacfwd"):
            self.outer.call(*self.outer.leaves)  # once: the output's shapes, for the Jacobian's layout
        first, last = (self.differentiated[0], self.differentiated[-1] + 1) if self.differentiated else (0, 0)
        self.contiguous = self.differentiated == list(range(first, last))
        self.everything = self.contiguous and (first, last) == (0, len(leaves))  # every input differentiated
        # One float array differentiated: its adjoint is the gradient as it is.
        self.bare = (
            self.outer is not None
            and self.outer.single
            and len(self.differentiated) == 1
            and self.outer.structures == [flatten(leaves[self.differentiated[0]])[1]]
            and isinstance(leaves[self.differentiated[0]], np.ndarray)
            and not any(self.outer.dtypes)
        )
        self.span = slice(first, last)
        structures = self.outer.structures if self.outer is not None else []
        self.one_list = (
            len(structures) == 1
            and self.outer.single
            and structures[0][0] == "list"
            and (isinstance(structures[0][-1], int))
        )

    def _check_one_number(self) -> None:
        if self.transform.kind in ("grad", "value_and_grad", "hessian"):
            values = self.script.recording.values
            if len(values) != 1 or np.shape(values[0]) != ():
                raise CaseError(
                    f"{self.transform.kind} is only defined for a function of one number; "
                    f"this one returned shapes {[np.shape(v) for v in values]}"
                )

    def __call__(self, leaves: list[Any]) -> Any:
        kind = self.transform.kind
        if kind == "value":
            values, _ = self.function(*leaves)
            return unflatten(self.split.output_structure, api._finish_all(self.split.regroup(values)))
        if kind == "jacfwd":
            return self._jacfwd(leaves)
        if kind == "jacrev":
            return self._jacrev(leaves)
        values, adjoints = self.function(*leaves, self.seed)
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
            chosen = api._separate(list(chosen))
        gradient = chosen[0] if self.bare else list(chosen) if self.one_list else self.outer.arranged(chosen)
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


def _recorded(f: Callable[..., Any], args: Sequence[Any], kwargs: dict[str, Any]) -> None:
    """f recorded on the tape at these arguments, which raises where a value overflowed on the way."""
    inputs = tuple(i for i, a in enumerate(args) if _dynamic(a))
    if inputs:
        with numpy_errors_explained():
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


def _seed(leaves: Sequence[Any]) -> Any:
    return Fraction(1) if not all(leaf.__class__ is float or isinstance(leaf, np.ndarray) for leaf in leaves) else 1.0


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
    name = "".join(c if c.isalnum() or c == "_" else "_" for c in getattr(f, "__name__", "f")) or "f"
    return {"value": name}.get(kind, f"{kind}_of_{name}").replace("<lambda>", "f")


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
        self.last: Program | None = None
        self.traces = 0
        self.arity, self.chosen = -1, ()

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.hessian_of is not None:  # forward mode (dual numbers) over the compiled gradient
            argnums = self.fn.__diffstudy_transform__.argnums
            return api.jacfwd(self.hessian_of, argnums)(*args, **kwargs)
        if _holds_ours(args, kwargs):
            # Called inside another transform (ds.grad(ds.jit(f))): f runs on that transform's
            # numbers, which record or push its operations themselves.
            return self.fn(*args, **kwargs)
        try:
            return self._compiled(args, kwargs)
        except (FloatingPointError, DomainError):
            # numpy's float error in the written-out code (a norm's squares past the float range
            # where the tape's rule scales first), or an overflow or a domain error the code found:
            # the tape decides, and says in one line which operation overflowed if one truly did.
            if self.transform.kind == "value":  # f itself would say nothing (1e200 / inf is 0.0)
                _recorded(self.fn, args, kwargs)
            return self.fn(*args, **kwargs)

    def _compiled(self, args: Sequence[Any], kwargs: dict[str, Any]) -> Any:
        """The compiled code of this input structure and path run, traced first if there is none."""
        chosen = self.chosen if len(args) == self.arity else self._chosen(len(args))
        key, leaves, floats = _inspect(args, kwargs, chosen)
        programs = self.cache.setdefault(key, [])
        for program in programs:
            if not _unchanged(self.transform.f, program.seen):
                programs.clear()  # a global f reads was rebound: every path is traced again
                break
            try:
                result = program(leaves)
            except generate.PathChanged:
                continue
            self.last = program
            return result
        self.traces += 1
        program = Program(self.transform, args, kwargs, floats, readable=True)
        programs.insert(0, program)
        self.last = program
        return program(leaves)

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

"""What a compiled function reads besides its arguments: kept when it is traced, looked at again
at every call, so that a change since is noticed and the function traced again.

The code ``ds.jit`` writes holds what f read when traced as constants: a global's number, an
array f reads, an attribute of ``self``. :func:`read_by` lists those things, each with what it
held then and a copy of its contents; :func:`unchanged` says whether every one still holds the
same object with the same contents. Looked at are the globals f (and a comprehension or function
written inside it) reads by name, with the attributes it reads of a module or a class among them;
a builtin f reads (which a global of that name would hide); its closure's cells; its defaults;
the object of a bound method, the instance of a callable object, and the arguments of a
``functools.partial``. Contents are compared to the bit (0.0 is not −0.0), and an object's
attributes a few levels down. The functions f reads by name that the user wrote (not a library's,
not diffstudy's) are looked into the same way, and the functions they read: a helper's globals;
and so is the code f reaches through an object or a class of the user's (:func:`_reached`): the
methods it calls, a callable's ``__call__``, a class's ``__init__``. f that reads a variable by a
name in a string (eval, globals()) cannot be watched (:class:`TooDeep`).
"""

from __future__ import annotations

import array
import builtins
import collections
import copy
import dis
import functools
import inspect
import math
import os
import sys
import sysconfig
from collections.abc import Callable
from types import BuiltinFunctionType, FunctionType, MethodType, ModuleType
from typing import Any, NamedTuple

import numpy as np

from .engine.bits import same_bits

ABSENT = object()  # what a name held that was not there (a builtin, read through the globals)
_IMMUTABLE = object()  # what a value that cannot change in place keeps (a number, a function, a module)
_DEPTH = 8  # levels of items and attributes looked into (net.mods[0].mods[1].params["w"]["value"], a module's)


class TooDeep(Exception):
    """A container or an object with attributes more than :data:`_DEPTH` levels into what f reads,
    or a variable f reads by a name in a string (eval): a change there could not be noticed, so
    the compiled code is not to be trusted with it."""


class Read(NamedTuple):
    """One thing f reads: ``place[name]`` (a dict) or ``getattr(place, name)``, what it held, and
    a copy of its contents."""

    place: Any
    name: str
    value: Any
    kept: Any
    attribute: bool


def read_by(f: Callable[..., Any]) -> list[Read]:
    """What ``f`` reads besides its arguments, as it is now."""
    found: list[Read] = []
    seen_functions: set[int] = set()
    stack = [f]
    while stack:
        fn = stack.pop()
        if id(fn) in seen_functions:
            continue
        seen_functions.add(id(fn))
        if isinstance(fn, functools.partial):
            found += [_attribute(fn, "func"), _attribute(fn, "args"), _attribute(fn, "keywords")]
            stack.append(fn.func)
        elif isinstance(fn, MethodType):
            found.append(_attribute(fn, "__self__"))
            found += _class_attributes(fn.__self__, getattr(fn.__func__, "__code__", None))
            stack.append(fn.__func__)
        elif isinstance(fn, FunctionType):
            reads = _read_by_function(fn)
            found += reads
            _, attributes = names_read(fn.__code__)
            for read in reads:  # the code of the user's that f reaches through what it reads
                reached, class_reads = _reached(read.value, attributes)
                stack.extend(reached)
                found += class_reads
        elif callable(fn) and not isinstance(fn, type):  # an object with __call__: its attributes, its method
            found.append(_read({"self": fn}, "self", fn, False, _object_contents))
            call = next((vars(c)["__call__"] for c in type(fn).__mro__ if "__call__" in vars(c)), None)
            if isinstance(call, FunctionType):
                found += _class_attributes(fn, call.__code__)
                stack.append(call)
            stack.extend(_functions_held(fn))  # a decorator's function, called by its __call__
    return found


def _reached(value: Any, attributes: dict[str, None]) -> tuple[list[Any], list[Read]]:
    """What f reaches through a value it reads, to be looked into as f is, and the entries of the
    classes it reads from (a method replaced on its class, a class attribute its methods read): a
    helper function of the user's; a bound method or a ``functools.partial``; the functions in a
    list or dict (a table of activations); of an object or a class of the user's, the methods,
    properties, static and class methods among the attributes f reads (model.loss), the functions
    an object holds (a decorator's), its ``__call__``, and a class's ``__init__`` and
    ``__call__`` (a layer built inside f). The object itself is looked at as what f reads."""
    if _written_by_the_user(value) or isinstance(value, (functools.partial, MethodType)):
        return [value], []
    if isinstance(value, (list, tuple)) or type(value) is dict:
        items = value.values() if isinstance(value, dict) else value
        return [item for item in items if _written_by_the_user(item)], []
    a_class = isinstance(value, type)
    cls = value if a_class else type(value)
    if not _class_of_the_user(cls):
        return [], []
    reached = [] if a_class else _functions_held(value)
    class_reads = _class_attributes(value, None, attributes)
    if not a_class and callable(value):  # (what f reads keeps a callable object by its identity alone)
        class_reads.append(_read({"self": value}, "self", value, False, _object_contents))
    named = list(dict.fromkeys([*attributes, "__init__", "__call__"] if a_class else [*attributes, "__call__"]))
    for name in named:  # (a list that grows as it goes: the methods a method reaches through self)
        member = inspect.getattr_static(cls, name, None)
        if isinstance(member, (staticmethod, classmethod)):
            member = member.__func__
        elif isinstance(member, property):
            member = member.fget
        if isinstance(member, FunctionType) and _written_by_the_user(member) and member not in reached:
            reached.append(member)
            class_reads += _class_attributes(value, member.__code__)
            named += [n for n in names_read(member.__code__)[1] if n not in named]
    return reached, class_reads


def _functions_held(value: Any) -> list[Any]:
    """The functions of the user's an object holds as attributes (a wrapped function, a callback)."""
    held = (_attributes_of(value) or {}).values()
    return [v for v in held if _written_by_the_user(v) or isinstance(v, (functools.partial, MethodType))]


def _an_object_of_the_users(value: Any) -> bool:
    """An instance of a class of the user's (a layer with ``__call__``: its attributes are data)."""
    if isinstance(value, (type, FunctionType, MethodType, functools.partial)):
        return False
    return _class_of_the_user(type(value))


def _class_of_the_user(cls: type) -> bool:
    """A class written in a file of the user's (not a library's, not diffstudy's, not builtin)."""
    path = getattr(sys.modules.get(cls.__module__), "__file__", None)
    return path is not None and not os.path.abspath(path).startswith(_LIBRARIES)


def _written_by_the_user(value: Any) -> bool:
    """A Python function f reads by name whose globals are looked at too (a helper f calls): one
    not written in the standard library, an installed package or diffstudy itself, whose globals
    are not the user's to change between calls."""
    if not isinstance(value, FunctionType):
        return False
    return not os.path.abspath(value.__code__.co_filename).startswith(_LIBRARIES)


_LIBRARIES = tuple(
    {os.path.abspath(sysconfig.get_paths()[kind]) + os.sep for kind in ("stdlib", "platstdlib", "purelib", "platlib")}
    | {os.path.dirname(os.path.abspath(__file__)) + os.sep}
)


_BY_NAME = ("eval", "exec", "globals")  # builtins that read any global by a name in a string


def _read_by_function(f: FunctionType) -> list[Read]:
    found = []
    names = f.__globals__
    read, attributes = names_read(f.__code__)
    held: list[Any] = []
    for name in read:
        if name in names:
            found.append(_read(names, name, names[name], False))
            held.append(names[name])
        elif hasattr(builtins, name):  # a global of this name, made since, would hide the builtin
            if name in _BY_NAME:
                raise TooDeep(f"f calls {name}(), which reads variables by a name no look at f's code finds")
            found.append(Read(names, name, ABSENT, _IMMUTABLE, False))
    for name in _imported(f.__code__):  # a module f imports itself: the attributes it reads of it
        module = sys.modules.get(name)
        if module is not None:
            found += _attributes_read(vars(module), attributes)
    for name, cell in zip(f.__code__.co_freevars, f.__closure__ or ()):
        found.append(_attribute(cell, "cell_contents", shown=name))
        held.append(found[-1].value)
    for value in held:
        if isinstance(value, (ModuleType, type)):  # cfg.scale, Settings.scale: the attributes f reads of it
            found += _attributes_read(vars(value), attributes)
    # defaults, rebound or changed in place (none to begin with: a call that leaves an argument
    # out has another input structure, traced anew)
    found += [_attribute(f, name) for name in ("__defaults__", "__kwdefaults__") if getattr(f, name)]
    return found


def _class_attributes(owner: Any, code: Any, attributes: dict[str, None] | None = None) -> list[Read]:
    """The attributes a method's code reads (``self.s``), or ``attributes``, that its object's
    class, or a class it derives from, holds (a class attribute, changed on the class)."""
    if attributes is None:
        if code is None:
            return []
        _, attributes = names_read(code)
    classes = owner.__mro__ if isinstance(owner, type) else type(owner).__mro__
    return [read for cls in classes if cls is not object for read in _attributes_read(vars(cls), attributes)]


def _attributes_read(namespace: Any, attributes: dict[str, None]) -> list[Read]:
    """The entries of a module's or a class's namespace among the attribute names read: as they
    are held there (a classmethod's function, not a new bound method at each look)."""
    return [_read(namespace, a, namespace[a], False) for a in attributes if a in namespace]


def _attribute(place: Any, name: str, shown: str | None = None) -> Read:
    try:
        held = getattr(place, name)
    except (AttributeError, ValueError):  # a cell not filled yet
        return Read(place, name, ABSENT, _IMMUTABLE, True)
    return _read(place, name, held, True, shown=shown)


def _read(
    place: Any,
    name: str,
    held: Any,
    attribute: bool,
    contents: Callable[..., Any] | None = None,
    shown: str | None = None,
) -> Read:
    """What ``place`` holds at ``name``, with a copy of its contents; :class:`TooDeep`, naming it
    (as ``shown``: a closure's variable, not its cell's ``cell_contents``), where those go deeper
    than is looked at."""
    try:
        return Read(place, name, held, (contents or _contents)(held), attribute)
    except TooDeep:
        raise TooDeep(
            f"f reads {shown or name}, which holds items or attributes more than {_DEPTH} levels deep: a "
            "change there could not be noticed at each call"
        ) from None


def names_read(code: Any) -> tuple[dict[str, None], dict[str, None]]:
    """The global names the code (and the code written inside it) reads, and the attribute names."""
    globals_read: dict[str, None] = {}
    attributes: dict[str, None] = {}
    for inner in _code_objects(code):
        for instruction in dis.get_instructions(inner):
            if instruction.opname in ("LOAD_GLOBAL", "LOAD_NAME"):
                globals_read[instruction.argval] = None
            elif instruction.opname in ("LOAD_ATTR", "LOAD_METHOD"):
                attributes[instruction.argval] = None
    return globals_read, attributes


def _imported(code: Any) -> dict[str, None]:
    """The modules the code (and the code written inside it) imports, by name."""
    return {
        i.argval: None
        for inner in _code_objects(code)
        for i in dis.get_instructions(inner)
        if i.opname == "IMPORT_NAME"
    }


def _code_objects(code: Any) -> list[Any]:
    """``code`` and the code of the comprehensions and functions written inside it, which read
    globals of their own."""
    found, stack = [], [code]
    while stack:
        inner = stack.pop()
        found.append(inner)
        stack.extend(c for c in inner.co_consts if hasattr(c, "co_names"))
    return found


def unchanged(reads: list[Read]) -> bool:
    """Whether everything in ``reads`` holds the same object, with the same contents, as then."""
    for place, name, value, kept, attribute in reads:  # (this runs at every call)
        if attribute:
            try:
                now = getattr(place, name)
            except (AttributeError, ValueError):  # an attribute deleted, a cell emptied
                now = ABSENT
        else:
            now = place.get(name, ABSENT)
        if now is not value or (kept is not _IMMUTABLE and not _same_contents(now, kept)):
            return False
    return True


def compared_in_full(reads: list[Read], arrays: tuple[Any, ...]) -> bool:
    """Whether every array of ``arrays`` lies in the memory of an array whose contents
    :func:`unchanged` compares at every call (one of them, or a view of one laid out in one
    block): a change to it is noticed."""
    compared: list[np.ndarray] = []
    stack: list[tuple[Any, Any]] = [(read.value, read.kept) for read in reads]
    while stack:
        value, kept = stack.pop()
        if isinstance(kept, np.ndarray) and isinstance(value, np.ndarray):
            compared.append(value)
        elif isinstance(kept, _Items):
            stack.extend((item, contents) for _, item, contents in kept.items)
        elif isinstance(kept, _Attributes):
            stack.extend(kept.values())
    spans = [_byte_bounds(a) for a in compared if a.flags.c_contiguous or a.flags.f_contiguous]
    bounds = [_byte_bounds(a) for a in arrays]
    return all(any(low <= start and end <= high for low, high in spans) for start, end in bounds)


try:
    from numpy.lib.array_utils import byte_bounds as _byte_bounds  # numpy ≥ 2
except ImportError:  # numpy 1
    _byte_bounds = np.byte_bounds


def argument(name: str, value: Any) -> Read | None:
    """A constant argument of the trace as a thing f reads, if it could change in place (a list
    of ints, an object with attributes); None for one that cannot (a number, a string)."""
    read = _read({name: value}, name, value, False)
    return None if read.kept is _IMMUTABLE else read


def key(value: Any) -> Any:
    """A constant argument as a cache key: equal keys for equal values, 0.0 apart from −0.0."""
    if value.__class__ is float:
        return ("float", value.hex())
    if value.__class__ is tuple:
        return ("tuple", tuple(key(v) for v in value))
    try:
        hash(value)
    except TypeError:  # a list, a dict, an array: its identity (what it holds is watched)
        return ("object", id(value))
    return ("value", type(value), value)


class _Attributes(dict):
    """What an object's attributes held when traced: name → (the object, a copy of its contents)."""


class _Numbers(NamedTuple):
    """A copy of a list or dict of plain numbers (data), compared at C speed, and where its zeros
    were with their signs (== takes −0.0 for 0.0)."""

    copy: Any
    zeros: tuple[tuple[Any, float], ...]


class _Items(NamedTuple):
    """What a container of objects held: each item (or a dict's key) → (the object, its contents)."""

    items: tuple[tuple[Any, Any, Any], ...]


_PLAIN = frozenset({float, int, bool, complex, str, bytes, type(None)})


def _contents(value: Any, depth: int = _DEPTH, library: bool = False, within: tuple[int, ...] = ()) -> Any:
    """A copy of what a mutable value holds now, or :data:`_IMMUTABLE`. Past :data:`_DEPTH`
    levels, a container or an object of the user's raises :class:`TooDeep`; inside an object of a
    library (a logger, a fitted scaler) what lies that deep is its own and kept by its identity.
    A value ``within`` itself (a dict holding itself) is kept by its identity: its items are
    looked at already, a level up."""
    if isinstance(value, np.ndarray):
        return value.copy()
    if id(value) in within:
        return _IMMUTABLE
    within = (*within, id(value))
    if isinstance(value, (list, tuple, dict, set, frozenset, collections.deque, array.array, bytearray)):
        items = value.values() if isinstance(value, dict) else value
        if _PLAIN.issuperset(map(type, items)):
            if isinstance(value, (tuple, frozenset)):
                return _IMMUTABLE
            if isinstance(value, set):  # no places to find its zeros at: compared by == alone
                return _Numbers(copy.copy(value), ())
            pairs = value.items() if isinstance(value, dict) else enumerate(value)
            zeros = tuple((key, math.copysign(1.0, v)) for key, v in pairs if v.__class__ is float and v == 0.0)
            return _Numbers(copy.copy(value), zeros)
        if isinstance(value, (set, frozenset)):  # of hashable items: numbers, strings, frozen objects
            return _IMMUTABLE
        if depth == 0:
            if library:
                return _IMMUTABLE
            raise TooDeep
        pairs = value.items() if isinstance(value, dict) else enumerate(value)
        return _Items(tuple((key, item, _contents(item, depth - 1, library, within)) for key, item in pairs))
    if _immutable(value) or (callable(value) and not _an_object_of_the_users(value)):  # a function: its identity
        return _IMMUTABLE
    library = library or _of_a_library(value)
    if depth == 0:
        if library or not _attributes_of(value):
            return _IMMUTABLE
        raise TooDeep
    return _object_contents(value, depth, library, within)


def _of_a_library(value: Any) -> bool:
    """Whether an object's class was written in the standard library or an installed package."""
    module = sys.modules.get(type(value).__module__)
    path = getattr(module, "__file__", None)
    return path is not None and os.path.abspath(path).startswith(_LIBRARIES)


def _object_contents(value: Any, depth: int = _DEPTH, library: bool = False, within: tuple[int, ...] = ()) -> Any:
    """An object's attributes (self.w, cfg.scale): each held and a copy of its contents."""
    attributes = _attributes_of(value)
    if attributes is None:
        return _IMMUTABLE
    library, within = library or _of_a_library(value), (*within, id(value))
    return _Attributes({name: (held, _contents(held, depth - 1, library, within)) for name, held in attributes.items()})


def _immutable(value: Any) -> bool:
    return value is None or isinstance(value, _UNCHANGING)


_UNCHANGING = (bool, int, float, complex, str, bytes, type, ModuleType, FunctionType, MethodType,
               BuiltinFunctionType, np.ufunc, np.generic, np.dtype)  # fmt: skip


def _attributes_of(value: Any) -> dict[str, Any] | None:
    """An object's attributes, from its ``__dict__`` and its ``__slots__`` (None for neither)."""
    attributes = getattr(value, "__dict__", None)
    found = dict(attributes) if type(attributes) is dict else None
    for cls in type(value).__mro__:
        for slot in getattr(cls, "__slots__", ()) if cls is not object else ():
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__") and hasattr(value, slot):
                found = found if found is not None else {}
                found[slot] = getattr(value, slot)
    return found


def _same_contents(value: Any, kept: Any) -> bool:
    if kept is _IMMUTABLE:
        return True
    if isinstance(kept, _Attributes):
        now = _attributes_of(value) or {}
        return now.keys() == kept.keys() and all(
            now[name] is held and _same_contents(held, contents) for name, (held, contents) in kept.items()
        )
    if isinstance(kept, _Numbers):  # equal, and each zero of the same sign (equal lists have their zeros in place)
        return (
            value.__class__ is kept.copy.__class__
            and value == kept.copy
            and all(
                value[key].__class__ is float and math.copysign(1.0, value[key]) == sign for key, sign in kept.zeros
            )
        )
    if isinstance(kept, _Items):
        if len(value) != len(kept.items) or (isinstance(value, dict) and value.keys() != {k for k, _, _ in kept.items}):
            return False
        return all(value[key] is item and _same_contents(item, contents) for key, item, contents in kept.items)
    return _identical(value, kept)


def _identical(a: Any, b: Any) -> bool:
    """Equal arrays, to the bit for floats (0.0 is not −0.0; nan is nan); other values by ==."""
    if a.__class__ is not b.__class__:
        return False
    if isinstance(a, np.ndarray):
        return same_bits(a, b)
    try:
        return bool(a == b)
    except Exception:  # entries whose == is an array: changed, as far as can be told
        return False

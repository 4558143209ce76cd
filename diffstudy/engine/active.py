"""What diffstudy's own number types share: conversions refused, comparisons, operators, numpy.

The types (counting numbers, dual numbers, tape variables, sympy's traced values, and an array
type of each) each wrap a ``value`` and derive from :class:`Active`. Their operators are made
from the registry of primitives (:mod:`diffstudy.engine.primitives`), so no operator is written
twenty times. Which number performs an operation is decided in one place,
:func:`.levels.owner_of`; the owner performs it in its ``process`` hook (``apply_array`` for an
array operation) and treats every other argument as a constant: a dual number whose value is a
counting number adds a counting constant, and the counting number counts the operation. See
:mod:`.levels` for how nested differentiations are ordered.

numpy meets them in two ways. A scalar in a numpy call (``np.tanh(x)``, ``np.float64(2) * x``)
is routed to the scalar primitive by ``__array_ufunc__``; in an object array (``np.array([x,
y])``) numpy calls its methods (``x.tanh()``, ``x * y``). An array type routes every numpy
ufunc and function it supports to the table of array primitives, and refuses the rest by name.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..errors import UnsupportedOperation
from . import array_primitives, kinks, linear_algebra, users_code
from . import primitives as scalar
from .levels import Leveled, next_level, owner_of, plain, value_of
from .ndarrays import BUILD_A_NEW_ARRAY
from .primitives import Primitive

MethodFactory = Callable[[Primitive], Callable[..., Any]]

__all__ = ["Active", "ActiveArray", "next_level", "owner_of", "plain", "value_of", "constant_like", "operate"]

# numpy ufuncs on one of diffstudy's scalars: the primitive's value (an operator for +, -, *, /, **).
SCALAR_UFUNCS: dict[np.ufunc, Callable[..., Any]] = {
    **{ufunc: p.evaluate for ufunc, p in scalar.BY_UFUNC.items()},
    np.positive: operator.pos,
    np.conjugate: lambda x: x,  # a real number is its own conjugate
}
# numpy's functions on diffstudy's arrays: the array primitives' front doors.
ARRAY_FUNCTIONS: dict[Callable[..., Any], Callable[..., Any]] = {
    **array_primitives.FUNCTIONS,
    **linear_algebra.FUNCTIONS,
}
COMPARISONS: dict[np.ufunc, Callable[[Any, Any], Any]] = {
    np.greater: operator.gt,
    np.greater_equal: operator.ge,
    np.less: operator.lt,
    np.less_equal: operator.le,
    np.equal: operator.eq,
    np.not_equal: operator.ne,
}


# Why a whole number cannot be made of one being differentiated.
_USE_FN = "use diffstudy.fn's or numpy's of the same name (np.exp for math.exp)"
_WHOLE = "(a whole number is a step of x, whose derivative is 0 or undefined): compute with the number itself"


class Active(Leveled):
    """Base of diffstudy's number types: each has a ``value``, a level (``priority``) and the hooks
    of :class:`.levels.Leveled`."""

    __slots__ = ()
    family = "numbers"  # what messages call it, the same in every method
    value: Any

    def _refuse(
        self,
        conversion: str,
        hint: str = "(the math module's functions do this): use diffstudy.fn's or numpy's of the same name "
        "(fn.exp or np.exp for math.exp)",
    ) -> Any:
        raise UnsupportedOperation(f"{conversion} of one of diffstudy's {self.family} would drop its derivative {hint}")

    def __float__(self) -> float:
        # Two kinds of line ask for it; the advice is the one the user's line needs, where it tells.
        where, source = users_code.calling_line()
        if "math.fsum" in source:
            hint = "(math.fsum asks for it): use sum() or np.sum"
        elif "math." in source:
            hint = f"(a math function asks for it): {_USE_FN}"
        elif "float(" not in source and re.search(r"\]\s*[-+*/]?=[^=]", source):
            hint = f"(writing it into a plain array, out[i] = x, asks for it): {BUILD_A_NEW_ARRAY}"
        else:
            hint = (
                "(Python's math functions ask for it, and so does writing it into a plain array, out[i] = x): "
                f"{_USE_FN}; {BUILD_A_NEW_ARRAY}"
            )
        return self._refuse("float()" if not where else f"float() at {where}", hint)

    def __int__(self) -> int:
        return self._refuse("int()", _WHOLE)

    def conjugate(self) -> Any:
        """Itself: a real number is its own conjugate (numpy's np.var asks each entry of an array
        of objects for it)."""
        return self

    @property
    def real(self) -> Any:
        """Itself: a real number's real part (np.real, ``x.real``)."""
        return self

    def __index__(self) -> int:
        _, source = users_code.calling_line()
        if re.search(r"(?<![\w.])range\(", source):  # a count of steps made an input: a constant of the program
            return self._refuse(
                "range()",
                "(a count of steps is a constant, not an input): give it as a default argument or a global "
                "(def f(x, k=3)), not in a case's at= or among the arguments differentiated by",
            )
        return self._refuse("an integer index", _WHOLE)

    def __complex__(self) -> complex:
        return self._refuse("complex()")

    def __round__(self, ndigits: int | None = None) -> Any:
        return self._refuse("round()", _WHOLE)

    def __pos__(self) -> Active:
        return self

    # What a case prints is the number it holds, as the same program prints it on plain numbers.
    def __str__(self) -> str:
        return str(plain(self))

    def __format__(self, spec: str) -> str:
        value = plain(self)
        try:
            return format(value, spec)
        except (TypeError, ValueError):  # a Fraction before Python 3.12, a sympy expression
            return format(float(value), spec) if spec and not isinstance(value, sympy.Basic) else str(value)

    def _step(self, *args: Any) -> Any:
        raise UnsupportedOperation(
            "//, % and divmod are step functions, flat wherever they are differentiable: "
            "they are not supported on diffstudy's numbers (x / y and fn.* are)"
        )

    __floordiv__ = __rfloordiv__ = __mod__ = __rmod__ = __divmod__ = __rdivmod__ = _step

    def __abs__(self) -> Any:
        return self.process(scalar.ABS, (self,))

    # Comparisons look at the value only: that is how a program takes a data-dependent branch.
    # A branch decided between two equal numbers (max(x, 0) at x = 0) may sit on a kink: noted.
    def __lt__(self, other: Any) -> bool:
        return _ordered(self.value, value_of(other), operator.lt, "<")

    def __le__(self, other: Any) -> bool:
        return _ordered(self.value, value_of(other), operator.le, "<=")

    def __gt__(self, other: Any) -> bool:
        return _ordered(self.value, value_of(other), operator.gt, ">")

    def __ge__(self, other: Any) -> bool:
        return _ordered(self.value, value_of(other), operator.ge, ">=")

    def __eq__(self, other: object) -> bool:
        return bool(self.value == value_of(other))

    def __ne__(self, other: object) -> bool:
        return bool(self.value != value_of(other))

    def __bool__(self) -> bool:
        return bool(self.value)

    def __hash__(self) -> int:
        raise UnsupportedOperation(
            f"one of diffstudy's {self.family} as a dict key or a set member (hash()) is not supported: equal "
            "numbers can have different derivatives; key it by a plain number"
        )

    def is_integer(self) -> bool:
        raise UnsupportedOperation(f"is_integer() of one of diffstudy's {self.family} is not supported")

    def hex(self) -> str:
        raise UnsupportedOperation(f"hex() of one of diffstudy's {self.family} is not supported")

    def constant(self, c: int) -> Any:
        """The integer ``c`` as a constant to this number: in the type of its value, uncounted."""
        return constant_like(self.value, c)

    # numpy: a scalar in a ufunc call, or an entry of an object array.
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise array_primitives.written_in_place(ufunc.__name__)
        if any(isinstance(x, Active) and x.is_array for x in inputs):
            return NotImplemented
        if method != "__call__" or kwargs:
            raise array_primitives.unsupported(f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__)
        if any(isinstance(x, np.ndarray) and x.dtype != object for x in inputs):
            # An array of numbers meets this number: it becomes a 0-d array of its own kind (the
            # same variable, pass or tally), and the array operation does the rest.
            return ufunc(*(x.lifted() if x is self else x for x in inputs))
        if any(isinstance(x, np.ndarray) for x in inputs):
            # An object array (of Fractions, or of diffstudy's numbers): entry by entry.
            return ufunc(*(np.asarray(x, dtype=object) if isinstance(x, Active) else x for x in inputs))
        operation = SCALAR_UFUNCS.get(ufunc) or COMPARISONS.get(ufunc)
        if operation is None:
            raise array_primitives.unsupported(ufunc.__name__)
        # A numpy scalar as a Python number, so that the operator reaches this number's method.
        return operation(*(x.item() if isinstance(x, np.generic) else x for x in inputs))


def _lift_numbers(x: Any) -> Any:
    """``x`` with each of diffstudy's numbers in it (in lists and tuples too) a 0-d array of its kind."""
    if isinstance(x, Active) and not x.is_array:
        return x.lifted()
    if isinstance(x, (list, tuple)):
        return type(x)(_lift_numbers(item) for item in x)
    return x


def _scalar_array_function(self: Active, func: Callable[..., Any], types: Any, args: Any, kwargs: Any) -> Any:
    """A numpy function given one of diffstudy's numbers (np.sum(x), np.stack([x, y])): the numbers
    become 0-d arrays of their kind, whose table has the function, or refuses it by name."""
    return func(*_lift_numbers(list(args)), **{k: _lift_numbers(v) for k, v in kwargs.items()})


Active.__array_function__ = _scalar_array_function  # type: ignore[attr-defined]


def _object_loop_method(primitive: Primitive) -> Callable[..., Any]:
    """The method numpy calls on each entry of an object array for ``primitive``'s ufunc
    (``x.sin()``, ``x.arctan2(y)``)."""

    def method(self: Active, *others: Any) -> Any:
        return primitive.evaluate(self, *others)

    method.__name__ = primitive.ufunc.__name__
    return method


for _primitive in scalar.FUNCTIONS:
    if _primitive.ufunc is not None:
        setattr(Active, _primitive.ufunc.__name__, _object_loop_method(_primitive))


def _ordered(a: Any, b: Any, how: Callable[[Any, Any], Any], symbol: str) -> Any:
    """``how(a, b)``; where a equals b the branch is decided at a tie, which is noted as a kink."""
    result = how(a, b)
    if not isinstance(result, np.ndarray) and a == b:
        kinks.note(
            f"a branch decided between equal numbers ({plain(a)} {symbol} {plain(b)}): the path taken gives one side"
        )
    return result


def constant_like(x: Any, c: int | Fraction) -> Any:
    """The integer ``c`` in the number type of ``x``, made without counting an operation.

    The engines' seeds (a tangent of 1, an adjoint of 1, a tangent of 0) are made this way, so
    that every operation on them is counted like any other. For an array, an array of ``c``.
    A Fraction ``c`` stays exact where ``x`` holds a float (an exact seed for exact inputs whose
    value is irrational), in the layers of ``x``.
    """
    if isinstance(x, Active):
        return x.constant(c)
    if isinstance(x, np.ndarray):
        return array_primitives.constant_like(x, c)
    if isinstance(x, float):
        return c if isinstance(c, Fraction) else float(c)
    if isinstance(x, sympy.Basic):
        return sympy.Integer(c)
    return Fraction(c)


def operate(primitive: Primitive, args: tuple[Any, ...]) -> Any:
    """An operator's work where no quicker path of the type took it: numpy's protocols take a plain
    array (they lift our number, or go entry by entry), and otherwise the owner performs it."""
    for a in args:
        if a.__class__ is np.ndarray:
            return NotImplemented
    return owner_of(args).process(primitive, args)


def operator_method(primitive: Primitive) -> Callable[[Active, Any], Any]:
    """``x.__mul__(y)`` and its siblings, as every type has them unless it has a quicker one."""

    def method(self: Active, other: Any) -> Any:
        return operate(primitive, (self, other))

    method.__name__ = primitive.operators[0]
    return method


def reflected_method(primitive: Primitive) -> Callable[[Active, Any], Any]:
    """``x.__rmul__(y)``: the operation with the arguments in the order written."""

    def method(self: Active, other: Any) -> Any:
        return operate(primitive, (other, self))

    method.__name__ = primitive.operators[1]
    return method


def _negation(self: Any) -> Any:
    return self.process(scalar.NEG, (self,))


def install_operators(
    cls: type, binary: MethodFactory = operator_method, reflected: MethodFactory = reflected_method
) -> None:
    """Give ``cls`` its arithmetic operators, one method per operator of the registry.

    Negation goes through the class's ``process`` hook, like the elementary functions.
    """
    for primitive in scalar.BINARY_OPERATORS:
        name, reflected_name = primitive.operators
        setattr(cls, name, binary(primitive))
        setattr(cls, reflected_name, reflected(primitive))
    cls.__neg__ = _negation


# ---------------------------------------------------------------- arrays


class ActiveArray(Active):
    """Base of diffstudy's array types: numpy's operators, ufuncs and functions, routed to the table.

    A subclass says how it applies an array primitive (:meth:`apply_array`) and how it makes a
    constant array of its own kind (:meth:`constant`); everything numpy does goes through those.
    """

    __slots__ = ()
    is_array = True
    family = "arrays"

    def apply_array(
        self, primitive: array_primitives.ArrayPrimitive, args: Any, params: array_primitives.Params
    ) -> Any:
        raise NotImplementedError

    def constant(self, c: int) -> Any:
        raise NotImplementedError

    # What numpy asks of an array.
    @property
    def shape(self) -> tuple[int, ...]:
        return array_primitives.shape_of(self.value)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    @property
    def dtype(self) -> np.dtype:
        return array_primitives.dtype_of(self.value)

    @property
    def T(self) -> Any:  # noqa: N802 - numpy's name
        return array_primitives.array_transpose(self)

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d array")
        return self.shape[0]

    def __iter__(self) -> Any:
        return (self[i] for i in range(len(self)))

    def __getitem__(self, index: Any) -> Any:
        return array_primitives.apply(array_primitives.INDEX, (self,), {"index": _plain_index(index)})

    def __setitem__(self, index: Any, value: Any) -> None:
        where, _ = users_code.calling_line()
        raise UnsupportedOperation(
            f"writing into an input array or one computed from the inputs{f' at {where}' if where else ' (x[i] = …)'}"
            " is not supported: build a new array instead, e.g. with np.concatenate, np.stack or np.where"
        )

    def __array__(self, dtype: Any = None, copy: Any = None) -> Any:
        if not self.shape and (dtype is None or np.dtype(dtype) == object):
            # An entry (x[0]) in a list that numpy makes an array of, np.sum([x[0] * x[1], x[2]]):
            # held as it is in an object array, as diffstudy's numbers are, keeping its derivative.
            holder = np.empty((), dtype=object)
            holder[()] = self
            return holder
        statistic = users_code.numpys_statistic()
        if statistic is not None:  # its sum of the entries, one of diffstudy's arrays, made a float again
            where, _ = users_code.calling_line()
            raise UnsupportedOperation(
                f"numpy's {statistic}{f' at {where}' if where else ''} of numpy's array of entries of "
                "diffstudy's arrays (np.array([x[0], x[1]])) would drop their derivatives: make that array "
                f"with np.stack (np.stack([x[0], x[1]])), whose np.{statistic} keeps them"
            )
        return self._refuse(
            "np.array or np.asarray (or a numpy function given a list of diffstudy's arrays)",
            "(a plain array has no derivative): numpy's functions work on it as it is, and np.stack "
            "or + combine several",
        )

    def reshape(self, *shape: Any, order: str = "C") -> Any:
        return array_primitives.array_reshape(self, shape[0] if len(shape) == 1 else shape, order=order)

    def transpose(self, *axes: Any) -> Any:
        return array_primitives.array_transpose(
            self, axes[0] if len(axes) == 1 and np.iterable(axes[0]) else axes or None
        )

    def sum(self, *args: Any, **kwargs: Any) -> Any:
        return array_primitives.array_sum(self, *args, **kwargs)

    def mean(self, *args: Any, **kwargs: Any) -> Any:
        return array_primitives.array_mean(self, *args, **kwargs)

    def var(self, *args: Any, **kwargs: Any) -> Any:
        return array_primitives.array_var(self, *args, **kwargs)

    def std(self, *args: Any, **kwargs: Any) -> Any:
        return array_primitives.array_std(self, *args, **kwargs)

    def prod(self, *args: Any, **kwargs: Any) -> Any:
        return np.prod(self, *args, **kwargs)  # (numpy's function on diffstudy's arrays, as np.prod(x) is)

    def dot(self, other: Any) -> Any:
        return array_primitives.array_dot(self, other)

    def ravel(self) -> Any:
        return array_primitives.array_ravel(self)

    flatten = ravel

    def max(self, axis: Any = None, keepdims: bool = False) -> Any:
        return array_primitives.array_extreme(True)(self, axis=axis, keepdims=keepdims)

    def min(self, axis: Any = None, keepdims: bool = False) -> Any:
        return array_primitives.array_extreme(False)(self, axis=axis, keepdims=keepdims)

    def squeeze(self, axis: Any = None) -> Any:
        return array_primitives.array_squeeze(self, axis)

    def copy(self) -> Any:
        return self  # nothing writes into diffstudy's arrays, so a copy is the array itself

    def __getattr__(self, name: str) -> Any:
        if not name.startswith("_") and hasattr(np.ndarray, name):
            raise UnsupportedOperation(
                f"the array method .{name}() is not supported on diffstudy's arrays (it would lose the "
                "derivative); supported: .T, .shape, .sum, .mean, .var, .std, .prod, .max, .min, .dot, .reshape, "
                ".ravel, .flatten, .squeeze, .transpose, .copy, indexing"
            )
        raise AttributeError(name)

    def __matmul__(self, other: Any) -> Any:
        return array_primitives.apply(array_primitives.MATMUL, (self, other))

    def __rmatmul__(self, other: Any) -> Any:
        return array_primitives.apply(array_primitives.MATMUL, (other, self))

    def process(self, primitive: Primitive, args: Any) -> Any:
        return array_primitives.apply(array_primitives.elementwise(primitive), args)

    # Comparisons entry by entry, on the values: a boolean array, as numpy gives.
    def _compare(self, other: Any, how: Callable[[Any, Any], Any]) -> Any:
        return how(plain(self), plain(other))

    def __lt__(self, other: Any) -> Any:
        return self._compare(other, operator.lt)

    def __le__(self, other: Any) -> Any:
        return self._compare(other, operator.le)

    def __gt__(self, other: Any) -> Any:
        return self._compare(other, operator.gt)

    def __ge__(self, other: Any) -> Any:
        return self._compare(other, operator.ge)

    def __eq__(self, other: object) -> Any:
        return self._compare(other, operator.eq)

    def __ne__(self, other: object) -> Any:
        return self._compare(other, operator.ne)

    def __bool__(self) -> bool:
        return bool(plain(self))

    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any) -> Any:
        if "out" in kwargs:
            raise array_primitives.written_in_place(ufunc.__name__)
        if method != "__call__" or kwargs:
            raise array_primitives.unsupported(f"{ufunc.__name__}.{method}" if method != "__call__" else ufunc.__name__)
        comparison = COMPARISONS.get(ufunc)
        if comparison is not None:
            return comparison(*(plain(x) for x in inputs))
        if ufunc is np.conjugate:  # a real array is its own conjugate
            return inputs[0]
        primitive = array_primitives.UFUNCS.get(ufunc)
        if primitive is None:
            raise array_primitives.unsupported(ufunc.__name__)
        return array_primitives.apply(primitive, inputs)

    def __array_function__(self, func: Callable[..., Any], types: Any, args: Any, kwargs: Any) -> Any:
        handler = ARRAY_FUNCTIONS.get(func)
        if handler is None:
            raise array_primitives.unsupported(getattr(func, "__name__", str(func)))
        return handler(*args, **kwargs)


def _plain_index(index: Any) -> Any:
    """An index made of plain ints, slices and integer or boolean arrays (a tuple stays a tuple)."""
    if isinstance(index, tuple):
        return tuple(_plain_index(i) for i in index)
    if isinstance(index, Active):
        return index._refuse("an index")
    if isinstance(index, list):  # [] alone would make a float array, which numpy refuses as an index
        return np.asarray(index) if index else np.asarray(index, dtype=np.intp)
    return index


def _array_binary(primitive: Primitive) -> Callable[[ActiveArray, Any], Any]:
    table_entry = array_primitives.elementwise(primitive)

    def method(self: ActiveArray, other: Any) -> Any:
        return array_primitives.apply(table_entry, (self, other))

    method.__name__ = primitive.name
    return method


def _array_reflected(primitive: Primitive) -> Callable[[ActiveArray, Any], Any]:
    table_entry = array_primitives.elementwise(primitive)

    def method(self: ActiveArray, other: Any) -> Any:
        return array_primitives.apply(table_entry, (other, self))

    method.__name__ = "r" + primitive.name
    return method


install_operators(ActiveArray, _array_binary, _array_reflected)

"""Expressions as Python source: number types whose every operation writes code instead of computing.

:class:`Code` (a number) and :class:`CodeArray` (an array, of a known shape) are how the generated
method (:mod:`.generate`) writes a primitive's local partial, and an array operation's
vector-Jacobian product, as source without a second copy of any rule: the registry's own rule,
or the array primitive's own linear map, is called on code arguments, and what it does is
written down (``cos(x)``, ``3 * pow(x, 2)``, ``(g @ ops.transpose(W, axes=(1, 0)))``). A rule
that needs a value to decide (the stable form of tanh' looks at |x|) cannot be written that way;
it raises :class:`NeedsValue`, and the generated code calls the rule itself.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any

import numpy as np

from . import array_primitives
from .active import Active, ActiveArray, install_operators
from .primitives import Primitive

# The operators written as Python writes them; every other primitive is a call of its name.
INFIX = {"add": "+", "sub": "-", "mul": "*"}


class NeedsValue(Exception):
    """A rule looked at a value (a comparison, a magnitude): it has no code form independent of the point."""


def literal(x: Any, constants: Callable[[Any], str]) -> str:
    """A constant as source: an int or float literal (repr round-trips a float), a Fraction as a
    call, anything else by the name ``constants`` gives it."""
    if x.__class__ is int or x.__class__ is bool:
        return repr(int(x))
    if x.__class__ is float:
        return repr(x) if x == x and abs(x) != float("inf") else constants(x)
    if x.__class__ is Fraction:
        return f"Fraction({x.numerator})" if x.denominator == 1 else f"Fraction({x.numerator}, {x.denominator})"
    if isinstance(x, np.integer):
        return repr(int(x))
    return constants(x)


class Code(Active):
    """A number known only as the source text that computes it; ``value`` is not known here."""

    __slots__ = ("text", "constants")
    kind = "code expression"
    priority = 10**9  # above every differentiation: it writes, nobody computes with it

    def __init__(self, text: str, constants: Callable[[Any], str]) -> None:
        self.text = text
        self.constants = constants

    def __repr__(self) -> str:
        return f"Code({self.text})"

    @property
    def value(self) -> Any:
        raise NeedsValue(self.text)

    def same_differentiation(self, other: Any) -> bool:
        return isinstance(other, Code)

    def _source(self, x: Any) -> str:
        return x.text if isinstance(x, Code) else literal(x, self.constants)

    def process(self, primitive: Primitive, args: Any) -> Code:
        """``primitive`` of ``args``, written: ``(a * b)``, ``-a``, ``cos(a)``, ``divide(a, b)``."""
        texts = [self._source(a) for a in args]
        infix = INFIX.get(primitive.name)
        if infix is not None:
            return Code(f"({texts[0]} {infix} {texts[1]})", self.constants)
        if primitive.name == "neg":
            return Code(f"(-{texts[0]})", self.constants)
        return Code(f"{primitive.name}({', '.join(texts)})", self.constants)

    def _compare(self, other: Any) -> bool:
        raise NeedsValue(self.text)

    __lt__ = __le__ = __gt__ = __ge__ = __eq__ = __ne__ = _compare  # type: ignore[assignment]

    def __bool__(self) -> bool:
        raise NeedsValue(self.text)

    def lifted(self) -> CodeArray:
        return CodeArray(self.text, (), self.constants)


install_operators(Code)


def _simple(value: Any) -> bool:
    """Whether ``repr(value)`` is Python that gives ``value`` back (ints, tuples of them, None)."""
    if value is None or isinstance(value, (bool, int, str)):
        return True
    return isinstance(value, tuple) and all(_simple(v) for v in value)


# numpy's spelling of the array operations whose value on float arrays is numpy's own call.
_NUMPY = {"transpose": "np.transpose", "reshape": "np.reshape"}


def _literal(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def array_source(primitive: array_primitives.ArrayPrimitive, texts: list[str], params: dict[str, Any],
                 constants: Callable[[Any], str], numpy: bool = False,
                 shapes: Sequence[tuple[int, ...]] | None = None) -> str:  # fmt: skip
    """The source of an array operation: a scalar primitive entry by entry as for numbers
    (``(a * b)``, ``tanh(a)``), matmul as ``@``, and every other operation as
    ``ops.<name>(arguments, parameters)``, ``ops`` being the array primitives, which work on
    every number type. With ``numpy`` the code is for float arrays only, and says what numpy
    does directly (``np.tanh(a)``, ``a ** 2``, ``x[1:]``, ``np.add.reduce(a, axis=None)``), numpy's
    errors raised around it; ``shapes`` (the arguments') lets a mean be written as its sum over
    its count, as the tape computes it, and an array's reshape and transpose as its own methods
    (a fifth of np.reshape's cost)."""
    scalar = primitive.scalar
    if scalar is not None:
        infix = INFIX.get(scalar.name)
        if infix is not None:
            return f"({texts[0]} {infix} {texts[1]})"
        if scalar.name == "neg":
            return f"(-{texts[0]})"
        if numpy and scalar.name == "pow" and texts[1] == "1":
            return texts[0]  # x ** 1 is x to the bit; numpy would copy it
        if numpy and scalar.name in ("div", "pow"):
            return f"({texts[0]} {'/' if scalar.name == 'div' else '**'} {texts[1]})"
        if numpy and scalar.ufunc is not None and scalar.on_array is None:
            return f"np.{scalar.ufunc.__name__}({', '.join(texts)})"
        return f"{scalar.name}({', '.join(texts)})"
    if primitive is array_primitives.MATMUL:
        return f"({texts[0]} @ {texts[1]})"
    if numpy and primitive is array_primitives.INDEX and _simple_index(params["index"]):
        return f"{texts[0]}[{index_source(params['index'])}]"
    if numpy and primitive.name == "sum":  # np.sum's own call: np.add.reduce, without its Python wrapper
        return f"np.add.reduce({texts[0]}, {_reduce_arguments(params.get('axis'), params.get('keepdims', False))})"
    if numpy and primitive.name == "mean" and shapes is not None:
        axis, keepdims = params.get("axis"), params.get("keepdims", False)
        count = float(array_primitives._summed(shapes[0], axis))  # the tape's count, in float as it divides
        return f"(np.add.reduce({texts[0]}, {_reduce_arguments(axis, keepdims)}) / {count!r})"
    if numpy and primitive.name == "broadcast_to":  # a view, as the tape's (matmul sums a copy in another order)
        return f"np.broadcast_to({texts[0]}, {params['shape']!r})"
    if numpy and primitive.name in _NUMPY and shapes is not None and shapes[0] != () and not _literal(texts[0]):
        values = [repr(v) if _simple(v) else constants(v) for v in params.values()]
        return f"{texts[0]}.{primitive.name}({', '.join(values)})"
    if numpy and primitive.name in _NUMPY:
        # reshape's, broadcast_to's and transpose's one parameter by position (numpy 1.x names it otherwise)
        values = [repr(v) if _simple(v) else constants(v) for v in params.values()]
        if primitive.name == "sum":
            values = [f"{k}={v}" for k, v in zip(params, values)]
        return f"{_NUMPY[primitive.name]}({', '.join([*texts, *values])})"
    keywords = [f"{k}={repr(v) if _simple(v) else constants(v)}" for k, v in params.items()]
    return f"ops.{primitive.name}({', '.join([*texts, *keywords])})"


def _simple_index(index: Any) -> bool:
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) and not isinstance(p, bool) for p in parts)


def index_source(index: Any) -> str:
    """A basic index as written between brackets: ``1:``, ``:-1``, ``0, 2``."""
    parts = index if isinstance(index, tuple) else (index,)

    def part(p: Any) -> str:
        if isinstance(p, int):
            return str(p)
        text = f"{'' if p.start is None else p.start}:{'' if p.stop is None else p.stop}"
        return text + (f":{p.step}" if p.step is not None else "")

    return ", ".join(part(p) for p in parts) + ("," if len(parts) == 1 and isinstance(index, tuple) else "")


class CodeArray(ActiveArray):
    """An array known only by its shape and the source text that computes it."""

    __slots__ = ("text", "constants", "known_shape", "numpy", "ones", "alias", "compact")
    kind = "code array"
    priority = 10**9

    def __init__(
        self,
        text: str,
        shape: tuple[int, ...],
        constants: Callable[[Any], str],
        numpy: bool = False,
        ones: bool = False,
        alias: bool = False,
        compact: bool = False,
    ) -> None:
        self.text = text
        self.known_shape = tuple(shape)
        self.constants = constants
        self.numpy = numpy
        self.ones = ones  # every entry is 1 (the seed of a gradient, spread): a product by it is the other factor
        self.alias = alias  # the text names an array that exists (no new array is made)
        # its entries lie in one block, as an operation's new array does (not a view, not an input):
        # a product by ones would be laid out the same, so a sum or matmul of either adds in one order
        self.compact = compact or not self.known_shape

    def __repr__(self) -> str:
        return f"CodeArray({self.text}, {self.known_shape})"

    @property
    def value(self) -> Any:
        raise NeedsValue(self.text)

    @property
    def shape(self) -> tuple[int, ...]:  # type: ignore[override]
        return self.known_shape

    @property
    def dtype(self) -> np.dtype:  # type: ignore[override]
        if self.numpy:
            return self.written_dtype
        raise NeedsValue(self.text)

    @property
    def written_dtype(self) -> np.dtype | None:
        """float64 in code for float arrays only (every array it handles is one), else not known."""
        return np.dtype(float) if self.numpy else None

    def same_differentiation(self, other: Any) -> bool:
        return isinstance(other, (Code, CodeArray))

    def apply_array(self, primitive: Any, args: Any, params: dict[str, Any]) -> CodeArray:
        """The operation written, its result's shape found by doing it on arrays of ones. In code
        for float arrays, a product by an array of ones is the other factor, unwritten (x · 1 is x
        to the bit), and ones spread, reshaped or picked from are ones."""
        texts = [a.text if isinstance(a, (Code, CodeArray)) else literal(a, self.constants) for a in args]
        stand_ins = [
            _stand_in(a.shape) if isinstance(a, CodeArray) else 1.0 if isinstance(a, Code) else a for a in args
        ]
        shape = np.shape(primitive.evaluate(*stand_ins, **params))
        if self.numpy and primitive.scalar is not None and primitive.scalar.name == "mul":
            for one, other in (args, args[::-1]):
                if _is_ones(one) and isinstance(other, CodeArray) and other.compact and other.shape == shape:
                    named = other.alias or other.text.isidentifier()
                    return CodeArray(other.text, shape, self.constants, True, other.ones, named, compact=True)
        shapes = [a.shape if isinstance(a, CodeArray) else np.shape(a) for a in args]
        text = array_source(primitive, texts, params, self.constants, self.numpy, shapes)
        ones = self.numpy and primitive.name in _KEEPING_ONES and _is_ones(args[0])
        compact = primitive.name not in VIEWS
        return CodeArray(text, shape, self.constants, self.numpy, ones=ones, compact=compact)


def _is_ones(x: Any) -> bool:
    return isinstance(x, CodeArray) and x.ones


# The operations whose result may be a view of their argument's memory.
VIEWS = frozenset({"broadcast_to", "reshape", "transpose", "index"})
# The operations whose result is all ones where their argument is: the same four, which move entries.
_KEEPING_ONES = VIEWS


def _stand_in(shape: tuple[int, ...]) -> np.ndarray:
    """An array of ``shape`` to find a result's shape on: √1, √2, … (no zero, no equal rows)."""
    return np.sqrt(np.arange(1.0, 1.0 + int(np.prod(shape)))).reshape(shape)


def _compared(self: CodeArray, other: Any) -> Any:
    raise NeedsValue(self.text)


for _name in ("__lt__", "__le__", "__gt__", "__ge__", "__eq__", "__ne__", "__bool__"):
    setattr(CodeArray, _name, _compared)


def written(
    rule: Callable[..., Any], texts: list[str], constants: Callable[[Any], str], given: list[Any]
) -> str | None:
    """The rule's result as source, given its arguments as source (``texts``) or, where they are
    constants, as the constants themselves (``given``, None for a variable); None where the rule
    needs a value to decide."""
    args = [Code(t, constants) if g is None else g for t, g in zip(texts, given)]
    try:
        result = rule(*args)
    except (NeedsValue, TypeError, AttributeError):
        return None
    if isinstance(result, Code):
        return result.text
    if result.__class__ in (int, float, Fraction) or isinstance(result, np.integer):
        return literal(result, constants)
    return None


def _reduce_arguments(axis: Any, keepdims: bool) -> str:
    """np.add.reduce's arguments after the array: keepdims only where it is true (a keyword
    numpy reads costs as much as a tenth of a sum of 1,000 numbers)."""
    return f"axis={axis!r}, keepdims=True" if keepdims else f"axis={axis!r}"

"""The registry of primitives: each primitive is one entry, and every table the engine needs is derived from it.

An entry declares the primitive's name (the key its operations are counted under), how a graph
labels it, its value on each kind of number — floats, Fractions (exactly, where the value is
rational), numpy arrays (its ufunc), sympy expressions and mpmath numbers, each given
explicitly — its domain, and its local partial derivatives: one rule per argument, which
receives the arguments and the output (so ``exp``, ``tanh`` and ``sqrt`` reuse the value they
computed). Forward mode pushes a tangent through the partials (ẏ = Σ pᵢ·ẋᵢ) and reverse mode
pulls an adjoint back through the same partials (x̄ᵢ += pᵢ·ȳ); both call :func:`accumulate`,
so the two modes cannot drift apart. For an operator the entry names its Python methods
(``__mul__``, ``__rmul__``), from which every number type's operators are made.

Every operator the user writes is its own primitive (``sub``, ``div``, ``neg`` and ``pow`` are not
built from others), and constants are arguments, not nodes, so counts match the program.

The table near the end of this module has one entry per line, as DiffRules.jl does; adding a
primitive is adding a line there (and its tests). The tables derived from it — the operators,
numpy's ufuncs, sympy's functions, ``diffstudy.fn`` — are at the very end, and a test checks
that each covers every entry.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy
from sympy.codegen import cfunctions

from ..errors import Declined, DomainError
from . import kinks
from .levels import Leveled, owner_of, plain
from .ndarrays import elementwise


class Unit:
    """A partial derivative that is +1 or -1 by the structure of its rule (add, sub, neg).

    The engines add or subtract instead of multiplying by it, as anyone writing the rule by
    hand would (d(x + y) = dx + dy has no multiplication). Calling it returns itself, so it
    stands in a rule table beside ordinary rule functions.
    """

    __slots__ = ("sign",)

    def __init__(self, sign: int) -> None:
        self.sign = sign

    def __call__(self, *args: Any) -> Unit:
        return self

    def __repr__(self) -> str:
        return str(self.sign)


class Argument:
    """A partial derivative that is one of the arguments, by the structure of its rule (x·y by x is y).

    Calling it picks that argument; the tape, which records a partial per operation, picks it
    without the call.
    """

    __slots__ = ("position",)

    def __init__(self, position: int) -> None:
        self.position = position

    def __call__(self, *args: Any) -> Any:
        return args[self.position]

    def __repr__(self) -> str:
        return "xy"[self.position]


ONE = Unit(1)
MINUS_ONE = Unit(-1)
ZERO = Unit(0)  # the side of a kink not taken: max(x, y) by y where x > y contributes nothing


def accumulate(total: Any, partial: Any, tangent: Any) -> Any:
    """Return ``total + partial * tangent``; ``total`` None means nothing is accumulated yet.

    Forward mode uses it to build a tangent, reverse mode to add into an adjoint.
    """
    if partial.__class__ is Unit:
        if partial is ONE:
            return tangent if total is None else total + tangent
        if partial is MINUS_ONE:
            return -tangent if total is None else total - tangent
        return total
    term = partial * tangent
    return term if total is None else total + term


@dataclass(frozen=True)
class Domain:
    """Where a function (or its derivative) is defined, and what to say outside it."""

    holds: Callable[[Any], Any]
    message: str

    def describe(self, name: str, x: Any, index: tuple[int, ...] | None = None) -> str:
        """The one-line message for ``name(x)`` outside this domain (``x`` at ``index`` of an array)."""
        sign = "zero" if x == 0 else "a negative number"
        where = (
            ""
            if index is None
            else (
                f" at index {list(index)} (if an np.where discards it: numpy computes both branches, so keep "
                f"the discarded one in the domain too, e.g. np.where(x > 0, np.sqrt(np.where(x > 0, x, 1)), 0))"
            )
        )
        return self.message.format(name=name, x=shown(x), sign=sign) + where


# Written with & rather than chained comparisons, so that they hold entry by entry on arrays too.
POSITIVE = Domain(lambda x: x > 0, "{name} of {sign} ({x})")
NONNEGATIVE = Domain(lambda x: x >= 0, "{name} of a negative number ({x})")
ABOVE_MINUS_ONE = Domain(lambda x: x > -1, "{name} of a number ≤ −1 ({x})")
CLOSED_UNIT = Domain(lambda x: (x >= -1) & (x <= 1), "{name} of a number outside [-1, 1] ({x})")
OPEN_UNIT = Domain(lambda x: (x > -1) & (x < 1), "derivative of {name} at {x} (needs -1 < x < 1)")
NONZERO = Domain(lambda x: x != 0, "derivative of {name} at 0")
NONZERO_VALUE = Domain(lambda x: x != 0, "{name} of zero")


@dataclass(frozen=True, eq=False)
class Primitive:
    """One primitive: its value on every kind of number, its domain, and one partial rule per argument.

    Attributes:
        name: its name ("add", "sin"): in diffstudy.fn, in code, and the key its operations are
            counted under unless ``counted_as`` says otherwise.
        symbol: how a computational graph labels it ("+", "sin").
        partials: ``rule(*args, out)`` for each argument, or ``ONE`` / ``MINUS_ONE`` / an
            ``Argument``. Applied to arrays, a rule gives the local partials of every entry at once.
        on_float: the value on floats.
        on_sympy: the value on sympy expressions (a sympy function, given explicitly).
        on_mpmath: the value on mpmath numbers, at mpmath's working precision.
        ufunc: the numpy ufunc that is this primitive entry by entry (``np.sin``), or None.
        on_exact: the exact value at rational arguments where it is rational (sin 0 = 0), else
            None; where None, a rational argument gets the correctly rounded float.
        on_array: the value on a float array, when it is not ``ufunc`` itself.
        domain: where the value is defined (checked on every kind of number).
        derivative_domain: where the partials are defined, when narrower (sqrt at 0).
        operators: for an operator, its Python method and reflected method ("__mul__", "__rmul__").
        sympy_heads: the sympy functions whose nodes are this primitive, when read back from an
            expression (sympy.sin; a sympy function sympy writes for it, such as Abs).
        public: offered by :mod:`diffstudy.fn` under its name.
        counted_as: the operation it performs, where that is another's (np.square is a
            multiplication, np.reciprocal a division): so a program counts the same however the
            user spells an operation.
        keeps_non_finite: for each argument, whether an inf or nan there is sure to give an inf
            or nan value or a float error (inf + 1 = inf, nan · 0 = nan, sin inf an error), not
            a finite number (exp(−inf) = 0, 1/inf = 0, max(−inf, 1) = 1); all False if not given
            (a power's base keeps it where the exponent is positive: see :mod:`.non_finite`).
        evaluate: the value on any number, diffstudy's own types included (they perform it in
            their ``process`` hook); made from the fields above, or given for an operator.
    """

    name: str
    symbol: str
    partials: tuple[Callable[..., Any], ...]
    on_float: Callable[..., Any]
    on_sympy: Callable[..., Any]
    on_mpmath: Callable[..., Any]
    ufunc: np.ufunc | None
    on_exact: Callable[..., Any] | None = None
    on_array: Callable[..., Any] | None = None
    domain: Domain | None = None
    derivative_domain: Domain | None = None
    operators: tuple[str, str] | None = None
    sympy_heads: tuple[Any, ...] = ()
    public: bool = False
    counted_as: str = ""
    keeps_non_finite: tuple[bool, ...] = ()
    evaluate: Callable[..., Any] = field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        if not self.counted_as:
            object.__setattr__(self, "counted_as", self.name)
        if not self.keeps_non_finite:
            object.__setattr__(self, "keeps_non_finite", (False,) * self.arity)
        if self.evaluate is None:
            build = _unary_evaluator if self.arity == 1 else _binary_evaluator
            object.__setattr__(self, "evaluate", build(self))
        if self.derivative_domain is not None:
            object.__setattr__(self, "partials", tuple(_checked(self, rule) for rule in self.partials))

    @property
    def arity(self) -> int:
        """How many arguments it takes."""
        return len(self.partials)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


REGISTRY: list[Primitive] = []  # every primitive, in the order of the table below


def _entry(*args: Any, **kwargs: Any) -> Primitive:
    """A primitive made and put in the registry."""
    primitive = Primitive(*args, **kwargs)
    REGISTRY.append(primitive)
    return primitive


def _checked(primitive: Primitive, rule: Callable[..., Any]) -> Callable[..., Any]:
    """``rule`` that first checks the primitive's derivative domain at its first argument."""

    def checked_rule(*args: Any) -> Any:
        _check(primitive.derivative_domain, primitive.name, args[0])
        return rule(*args)

    checked_rule.__name__ = checked_rule.__qualname__ = f"d_{primitive.name}"
    return checked_rule


# ---------------------------------------------------------------- helpers on any number


def is_concrete(x: Any) -> bool:
    """True for a number with a value now; False for a sympy expression with free symbols, or an
    object array holding one."""
    if isinstance(x, np.ndarray) and x.dtype == object:
        return all(is_concrete(entry) for entry in x.flat)
    return not isinstance(x, sympy.Basic) or x.is_number


def failure(condition: Callable[[Any], Any], x: Any) -> tuple[Any, tuple[int, ...] | None] | None:
    """Where ``condition(x)`` fails: (the value, its index in an array, or None), or None where it holds.

    A symbolic argument is given the benefit of the doubt; on an array, every entry must hold.
    """
    if not is_concrete(x):
        return None
    holds = condition(x)
    if isinstance(holds, np.ndarray):
        if holds.all():
            return None
        index = tuple(int(i) for i in np.argwhere(~holds)[0])
        return np.asarray(plain(x))[index], index
    return None if holds else (x, None)


def _check(domain: Domain | None, name: str, x: Any) -> None:
    failed = failure(domain.holds, x) if domain is not None else None
    if failed:
        raise DomainError(domain.describe(name, *failed))


def shown(x: Any) -> str:
    """A number as a message shows it: its plain value, in about twenty characters at most."""
    value = plain(x)
    if isinstance(value, sympy.Float):  # a verified reference value: its leading digits, in any range
        return mpmath.nstr(value._to_mpmath(value._prec), 16)
    if isinstance(value, (int, Fraction)) and value.numerator.bit_length() + value.denominator.bit_length() > 64:
        return "≈" + mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, 6)  # str() of a huge int fails
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "…"


def overflow(name: str, *args: Any) -> DomainError:
    """The error of an operation ``name`` of ``args`` whose float result overflowed:
    the one message of the rule every path keeps (counting numbers, dual numbers, the tape)."""
    given = next((v for v in args if isinstance(v, float) and v - v != 0), None)
    operands = " and ".join(map(shown, args))
    if given is not None:  # inf or nan came in (a constant of the program's): nothing overflowed here
        return DomainError(f"{name} of {operands}: {shown(given)} is not a finite number")
    return DomainError(f"{name} of {operands} overflows a float")


def _is_array_like(x: Any) -> bool:
    return isinstance(plain(x), np.ndarray)


def _exactly(x: int | Fraction) -> Fraction:
    return x if x.__class__ is Fraction else Fraction(x)


def _as_mpf(x: Any) -> mpmath.mpf:
    """A rational or float as an mpmath number, exactly (at any working precision)."""
    if isinstance(x, Fraction):
        return mpmath.mpf(x.numerator) / x.denominator
    return mpmath.mpf(x)


def _rounded(value: Any, name: str, args: tuple[Any, ...]) -> float:
    """An mpmath value as the nearest float; a value beyond the float range is an error."""
    result = float(value)
    if math.isinf(result):
        raise DomainError(f"{name}({', '.join(map(shown, args))}) overflows a float")
    return result


# ---------------------------------------------------------------- arithmetic on any number
# Plain Python operators already dispatch on every number type; pow and div are checked so that
# a negative base to a fractional power (complex in Python) or sympy's 1/0 = zoo never slips
# through as a number. On plain arrays, float arrays let numpy report a zero divisor or an
# invalid power, and object arrays go entry by entry through the scalar checks.


def _undefined(result: Any) -> bool:
    """True for a sympy number that is infinite, undefined or not real (zoo, nan, I).

    Where sympy cannot decide (a power of a long expression that is positive), the number is
    evaluated to 30 digits to see what it is.
    """
    if not (isinstance(result, sympy.Basic) and result.is_number):
        return False
    finite, real = result.is_finite, result.is_extended_real
    if finite is None or real is None:
        value = result.evalf(30)
        finite, real = value.is_finite, value.is_extended_real
        if real is None:  # a tiny imaginary part left by evalf: as real as sympy can tell
            real = abs(sympy.im(value)) <= abs(value) * sympy.Float(10) ** -25
    return not (finite and real)


def _on_arrays(scalar: Callable[[Any, Any], Any], operation: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """``scalar(x, y)`` entry by entry for object arrays; numpy's ``operation`` for float arrays."""
    if np.asarray(x).dtype == object or np.asarray(y).dtype == object:
        return np.asarray(np.frompyfunc(scalar, 2, 1)(x, y), dtype=object)
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # (array_primitives.apply names the entry)
        return operation(x, y)


def _plain_arrays(x: Any, y: Any) -> bool:
    """True when a plain array meets a plain value: none of diffstudy's types is there to dispatch to."""
    return (x.__class__ is np.ndarray or y.__class__ is np.ndarray) and not (
        isinstance(x, Leveled) or isinstance(y, Leveled)
    )


_WHOLE = frozenset({int, np.int64, np.int32})


def divide(x: Any, y: Any) -> Any:
    """``x / y``, raising DomainError on a zero divisor for every number type (sympy gives zoo).

    Two integers divide exactly (into a Fraction), as every integer in diffstudy is exact; a float
    divided by a Fraction too small for a float is divided exactly, then rounded.
    """
    if _plain_arrays(x, y):
        return _on_arrays(divide, operator.truediv, x, y)
    if y.__class__ in _WHOLE and x.__class__ in _WHOLE:
        if y == 0:
            raise DomainError(f"division by zero ({shown(x)} / 0)")
        return Fraction(int(x), int(y))
    try:
        result = x / y
    except ZeroDivisionError:
        if y != 0:  # a Fraction that rounds to the float 0 (10**-1000) divides a float exactly
            with mpmath.workdps(40):
                return _rounded(_as_mpf(Fraction(x)) / _as_mpf(Fraction(y)), "div", (x, y))
        raise DomainError(f"division by zero ({shown(x)} / 0)") from None
    except OverflowError:
        raise DomainError(f"{shown(x)} / {shown(y)} overflows a float") from None
    if _undefined(result):
        raise DomainError(f"division by zero ({shown(x)} / 0)")
    return result


def power(x: Any, y: Any) -> Any:
    """``x ** y`` that refuses 0 to a negative power and a negative base to a non-integer power."""
    if _plain_arrays(x, y):
        if isinstance(y, (int, Fraction)) and y == 1 and isinstance(x, np.ndarray):
            return x  # a plain array is never written into: no copy needed (x**2's partial is 2·x**1)
        return _on_arrays(power, operator.pow, x, y)
    if (x.__class__ is Fraction or x.__class__ is int) and y.__class__ is Fraction and y.denominator != 1 and x > 0:
        root = _exact_root(Fraction(x), y.denominator)
        if root is not None:  # 4 ** (1/2) is 2, as fn.sqrt(4) is, not 2.0
            return root**y.numerator
    try:
        result = x**y
    except ZeroDivisionError:
        raise DomainError(f"zero to a negative power (0 ** {shown(y)})") from None
    except OverflowError:
        raise DomainError(f"{shown(x)} ** {shown(y)} overflows a float") from None
    if result.__class__ is int and y.__class__ is Fraction:  # 2 ** Fraction(3): an exact number, as everywhere
        return Fraction(result)
    if result.__class__ is float and x.__class__ is int and y.__class__ is int:  # 2 ** -1 is 1/2, exactly
        return Fraction(x) ** y
    if isinstance(result, (complex, mpmath.mpc)) or _undefined(result):
        if x == 0:
            raise DomainError(f"zero to a negative power (0 ** {shown(y)})")
        raise DomainError(f"negative base to a non-integer power ({shown(x)} ** {shown(y)})")
    return result


def power_fast(x: Any, y: Any) -> Any:
    """:func:`power`, at C speed where ``x`` is a float and ``y`` an int or a float whose power is a
    float (the code ``ds.jit`` writes for floats calls it); anything else, :func:`power` itself,
    which raises what is wrong (0 to a negative power, a negative base to a non-integer power)."""
    if x.__class__ is float and (y.__class__ is int or y.__class__ is float):
        try:
            result = x**y
        except (ZeroDivisionError, OverflowError):
            return power(x, y)
        if result.__class__ is float:
            return result
    return power(x, y)


def divide_fast(x: Any, y: Any) -> Any:
    """:func:`divide`, at C speed where a float meets a float or an int (two ints divide exactly
    into a Fraction there); a zero divisor and anything else, :func:`divide` itself."""
    if (x.__class__ is float and (y.__class__ is float or y.__class__ is int)) or (
        x.__class__ is int and y.__class__ is float
    ):
        try:
            return x / y
        except ZeroDivisionError:
            pass
    return divide(x, y)


def reciprocal(y: Any) -> Any:
    """``1 / y``, exact when ``y`` is an integer (or an array of integers): d(x / 2)/dx = 1/2, not 0.5."""
    if isinstance(y, np.integer):  # numpy's integers too: np.int64(3) is as exact as 3
        y = int(y)
    if isinstance(y, int) or (isinstance(y, np.ndarray) and y.dtype.kind in "iu"):
        return Fraction(1) / y
    return 1 / y


def _div_by_numerator(x: Any, y: Any, out: Any) -> Any:
    return reciprocal(y)


def _div_by_denominator(x: Any, y: Any, out: Any) -> Any:
    return -out / y


def _pow_by_base(x: Any, y: Any, out: Any) -> Any:
    if isinstance(y, (int, Fraction, float, np.integer, np.floating)) and y == 0:
        return ZERO  # x**0 is the constant 1, also at x = 0
    if isinstance(y, np.ndarray) and y.dtype != object and not np.all(y):
        # An array of exponents with zeros: those entries are constants; their partial is 0, also at x = 0.
        zero = y == 0
        return np.where(zero, 0, y * power(x, np.where(zero, 1, y - 1)))
    try:
        return y * power(x, y - 1)
    except DomainError as error:  # (0 ** -0.5 is the derivative's power, not the one the program wrote)
        raise DomainError(f"derivative of x ** {shown(y)} at x = {shown(plain(x))}: {error}") from None


def _pow_by_exponent(x: Any, y: Any, out: Any) -> Any:
    failed = failure(lambda v: v > 0, x)
    if failed:
        raise DomainError(f"derivative of x ** y with respect to y needs x > 0 (x = {shown(failed[0])})")
    return out * log(x)


# ---------------------------------------------------------------- evaluation on every kind of number


def _real_evaluator(primitive: Primitive) -> Callable[..., Any]:
    """The value on plain Python numbers: exact where the arguments are rational and the value is,
    else the float (the correctly rounded one for a rational that is not a float)."""
    name, on_float, on_exact, domain = primitive.name, primitive.on_float, primitive.on_exact, primitive.domain

    def on_real(*args: Any) -> Any:
        if domain is not None:
            _check(domain, name, args[0])
        if all(a.__class__ is Fraction or a.__class__ is int for a in args):
            exact = [_exactly(a) for a in args]
            if on_exact is not None:
                value = on_exact(*exact)
                if value is not None:
                    return value
            try:
                floats = [float(a) for a in exact]
            except OverflowError:  # beyond the float range: mpmath takes it (cos(10³⁰⁹) is a float)
                return _correctly_rounded(primitive, exact)
            if any(Fraction(f) != a for f, a in zip(floats, exact)):  # log(1 + 10⁻³⁰): not float(…) = log(1.0)
                return _correctly_rounded(primitive, exact)
            args = tuple(floats)
        try:
            return on_float(*args)
        except OverflowError:
            raise DomainError(f"{name}({', '.join(map(shown, args))}) overflows a float") from None
        except ValueError:  # math.cos(inf): an earlier float overflowed
            raise DomainError(
                f"{name} of {', '.join(map(shown, args))} is not a number (a float overflowed before)"
            ) from None

    return on_real


def _correctly_rounded(primitive: Primitive, args: list[Fraction]) -> float:
    """The float nearest to ``primitive`` at rational arguments that are no floats, by mpmath.

    The precision starts at twice the bits of the arguments (enough for log near 1 and sin near
    a multiple of π, whose condition grows with those bits) and doubles until two precisions
    round to the same float.
    """
    bits = 2 * max(max(a.numerator.bit_length(), a.denominator.bit_length()) for a in args) + 80
    earlier = None
    for _ in range(6):
        with mpmath.workprec(bits):
            value = _rounded(primitive.on_mpmath(*map(_as_mpf, args)), primitive.name, tuple(args))
        if value == earlier:
            return value
        earlier, bits = value, 2 * bits
    return value


def _unary_evaluator(primitive: Primitive) -> Callable[[Any], Any]:
    """``primitive`` of one argument on any number: plain numbers, arrays, sympy, mpmath, ours."""
    name, domain = primitive.name, primitive.domain
    on_real = _real_evaluator(primitive)
    on_array = primitive.on_array or primitive.ufunc

    on_float = primitive.on_float
    holds = domain.holds if domain is not None else None

    def evaluate(x: Any) -> Any:
        cls = x.__class__
        if cls is float and (holds is None or holds(x)):  # the common case, made quick
            try:
                return on_float(x)
            except (OverflowError, ValueError):
                return on_real(x)  # which says what went wrong
        if cls is float or cls is int or cls is Fraction:
            return on_real(x)
        if isinstance(x, Leveled):
            return x.process(primitive, (x,))
        if cls is np.ndarray:
            if x.dtype != object:
                _check(domain, name, x)
            return elementwise(name, on_array, evaluate, x)
        if cls is mpmath.mpf:
            _check(domain, name, x)
            return primitive.on_mpmath(x)
        if isinstance(x, sympy.Basic):
            _check(domain, name, x)
            return primitive.on_sympy(x)
        if isinstance(x, numbers.Real):
            return on_real(float(x) if not isinstance(x, numbers.Rational) else Fraction(x))
        raise TypeError(f"diffstudy.fn.{name} cannot take a {cls.__name__}")

    evaluate.__name__ = evaluate.__qualname__ = name
    return evaluate


def _binary_evaluator(primitive: Primitive) -> Callable[[Any, Any], Any]:
    """``primitive`` of two arguments on any numbers, as a Python operator would dispatch it."""
    on_real = _real_evaluator(primitive)
    ufunc = primitive.ufunc

    def evaluate(x: Any, y: Any) -> Any:
        if x.__class__ is float and y.__class__ is float:
            return on_real(x, y)
        if isinstance(x, Leveled) or isinstance(y, Leveled):
            if x.__class__ is np.ndarray or y.__class__ is np.ndarray:
                return ufunc(x, y)  # numpy's protocols lift our number, or go entry by entry
            return owner_of((x, y)).process(primitive, (x, y))
        if x.__class__ is np.ndarray or y.__class__ is np.ndarray:
            return _on_arrays(evaluate, primitive.on_array or ufunc, x, y)
        if isinstance(x, sympy.Basic) or isinstance(y, sympy.Basic):
            return primitive.on_sympy(sympy.sympify(x), sympy.sympify(y))
        if x.__class__ is mpmath.mpf or y.__class__ is mpmath.mpf:
            return primitive.on_mpmath(x, y)
        if isinstance(x, numbers.Real) and isinstance(y, numbers.Real):
            return on_real(*(Fraction(a) if isinstance(a, numbers.Rational) else float(a) for a in (x, y)))
        kinds = f"a {x.__class__.__name__} and a {y.__class__.__name__}"
        raise TypeError(f"diffstudy.fn.{primitive.name} cannot take {kinds}")

    evaluate.__name__ = evaluate.__qualname__ = primitive.name
    return evaluate


def _exact_at(point: int, value: int) -> Callable[[Fraction], Fraction | None]:
    """A function's exact rational value at one rational point (sin 0 = 0, exp 0 = 1)."""

    def at(x: Fraction) -> Fraction | None:
        return Fraction(value) if x == point else None

    return at


# ---------------------------------------------------------------- kinks: max, min and |x|
# At a kink each rule gives the average of the one-sided derivatives and notes the kink met.

HALF = Fraction(1, 2)


def _tie_partial(x: Any, y: Any, bigger: bool, name: str) -> Any:
    """∂max(x, y)/∂x (``bigger``) or ∂min(x, y)/∂x: 1 on x's side, 0 on y's, ½ at a tie."""
    if not (is_concrete(x) and is_concrete(y)):
        return sympy.Heaviside(x - y if bigger else y - x)
    vx, vy = plain(x), plain(y)
    if _is_array_like(x) or _is_array_like(y):
        ties = np.asarray(vx == vy, dtype=bool)
        if ties.any():
            kinks.note(f"{name} of two equal entries: ½ to each")
        exact = np.asarray(vx).dtype == object or np.asarray(vy).dtype == object
        wins = np.asarray(vx > vy if bigger else vx < vy, dtype=bool)
        partial = np.where(ties, 0.5, np.where(wins, 1.0, 0.0))
        return np.where(ties, HALF, np.where(wins, 1, 0)).astype(object) if exact else partial
    if vx == vy:
        kinks.note(f"{name} of two equal numbers ({vx}): ½ to each")
        return HALF
    return ONE if (vx > vy) == bigger else ZERO


def _sign(x: Any) -> Any:
    """∂|x|/∂x: the sign of x, and 0 (the average of ±1) at the kink x = 0."""
    if not is_concrete(x):
        return sympy.sign(x)
    values = plain(x)
    if isinstance(values, np.ndarray):
        if np.asarray(values == 0, dtype=bool).any():
            kinks.note("abs of 0: 0, the average of −1 and 1")
        return np.sign(values)
    if values == 0:
        kinks.note("abs of 0: 0, the average of −1 and 1")
        return ZERO
    return ONE if values > 0 else MINUS_ONE


def _step(negative: Any, zero: Any, positive: Any) -> Callable[[Any], Any]:
    """A function that is constant on each side of 0 (sign, Heaviside), exact as given."""

    def step(x: Any) -> Any:
        if x == 0:
            kinks.note("a step function at 0: Heaviside(0) = ½, sign(0) = 0")
        value = zero if x == 0 else positive if x > 0 else negative
        return Fraction(value) if isinstance(x, Fraction) else float(value)

    return step


def _impulse(x: Any) -> Any:
    """sympy's DiracDelta, the derivative of a step: 0 away from 0, and no number at 0."""
    if x == 0:
        raise Declined("the derivative of a kink's derivative (sympy's DiracDelta(0)) is no number at this point")
    return Fraction(0) if isinstance(x, Fraction) else 0.0


def _extreme_of(bigger: bool) -> Callable[[Any, Any], Any]:
    """max (``bigger``) or min of two plain numbers; the first where they are equal."""

    def extreme(x: Any, y: Any) -> Any:
        return x if (x >= y) == bigger else y

    return extreme


def _exact_extreme(bigger: bool) -> Callable[[Fraction, Fraction], Fraction]:
    pick = _extreme_of(bigger)
    return lambda x, y: pick(x, y)


def _symbolic_extreme(bigger: bool) -> Callable[[Any, Any], Any]:
    """sympy's Max or Min, or the number itself where both are numbers."""
    pick = _extreme_of(bigger)

    def extreme(x: Any, y: Any) -> Any:
        if x.is_number and y.is_number:
            return pick(x, y)
        return (sympy.Max if bigger else sympy.Min)(x, y)

    return extreme


def _array_extreme(bigger: bool) -> Callable[[Any, Any], Any]:
    """np.maximum or np.minimum of float arrays (object arrays go entry by entry, exactly)."""
    return np.maximum if bigger else np.minimum


def _tie_rule(bigger: bool, by_first: bool) -> Callable[[Any, Any, Any], Any]:
    name = "max" if bigger else "min"
    if by_first:
        return lambda x, y, out: _tie_partial(x, y, bigger, name)
    return lambda x, y, out: _tie_partial(y, x, bigger, name)


# ---------------------------------------------------------------- rules written to keep their digits


def _sech_squared(x: Any, out: Any) -> Any:
    """d tanh(x)/dx = sech²x, without the cancellation of 1 − tanh²x once |x| is large.

    For |x| < 1 the textbook 1 − out² keeps its digits (against mpmath, its largest relative error
    on [0.75, 1) is 4.2e-16 with numpy's tanh, 1/cosh²x's 4.6e-16; 7.8e-16 with Python's math.tanh,
    against 4.5e-16). Beyond, tanh x rounds towards ±1
    and 1 − out² towards 0 (at x = 20 it gives 0 for 1.7e-17), so the rule takes 1/cosh²x, and
    past |x| = 20 4e/(1 + e)² with e = exp(−2|x|): the derivative of 1/cosh² divides by cosh⁴,
    which overflows from |x| = 178 on and would make a second derivative 0. A float array takes
    each entry's form as a number would; other arrays (of dual or counting numbers) the form of
    their largest |x|, save that past 20 the entries up to 20 keep 1/cosh².
    Symbolically the textbook form is exact.
    """
    if not is_concrete(x):
        return 1 - out * out
    if x.__class__ is np.ndarray and x.dtype == np.float64 and x.ndim and x.size:  # (0-d: numpy gives scalars)
        # |x|'s largest without an array of |x|; then the far entries alone, taken out and put back
        largest = np.maximum(x.max(), -x.min())
        if largest < 1:
            return 1 - out * out
        if x.size <= 256 and largest <= 20:  # (a short array: both forms whole, then picked, in fewer calls)
            c = np.cosh(x)
            return np.where(np.abs(x) < 1, 1 - out * out, np.divide(1, np.multiply(c, c, out=c), out=c))
        d = np.multiply(out, out)
        np.subtract(1, d, out=d)
        far = np.flatnonzero(np.abs(x) >= 1)
        sech_squared = _sech_squared_far(np.take(x, far), largest)
        if d.flags.c_contiguous:
            d.reshape(-1)[far] = sech_squared  # (a view: a third of np.put's time)
        else:
            np.put(d, far, sech_squared)
        return d
    size = np.max(np.abs(plain(x)), initial=0)  # (0 for an array of no entries)
    if size < 1:
        return 1 - out * out
    if size <= 20:
        c = cosh(x)
        return 1 / (c * c)
    sign = np.where(np.asarray(plain(x)) < 0, -1, 1) if _is_array_like(x) else (-1 if x < 0 else 1)
    e = exp(-2 * (sign * x))
    far = 4 * e / ((1 + e) * (1 + e))
    if _is_array_like(x):
        # an array's entries up to 20 take 1/cosh² (the far form's own derivative cancels near 0:
        # a second derivative at 1e-9 beside 25 kept 8 digits), from the entries clamped to 0
        # beyond, where cosh would overflow
        near = np.abs(np.asarray(plain(x))) <= 20
        if near.any():
            c = cosh(np.where(near, x, 0.0))
            return np.where(near, 1 / (c * c), far)
    return far


def _sech_squared_far(x: np.ndarray, largest: float) -> np.ndarray:
    """sech² of a float vector whose entries are 1 or more in size, at most ``largest``: 1/cosh²
    up to 20, 4e/(1 + e)² beyond, as for a number (|x| held at 400 there: exp(−800) is 0 as
    exp(−2|x|) is past 373, and −2|x| cannot overflow)."""
    if largest <= 20:
        c = np.cosh(x)
        return np.divide(1, np.multiply(c, c, out=c), out=c)
    size = np.abs(x)
    result = np.empty_like(x)
    near = size <= 20
    c = np.cosh(x[near])
    result[near] = np.divide(1, np.multiply(c, c, out=c), out=c)
    if not near.all():
        e = np.exp(np.multiply(-2, np.minimum(size[~near], 400.0)))
        square = np.add(1, e)
        np.multiply(square, square, out=square)
        result[~near] = np.divide(np.multiply(4, e, out=e), square, out=e)
    return result


def _one_minus_square(x: Any) -> Any:
    """1 − x², the radicand of d asin(x)/dx, written so that neither it nor its own derivative cancels.

    Near ±1, 1 − x·x loses the digits of 1 − |x| (at 1 − 2⁻⁵³ it is wrong by half), so the rule
    takes (1 − x)(1 + x), exact in its factors. Near 0 that product's derivative, (1 − x) − (1 + x),
    cancels instead (a second derivative at 1e-12 keeps 4 digits), so for |x| < ½ the rule takes
    1 − x·x, whose derivative −2x loses nothing. Symbolically the product form is exact.
    """
    if not is_concrete(x):
        return (1 - x) * (1 + x)
    small = np.abs(np.asarray(plain(x), dtype=float)) < 0.5
    if np.all(small):
        return 1 - x * x
    if not np.any(small):
        return (1 - x) * (1 + x)
    return np.where(small, 1 - x * x, (1 - x) * (1 + x))  # an array of both kinds: each its own


def _atan_rule(x: Any) -> Any:
    """d atan(x)/dx = 1/(1 + x²), written as r²/(1 + r²) with r = 1/x where |x| > 1, so that x² does
    not overflow from |x| = 1.3e154 on (atan' is 1e-320 at 1e160, a float). Symbolically the
    textbook form."""
    if not is_concrete(x):
        return 1 / (1 + x * x)
    big = np.abs(np.asarray(plain(x), dtype=float)) > 1
    if not np.any(big):
        return 1 / (1 + x * x)
    if np.all(big):
        r = 1 / x
        return r * r / (1 + r * r)
    r, small = 1 / np.where(big, x, 1), np.where(big, 0, x)  # an array of both kinds: each its own
    return np.where(big, r * r / (1 + r * r), 1 / (1 + small * small))


def _over_sum_of_squares(a: Any, x: Any, y: Any) -> Any:
    """a / (x² + y²), written so that neither square overflows nor underflows where x and y are
    floats: with s the larger magnitude, beyond 1e±150, as (a/s) / (s·((x/s)² + (y/s)²)). Exact and
    symbolic arguments keep the textbook form."""
    if is_concrete(x) and is_concrete(y):
        vx, vy = np.asarray(plain(x)), np.asarray(plain(y))
        if vx.dtype != object and vy.dtype != object:
            vx, vy = np.abs(vx), np.abs(vy)
            size = np.maximum(vx, vy)
            if not np.all((size > 1e-150) & (size < 1e150)):
                scale = float(np.max(size))
                u, v = x / scale, y / scale
                return (a / scale) / (scale * (u * u + v * v))
    return a / (x * x + y * y)


def _not_origin(name: str, x: Any, y: Any) -> None:
    vx, vy = np.asarray(plain(x)), np.asarray(plain(y))
    if is_concrete(x) and is_concrete(y) and np.any((vx == 0) & (vy == 0)):
        raise DomainError(f"derivative of {name} at (0, 0)")


def _atan2_by_y(y: Any, x: Any, out: Any) -> Any:
    """∂atan2(y, x)/∂y = x / (x² + y²)."""
    _not_origin("atan2", y, x)
    return _over_sum_of_squares(x, y, x)


def _atan2_by_x(y: Any, x: Any, out: Any) -> Any:
    """∂atan2(y, x)/∂x = −y / (x² + y²)."""
    _not_origin("atan2", y, x)
    return _over_sum_of_squares(-y, y, x)


def _hypot_by(position: int) -> Callable[[Any, Any, Any], Any]:
    """∂hypot(x, y)/∂x = x / hypot (position 0), ∂/∂y = y / hypot (position 1)."""

    def rule(x: Any, y: Any, out: Any) -> Any:
        _not_origin("hypot", x, y)
        return (x, y)[position] / out

    return rule


def _exact_hypot(x: Fraction, y: Fraction) -> Fraction | None:
    return _exact_root(x * x + y * y, 2)


class RealAbs(sympy.Function):
    """|e| for an e that sympy cannot prove real (√x, asin x): as sympy.Abs, differentiated as for a
    real e, sign(e)·e'. A program's values are real (a non-real one is a domain error first), and
    sympy's form for a complex e (re, im, atan2) is nothing the engines evaluate."""

    @classmethod
    def eval(cls, arg: sympy.Basic) -> sympy.Basic | None:
        return sympy.Abs(arg) if arg.is_extended_real or arg.is_number else None

    def fdiff(self, argindex: int = 1) -> sympy.Basic:
        return RealSign(self.args[0])

    def _eval_evalf(self, prec: int) -> sympy.Basic:
        return sympy.Abs(self.args[0])._eval_evalf(prec)

    def _sympystr(self, printer: Any) -> str:
        return f"Abs({printer._print(self.args[0])})"


class RealSign(sympy.Function):
    """sign(e) for an e that sympy cannot prove real, differentiated as for a real e: 2δ(e)·e'."""

    @classmethod
    def eval(cls, arg: sympy.Basic) -> sympy.Basic | None:
        return sympy.sign(arg) if arg.is_extended_real or arg.is_number else None

    def fdiff(self, argindex: int = 1) -> sympy.Basic:
        return 2 * sympy.DiracDelta(self.args[0])

    def _eval_evalf(self, prec: int) -> sympy.Basic:
        return sympy.sign(self.args[0])._eval_evalf(prec)

    def _sympystr(self, printer: Any) -> str:
        return f"sign({printer._print(self.args[0])})"


def _exact_root(x: Fraction, n: int) -> Fraction | None:
    """The n-th root of a positive rational whose numerator and denominator are n-th powers, else None."""
    p, p_exact = sympy.integer_nthroot(x.numerator, n)
    q, q_exact = sympy.integer_nthroot(x.denominator, n)
    return Fraction(int(p), int(q)) if p_exact and q_exact else None


def _exact_sqrt(x: Fraction) -> Fraction | None:
    """sqrt of a rational whose numerator and denominator are perfect squares, else None."""
    return _exact_root(x, 2)


def _exact_sqrt(x: Fraction) -> Fraction | None:
    """sqrt of a rational whose numerator and denominator are perfect squares, else None."""
    return _exact_root(x, 2)


def _reciprocal_value(x: Any) -> Any:
    try:
        return 1 / x
    except ZeroDivisionError:
        raise DomainError("reciprocal of zero") from None


# ---------------------------------------------------------------- the table
# One primitive per entry. The operators first: their values are Python's operators (checked
# for div and pow), which every number type already answers to. Then the functions: the value on
# floats, on sympy, on mpmath, numpy's ufunc, and the partials (given x and out, or x, y and out).
# fmt: off
ADD = _entry("add", "+", (ONE, ONE), operator.add, operator.add, operator.add, np.add,
             operators=("__add__", "__radd__"), evaluate=operator.add, keeps_non_finite=(True, True))
SUB = _entry("sub", "-", (ONE, MINUS_ONE), operator.sub, operator.sub, operator.sub, np.subtract,
             operators=("__sub__", "__rsub__"), evaluate=operator.sub, keeps_non_finite=(True, True))
MUL = _entry("mul", "*", (Argument(1), Argument(0)), operator.mul, operator.mul, operator.mul, np.multiply,
             operators=("__mul__", "__rmul__"), evaluate=operator.mul, keeps_non_finite=(True, True))
DIV = _entry("div", "/", (_div_by_numerator, _div_by_denominator), divide, divide, divide, np.true_divide,
             operators=("__truediv__", "__rtruediv__"), evaluate=divide,
             keeps_non_finite=(True, False))
POW = _entry("pow", "**", (_pow_by_base, _pow_by_exponent), power, power, power, np.power,
             operators=("__pow__", "__rpow__"), evaluate=power)
NEG = _entry("neg", "-", (MINUS_ONE,), operator.neg, operator.neg, operator.neg, np.negative,
             operators=("__neg__", ""), evaluate=operator.neg, keeps_non_finite=(True,))

SIN = _entry("sin", "sin", (lambda x, out: cos(x),), math.sin, sympy.sin, mpmath.sin, np.sin,
             on_exact=_exact_at(0, 0), sympy_heads=(sympy.sin,), public=True, keeps_non_finite=(True,))
COS = _entry("cos", "cos", (lambda x, out: -sin(x),), math.cos, sympy.cos, mpmath.cos, np.cos,
             on_exact=_exact_at(0, 1), sympy_heads=(sympy.cos,), public=True, keeps_non_finite=(True,))
TAN = _entry("tan", "tan", (lambda x, out: 1 + out * out,), math.tan, sympy.tan, mpmath.tan, np.tan,
             on_exact=_exact_at(0, 0), sympy_heads=(sympy.tan,), public=True, keeps_non_finite=(True,))
EXP = _entry("exp", "exp", (lambda x, out: out,), math.exp, sympy.exp, mpmath.exp, np.exp,
             on_exact=_exact_at(0, 1), sympy_heads=(sympy.exp,), public=True)
LOG = _entry("log", "log", (lambda x, out: reciprocal(x),), math.log, sympy.log, mpmath.log, np.log,
             on_exact=_exact_at(1, 0), domain=POSITIVE, sympy_heads=(sympy.log,), public=True,
             keeps_non_finite=(True,))
SQRT = _entry("sqrt", "sqrt", (lambda x, out: 1 / (2 * out),), math.sqrt, sympy.sqrt, mpmath.sqrt, np.sqrt,
              on_exact=_exact_sqrt, domain=NONNEGATIVE, derivative_domain=NONZERO, public=True,
              keeps_non_finite=(True,))
TANH = _entry("tanh", "tanh", (_sech_squared,), math.tanh, sympy.tanh, mpmath.tanh, np.tanh,
              on_exact=_exact_at(0, 0), sympy_heads=(sympy.tanh,), public=True)
SINH = _entry("sinh", "sinh", (lambda x, out: cosh(x),), math.sinh, sympy.sinh, mpmath.sinh, np.sinh,
              on_exact=_exact_at(0, 0), sympy_heads=(sympy.sinh,), public=True, keeps_non_finite=(True,))
COSH = _entry("cosh", "cosh", (lambda x, out: sinh(x),), math.cosh, sympy.cosh, mpmath.cosh, np.cosh,
              on_exact=_exact_at(0, 1), sympy_heads=(sympy.cosh,), public=True, keeps_non_finite=(True,))
ASIN = _entry("asin", "asin", (lambda x, out: 1 / sqrt(_one_minus_square(x)),), math.asin, sympy.asin, mpmath.asin,
              np.arcsin, on_exact=_exact_at(0, 0), domain=CLOSED_UNIT, derivative_domain=OPEN_UNIT,
              sympy_heads=(sympy.asin,), public=True, keeps_non_finite=(True,))
ACOS = _entry("acos", "acos", (lambda x, out: -1 / sqrt(_one_minus_square(x)),), math.acos, sympy.acos, mpmath.acos,
              np.arccos, on_exact=_exact_at(1, 0), domain=CLOSED_UNIT, derivative_domain=OPEN_UNIT,
              sympy_heads=(sympy.acos,), public=True, keeps_non_finite=(True,))
ATAN = _entry("atan", "atan", (lambda x, out: _atan_rule(x),), math.atan, sympy.atan, mpmath.atan, np.arctan,
              on_exact=_exact_at(0, 0), sympy_heads=(sympy.atan,), public=True)
LOG1P = _entry("log1p", "log1p", (lambda x, out: reciprocal(1 + x),), math.log1p, cfunctions.log1p, mpmath.log1p,
               np.log1p, on_exact=_exact_at(0, 0), domain=ABOVE_MINUS_ONE, sympy_heads=(cfunctions.log1p,),
               public=True, keeps_non_finite=(True,))
EXPM1 = _entry("expm1", "expm1", (lambda x, out: exp(x),), math.expm1, cfunctions.expm1, mpmath.expm1, np.expm1,
               on_exact=_exact_at(0, 0), sympy_heads=(cfunctions.expm1,), public=True)
SQUARE = _entry("square", "square", (lambda x, out: 2 * x,), lambda x: x * x, lambda x: x**2, lambda x: x * x,
                np.square, on_exact=lambda x: x * x, counted_as="mul", keeps_non_finite=(True,))
RECIPROCAL = _entry("reciprocal", "1/", (lambda x, out: -(out * out),), _reciprocal_value, lambda x: 1 / x,
                    lambda x: 1 / x, np.reciprocal, on_exact=lambda x: 1 / x if x else None, domain=NONZERO_VALUE,
                    counted_as="div")
ABS = _entry("abs", "abs", (lambda x, out: _sign(x),), abs, RealAbs, abs, np.absolute, on_exact=abs,
             sympy_heads=(sympy.Abs, RealAbs), public=True, keeps_non_finite=(True,))
ATAN2 = _entry("atan2", "atan2", (_atan2_by_y, _atan2_by_x), math.atan2, sympy.atan2, mpmath.atan2, np.arctan2,
               on_exact=lambda y, x: Fraction(0) if y == 0 and x > 0 else None, sympy_heads=(sympy.atan2,),
               public=True)
HYPOT = _entry("hypot", "hypot", (_hypot_by(0), _hypot_by(1)), math.hypot, cfunctions.hypot, mpmath.hypot,
               np.hypot, on_exact=_exact_hypot, sympy_heads=(cfunctions.hypot,), public=True,
               keeps_non_finite=(True, True))
MAXIMUM = _entry("maximum", "max", (_tie_rule(True, True), _tie_rule(True, False)), _extreme_of(True),
                 _symbolic_extreme(True), _extreme_of(True), np.maximum, on_exact=_exact_extreme(True),
                 on_array=_array_extreme(True), sympy_heads=(sympy.Max,), public=True)
MINIMUM = _entry("minimum", "min", (_tie_rule(False, True), _tie_rule(False, False)), _extreme_of(False),
                 _symbolic_extreme(False), _extreme_of(False), np.minimum, on_exact=_exact_extreme(False),
                 on_array=_array_extreme(False), sympy_heads=(sympy.Min,), public=True)
# The derivatives of the kinks, as sympy writes them; flat wherever they are defined.
SIGN = _entry("sign", "sign", (lambda x, out: ZERO,), _step(-1, 0, 1), sympy.sign, _step(-1, 0, 1), np.sign,
              on_exact=_step(-1, 0, 1), sympy_heads=(sympy.sign, RealSign))
HEAVISIDE = _entry("heaviside", "heaviside", (lambda x, out: ZERO,), _step(0, HALF, 1), sympy.Heaviside,
                   _step(0, HALF, 1), None, on_exact=_step(0, HALF, 1), on_array=lambda x: np.heaviside(x, 0.5),
                   sympy_heads=(sympy.Heaviside,))
# What sympy's second derivative of a kink holds: zero wherever it is a number.
DIRAC = _entry("dirac", "dirac", (lambda x, out: ZERO,), _impulse, sympy.DiracDelta, _impulse, None,
               on_exact=_impulse, on_array=np.vectorize(_impulse, otypes=[float]), sympy_heads=(sympy.DiracDelta,))
# fmt: on

# ---------------------------------------------------------------- the tables derived from the registry

BINARY_OPERATORS = tuple(p for p in REGISTRY if p.operators is not None and p.arity == 2)
FUNCTIONS = tuple(p for p in REGISTRY if p.operators is None)  # every primitive called as a function
BY_UFUNC: dict[np.ufunc, Primitive] = {p.ufunc: p for p in REGISTRY if p.ufunc is not None}
BY_SYMPY_HEAD: dict[Any, Primitive] = {head: p for p in REGISTRY for head in p.sympy_heads}
PUBLIC: dict[str, Callable[..., Any]] = {p.name: p.evaluate for p in REGISTRY if p.public}  # diffstudy.fn

# The functions the rules above call, by their names.
sin, cos, exp, log, sqrt = SIN.evaluate, COS.evaluate, EXP.evaluate, LOG.evaluate, SQRT.evaluate
sinh, cosh = SINH.evaluate, COSH.evaluate
maximum, minimum = MAXIMUM.evaluate, MINIMUM.evaluate

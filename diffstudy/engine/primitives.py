"""The table of primitives: each one's value and its local partial derivatives, defined once.

Forward mode pushes a tangent through the partials (ẏ = Σ pᵢ·ẋᵢ) and reverse mode pulls an
adjoint back through the same partials (x̄ᵢ += pᵢ·ȳ); both call :func:`accumulate`, so the two
modes cannot drift apart. A partial rule receives the arguments and the output, so that ``exp``,
``tanh`` and ``sqrt`` reuse the value they already computed.

Every operator the user writes is its own primitive (``sub``, ``div``, ``neg`` and ``pow`` are not
built from others), and constants are arguments, not nodes, so counts match the program.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import mpmath
import numpy as np
import sympy

from ..errors import Declined, DomainError
from . import kinks
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


@dataclass(frozen=True, eq=False)
class Primitive:
    """One primitive: how to evaluate it on any number type and one partial rule per argument.

    Attributes:
        name: the key its operations are counted under ("add", "sin").
        symbol: how a computational graph labels it ("+", "sin").
        evaluate: the value, for every number type diffstudy knows, arrays included.
        partials: ``rule(*args, out)`` for each argument, or ``ONE`` / ``MINUS_ONE``. Applied to
            arrays, a rule gives the local partials of every entry at once.
        ufunc: the numpy ufunc that is this primitive entry by entry (``np.sin``, ``np.add``).
    """

    name: str
    symbol: str
    evaluate: Callable[..., Any]
    partials: tuple[Callable[..., Any], ...]
    ufunc: np.ufunc

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


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
        return np.asarray(_plain_values(x))[index], index
    return None if holds else (x, None)


def _plain_values(x: Any) -> Any:
    while hasattr(x, "value") and not isinstance(x, np.ndarray):
        x = x.value
    return x


def shown(x: Any) -> str:
    """A number as a message shows it: its plain value, in about twenty characters at most."""
    value = _plain_values(x)
    if isinstance(value, sympy.Float):  # a verified reference value: its leading digits, in any range
        return mpmath.nstr(value._to_mpmath(value._prec), 16)
    if isinstance(value, (int, Fraction)) and value.numerator.bit_length() + value.denominator.bit_length() > 64:
        return "≈" + mpmath.nstr(mpmath.mpf(value.numerator) / value.denominator, 6)  # str() of a huge int fails
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "…"


# ---------------------------------------------------------------- arithmetic on any number type
# Plain Python operators already dispatch on every number type; pow and div are checked so that
# a negative base to a fractional power (complex in Python) or sympy's 1/0 = zoo never slips
# through as a number. On plain arrays, float arrays let numpy report a zero divisor or an
# invalid power, and object arrays go entry by entry through the scalar checks.


def _undefined(result: Any) -> bool:
    """True for a sympy number that is infinite, undefined or not real (zoo, nan, I)."""
    return isinstance(result, sympy.Basic) and result.is_number and not (result.is_finite and result.is_extended_real)


def _on_arrays(scalar: Callable[[Any, Any], Any], operation: Callable[[Any, Any], Any], x: Any, y: Any) -> Any:
    """``scalar(x, y)`` entry by entry for object arrays; numpy's ``operation`` for float arrays."""
    if np.asarray(x).dtype == object or np.asarray(y).dtype == object:
        return np.asarray(np.frompyfunc(scalar, 2, 1)(x, y), dtype=object)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            return operation(x, y)
        except FloatingPointError as error:
            raise DomainError(f"{scalar.__name__} of array entries: {error}") from None


def _plain_arrays(x: Any, y: Any) -> bool:
    """True when a plain array meets a plain value: none of diffstudy's types is there to dispatch to."""
    return (isinstance(x, np.ndarray) or isinstance(y, np.ndarray)) and not (
        hasattr(x, "priority") or hasattr(y, "priority")
    )


def divide(x: Any, y: Any) -> Any:
    """``x / y``, raising DomainError on a zero divisor for every number type (sympy gives zoo)."""
    if _plain_arrays(x, y):
        return _on_arrays(divide, operator.truediv, x, y)
    try:
        result = x / y
    except ZeroDivisionError:
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
    if isinstance(result, (complex, mpmath.mpc)) or _undefined(result):
        if x == 0:
            raise DomainError(f"zero to a negative power (0 ** {shown(y)})")
        raise DomainError(f"negative base to a non-integer power ({shown(x)} ** {shown(y)})")
    return result


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
    return y * power(x, y - 1)


def _pow_by_exponent(x: Any, y: Any, out: Any) -> Any:
    failed = failure(lambda v: v > 0, x)
    if failed:
        raise DomainError(f"derivative of x ** y with respect to y needs x > 0 (x = {shown(failed[0])})")
    return out * log(x)


ADD = Primitive("add", "+", operator.add, (ONE, ONE), np.add)
SUB = Primitive("sub", "-", operator.sub, (ONE, MINUS_ONE), np.subtract)
MUL = Primitive("mul", "*", operator.mul, (Argument(1), Argument(0)), np.multiply)
DIV = Primitive("div", "/", divide, (_div_by_numerator, _div_by_denominator), np.true_divide)
POW = Primitive("pow", "**", power, (_pow_by_base, _pow_by_exponent), np.power)
NEG = Primitive("neg", "-", operator.neg, (MINUS_ONE,), np.negative)

# ---------------------------------------------------------------- kinks: max, min and |x|
# At a kink each rule gives the average of the one-sided derivatives and notes the kink met.

HALF = Fraction(1, 2)


def _is_array_like(x: Any) -> bool:
    return isinstance(_plain_values(x), np.ndarray)


def _tie_partial(x: Any, y: Any, bigger: bool, name: str) -> Any:
    """∂max(x, y)/∂x (``bigger``) or ∂min(x, y)/∂x: 1 on x's side, 0 on y's, ½ at a tie."""
    if not (is_concrete(x) and is_concrete(y)):
        return sympy.Heaviside(x - y if bigger else y - x)
    vx, vy = _plain_values(x), _plain_values(y)
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
    values = _plain_values(x)
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


def _binary_dispatch(name: str, plain: Callable[[Any, Any], Any], ufunc: np.ufunc) -> Callable[[Any, Any], Any]:
    """A two-argument function that diffstudy's number types answer to, like a Python operator.

    ``x``'s type is asked by ``__diffstudy_<name>__``, then ``y``'s by ``__diffstudy_r<name>__``;
    when neither answers, ``plain`` computes it. One of ours beside a plain array goes to numpy's
    ``ufunc``, which hands it to the array machinery.
    """
    method, reflected = f"__diffstudy_{name}__", f"__diffstudy_r{name}__"

    def evaluate(x: Any, y: Any) -> Any:
        if (x.__class__ is np.ndarray and hasattr(y, "priority")) or (
            y.__class__ is np.ndarray and hasattr(x, "priority")
        ):
            return ufunc(x, y)
        for owner, other, attribute in ((x, y, method), (y, x, reflected)):
            handler = getattr(owner.__class__, attribute, None)
            if handler is not None:
                result = handler(owner, other)
                if result is not NotImplemented:
                    return result
        return plain(x, y)

    evaluate.__name__ = name
    return evaluate


def _plain_extreme(bigger: bool) -> Callable[[Any, Any], Any]:
    """max (``bigger``) or min of two plain numbers, arrays or sympy expressions."""

    def extreme(x: Any, y: Any) -> Any:
        if _plain_arrays(x, y):
            if np.asarray(x).dtype == object or np.asarray(y).dtype == object:
                return np.asarray(np.frompyfunc(extreme, 2, 1)(x, y), dtype=object)
            return (np.maximum if bigger else np.minimum)(x, y)
        if not (is_concrete(x) and is_concrete(y)):
            return (sympy.Max if bigger else sympy.Min)(x, y)
        return x if (x >= y) == bigger else y

    return extreme


def _extreme(name: str, symbol: str, bigger: bool, ufunc: np.ufunc) -> Primitive:
    return Primitive(
        name,
        symbol,
        _binary_dispatch(name, _plain_extreme(bigger), ufunc),
        (lambda x, y, out: _tie_partial(x, y, bigger, symbol), lambda x, y, out: _tie_partial(y, x, bigger, symbol)),
        ufunc,
    )


MAXIMUM = _extreme("maximum", "max", True, np.maximum)
MINIMUM = _extreme("minimum", "min", False, np.minimum)
maximum = MAXIMUM.evaluate
minimum = MINIMUM.evaluate


# The Python operators each primitive answers to: (primitive, method, reflected method).
BINARY_OPERATORS = (
    (ADD, "__add__", "__radd__"),
    (SUB, "__sub__", "__rsub__"),
    (MUL, "__mul__", "__rmul__"),
    (DIV, "__truediv__", "__rtruediv__"),
    (POW, "__pow__", "__rpow__"),
    (MAXIMUM, "__diffstudy_maximum__", "__diffstudy_rmaximum__"),
    (MINIMUM, "__diffstudy_minimum__", "__diffstudy_rminimum__"),
)


# ---------------------------------------------------------------- elementary functions


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
CLOSED_UNIT = Domain(lambda x: (x >= -1) & (x <= 1), "{name} of a number outside [-1, 1] ({x})")
OPEN_UNIT = Domain(lambda x: (x > -1) & (x < 1), "derivative of {name} at {x} (needs -1 < x < 1)")
NONZERO = Domain(lambda x: x != 0, "derivative of {name} at 0")


def _check(domain: Domain | None, name: str, x: Any) -> None:
    failed = failure(domain.holds, x) if domain is not None else None
    if failed:
        raise DomainError(domain.describe(name, *failed))


def _exact(point: int, value: int) -> Callable[[Fraction], Fraction | None]:
    """A function's exact rational value at one rational point (sin 0 = 0, exp 0 = 1)."""

    def at(x: Fraction) -> Fraction | None:
        return Fraction(value) if x == point else None

    return at


def _exact_root(x: Fraction, n: int) -> Fraction | None:
    """The n-th root of a positive rational whose numerator and denominator are n-th powers, else None."""
    p, p_exact = sympy.integer_nthroot(x.numerator, n)
    q, q_exact = sympy.integer_nthroot(x.denominator, n)
    return Fraction(int(p), int(q)) if p_exact and q_exact else None


def _exact_sqrt(x: Fraction) -> Fraction | None:
    """sqrt of a rational whose numerator and denominator are perfect squares, else None."""
    return _exact_root(x, 2)


def _elementary(
    name: str,
    real: Callable[[float], float],
    symbolic: Callable[[Any], Any],
    partial: Callable[[Any, Any], Any],
    ufunc: np.ufunc,
    *,
    precise: Callable[[Any], Any] | None = None,
    exact: Callable[[Fraction], Fraction | None] | None = None,
    domain: Domain | None = None,
    derivative_domain: Domain | None = None,
) -> Primitive:
    """Build a one-argument primitive that dispatches on its argument's type.

    Plain numbers go to ``real`` (exact for a Fraction where ``exact`` knows the value), sympy
    expressions to ``symbolic``, mpmath numbers to ``precise`` (mpmath's function of that name
    unless given), plain numpy arrays entry by entry (``ufunc`` on float arrays), and
    diffstudy's own number types to their ``__diffstudy_apply__``. The domain is checked for
    every type, so a log of a negative number fails the same way in every engine.
    """
    at_precision = precise or getattr(mpmath, name)

    def on_real(x: Any) -> Any:
        _check(domain, name, x)
        if exact is not None and x.__class__ is Fraction:
            value = exact(x)
            if value is not None:
                return value
        try:
            return real(x)
        except OverflowError:
            raise DomainError(f"{name}({shown(x)}) overflows a float") from None
        except ValueError:  # math.cos(inf): an earlier float overflowed
            raise DomainError(f"{name} of {shown(x)} is not a number (a float overflowed before)") from None

    def on_sympy(x: Any) -> Any:
        _check(domain, name, x)
        return symbolic(x)

    def evaluate(x: Any) -> Any:
        cls = x.__class__
        if cls is float or cls is int or cls is Fraction:
            return on_real(x)
        handler = getattr(cls, "__diffstudy_apply__", None)
        if handler is not None:
            return handler(x, primitive)
        if cls is np.ndarray:
            if x.dtype != object:
                _check(domain, name, x)
            return elementwise(name, ufunc, evaluate, x)
        if cls is mpmath.mpf:
            _check(domain, name, x)
            return at_precision(x)
        if isinstance(x, sympy.Basic):
            return on_sympy(x)
        if isinstance(x, numbers.Real):
            return on_real(x)
        raise TypeError(f"diffstudy.fn.{name} cannot take a {cls.__name__}")

    def rule(x: Any, out: Any) -> Any:
        _check(derivative_domain, name, x)
        return partial(x, out)

    evaluate.__name__ = evaluate.__qualname__ = name
    rule.__name__ = rule.__qualname__ = f"d_{name}"
    primitive = Primitive(name, name, evaluate, (partial if derivative_domain is None else rule,), ufunc)
    return primitive


def _sech_squared(x: Any, out: Any) -> Any:
    """d tanh(x)/dx = sech²x, without the cancellation of 1 − tanh²x once |x| is large.

    For |x| < ½ the textbook 1 − out² loses nothing (out² < 0.22). Beyond, tanh x rounds towards
    ±1 and 1 − out² towards 0 (at x = 20 it gives 0 for 1.7e-17), so the rule takes 1/cosh²x,
    and past |x| = 20 4e/(1 + e)² with e = exp(−2|x|): the derivative of 1/cosh² divides by
    cosh⁴, which overflows from |x| = 178 on and would make a second derivative 0.
    Symbolically the textbook form is exact.
    """
    if not is_concrete(x):
        return 1 - out * out
    size = np.max(np.abs(_plain_values(x)))
    if size < 0.5:
        return 1 - out * out
    if size <= 20:
        c = cosh(x)
        return 1 / (c * c)
    sign = np.where(np.asarray(_plain_values(x)) < 0, -1, 1) if _is_array_like(x) else (-1 if x < 0 else 1)
    e = exp(-2 * (sign * x))
    return 4 * e / ((1 + e) * (1 + e))


def _one_minus_square(x: Any) -> Any:
    """1 − x², the radicand of d asin(x)/dx, written so that neither it nor its own derivative cancels.

    Near ±1, 1 − x·x loses the digits of 1 − |x| (at 1 − 2⁻⁵³ it is wrong by half), so the rule
    takes (1 − x)(1 + x), exact in its factors. Near 0 that product's derivative, (1 − x) − (1 + x),
    cancels instead (a second derivative at 1e-12 keeps 4 digits), so for |x| < ½ the rule takes
    1 − x·x, whose derivative −2x loses nothing. Symbolically the product form is exact.
    """
    if not is_concrete(x):
        return (1 - x) * (1 + x)
    small = np.abs(np.asarray(_plain_values(x), dtype=float)) < 0.5
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
    big = np.abs(np.asarray(_plain_values(x), dtype=float)) > 1
    if not np.any(big):
        return 1 / (1 + x * x)
    if np.all(big):
        r = 1 / x
        return r * r / (1 + r * r)
    r, small = 1 / np.where(big, x, 1), np.where(big, 0, x)  # an array of both kinds: each its own
    return np.where(big, r * r / (1 + r * r), 1 / (1 + small * small))


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


# One line per function: its value on floats, on sympy, its derivative (given x and out), its ufunc.
# fmt: off
SIN = _elementary("sin", math.sin, sympy.sin, lambda x, out: cos(x), np.sin, exact=_exact(0, 0))
COS = _elementary("cos", math.cos, sympy.cos, lambda x, out: -sin(x), np.cos, exact=_exact(0, 1))
TAN = _elementary("tan", math.tan, sympy.tan, lambda x, out: 1 + out * out, np.tan, exact=_exact(0, 0))
EXP = _elementary("exp", math.exp, sympy.exp, lambda x, out: out, np.exp, exact=_exact(0, 1))
LOG = _elementary("log", math.log, sympy.log, lambda x, out: 1 / x, np.log, exact=_exact(1, 0), domain=POSITIVE)
SQRT = _elementary("sqrt", math.sqrt, sympy.sqrt, lambda x, out: 1 / (2 * out), np.sqrt, exact=_exact_sqrt,
                   domain=NONNEGATIVE, derivative_domain=NONZERO)
TANH = _elementary("tanh", math.tanh, sympy.tanh, lambda x, out: _sech_squared(x, out), np.tanh, exact=_exact(0, 0))
SINH = _elementary("sinh", math.sinh, sympy.sinh, lambda x, out: cosh(x), np.sinh, exact=_exact(0, 0))
COSH = _elementary("cosh", math.cosh, sympy.cosh, lambda x, out: sinh(x), np.cosh, exact=_exact(0, 1))
ASIN = _elementary("asin", math.asin, sympy.asin, lambda x, out: 1 / sqrt(_one_minus_square(x)), np.arcsin,
                   exact=_exact(0, 0), domain=CLOSED_UNIT, derivative_domain=OPEN_UNIT)
ACOS = _elementary("acos", math.acos, sympy.acos, lambda x, out: -1 / sqrt(_one_minus_square(x)), np.arccos,
                   exact=_exact(1, 0), domain=CLOSED_UNIT, derivative_domain=OPEN_UNIT)
ATAN = _elementary("atan", math.atan, sympy.atan, lambda x, out: _atan_rule(x), np.arctan, exact=_exact(0, 0))
ABS = _elementary("abs", abs, RealAbs, lambda x, out: _sign(x), np.absolute, precise=abs)
# The derivatives of the kinks, as sympy writes them; flat wherever they are defined.
SIGN = _elementary("sign", _step(-1, 0, 1), sympy.sign, lambda x, out: ZERO, np.sign, precise=_step(-1, 0, 1))
HEAVISIDE = _elementary("heaviside", _step(0, HALF, 1), sympy.Heaviside, lambda x, out: ZERO,
                        lambda x: np.heaviside(x, 0.5), precise=_step(0, HALF, 1))
# What sympy's second derivative of a kink holds: zero wherever it is a number.
DIRAC = _elementary("dirac", _impulse, sympy.DiracDelta, lambda x, out: ZERO, np.vectorize(_impulse, otypes=[float]),
                    precise=_impulse)
# fmt: on

ELEMENTARY = (SIN, COS, TAN, EXP, LOG, SQRT, TANH, SINH, COSH, ASIN, ACOS, ATAN)

sin = SIN.evaluate
cos = COS.evaluate
tan = TAN.evaluate
exp = EXP.evaluate
log = LOG.evaluate
sqrt = SQRT.evaluate
tanh = TANH.evaluate
sinh = SINH.evaluate
cosh = COSH.evaluate
asin = ASIN.evaluate
acos = ACOS.evaluate
atan = ATAN.evaluate
absolute = ABS.evaluate

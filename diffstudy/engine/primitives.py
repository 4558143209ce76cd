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

import sympy

from ..errors import DomainError


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
        return "1" if self.sign > 0 else "-1"


ONE = Unit(1)
MINUS_ONE = Unit(-1)


def accumulate(total: Any, partial: Any, tangent: Any) -> Any:
    """Return ``total + partial * tangent``; ``total`` None means nothing is accumulated yet.

    Forward mode uses it to build a tangent, reverse mode to add into an adjoint.
    """
    if partial is ONE:
        return tangent if total is None else total + tangent
    if partial is MINUS_ONE:
        return -tangent if total is None else total - tangent
    term = partial * tangent
    return term if total is None else total + term


@dataclass(frozen=True, eq=False)
class Primitive:
    """One primitive: how to evaluate it on any number type and one partial rule per argument.

    Attributes:
        name: the key its operations are counted under ("add", "sin").
        symbol: how a computational graph labels it ("+", "sin").
        evaluate: the value, for every number type diffstudy knows.
        partials: ``rule(*args, out)`` for each argument, or ``ONE`` / ``MINUS_ONE``.
    """

    name: str
    symbol: str
    evaluate: Callable[..., Any]
    partials: tuple[Callable[..., Any], ...]

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def is_concrete(x: Any) -> bool:
    """True for a number with a value now; False for a sympy expression with free symbols."""
    return not isinstance(x, sympy.Basic) or x.is_number


def _holds(condition: Callable[[Any], Any], x: Any) -> bool:
    """Whether ``condition(x)`` is true; a symbolic argument is given the benefit of the doubt."""
    if not is_concrete(x):
        return True
    return bool(condition(x))


# ---------------------------------------------------------------- arithmetic on any number type
# Plain Python operators already dispatch on every number type; pow and div are checked so that
# a negative base to a fractional power (complex in Python) or sympy's 1/0 = zoo never slips
# through as a number.


def _undefined(result: Any) -> bool:
    """True for a sympy number that is infinite, undefined or not real (zoo, nan, I)."""
    return isinstance(result, sympy.Basic) and result.is_number and not (result.is_finite and result.is_extended_real)


def divide(x: Any, y: Any) -> Any:
    """``x / y``, raising DomainError on a zero divisor for every number type (sympy gives zoo)."""
    try:
        result = x / y
    except ZeroDivisionError:
        raise DomainError(f"division by zero ({x} / 0)") from None
    if _undefined(result):
        raise DomainError(f"division by zero ({x} / 0)")
    return result


def power(x: Any, y: Any) -> Any:
    """``x ** y`` that refuses 0 to a negative power and a negative base to a non-integer power."""
    try:
        result = x**y
    except ZeroDivisionError:
        raise DomainError(f"zero to a negative power (0 ** {y})") from None
    if isinstance(result, complex) or _undefined(result):
        if x == 0:
            raise DomainError(f"zero to a negative power (0 ** {y})")
        raise DomainError(f"negative base to a non-integer power ({x} ** {y})")
    return result


def _second(x: Any, y: Any, out: Any) -> Any:
    return y


def _first(x: Any, y: Any, out: Any) -> Any:
    return x


def _div_by_numerator(x: Any, y: Any, out: Any) -> Any:
    # Fraction, not 1: dividing by a constant integer (x / 2) must keep the derivative exact.
    return Fraction(1) / y


def _div_by_denominator(x: Any, y: Any, out: Any) -> Any:
    return -out / y


def _pow_by_base(x: Any, y: Any, out: Any) -> Any:
    return y * power(x, y - 1)


def _pow_by_exponent(x: Any, y: Any, out: Any) -> Any:
    if not _holds(lambda v: v > 0, x):
        raise DomainError(f"derivative of x ** y with respect to y needs x > 0 (x = {x})")
    return out * log(x)


ADD = Primitive("add", "+", operator.add, (ONE, ONE))
SUB = Primitive("sub", "-", operator.sub, (ONE, MINUS_ONE))
MUL = Primitive("mul", "*", operator.mul, (_second, _first))
DIV = Primitive("div", "/", divide, (_div_by_numerator, _div_by_denominator))
POW = Primitive("pow", "**", power, (_pow_by_base, _pow_by_exponent))
NEG = Primitive("neg", "-", operator.neg, (MINUS_ONE,))

# The Python operators each primitive answers to: (primitive, method, reflected method).
BINARY_OPERATORS = (
    (ADD, "__add__", "__radd__"),
    (SUB, "__sub__", "__rsub__"),
    (MUL, "__mul__", "__rmul__"),
    (DIV, "__truediv__", "__rtruediv__"),
    (POW, "__pow__", "__rpow__"),
)


# ---------------------------------------------------------------- elementary functions


@dataclass(frozen=True)
class Domain:
    """Where a function (or its derivative) is defined, and what to say outside it."""

    holds: Callable[[Any], Any]
    message: str

    def describe(self, name: str, x: Any) -> str:
        """The one-line message for ``name(x)`` outside this domain."""
        sign = "zero" if x == 0 else "a negative number"
        return self.message.format(name=name, x=x, sign=sign)


POSITIVE = Domain(lambda x: x > 0, "{name} of {sign} ({x})")
NONNEGATIVE = Domain(lambda x: x >= 0, "{name} of a negative number ({x})")
CLOSED_UNIT = Domain(lambda x: -1 <= x <= 1, "{name} of a number outside [-1, 1] ({x})")
OPEN_UNIT = Domain(lambda x: -1 < x < 1, "derivative of {name} at {x} (needs -1 < x < 1)")
NONZERO = Domain(lambda x: x != 0, "derivative of {name} at 0")


def _check(domain: Domain | None, name: str, x: Any) -> None:
    if domain is not None and not _holds(domain.holds, x):
        raise DomainError(domain.describe(name, x))


def _exact(point: int, value: int) -> Callable[[Fraction], Fraction | None]:
    """A function's exact rational value at one rational point (sin 0 = 0, exp 0 = 1)."""

    def at(x: Fraction) -> Fraction | None:
        return Fraction(value) if x == point else None

    return at


def _exact_sqrt(x: Fraction) -> Fraction | None:
    """sqrt of a rational whose numerator and denominator are perfect squares, else None."""
    p, q = math.isqrt(x.numerator), math.isqrt(x.denominator)
    return Fraction(p, q) if p * p == x.numerator and q * q == x.denominator else None


def _elementary(
    name: str,
    real: Callable[[float], float],
    symbolic: Callable[[Any], Any],
    partial: Callable[[Any, Any], Any],
    *,
    exact: Callable[[Fraction], Fraction | None] | None = None,
    domain: Domain | None = None,
    derivative_domain: Domain | None = None,
) -> Primitive:
    """Build a one-argument primitive that dispatches on its argument's type.

    Plain numbers go to ``real`` (exact for a Fraction where ``exact`` knows the value), sympy
    expressions to ``symbolic``, and diffstudy's own number types to their
    ``__diffstudy_apply__``. The domain is checked for every type, so a log of a negative
    number fails the same way in every engine.
    """

    def on_real(x: Any) -> Any:
        _check(domain, name, x)
        if exact is not None and x.__class__ is Fraction:
            value = exact(x)
            if value is not None:
                return value
        try:
            return real(x)
        except OverflowError:
            raise DomainError(f"{name}({x}) overflows a float") from None

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
    primitive = Primitive(name, name, evaluate, (partial if derivative_domain is None else rule,))
    return primitive


# One line per function: its value on floats, on sympy, and its derivative (given x and out).
SIN = _elementary("sin", math.sin, sympy.sin, lambda x, out: cos(x), exact=_exact(0, 0))
COS = _elementary("cos", math.cos, sympy.cos, lambda x, out: -sin(x), exact=_exact(0, 1))
TAN = _elementary("tan", math.tan, sympy.tan, lambda x, out: 1 + out * out, exact=_exact(0, 0))
EXP = _elementary("exp", math.exp, sympy.exp, lambda x, out: out, exact=_exact(0, 1))
LOG = _elementary("log", math.log, sympy.log, lambda x, out: 1 / x, exact=_exact(1, 0), domain=POSITIVE)
SQRT = _elementary(
    "sqrt",
    math.sqrt,
    sympy.sqrt,
    lambda x, out: 1 / (2 * out),
    exact=_exact_sqrt,
    domain=NONNEGATIVE,
    derivative_domain=NONZERO,
)
TANH = _elementary("tanh", math.tanh, sympy.tanh, lambda x, out: 1 - out * out, exact=_exact(0, 0))
SINH = _elementary("sinh", math.sinh, sympy.sinh, lambda x, out: cosh(x), exact=_exact(0, 0))
COSH = _elementary("cosh", math.cosh, sympy.cosh, lambda x, out: sinh(x), exact=_exact(0, 1))
ASIN = _elementary(
    "asin",
    math.asin,
    sympy.asin,
    lambda x, out: 1 / sqrt(1 - x * x),
    exact=_exact(0, 0),
    domain=CLOSED_UNIT,
    derivative_domain=OPEN_UNIT,
)
ACOS = _elementary(
    "acos",
    math.acos,
    sympy.acos,
    lambda x, out: -1 / sqrt(1 - x * x),
    exact=_exact(1, 0),
    domain=CLOSED_UNIT,
    derivative_domain=OPEN_UNIT,
)
ATAN = _elementary("atan", math.atan, sympy.atan, lambda x, out: 1 / (1 + x * x), exact=_exact(0, 0))

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

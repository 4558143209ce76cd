"""Expressions as Python source: a number type whose every operation writes code instead of computing.

:class:`Code` is how the generated method (:mod:`.generate`) writes a primitive's local partial
as source without a second copy of the rule: the registry's own rule is called on ``Code``
arguments, and what it does is written down (``cos(x)``, ``3 * power(x, 2)``). A rule that needs
a value to decide (the stable form of tanh' beyond |x| = ½ looks at |x|) cannot be written that
way; it raises :class:`NeedsValue`, and the generated code calls the rule itself.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from typing import Any

import numpy as np

from .active import Active, install_operators
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
        return f"Fraction({x.numerator}, {x.denominator})"
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


install_operators(Code)


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

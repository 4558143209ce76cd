"""Cases: plain Python functions marked with ``@case(at={...})``, and loading them from files.

A case's positional parameters are its inputs (a ``*args`` parameter takes the remaining names
of ``at``, in order); ``at`` gives the point. An input is a number or an array (a nested list or
a numpy array, of any shape). Integers in ``at`` become Fractions, and an array of rationals an
object array of Fractions, so a case at an integer or rational point is computed exactly.

A case defined wrongly does not stop the file it is in: it is kept with a ``problem`` that says
what is wrong, and the loader (:mod:`.loading`) reports it beside the cases that are fine.
"""

from __future__ import annotations

import inspect
import numbers
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import Any

import numpy as np

from ..engine.active import Active
from ..engine.ndarrays import exact_or_float
from ..errors import CaseError


@dataclass
class Case:
    """A function to differentiate, its inputs, and the point to differentiate it at."""

    name: str
    function: Callable[..., Any]
    inputs: tuple[str, ...]
    point: tuple[Any, ...]
    file: str | None = None
    line: int | None = None
    description: str = ""
    problem: str | None = field(default=None)

    @property
    def where(self) -> str:
        """``file:line`` of the case's definition, for messages."""
        return f"{display_path(self.file)}:{self.line}" if self.file else self.name

    @property
    def at(self) -> dict[str, Any]:
        """The point as input name → value."""
        return dict(zip(self.inputs, self.point))

    @property
    def shapes(self) -> tuple[tuple[int, ...], ...]:
        """Each input's shape: () for a number."""
        return tuple(np.shape(v) for v in self.point)

    @property
    def exact(self) -> bool:
        """Whether the point is exact: every input a rational (Fraction), or an array of them."""
        return all(isinstance(v, Fraction) for value in self.point for v in np.ravel(value))


def input_value(value: Any) -> Fraction | float | np.ndarray:
    """A point value as diffstudy computes with it: a number, or an array for a list or an array.

    Raises:
        CaseError: a number that is not finite and real, or a ragged or non-numeric array.
    """
    if isinstance(value, (list, tuple, np.ndarray)):
        try:
            return exact_or_float(value)
        except ValueError as error:
            raise CaseError(str(error)) from None
    return number(value)


def number(value: Any) -> Fraction | float:
    """A number as diffstudy computes with it: exact Fraction for rationals, else float.

    Raises:
        CaseError: the value is not a finite real number.
    """
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, Decimal)):
        raise CaseError(f"{value!r} is not a number")
    if isinstance(value, numbers.Rational):
        return Fraction(int(value.numerator), int(value.denominator))
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise CaseError(f"{value!r} is not a finite number")
        return Fraction(value)
    result = float(value)
    if result != result or result in (float("inf"), float("-inf")):
        raise CaseError(f"{value!r} is not a finite number")
    return result


def input_names(function: Callable[..., Any], at: Mapping[str, Any]) -> tuple[str, ...]:
    """The inputs of ``function``: its positional parameters, a ``*args`` taking the rest of ``at``."""
    names: list[str] = []
    takes_rest = False
    for parameter in inspect.signature(function).parameters.values():
        if parameter.kind is parameter.VAR_POSITIONAL:
            takes_rest = True
        elif parameter.kind in (parameter.POSITIONAL_ONLY, parameter.POSITIONAL_OR_KEYWORD) and (
            parameter.default is parameter.empty or parameter.name in at
        ):
            names.append(parameter.name)
    if takes_rest:
        named = set(names)
        names.extend(name for name in at if name not in named)
    return tuple(names)


def resolve_point(
    name: str, function: Callable[..., Any], at: Mapping[str, Any]
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """Check ``at`` against the inputs of ``function``: (inputs, point), or CaseError naming the case."""
    if not isinstance(at, Mapping):
        raise CaseError(f"case {name!r}: `at` must be a dict of input name → number, not {type(at).__name__}")
    inputs = input_names(function, at)
    signature = f"{name}({', '.join(inputs)})"
    if not inputs:
        raise CaseError(f"case {name!r}: no inputs to differentiate by")
    known = set(inputs)
    missing = [n for n in inputs if n not in at]
    extra = [n for n in at if n not in known]
    problems = [f"names {', '.join(map(str, extra))}, not an input of {signature}"] if extra else []
    if missing:  # with a name it does not know too: most likely a misspelling, so both are said
        problems.append(f"misses input {', '.join(missing)}" + ("" if extra else f" of {signature}"))
    if problems:
        raise CaseError(f"case {name!r}: `at` {', and '.join(problems)}")
    point = []
    for n in inputs:
        if isinstance(at[n], Active):
            raise CaseError(
                f"case {name!r}: input {n} is a {at[n].kind} of a differentiation around this call: a case is "
                "measured at plain numbers; to nest derivatives, use the function API "
                "(diffstudy.grad(diffstudy.grad(f)), diffstudy.hessian)"
            )
        try:
            point.append(input_value(at[n]))
        except CaseError as error:
            raise CaseError(f"case {name!r}: input {n}: {error}") from None
    return inputs, tuple(point)


def make_case(function: Callable[..., Any], at: Mapping[str, Any], name: str | None = None) -> Case:
    """A :class:`Case` for ``function`` at ``at``; a wrong ``at`` is kept as the case's problem."""
    name = name or function.__name__
    code = getattr(inspect.unwrap(function), "__code__", None)  # a family's program: the user's code
    file = code.co_filename if code else None
    line = code.co_firstlineno if code else None
    description = inspect.getdoc(function) or ""
    try:
        inputs, point = resolve_point(name, function, at)
    except CaseError as error:
        return Case(name, function, (), (), file, line, description, problem=str(error))
    return Case(name, function, inputs, point, file, line, description)


def case(at: Mapping[str, Any], *, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a case to differentiate at the point ``at`` (input name → number or array).

    The function stays an ordinary function; the case rides on it as ``__diffstudy_case__``.
    """

    if callable(at) and not isinstance(at, Mapping):  # ``@case`` written bare: the function came as ``at``
        raise CaseError(f"@case on {getattr(at, '__name__', 'a function')} needs its point, e.g. @case(at={{'x': 2}})")

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__diffstudy_case__ = make_case(function, at, name)  # type: ignore[attr-defined]
        return function

    return mark


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it lies below it, else as it is."""
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative

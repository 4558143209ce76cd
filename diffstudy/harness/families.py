"""Families: programs indexed by a size, which the studies sweep (``swell``, ``cost``).

The study's own families live in :mod:`diffstudy.studies.programs`. A user writes one in a case
file by marking a function with ``@family``: one keyword names the size parameter and its
values, ``at`` gives the point (or, as a function of the size, the point of each size)::

    @family(k=range(1, 30), at={"x": 0.3})
    def logistic(x, k):
        for _ in range(k - 1):
            x = 4 * x * (1 - x)
        return x

The size is passed by keyword; the other parameters are the inputs, as in a case.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import CaseError
from .cases import Case, display_path, make_case
from .messages import describe

if TYPE_CHECKING:  # pandas only for a signature: importing diffstudy does not load it
    import pandas as pd

Program = tuple[Callable[..., Any], list[str], list[Any]]


@dataclass(frozen=True)
class Family:
    """Programs indexed by a size: how to build the one of each size, and which sizes to try.

    ``problem`` says what is wrong with a family a user defined wrongly (the loader reports it).
    """

    name: str
    description: str
    build: Callable[[int], Program]
    sizes: Sequence[int]
    file: str | None = None
    problem: str | None = None
    line: int | None = None
    parameter: str | None = None  # the size's name in a user's family (``n``); the study's own letter if None
    # The largest size swept unless a larger one is asked for: past it the trend only repeats, at
    # far greater cost (sympy's product rule over k factors). None: every size, until the budget.
    default_largest: int | None = None

    def sizes_up_to(self, largest: int | None) -> list[int]:
        """The sizes a sweep tries: up to ``largest``, or when it is None up to ``default_largest``."""
        cap = largest if largest is not None else self.default_largest
        return [size for size in self.sizes if cap is None or size <= cap]

    def size_letter(self, letter: str) -> str:
        """What the family calls its size: the user's name for it, or the study's own ``letter``."""
        return self.parameter or letter

    def rows_named(self, rows: pd.DataFrame, letter: str) -> pd.DataFrame:
        """A study's rows with its size column ``letter`` named as the family names its size."""
        return rows.rename(columns={letter: self.parameter}) if self.parameter else rows

    @property
    def where(self) -> str:
        """``file:line`` of a user's family, for messages; a built-in family's name."""
        return f"{display_path(self.file)}:{self.line}" if self.file else self.name

    @property
    def title(self) -> str:
        """``name: description``, or the name alone when there is no description."""
        return f"{self.name}: {self.description}" if self.description else self.name

    def case(self, size: int) -> Case:
        """The program of this size as a case, named ``name(size)``.

        Raises:
            CaseError: the point of this size does not fit the program (an input missing or
                extra, a value that is not a finite number).
        """
        case = as_case(self.build(size), f"{self.name}({size})")
        if case.problem:
            raise CaseError(case.problem)
        return case

    def failure(self, error: BaseException) -> str:
        """A one-line message for ``error``, raised while this family was measured, with the
        line of the family's file where it arose."""
        return describe(error, Case(self.name, self.build, (), (), self.file, self.line))


def shared_size_letter(families: Iterable[Family], letter: str) -> str:
    """The size's name in a table of several families: the one they all use (the study's own
    ``letter`` unless the user named it), else ``size``."""
    letters = {family.size_letter(letter) for family in families}
    return letters.pop() if len(letters) == 1 else "size"


def as_case(program: Program, name: str) -> Case:
    """The program as a case named ``name``, at its own point."""
    function, names, point = program
    return make_case(function, dict(zip(names, point)), name=name)


def _sizes(name: str, parameter: str, values: Any) -> list[int]:
    try:
        sizes = list(values) if isinstance(values, Iterable) else [values]
    except TypeError:
        sizes = [values]
    if not sizes or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in sizes):
        raise CaseError(f"family {name!r}: {parameter}= must give sizes, whole numbers ≥ 1, such as range(1, 30)")
    return sorted(set(sizes))


def _at_size(function: Callable[..., Any], parameter: str, size: int) -> Callable[..., Any]:
    """``function`` with its size parameter fixed: a function of the inputs alone."""
    signature = inspect.signature(function)

    def program(*inputs: Any) -> Any:
        return function(*inputs, **{parameter: size})

    program.__wrapped__ = function  # type: ignore[attr-defined]  # file and line of the user's code
    program.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[p for p in signature.parameters.values() if p.name != parameter]
    )
    program.__name__ = function.__name__
    return program


def make_family(
    function: Callable[..., Any],
    at: Mapping[str, Any] | Callable[[int], Mapping[str, Any]] | None,
    sizes: Mapping[str, Any],
) -> Family:
    """A :class:`Family` of ``function``, its size parameter and values given by ``sizes``."""
    name = function.__name__
    code = getattr(function, "__code__", None)
    file, line = (code.co_filename, code.co_firstlineno) if code else (None, None)
    description = inspect.getdoc(function) or ""
    try:
        if len(sizes) != 1:
            raise CaseError(f"family {name!r}: give one size parameter and its values, such as k=range(1, 30)")
        ((parameter, values),) = sizes.items()
        if parameter not in inspect.signature(function).parameters:
            raise CaseError(f"family {name!r}: {parameter} is not a parameter of {name}")
        if at is None:
            raise CaseError(f"family {name!r}: needs at=, the point (or a function of {parameter} giving it)")
        chosen = _sizes(name, parameter, values)
    except CaseError as error:
        return Family(name, description, lambda size: (function, [], []), [], file, str(error), line)

    def build(size: int) -> Program:
        point = at(size) if callable(at) else at
        if not isinstance(point, Mapping):
            raise CaseError(f"family {name!r}: at({size}) must give a dict of input name → value")
        return _at_size(function, parameter, size), list(point), list(point.values())

    return Family(name, description, build, chosen, file, line=line, parameter=parameter)


def family(
    at: Mapping[str, Any] | Callable[[int], Mapping[str, Any]] | None = None, **sizes: Any
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a family for ``swell --cases`` and ``cost --cases``: one keyword
    names its size parameter and the sizes (``k=range(1, 30)``), ``at`` the point, a dict or a
    function of the size. The function stays an ordinary function."""

    if callable(at) and not sizes:  # ``@family`` written bare: the function itself came as ``at``
        raise CaseError(
            f"@family on {getattr(at, '__name__', 'a function')} needs its sizes and point, "
            "e.g. @family(k=range(1, 20), at={'x': 0.5})"
        )

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__diffstudy_family__ = make_family(function, at, sizes)  # type: ignore[attr-defined]
        return function

    return mark

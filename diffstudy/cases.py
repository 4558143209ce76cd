"""Cases: plain Python functions marked with ``@case(at={...})``, and loading them from files.

A case's positional parameters are its inputs (a ``*args`` parameter takes the remaining names
of ``at``, in order); ``at`` gives the point. Integers in ``at`` become Fractions, so a case at
an integer or rational point is computed exactly.

A case defined wrongly does not stop the file it is in: it is kept with a ``problem`` that says
what is wrong, and the loader reports it beside the cases that are fine.
"""

from __future__ import annotations

import importlib.util
import inspect
import numbers
import os
import sys
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from .errors import CaseError


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


def number(value: Any) -> Fraction | float:
    """A point value as diffstudy computes with it: exact Fraction for rationals, else float.

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
        names.extend(name for name in at if name not in names)
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
    missing = [n for n in inputs if n not in at]
    if missing:
        raise CaseError(f"case {name!r}: `at` misses input {', '.join(missing)} of {signature}")
    extra = [n for n in at if n not in inputs]
    if extra:
        raise CaseError(f"case {name!r}: `at` names {', '.join(map(str, extra))}, not an input of {signature}")
    point = []
    for n in inputs:
        try:
            point.append(number(at[n]))
        except CaseError as error:
            raise CaseError(f"case {name!r}: input {n} = {error}") from None
    return inputs, tuple(point)


def make_case(function: Callable[..., Any], at: Mapping[str, Any], name: str | None = None) -> Case:
    """A :class:`Case` for ``function`` at ``at``; a wrong ``at`` is kept as the case's problem."""
    name = name or function.__name__
    code = getattr(function, "__code__", None)
    file = code.co_filename if code else None
    line = code.co_firstlineno if code else None
    description = inspect.getdoc(function) or ""
    try:
        inputs, point = resolve_point(name, function, at)
    except CaseError as error:
        return Case(name, function, (), (), file, line, description, problem=str(error))
    return Case(name, function, inputs, point, file, line, description)


def case(at: Mapping[str, Any], *, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Mark a function as a case to differentiate at the point ``at`` (input name → number).

    The function stays an ordinary function; the case rides on it as ``__diffstudy_case__``.
    """

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        function.__diffstudy_case__ = make_case(function, at, name)  # type: ignore[attr-defined]
        return function

    return mark


# ---------------------------------------------------------------- loading case files


def display_path(file: str) -> str:
    """``file`` relative to the working directory when it lies below it, else as it is."""
    relative = os.path.relpath(file)
    return file if relative.startswith("..") else relative


def builtin_cases_dir() -> Path:
    """Where the built-in cases live: the installed ``diffstudy.builtin_cases``, or ``cases/``."""
    spec = importlib.util.find_spec("diffstudy.builtin_cases")
    if spec is not None and spec.submodule_search_locations:
        return Path(next(iter(spec.submodule_search_locations)))
    return Path(__file__).resolve().parent.parent / "cases"


def _line_in(error: BaseException, path: str) -> int | None:
    """The last line of ``path`` that the traceback of ``error`` passed through."""
    lines = [frame.lineno for frame in traceback.extract_tb(error.__traceback__) if frame.filename == path]
    return lines[-1] if lines else None


def _ignore(error: BaseException) -> None:
    pass


def load_file(path: Path, on_error: Callable[[BaseException], None] = _ignore) -> tuple[list[Case], list[str]]:
    """Import one case file: its cases, and one-line problems (``file:line: what``).

    ``on_error`` sees the exception of a file that fails to load (to print its traceback).
    """
    filename = os.path.abspath(path)
    module_name = f"diffstudy_case_file_{abs(hash(filename))}"
    spec = importlib.util.spec_from_file_location(module_name, filename)
    if spec is None or spec.loader is None:
        return [], [f"{display_path(filename)}: cannot be loaded as a Python file"]
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as error:
        del sys.modules[module_name]
        on_error(error)
        return [], [f"{display_path(error.filename or filename)}:{error.lineno}: syntax error: {error.msg}"]
    except (Exception, SystemExit) as error:
        del sys.modules[module_name]
        on_error(error)
        line = _line_in(error, filename)
        where = f"{display_path(filename)}:{line}" if line else display_path(filename)
        return [], [f"{where}: {type(error).__name__}: {error}"]
    cases = [
        obj.__diffstudy_case__
        for obj in vars(module).values()
        if hasattr(obj, "__diffstudy_case__") and obj.__diffstudy_case__.file == filename
    ]
    problems = [f"{c.where}: {c.problem}" for c in cases if c.problem]
    return [c for c in cases if not c.problem], problems


def case_files(path: Path) -> list[Path]:
    """The case files a path names: the file itself, or a folder's ``*.py`` (not ``_*.py``)."""
    if path.is_dir():
        return sorted(p for p in path.glob("*.py") if not p.name.startswith("_"))
    return [path]


def load_cases(
    paths: Iterable[Path], on_error: Callable[[BaseException], None] = _ignore
) -> tuple[list[Case], list[str]]:
    """Load every case under ``paths``; problems are reported, never raised, so the rest load.

    Two cases of one name are a problem too: the second is dropped.
    """
    cases: list[Case] = []
    problems: list[str] = []
    seen: dict[str, Case] = {}
    for path in paths:
        if not path.exists():
            problems.append(f"{path}: no such file or folder")
            continue
        for file in case_files(path):
            found, trouble = load_file(file, on_error)
            problems.extend(trouble)
            for c in found:
                if c.name in seen:
                    problems.append(f"{c.where}: case {c.name!r} is already defined at {seen[c.name].where}")
                    continue
                seen[c.name] = c
                cases.append(c)
    return cases, problems

"""What an eval is to the tool: its module name and its functions, each read, run and written back.

A function's input arrives as JSON; :attr:`Function.read` turns it into the program's arguments
(numpy arrays) before the clock starts, :attr:`Function.run` is what is timed, and
:attr:`Function.write` turns the result back into JSON after. ``derivative`` says whether the
function differentiates (the study divides its time by that of the primal function).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .methods import Method


@dataclass(frozen=True)
class Function:
    """One function of an eval's module."""

    read: Callable[[Any], Any]
    run: Callable[[Any, Method], Any]
    write: Callable[[Any], Any]
    derivative: bool


@dataclass(frozen=True)
class Eval:
    """An eval's module: its name, its functions, and which of them is the primal one."""

    name: str
    functions: dict[str, Function]
    primal: str
    derivatives: tuple[str, ...]


def floats(value: Any) -> np.ndarray:
    """A JSON list (of lists) of numbers as a float array."""
    return np.asarray(value, dtype=float)


def number(value: Any) -> float:
    """A result that is one number, as a JSON number."""
    return float(value)


def listed(value: Any) -> Any:
    """An array result as nested JSON lists of floats."""
    return np.asarray(value, dtype=float).tolist()

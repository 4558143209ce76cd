"""The shape of what a function returns: one output, or several in a tuple or list."""

from __future__ import annotations

from typing import Any


def outputs_of(result: Any) -> tuple[Any, ...]:
    """A function's result as a tuple of outputs: one for a scalar, m for a tuple or list."""
    return tuple(result) if isinstance(result, (tuple, list)) else (result,)

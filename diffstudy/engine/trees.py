"""The shape of what a function takes and returns: numbers and arrays, flattened into entries.

A function returns one output, or several in a tuple or list; an output is a number or an
array. The Jacobian has one row per entry of the outputs and one column per entry of the
inputs, each flattened in numpy's (row-major) order.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def outputs_of(result: Any) -> tuple[Any, ...]:
    """A function's result as a tuple of outputs: one, or m for a tuple or list.

    A plain numpy array (say ``np.array([x * y, x + y])`` of diffstudy's numbers) is as many
    outputs as it has entries.
    """
    if isinstance(result, (tuple, list)):
        return tuple(result)
    if isinstance(result, np.ndarray):
        return tuple(result.flat)
    return (result,)


def is_array(x: Any) -> bool:
    """True for an array of any layer: a plain numpy array or one of diffstudy's array types."""
    return isinstance(x, np.ndarray) or getattr(x, "is_array", False)


def size_of(x: Any) -> int:
    """How many entries ``x`` has: 1 for a number."""
    return int(np.prod(np.shape(x) if not hasattr(x, "shape") else x.shape))


def entries(x: Any) -> list[Any]:
    """The entries of a number (itself) or of an array (flattened, each layer of diffstudy's types stripped)."""
    while getattr(x, "is_array", False):
        x = x.value
    if isinstance(x, np.ndarray):
        return list(x.flat)
    return [x]


def directions(point: list[Any]) -> list[tuple[int, int]]:
    """Every entry of the inputs, as (input, flat index): the columns of the Jacobian."""
    return [(i, j) for i, v in enumerate(point) for j in range(size_of(v))]

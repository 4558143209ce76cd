"""The shape of what a function takes and returns: numbers and arrays, flattened into entries.

A function returns one output, or several in a tuple or list; an output is a number or an
array. The Jacobian has one row per entry of the outputs and one column per entry of the
inputs, each flattened in numpy's (row-major) order.
"""

from __future__ import annotations

import numbers
from fractions import Fraction
from typing import Any

import numpy as np

from .levels import Leveled


def outputs_of(result: Any) -> tuple[Any, ...]:
    """A function's result as a tuple of outputs: one, or m for a tuple or list.

    A plain numpy array (say ``np.array([x * y, x + y])`` of diffstudy's numbers) is as many
    outputs as it has entries.

    Raises:
        TypeError: the result is not a number, an array, or a tuple or list of them.
    """
    if isinstance(result, (tuple, list)):
        outputs = tuple(result)
    elif isinstance(result, np.ndarray):
        outputs = tuple(result.flat)
    else:
        outputs = (result,)
    if not outputs:
        raise TypeError("the function returned no output: a case returns a number, an array, or a tuple of them")
    for out in outputs:
        if isinstance(out, (bool, np.bool_)) or not (
            isinstance(out, (numbers.Number, np.ndarray, Leveled)) or _is_sympy(out)
        ):
            raise TypeError(
                f"the function returned {type(out).__name__} {_short(out)}; "
                "a case returns a number, an array, or a tuple of them"
            )
    return outputs


def _is_sympy(x: Any) -> bool:
    return type(x).__module__.startswith("sympy")


def _short(x: Any) -> str:
    """``x`` as a message shows it: diffstudy's numbers in it by their values (0.25, not
    Dual(Counting(0.25), …)), in about thirty characters."""
    text = repr(_by_values(x))
    return text if len(text) <= 30 else text[:27] + "..."


def _by_values(x: Any) -> Any:
    if isinstance(x, dict):
        return {key: _by_values(item) for key, item in x.items()}
    if isinstance(x, (list, tuple)):
        return type(x)(_by_values(item) for item in x)
    while hasattr(x, "priority") and hasattr(x, "value"):  # one of diffstudy's numbers, layer by layer
        x = x.value
    return x


def is_array(x: Any) -> bool:
    """True for an array of any layer: a plain numpy array or one of diffstudy's array types."""
    return isinstance(x, np.ndarray) or (isinstance(x, Leveled) and x.is_array)


def size_of(x: Any) -> int:
    """How many entries ``x`` has: 1 for a number."""
    return int(np.prod(np.shape(x) if not hasattr(x, "shape") else x.shape))


def entries(x: Any) -> list[Any]:
    """The entries of a number (itself) or of an array, flattened.

    A counting array's layer is stripped (the operations are counted already); an array of an
    outer differentiation (this one nested inside it) gives its entries as numbers of that
    differentiation, so that the outer one still sees what they depend on.
    """
    while isinstance(x, Leveled) and x.is_array:
        if hasattr(x, "scalars"):
            return x.scalars()
        x = x.value
    if isinstance(x, np.ndarray):
        return list(x.flat)
    return [x]


_NUMBERS = frozenset({float, int, Fraction})


def flat_entries(values: list[Any]) -> list[Any]:
    """The entries of several numbers and arrays, one list (numbers alone, the common case, quickly)."""
    if _NUMBERS.issuperset(map(type, values)) or not any(
        isinstance(v, np.ndarray) or (isinstance(v, Leveled) and v.is_array) for v in values
    ):
        return list(values)
    return [e for v in values for e in entries(v)]


def directions(point: list[Any]) -> list[tuple[int, int]]:
    """Every entry of the inputs, as (input, flat index): the columns of the Jacobian."""
    return [(i, j) for i, v in enumerate(point) for j in range(size_of(v))]


# ---------------------------------------------------------------- pytrees: nested arguments

Structure = tuple


def as_leaf(v: Any) -> Any:
    """A leaf of an argument as the engines take it: a float stays a float, an integer becomes an
    exact Fraction, an array a float array or (for integers and Fractions) an object array of Fractions.

    Raises:
        TypeError: the leaf is not a real number or an array of them.
    """
    if v.__class__ is float:
        return v
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{v!r} is a boolean, not a number")
    if isinstance(v, (np.ndarray, Leveled)):
        return _array_leaf(v) if isinstance(v, np.ndarray) else v
    if isinstance(v, (float, np.floating)):
        return float(v)
    if isinstance(v, numbers.Rational):
        return Fraction(int(v.numerator), int(v.denominator))
    if isinstance(v, numbers.Real):
        return float(v)
    raise TypeError(f"{type(v).__name__} is not a number, an array, or a list, tuple or dict of them")


def _array_leaf(v: np.ndarray) -> np.ndarray:
    if v.dtype.kind == "f":
        return v.astype(float, copy=False)
    if v.dtype.kind in "iu" or v.dtype == object:
        exact = np.empty(v.size, dtype=object)
        for i, x in enumerate(v.flat):  # one by one: a slice assignment would take a 0-d array apart
            exact[i] = as_leaf(x)
        return exact.reshape(v.shape)
    raise TypeError(f"an array of dtype {v.dtype} is not an array of real numbers")


SCALAR_LEAF: Structure = ("leaf", ())
_FLOATS = frozenset({float, np.float64})


def flatten(tree: Any, as_given: bool = False) -> tuple[list[Any], Structure]:
    """The leaves (numbers and arrays) of a nest of lists, tuples and dicts, and its structure.

    A dict's leaves come in the order of its sorted keys, as in JAX. The structure records each
    leaf's shape, so two trees of the same structure have leaves of the same shapes; a list or
    tuple of numbers records only how many. The leaves are as the engines take them
    (:func:`as_leaf`), or with ``as_given`` as the tree holds them (to read their dtypes).
    """
    if isinstance(tree, (list, tuple)):
        kind = "list" if isinstance(tree, list) else "tuple"
        if _FLOATS.issuperset(map(type, tree)):  # the common case, a list of floats, made quick
            return list(map(float, tree)), (kind, len(tree))
        parts = [flatten(item, as_given) for item in tree]
        children = tuple(s for _, s in parts)
        if all(child == SCALAR_LEAF for child in children):  # a number of any type: ("leaf", ())
            return [leaf for leaves, _ in parts for leaf in leaves], (kind, len(children))
        return [leaf for leaves, _ in parts for leaf in leaves], (kind, children)
    if isinstance(tree, dict):
        keys = sorted(tree)
        parts = [flatten(tree[k], as_given) for k in keys]
        return [leaf for leaves, _ in parts for leaf in leaves], ("dict", tuple(keys), tuple(s for _, s in parts))
    if tree is None:
        return [], ("none",)
    leaf = tree if as_given else as_leaf(tree)
    if leaf.__class__ is float or leaf.__class__ is Fraction:
        return [leaf], SCALAR_LEAF
    return [leaf], ("leaf", tuple(np.shape(leaf) if not hasattr(leaf, "shape") else leaf.shape))


def place_of(structure: Structure, leaf: int, entry: tuple[int, ...] = ()) -> str:
    """Where the ``leaf``-th leaf of a tree of ``structure`` is, as an index would reach it
    (``[1]``, ``['w'][0]``), and within an array leaf its ``entry`` (``['w'][0, 2]``); "" for the tree itself."""
    steps: list[str] = []
    start = 0
    while structure[0] not in ("leaf", "none"):
        kind, children = structure[0], structure[-1]
        keys = structure[1] if kind == "dict" else range(len(children) if not isinstance(children, int) else children)
        if isinstance(children, int):  # that many numbers
            steps.append(f"[{leaf - start}]")
            break
        for key, child in zip(keys, children):
            size = _leaves_in(child)
            if leaf < start + size:
                steps.append(f"[{key!r}]")
                structure = child
                break
            start += size
    if entry:
        steps.append(f"[{', '.join(map(str, entry))}]")
    return "".join(steps)


def _leaves_in(structure: Structure) -> int:
    """How many leaves a tree of ``structure`` has."""
    count, pending = 0, [structure]
    while pending:
        kind, *rest = pending.pop()
        if kind == "leaf":
            count += 1
        elif kind != "none":
            children = rest[-1]
            if isinstance(children, int):
                count += children
            else:
                pending.extend(children)
    return count


def unflatten(structure: Structure, leaves: list[Any]) -> Any:
    """The nest of ``structure`` with ``leaves`` put back in order (the inverse of :func:`flatten`)."""
    rebuilt, used = _rebuild(structure, leaves, 0)
    if used != len(leaves):
        raise ValueError(f"{len(leaves)} leaves for a structure of {used}")
    return rebuilt


def _rebuild(structure: Structure, leaves: list[Any], start: int) -> tuple[Any, int]:
    kind = structure[0]
    if kind == "leaf":
        return leaves[start], start + 1
    if kind == "none":
        return None, start
    children = structure[-1]
    if isinstance(children, int):  # that many numbers
        items = leaves[start : start + children]
        start += children
    else:
        items = []
        for child in children:
            item, start = _rebuild(child, leaves, start)
            items.append(item)
    if kind == "dict":
        return dict(zip(structure[1], items)), start
    return (list(items) if kind == "list" else tuple(items)), start

"""How a GradBench eval is differentiated: the four methods, each asked for the same few things.

An eval is an ordinary numpy program; what it needs of a method is a gradient, a Jacobian, a
Hessian-vector product (k-means' Newton step), or the Jacobian of a batch of independent blocks
(bundle adjustment: one small block per observation). Each method answers these its own way:

* ``reverse``: the tape (:func:`diffstudy.grad`, ``jacrev``, ``vjp``), forward over reverse for a
  Hessian-vector product;
* ``forward``: dual numbers, one pass per input entry (``jacfwd``, ``jvp``);
* ``generated``: the gradient written out as Python and compiled once per input structure
  (``ds.jit(ds.grad(f))``), kept from one run to the next as JAX keeps its ``jit``;
* ``symbolic``: sympy's derivative of the traced program, evaluated by ``sympy.lambdify``, within a
  budget of tree nodes: past it the method declines in one line (the swell is the result).

A method that cannot do what is asked raises :class:`~diffstudy.errors.Declined`, whose one line
the tool sends back as the evaluation's error.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sympy

from ... import api, compiled
from ...engine import symbolic
from ...engine.budget import Budget
from ...errors import Declined

ArgNums = int | tuple[int, ...]

# sympy's derivative of a real model is allowed this many tree nodes, and this long a step.
SYMBOLIC_BUDGET = Budget(nodes=200_000, seconds=20.0)


def _positions(argnums: ArgNums) -> tuple[int, ...]:
    return (argnums,) if isinstance(argnums, int) else tuple(argnums)


def _unit_columns(shape: tuple[int, ...]) -> list[tuple[int, ...]]:
    """Every index of the trailing axes of an array batched along its first axis."""
    return list(np.ndindex(*shape[1:]))


class Method:
    """One way of differentiating; the subclasses say how. ``name`` is the ``--method`` value."""

    name = ""

    def grad(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        """The gradient of a function of one number, by the arguments ``argnums``."""
        raise NotImplementedError

    def jacobian(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        """The Jacobian (output shape + input shape, as JAX's) by the arguments ``argnums``."""
        raise NotImplementedError

    def grad_and_hvp(self, f: Callable[..., Any], argnums: int = 0) -> Callable[..., tuple[Any, Any]]:
        """``(∇f, H·v)`` at the arguments, ``v`` given as a keyword ``direction``: one forward
        pass over the gradient (the Hessian's diagonal, where it is diagonal, is H·1)."""
        gradient = self.grad(f, argnums)

        def both(*args: Any, direction: Any) -> tuple[Any, Any]:
            def along(x: Any) -> Any:
                return gradient(*args[:argnums], x, *args[argnums + 1 :])

            return api.jvp(along, (args[argnums],), (direction,))

        return both

    def batched_jacobian(self, f: Callable[..., Any], rows: int, inputs: int) -> Callable[..., list[np.ndarray]]:
        """The Jacobian blocks of ``f`` by its first ``inputs`` arguments (the others are data),
        those and its output (``(p, rows)``) being batches of p independent problems along their
        first axis: for each input an array ``(p, rows, *trailing shape)``, block i being
        ∂output[i]/∂input[i]. Reverse modes sweep once per output column, forward mode passes
        once per input column."""
        columns = [self._column(f, r, tuple(range(inputs))) for r in range(rows)]

        def blocks(*args: Any) -> list[np.ndarray]:
            per_column = [column(*args) for column in columns]
            return [np.stack([np.asarray(c[k]) for c in per_column], axis=1) for k in range(inputs)]

        return blocks

    def _column(self, f: Callable[..., Any], r: int, argnums: tuple[int, ...]) -> Callable[..., Any]:
        raise NotImplementedError


def _column_sum(f: Callable[..., Any], r: int) -> Callable[..., Any]:
    """Σᵢ f(…)[i, r]: its gradient is row r of every block at once, the blocks being independent."""

    def summed(*args: Any) -> Any:
        return np.sum(f(*args)[:, r])

    summed.__name__ = f"{getattr(f, '__name__', 'f')}_column_{r}"
    summed.__qualname__ = summed.__name__
    return summed


class Reverse(Method):
    """The tape: one recording and one backward sweep per output entry."""

    name = "reverse"

    def grad(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return api.grad(f, argnums)

    def jacobian(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return api.jacrev(f, argnums)

    def _column(self, f: Callable[..., Any], r: int, argnums: tuple[int, ...]) -> Callable[..., Any]:
        return api.grad(_column_sum(f, r), argnums)


class Generated(Reverse):
    """The reverse sweep written out as Python once per input structure, compiled, and kept."""

    name = "generated"

    def __init__(self) -> None:
        self._compiled: dict[tuple[Any, ...], compiled.Jitted] = {}

    def _kept(self, key: tuple[Any, ...], make: Callable[[], Any]) -> compiled.Jitted:
        if key not in self._compiled:
            self._compiled[key] = compiled.jit(make())
        return self._compiled[key]

    def grad(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return self._kept(("grad", f, argnums), lambda: api.grad(f, argnums))

    def jacobian(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return self._kept(("jacrev", f, argnums), lambda: api.jacrev(f, argnums))

    def _column(self, f: Callable[..., Any], r: int, argnums: tuple[int, ...]) -> Callable[..., Any]:
        return self._kept(("column", f, r, argnums), lambda: api.grad(_column_sum(f, r), argnums))


class Forward(Method):
    """Dual numbers: one pass per input entry (per input column for independent blocks)."""

    name = "forward"

    def grad(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return api.jacfwd(f, argnums)

    def jacobian(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        return api.jacfwd(f, argnums)

    def batched_jacobian(self, f: Callable[..., Any], rows: int, inputs: int) -> Callable[..., list[np.ndarray]]:
        def blocks(*args: Any) -> list[np.ndarray]:
            primals, data = tuple(args[:inputs]), args[inputs:]

            def on_inputs(*xs: Any) -> Any:
                return f(*xs, *data)

            result = []
            for k, arg in enumerate(primals):
                shape = np.shape(arg)
                block = np.empty((shape[0], rows, *shape[1:]))
                for index in _unit_columns(shape):
                    tangents = [np.zeros(np.shape(a)) for a in primals]
                    tangents[k][(slice(None), *index)] = 1.0
                    _, column = api.jvp(on_inputs, primals, tuple(tangents))
                    block[(slice(None), slice(None), *index)] = np.asarray(column)
                result.append(block)
            return result

        return blocks


class Symbolic(Method):
    """sympy: the program traced on symbols (its data as exact constants), differentiated, and
    the derivative evaluated with ``lambdify``; past :data:`SYMBOLIC_BUDGET` it declines."""

    name = "symbolic"

    def __init__(self, budget: Budget = SYMBOLIC_BUDGET) -> None:
        self.budget = budget

    def grad(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        jacobian = self.jacobian(f, argnums)

        def gradient(*args: Any) -> Any:
            return jacobian(*args)

        return gradient

    def jacobian(self, f: Callable[..., Any], argnums: ArgNums = 0) -> Callable[..., Any]:
        positions = _positions(argnums)

        def derivative(*args: Any) -> Any:
            shapes = [np.shape(args[i]) for i in positions]

            def bound(*chosen: Any) -> Any:
                full = list(args)
                for i, value in zip(positions, chosen):
                    full[i] = value
                return f(*full)

            names = [f"a{i}" for i in positions]
            found = symbolic.derive(bound, names, self.budget, shapes)
            with self.budget.clock("evaluating sympy's derivative"):
                evaluate = sympy.lambdify(found.symbols, found.jacobian, modules="math", cse=True)
                point = [float(v) for i in positions for v in np.ravel(np.asarray(args[i], dtype=float))]
                rows = np.array(evaluate(*point), dtype=float)
            out_shape = np.shape(f(*args))
            split = _split_columns(rows, shapes, out_shape)
            return split[0] if isinstance(argnums, int) else tuple(split)

        return derivative

    def grad_and_hvp(self, f: Callable[..., Any], argnums: int = 0) -> Callable[..., tuple[Any, Any]]:
        raise Declined("symbolic: a Hessian-vector product is not offered; use reverse, forward or generated")

    def batched_jacobian(self, f: Callable[..., Any], rows: int, inputs: int) -> Callable[..., list[np.ndarray]]:
        raise Declined(
            "symbolic: one expression per observation of a batch is not offered; use reverse, forward or generated"
        )


def _split_columns(rows: np.ndarray, shapes: Sequence[tuple[int, ...]], out_shape: tuple[int, ...]) -> list[Any]:
    """A Jacobian with one column per input entry, as one block per input (output shape + input shape)."""
    rows = rows.reshape(int(np.prod(out_shape)), -1)
    blocks, start = [], 0
    for shape in shapes:
        size = int(np.prod(shape))
        block = rows[:, start : start + size].reshape(out_shape + tuple(shape))
        blocks.append(float(block) if block.ndim == 0 else block)
        start += size
    return blocks


METHODS: dict[str, Callable[[], Method]] = {
    "reverse": Reverse,
    "forward": Forward,
    "generated": Generated,
    "symbolic": Symbolic,
}

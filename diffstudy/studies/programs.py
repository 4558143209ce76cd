"""The study's programs: families of functions indexed by a size, each with a point.

``build(k)`` gives the k-th program as a :class:`Program`: the function, its input names and
the point to differentiate at. The swell study sweeps the families of one input over their
depth k, the cost study the families of n inputs over n; chain's linear layers live in
:mod:`.chain`, beside the matrix chains they are compared with.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import fn
from ..harness.families import Program


def powers_of_two(first: int, last: int) -> list[int]:
    """1, 2, 4, … from ``first`` to ``last``: the sizes of a sweep that doubles."""
    return [2**j for j in range(last.bit_length()) if first <= 2**j <= last]


def names(n: int) -> list[str]:
    """``x1`` … ``xn``: the inputs of a program of n inputs."""
    return [f"x{i}" for i in range(1, n + 1)]


# ---------------------------------------------------------------- one input, depth k


def logistic(k: int) -> Program:
    """l₁ = x, lⱼ₊₁ = 4lⱼ(1 − lⱼ): the k-th iterate, k − 1 steps."""

    def program(x: Any) -> Any:
        value = x
        for _ in range(k - 1):
            value = 4 * value * (1 - value)
        return value

    return program, ["x"], [0.3]


def nested_sin(k: int) -> Program:
    """sin(sin(…sin(x)…)), k deep."""

    def program(x: Any) -> Any:
        for _ in range(k):
            x = fn.sin(x)
        return x

    return program, ["x"], [0.5]


def chebyshev(k: int) -> Program:
    """T₀ = 1, T₁ = x, Tⱼ₊₁ = 2x·Tⱼ − Tⱼ₋₁: the k-th Chebyshev polynomial by its recurrence."""

    def program(x: Any) -> Any:
        previous, current = 1, x
        for _ in range(k - 1):
            previous, current = current, 2 * x * current - previous
        return current

    return program, ["x"], [0.3]


# ---------------------------------------------------------------- n inputs


def speelpenning(k: int) -> Program:
    """x₁x₂…x_k, of k inputs."""

    def program(*x: Any) -> Any:
        product = x[0]
        for xi in x[1:]:
            product = product * xi
        return product

    return program, names(k), [(i + 1) / i for i in range(1, k + 1)]


def rosenbrock(n: int) -> Program:
    """Extended Rosenbrock (Moré, Garbow, Hillstrom): Σ over pairs 100(x₂ᵢ − x₂ᵢ₋₁²)² + (1 − x₂ᵢ₋₁)²."""

    def program(*x: Any) -> Any:
        total = 0
        for i in range(0, len(x), 2):
            a = x[i + 1] - x[i] * x[i]
            b = 1 - x[i]
            total = total + 100 * a * a + b * b
        return total

    return program, names(n), [-1.2 if i % 2 else 1.0 for i in range(1, n + 1)]


def log_sum_exp(n: int) -> Program:
    """log(Σ exp(xᵢ)): every partial derivative (a softmax weight) depends on every input."""

    def program(*x: Any) -> Any:
        total = fn.exp(x[0])
        for xi in x[1:]:
            total = total + fn.exp(xi)
        return fn.log(total)

    return program, names(n), [((-1) ** i) * i / n for i in range(1, n + 1)]


def quadratic_form(n: int) -> Program:
    """xᵀAx for a fixed dense integer matrix A: ops(f) grows like n²."""
    rng = random.Random(n)
    a = [[rng.randint(-9, 9) for _ in range(n)] for _ in range(n)]

    def program(*x: Any) -> Any:
        total = 0
        for i, row in enumerate(a):
            inner = row[0] * x[0]
            for aij, xj in zip(row[1:], x[1:]):
                inner = inner + aij * xj
            total = total + x[i] * inner
        return total

    return program, names(n), [1 + i / n for i in range(1, n + 1)]


# ---------------------------------------------------------------- n inputs, m outputs


def trunk(n: int, m: int, depth: int = 16) -> Program:
    """ℝⁿ → ℝᵐ through one shared computation: s = Σxᵢ², h = a chain of ``depth`` steps on s,
    yₖ = k·h + s. Every output depends on every input, through all of h."""

    def program(*x: Any) -> tuple[Any, ...]:
        s = x[0] * x[0]
        for xi in x[1:]:
            s = s + xi * xi
        h = s
        for _ in range(depth):
            h = fn.sin(h) * s
        return tuple(k * h + s for k in range(1, m + 1))

    return program, names(n), [1 / (i + 1) for i in range(1, n + 1)]


# ---------------------------------------------------------------- arrays: a network


def network(width: int, depth: int = 3, batch: int = 16) -> Program:
    """A tanh network on a batch: ``depth`` layers of width × width weights and an output vector.

    Loss = mean((h @ w_out − Y)²) with h = tanh(… tanh(X W₁ᵀ) …), X of batch × width and Y of
    batch: fixed data drawn from a seeded generator. Inputs: depth·width² + width weights.
    """
    rng = np.random.default_rng(width)
    data = rng.normal(size=(batch, width))
    targets = rng.normal(size=batch)

    def program(*weights: Any) -> Any:
        hidden = data
        for layer in weights[:-1]:
            hidden = np.tanh(hidden @ layer.T)
        return np.mean((hidden @ weights[-1] - targets) ** 2)

    scale = 1 / np.sqrt(width)
    point = [rng.normal(scale=scale, size=(width, width)) for _ in range(depth)] + [rng.normal(scale=scale, size=width)]
    return program, [f"W{i}" for i in range(1, depth + 1)] + ["w_out"], point


def sizes_up_to(sizes: Sequence[int], largest: int | None) -> list[int]:
    """The sizes of a sweep, cut at ``largest`` (None: all of them)."""
    return [k for k in sizes if largest is None or k <= largest]

"""Long loops: programs whose tape grows with the number of steps, not with the state they carry.

Each is written with :func:`diffstudy.loop`, so the same program runs with every schedule of
checkpointing: ``build(n, **schedule)`` gives the function of n steps and the point to
differentiate it at. The three are the loops the issue of memory is about: an iterated map, a
recurrent network's cell over a sequence, and an explicit integrator of a differential equation.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..checkpointing import loop

Built = tuple[Callable[..., Any], list[Any]]


@dataclass(frozen=True)
class LongLoop:
    """A loop of n steps: its name, what it computes, and ``build(n, **schedule)``."""

    name: str
    description: str
    build: Callable[..., Built]
    state: str  # what the loop carries from step to step


def logistic_step(x: Any, r: Any) -> Any:
    """One step of the logistic map, x ↦ r·x·(1 − x)."""
    return r * x * (1 - x)


def logistic(n: int, **schedule: Any) -> Built:
    """The logistic map, n steps from x₀ = 0.3 at r = 3.2 (a stable 2-cycle, so that derivatives
    stay within the float range however long the loop); inputs x₀ and r."""

    def program(x0: Any, r: Any) -> Any:
        return loop(logistic_step, x0, n, args=(r,), **schedule)

    return program, [0.3, 3.2]


def rnn_cell(h: Any, x: Any, W: Any, U: Any, b: Any) -> Any:
    """An Elman cell: h ↦ tanh(W·h + U·x + b)."""
    return np.tanh(W @ h + U @ x + b)


def rnn(n: int, width: int = 16, features: int = 4, **schedule: Any) -> Built:
    """A recurrent cell of ``width`` units over a sequence of n inputs of ``features`` numbers (fixed
    data from a seeded generator), from h₀ = 0; the loss is the mean of the last state squared.
    Inputs: the weights W (width × width), U (width × features) and b."""
    rng = np.random.default_rng(width)
    sequence = rng.normal(size=(n, features))
    h0 = np.zeros(width)

    def program(W: Any, U: Any, b: Any) -> Any:
        h = loop(rnn_cell, h0, n, xs=sequence, args=(W, U, b), **schedule)
        return np.mean(h * h)

    scale = 1 / np.sqrt(width)
    point = [rng.normal(scale=scale, size=(width, width)), rng.normal(scale=scale, size=(width, features)),
             rng.normal(scale=0.1, size=width)]  # fmt: skip
    return program, point


def euler_step(u: Any, D: Any, rho: Any, dt: float) -> Any:
    """One explicit Euler step of u' = D·Δu + ρ·u·(1 − u) on a ring (Fisher–KPP), Δ the second
    difference with its two neighbours."""
    laplacian = np.concatenate([u[-1:], u[:-1]]) + np.concatenate([u[1:], u[:1]]) - 2 * u
    return u + dt * (D * laplacian + rho * u * (1 - u))


def diffusion(n: int, points: int = 64, **schedule: Any) -> Built:
    """Reaction and diffusion on a ring of ``points`` cells, n explicit Euler steps of 0.1 (stable:
    D·dt ≤ ½); the output is the mean of the final u. Inputs: u₀, D and ρ."""
    cells = np.arange(points)
    u0 = 0.5 + 0.4 * np.exp(-(((cells - points / 2) / (points / 8)) ** 2))

    def program(u: Any, D: Any, rho: Any) -> Any:
        return np.mean(loop(euler_step, u, n, args=(D, rho, 0.1), **schedule))

    return program, [u0, 0.5, 0.3]


LOOPS = {
    "logistic": LongLoop("logistic", "x ↦ r·x·(1 − x), the logistic map", logistic, "one number"),
    "rnn": LongLoop("rnn", "h ↦ tanh(W·h + U·xₜ + b), an RNN cell over a sequence", rnn, "16 numbers"),
    "diffusion": LongLoop(
        "diffusion", "u ↦ u + dt·(D·Δu + ρu(1 − u)), explicit Euler on 64 cells", diffusion, "64 numbers"
    ),
}

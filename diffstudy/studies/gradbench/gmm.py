"""GradBench's ``gmm``: the log posterior of a Gaussian mixture with a Wishart prior on its
precision matrices (ADBench's objective, corrected as GradBench's README says), and its gradient
by the weights' parameters α, the means μ and the precisions' parameters q and l.

Component k's precision is QₖᵀQₖ, Qₖ lower triangular with exp(qₖ) on its diagonal and lₖ below
it, column by column. With βᵢₖ = αₖ + Σⱼ qₖⱼ − ½‖Qₖ(xᵢ − μₖ)‖², the objective is
−N(D/2 log 2π + lse(α)) + Σᵢ lse(βᵢ) + the log Wishart prior, lse being log Σ exp taken stably.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed, number
from .methods import Method


def logsumexp(v: Any) -> Any:
    """log Σ exp along the last axis, shifted by the maximum."""
    top = np.max(v, axis=-1)
    return np.log(np.sum(np.exp(v - top[..., None]), axis=-1)) + top


def lower_layout(d: int) -> tuple[np.ndarray, np.ndarray]:
    """Where l's entries go below the diagonal of a d×d matrix, column by column: the index of
    the entry of l at each place, and a mask of the places."""
    index = np.zeros((d, d), dtype=int)
    mask = np.zeros((d, d))
    k = 0
    for column in range(d):
        for row in range(column + 1, d):
            index[row, column] = k
            mask[row, column] = 1.0
            k += 1
    return index, mask


def log_multigamma(a: float, p: int) -> float:
    """log Γ_p(a), the multivariate gamma function."""
    return p * (p - 1) / 4 * math.log(math.pi) + sum(math.lgamma(a + (1 - j) / 2) for j in range(1, p + 1))


def log_posterior(alpha: Any, mu: Any, q: Any, l: Any, x: np.ndarray, m: int, gamma: float) -> Any:  # noqa: E741
    """The objective: log p(X | θ, φ) + log p(θ)."""
    n, d = x.shape
    k = len(alpha)
    index, mask = lower_layout(d)
    diagonal = np.exp(q)  # (k, d)
    below = l[:, index] * mask if d > 1 else np.zeros((k, d, d))  # (k, d, d)
    centered = x[:, None, :] - mu[None, :, :]  # (n, k, d)
    scaled = diagonal[None, :, :] * centered + np.einsum("kij,nkj->nki", below, centered)
    sum_q = np.sum(q, axis=1)
    beta = alpha[None, :] + sum_q[None, :] - 0.5 * np.sum(scaled * scaled, axis=2)  # (n, k)
    likelihood = -n * (d / 2 * math.log(2 * math.pi) + logsumexp(alpha)) + np.sum(logsumexp(beta))
    dof = d + m + 1
    frobenius = np.sum(diagonal * diagonal) + np.sum(l * l)
    prior = (
        k * (dof * d * np.log(gamma / np.sqrt(2)) - log_multigamma(dof / 2, d))
        - gamma * gamma / 2 * frobenius
        + m * np.sum(sum_q)
    )
    return likelihood + prior


PARAMETERS = ("alpha", "mu", "q", "l")


def _read(data: dict[str, Any]) -> tuple[Any, ...]:
    d, k = int(data["d"]), int(data["k"])
    l = floats(data["l"]).reshape(k, d * (d - 1) // 2)  # noqa: E741
    return (
        floats(data["alpha"]),
        floats(data["mu"]).reshape(k, d),
        floats(data["q"]).reshape(k, d),
        l,
        floats(data["x"]).reshape(int(data["n"]), d),
        int(data["m"]),
        float(data["gamma"]),
    )


def _gradient(args: tuple[Any, ...], method: Method) -> Any:
    return method.grad(log_posterior, argnums=(0, 1, 2, 3))(*args)


def _write_gradient(parts: Any) -> dict[str, Any]:
    return {name: listed(part) for name, part in zip(PARAMETERS, parts)}


EVAL = Eval(
    "gmm",
    {
        "objective": Function(_read, lambda args, method: log_posterior(*args), number, derivative=False),
        "jacobian": Function(_read, _gradient, _write_gradient, derivative=True),
    },
    primal="objective",
    derivatives=("jacobian",),
)

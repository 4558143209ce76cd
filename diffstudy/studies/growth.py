"""Growth laws fitted from measurements: "exponential, ×2.50 per step" or "k^1.98", never assumed."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Growth:
    """A fitted growth law: ``exponential`` (rate per step of k) or ``power`` (the exponent of k)."""

    kind: str  # "exponential", "power", "constant" or "unknown"
    rate: float = 0.0

    def __str__(self) -> str:
        if self.kind == "exponential":
            return f"exponential, ×{self.rate:.2f} per step"
        if self.kind == "power":
            return f"k^{self.rate:.2f}"
        return {"constant": "constant", "unknown": "too few points"}[self.kind]

    @property
    def phrase(self) -> str:
        """The law as it reads in a sentence: "exponentially (×2.50 per step of k)", "like k^1.98"."""
        return self.phrase_in("k")

    def phrase_in(self, variable: str) -> str:
        """:attr:`phrase` for a size called ``variable`` instead of k."""
        if self.kind == "exponential":
            return f"exponentially (×{self.rate:.2f} per step of {variable})"
        if self.kind == "power":
            return f"like {variable}^{self.rate:.2f}"
        return str(self)


def growth(ks: Sequence[int], values: Sequence[Any]) -> Growth:
    """How a column grows with k, fitted on its last four points (k ≥ 2).

    Both an exponential (log value linear in k) and a power law (log value linear in log k)
    are fitted; the exponential is named only when it fits clearly better.
    """
    points = [(k, v) for k, v in zip(ks, values) if v is not None and v > 0 and k >= 2][-4:]
    if len(points) < 3:
        return Growth("unknown")
    k = np.array([p[0] for p in points], dtype=float)
    log_v = np.log([float(p[1]) for p in points])
    if np.ptp(log_v) < 1e-12:
        return Growth("constant")
    exponential, exp_residual = np.polyfit(k, log_v, 1, full=True)[:2]
    power, power_residual = np.polyfit(np.log(k), log_v, 1, full=True)[:2]
    exp_error = float(exp_residual[0]) if len(exp_residual) else 0.0
    power_error = float(power_residual[0]) if len(power_residual) else 0.0
    if exp_error < power_error * 0.5 and np.exp(exponential[0]) > 1.05:
        return Growth("exponential", float(np.exp(exponential[0])))
    return Growth("power", float(power[0]))

"""Growth laws fitted from measurements: "linear: 3k − 3", "exponential, ×2.50 per step" or
"k^1.98", never assumed, and "too few points" when there are too few to say."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Growth:
    """A fitted growth law.

    ``kind`` is ``linear`` or ``quadratic`` (an exact polynomial in k, ``coefficients`` highest
    first), ``power`` (``rate`` the exponent of k), ``exponential`` (``rate`` the factor per step
    of k), ``constant``, or ``unknown`` (too few points to say).
    """

    kind: str
    rate: float = 0.0
    coefficients: tuple[float, ...] = ()
    start: int | None = None  # an exact polynomial that holds from this k on only

    def __str__(self) -> str:
        return self.written_in("k")

    def written_in(self, variable: str) -> str:
        """The law, short, for a size called ``variable``: "linear: 3k − 3", "k^1.98"."""
        if self.kind == "exponential":
            return f"exponential, ×{self.rate:.2f} per step"
        if self.kind == "power":
            return f"{variable}^{self.rate:.2f}"
        if self.kind in ("linear", "quadratic"):
            since = f" ({variable} ≥ {self.start})" if self.start is not None else ""
            return f"{self.kind}: {self.polynomial(variable)}{since}"
        return {"constant": "constant", "unknown": "too few points"}[self.kind]

    @property
    def degree(self) -> float:
        """How fast it grows, as a power of k (exponential growth outgrows every power)."""
        return {"linear": 1.0, "quadratic": 2.0, "constant": 0.0, "exponential": math.inf}.get(self.kind, self.rate)

    def polynomial(self, variable: str) -> str:
        """The exact polynomial, written out: ``3k − 3``."""
        terms = []
        for power, c in zip(range(len(self.coefficients) - 1, -1, -1), self.coefficients):
            if abs(c) < 1e-9:
                continue
            number = f"{abs(c):g}" if power == 0 or abs(abs(c) - 1) > 1e-9 else ""
            unknown = "" if power == 0 else variable + ("²" if power == 2 else "")
            sign = "−" if c < 0 else "+"
            terms.append((sign, number + unknown))
        text = " ".join(f"{sign} {term}" for sign, term in terms).lstrip("+ ")
        return text.replace("− ", "−", 1) if text.startswith("− ") else text

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
        if self.kind in ("linear", "quadratic"):
            since = f", {variable} ≥ {self.start}" if self.start is not None else ""
            return f"{'linearly' if self.kind == 'linear' else 'quadratically'} ({self.polynomial(variable)}{since})"
        return str(self)


FEWEST_POINTS = 5  # a growth law is fitted to no fewer measurements than this


def growth(ks: Sequence[int], values: Sequence[Any]) -> Growth:
    """How a column grows with k (k ≥ 2), read off at least five measurements.

    Counts are often exactly a linear or quadratic polynomial in k, and that is said first. Else
    both an exponential (log value linear in k) and a power law (log value linear in log k) are
    fitted to the last four points, and the exponential is named only when it fits clearly better.
    """
    points = [(k, float(v)) for k, v in zip(ks, values) if v is not None and v > 0 and k >= 2]
    if len(points) < FEWEST_POINTS:
        return Growth("unknown")
    k = np.array([p[0] for p in points], dtype=float)
    v = np.array([p[1] for p in points])
    if np.ptp(v) == 0:
        return Growth("constant")
    # An exact polynomial over every point, or from the earliest k on that leaves five points (a
    # count that settles into one after the first few sizes: 9k − 12 from k = 4 on).
    for first in range(len(k) - FEWEST_POINTS + 1):
        for degree, kind in ((1, "linear"), (2, "quadratic")):
            coefficients = np.polyfit(k[first:], v[first:], degree)
            if np.max(np.abs(np.polyval(coefficients, k[first:]) - v[first:])) <= 1e-9 * np.max(np.abs(v)):
                start = int(k[first]) if first else None
                return Growth(kind, coefficients=tuple(float(round(c, 6)) for c in coefficients), start=start)
    k, log_v = k[-4:], np.log(v[-4:])
    exponential, exp_residual = np.polyfit(k, log_v, 1, full=True)[:2]
    power, power_residual = np.polyfit(np.log(k), log_v, 1, full=True)[:2]
    exp_error = float(exp_residual[0]) if len(exp_residual) else 0.0
    power_error = float(power_residual[0]) if len(power_residual) else 0.0
    if exp_error < power_error * 0.5 and np.exp(exponential[0]) > 1.05:
        return Growth("exponential", float(np.exp(exponential[0])))
    return Growth("power", float(power[0]))

"""diffstudy among the AD tools: derivative time over primal time on GradBench's smallest workloads,
beside the ratios GradBench published for five tools.

Each eval's function runs in this process on an input of the shape GradBench's eval sends at
that workload (made here with a seeded generator: GradBench's own data is not needed), the primal
function as plain numpy and the derivative by each method; the ratio divides the best time of
the derivative by the best time of the primal, as GradBench's charts do. The derivative is run
once before it is timed, so that ``generated`` is timed on its compiled code, as JAX's ``jit`` is.
Times depend on the machine: the report keeps them out of the text its up-to-date test compares.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from . import EVALS
from .evals import Function
from .methods import METHODS, Method

# GradBench's nightly results of 2026-03-14 (commit f26651a of gradbench/gradbench): derivative
# time over primal time, read from each eval's summary.json on its published statistics branch.
PUBLISHED_DATE = "2026-03-14"
PUBLISHED_TOOLS = ("jax", "pytorch", "tapenade", "enzyme", "adol-c")
PUBLISHED: dict[tuple[str, str], dict[str, float]] = {
    ("lse", "n=2500"): {"jax": 1.1, "pytorch": 11.22, "enzyme": 2.03, "adol-c": 9.38},
    ("llsq", "n=16,m=128"): {"jax": 1.03, "enzyme": 1.44, "adol-c": 16.73},
    ("det", "5"): {"enzyme": 10.91, "adol-c": 9.33},
    ("ode", "n=1000,s=1"): {"jax": 0.81, "enzyme": 3.82, "adol-c": 105.0},
    ("kmeans", "k=10,n=1000,d=8"): {"jax": 1.63, "pytorch": 15091.3, "enzyme": 4.16, "adol-c": 196.64},
    ("gmm", "2_5_1000"): {"jax": 2.25, "pytorch": 1.76, "tapenade": 3.75, "enzyme": 4.72, "adol-c": 6.37},
    ("lstm", "l=2,c=1024"): {"pytorch": 2.2, "tapenade": 3.16, "enzyme": 2.81, "adol-c": 8.05},
    ("ba", "ba1_n49_m7776_p31843"): {"pytorch": 5.95, "tapenade": 13.67, "enzyme": 9.07, "adol-c": 193.08},
}


@dataclass(frozen=True)
class Workload:
    """One of GradBench's workloads: the eval, its description there, and how to make an input
    of its shape."""

    eval: str
    description: str
    make: Callable[[np.random.Generator], Any]


def _gmm(rng: np.random.Generator, d: int = 2, k: int = 5, n: int = 1000) -> dict[str, Any]:
    return {
        "d": d, "k": k, "n": n, "m": 0, "gamma": 1.0,
        "x": rng.normal(size=(n, d)).tolist(), "alpha": rng.normal(size=k).tolist(),
        "mu": rng.uniform(size=(k, d)).tolist(), "q": rng.normal(size=(k, d)).tolist(),
        "l": rng.normal(size=(k, d * (d - 1) // 2)).tolist(),
    }  # fmt: skip


def _lstm(rng: np.random.Generator, layers: int = 2, characters: int = 1024, bits: int = 7) -> dict[str, Any]:
    return {
        "main_params": rng.random((2 * layers, 4 * bits)).tolist(),
        "extra_params": rng.random((3, bits)).tolist(),
        "state": rng.random((2 * layers, bits)).tolist(),
        "sequence": rng.integers(0, 2, size=(characters, bits)).astype(float).tolist(),
    }


def _points(rng: np.random.Generator, k: int = 10, n: int = 1000, d: int = 8) -> dict[str, Any]:
    points = rng.random((n, d))
    return {"points": points.tolist(), "centroids": points[-k:].tolist()}


BA_CAMERA = [-0.76, -1.11, -0.85, 34.6, 39.7, 53.9, 419.2, 5.86, -8.52, 0.088, 0.0027]

WORKLOADS = (
    Workload("lse", "n=2500", lambda rng: {"x": rng.random(2500).tolist()}),
    Workload("llsq", "n=16,m=128", lambda rng: {"x": rng.random(128).tolist(), "n": 16}),
    Workload("det", "5", lambda rng: {"A": rng.random(25).tolist(), "ell": 5}),
    Workload("ode", "n=1000,s=1", lambda rng: {"x": rng.random(1000).tolist(), "s": 1}),
    Workload("kmeans", "k=10,n=1000,d=8", _points),
    Workload("gmm", "2_5_1000", _gmm),
    Workload("lstm", "l=2,c=1024", _lstm),
    Workload(
        "ba",
        "ba1_n49_m7776_p31843",
        lambda rng: {
            "n": 49,
            "m": 7776,
            "p": 31843,
            "cam": BA_CAMERA,
            "x": [7.2, 0.0011, 3.0],
            "w": 0.42,
            "feat": [271.8, 834.2],
        },  # fmt: skip
    ),
)


def best_time(function: Function, data: Any, method: Method, repeats: int) -> float:
    """The least of ``repeats`` timed runs of ``function`` at ``data``, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        function.run(data, method)
        best = min(best, time.perf_counter() - start)
    return best


def measure(
    workloads: tuple[Workload, ...] = WORKLOADS,
    methods: tuple[str, ...] = ("reverse", "generated"),
    repeats: int = 3,
    seed: int = 19,
) -> pd.DataFrame:
    """One row per workload and method: the primal's and the derivative's best times (ms), their
    ratio, and the ratios GradBench published for :data:`PUBLISHED_TOOLS` at that workload."""
    rows = []
    for workload in workloads:
        spec = EVALS[workload.eval]
        data = workload.make(np.random.default_rng(seed))
        primal = spec.functions[spec.primal]
        primal_input = primal.read(data)
        reference = METHODS["reverse"]()
        primal_time = best_time(primal, primal_input, reference, max(repeats, 10))
        for name in methods:
            method = METHODS[name]()
            derivative = spec.functions[spec.derivatives[0]]
            prepared = derivative.read(data)
            derivative.run(prepared, method)  # once before the clock: generated compiles here
            took = best_time(derivative, prepared, method, repeats)
            published = PUBLISHED.get((workload.eval, workload.description), {})
            rows.append(
                {
                    "eval": workload.eval,
                    "workload": workload.description,
                    "method": name,
                    "primal ms": primal_time * 1e3,
                    "derivative ms": took * 1e3,
                    "diffstudy ratio": took / primal_time,
                    **{tool: published.get(tool) for tool in PUBLISHED_TOOLS},
                }
            )
    return pd.DataFrame(rows)

"""Time against count: the wall time of f and of each method's gradient, measured the same way.

The counts say reverse mode costs a small constant times f (cost, REPORT section 4); a stopwatch
says what an interpreter makes of that. For each program of the cost families, over n, and the
tanh network over its width, f and each method's gradient are timed in one process, back to back,
the best of many repeats with the garbage collector paused, and the spread reported:

* ``tape``: reverse mode's tape, recorded and swept (what ``ds.grad`` does every call);
* ``dual numbers``: forward mode, one pass of dual numbers per input (up to a size);
* ``generated``: the derivative written out as code and compiled (``ds.jit(ds.grad(f))``), timed
  after its first call; the time of that first call (trace, write, compile) is reported beside,
  with the calls after which the compiled code has paid for it against the tape;
* ``sympy``: sympy's gradient after CSE, compiled with ``lambdify`` (up to a size: its
  derivative swells).

Times depend on the machine (the study says which) and vary from run to run: they are kept out of
what the report's up-to-date test compares.
"""

from __future__ import annotations

import gc
import platform
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sympy

from .. import api, compiled
from ..engine import forward, symbolic
from ..engine.budget import Budget
from .programs import Program, log_sum_exp, network, powers_of_two, rosenbrock, speelpenning
from .section import Section

FAMILIES: dict[str, Callable[[int], Program]] = {
    "speelpenning": speelpenning,
    "rosenbrock": rosenbrock,
    "log_sum_exp": log_sum_exp,
}
COLUMNS = [
    "n", "f µs", "f spread", "tape/f", "dual numbers/f", "generated/f", "sympy/f", "compile ms", "pays after",
]  # fmt: skip


@dataclass(frozen=True)
class TimeLimits:
    """How far the study goes and how patiently it times."""

    sizes: tuple[int, ...] = tuple(powers_of_two(2, 1024))
    widths: tuple[int, ...] = (8, 32, 128, 256)
    dual_max_n: int = 256  # forward mode's passes grow with n: timed up to here
    sympy_max_n: int = 32  # sympy's gradient swells: compiled up to here
    seconds: float = 0.2  # timing one thing takes about this long (at least ``repeats`` runs)
    repeats: int = 7


@dataclass
class Timing:
    """The best time of a run and the spread of its runs (the median over the best, minus 1)."""

    best: float
    spread: float


def time_it(run: Callable[[], Any], limits: TimeLimits) -> Timing:
    """``run`` timed back to back, as many times as fit in ``limits.seconds`` (at least
    ``limits.repeats``), with the garbage collector paused: the best and the spread."""
    run()  # once before: caches warm, lazily made things made
    gc.collect()
    gc.disable()
    try:
        started = time.perf_counter()
        times: list[float] = []
        while len(times) < limits.repeats or (time.perf_counter() - started < limits.seconds and len(times) < 10_000):
            t0 = time.perf_counter()
            run()
            times.append(time.perf_counter() - t0)
    finally:
        gc.enable()
    best = min(times)
    return Timing(best, statistics.median(times) / best - 1 if best else 0.0)


def machine() -> str:
    """The machine the times were measured on, in one line."""
    return f"{platform.machine()}, {platform.processor() or 'unknown processor'}, Python {platform.python_version()}"


@dataclass
class TimeSweep:
    """One program timed over its size: a row per size."""

    name: str
    rows: pd.DataFrame


def _of_list(f: Callable[..., Any]) -> Callable[[list[Any]], Any]:
    """f of n numbers as a function of one list of them: one argument for every method alike."""

    def of_list(xs: list[Any]) -> Any:
        return f(*xs)

    of_list.__name__ = getattr(f, "__name__", "f")
    return of_list


def scalar_row(build: Callable[[int], Program], n: int, limits: TimeLimits) -> dict[str, Any]:
    """f and each gradient of the program of n inputs, timed."""
    f, names, point = build(n)
    point = [float(v) for v in point]
    of_list = _of_list(f)
    f_time = time_it(lambda: f(*point), limits)
    tape_gradient = api.grad(of_list)
    tape = time_it(lambda: tape_gradient(point), limits)
    started = time.perf_counter()
    jitted = compiled.jit(api.grad(of_list))
    _same_gradient(jitted(point), tape_gradient(point), f"{build.__name__} n = {n}")
    compile_seconds = time.perf_counter() - started
    generated = time_it(lambda: jitted(point), limits)
    row = _ratios(n, f_time, tape, generated, compile_seconds)
    if n <= limits.dual_max_n:
        row["dual numbers/f"] = time_it(lambda: forward.jacobian(f, point), limits).best / f_time.best
    if n <= limits.sympy_max_n:
        gradient = _lambdified(f, names)
        row["sympy/f"] = time_it(lambda: gradient(*point), limits).best / f_time.best
    return row


def _same_gradient(generated: Any, tape: Any, where: str) -> None:
    """Times are shown only of gradients that agree: the generated code runs the tape's arithmetic."""
    pairs = zip(generated, tape) if isinstance(tape, (tuple, list)) else [(generated, tape)]
    for ours, theirs in pairs:
        if not np.allclose(np.asarray(ours, dtype=float), np.asarray(theirs, dtype=float), rtol=1e-12, atol=0):
            raise RuntimeError(f"{where}: the generated gradient differs from the tape's; not timed")


def _ratios(n: int, f_time: Timing, tape: Timing, generated: Timing, compile_seconds: float) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    saved = tape.best - generated.best
    row.update(
        {
            "n": n,
            "f µs": f_time.best * 1e6,
            "f spread": f_time.spread,
            "tape/f": tape.best / f_time.best,
            "generated/f": generated.best / f_time.best,
            "compile ms": compile_seconds * 1e3,
            "pays after": int(np.ceil(compile_seconds / saved)) if saved > 0 else None,
        }
    )
    return row


def _lambdified(f: Callable[..., Any], names: list[str]) -> Callable[..., Any]:
    """sympy's gradient of f after CSE, compiled by ``lambdify`` (math module functions)."""
    derivative = symbolic.derive(f, names, Budget(nodes=200_000))
    return sympy.lambdify(derivative.symbols, derivative.jacobian[0], modules="math", cse=True)


def network_row(width: int, limits: TimeLimits) -> dict[str, Any]:
    """The tanh network of this width: f in numpy, and the tape's and the generated gradient."""
    f, _, point = network(width)
    argnums = tuple(range(len(point)))
    f_time = time_it(lambda: f(*point), limits)
    tape_gradient = api.grad(f, argnums=argnums)
    tape = time_it(lambda: tape_gradient(*point), limits)
    started = time.perf_counter()
    jitted = compiled.jit(api.grad(f, argnums=argnums))
    _same_gradient(jitted(*point), tape_gradient(*point), f"network width {width}")
    compile_seconds = time.perf_counter() - started
    generated = time_it(lambda: jitted(*point), limits)
    row = _ratios(width, f_time, tape, generated, compile_seconds)
    row["n"] = sum(int(np.prod(np.shape(p))) for p in point)
    row["width"] = width
    return row


def sweep(limits: TimeLimits, step: Callable[[str], None] | None = None) -> list[TimeSweep]:
    """Every family over its sizes and the network over its widths, timed."""
    sweeps = []
    for name, build in FAMILIES.items():
        rows = []
        for n in limits.sizes:
            if step:
                step(f"{name} n={n}")
            rows.append(scalar_row(build, n, limits))
        sweeps.append(TimeSweep(name, pd.DataFrame(rows, columns=COLUMNS, dtype=object)))
    rows = []
    for width in limits.widths:
        if step:
            step(f"network width={width}")
        rows.append(network_row(width, limits))
    if rows:
        sweeps.append(TimeSweep("network", pd.DataFrame(rows, columns=["width", *COLUMNS], dtype=object)))
    return sweeps


def sections(sweeps: list[TimeSweep], limits: TimeLimits) -> list[Section]:
    """The study as titled tables, the machine, how the times were taken and which columns stop
    where in the notes."""
    how = (
        f"measured on {machine()}: each the best of back-to-back runs (at least {limits.repeats}, for about "
        f"{limits.seconds:g} s) with the garbage collector paused; spread = the median run over the best, "
        f"minus 1; X/f = X's time over f's; dual numbers (n passes) are timed up to n = {limits.dual_max_n}, "
        f"sympy's gradient (compiled by lambdify) up to n = {limits.sympy_max_n}"
    )
    parts = []
    for timed in sweeps:
        title = (
            f"{timed.name}: the time of each gradient over the time of f"
            if timed.name != "network"
            else "network: a tanh network on a batch, f in numpy, by its width (n weights)"
        )
        notes = [how] if not parts else []
        parts.append(Section(timed.name, title, timed.rows, notes))
    parts[-1].notes.append(
        "compile ms: the first call of ds.jit(ds.grad(f)): trace, write and compile; pays after: the calls after "
        "which the compiled gradient has saved that time against the tape (blank: it saves nothing there)"
    )
    if limits.sympy_max_n and any(timed.name in FAMILIES for timed in sweeps):
        parts[-1].notes.append(
            "sympy/f below 1: f runs as Python, an operation at a time; sympy's gradient is one expression, "
            "its common parts computed once, compiled by lambdify"
        )
    parts[-1].notes.extend(_implausible(sweeps))
    return parts


def _implausible(sweeps: list[TimeSweep]) -> list[str]:
    """A gradient timed faster than f is no measurement of the gradient: f's own time was disturbed
    (numpy's threaded matrix products competing with other work on the machine, most often)."""
    notes = []
    for timed in sweeps:
        size = "width" if timed.name == "network" else "n"
        for _, row in timed.rows.iterrows():
            if row["tape/f"] is not None and row["tape/f"] < 1:
                notes.append(
                    f"{timed.name} {size} {row[size]}: the tape's gradient timed faster than f, so f's time there "
                    "is not to be trusted (a busy machine; numpy's threaded matrix products: try "
                    "OPENBLAS_NUM_THREADS=1)"
                )
    return notes

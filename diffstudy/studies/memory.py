"""Memory, reverse mode's other cost, measured; and bought back with recomputation.

Four measurements, each in bytes measured or numbers counted, never a formula beside the code:

* what each method keeps: the tape's values and partials counted by what it holds
  (:func:`.engine.kept.held`), and the peak of every method measured by ``tracemalloc`` against
  f's own peak, on the cost study's families over n, the tanh network over its width and the
  long loops over their length; forward mode keeps no tape, the generated code its locals;
* the long loops under each schedule of checkpointing: what is kept, the peak, the steps run again;
* the recomputed steps of the binomial schedule counted on counting numbers (the gradient's
  operations beyond the plain tape's, in whole steps) against Griewank and Walther's law and
  the recursion it comes from;
* the frontier of memory against recomputation for one loop of n = 1,000 steps: every number of
  snapshots, every k of "every k-th state", √n among them, and the plain tape.

Peaks are measured (``tracemalloc``: what Python and numpy allocate) and differ a little from
machine to machine and run to run; counts and what the tape holds do not.
"""

from __future__ import annotations

import math
import tracemalloc
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from functools import cache, partial
from typing import Any

import numpy as np
import pandas as pd

from .. import api, compiled
from ..engine import checkpoint, forward, kept, reverse
from ..engine.counting import Tally, counting
from ..engine.ndarrays import numpy_errors_explained
from ..engine.trees import is_array
from . import loops, programs
from .section import Section


@dataclass(frozen=True)
class MemorySettings:
    """What the memory study measures (the command's defaults; the report's are smaller)."""

    family_sizes: tuple[int, ...] = (16, 64, 256, 1024)
    families: tuple[str, ...] = ("speelpenning", "rosenbrock", "log_sum_exp", "quadratic_form")
    largest_quadratic: int = 256  # its f is n² operations: 1024 is a million, of little more to show
    widths: tuple[int, ...] = (8, 32, 128, 512)
    lengths: dict[str, tuple[int, ...]] = field(
        default_factory=lambda: {
            "logistic": (10, 100, 1000, 10_000),
            "rnn": (10, 100, 1000),
            "diffusion": (10, 100, 1000),
        }  # fmt: skip
    )
    snapshots: int = 10
    law_lengths: tuple[int, ...] = (10, 100, 1000, 10_000)
    law_snapshots: tuple[int, ...] = (1, 2, 3, 5, 10)
    counted_at_most: int = 300_000  # recomputed steps beyond which a row's count is not run
    frontier_loop: str = "diffusion"
    frontier_length: int = 1000
    frontier_snapshots: tuple[int, ...] = (2, 3, 4, 6, 8, 12, 16, 24, 32, 64, 128, 256, 999)
    frontier_every: tuple[int, ...] = (2, 4, 8, 16, 32, 64, 128, 256, 500)
    target: tuple[int, int, int] | None = (10_000, 10, 1024)  # steps, snapshots, cells of the array map
    peaks: bool = True  # measure peaks with tracemalloc (slow), beside what is counted
    schedule_table: bool = True  # the loops under each schedule over their lengths


def report_settings() -> MemorySettings:
    """What REPORT.md shows: counts and bytes counted, the same on every machine, nothing timed or
    traced (the command measures the peaks too), on fewer sizes, so that the report stays quick."""
    return MemorySettings(
        family_sizes=(16, 256, 1024),
        families=("speelpenning", "rosenbrock"),
        widths=(8, 64, 512),
        lengths={"logistic": (10, 1000, 10_000), "rnn": (10, 1000), "diffusion": (10, 1000)},
        schedule_table=False,
        counted_at_most=60_000,
        frontier_loop="rnn",
        frontier_snapshots=(3, 10, 30, 100),
        frontier_every=(10, 100, 500),
        target=None,
        peaks=False,
    )


def settings_up_to(
    largest_n: int | None = None, largest_width: int | None = None, snapshots: int | None = None
) -> MemorySettings:
    """The command's settings with no n past ``largest_n`` (the families' inputs, the loops' steps:
    swept, in the law, the frontier and the target), no network wider than ``largest_width``, and
    ``snapshots`` for the binomial schedule in the table of loops."""
    settings = MemorySettings()
    if snapshots is not None:
        settings = replace(settings, snapshots=snapshots)
    if largest_width is not None:
        settings = replace(settings, widths=tuple(w for w in settings.widths if w <= largest_width) or (largest_width,))
    if largest_n is None:
        return settings

    def cut(lengths: tuple[int, ...]) -> tuple[int, ...]:
        kept_lengths = tuple(n for n in lengths if n <= largest_n)
        return kept_lengths if kept_lengths else (largest_n,)

    target = settings.target
    return replace(
        settings,
        family_sizes=cut(settings.family_sizes),
        lengths={name: cut(lengths) for name, lengths in settings.lengths.items()},
        law_lengths=cut(settings.law_lengths),
        frontier_length=min(settings.frontier_length, largest_n),
        frontier_snapshots=tuple(s for s in settings.frontier_snapshots if s < largest_n) or (1,),
        frontier_every=tuple(k for k in settings.frontier_every if k < largest_n) or (1,),
        target=(min(target[0], largest_n), *target[1:]) if target else None,
    )


@dataclass
class MemoryStudy:
    """The study's tables: memory by method, by schedule, the law, the frontier, and the target."""

    settings: MemorySettings
    methods: pd.DataFrame
    loops: pd.DataFrame | None
    law: pd.DataFrame
    frontier: pd.DataFrame
    target: pd.DataFrame | None = None
    notes: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- measuring


def traced_peak(call: Callable[[], Any]) -> int:
    """The most memory allocated at once while ``call`` runs, above what was allocated before it,
    measured by ``tracemalloc`` (Python's objects and numpy's arrays).

    No garbage collection first: a full one empties Python's lists of freed tuples and floats,
    and the call would then be charged for filling them again."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before = tracemalloc.get_traced_memory()[0]
        call()
        return tracemalloc.get_traced_memory()[1] - before
    finally:
        if started:
            tracemalloc.stop()


def _everything(f: Callable[..., Any], count: int) -> tuple[int, ...]:
    return tuple(range(count))


def _one_direction(point: Sequence[Any]) -> list[Any]:
    """The tangents of one forward pass: along the first entry of the first input, no other."""
    first = point[0]
    unit = forward.unit_like(first, 0) if is_array(first) else 1.0
    return [unit] + [None] * (len(point) - 1)


# Tape entries past which the generated code's peak is not measured: the code is one function,
# and tracemalloc looks up the line of every allocation in it, a cost that grows with its length.
GENERATED_AT_MOST = 2_000


def measure_methods(f: Callable[..., Any], point: Sequence[Any], peaks: bool = True) -> dict[str, Any]:
    """One program at one point: the tape's entries and what it keeps; with ``peaks``, f's own peak,
    the peak of the gradient by reverse mode, of one forward pass and of the generated code."""
    inputs = _everything(f, len(point))
    with numpy_errors_explained():
        recording = reverse.record(f, point)
        held = kept.held(recording.tape)
        row: dict[str, Any] = {"tape entries": len(recording.tape), "kept numbers": held.numbers,
                               "kept bytes": held.bytes}  # fmt: skip
        del recording
        if not peaks:
            return row
        gradient = api.grad(f, argnums=inputs)
        row["f peak"] = traced_peak(lambda: f(*point))
        row["reverse peak"] = traced_peak(lambda: gradient(*point))
        row["forward peak"] = traced_peak(lambda: forward.push(f, point, _one_direction(point)))
        if row["tape entries"] <= GENERATED_AT_MOST:
            generated = compiled.jit(api.grad(f, argnums=inputs))
            generated(*point)  # traced and compiled once; the code's own run is what is measured
            row["generated peak"] = traced_peak(lambda: generated(*point))
    f_peak = max(row["f peak"], 1)
    for name in ("reverse", "forward", "generated"):
        row[f"{name}/f"] = row[f"{name} peak"] / f_peak if row.get(f"{name} peak") is not None else None
    row["kept/f"] = row["kept bytes"] / f_peak
    return row


METHOD_COLUMNS = [
    "program", "size", "tape entries", "kept numbers", "kept bytes", "f peak", "kept/f", "reverse peak",
    "reverse/f", "forward peak", "forward/f", "generated peak", "generated/f",
]  # fmt: skip
COUNTED_METHOD_COLUMNS = METHOD_COLUMNS[:5]


def _f_and_point(build: Callable[[int], programs.Program], size: int) -> tuple[Callable[..., Any], list[Any]]:
    f, _, point = build(size)
    return f, point


def _measured_programs(settings: MemorySettings) -> list[tuple[str, str, Callable[[], Any]]]:
    """The programs of the methods' table: (name, size, a builder of (f, point)), in its order."""
    builders = {"speelpenning": programs.speelpenning, "rosenbrock": programs.rosenbrock,
                "log_sum_exp": programs.log_sum_exp, "quadratic_form": programs.quadratic_form}  # fmt: skip
    measured: list[tuple[str, str, Callable[[], Any]]] = []
    for name in settings.families:
        for n in settings.family_sizes:
            if name != "quadratic_form" or n <= settings.largest_quadratic:
                measured.append((name, f"n = {n}", partial(_f_and_point, builders[name], n)))
    measured += [("network", f"width {w}", partial(_f_and_point, programs.network, w)) for w in settings.widths]
    for name, long_loop in loops.LOOPS.items():
        measured += [(name, f"n = {n}", partial(long_loop.build, n)) for n in settings.lengths.get(name, ())]
    return measured


def methods_table(settings: MemorySettings, progress: Callable[[str], None]) -> pd.DataFrame:
    """What each method keeps, over n on the cost families, the network's width, the loops' length."""
    rows = []
    for name, size, build in _measured_programs(settings):
        progress(f"memory: {name} {size}")
        program, point = build()
        rows.append({"program": name, "size": size, **measure_methods(program, point, settings.peaks)})
    return pd.DataFrame(rows, columns=METHOD_COLUMNS if settings.peaks else COUNTED_METHOD_COLUMNS, dtype=object)


def measure_schedule(f: Callable[..., Any], point: Sequence[Any], peaks: bool = True) -> dict[str, Any]:
    """A loop's gradient under one schedule: the entries of the outer tape; the most bytes kept at
    once for the backward sweep, counted (the whole tape, for the plain one; the outer tape and
    the most a checkpointed loop held, saved states and the tape of a stretch); what the loop did
    (steps run again, the most snapshots held); with ``peaks``, the gradient's peak, measured."""
    with numpy_errors_explained(), checkpoint.watching(count_bytes=True) as blocks:
        recording = reverse.record(f, point)
        items = kept.kept(recording.tape)
        outer = sum(item.bytes for item in items if item.what not in ("snapshots", "tape"))
        entries = len(recording.tape)
        reverse.gradient_row(recording, 0)  # the backward sweep, in which a checkpointed loop holds the most
        del recording
    stats = blocks[0] if blocks else None
    row: dict[str, Any] = {
        "tape entries": entries,
        "kept at most": outer + (stats.most_bytes or 0) if stats else outer,
        "steps run again": stats.advances if stats else 0,
        "most snapshots": stats.most_snapshots if stats else None,
    }
    if peaks:
        gradient = api.grad(f, argnums=_everything(f, len(point)))
        with numpy_errors_explained():
            row["peak"] = traced_peak(lambda: gradient(*point))
    return row


def _schedules(n: int, s: int) -> list[tuple[str, dict[str, Any]]]:
    k = math.isqrt(max(n - 1, 0)) + 1
    return [("all", {}), (f"every {k} (√n)", {"every": k}), (f"binomial, s = {s}", {"snapshots": s})]


LOOP_COLUMNS = ["loop", "n", "schedule", "tape entries", "kept at most", "steps run again", "most snapshots",
                "f peak", "peak", "peak/f"]  # fmt: skip


def loops_table(settings: MemorySettings, progress: Callable[[str], None]) -> pd.DataFrame:
    """Each loop over its length under each schedule: what is kept, the peak, the steps run again."""
    rows = []
    for name, long_loop in loops.LOOPS.items():
        for n in settings.lengths.get(name, ()):
            for label, schedule in _schedules(n, settings.snapshots):
                progress(f"memory: {name} n={n} {label}")
                program, point = long_loop.build(n, **schedule)
                row = {"loop": name, "n": n, "schedule": label, **measure_schedule(program, point, settings.peaks)}
                if settings.peaks:
                    row["f peak"] = traced_peak(lambda program=program, point=point: program(*point))
                    row["peak/f"] = row["peak"] / max(row["f peak"], 1)
                rows.append(row)
    return pd.DataFrame(rows, columns=LOOP_COLUMNS if settings.peaks else LOOP_COLUMNS[:7], dtype=object)


# ---------------------------------------------------------------- the law, counted


def _logistic_operations(n: int, **schedule: Any) -> int:
    """The operations of the gradient of n steps of the logistic map, counted (one recording, one sweep)."""
    tally = Tally()
    recording = reverse.record(loops.logistic(n, **schedule)[0], counting([0.3, 3.2], tally))
    reverse.gradient_row(recording, 0)
    return tally.total


_plain_operations = cache(_logistic_operations)  # the plain tape's, the same for every schedule


def counted_recomputations(n: int, schedule: dict[str, Any]) -> tuple[int, int]:
    """The steps of the logistic map a schedule runs again, counted on counting numbers: the
    gradient's operations beyond the plain tape's, over the operations of one step; and the most
    snapshots it held."""
    return _counted(n, tuple(sorted(schedule.items())))


@cache
def _counted(n: int, schedule: tuple[tuple[str, Any], ...]) -> tuple[int, int]:
    """:func:`counted_recomputations`, counted once for each schedule (the law's table and the
    frontier ask for some of the same)."""
    one_step = Tally()
    loops.logistic_step(*counting([0.3, 3.2], one_step))
    with checkpoint.watching() as blocks:
        extra = _logistic_operations(n, **dict(schedule)) - _plain_operations(n)
    steps, left = divmod(extra, one_step.total)
    if left:
        raise ArithmeticError(f"{extra} operations beyond the plain tape's are not whole steps of {one_step.total}")
    return steps, blocks[0].most_snapshots if blocks else 1


def _counted_in_law(settings: MemorySettings, n: int, s: int) -> bool:
    """Whether the law's row (n, s) is also counted: not where the steps run again are too many."""
    return checkpoint.least_recomputations(n, s) <= settings.counted_at_most


LAW_COLUMNS = ["n", "s", "t", "law", "recursion", "counted", "agree", "most snapshots"]


def law_table(settings: MemorySettings, progress: Callable[[str], None]) -> pd.DataFrame:
    """Recomputed steps of the binomial schedule: the law, the recursion, and the count."""
    recursion = checkpoint.recomputations_by_recursion(max(settings.law_lengths), max(settings.law_snapshots))
    rows = []
    for n in settings.law_lengths:
        for s in settings.law_snapshots:
            law = checkpoint.least_recomputations(n, s)
            row = {"n": n, "s": s, "t": checkpoint.repetitions(n, s), "law": law, "recursion": recursion[s][n]}
            if _counted_in_law(settings, n, s):
                progress(f"memory: counting n={n} s={s}")
                counted, most = counted_recomputations(n, {"snapshots": s})
                row.update({"counted": counted, "agree": counted == law == row["recursion"], "most snapshots": most})
            rows.append(row)
    return pd.DataFrame(rows, columns=LAW_COLUMNS, dtype=object)


# ---------------------------------------------------------------- the frontier


def _frontier_schedules(settings: MemorySettings) -> list[tuple[str, int | None, dict[str, Any]]]:
    """The frontier's schedules: (name, snapshots or k, ds.loop's options)."""
    n = settings.frontier_length
    choices: list[tuple[str, int | None, dict[str, Any]]] = [("all", None, {})]
    choices += [("every", k, {"every": k}) for k in sorted({*settings.frontier_every, math.isqrt(n - 1) + 1})]
    choices += [("binomial", s, {"snapshots": s}) for s in settings.frontier_snapshots]
    return choices


FRONTIER_COLUMNS = ["schedule", "snapshots or k", "kept at most", "steps run again", "counted", "law", "peak"]


def frontier_table(settings: MemorySettings, progress: Callable[[str], None]) -> pd.DataFrame:
    """One loop of n steps under every schedule: the most bytes kept at once (counted; and the
    peak, measured, with ``settings.peaks``) against the steps run again (the loop's own count, and
    counted on counting numbers on the logistic map: the same plan whatever the step)."""
    n = settings.frontier_length
    build = loops.LOOPS[settings.frontier_loop].build
    rows = []
    for schedule, size, options in _frontier_schedules(settings):
        progress(f"memory: frontier {schedule} {size or ''}")
        program, point = build(n, **options)
        measured = measure_schedule(program, point, settings.peaks)
        law = 0
        if schedule == "binomial":
            law = checkpoint.least_recomputations(n, size)
        elif schedule == "every":
            law = checkpoint.every_recomputations(n, size)
        counted = None
        if not options or law <= settings.counted_at_most:
            counted = counted_recomputations(n, options)[0] if options else 0
        rows.append({"schedule": schedule, "snapshots or k": size, "kept at most": measured["kept at most"],
                     "steps run again": measured["steps run again"], "counted": counted, "law": law,
                     "peak": measured.get("peak")})  # fmt: skip
    return pd.DataFrame(rows, columns=FRONTIER_COLUMNS if settings.peaks else FRONTIER_COLUMNS[:-1], dtype=object)


# ---------------------------------------------------------------- the target: s + 2 states and one step's tape


def state_and_step_bytes(u0: np.ndarray) -> tuple[int, int]:
    """The bytes of one state of the logistic map on an array like ``u0``, and of one step's tape,
    each measured by tracemalloc as it is made."""
    started = not tracemalloc.is_tracing()
    if started:
        tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        state = u0 + 0.0
        state_bytes = tracemalloc.get_traced_memory()[0] - before
        before = tracemalloc.get_traced_memory()[0]
        one_step = reverse.record(loops.logistic_step, [state, 3.2])
        step_bytes = tracemalloc.get_traced_memory()[0] - before
        del one_step, state
    finally:
        if started:
            tracemalloc.stop()
    return state_bytes, step_bytes


def target_table(steps: int, s: int, cells: int) -> pd.DataFrame:
    """The logistic map on an array of ``cells``, ``steps`` steps with ``s`` snapshots: the peak of
    its gradient, measured, beside (s + 2) states and one step's tape, each measured."""
    u0 = np.linspace(0.1, 0.9, cells)

    def loss(length: int, **schedule: Any) -> Callable[..., Any]:
        return lambda u, r: np.mean(checkpoint.loop(loops.logistic_step, u, length, args=(r,), **schedule))

    # Once before it is measured, so that what a first run leaves behind for the next (Python's
    # lists of freed tuples and floats, numpy's caches) is not counted as the loop's.
    api.grad(loss(steps, snapshots=s), argnums=(0, 1))(u0, 3.2)
    state_bytes, step_bytes = state_and_step_bytes(u0)
    bound = (s + 2) * state_bytes + step_bytes
    rows = []
    for label, schedule in (("binomial", {"snapshots": s}), ("all", {})):
        gradient = api.grad(loss(steps, **schedule), argnums=(0, 1))
        peak = traced_peak(lambda gradient=gradient: gradient(u0, 3.2))
        rows.append({"schedule": label, "n": steps, "s": s if schedule else None, "state": state_bytes,
                     "step tape": step_bytes, "bound": bound if schedule else None, "peak": peak,
                     "peak/bound": peak / bound if schedule else None})  # fmt: skip
    return pd.DataFrame(rows, dtype=object)


def steps(settings: MemorySettings) -> int:
    """How many steps :func:`study` reports to its ``progress``: the programs, the loops under each
    schedule, the law's counted rows, the frontier's schedules and the target."""
    schedules = len(_schedules(1, settings.snapshots))
    looped = sum(len(settings.lengths.get(name, ())) for name in loops.LOOPS) * schedules
    counted = sum(_counted_in_law(settings, n, s) for n in settings.law_lengths for s in settings.law_snapshots)
    return (
        len(_measured_programs(settings))
        + (looped if settings.schedule_table else 0)
        + counted
        + len(_frontier_schedules(settings))
        + (settings.target is not None)
    )


def study(settings: MemorySettings | None = None, progress: Callable[[str], None] | None = None) -> MemoryStudy:
    """Run every measurement of the memory study."""
    settings = settings or MemorySettings()
    step = progress or (lambda what: None)
    methods = methods_table(settings, step)
    schedules = loops_table(settings, step) if settings.schedule_table else None
    law = law_table(settings, step)
    frontier = frontier_table(settings, step)
    target = None
    if settings.target:
        step(f"memory: a loop of {settings.target[0]:,} steps with {settings.target[1]} snapshots")
        target = target_table(*settings.target)
    return MemoryStudy(settings, methods, schedules, law, frontier, target)


KEPT_AT_MOST = (
    "kept at most: the most bytes held at once for the backward sweep, counted object by object: the whole "
    "tape for the plain one; for a checkpointed loop the outer tape and the most it held, saved states and "
    "the tape of one stretch"
)
PEAKS = (
    "peaks are measured by tracemalloc (Python's objects and numpy's arrays) above what was allocated before; "
    "Python reuses freed floats and tuples without allocating them again, so a peak of a program of Python "
    "numbers can read below what its tape keeps"
)


def sections(measured: MemoryStudy) -> list[Section]:
    """The memory study as titled tables."""
    s = measured.settings
    method_notes = ["kept is what the tape holds for its backward sweep, counted object by object"]
    if s.peaks:
        method_notes += [
            PEAKS,
            "forward peak is one pass: its n passes keep nothing from one to the next",
            f"the generated code's peak is measured up to {GENERATED_AT_MOST:,} tape entries: tracemalloc looks "
            "up the line of each allocation in the one function the code is, at a cost that grows with its length",
        ]
    parts = [
        Section("methods", "What each method keeps: what the tape holds, and peaks measured against f's own",
                measured.methods, method_notes),
        *([Section("loops", f"Long loops under each schedule: all, every √n-th state, binomial with s = "
                   f"{s.snapshots}", measured.loops, [KEPT_AT_MOST] + ([PEAKS] if s.peaks else []))]
          if measured.loops is not None else []),
        Section("law", "Recomputed steps of the binomial schedule: the law, its recursion, and the count", measured.law,
                ["law: t·n − β(s+1, t−1), β(s, t) = C(s+t, s), t the smallest with β(s, t) ≥ n; recursion: "
                 "T(l, s) = min over 0 < m < l of m + T(l − m, s − 1) + T(m, s)",
                 "counted on counting numbers: the gradient's operations beyond the plain tape's, in steps of the "
                 f"logistic map; rows past {s.counted_at_most:,} steps are not counted (the law and the recursion "
                 "are)"]),
        Section("frontier", f"Memory against recomputation: the {s.frontier_loop} loop of n = {s.frontier_length:,} "
                "steps", measured.frontier,
                [KEPT_AT_MOST, "steps run again: the loop's own count; counted: on counting numbers (the gradient's "
                 "operations beyond the plain tape's, in steps); law: revolve's for binomial, every step but the "
                 "last stretch's for every k-th"] + ([PEAKS] if s.peaks else [])),
    ]  # fmt: skip
    if measured.target is not None:
        parts.append(
            Section(
                "target",
                "A checkpointed loop keeps (s + 2) states and one step's tape; the plain tape, every step",
                measured.target,
                [
                    "the logistic map on an array; a state and one step's tape measured by tracemalloc as they are "
                    "made; bound: (s + 2) states and one step's tape",
                    "peak/bound: beyond the bound the peak holds the sweep's own arrays (the state's adjoint, the "
                    "temporaries of the step recorded and swept again), which do not grow with n; the plain "
                    "tape's peak does",
                ],  # fmt: skip
            )
        )
    return parts

"""What the report shows, measured once: the studies run with fixed settings, and the numbers the
text and the figures quote, each computed here and nowhere else.

The sweeps are bounded by node counts, operation counts and fixed ranges, never by the clock,
so the same versions of diffstudy and sympy measure the same numbers on any machine. The one
exception is the time study (``timings``), whose numbers are the machine's: the report keeps them
apart (see :func:`.text.without_times`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TypeVar

import pandas as pd

from ...engine.budget import Budget
from ...harness.cases import Case
from ...harness.compare import compare, failed
from ...harness.families import Family
from ...harness.loading import builtin_cases_dir, load_cases
from ...studies import chain, cost, graph, memory, network, primitive_cost, second_order, sgd, swell, timing
from ...studies.gradbench import study as gradbench_study
from ...studies.growth import Growth, growth
from ...studies.section import Section

# The cases the report draws as computational graphs: the lecture's example and Problem 5.
GRAPHS = ("lecture27", "problem5")

# Time budgets far beyond what any step takes: the sweeps stop on nodes and counts, not seconds.
PATIENT = 3600.0


def _default_largest(families: dict[str, Family]) -> dict[str, int]:
    """Family name → the largest size it is swept to by default, for the families that have one."""
    return {name: f.default_largest for name, f in families.items() if f.default_largest is not None}


@dataclass(frozen=True)
class ReportSettings:
    """What the report measures; fixed so that the report is the same on every machine.

    The caps keep the report quick to rebuild: past them sympy's product rule over k factors
    (Speelpenning) and the n² terms of the quadratic form only repeat the trend at greater cost.
    """

    swell_limits: swell.Limits = field(
        default_factory=lambda: swell.Limits(budget=Budget(nodes=100_000, seconds=PATIENT))
    )
    swell_max_k: dict[str, int] = field(default_factory=lambda: _default_largest(swell.FAMILIES))
    # Forward mode's n passes and the full Hessians' n products show their trend by a few
    # hundred thousand operations; past that they only lengthen the rebuild.
    cost_limits: cost.CostLimits = field(
        default_factory=lambda: cost.CostLimits(
            budget=Budget(nodes=100_000, seconds=PATIENT), method_max_ops={"forward": 300_000}
        )
    )
    # The quadratic form's n² terms show their trend by n = 128; at 256 the rebuild only lengthens.
    cost_max_n: dict[str, int] = field(
        default_factory=lambda: _default_largest(cost.FUNCTIONS) | {"quadratic_form": 128}
    )
    cost_symbolic_max_n: dict[str, int] = field(default_factory=lambda: {"quadratic_form": 32})
    crossover: int = 64
    network: network.NetworkLimits = field(
        default_factory=lambda: network.NetworkLimits(
            max_width=512,
            cost=replace(network.NetworkLimits().cost, budget=Budget(nodes=100_000, seconds=PATIENT)),
        )
    )
    lecture_projects: sgd.Settings = field(default_factory=sgd.Settings)
    memory: memory.MemorySettings = field(default_factory=memory.report_settings)

    second: second_order.SecondLimits = field(
        default_factory=lambda: second_order.SecondLimits(
            budget=Budget(nodes=100_000, seconds=PATIENT), hessian_max_ops=100_000
        )
    )
    compared_second: tuple[str, ...] = ("lecture27", "rosenbrock", "two_layer", "softmax", "relu_unit")
    # The time study: None leaves it out (the up-to-date test compares everything but the times).
    timings: timing.TimeLimits | None = field(default_factory=timing.TimeLimits)
    # GradBench's workloads timed (lstm's derivative takes seconds a run on the tape: left to
    # `gradbench_connect.py`); () leaves them out.
    gradbench_workloads: tuple[gradbench_study.Workload, ...] = tuple(
        w for w in gradbench_study.WORKLOADS if w.eval != "lstm"
    )

    def limits_for(self, family: str) -> swell.Limits:
        """The swell limits of one family, its cap included."""
        return replace(self.swell_limits, max_k=self.swell_max_k.get(family))

    def cost_limits_for(self, function: str) -> cost.CostLimits:
        """The cost limits of one function, its cap included."""
        symbolic_max_n = self.cost_symbolic_max_n.get(function, self.cost_limits.symbolic_max_n)
        return replace(self.cost_limits, max_n=self.cost_max_n.get(function), symbolic_max_n=symbolic_max_n)

    def second_limits_for(self, function: str) -> second_order.SecondLimits:
        """The second-order limits of one function, with the cost study's cap."""
        return replace(self.second, max_n=self.cost_max_n.get(function, self.second.max_n))


@dataclass(frozen=True)
class UserCases:
    """A user's own cases and families (``report --cases PATH``), and the paths they came from."""

    cases: list[Case]
    families: list[Family]
    paths: tuple[str, ...]


@dataclass
class UserMeasurements:
    """A user's cases compared and families swept, with the report's settings, beside the built-in ones."""

    paths: tuple[str, ...]
    compared: pd.DataFrame | None
    swells: dict[str, swell.Sweep]
    costs: dict[str, cost.CostSweep]

    def failed(self) -> bool:
        """Whether a case failed or disagreed, or a family failed at some size."""
        sweeps = [*self.swells.values(), *self.costs.values()]
        return (self.compared is not None and failed(self.compared)) or any(s.failed for s in sweeps)


@dataclass(frozen=True)
class ReverseRatio:
    """The largest reverse/f ratio over every cost function and n, and where it was measured."""

    ratio: float
    function: str
    n: int


@dataclass
class Measurements:
    """Everything the report shows, measured once, with the numbers its sentences quote."""

    settings: ReportSettings
    cases: dict[str, Case]
    compared: pd.DataFrame
    survey: pd.DataFrame
    swells: dict[str, swell.Sweep]
    costs: dict[str, cost.CostSweep]
    crossover: pd.DataFrame
    primitives: pd.DataFrame
    chains: dict[str, Section]
    graphs: dict[str, graph.Graph]
    network: network.NetworkSweep
    linear_chain: pd.DataFrame
    hessians: pd.DataFrame
    second: dict[str, second_order.SecondSweep]
    lecture_projects: sgd.Study
    user: UserMeasurements | None = None  # the user's own cases and families, if any
    timings: list[timing.TimeSweep] | None = None  # the machine's times, if measured
    gradbench: pd.DataFrame | None = None  # GradBench's evals timed (machine-dependent)
    memory: memory.MemoryStudy | None = None  # what the tape keeps, and checkpointing
    cost_summary: pd.DataFrame = field(init=False)
    largest_reverse: ReverseRatio = field(init=False)
    worst_reverse_mul: float = field(init=False)
    forward_growth: Growth = field(init=False)

    def __post_init__(self) -> None:
        sweeps = list(self.costs.values())
        self.cost_summary = cost.summary_frame(sweeps)
        self.largest_reverse = ReverseRatio(*cost.largest_reverse_ratio(sweeps))
        self.worst_reverse_mul = max(float(v) for v in self.cost_summary["largest reverse mul/f mul"] if v is not None)
        speelpenning = self.costs["speelpenning"].rows.dropna(subset=["forward/f"])
        self.forward_growth = growth(list(speelpenning["n"]), list(speelpenning["forward/f"]))

    def chain_table(self, key: str) -> pd.DataFrame:
        """The chain study's table of that key ("orders", "lecture", "problem2", "modes")."""
        return self.chains[key].frame

    def reverse_ratios_from_two(self) -> list[float]:
        """Every reverse/f ratio measured at n ≥ 2."""
        return [
            float(r)
            for s in self.costs.values()
            for n, r in zip(s.rows["n"], s.rows["reverse/f"])
            if r is not None and n >= 2
        ]


Swept = TypeVar("Swept", swell.Sweep, cost.CostSweep, network.NetworkSweep, second_order.SecondSweep)


def whole(sweep: Swept) -> Swept:
    """A sweep measured to its end; one cut short by Ctrl-C interrupts the report, which
    publishes no partial study (``swell`` and ``cost`` print theirs, saying so)."""
    if sweep.interrupted:
        raise KeyboardInterrupt
    return sweep


def measure_user(
    settings: ReportSettings, user: UserCases, progress: Callable[[str], None] | None = None
) -> UserMeasurements:
    """Compare the user's cases and sweep their families as the report does the built-in ones;
    Ctrl-C raises KeyboardInterrupt."""
    compared = compare(user.cases, budget=Budget(seconds=PATIENT), progress=progress) if user.cases else None
    swells = {f.name: whole(swell.sweep(f, settings.swell_limits, progress)) for f in user.families}
    costs = {f.name: whole(cost.sweep(f, settings.cost_limits, progress)) for f in user.families}
    return UserMeasurements(user.paths, compared, swells, costs)


def measure_all(
    settings: ReportSettings, progress: Callable[[str], None] | None = None, user: UserCases | None = None
) -> Measurements:
    """Run every study the report needs, and with ``user`` the user's own cases and families too;
    Ctrl-C in any of them raises KeyboardInterrupt."""
    step = progress or (lambda what: None)
    cases, problems = load_cases([builtin_cases_dir()])
    if problems:
        raise RuntimeError("the built-in cases do not load: " + "; ".join(problems))
    step("compare")
    compared = compare(cases, budget=Budget(seconds=PATIENT))
    step("swell")
    survey = swell.survey_table()
    swells = {name: whole(swell.sweep(f, settings.limits_for(name), progress)) for name, f in swell.FAMILIES.items()}
    step("cost")
    costs = {name: whole(cost.sweep(f, settings.cost_limits_for(name), progress)) for name, f in cost.FUNCTIONS.items()}
    crossover = cost.crossover_table(settings.crossover)
    primitives = primitive_cost.table()
    step("network")
    swept = whole(network.sweep(settings.network, progress))
    linear_chain = network.chain_table(network.CHAIN_SHAPES)
    step("second derivatives")
    by_name = {c.name: c for c in cases}
    hessians = compare([by_name[name] for name in settings.compared_second], budget=Budget(seconds=PATIENT), order=2)
    second = {
        name: whole(second_order.sweep(f, settings.second_limits_for(name), progress))
        for name, f in cost.FUNCTIONS.items()
    }
    step("chain")
    chains = {part.key: part for part in chain.sections()}
    graphs = {name: graph.build(by_name[name], tangents=True) for name in GRAPHS}
    step("sgd")
    projects = sgd.study(settings.lecture_projects, progress)
    times = timing.sweep(settings.timings, progress) if settings.timings is not None else None
    step("memory")
    kept = memory.study(settings.memory, progress)
    step("gradbench")
    timed = gradbench_study.measure(settings.gradbench_workloads) if settings.gradbench_workloads else None
    return Measurements(
        settings,
        by_name,
        compared,
        survey,
        swells,
        costs,
        crossover,
        primitives,
        chains,
        graphs,
        swept,
        linear_chain,
        hessians,
        second,
        projects,
        measure_user(settings, user, progress) if user else None,
        times,
        timed,
        kept,
    )

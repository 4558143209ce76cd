"""The report's figures, drawn with matplotlib from the measurements (no measuring here)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ...studies import cost, memory, sampling, second_order, sgd, swell
from .gradbench import draw as draw_gradbench
from .measure import Measurements


def _save(figure: Any, path: Path) -> None:
    """Lay the figure out, write it (without the software's name, so a rebuild is byte-stable), close it."""
    import matplotlib.pyplot as plt

    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


def _figure_swell(swells: Sequence[swell.Sweep], path: Path) -> None:
    import matplotlib.pyplot as plt

    shown = ["f tree", "sympy tree", "sympy cse", "expanded", "tape dag", "tape tree", "tape length"]
    figure, axes = plt.subplots(2, 2, figsize=(11, 8.5))
    for ax, s in zip(axes.flat, swells):
        for column in shown:
            points = [(k, v) for k, v in zip(s.rows["k"], s.rows[column]) if v is not None and v > 0]
            if points:
                ks, values = zip(*points)
                ax.plot(ks, values, marker="o", markersize=3, label=column)
        ax.set_yscale("log")
        if s.family.name in ("nested_sin", "speelpenning"):
            ax.set_xscale("log", base=2)
        ax.set_title(s.family.name)
        ax.set_xlabel("k")
        ax.set_ylabel("nodes")
        ax.grid(True, which="major", alpha=0.3)
    axes.flat[0].legend(fontsize=8)
    figure.suptitle("Sizes of each representation of the value and gradient", wrap=True)
    _save(figure, path)


def _figure_cost(costs: Sequence[cost.CostSweep], crossover: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for index, s in enumerate(costs):
        rows = s.rows
        for column, style in (("forward/f", "--"), ("reverse/f", "-")):
            points = [(n, r) for n, r in zip(rows["n"], rows[column]) if r is not None]
            if points:
                ns, ratios = zip(*points)
                left.plot(
                    ns, ratios, style, color=f"C{index}", marker="o", markersize=3,
                    label=f"{s.family.name} {column[:-2]}",
                )  # fmt: skip
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("n (inputs)")
    left.set_ylabel("ops(gradient) / ops(f)")
    left.set_title("Gradient cost over ops(f): forward (dashed) and reverse (solid)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=7)
    labels = [f"{n}→{m}" for n, m in zip(crossover["n"], crossover["m"])]
    right.plot(labels, crossover["forward ops"], "--o", label="forward (n passes)")
    right.plot(labels, crossover["reverse ops"], "-o", label="reverse (m sweeps)")
    right.set_yscale("log")
    right.set_xlabel("n → m")
    right.set_ylabel("operations")
    right.set_title("Jacobian of ℝⁿ → ℝᵐ, n·m fixed")
    right.grid(True, alpha=0.3)
    right.legend()
    _save(figure, path)


def _figure_network(rows: pd.DataFrame, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(7.5, 4.8))
    for column, style, label in (
        ("reverse/f", "-o", "reverse mode (one sweep)"),
        ("forward/f", "--o", "forward mode (one pass per weight)"),
        ("symbolic/f", ":o", "sympy's gradient, as trees"),
    ):
        points = [(w, r) for w, r in zip(rows["weights"], rows[column]) if r is not None]
        if points:
            weights, ratios = zip(*points)
            ax.plot(weights, ratios, style, markersize=4, label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("weights of the network")
    ax.set_ylabel("ops(gradient) / ops(f)")
    ax.set_title("The gradient of a tanh network, counted")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend()
    _save(figure, path)


def _figure_second(sweeps: Sequence[second_order.SecondSweep], swells: dict[str, swell.Sweep], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    for index, s in enumerate(sweeps):
        for column, style, what in (("hvp/f", "-", "H·v"), ("hessian fwd-rev/f", "--", "H fwd-rev"),
                                    ("hessian rev-rev/f", ":", "H rev-rev")):  # fmt: skip
            points = [(n, r) for n, r in zip(s.rows["n"], s.rows[column]) if r is not None]
            if points:
                ns, ratios = zip(*points)
                left.plot(
                    ns, ratios, style, color=f"C{index}", marker="o", markersize=3, label=f"{s.family.name} {what}"
                )
    left.set_xscale("log", base=2)
    left.set_yscale("log")
    left.set_xlabel("n (inputs)")
    left.set_ylabel("ops / ops(f)")
    left.set_title("H·v (solid) and the full Hessian over ops(f)")
    left.grid(True, alpha=0.3)
    left.legend(fontsize=6, ncol=2)
    for index, name in enumerate(("nested_sin", "logistic")):
        rows = swells[name].rows
        for column, style in (("sympy tree", "-"), ("hessian tree", "--")):
            points = [(k, v) for k, v in zip(rows["k"], rows[column]) if v is not None and v > 0]
            if points:
                ks, sizes = zip(*points)
                right.plot(ks, sizes, style, color=f"C{index}", marker="o", markersize=3, label=f"{name}: {column}")
    right.set_xscale("log", base=2)
    right.set_yscale("log")
    right.set_xlabel("k")
    right.set_ylabel("nodes")
    right.set_title("sympy's gradient (solid) and Hessian (dashed), as trees")
    right.grid(True, alpha=0.3)
    right.legend(fontsize=7)
    _save(figure, path)


def _figure_time(measured: Measurements, path: Path) -> None:
    """Counted (dashed) and timed (solid) ratios to f against n, a panel per program."""
    import matplotlib.pyplot as plt

    timings = measured.timings or []
    figure, axes = plt.subplots(1, len(timings), figsize=(4.6 * len(timings), 4.2), squeeze=False)
    for ax, timed in zip(axes.flat, timings):
        rows = timed.rows
        x = "width" if timed.name == "network" else "n"
        for index, (column, label) in enumerate(
            (("tape/f", "tape"), ("generated/f", "generated"), ("dual numbers/f", "dual numbers"), ("sympy/f", "sympy"))
        ):
            if column in rows and rows[column].notna().any():
                shown = rows[rows[column].notna()]
                ax.plot(shown[x], shown[column].astype(float), "o-", color=f"C{index}", label=f"{label}, timed")
        counted = measured.costs.get(timed.name)
        if counted is not None:
            for index, column in ((0, "reverse/f"), (1, "generated/f")):
                shown = counted.rows[counted.rows[column].notna()]
                ax.plot(shown["n"], shown[column].astype(float), "--", color=f"C{index}", label=f"{column}, counted")
        ax.set_xscale("log", base=2)
        ax.set_yscale("log")
        ax.set_xlabel(x)
        ax.set_title(timed.name)
        ax.grid(True, which="both", alpha=0.3)
    axes.flat[0].set_ylabel("time (or count) over f's")
    axes.flat[0].legend(fontsize=7)
    figure.tight_layout()
    _save(figure, path)


def _figure_memory(study: memory.MemoryStudy, path: Path) -> None:
    """The frontier of memory against recomputation at one n, √n and the plain tape marked; and what
    the plain tape keeps against n (measured peaks beside, when the study measured them)."""
    import matplotlib.pyplot as plt

    figure, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    frontier, n = study.frontier, study.settings.frontier_length
    measured = "peak" in frontier.columns and frontier["peak"].notna().any()
    for schedule, marker, color in (("binomial", "o", "C0"), ("every", "s", "C1")):
        rows = frontier[frontier["schedule"] == schedule].sort_values("kept at most")
        left.plot(
            rows["kept at most"].astype(float),
            rows["steps run again"].astype(float),
            marker=marker,
            color=color,
            label=f"{'binomial, s snapshots' if schedule == 'binomial' else 'every k-th state'} (kept, counted)",
        )
        if measured:
            left.plot(
                rows["peak"].astype(float),
                rows["steps run again"].astype(float),
                marker=marker,
                color=color,
                linestyle=":",
                fillstyle="none",
                label=f"{schedule} (peak, tracemalloc)",
            )
        for size, x, y in zip(rows["snapshots or k"], rows["kept at most"], rows["steps run again"]):
            left.annotate(
                f"{'s' if schedule == 'binomial' else 'k'}={size}",
                (float(x), float(y)),
                fontsize=7,
                xytext=(4, 3),
                textcoords="offset points",
            )
    plain = frontier[frontier["schedule"] == "all"].iloc[0]
    left.plot(
        [float(plain["kept at most"])],
        [0.0],
        marker="*",
        markersize=12,
        color="C3",
        linestyle="none",
        label="plain tape: every step kept",
    )
    root = math.isqrt(n - 1) + 1
    chosen = frontier[(frontier["schedule"] == "every") & (frontier["snapshots or k"] == root)]
    if len(chosen):
        left.plot(
            chosen["kept at most"].astype(float),
            chosen["steps run again"].astype(float),
            marker="s",
            markersize=11,
            fillstyle="none",
            color="k",
            linestyle="none",
            label=f"√n: k = {root}",
        )
    left.set_xscale("log")
    left.set_yscale("symlog", linthresh=100)
    left.set_ylim(0, 3 * float(frontier["steps run again"].max()))
    left.set_xlabel("bytes kept at most for the backward sweep")
    left.set_ylabel("steps run again")
    left.set_title(f"{study.settings.frontier_loop}, n = {n:,}: memory against recomputation")
    left.grid(True, which="major", alpha=0.3)
    left.legend(fontsize=7)
    methods = study.methods
    for index, name in enumerate(dict.fromkeys(methods["program"])):
        rows = methods[methods["program"] == name]
        sizes = [int(size.split()[-1]) for size in rows["size"]]
        right.plot(sizes, rows["kept bytes"].astype(float), marker="o", color=f"C{index}", label=f"{name}: tape kept")
        if "reverse peak" in rows.columns and rows["reverse peak"].notna().any():
            right.plot(sizes, rows["reverse peak"].astype(float), linestyle=":", color=f"C{index}")
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlabel("n (inputs; steps of a loop) or width (network)")
    right.set_ylabel("bytes")
    right.set_title("What the plain tape keeps, counted")
    right.grid(True, which="major", alpha=0.3)
    right.legend(fontsize=7)
    _save(figure, path)


def draw_figures(measured: Measurements, folder: Path) -> list[Path]:
    """Draw the report's figures into ``folder``; return their paths (the times' only if measured)."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in ("swell", "cost", "network", "second")}
    _figure_swell(list(measured.swells.values()), paths["swell"])
    _figure_cost(list(measured.costs.values()), measured.crossover, paths["cost"])
    _figure_network(measured.network.rows, paths["network"])
    _figure_second(list(measured.second.values()), measured.swells, paths["second"])
    if measured.timings:
        paths["time"] = folder / "time.png"
        _figure_time(measured, paths["time"])
    if measured.memory is not None:
        paths["memory"] = folder / "memory.png"
        _figure_memory(measured.memory, paths["memory"])
    return (
        list(paths.values())
        + sgd_figures(measured.lecture_projects, folder)
        + draw_gradbench(measured.gradbench, folder / "gradbench.png")
    )


# ---------------------------------------------------------------- the lecture's two projects


def _figure_sampling(study: sgd.Study, path: Path) -> None:
    import matplotlib.pyplot as plt

    sizes = study.settings.sizes
    figure, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4.5), squeeze=False)
    for ax, size in zip(axes.flat, sizes):
        for index, scheme in enumerate(sampling.SCHEMES):
            curve = study.averages_for(size, scheme)
            drawn = curve.errors > 0  # log axes: the exact zero at k = N is marked, not drawn
            ax.plot(curve.k[drawn], curve.errors[drawn], color=f"C{index}", label=f"{scheme} replacement")
            ax.plot(curve.k, curve.predicted(), "--", color=f"C{index}", linewidth=1, label=f"{scheme}: predicted")
        last = study.averages_for(size, "without")
        ax.annotate(
            "error 0 at k = N", xy=(size, last.errors[-2]), xytext=(size / 8, last.errors[-2]),
            arrowprops={"arrowstyle": "->"}, fontsize=8,
        )  # fmt: skip
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("k, samples averaged")
        ax.set_ylabel("mean |running average − μ|")
        ax.set_title(f"N = {size:,}, {study.settings.trials:,} trials")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=8)
    figure.suptitle(
        "Project 1: the running average's mean absolute error (dashed: the central limit theorem's)", wrap=True
    )
    _save(figure, path)


def _contours(ax: Any, problem: sgd.LeastSquares, low: np.ndarray, high: np.ndarray) -> None:
    """Level sets of f over the box [low, high], spaced geometrically above f(x*)."""
    xs, ys = np.meshgrid(np.linspace(low[0], high[0], 200), np.linspace(low[1], high[1], 200))
    residuals = problem.a[:, 0, None, None] * xs + problem.a[:, 1, None, None] * ys - problem.b[:, None, None]
    values = 0.5 * np.sum(residuals**2, axis=0)
    floor = float(values.min())
    levels = floor + np.geomspace(1e-2, 1, 10) * (float(values.max()) - floor)
    ax.contour(xs, ys, values, levels=levels, colors="0.8", linewidths=0.7)


def _path_panels(whole: Any, near: Any, study: sgd.Study) -> None:
    """The 2-D problem: the paths from the start, and the wandering near x*."""
    import matplotlib.pyplot as plt

    problem = study.problems[2]
    runs = [study.run(2, scheme, "constant") for scheme in sgd.SCHEMES] + [study.run(2, sgd.FULL, sgd.FULL_RULE)]
    points = np.vstack([r.iterates for r in runs])
    reach = 3 * problem.stationary_rms
    boxes = ((points.min(axis=0) - 1, points.max(axis=0) + 1), (problem.x_star - reach, problem.x_star + reach))
    for ax, (low, high) in zip((whole, near), boxes):
        _contours(ax, problem, low, high)
        for index, r in enumerate(runs):
            style = {"marker": "o", "markersize": 3} if r.scheme == sgd.FULL else {"linewidth": 0.6}
            ax.plot(r.iterates[:, 0], r.iterates[:, 1], color=f"C{index}", label=f"{r.scheme}, {r.rule}", **style)
        ax.add_patch(plt.Circle(problem.x_star, problem.stationary_rms, fill=False, linestyle="--", color="k"))
        ax.plot(*problem.x_star, "k*", markersize=10, label="x*")
        ax.set_xlim(low[0], high[0])
        ax.set_ylim(low[1], high[1])
        ax.set_aspect("equal")
    whole.plot(*problem.start, "ks", markersize=5, label="start")
    whole.set_title("2-D: from the start")
    whole.legend(fontsize=7, loc="upper right")
    near.set_title("2-D: near x* (dashed: the disc of radius ρ)")


def _figure_confusion(study: sgd.Study, path: Path) -> None:
    import matplotlib.pyplot as plt

    problem = study.problems[1]
    low, high = problem.interval or (0.0, 0.0)
    figure, (left, middle, right) = plt.subplots(1, 3, figsize=(17, 5.4), width_ratios=[1.3, 1, 1])
    left.axhspan(low, high, color="0.9", label="region of confusion [min bᵢ/aᵢ, max bᵢ/aᵢ]")
    left.axhline(float(problem.x_star[0]), color="k", linewidth=0.8, label="x*")
    for index, scheme in enumerate(sgd.SCHEMES):
        r = study.run(1, scheme, "constant")
        left.plot(r.iterations, r.iterates[:, 0], color=f"C{index}", linewidth=0.8, label=f"{scheme}, constant step")
    full = study.run(1, sgd.FULL, sgd.FULL_RULE)
    # Full-gradient descent stays where it is until it has spent m sample gradients on a step.
    left.plot(full.iterations, full.iterates[:, 0], "o", color="C2", markersize=3, drawstyle="steps-post")
    left.plot(full.iterations, full.iterates[:, 0], color="C2", drawstyle="steps-post", label="full gradient, 1/L")
    left.set_xscale("symlog", linthresh=1)
    left.set_xlim(0, full.iterations[-1])
    left.set_xlabel("sample gradients")
    left.set_ylabel("x")
    left.set_title("1-D: a fast start, then wandering in the region")
    left.legend(fontsize=8, loc="center right")
    _path_panels(middle, right, study)
    figure.suptitle("Project 2: SGD on least squares, ½ Σ (aᵢᵀx − bᵢ)², constant steps", wrap=True)
    _save(figure, path)


def _below_floor(ax: Any, run: sgd.Descent) -> None:
    """Say where a distance below the axis went, rather than let it look like the floor."""
    below = np.flatnonzero(run.distances < sgd.DISTANCE_FLOOR)
    if len(below):
        t = int(run.iterations[below[0]])
        ax.annotate(
            f"{run.distances[below[0]]:.0e} after {t} sample gradients", xy=(t, sgd.DISTANCE_FLOOR),
            xytext=(t / 10, 3 * sgd.DISTANCE_FLOOR), arrowprops={"arrowstyle": "->"}, fontsize=7, color="C2",
        )  # fmt: skip


def _figure_distance(study: sgd.Study, path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, len(study.runs), figsize=(13, 4.8))
    for ax, (dimension, runs) in zip(axes, study.runs.items()):
        for r in runs:
            if r.scheme == sgd.FULL:
                ax.plot(r.iterations, r.distances, "o-", color="C2", markersize=3, drawstyle="steps-post",
                        label=f"{r.scheme}, {r.rule}")  # fmt: skip
                _below_floor(ax, r)
            else:
                style = ["-", "--", ":"][sgd.STEP_RULES.index(r.rule)]
                color = f"C{sgd.SCHEMES.index(r.scheme)}"
                ax.plot(r.iterations, r.trailing_rms(sgd.SMOOTHING), style, color=color, linewidth=0.9,
                        label=f"{r.scheme}, {r.rule}")  # fmt: skip
        ax.axhline(study.problems[dimension].stationary_rms, color="k", linewidth=0.6, label="ρ")
        ax.set_xscale("symlog", linthresh=1)
        ax.set_xlim(0, runs[0].iterations[-1])
        ax.set_yscale("log")
        ax.set_ylim(bottom=sgd.DISTANCE_FLOOR)
        ax.set_xlabel("sample gradients")
        ax.set_ylabel("|x − x*|, rms over the last fifth of the iterates")
        ax.set_title(f"{dimension}-D")
        ax.grid(True, which="major", alpha=0.3)
        ax.legend(fontsize=7)
    figure.suptitle("Project 2: distance to x*; full-gradient descent spends m sample gradients on a step", wrap=True)
    _save(figure, path)


def sgd_figures(study: sgd.Study, folder: Path) -> list[Path]:
    """Draw the two projects' figures into ``folder``; return their paths."""
    drawings = {"sgd_sampling": _figure_sampling, "sgd_confusion": _figure_confusion, "sgd_distance": _figure_distance}
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, draw in drawings.items():
        paths.append(folder / f"{name}.png")
        draw(study, paths[-1])
    return paths

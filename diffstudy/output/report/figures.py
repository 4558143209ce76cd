"""The report's figures, drawn with matplotlib from the measurements (no measuring here)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from ...studies import cost, second_order, swell
from .measure import Measurements


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
    figure.suptitle("Sizes of each representation of the value and gradient")
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


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
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


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
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


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
    figure.tight_layout()
    figure.savefig(path, dpi=100, metadata={"Software": None})
    plt.close(figure)


def draw_figures(measured: Measurements, folder: Path) -> list[Path]:
    """Draw the report's figures into ``folder``; return their paths."""
    import matplotlib

    matplotlib.use("Agg")
    folder.mkdir(parents=True, exist_ok=True)
    paths = {name: folder / f"{name}.png" for name in ("swell", "cost", "network", "second")}
    _figure_swell(list(measured.swells.values()), paths["swell"])
    _figure_cost(list(measured.costs.values()), measured.crossover, paths["cost"])
    _figure_network(measured.network.rows, paths["network"])
    _figure_second(list(measured.second.values()), measured.swells, paths["second"])
    return list(paths.values())

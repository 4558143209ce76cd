"""REPORT.md's text: every table and every sentence's numbers inserted from the measurements.

None of the numbers is typed by hand, and every statement is conditioned on what was measured:
if a bound were broken, the sentence would say so.
"""

from __future__ import annotations

import math
import shlex
from dataclasses import replace
from typing import Any

import pandas as pd
import sympy

from ...harness.compare import failed
from ...studies import cost, memory, network, primitive_cost, sampling, second_order, sgd, swell, timing
from ...studies.growth import growth
from ...studies.section import Section
from ..compare_view import compare_view
from ..graph_view import node_table, to_mermaid
from ..tables import display, format_number, render
from .gradbench import gradbench_part
from .machine import timed
from .measure import Measurements

SLOPE_TOLERANCE = 0.05  # how near −1/2 a fitted slope must be for the text to call it k^(−1/2)


def _table(frame: pd.DataFrame) -> str:
    return render(display(frame), "markdown")


def _section(part: Section, level: str = "###") -> str:
    notes = "\n".join(f"* {n}" for n in part.notes)
    return "\n\n".join(p for p in (f"{level} {part.title}", _table(part.frame), notes) if p)


def _row(frame: pd.DataFrame, **where: Any) -> pd.Series:
    mask = pd.Series(True, index=frame.index)
    for column, value in where.items():
        mask &= frame[column] == value
    return frame[mask].iloc[0]


def _compare_part(m: Measurements) -> str:
    table, notes = compare_view(m.compared)
    ok = m.compared[m.compared["status"] == "ok"]
    exact = ok[ok["exact"] & (ok["reference"] == "sympy")]
    inexact = ok[~ok["exact"].astype(bool) & ok["agreement"].notna()]
    worst = max(float(a) for a in inexact["agreement"]) if len(inexact) else 0.0
    summary = (
        f"{len(m.cases)} cases, {len(m.compared)} (case, method) pairs. Every method that ran agrees with "
        f"sympy's exact value: {len(exact)} results are the same rational number as sympy's, and the "
        f"largest relative difference of the floating-point ones is {worst:.1e}. The symbolic method "
        f"declines the data-dependent branch ({(m.compared['status'] == 'declined').sum()} row), as it must."
    )
    return "\n\n".join(
        [
            "## 1. One program, four methods",
            "`python -m diffstudy compare` on the built-in cases (`cases/`). **ops** counts the arithmetic "
            "operations and elementary-function calls each method performed, measured on counting numbers; "
            "**ops/f** divides by those of the function itself. Symbolic ops evaluate sympy's value and "
            "derivative expressions as trees, **cse ops** after `sympy.cse`; forward ops are all n passes of "
            "dual numbers; reverse ops are the recording sweep plus the backward sweep; generated ops are "
            "the derivative written out as code (`python -m diffstudy code CASE`) run once per output entry, "
            "each run f's forward sweep and the adjoints. **size** is tree nodes (symbolic), tape length "
            "(reverse) or statements of the code (generated).",
            render(table, "markdown"),
            "\n".join(notes),
            summary,
            *_user_compare(m),
        ]
    )


def _cases_option(m: Measurements) -> str:
    """``--cases PATH …``: how the user's cases were given, or nothing when there are none."""
    return "".join(f" --cases {shlex.quote(path)}" for path in m.user.paths) if m.user else ""


def _user_compare(m: Measurements) -> list[str]:
    """The user's cases compared as the built-in ones are, in a table of their own."""
    if m.user is None or m.user.compared is None:
        return []
    compared = m.user.compared
    table, notes = compare_view(compared)
    verdict = (
        "Some methods failed or disagreed: see the status column and the notes."
        if failed(compared)
        else "Every method that ran agrees with its reference, sympy's exact value where sympy ran."
    )
    cases = compared["case"].nunique()
    parts = [
        "### Your cases",
        f"`{_cases_option(m).strip()}`: {cases} case{'s' if cases > 1 else ''}, {len(compared)} (case, method) "
        f"pairs, measured as the built-in ones are. {verdict}",
        render(table, "markdown"),
        "\n".join(notes),
    ]
    return [part for part in parts if part]


def _user_families(m: Measurements, parts: list[Section]) -> list[str]:
    """The user's families in a study's section: their tables, one heading level down."""
    if not parts:
        return []
    return [
        "### Your families",
        f"`{_cases_option(m).strip()}`, swept with the same limits as the families above.",
        *(_section(_side_by_side(part), "####") for part in parts),
    ]


def _graph_part(m: Measurements) -> str:
    parts = ["## 2. The lecture's example and Problem 5 as computational graphs"]
    for name, title, hand in (
        (
            "lecture27",
            "Lecture 27: F = x³(x + 3y) at (x, y) = (2, 3)",
            "In the lecture, c = x³ = 8 and s = x + 3y = 11 give F = 88; forward along x, "
            "∂F/∂x = s·3x² + c·1 = 132 + 8 = 140, and ∂F/∂y = c·3 = 24 needs a second forward pass.",
        ),
        (
            "problem5",
            "Problem 5 (Section VII.2): f(x, y) = x³(x − y) at (2, 3)",
            "By hand: x³ = 8 and x − y = −1, so f = −8; ∂f/∂x = 3x²(x − y) + x³ = −12 + 8 = −4 and ∂f/∂y = −x³ = −8.",
        ),
    ):
        g = m.graphs[name]
        nodes = g.nodes.set_index("name")
        output = g.nodes[g.nodes["is_output"]].iloc[0]
        inputs = m.cases[name].inputs
        gradient = ", ".join(f"∂f/∂{i} = {format_number(nodes.loc[i, 'adjoint_f'])}" for i in inputs)
        parts += [
            f"### {title}",
            hand,
            f"Recorded on the tape (`python -m diffstudy graph {name} --format mermaid`): each node "
            "shows its value and, after one backward sweep, its adjoint ∂f/∂node; each edge carries the local "
            "partial derivative of its head with respect to its tail. The sweep gives "
            f"f = {format_number(output['value'])} and {gradient} at once, every adjoint being the sum over the "
            "node's outgoing edges of (edge partial × adjoint of the head).",
            "```mermaid\n" + to_mermaid(g, tangents=False) + "\n```",
            "The same graph as a table, with the forward-mode tangents of both passes beside the adjoints "
            "of the one backward sweep (`--tangents`):",
            render(node_table(g), "markdown"),
        ]
    return "\n\n".join(parts)


def _side_by_side(part: Section) -> Section:
    """The growth table with a column per family, as a reader compares them (the data stay tidy)."""
    if part.key != "growth":
        return part
    wide = part.frame.pivot(index="measure", columns="family", values="growth")
    order = list(dict.fromkeys(part.frame["measure"]))
    wide = wide.loc[order, list(dict.fromkeys(part.frame["family"]))].reset_index()
    wide.columns.name = None
    return Section(part.key, part.title, wide, part.notes)


def _swell_part(m: Measurements) -> str:
    growth = m.swells["logistic"].growth
    logistic = m.swells["logistic"].rows
    last = logistic.dropna(subset=["sympy tree"]).iloc[-1]
    k = int(last["k"])
    parts = [
        "## 3. Expression swell, and where it comes from",
        "`python -m diffstudy swell`. Each family is swept upwards until sympy's derivative passes "
        f"{m.settings.swell_limits.budget.nodes:,} nodes"
        + "".join(f"; {name} stops at k = {k}" for name, k in m.settings.swell_max_k.items())
        + ". Every size counts the nodes of the value and gradient together; every ops column is a count on "
        "counting numbers. `sympy.expand` is tried up to "
        f"{m.settings.swell_limits.expand_nodes:,} nodes and `sympy.simplify` up to "
        f"{m.settings.swell_limits.simplify_nodes:,} (simplify took minutes on nested sin at k = 16).",
        _section(swell.sections([], m.survey)[0]),
    ]
    parts += [_section(_side_by_side(part)) for part in swell.sections(list(m.swells.values()))]
    parts.append("![Sizes against k, log scale](figures/swell.png)")
    where = (
        "**Where the swell comes from.** The tape run on sympy symbols (rewriting off) *is* a symbolic "
        "derivative: the same expression, kept as a DAG in which a value used twice is one node. For the "
        f"logistic map at k = {k}, that DAG has {last['tape dag']:,} nodes, beside a tape of "
        f"{last['tape length']:,} entries; written out as a tree, the very same expression has "
        f"{last['tape tree']:,} nodes, and sympy's own derivative tree {last['sympy tree']:,}. The derivative "
        "did not swell; turning a DAG into a tree did (Laue, 2019). `sympy.cse` recovers much of the "
        f"sharing ({last['sympy cse']:,} nodes) but, fitted over k, it grows "
        f"{growth['sympy cse'].phrase} while the tape DAG grows {growth['tape dag'].phrase}."
    )
    yours = swell.sections(list(m.user.swells.values())) if m.user and m.user.swells else []
    return "\n\n".join([*parts, where, *_user_families(m, yours)])


def _cost_part(m: Measurements) -> str:
    limits = m.settings.cost_limits
    parts = [
        "## 4. The cost of a gradient",
        "`python -m diffstudy cost`. Operations of the gradient divided by those of f, for n = 1, 2, 4, …, "
        f"1024. A method is not run at larger n once it counted more than {limits.max_ops:,} "
        f"operations; sympy's gradient is measured up to n = {limits.symbolic_max_n}"
        + "".join(f"; {name} stops at n = {n}" for name, n in m.settings.cost_max_n.items())
        + ".",
    ]
    parts += [_section(part) for part in cost.sections(list(m.costs.values()), m.crossover, m.primitives)]
    parts.append("![Ratios to ops(f) against n, and the Jacobian crossover](figures/cost.png)")
    parts.append(_cheap_gradient(m))
    yours = cost.sections(list(m.user.costs.values())) if m.user and m.user.costs else []
    return "\n\n".join([*parts, *_user_families(m, yours)])


def _cheap_gradient(m: Measurements) -> str:
    """The cheap gradient principle, stated as far as the measured ratios bear it out."""
    largest, worst_mul = m.largest_reverse, m.worst_reverse_mul
    worst, worst_name = primitive_cost.bound(m.primitives)
    ratios = m.primitives["reverse/own"].astype(float)
    cheapest = ratios.min()
    cheap_name = ", ".join(dict.fromkeys(m.primitives.loc[ratios == cheapest, "primitive"]))
    ratios = m.reverse_ratios_from_two()
    rows = m.costs["speelpenning"].rows
    speelpenning = rows[rows["forward/f"].notna()].iloc[-1]  # the largest n forward mode was run at
    equality = " (met with equality by Speelpenning's product, whose n − 1 products cost 2(n − 1) more on the way back)"
    baur_strassen = (
        "within Baur and Strassen's bound of 3" + (equality if worst_mul == 3 else "")
        if worst_mul <= 3
        else "above Baur and Strassen's bound of 3"
    )
    griewank_walther = (
        "every ratio here is within that." if largest.ratio <= 5 else f"the ratio {largest.ratio:.2f} is above 5."
    )
    return (
        f"**The cheap gradient principle, measured.** The largest reverse/f ratio over every function and n is "
        f"**{largest.ratio:.3f}** ({largest.function}, n = {largest.n}); from n = 2 on, every ratio lies between "
        f"{min(ratios):.2f} and {max(ratios):.2f}, whatever n. Counting multiplications only, reverse mode never "
        f"exceeds {worst_mul:.2f} times those of f: {baur_strassen}. Griewank and Walther bound the whole gradient "
        "by a small constant times ops(f) — typically 2 to 3, below 5 or 6 in their complexity model; "
        f"{griewank_walther} Forward mode, one pass per input, costs {float(speelpenning['forward/f']):,.0f} times "
        f"f for Speelpenning's product of {int(speelpenning['n']):,} inputs.\n\n"
        f"**Primitive by primitive.** One step of reverse mode costs between {cheapest:g} ({cheap_name}) and "
        f"{worst:g} ({worst_name}) operations per operation of f, counted in the table above; a program's "
        f"reverse/f is a weighted average of its steps' ratios (plus the seed), so no program of these "
        f"primitives exceeds {worst:g}. The functions measured here are made of the cheap ones, hence "
        f"{largest.ratio:.2f} at most; a program of powers and quotients would sit near {worst:g}."
    )


def _network_part(m: Measurements) -> str:
    rows = m.network.rows
    reverse = rows.dropna(subset=["reverse/f"])
    forward = rows.dropna(subset=["forward/f"])
    largest = reverse.iloc[-1]
    low, high = min(float(r) for r in reverse["reverse/f"]), max(float(r) for r in reverse["reverse/f"])
    tapes = sorted(set(int(t) for t in reverse["tape length"]))
    chain = m.linear_chain
    loss_side = all(row[network.REVERSE_COUNTED] == row[network.LOSS_SIDE] for _, row in chain.iterrows())
    input_side = all(row[network.FORWARD_COUNTED] == row[network.INPUT_SIDE] for _, row in chain.iterrows())
    parts = [
        "## 5. Backpropagation through a network",
        "`python -m diffstudy cost --function network`. A tanh network of depth "
        f"{m.settings.network.depth} on a batch of {m.settings.network.batch}, swept over its width; its inputs are "
        "its weights. Every array operation is counted as the scalar operations it performs (an (m×n)(n×p) "
        "product is mnp multiplications and m(n−1)p additions), so these counts are those of the same network "
        "written with scalar loops; the tests check that by running both.",
        *(_section(part) for part in network.sections(m.network, m.linear_chain)),
        "![Ratios to ops(f) against the number of weights](figures/network.png)",
        f"**One sweep, whatever the number of weights.** From {int(reverse['weights'].iloc[0]):,} to "
        f"{int(largest['weights']):,} weights, reverse mode costs between {low:.2f} and {high:.2f} times f, and its "
        f"tape has {', '.join(map(str, tapes))} entries at every width: one per array operation, not one per "
        f"number. Forward mode, one pass per weight, costs {float(forward['forward/f'].iloc[-1]):,.0f} times f at "
        f"{int(forward['weights'].iloc[-1]):,} weights and grows with their number; sympy's gradient passes its "
        "budget first.",
        "**Why: the order of the chain.** "
        + (
            "On every chain above, reverse mode's multiplications beyond f's are exactly the seed's n_L and the "
            "chain cost of uᵀW_L⋯W₁ taken from the loss side — a row vector times a matrix at every step — while "
            "forward mode's are exactly the cost of W_L(⋯(W₁I)) from the input side, a matrix times a matrix. "
            "This is the lecture's rule: never multiply two big matrices when a vector will do."
            if loss_side and input_side
            else "On some chain above the counted multiplications and the chain costs differ: see the table."
        ),
    ]
    return "\n\n".join(parts)


def _hessian_swell(m: Measurements) -> str:
    """sympy's Hessian beside its gradient on the swell families, at the first and last k where
    both were measured, stated only as far as the sizes bear it out."""
    phrases, growing = [], True
    for name in ("nested_sin", "logistic"):
        rows = m.swells[name].rows.dropna(subset=["hessian tree"])
        rows = rows[rows["k"] >= 2]
        first, last = rows.iloc[0], rows.iloc[-1]
        ratios = [row["hessian tree"] / row["sympy tree"] for row in (first, last)]
        growing &= ratios[1] > ratios[0] > 1
        phrases.append(
            f"{name}, k = {int(first['k'])} to {int(last['k'])}: from {ratios[0]:.1f} to {ratios[1]:.1f} times the "
            f"gradient's tree ({int(last['hessian tree']):,} nodes against {int(last['sympy tree']):,})"
        )
    heading = "sympy's Hessian swells faster than its gradient." if growing else "sympy's Hessian beside its gradient."
    return (
        f"**{heading}** `python -m diffstudy swell` sizes both (the hessian columns of section 3): "
        + "; ".join(phrases)
        + "."
    )


def _second_part(m: Measurements) -> str:
    low, high = second_order.hvp_range(list(m.second.values()))
    largest = {name: s.rows.dropna(subset=["hvp/f"]).iloc[-1] for name, s in m.second.items()}
    at_largest = ", ".join(f"{name} {float(row['hvp/f']):.2f} (n = {int(row['n'])})" for name, row in largest.items())
    rosenbrock = m.second["rosenbrock"].rows.dropna(subset=["hessian rev-rev/f"])
    banded = [float(r) for r in rosenbrock["hessian rev-rev/f"]]
    full = m.second["speelpenning"].rows.dropna(subset=["hessian fwd-rev/f"])
    full_growth = growth(list(full["n"]), list(full["hessian fwd-rev/f"]))
    table, notes = compare_view(m.hessians)
    ok = m.hessians[m.hessians["status"] == "ok"]
    exact = ok[ok["exact"].astype(bool) & (ok["reference"] == "sympy")]
    parts = [
        "## 6. Second derivatives",
        "`python -m diffstudy compare --order 2` gives the Hessian four ways: sympy's (its gradient "
        "differentiated once more), and the two modes nested — forward over forward (n² passes), forward over "
        "reverse (n passes around a recording and a sweep) and reverse over reverse (the recording and sweep "
        "recorded on an outer tape, then n outer sweeps). Each pass and tape has its own level, so an inner "
        "derivative never absorbs an outer perturbation: d/dx [x · d/dy (x + y)] is 1, not 2, in every "
        f"nesting (tests/test_second.py). On {len(m.settings.compared_second)} of the built-in cases:",
        render(table, "markdown"),
        "\n".join(notes),
        f"{len(exact)} Hessians of the nested modes are the same rational numbers as sympy's. At the ReLU "
        "unit's kink sympy's second derivative holds DiracDelta(0), which is no number, and the symbolic "
        "method says so; the nested modes give 0, the second derivative on either side, and note the kink.",
        "`python -m diffstudy cost --order 2` sweeps the cost study's functions over n: one Hessian-vector "
        "product H·v (forward over reverse, v all ones), the full Hessian both ways while n ≤ "
        f"{m.settings.second.hessian_max_n}, and sympy's while n ≤ {m.settings.second.symbolic_max_n}.",
        *(_section(part) for part in second_order.sections(list(m.second.values()))),
        "![Second derivatives: H·v and the full Hessian over ops(f) against n; sympy's Hessian against its "
        "gradient](figures/second.png)",
        f"**A Hessian-vector product costs a constant times f.** From n = 2 to the largest n, H·v costs between "
        f"{low:.2f} and {high:.2f} times f, whatever n — at the largest n: {at_largest}. This is Pearlmutter's "
        "(1994) result, measured: H·v is the directional derivative of the gradient, one forward pass through "
        "the recording and the sweep.",
        "**The full Hessian is n such products,** and forward over reverse pays all of them: over ops(f) it "
        f"grows {full_growth.phrase_in('n')} for Speelpenning's product, whose Hessian is dense. "
        + (
            f"Reverse over reverse sweeps its outer tape once per gradient entry, and a sweep touches only what "
            f"that entry depends on: on the extended Rosenbrock function, whose Hessian is banded, it costs "
            f"{banded[0]:.3f} times f at every n measured, up to n = {int(rosenbrock['n'].iloc[-1])}."
            if max(banded) - min(banded) < 1e-9
            else "Reverse over reverse, sweeping once per gradient entry, costs "
            f"{min(banded):.2f} to {max(banded):.2f} times f on the extended Rosenbrock function."
        ),
        _hessian_swell(m),
    ]
    return "\n\n".join(parts)


def _chain_part(m: Measurements) -> str:
    parts = ["## 7. The order of a product", "`python -m diffstudy chain`."]
    parts += [_section(part) for part in m.chains.values()]
    problem2 = m.chain_table("problem2")
    big = _row(problem2, m=1000, n=10)
    problem2_counted_as_formula = all(
        row[f"{order} counted"] in (None, row[formula])
        for _, row in problem2.iterrows()
        for order, formula in (("A(AᵀA)", "2mn²"), ("(AAᵀ)A", "2m²n"))
    )
    modes = m.chain_table("modes")
    parts.append(
        "**Problem 2, answered.** For A of m×n with m > n, A(AᵀA) first forms the small n×n matrix AᵀA "
        "(mn² multiplications) and then multiplies A by it (mn²): 2mn² in all. (AAᵀ)A forms the large m×m "
        "matrix AAᵀ (m²n) and multiplies it by A (m²n): 2m²n. So A(AᵀA) is faster by the factor m/n — "
        f"{float(big['ratio']):g} times for m = 1000, n = 10 — and "
        + (
            "the counted multiplications equal 2mn² and 2m²n wherever they were counted."
            if problem2_counted_as_formula
            else "some counted multiplications differ from 2mn² and 2m²n: see the table."
        )
    )
    matched = all(
        row["forward derivative mul"] == row["J₁ + cost from the input side"]
        and row["reverse derivative mul"] == row["J_L + cost from the output side"]
        for _, row in modes.iterrows()
    )
    parts.append(
        "**Forward and reverse mode are two orders of one chain.** The Jacobian of F_L∘…∘F₁ is J_L···J₁. "
        "Forward mode's pass along input j carries e_j through J₁, J₂, … — multiplying from the input side; "
        "reverse mode's sweep for output k carries e_k back through J_L, J_{L−1}, … — from the output side. "
        + (
            "On every shape above, the measured derivative multiplications equal the chain costs of those "
            "two orders exactly."
            if matched
            else "On some shape above the measured counts and the chain costs differ: see the table."
        )
    )
    return "\n\n".join(parts)


def _swell_heading(swells: dict[str, swell.Sweep]) -> str:
    """The finding's heading, stated only as far as the fitted growth laws bear it out."""
    kinds = {name: s.growth["sympy tree"].kind for name, s in swells.items()}
    reusing = kinds["logistic"] == kinds["chebyshev"] == "exponential"
    chains = all(kinds[name] in ("power", "linear", "quadratic") for name in ("nested_sin", "speelpenning"))
    if reusing and chains:
        return "Swell is exponential only where the program reuses values."
    return "How sympy's derivative grows."


def _swell_findings(m: Measurements) -> list[str]:
    """The findings on swell: how sympy's derivative grows, and how the tape does not."""
    logistic, chebyshev = m.swells["logistic"].growth, m.swells["chebyshev"].growth
    return [
        f"* **{_swell_heading(m.swells)}** The logistic map's derivative "
        f"tree grows {logistic['sympy tree'].phrase}, Chebyshev's recurrence "
        f"{chebyshev['sympy tree'].phrase} (its own tree {chebyshev['f tree'].phrase}: the golden ratio), "
        f"although its expanded derivative grows only {chebyshev['expanded'].phrase}. A chain (nested sin) "
        f"and a product (Speelpenning) swell {m.swells['nested_sin'].growth['sympy tree'].phrase} "
        f"and {m.swells['speelpenning'].growth['sympy tree'].phrase}.",
        f"* **The tape does not swell.** Its DAG grows {logistic['tape dag'].phrase} for the logistic "
        f"map, as the tape itself grows {logistic['tape length'].phrase}. CSE after the fact does not "
        f"fully recover it: it grows {logistic['sympy cse'].phrase}; the sharing is cheapest kept, not "
        "rediscovered.",
    ]


def _cost_findings(m: Measurements) -> list[str]:
    """The findings on cost: reverse mode's constant, the Jacobian crossover, the order of a product."""
    largest, crossover, lecture = m.largest_reverse, m.crossover, m.chain_table("lecture")
    switch = crossover[crossover["cheaper"] == "reverse"].iloc[0]
    before = crossover[crossover["cheaper"] == "forward"].iloc[-1]
    return [
        f"* **Reverse mode's cost is a constant times f.** The largest reverse/f ratio is {largest.ratio:.3f} "
        f"({largest.function}, n = {largest.n}); forward/f grows {m.forward_growth.phrase_in('n')} (Speelpenning).",
        f"* **Jacobians: n against m.** With n·m = {int(crossover['n'].iloc[-1])}, forward mode is cheaper "
        f"up to n = {int(before['n'])} (m = {int(before['m'])}), reverse mode from n = {int(switch['n'])} "
        f"(m = {int(switch['m'])}).",
        f"* **Order matters.** The lecture's A(BC) costs {int(_row(lecture, order='A(BC)')['multiplications']):,} "
        f"multiplications against {int(_row(lecture, order='(AB)C')['multiplications']):,} for (AB)C.",
    ]


def _second_finding(m: Measurements) -> str:
    """What the second-order measurements show, in one line."""
    low, high = second_order.hvp_range(list(m.second.values()))
    agree = not failed(m.hessians)
    return f"* **Second derivatives.** A Hessian-vector product costs {low:.2f} to {high:.2f} times f whatever n; " + (
        "the Hessians of the nested modes agree with sympy's on every case compared, exactly where rational."
        if agree
        else "some Hessians failed or disagreed: see section 6."
    )


def _literature_finding(m: Measurements) -> str:
    """What the measurements say of Baur–Strassen, Griewank–Walther, and CSE as a cure for swell."""
    logistic = m.swells["logistic"].growth
    within_bounds = m.worst_reverse_mul <= 3 and m.largest_reverse.ratio <= 5
    cse, dag = logistic["sympy cse"], logistic["tape dag"]
    cse_lags = cse.kind != "exponential" and cse.degree > dag.degree + 0.5
    bounds = (
        "Nothing measured here contradicts Baur–Strassen (multiplications of the gradient ≤ 3 × those of "
        "f) or Griewank–Walther (the gradient a small constant times f). "
        if within_bounds
        else "A measured ratio lies above the bounds of Baur–Strassen or Griewank–Walther (see section 4). "
    )
    shorthand = (
        "One common shorthand is contradicted: that common-subexpression elimination removes expression "
        f"swell. It removes the exponential part, but sympy's derivative after CSE still grows "
        f"{cse.phrase} on the logistic map while the tape grows {dag.phrase}: the product rule has already "
        "duplicated what the program shared."
        if cse_lags
        else "CSE recovers the tape's sharing on every family measured here."
    )
    return "* **Against the literature.** " + bounds + shorthand


def _findings(m: Measurements) -> str:
    agreement = (
        "All four methods agree on every built-in case (the symbolic method declining only the "
        "data-dependent branch); rational cases agree exactly."
        if not failed(m.compared)
        else "Some methods failed or disagreed on the built-in cases: see section 1."
    )
    return "\n".join(
        ["## 12. Findings", "", "* **Agreement.** " + agreement]
        + _swell_findings(m)
        + _cost_findings(m)
        + [_second_finding(m), _literature_finding(m)]
    )


def _sampling_findings(study: sgd.Study) -> str:
    """What project 1 shows, each statement conditioned on the fitted slopes and the errors at k = N."""
    sizes = study.settings.sizes
    with_, without = ([study.averages_for(n, scheme) for n in sizes] for scheme in sampling.SCHEMES)
    tails = [a.slope(a.size // 10, a.size - 1) for a in with_]
    law = (
        "as the central limit theorem's σ/√k has it"
        if all(abs(t + 0.5) <= SLOPE_TOLERANCE for t in tails)
        else f"not within {SLOPE_TOLERANCE} of the −1/2 of σ/√k"
    )
    corrected = [a.slope(1, a.size - 1, factor_removed=True) for a in without]
    factor = (
        "the finite-population factor accounts for the whole difference"
        if all(abs(c + 0.5) <= SLOPE_TOLERANCE for c in corrected)
        else f"the factor does not account for all of it (−1/2 ± {SLOPE_TOLERANCE} expected)"
    )
    exact = all(a.largest_at_end == 0 for a in without)
    return "\n\n".join(
        [
            "**With replacement.** From k = N/10 to N − 1 the error's fitted slope is "
            + _listed(tails, sizes, "{:.3f}")
            + f", {law}; at k = N the average still misses 1/2 by "
            + _listed([float(a.errors[-1]) for a in with_], sizes, "{:.4f}")
            + " on average.",
            "**Without replacement, the finite population.** Up to k = N/10 the slope is "
            + _listed([a.slope(1, a.size // 10) for a in without], sizes, "{:.3f}")
            + ", the factor √((N − k)/(N − 1)) being still "
            + _listed([float(a.factor()[a.size // 10 - 1]) for a in without], sizes, "{:.3f}")
            + " at k = N/10; then the error falls faster (slope "
            + _listed([a.slope(a.size // 10, a.size - 1) for a in without], sizes, "{:.2f}")
            + " from N/10 to N − 1) and "
            + (
                f"is exactly 0 at k = N in every one of the {study.settings.trials:,} trials: the last average "
                "is the mean of the N numbers, computed exactly."
                if exact
                else "is not exactly 0 at k = N in every trial: see the table."
            )
            + " Divided by √((N − k)/(N − 1)), the error's slope over k = 1 … N − 1 is "
            + _listed(corrected, sizes, "{:.3f}")
            + f": {factor}.",
            "**Exact, but about the N numbers.** Measured against 1/2 instead, a pass without replacement ends "
            "where the mean of its N numbers lies: "
            + _listed([float(a.mean_off_half or 0.0) for a in without], sizes, "{:.4f}")
            + " from 1/2 here, where N fresh draws end "
            + _listed([float(a.errors[-1]) for a in with_], sizes, "{:.4f}")
            + " from it on average. The convergence to 1/2 that the lecture speaks of is the law of large numbers; "
            "sampling without replacement makes the average exact for the numbers in hand, as an epoch without "
            "replacement visits every sample's gradient exactly once.",
        ]
    )


def _listed(values: list[float], sizes: tuple[int, ...], form: str) -> str:
    """``a (N = 100) and b (N = 1,000)``."""
    parts = [f"{form.format(v)} (N = {n:,})" for v, n in zip(values, sizes)]
    return ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]


def _descent_findings(study: sgd.Study) -> str:
    """What project 2 shows, each statement conditioned on the runs."""
    one, two = study.problems[1], study.problems[2]
    m, low, high = one.samples, *(one.interval or (0.0, 0.0))
    enters = {d: {s: study.run(d, s, "constant").first_inside() for s in sgd.SCHEMES} for d in sgd.DIMENSIONS}
    full = {d: study.run(d, sgd.FULL, sgd.FULL_RULE) for d in sgd.DIMENSIONS}
    stays = all(study.run(1, s, r).share_inside_after() == 1.0 for s in sgd.SCHEMES for r in sgd.STEP_RULES)
    rms = {d: {s: study.run(d, s, "constant").rms_second_half() for s in sgd.SCHEMES} for d in sgd.DIMENSIONS}
    decreasing = {d: study.run(d, "with", "s/(1+t/m)").rms_second_half() for d in sgd.DIMENSIONS}
    last = int(full[1].iterations[-1])
    before_full = all(t is not None and t < m for t in enters[1].values())
    fast = (
        f"before full-gradient descent has spent the {m} sample gradients of its first step"
        if before_full
        else f"not sooner than full-gradient descent, whose first step costs {m} sample gradients"
    )
    keeps = (
        "It never leaves: each step moves x a fraction s·aᵢ² ≤ 1 of the way to bᵢ/aᵢ, a point of the interval, "
        "so the interval keeps every iterate that enters it (share inside after entering: 100% for every run)."
        if stays
        else "Some runs leave the interval after entering it: see the table."
    )
    shrink = (
        "Decreasing steps shrink the wandering"
        if all(decreasing[d] < rms[d]["with"] for d in sgd.DIMENSIONS)
        else "Decreasing steps do not shrink the wandering on every problem"
    )
    gd_one = full[1].distance_at(m)
    gd_two = {t: full[2].distance_at(t) for t in (m, last)}
    sgd_two = {t: study.run(2, "with", "constant").distance_at(t) for t in (m, last)}
    ahead, behind = sgd_two[m] < gd_two[m], gd_two[last] < sgd_two[last]
    verdict = (
        "SGD's advantage is the start, when every sample points the same way."
        if ahead and behind
        else "Here SGD is not ahead at the start and behind at the end: see the tables."
    )
    return "\n\n".join(
        [
            f"**A fast start.** In one dimension, from x = {one.start[0]:g} towards x* = {one.x_star[0]:.3f}, "
            f"constant-step SGD enters the region of confusion [{low:.3f}, {high:.3f}] after "
            f"{enters[1]['with']} sample gradients with replacement and {enters[1]['without']} without, {fast}. "
            + keeps
            + f" In two dimensions it enters the disc of radius ρ = {two.stationary_rms:.3f} after "
            f"{enters[2]['with']} (with) and {enters[2]['without']} (without) sample gradients; full-gradient "
            f"descent after {full[2].first_inside()}. That is early stopping's moment.",
            f"**A bad finish.** With a constant step SGD keeps wandering: over the second half of the "
            f"{last} steps its rms distance to x* is {rms[1]['with']:.3f} with replacement and "
            f"{rms[1]['without']:.3f} without in one dimension, where ρ = {one.stationary_rms:.3f} is predicted "
            f"for with replacement, and {rms[2]['with']:.3f} and {rms[2]['without']:.3f} in two (ρ = "
            f"{two.stationary_rms:.3f}). {shrink}: s/(1+t/m) brings it to {decreasing[1]:.3f} and "
            f"{decreasing[2]:.3f}.",
            f"**Full gradients, for the same budget.** In one dimension one step of 1/L is Newton's step on a "
            f"quadratic: after {m} sample gradients full-gradient descent "
            + (f"lands on x* up to rounding ({gd_one:.1e} from it)." if gd_one < 1e-9 else f"is {gd_one:.3f} from x*.")
            + " In two, after "
            f"{m} sample gradients it is {gd_two[m]:.3f} from x*, constant-step SGD {sgd_two[m]:.3f}; after "
            f"{last}, full-gradient descent is {gd_two[last]:.1e} from x* and SGD {sgd_two[last]:.3f}. " + verdict,
        ]
    )


def _sgd_part(m: Measurements) -> str:
    study = m.lecture_projects
    settings, one = study.settings, study.problems[1]
    parts = sgd.sections(study)
    by_key = {part.key: part for part in parts}
    sample_ops = {d: sgd.ops_per_step([r for r in study.runs[d] if r.scheme != sgd.FULL]) for d in sgd.DIMENSIONS}
    full_ops = {d: sgd.ops_per_step([study.run(d, sgd.FULL, sgd.FULL_RULE)]) for d in sgd.DIMENSIONS}
    return "\n\n".join(
        [
            "## 8. Stochastic gradient descent: the lecture's two projects",
            f"`python -m diffstudy sgd` (seed {settings.seed}; numpy's `default_rng`). Lecture 27 opens with two "
            "projects: average N numbers from `rand` drawn with and without replacement, and watch stochastic "
            "gradient descent start fast and finish in a region of confusion. Both are measured here.",
            "### Project 1: a running average, with and without replacement",
            f"Over {settings.trials:,} trials, each measurement is the mean of |average of the first k − μ|, μ being "
            "the mean of the population sampled. **With** replacement, each trial draws N fresh numbers from "
            "`rand` and μ = 1/2, the mean of the uniform distribution, to which the lecture says the average "
            "converges. **Without** replacement, N numbers are drawn from `rand` once and each trial takes them "
            "in a fresh random order, one pass; μ is their own mean. `rand`'s numbers are integers over 2⁵³, so "
            "each error is computed exactly and rounded once. *predicted* is the central limit theorem's "
            "√(2/π)·σ/√k, times the finite-population factor √((N − k)/(N − 1)) without replacement (σ the "
            "standard deviation of the numbers sampled).",
            _section(by_key["averages"]),
            _section(by_key["averages_fit"]),
            "![Mean absolute error against k, log-log, with the predictions dashed](figures/sgd_sampling.png)",
            _sampling_findings(study),
            "### Project 2: SGD's fast start and its region of confusion",
            f"Least squares f(x) = ½ Σᵢ (aᵢᵀx − bᵢ)² on m = {one.samples} samples, in one and two dimensions. SGD "
            f"steps along one sample's gradient ∇fᵢ(x) = aᵢ(aᵢᵀx − bᵢ) at a time, for {settings.epochs} epochs, "
            "with replacement (each sample drawn uniformly) or without (a fresh random order each epoch), with a "
            "constant step s = 1/maxᵢ|aᵢ|² or the decreasing s/(1+t/m) and s/√(1+t/m), t counting the sample "
            "gradients spent. Full-gradient descent (step 1/L, L the largest eigenvalue of AᵀA) runs beside it "
            "and pays m sample gradients for each step. In one dimension the region of confusion is "
            "[minᵢ bᵢ/aᵢ, maxᵢ bᵢ/aᵢ], the interval of the samples' own minimizers: outside it every sample "
            "gradient points towards x*, inside they disagree. In two dimensions each sample's minimizers form "
            "a line and there is no such interval; the region is taken as the disc around x* of radius ρ, the "
            "root-mean-square distance at which constant-step SGD with replacement settles, computed from the "
            "data (a linear system for the second moment of x − x*). "
            "Every gradient is diffstudy's reverse mode, its operations counted at every step: "
            f"{sample_ops[1]} per sample gradient in one dimension and {sample_ops[2]} in two; {full_ops[1]} and "
            f"{full_ops[2]} per full gradient, the m sample losses recorded on one tape.",
            _section(by_key["problems"]),
            _section(by_key["descent"]),
            _section(by_key["distances_1d"]),
            _section(by_key["distances_2d"]),
            "![SGD's path in one and two dimensions](figures/sgd_confusion.png)",
            "![Distance to x* against sample gradients spent](figures/sgd_distance.png)",
            _descent_findings(study),
        ]
    )


def _memory_part(m: Measurements) -> str:
    """Section 9: what the tape keeps, and checkpointing's recomputations against the binomial law."""
    measured = m.memory
    if measured is None:
        return ""
    s = measured.settings
    by_key = {part.key: part for part in memory.sections(measured)}
    methods, law, frontier = measured.methods, measured.law, measured.frontier
    longest = max(s.lengths["logistic"])
    logistic = _row(methods, program="logistic", size=f"n = {longest}")
    per_step = {
        name: int(_row(methods, program=name, size="n = 1000")["kept numbers"]) // 1000 for name in ("rnn", "diffusion")
    }
    network = methods[methods["program"] == "network"]
    counted = law.dropna(subset=["counted"])
    agree = bool(counted["agree"].all()) and all(int(a) == int(b) for a, b in zip(law["law"], law["recursion"]))
    n = s.frontier_length
    plain = _row(frontier, schedule="all")
    root = math.isqrt(n - 1) + 1
    every = _row(frontier, schedule="every", **{"snapshots or k": root})
    fewest = min(int(k) for k in frontier[frontier["schedule"] == "binomial"]["snapshots or k"])
    ten, few = (_row(frontier, schedule="binomial", **{"snapshots or k": k}) for k in (10, fewest))
    frontier_agrees = all(
        row["counted"] is None or int(row["counted"]) == int(row["law"]) == int(row["steps run again"])
        for row in frontier.to_dict("records")
    )
    within = all(int(most) <= int(snapshots) for most, snapshots in zip(counted["most snapshots"], counted["s"]))
    law_sentence = (
        f"In every row counted the steps run again equal the law and the recursion, for n up to {max(s.law_lengths):,}"
        if agree
        else "Some rows counted differ from the law or the recursion: see the table"
    )
    uncounted = law[law["counted"].isna()]
    return "\n\n".join(
        [
            "## 10. Memory, and buying it back with time",
            "`python -m diffstudy memory`. Reverse mode's arithmetic is a small constant times f's (sections 4 "
            "and 5); its memory is not. The tape keeps every value its backward sweep needs, so it grows with the "
            "length of the run, not with the size of the state the run carries (Griewank 1992). Here what the tape "
            "keeps is counted object by object — every value, local partial and linear map it holds, by Python's "
            "own size of it, each object once; not the inputs or the program's data, which exist anyway. "
            "Checkpointing buys memory back with recomputation: `ds.checkpoint(f)` keeps a call's inputs only and "
            "runs it again in the backward sweep (as `jax.checkpoint` and `torch.utils.checkpoint` do), and "
            "`ds.loop(step, x0, n, ...)` reverses a loop of n steps by a schedule of saved states: every k-th "
            "(Chen et al. 2016), or binomial with s snapshots (Griewank and Walther's revolve), with the plain "
            "tape's gradient to the last bit.",
            _section(replace(by_key["methods"], title="What the tape keeps")),
            f"The logistic map carries one number, yet its tape keeps {int(logistic['kept numbers']):,} numbers "
            f"({int(logistic['kept bytes']):,} bytes) after {longest:,} steps: three a step, 1 − x, r·x and their "
            f"product. The RNN cell keeps {per_step['rnn']} numbers a step and the Euler integrator "
            f"{per_step['diffusion']:,}, whatever the number of steps. The network's tape has "
            f"{', '.join(sorted(set(str(int(e)) for e in network['tape entries'])))} entries at every width, and "
            f"keeps its activations: {int(network['kept numbers'].iloc[-1]):,} numbers at width "
            f"{network['size'].iloc[-1].split()[-1]}. Forward mode keeps no tape: a pass holds only the values of "
            "the moment. The peaks of every method, measured by tracemalloc against f's own, are printed by "
            "`python -m diffstudy memory` (they differ a little from machine to machine, so they are not here).",
            _section(replace(by_key["law"], title="Recomputed steps: the binomial law, its recursion, and the count")),
            f"{law_sentence}: the steps are counted on counting numbers, as the gradient's operations beyond the "
            "plain tape's divided by the operations of one step, so they are whole steps or the row would say so."
            + (
                f" Rows past {s.counted_at_most:,} recomputed steps ({len(uncounted)} of them) are not run; their law "
                "and recursion are given."
                if len(uncounted)
                else ""
            ),
            _section(replace(by_key["frontier"], title=f"The frontier at n = {n:,}: the RNN cell")),
            "![Memory against recomputation at n = 1,000, and the plain tape's memory against n](figures/memory.png)",
            f"**Memory for time.** Over n = {n:,} steps the plain tape keeps {int(plain['kept at most']):,} bytes. "
            f"Keeping every k-th state with k = {root} (√n) holds at most {int(every['kept at most']):,} bytes and "
            f"runs {int(every['steps run again']):,} steps again, about one more forward sweep; the binomial schedule "
            f"with s = 10 holds at most {int(ten['kept at most']):,} bytes "
            f"({int(plain['kept at most']) / int(ten['kept at most']):,.0f} times less than the plain tape) for "
            f"{int(ten['steps run again']):,} steps run again, {int(ten['steps run again']) / n:.1f} forward sweeps; "
            f"with s = {fewest}, {int(few['kept at most']):,} bytes for {int(few['steps run again']):,}. "
            + ("No schedule held more than its s snapshots (the law's table), and " if within else "")
            + (
                "every count of the frontier equals its law."
                if frontier_agrees
                else "some count of the frontier differs from its law: see the table."
            ),
        ]
    )


REPRODUCE = (
    "## Reproduce\n\n```sh\npython -m pip install .\npython -m diffstudy report{options}\n```\n\n"
    "The sweeps stop on node and operation counts, never on the clock, so the text is the same on "
    "every machine with the same sympy and numpy (whose seeded generator draws the samples of section 8)."
)


def _time_part(m: Measurements) -> str:
    """Section 9: the counted ratios are machine-independent; the times, inside the markers, are not."""
    counted = m.costs["speelpenning"].rows
    at = counted[counted["n"] == counted["n"].max()]
    largest = int(at["n"].iloc[0])
    reverse_count = float(at["reverse/f"].iloc[0])
    generated = at["generated/f"].iloc[0]
    intro = [
        "## 9. Time against count",
        "`python -m diffstudy time`. The counts of section 4 are the same on any machine: at n = "
        f"{largest:,} Speelpenning's gradient costs {reverse_count:.2f} × f by reverse mode's tape"
        + (f" and {float(generated):.2f} × f by the generated code" if generated is not None else "")
        + ". A stopwatch says what Python's interpreter makes of the same arithmetic: the tape pays, for "
        "every operation, the operator's overloading, the entry and the rule's lookup, where the generated "
        "code (`ds.jit(ds.grad(f))`: the derivative written out as Python once, then compiled) pays only the "
        "arithmetic. f, the tape, dual numbers, the generated code and sympy's gradient compiled by "
        "`lambdify` are timed the same way, in one process.",
    ]
    if m.timings is None:
        return "\n\n".join([*intro, timed()])
    tables = [_section(part) for part in timing.sections(m.timings, m.settings.timings or timing.TimeLimits())]
    figure = "![Counted and timed ratios to f against n](figures/time.png)"
    return "\n\n".join([*intro, timed(*tables, figure)])


def report_text(measured: Measurements) -> str:
    """The whole of REPORT.md, from the measurements."""
    header = (
        "# diffstudy report\n\n"
        f"Generated by `python -m diffstudy report{_cases_option(measured)}` from diffstudy's own measurements "
        f"(sympy {sympy.__version__}); do not edit by hand. Every count is measured by running a method "
        "on counting numbers; every sentence's numbers are inserted from those measurements."
    )
    parts = [
        _compare_part, _graph_part, _swell_part, _cost_part, _network_part, _second_part, _chain_part, _sgd_part,
        _time_part, _memory_part, lambda m: gradbench_part(m.gradbench), _findings,
    ]  # fmt: skip
    reproduce = REPRODUCE.format(options=_cases_option(measured))
    text = "\n\n".join([header, *(part(measured) for part in parts), reproduce])
    return text.rstrip() + "\n"

"""The cost study: the cheap gradient principle and the Jacobian crossover, as measured."""

from __future__ import annotations

from fractions import Fraction

import pytest

import diffstudy
from diffstudy.engine import forward, reverse
from diffstudy.engine.budget import Budget
from diffstudy.harness.cases import make_case
from diffstudy.harness.loading import builtin_cases_dir, load_cases
from diffstudy.harness.methods import measure_function
from diffstudy.studies import cost
from diffstudy.studies.programs import rosenbrock


@pytest.fixture(scope="module")
def sweeps():
    limits = cost.CostLimits(budget=Budget(nodes=20_000, seconds=600), symbolic_max_n=16, max_n=128)
    return {name: cost.sweep(function, limits) for name, function in cost.FUNCTIONS.items()}


def test_speelpenning_reverse_is_three_times_f(sweeps):
    rows = sweeps["speelpenning"].rows
    # hand count (test_counts): reverse = 3(n − 1) = 3·ops(f)
    assert all(row["reverse ops"] == 3 * (row["n"] - 1) for _, row in rows.iterrows())


def test_reverse_ratio_stays_bounded_and_forward_ratio_grows(sweeps):
    for s in sweeps.values():
        rows = s.rows.dropna(subset=["forward/f"])
        ratios = [float(r) for r in rows["forward/f"]]
        assert ratios == sorted(ratios) and ratios[-1] > 10 * ratios[0]
        assert max(float(r) for r in s.rows["reverse/f"].dropna()) <= 3.0
    ratio, _, _ = cost.largest_reverse_ratio(list(sweeps.values()))
    assert ratio == 3.0


def test_rosenbrock_by_hand():
    # f: per pair, x*x (mul), x₂ − x² (sub), 1 − x (sub), 100*a (mul), ·a (mul), b*b (mul), two adds:
    # 8 operations per pair (the first add is to the constant 0).
    program, names, point = rosenbrock(4)
    case = make_case(program, dict(zip(names, point)))
    _, tally = measure_function(case)
    assert tally.total == 16


def test_symbolic_gradient_is_counted_while_within_budget(sweeps):
    rows = sweeps["speelpenning"].rows
    measured = rows.dropna(subset=["symbolic ops"])
    assert list(measured["n"]) == [1, 2, 4, 8, 16]
    assert "up to 16 inputs" in " ".join(sweeps["speelpenning"].notes)


def test_crossover_between_forward_and_reverse():
    table = cost.crossover_table(64)
    cheaper = list(table["cheaper"])
    assert cheaper[0] == "forward" and cheaper[-1] == "reverse"
    switch = cheaper.index("reverse")
    assert all(c == "forward" for c in cheaper[:switch]) and all(c == "reverse" for c in cheaper[switch:])


def test_jacobian_crossover_cases_by_all_modes(builtin_cases):
    # wide: n ≫ m, reverse cheaper; tall: n ≪ m, forward cheaper (the sympy agreement is in test_cases)
    for name, cheaper in (("wide", "reverse"), ("tall", "forward")):
        case = builtin_cases[name]
        results = {m: diffstudy.gradient(case.function, case.at, method=m) for m in ("forward", "reverse")}
        for forward_row, reverse_row in zip(results["forward"].jacobian, results["reverse"].jacobian):
            assert [float(d) for d in forward_row] == pytest.approx([float(d) for d in reverse_row], rel=1e-12)
        other = "forward" if cheaper == "reverse" else "reverse"
        assert results[cheaper].ops.total < results[other].ops.total


CASES, _ = load_cases([builtin_cases_dir()])
VECTOR_CASES = [c for c in CASES if c.name in ("wide", "tall")]


@pytest.mark.parametrize("case", VECTOR_CASES, ids=lambda c: c.name)
def test_dot_product_between_the_modes(case):
    # ⟨u, J v⟩ from one forward pass along v equals ⟨Jᵀ u, v⟩ from one backward sweep weighted by u.
    n = len(case.inputs)
    v = [Fraction(k + 2, 3) * (-1) ** k for k in range(n)]
    values, jv = forward.push(case.function, case.point, v)
    u = [Fraction(2 * k + 1, 5) for k in range(len(values))]
    recording = reverse.record(case.function, case.point)
    jtu = reverse.pullback(recording, u)
    left = sum(a * b for a, b in zip(u, jv))
    right = sum(a * b for a, b in zip(jtu, v))
    if all(isinstance(x, Fraction) for x in case.point):
        assert left == right
    else:
        assert left == pytest.approx(right, rel=1e-13)

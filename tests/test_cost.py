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
    limits = cost.CostLimits(budget=Budget(nodes=20_000, seconds=600), symbolic_max_n=16, max_n=64)
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


# Reverse mode per step of a chain, counted by hand from the rules: record the operation, compute
# each partial, multiply each by the adjoint, add into x's adjoint (x is reused by every step).
BY_HAND = {
    "add": 1 + 0 + 0 + 1,  # partials 1 and 1 need no multiplication
    "mul": 1 + 0 + 2 + 1,  # partials x and y are values already there
    "div": 1 + 3 + 2 + 1,  # ∂y = 1/x (1), ∂x = −out/x (2)
    "exp": 1 + 0 + 1,  # the partial is the output itself
    "sin": 1 + 1 + 1,  # cos y
    "neg": 1 + 0 + 1,  # the partial −1 multiplies
}


def test_the_cost_of_each_primitive_is_what_its_rule_does():
    from diffstudy.studies import primitive_cost

    frame = primitive_cost.table().set_index("step")
    for step in primitive_cost.STEPS:
        if step.name in BY_HAND:
            row = frame.loc[f"y ← {step.written}"]
            assert (row["own ops"], row["reverse ops"]) == (1, BY_HAND[step.name]), step.name


def test_the_primitive_bound_holds_for_random_programs():
    """A program of one primitive, its steps reading random earlier values (so adjoints fan in),
    never costs reverse mode more per operation than the chain measured for that primitive."""
    import random

    from diffstudy.harness.methods import run_methods
    from diffstudy.studies import primitive_cost

    frame = primitive_cost.table()
    rng = random.Random(7)
    # Primitives whose values stay in their domain whatever they are applied to here.
    closed = {"add", "sub", "mul", "div", "pow", "neg", "square", "sin", "cos", "exp", "tanh", "atan", "sqrt"}
    for step in primitive_cost.STEPS:
        if step.name not in closed:
            continue
        # tanh's rule depends on |y|, and the values here fall on both sides of ½
        ratio = frame.loc[frame["primitive"] == step.name, "reverse/own"].astype(float).max()
        for trial in range(20):
            longest = 3 if step.name == "exp" else 30  # exp of exp of exp … overflows soon
            picks = [(rng.random(), rng.random()) for _ in range(rng.randrange(1, longest))]

            def program(x, y, z, picks=picks, step=step):
                values = [x, y, z]
                for i, j in picks:
                    a, b = values[int(i * len(values))], values[int(j * len(values))]
                    values.append(step.step(a, b) if step.binary else step.step(a))
                return values[-1]

            case = make_case(program, {"x": 0.3, "y": 0.7, "z": 0.9}, name=f"{step.name} {trial}")
            run = run_methods(case, ("reverse",))
            assert not run.failures, run.failures
            assert run.ops("reverse") <= ratio * run.f_ops.total + 1, (step.name, picks)

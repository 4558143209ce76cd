"""Checkpointing: ds.checkpoint and ds.loop's schedules give the plain tape's gradients, in every
nesting, and recompute exactly as many steps as the binomial law says.

The law's numbers are computed here from its formula with math.comb and from the recursion it
comes from, written out in this file; the recomputations are counted on counting numbers.
"""

from __future__ import annotations

import math
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest

import diffstudy
import diffstudy as ds
from diffstudy.engine import checkpoint as engine
from diffstudy.engine import reverse
from diffstudy.engine.counting import Tally, counting
from diffstudy.studies import loops, memory

SCHEDULES = [{}, {"snapshots": 1}, {"snapshots": 2}, {"snapshots": 5}, {"snapshots": 100}, {"every": 1},
             {"every": 4}, {"schedule": "every"}]  # fmt: skip


# ---------------------------------------------------------------- the law, by hand and by its recursion


def law(n: int, s: int) -> int:
    """t·n − β(s+1, t−1), t the smallest with C(s+t, s) ≥ n, from the formula alone."""
    t = 0
    while math.comb(s + t, s) < n:
        t += 1
    return t * n - (math.comb(s + t, s + 1) if t >= 1 else 0)


def recursion(largest_n: int, largest_s: int) -> dict[tuple[int, int], float]:
    """T(l, s) = min over 0 < m < l of m + T(l − m, s − 1) + T(m, s), T(1, s) = 0, T(l > 1, 0) = ∞."""
    table: dict[tuple[int, int], float] = {(1, 0): 0}
    for length in range(2, largest_n + 1):
        table[length, 0] = math.inf
    for s in range(1, largest_s + 1):
        table[1, s] = 0
        for length in range(2, largest_n + 1):
            table[length, s] = min(m + table[length - m, s - 1] + table[m, s] for m in range(1, length))
    return table


def test_the_binomial_law_by_hand():
    # n = 3, s = 1: from x0, advance 2 and record step 3; from x0, advance 1 and record step 2; record step 1.
    assert law(3, 1) == 3 == engine.least_recomputations(3, 1)
    # n = 4, s = 2: t = 2 (C(4,2) = 6 ≥ 4 > C(3,2)); 2·4 − C(4,3) = 4.
    assert law(4, 2) == 4 == engine.least_recomputations(4, 2)
    # n = 10⁴, s = 10: C(17,10) = 19448 ≥ 10⁴ > C(16,10) = 8008, so t = 7; 7·10⁴ − C(17,11) = 57624.
    assert engine.repetitions(10_000, 10) == 7
    assert engine.least_recomputations(10_000, 10) == 70_000 - 12_376 == 57_624
    assert engine.least_recomputations(1, 3) == 0


def _plan_cost(plan, s: int) -> int:
    """Run a plan's actions on positions only: the steps advanced, checking that every restore finds
    its snapshot, at most s are held, and each step is recorded once, from the last to the first."""
    position, advanced, saved, recorded = 0, 0, {0}, []
    for action in plan:
        if action[0] == "advance":
            assert action[1] > position
            advanced += action[1] - position
            position = action[1]
        elif action[0] == "save":
            saved.add(position)
            assert len(saved) <= s
        elif action[0] == "restore":
            assert action[1] in saved
            position = action[1]
        elif action[0] == "drop":
            saved.remove(action[1])
        else:
            recorded += list(range(action[1] - 1, position - 1, -1))
            position = action[1]
    assert recorded == sorted(recorded, reverse=True) and len(set(recorded)) == len(recorded)
    return advanced


def test_revolve_meets_the_law_and_the_recursion():
    table = recursion(120, 6)
    bisected = engine.recomputations_by_recursion(120, 6)  # the minima found by bisection: the same
    for s in range(1, 7):
        for n in range(1, 121):
            assert _plan_cost(engine.binomial_plan(n, s), s) == law(n, s) == table[n, s] == bisected[s][n], (n, s)
    # up to 10⁴, against the recursion (its minima by bisection) and by revolve's plan
    bisected = engine.recomputations_by_recursion(10_000, 10)
    for n in (1000, 4567, 9999, 10_000):
        for s in (1, 2, 3, 10):
            assert engine.least_recomputations(n, s) == law(n, s) == bisected[s][n], (n, s)
    assert _plan_cost(engine.binomial_plan(10_000, 10), 10) == 57_624


def _ops(function, point) -> int:
    """The operations of one recording and one backward sweep, counted."""
    tally = Tally()
    recording = reverse.record(function, counting(point, tally))
    reverse.gradient_row(recording, 0)
    return tally.total


@pytest.mark.parametrize(
    ("n", "schedule", "expected"),
    [
        (1, {"snapshots": 1}, 0),
        (2, {"snapshots": 1}, 1),
        (7, {"snapshots": 2}, law(7, 2)),
        (100, {"snapshots": 3}, law(100, 3)),
        (1000, {"snapshots": 4}, law(1000, 4)),
        (10_000, {"snapshots": 10}, 57_624),
        (100, {"every": 10}, 90),  # every stretch but the last recorded again: 100 − 10
        (10_000, {"every": 100}, 9_900),
        (37, {"every": 5}, 35),  # the last stretch is 35, 36: two steps
    ],
)
def test_recomputed_steps_counted_meet_the_law(n, schedule, expected):
    """Counted on counting numbers: the gradient's operations beyond the plain tape's are whole
    steps of the logistic map, as many as the law says."""
    step_ops = _ops(lambda x, r: loops.logistic_step(x, r), [0.3, 3.2]) - _ops(lambda x, r: x, [0.3, 3.2])
    one_step = Tally()
    loops.logistic_step(*counting([0.3, 3.2], one_step))
    plain = _ops(loops.logistic(n)[0], [0.3, 3.2])
    with engine.watching() as blocks:
        checkpointed = _ops(loops.logistic(n, **schedule)[0], [0.3, 3.2])
    assert step_ops > one_step.total == 3
    assert checkpointed - plain == expected * one_step.total
    assert blocks[0].advances == expected and blocks[0].recorded == n
    if "snapshots" in schedule:
        assert blocks[0].most_snapshots <= schedule["snapshots"]


# ---------------------------------------------------------------- the plain tape's gradients


def _flat(gradient) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(g, dtype=object)) for g in gradient])


@pytest.mark.parametrize("name", list(loops.LOOPS))
@pytest.mark.parametrize("schedule", SCHEDULES[1:])
def test_every_schedule_gives_the_plain_tapes_gradient_to_the_bit(name, schedule):
    build = loops.LOOPS[name].build
    plain, point = build(37)
    checkpointed, _ = build(37, **schedule)
    every_input = tuple(range(len(point)))
    expected = ds.value_and_grad(plain, argnums=every_input)(*point)
    value, gradient = ds.value_and_grad(checkpointed, argnums=every_input)(*point)
    assert value == expected[0]
    assert np.array_equal(_flat(gradient), _flat(expected[1]))


def test_a_loop_is_the_python_loop_it_stands_for():
    def written_out(x, r):
        for _ in range(20):
            x = r * x * (1 - x)
        return x

    by_loop = ds.grad(loops.logistic(20)[0], argnums=(0, 1))(0.3, 3.2)
    assert by_loop == ds.grad(written_out, argnums=(0, 1))(0.3, 3.2)


@pytest.mark.parametrize("schedule", SCHEDULES[1:])
def test_exact_gradients_are_the_same_fractions(schedule):
    point = (Fraction(1, 3), Fraction(7, 2))
    plain = ds.grad(lambda x, r: ds.loop(loops.logistic_step, x, 9, args=(r,)), argnums=(0, 1))(*point)
    checkpointed = ds.grad(lambda x, r: ds.loop(loops.logistic_step, x, 9, args=(r,), **schedule), argnums=(0, 1))
    assert checkpointed(*point) == plain
    # forward mode, another method, gives the same rationals
    assert tuple(ds.jacfwd(lambda x, r: ds.loop(loops.logistic_step, x, 9, args=(r,)), argnums=(0, 1))(*point)) == plain


def _two(a, b):
    """Two outputs, one of them an input passed through, and a keyword."""
    return {"product": a * b, "same": b}, np.sin(a) + b


def test_a_checkpointed_call_gives_the_plain_gradient():
    def loss(call):
        def f(x, y):
            made, other = call(x, y)
            return made["product"] * other + made["same"] * x

        return f

    for point in [(0.5, 2.0), (Fraction(1, 2), Fraction(2))]:
        expected = ds.grad(loss(_two), argnums=(0, 1))(*point)
        assert ds.grad(loss(ds.checkpoint(_two)), argnums=(0, 1))(*point) == expected
    # an output not used, and a call nested in a call
    twice = ds.checkpoint(lambda x: ds.checkpoint(np.sin)(x) * x)
    assert ds.grad(lambda x: twice(x) + ds.checkpoint(_two)(x, x)[1])(0.7) == ds.grad(
        lambda x: np.sin(x) * x + np.sin(x) + x
    )(0.7)
    # keywords go to the function, differentiated as its other arguments are
    scaled = ds.checkpoint(lambda x, scale: scale * x * x)
    assert ds.grad(lambda x: scaled(x, scale=3.0))(2.0) == 12.0
    assert ds.grad(lambda s: scaled(2.0, scale=s))(3.0) == 4.0


def test_a_vjp_and_a_jacobian_sweep_a_checkpointed_loop_again_and_again():
    def turn(c):
        return np.stack([c[0] * np.cos(c[1]), c[0] + np.sin(c[1])])

    def spiral(x):  # the output is the whole carry, two numbers
        return ds.loop(turn, x, 12, snapshots=3)

    def plain(x):
        return ds.loop(turn, x, 12)

    x = np.array([0.3, 0.9])
    assert np.array_equal(ds.jacrev(spiral)(x), ds.jacrev(plain)(x))
    _, pull = ds.vjp(spiral, x)
    _, plain_pull = ds.vjp(plain, x)
    for u in [np.array([1.0, 0.0]), np.array([0.5, 2.0]), np.array([1.0, 0.0])]:
        assert np.array_equal(pull(u)[0], plain_pull(u)[0])
    # two carries, a tuple: the Jacobian of each output
    pair = lambda x, **s: ds.loop(lambda c: (c[0] * np.cos(c[1]), c[0] + np.sin(c[1])), (x[0], x[1]), 12, **s)  # noqa: E731
    assert np.array_equal(np.array(ds.jacrev(lambda x: pair(x, every=5))(x)), np.array(ds.jacrev(pair)(x)))


# ---------------------------------------------------------------- nesting


def test_a_hessian_through_a_checkpointed_loop():
    def f(v, **schedule):
        return ds.loop(loops.logistic_step, v[0], 20, args=(v[1],), **schedule)

    v = np.array([0.3, 3.2])
    expected = ds.hessian(f)(v)
    for schedule in SCHEDULES[1:]:
        assert np.array_equal(ds.hessian(f)(v, **schedule), expected)
    # against finite differences of the gradient, an independent method
    step = 1e-6
    rows = [(ds.grad(f)(v + step * e) - ds.grad(f)(v - step * e)) / (2 * step) for e in np.eye(2)]
    assert np.allclose(expected, np.array(rows), rtol=1e-5)


@pytest.mark.parametrize(
    "nest",
    [
        (ds.grad, ds.grad),
        (ds.jacrev, ds.jacrev),
        (ds.jacfwd, ds.jacrev),
        (ds.jacrev, ds.jacfwd),
        (ds.jacfwd, ds.jacfwd),
    ],  # fmt: skip
    ids=lambda nest: "-over-".join(t.__name__ for t in nest),
)
def test_second_derivatives_in_every_nesting_are_exact(nest):
    outer, inner = nest

    def second(schedule):
        f = lambda x: ds.loop(loops.logistic_step, x, 7, args=(Fraction(7, 2),), **schedule)  # noqa: E731
        return outer(inner(f))(Fraction(1, 3))

    expected = second({})
    for schedule in ({"snapshots": 1}, {"snapshots": 2}, {"every": 3}):
        assert second(schedule) == expected
    call = lambda x: ds.checkpoint(lambda a: a * a * np.sin(a))(x)  # noqa: E731
    assert outer(inner(call))(0.5) == pytest.approx(outer(inner(lambda a: a * a * np.sin(a)))(0.5), rel=1e-14)


def test_forward_mode_jit_and_the_measuring_methods_see_the_plain_loop():
    f, point = loops.logistic(15, snapshots=2)
    plain, _ = loops.logistic(15)
    assert ds.jvp(f, point, (1.0, 0.0)) == ds.jvp(plain, point, (1.0, 0.0))
    assert ds.jit(ds.grad(f, argnums=(0, 1)))(*point) == ds.grad(plain, argnums=(0, 1))(*point)
    case = lambda x, r: ds.loop(loops.logistic_step, x, 4, args=(r,), snapshots=2)  # noqa: E731
    at = {"x": Fraction(1, 3), "r": Fraction(7, 2)}
    results = {m: diffstudy.gradient(case, at, method=m) for m in ("symbolic", "forward", "reverse")}
    assert results["symbolic"].gradient == results["forward"].gradient == results["reverse"].gradient


# ---------------------------------------------------------------- memory


def test_a_checkpointed_loop_keeps_s_plus_two_states_and_one_steps_tape():
    """s = 10 snapshots: the peak of the whole gradient, measured, is within twice (s + 2) states and
    one step's tape, each measured, at n = 240 as at n = 60; the plain tape's grows with n.
    (``python -m diffstudy memory`` measures n = 10⁴.)"""
    points, s = 1024, 10
    u0 = np.linspace(0.1, 0.9, points)

    def loss(n, **schedule):
        return lambda u, r: np.mean(ds.loop(loops.logistic_step, u, n, args=(r,), **schedule))

    sizes = [(60, {"snapshots": s}), (240, {"snapshots": s}), (100, {}), (200, {})]
    gradients = {(n, bool(schedule)): ds.grad(loss(n, **schedule), argnums=(0, 1)) for n, schedule in sizes}
    for gradient in gradients.values():
        gradient(u0, 3.2)  # once, untraced, so that what is made once (caches, lists of freed objects) is made
    state_bytes, step_bytes = memory.state_and_step_bytes(u0)
    tracemalloc.start()
    try:
        peaks = {}
        for key, gradient in gradients.items():
            tracemalloc.reset_peak()
            before = tracemalloc.get_traced_memory()[0]
            gradient(u0, 3.2)
            peaks[key] = tracemalloc.get_traced_memory()[1] - before
    finally:
        tracemalloc.stop()
    assert state_bytes >= 8 * points and step_bytes > state_bytes
    bound = (s + 2) * state_bytes + step_bytes
    assert peaks[60, True] <= 2 * bound and peaks[240, True] <= 2 * bound
    # the plain tape keeps every step: twice the steps, about twice the memory
    assert peaks[200, False] > 1.8 * peaks[100, False] > 50 * step_bytes


@pytest.mark.parametrize("schedule", [{"snapshots": 5}, {"every": 7}])
def test_a_float_step_through_numpys_function_runs_again_to_the_same_bits(schedule):
    # np.tanh of a float runs numpy's tanh, of the tape's number the registry's (math.tanh), which
    # differ in the last bit at some points: the steps run again between snapshots must give the
    # recorded numbers, not be called impure. By hand: the derivative is Π 1.1 (1 − tanh²).
    def step(c):
        return np.tanh(c * 1.1) + 0.01

    gradient = ds.grad(lambda x: ds.loop(step, x, 50, **schedule))(0.3)
    x, by_hand = 0.3, 1.0
    for _ in range(50):
        t = math.tanh(x * 1.1)
        by_hand *= 1.1 * (1 - t * t)
        x = t + 0.01
    assert gradient == pytest.approx(by_hand, rel=1e-14)
    assert gradient == ds.grad(lambda x: ds.loop(step, x, 50, schedule="all"))(0.3)


def test_a_float_argument_not_differentiated_stays_a_float_when_steps_run_again():
    # math.exp and math.sqrt of a float the tape does not take: by hand, d(tanh(v)·e^0.5)/dv is
    # (1 − tanh² v)·e^0.5; h·√2 ten times is h·32
    gradient = ds.grad(lambda v: ds.checkpoint(lambda a, b: np.tanh(a) * math.exp(b))(v, 0.5))(0.3)
    assert gradient == pytest.approx((1 - math.tanh(0.3) ** 2) * math.exp(0.5), rel=1e-15)
    for schedule in ({"snapshots": 3}, {"every": 3}):
        gradient = ds.grad(lambda v, s=schedule: ds.loop(lambda h, c: h * math.sqrt(c), v, 10, args=(2.0,), **s))(0.3)
        assert gradient == pytest.approx(32.0, rel=1e-14)

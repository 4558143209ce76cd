"""A long loop of scalar code written as a Python loop (engine/rolled.py): the same numbers as the
tape, to the bit, at every point; a short one, or one that cannot be rolled, written out."""

import math

import numpy as np
import pytest

import diffstudy as ds
from diffstudy import fn
from diffstudy.engine import rolled
from diffstudy.studies.programs import rosenbrock, speelpenning


def _bits(values):
    flat, stack = [], [values]
    while stack:
        v = stack.pop()
        if isinstance(v, (list, tuple)):
            stack.extend(v)
        else:
            flat.append((float(v), math.copysign(1.0, v)))
    return flat


def _rolled_short(monkeypatch):
    """Loops rolled in short programs too, of short turns too: what the tests below look at."""
    monkeypatch.setattr(rolled, "ROLL_FROM", 0)
    monkeypatch.setattr(rolled, "TURNS", 4)
    monkeypatch.setattr(rolled, "SHORT_TURN", 1)


def test_the_rosenbrock_loop_of_a_thousand_is_a_loop_and_gives_the_tapes_bits():
    program, _, _ = rosenbrock(1000)
    points = [[float(v) for v in np.random.default_rng(seed).uniform(0.5, 1.5, 1000)] for seed in range(3)]

    def f(x):
        return program(*x)

    compiled = ds.jit(ds.grad(f))
    for x in points:
        assert compiled(x) == ds.grad(f)(x)
    assert compiled.traces == 1 and "for _t" in compiled.source and len(compiled.source.splitlines()) < 120


def test_a_short_loop_is_written_out():
    program, _, _ = speelpenning(1000)  # 999 operations: below ROLL_FROM
    compiled = ds.jit(ds.grad(lambda x: program(*x)))
    compiled([1.0] * 1000)
    assert "for _t" not in compiled.source and len(compiled.source.splitlines()) > 2000


def carried(x, p):  # two numbers carried from turn to turn, a fixed input and a parameter
    s, t = 0.0, x[0]
    for i in range(len(x) - 2):
        u = fn.sin(x[i]) * t + p
        t = t * 0.9 + 0.1 * u
        s = s + u * x[i + 2] - x[0] / (1 + t * t)
    return s + t


def strided(x, p):  # every second input, and the one after it: the extended Rosenbrock
    total = p * x[0]
    for i in range(0, len(x) - 1, 2):
        a = x[i + 1] - x[i] * x[i]
        b = 1 - x[i]
        total = total + 100 * a * a + b * b
    return total


def overlapping(x, p):  # x[i] and x[i + 1]: one turn adds into the input the next turn adds into
    total = 0.0
    for i in range(len(x) - 1):
        total = total + fn.exp(-x[i] * x[i + 1]) - p * fn.sin(x[i + 1] - x[i])
    return total


def kinked(x, p):  # abs and tanh: rules called by name, not formulas: written out, still the tape's bits
    total = 0.0
    for i in range(len(x)):
        total = total + abs(x[i] - p) * fn.tanh(x[i])
    return total


def dead(x, p):  # a number each turn makes that nothing reads, and an unused input
    total = 0.0
    for i in range(1, len(x) - 1):
        unused = fn.cos(x[i]) / 3.0  # noqa: F841
        total = total - x[i] * p
    return total


def fixed_entry(x, p):  # a number made before the loop, read by every turn: its adjoint added up
    w = fn.sin(p) * x[0]
    total = 0.0
    for i in range(len(x)):
        total = total * w + x[i]
    return total


def two_loops(x, p):  # two loops, each with a division where an overflow could hide: two sums checked
    s = 0.0
    for i in range(len(x)):
        s = s + x[i] / (1 + p * p)
    t = s
    for i in range(len(x) - 1):
        t = t * 0.5 + x[i + 1] / (2 + x[i] * x[i])
    return s * t


@pytest.mark.parametrize(
    "f", [carried, strided, overlapping, kinked, dead, fixed_entry, two_loops], ids=lambda f: f.__name__
)
@pytest.mark.parametrize("kind", ["grad", "argnums 1", "value_and_grad", "jacrev"])
def test_rolled_loops_give_the_tapes_bits(monkeypatch, f, kind):
    _rolled_short(monkeypatch)
    transform = {
        "grad": lambda g: ds.grad(g, argnums=(0, 1)),
        "argnums 1": lambda g: ds.grad(g, argnums=1),
        "value_and_grad": lambda g: ds.value_and_grad(g, argnums=(0, 1)),
        "jacrev": lambda g: ds.jacrev(g, argnums=(0, 1)),
    }[kind]
    rng = np.random.default_rng(7)
    compiled = ds.jit(transform(f))
    for _ in range(3):
        x, p = [float(v) for v in rng.uniform(-1.5, 1.5, 24)], float(rng.uniform(-1, 1))
        assert _bits(compiled(x, p)) == _bits(transform(f)(x, p))
    assert compiled.traces == 1
    forward_loops = compiled.source.count("# the ") - compiled.source.count("# the backward sweep")  # rolled back
    assert compiled.source.count("turns of a loop, written once") == {kinked: 0, two_loops: 2}.get(f, 1)
    assert forward_loops == compiled.source.count("turns of a loop, written once")  # each swept back too


def test_a_loop_whose_path_changes_is_rolled_between_its_comparisons(monkeypatch):
    _rolled_short(monkeypatch)

    def f(x):
        total = 0.0
        for i in range(len(x)):
            total = total + x[i] * x[i]
            if total > 4.0:  # a comparison each turn: each a check, the loop cut there
                total = total * 0.5
        return total

    compiled = ds.jit(ds.grad(f))
    for scale in (0.1, 0.1, 0.9, 0.1):
        x = [scale * (1 + 0.01 * i) for i in range(40)]
        assert _bits(compiled(x)) == _bits(ds.grad(f)(x))
    assert compiled.traces == 2


def test_an_overflow_hidden_in_a_rolled_loop_is_found(monkeypatch):
    _rolled_short(monkeypatch)

    def f(x):
        total = 0.0
        for i in range(len(x)):
            total = total + 1 / (1 + x[i] * x[i] * 1e300)  # x[i]² · 1e300 is inf past 1e4: 1/inf is 0
        return total

    compiled = ds.jit(ds.grad(f))
    compiled([0.5] * 20)
    assert "for _t" in compiled.source and "_h = _h + " in compiled.source  # the sum the loop checks
    with pytest.raises(ds.DomainError):
        ds.grad(f)([0.5] * 19 + [1e5])
    with pytest.raises(ds.DomainError):
        compiled([0.5] * 19 + [1e5])


def test_an_input_read_in_every_turn_adds_into_its_adjoint_where_a_later_loop_put_it(monkeypatch):
    _rolled_short(monkeypatch)
    order = [0, 5, 3, 8, 1, 9, 2, 7, 4, 6]

    def f(x):
        s = 0.0
        for i in range(1, len(x)):
            s = s * x[0] + x[i]  # x[0] read in every turn
        t = s
        for i in range(len(x)):
            t = t + x[i] * x[i]  # every input, x[0] too: their adjoints in a list, swept back first
        for j in order:
            t = t + x[j] * 0.5  # no stride: written out
        return t

    x = [0.5 + 0.1 * i for i in range(10)]
    assert _bits(ds.jit(ds.grad(f))(x)) == _bits(ds.grad(f)(x))  # was 3.896875 for ∂/∂x₀ against 5.8703125

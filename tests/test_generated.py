"""The derivative written out as code: the same numbers as the tape to the last bit, exact where
the inputs are, counted like the others, never run on a path it was not written for, and the
function API's ``jit``."""

from __future__ import annotations

import math
import re
from fractions import Fraction
from types import SimpleNamespace

import numpy as np
import pytest

import diffstudy as ds
from diffstudy import fn
from diffstudy.engine import forward, generate, reverse
from diffstudy.engine.counting import Tally, counting
from diffstudy.errors import CaseError, DomainError
from diffstudy.harness.loading import builtin_cases_dir, load_cases
from diffstudy.studies.programs import speelpenning

CASES = {case.name: case for case in load_cases([builtin_cases_dir()])[0]}


def _floats(point):
    return [np.asarray(p, dtype=float) if np.ndim(p) else float(p) for p in point]


def _flat(values):
    return [v for x in values for v in (np.ravel(np.asarray(x, dtype=object)) if np.ndim(x) else [x])]


def _same_bits(a, b):
    return len(a) == len(b) and all(x == y and type(x) is type(y) for x, y in zip(_flat(a), _flat(b)))


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("kind", ["exact", "float"])
def test_the_adjoint_code_computes_the_tapes_numbers_to_the_last_bit(name, kind):
    case = CASES[name]
    point = case.point if kind == "exact" else _floats(case.point)
    script = generate.trace(case.function, point, list(case.inputs))
    # at a float point, the code jit runs (numpy's own calls) as well as the code for any numbers
    styles = (False, True) if kind == "float" else (False,)
    for floats in styles:
        for compact in (False, True):
            _check_the_code(case, point, script, floats, compact)


def _check_the_code(case, point, script, floats, compact):
    name = case.name
    adjoint = generate.build(generate.write(script, "reverse", floats=floats, compact=compact))
    tangent = generate.build(generate.write(script, "forward", floats=floats))
    recording = reverse.record(case.function, point)
    for k in range(len(recording.outputs)):
        seeds = [reverse.seed(o, 0, recording.exact) if j == k else 0 for j, o in enumerate(recording.outputs)]
        expected = reverse.pullback(recording, [s if j == k else None for j, s in enumerate(seeds)])
        assert _same_bits(adjoint(*point, *seeds)[1], expected), (name, k)
    for i in range(len(point)):
        tangents = forward.unit_tangents(point, (i, 0))
        _, expected = forward.push(case.function, point, tangents)
        written = [t if t is not None else 0 * p for t, p in zip(tangents, point)]
        computed = tangent(*point, *written)[1]
        assert all(np.all(np.asarray(c) == np.asarray(e)) for c, e in zip(computed, expected)), (name, i)


def test_the_lectures_adjoint_trace_reads_as_the_survey_writes_it():
    case = CASES["lecture27"]
    script = generate.trace(case.function, [Fraction(2), Fraction(3)], ["x", "y"])
    source = generate.write(script, "reverse", "grad_lecture27")
    text = source.text
    # the forward sweep, then the adjoints in reverse order, named after the program's variables
    assert text.index("# the backward sweep") > text.index("pow(x, 3)")
    for line in ("x_bar", "y_bar", "lecture27.py:"):
        assert line in text
    values, adjoints = generate.build(source)(Fraction(2), Fraction(3), Fraction(1))
    assert values == (88,) and adjoints == (140, 24)  # the lecture's numbers, exactly
    assert all(type(v) is Fraction for v in (*values, *adjoints))


def test_the_generated_code_is_counted_like_the_other_methods():
    # lecture27 by hand: f is x³ (pow), 3y (mul), x + 3y (add), c·s (mul); the adjoints are
    # c̄ = s·ḡ and s̄ = c·ḡ (2 mul), ȳ = 3·s̄ (mul), x̄ = s̄ + 3·x²·c̄ (pow, 2 mul, add):
    # pow 2, mul 7, add 2 — 11, as reverse mode's.
    case = CASES["lecture27"]
    script = generate.trace(case.function, case.point, list(case.inputs))
    adjoint = generate.build(generate.write(script, "reverse", floats=False))
    tally = Tally()
    adjoint(*counting(case.point, tally), 1)
    assert tally == Tally({"pow": 2, "mul": 7, "add": 2})


def _switch(x):
    if x > 0:
        return x * x
    return -3 * x


def test_a_path_the_code_was_not_written_for_is_traced_again():
    compiled = ds.jit(ds.grad(_switch))
    assert compiled(2.0) == 4.0 and compiled.traces == 1
    assert compiled(-1.0) == -3.0 and compiled.traces == 2  # not 2·(−1): the other branch's derivative
    assert compiled(3.0) == 6.0 and compiled.traces == 2  # both paths are kept
    script = generate.trace(_switch, [2.0], ["x"])
    written = generate.build(generate.write(script, "reverse"))
    with pytest.raises(generate.PathChanged, match="x > 0 decides otherwise"):
        written(-1.0, 1.0)


SCALE = 2.0


def _scaled(x):
    return SCALE * x * x


def test_a_global_rebound_since_the_trace_is_seen():
    global SCALE
    compiled = ds.jit(ds.grad(_scaled))
    assert compiled(1.0) == 4.0
    SCALE = 5.0
    try:
        assert compiled(1.0) == 10.0 and compiled.traces == 2
    finally:
        SCALE = 2.0


COEFFICIENTS = [1.0, 2.0]


def test_a_global_changed_in_place_since_the_trace_is_seen():
    # d/dx (c₀x + c₁x²) = c₀ + 2c₁x: 5 at x = 1 with c = (1, 2), 21 once c₁ is 10 (by hand).
    compiled = ds.jit(ds.grad(lambda x: COEFFICIENTS[0] * x + COEFFICIENTS[1] * x * x))
    assert compiled(1.0) == 5.0
    COEFFICIENTS[1] = 10.0
    try:
        assert compiled(1.0) == 21.0 and compiled.traces == 2
    finally:
        COEFFICIENTS[1] = 2.0


HELPER_DATA = np.array([1.0, 2.0, 3.0])
HELPER_SCALE = 2.0


def _helper(w):
    return np.sum(HELPER_DATA * w**2) * HELPER_SCALE


def test_a_global_that_a_helper_f_calls_reads_is_watched_too():
    global HELPER_DATA, HELPER_SCALE
    from diffstudy import watched

    def f(w):
        return _helper(w)

    g, x = ds.jit(ds.grad(f)), np.ones(3)
    assert g(x).tolist() == [4.0, 8.0, 12.0]  # ∂/∂w Σ D w² k = 2kDw, by hand
    saved = HELPER_DATA, HELPER_SCALE
    try:
        HELPER_DATA = np.array([10.0, 2.0, 3.0])  # rebound
        assert g(x).tolist() == [40.0, 8.0, 12.0]
        HELPER_SCALE = 3.0
        assert g(x).tolist() == [60.0, 12.0, 18.0]
        HELPER_DATA[1] = 5.0  # changed in place
        assert g(x).tolist() == [60.0, 30.0, 18.0] and g.traces == 4
    finally:
        HELPER_DATA, HELPER_SCALE = saved
    # a library's Python function is not looked into: its module's globals are not the user's
    from statistics import fmean

    def uses_a_library(w):
        return fmean([1.0, 2.0]) + _helper(w)

    places = [read.place for read in watched.read_by(uses_a_library)]
    assert any(p is _helper.__globals__ for p in places)
    assert not any(p is fmean.__globals__ for p in places)


WEIGHTS = np.linspace(-1.0, 1.0, 20_000)  # 160 kB: compared by its memory, not copied at each call


@pytest.mark.parametrize("size", [3, 20_000])
@pytest.mark.parametrize("change", ["last bit", "zero's sign", "int array"])
def test_an_array_f_reads_changed_in_place_by_one_bit_is_seen(size, change):
    # ∇ of Σ wᵢxᵢ is w: the code holds w as a constant, so a change of one bit must trace again.
    w = WEIGHTS[:size].copy() if change != "int array" else np.arange(size)
    w[-1] = 0.0
    compiled = ds.jit(ds.grad(lambda x: np.sum(w * x)))
    x = np.ones(size)
    assert compiled(x).tobytes() == w.astype(float).tobytes()
    if change == "last bit":
        w[size // 2] = np.nextafter(w[size // 2], 2.0)
    elif change == "zero's sign":
        w[-1] = -0.0
    else:
        w[0] += 1
    assert compiled(x).tobytes() == w.astype(float).tobytes() and compiled.traces == 2


def test_jit_agrees_with_the_api_on_every_transform():
    def f(x, w):
        return np.sum(np.tanh(x * w) ** 2) + fn.log1p(x[0] * x[0])

    x, w = np.array([0.3, -1.2, 2.0]), np.array([0.5, 0.25, -1.0])
    for transform in (ds.grad, ds.value_and_grad, ds.jacrev, ds.jacfwd, ds.hessian):
        expected = transform(f)(x, w)
        computed = ds.jit(transform(f))(x, w)
        assert _same_bits(computed if isinstance(computed, tuple) else [computed],
                          expected if isinstance(expected, tuple) else [expected]), transform.__name__  # fmt: skip
    # a new data array w is an input of the code, not a constant of it
    compiled = ds.jit(ds.grad(f))
    compiled(x, w)
    assert _same_bits([compiled(x, 2 * w)], [ds.grad(f)(x, 2 * w)]) and compiled.traces == 1


def test_jit_on_a_list_of_floats_and_exact_integers():
    compiled = ds.jit(ds.grad(lambda xs: sum(a * b for a, b in zip(xs, xs[1:]))))
    assert compiled([1.0, 2.0, 3.0]) == [2.0, 4.0, 2.0]
    exact = ds.jit(ds.grad(lambda x, y: x**3 * (x + 3 * y), argnums=(0, 1)))(2, 3)
    assert exact == (140, 24) and all(type(g) is Fraction for g in exact)


def test_a_gradients_products_by_its_seed_are_left_out_only_where_the_partial_is_a_float():
    def f(x, w):
        return fn.sin(x) * fn.cos(x) * w

    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    assert _same_bits(compiled(0.7, 3.0), ds.grad(f, argnums=(0, 1))(0.7, 3.0))
    # sin(x)·cos(x) by w: w's partial times the seed 1.0 is the product sin(x)·cos(x) itself
    assert "v5_bar = 1.0" in compiled.source and "w_bar = v4\n" in compiled.source
    assert "w * v5_bar" in compiled.source  # an input may be an int inside a list: its product stays

    def g(x, w):  # max(x, 2) is x where traced, the constant 2 (a Fraction) at x = 1
        return fn.maximum(x, 2) * w

    compiled = ds.jit(ds.grad(g, argnums=(0, 1)))
    for x in (3.0, 1.0):
        assert _same_bits(compiled(x, 5.0), ds.grad(g, argnums=(0, 1))(x, 5.0)), x  # 2.0, not Fraction(2)


def test_jit_of_f_at_exact_numbers_runs_f_itself():
    # Nothing is a float: the arguments are constants of f, whose own result is exact (the lecture's F).
    def big_f(x, y):
        return x**3 * (x + 3 * y)

    compiled = ds.jit(big_f)
    assert compiled(2, 3) == 88 and type(compiled(2, 3)) is int
    assert compiled(Fraction(1, 2), 3) == Fraction(19, 16)
    with pytest.raises(CaseError, match="no argument held a float.*give 2.0, not 2"):
        print(compiled.source)
    assert compiled(2.0, 3) == 88.0  # y = 3, an int, is a constant of the code
    assert "pow(x, 3)" in compiled.source and "x + 9" in compiled.source


def test_source_and_code():
    def f(x):
        return fn.sin(x) * x

    compiled = ds.jit(ds.grad(f))
    with pytest.raises(CaseError, match="call it once first"):
        print(compiled.source)
    compiled(1.0)
    assert "cos(x)" in compiled.source and "x_bar" in compiled.source
    assert ds.code(ds.grad(f), 1.0) == compiled.source
    with pytest.raises(CaseError, match="needs a function"):
        ds.jit(3)


def test_a_name_in_the_compiled_code_holds_the_adjoint_it_names():
    # The output's adjoint v5_bar, once used up, must not be reused for s's (it was: "v5_bar = _a1").
    def lecture27(x, y):
        c = x**3
        s = x + 3 * y
        return c * s

    source = ds.code(ds.grad(lecture27, argnums=(0, 1)), 2.0, 3.0)
    assigned = re.findall(r"^ *(v\d+_bar) = (.*)$", source, re.M)
    assert assigned == [("v5_bar", "1.0")], source  # a gradient's seed, written as 1.0
    assert ds.jit(ds.grad(lecture27, argnums=(0, 1)))(2.0, 3.0) == (140.0, 24.0)  # the lecture's numbers


def test_a_program_too_large_to_write_out_says_so(monkeypatch):
    monkeypatch.setattr(generate, "LIMIT", 10)
    script = generate.trace(lambda x: math.prod([x] * 20), [1.5], ["x"])  # 1·x·x…: 20 products
    with pytest.raises(generate.TooLarge, match="20 operations are too many to write out"):
        generate.write(script)


def test_a_float_that_overflows_on_the_way_is_an_error():
    # x / sqrt(x·x) at 1e155: x·x overflows where the result, 1, would hide it.
    with pytest.raises(Exception, match="overflow"):
        ds.jit(ds.grad(lambda x: x / fn.sqrt(x * x)))(1e155)


def test_an_array_comparison_is_checked_on_the_next_call():
    def f(x):
        return np.sum(np.where(x > 0.5, x, x * x))

    compiled = ds.jit(ds.grad(f))
    x = np.array([0.25, 0.75, 0.5])
    # np.where picks x where x > 0.5 (derivative 1) and x² elsewhere (derivative 2x).
    assert list(compiled(x)) == [0.5, 1.0, 1.0]
    assert list(compiled(np.array([0.75, 0.25, 1.0]))) == [1.0, 0.5, 1.0]
    assert compiled.traces == 2  # another answer of the comparison: another path, traced again


def test_an_index_added_into_an_adjoint_that_is_a_view_of_another():
    # ∂(x₀ + Σx)/∂x = (2, 1, 1) by hand: the sum's adjoint is a broadcast view, into which the
    # index's adjoint must not be written in place (numpy refuses; the code must copy).
    assert ds.jit(ds.grad(lambda x: x[0] + np.sum(x)))(np.array([1.0, -2.0, 3.0])).tolist() == [2, 1, 1]
    w = np.ones((2, 2))

    def f(b):
        h = np.tanh(w @ b)
        return h[0] * 2 + np.mean(h)

    b = np.array([1.0, 2.0])
    assert _same_bits([ds.jit(ds.grad(f))(b)], [ds.grad(f)(b)])


def test_jit_inside_another_transform_runs_f_on_its_numbers():
    cube = ds.jit(lambda x: x**3)
    assert ds.grad(cube)(2.0) == 12.0 and ds.jacfwd(cube)(2.0) == 12.0 and cube(2.0) == 8.0


def test_atan2_and_hypot_at_exact_points():
    # d atan2(x, 2)/dx = 2 / (x² + 4) = 2/5 and d hypot(x, 2)/dx = x / hypot = 1/√5 at x = 1, by hand.
    assert ds.grad(lambda x: np.arctan2(x, 2.0))(1) == pytest.approx(0.4, rel=1e-15)
    assert ds.grad(lambda x: np.hypot(x, 2))(1) == pytest.approx(5**-0.5, rel=1e-15)
    assert ds.grad(lambda x: fn.atan2(x, 2))(Fraction(1)) == Fraction(2, 5)


# ---------------------------------------------------------------- found by fuzzing the compiled code against the tape


def test_numpys_comparisons_and_an_entrys_truth_are_checked_on_the_next_call():
    c = np.zeros(3)

    def by_ufunc(x):  # c < x with a plain array on the left is numpy's np.less(c, x)
        return np.sum(np.where(c < x, x * x, -x)) + np.sum(np.where(np.greater(x, 1.5), x, 0.0))

    def by_truth(x):
        return np.sum(x * x) if x[0] else np.sum(x)

    for f, first, then, by_hand in (
        (by_ufunc, [1.0, 2.0, 3.0], [-1.0, 2.0, -3.0], [-1.0, 5.0, -1.0]),  # -1 | 2x + 1 | -1
        (by_truth, [1.0, 2.0], [0.0, 2.0], [1.0, 1.0]),
    ):
        compiled = ds.jit(ds.grad(f))
        compiled(np.array(first))
        assert compiled(np.array(then)).tolist() == by_hand == ds.grad(f)(np.array(then)).tolist()


def test_a_kinks_side_not_taken_leaves_nothing_to_push():
    # max(1, x²) at 0.5 is the constant 1: derivative 0 (the tape skips the side not taken).
    assert ds.jit(ds.grad(lambda x: fn.maximum(1.0, x * x)))(0.5) == 0.0
    assert ds.jit(ds.grad(lambda x: fn.sin(fn.abs(x * x))))(0.0) == 0.0


@pytest.mark.parametrize(
    "f, point, by_hand",
    [
        # numpy's maximum of two numbers of an array: the side not taken gives no term, at any order
        (lambda x: np.maximum(x[0], x[1]) * x[0], [2.0, 1.0], [2 + 2, 0.0]),
        (lambda x: np.maximum(x[0], x[1]) * x[0], [-1.0, 1.0], [1.0, -1.0]),
        (lambda x: np.maximum(x[0], x[1]) * x[0], [1.0, 1.0], [0.5 + 1, 0.5]),  # a tie: half each
        # |x| of a number at 0: sign(0) = 0
        (lambda x: abs(x[0]) * x[1], [0.0, 1.0], [0.0, 0.0]),
        (lambda x: np.abs(x[0] - x[1]) + x[0], [1.0, 1.0], [1.0, 0.0]),
        (lambda x: np.sum(np.abs(np.sum(x)) * x), [0.0, 0.0], [0.0, 0.0]),
        # the side not taken reaches x[0] through a negation: 0 (the tape's +0, the code's −0)
        (lambda x: np.maximum(x[1], (-x)[0]), [1.0, 2.0], [0.0, 1.0]),
    ],
)
def test_a_kinks_side_not_taken_in_numpy_code_is_a_zero_term_on_one_path(f, point, by_hand):
    # The rule's map, called by name, gives no term there: the code holds a 0 in its place, at
    # either side of the kink with one code.
    compiled = ds.jit(ds.grad(f))
    for x in (np.array(point), np.array(point[::-1])):
        assert compiled(x).tolist() == ds.grad(f)(x).tolist()
    assert compiled(np.array(point)).tolist() == by_hand and compiled.traces == 1


def _peak(x):
    z = np.sin(x)[[0, 2, 3]]
    return np.max(z * x[1:]) + np.sum(np.abs(x))


def test_the_tangent_code_of_an_array_program_is_numpy_code_past_an_index_and_a_kink():
    # By hand: max(sin x₀·x₁, sin x₂·x₂, sin x₃·x₃) takes its middle term at both points, so
    # the gradient is sign(x) + (0, 0, sin 2 + 2 cos 2, 0); |x₁| at 0 has sign 0.
    compiled = ds.jit(ds.jacfwd(_peak))
    for x, signs in (([0.5, -1.0, 2.0, 0.25], [1, -1, 1, 1]), ([0.5, 0.0, 2.0, 0.25], [1, 0, 1, 1])):
        by_hand = np.array(signs, dtype=float) + [0, 0, math.sin(2) + 2 * math.cos(2), 0]
        computed = compiled(np.array(x))
        assert np.allclose(computed, by_hand, rtol=1e-15, atol=0)
        assert computed.tolist() == ds.jacfwd(_peak)(np.array(x)).tolist()
    assert compiled.traces == 1
    # the index, the slice, the product and the sums are written as numpy code; only the maps
    # that look at values (max's winner, |x|'s signs) are called, and the code goes on after them
    text = compiled.source
    assert "z_dot = ops.index(v1_dot, index=_c)" in text and "v3_dot = x_dot[1:]" in text
    assert "v7_dot = np.add.reduce(v6_dot, axis=None)" in text and "v8_dot = v5_dot + v7_dot" in text
    assert re.findall(r"_\w+\.partial\(", text) == ["_max.partial("]


def test_a_number_turned_into_text_leaves_f_to_the_tape():
    # str(x) decides the path here, and no comparison shows it: by hand, at 0.5 the derivative of
    # x² is 1.0, at 2.5 that of x is 1.0 (the code of the first path would give 5.0)
    def f(x):
        return x * x if str(x).startswith("0") else x

    def g(x):
        return x * x if f"{x:.1f}".startswith("0") else x

    for program in (f, g):
        compiled = ds.jit(ds.grad(program))
        with pytest.warns(ds.JitWarning, match="turned a number into text while traced, by (str|format)"):
            assert compiled(0.5) == 1.0
        assert compiled(2.5) == 1.0 == ds.grad(program)(2.5)


def test_jit_of_the_hessian_of_a_function_of_several_numbers_is_the_tapes_per_output():
    # by hand: the Hessian of vₖ² is 2 at (k, k) and 0 elsewhere, one per output k
    compiled = ds.jit(ds.hessian(lambda v: v**2))
    with pytest.warns(ds.JitWarning, match="f gives several numbers, and the code is a gradient's"):
        first = compiled(np.array([1.0, 2.0]))
    by_hand = np.zeros((2, 2, 2))
    by_hand[0, 0, 0] = by_hand[1, 1, 1] = 2
    assert np.array_equal(first, by_hand) and np.array_equal(compiled(np.array([3.0, 4.0])), by_hand)
    assert "left to the tape" in repr(compiled)
    # f of one number at other arguments is the code's still: by hand, (x²)'' = 2
    assert compiled(2.0) == 2.0 and "1 path written out" in repr(compiled)


def test_finite_floats_whose_check_sum_overflows_are_not_an_error():
    f = ds.grad(lambda x, y: fn.sin(x * x) + fn.sin(y * y), argnums=(0, 1))
    x = 1e154  # x² = 1e308 is finite; two of them sum past the float range
    assert ds.jit(f)(x, x) == f(x, x) == (2 * x * math.cos(x * x),) * 2


def test_what_the_trace_read_and_was_changed_in_place_is_noticed():
    def poly(x, coefficients):
        return sum(c * x**i for i, c in enumerate(coefficients))

    compiled, coefficients = ds.jit(ds.grad(poly)), [1, 2, 3]
    assert compiled(2.0, coefficients) == 2 + 2 * 3 * 2.0
    coefficients[2] = 10  # an argument that is a constant of the trace, changed in place
    assert compiled(2.0, coefficients) == 2 + 2 * 10 * 2.0

    def with_default(x, scale=[1.0]):  # noqa: B006 - the mutable default is the point
        return scale[0] * x * x

    compiled = ds.jit(ds.grad(with_default))
    assert compiled(1.0) == 2.0
    with_default.__defaults__[0][0] = 4.0
    assert compiled(1.0) == 8.0


def test_globals_read_in_a_comprehension_or_an_attribute_are_noticed():
    settings = SimpleNamespace(scale=2.0)
    compiled = ds.jit(ds.grad(lambda x: sum([x * settings.scale for _ in range(2)])))
    assert compiled(1.0) == 4.0
    settings.scale = 3.0
    assert compiled(1.0) == 6.0
    # An array attribute: the same calls reuse the code; a change in place is seen.
    settings.weights = np.array([1.0, 2.0])
    compiled = ds.jit(ds.grad(lambda x: np.sum(settings.weights * x)))
    x = np.array([1.0, 1.0])
    assert [compiled(x).tolist() for _ in range(3)] == [[1.0, 2.0]] * 3 and compiled.traces == 1
    settings.weights[0] = 5.0
    assert compiled(x).tolist() == [5.0, 2.0] and compiled.traces == 2


def test_numpys_float_errors_in_the_code_leave_the_answer_to_the_tape():
    compiled = ds.jit(ds.grad(lambda x: np.linalg.norm(x)))
    compiled(np.array([1.0, 1.0]))
    big = np.array([1e155, 1e155])  # its squares overflow; the norm does not: ∇ = x / ‖x‖
    assert compiled(big) == pytest.approx([0.5**0.5] * 2, rel=1e-15)
    tiny = np.array([0.1, 2.0], dtype=np.float32)  # computed in float64, as the tape computes it
    f = ds.grad(lambda x: np.sum(np.sin(x) * x))
    assert ds.jit(f)(tiny).tolist() == f(tiny).tolist()


def test_an_overflow_nothing_reads_is_an_error_as_on_the_tape():
    def unread(x, y):
        v = x * x * y  # noqa: F841 - an overflow that does not reach the result
        return y

    g = ds.grad(unread, argnums=(0, 1))
    with pytest.raises(DomainError, match="overflow"):
        g(1e155, -1e155)
    with pytest.raises(DomainError, match="overflow"):
        ds.jit(g)(1e155, -1e155)
    assert ds.jit(g)(1.0, 2.0) == g(1.0, 2.0) == (0.0, 1.0)


def test_a_mean_is_written_as_numpy_not_as_a_call_of_its_map():
    def loss(w):
        return np.mean(np.tanh(w) ** 2)

    w = np.array([0.5, -1.0, 2.0])
    source = ds.code(ds.grad(loss), w)
    assert "_mean.partial" not in source and "np.broadcast_to(" in source
    assert "ops.mean" not in source and "/ 3.0)" in source  # the mean itself: its sum over its count
    assert ds.jit(ds.grad(loss))(w).tolist() == ds.grad(loss)(w).tolist()  # the tape's floats, bit for bit

    def columns(W):
        return np.sum(np.mean(np.tanh(W), axis=0) ** 2)

    W = np.random.default_rng(9).normal(size=(7, 3))
    assert _bits([ds.jit(ds.grad(columns))(W)]) == _bits([ds.grad(columns)(W)])
    m = np.tanh(W).mean(axis=0)  # by hand: 2 m_j (1 − tanh²) / 7
    np.testing.assert_allclose(ds.jit(ds.grad(columns))(W), 2 * m * (1 - np.tanh(W) ** 2) / 7, rtol=1e-12)


def _bits(values):
    return [np.asarray(v, dtype=float).tobytes() for v in values]


def _same_bits_as_the_tape(f, draws):
    """ds.jit(ds.grad(f)) by both arguments gives the tape's floats, bit for bit, at every (x, W) drawn."""
    compiled, taped = ds.jit(ds.grad(f, argnums=(0, 1))), ds.grad(f, argnums=(0, 1))
    return all(_bits(compiled(x, W)) == _bits(taped(x, W)) for x, W in draws)


def test_a_gradients_seed_of_one_is_left_out_of_the_numpy_code_and_nothing_unread_is_computed():
    def rosenbrock(x):
        a = x[1::2] - x[::2] ** 2
        b = 1 - x[::2]
        return np.sum(100 * a * a + b * b)

    x = np.random.default_rng(3).uniform(0.5, 1.5, 10)
    compiled = ds.jit(ds.grad(rosenbrock))
    assert _bits([compiled(x)]) == _bits([ds.grad(rosenbrock)(x)])
    backward = compiled.source.split("the backward sweep")[1]
    # b * 1 is b: the spread seed is not multiplied by, so it is not made at all (b's adjoint is b + b)
    assert "broadcast_to" not in backward and re.search(r"b_bar = (b \+ b|np\.add\(b, b, out=b\))\n", backward)
    # x[::2] ** 2 is read once, by the line after it: freed there, not held to the end
    assert re.search(r"a = \(v1 - (v\d+)\)\n +del \1\n", compiled.source), compiled.source
    # jacrev seeds each row with another unit vector: its code keeps the products by the seed
    rows = ds.jit(ds.jacrev(lambda x: x * x))(x[:3])
    assert np.array_equal(rows, np.diag(2 * x[:3]))


def test_an_adjoint_of_ones_that_receives_more_is_no_longer_taken_for_ones():
    # a0's adjoint starts as the spread seed (from np.sum(a0)) and then receives two more terms;
    # taken for ones, the product by it was left out and the gradient was wrong (1.8 for 2.616).
    def f(x):
        a0 = np.maximum(x, 0) * x
        return np.mean(np.cumsum(a0)) + np.sum(np.hypot(x, a0)[[0, 3, 0]] ** 2) + np.sum(a0)

    x = np.array([0.3, -0.5, 1.2, 0.7])
    assert _bits([ds.jit(ds.grad(f))(x)]) == _bits([ds.grad(f)(x)])
    # by hand, ∂/∂x0 with a0 = x0² there: 0.6 (the mean of the cumsum: 4 sums of 4, × 2·x0)
    # + 2·(2·x0 + 2·a0·0.6) (hypot² picked twice) + 0.6 (the sum of a0)
    assert ds.jit(ds.grad(f))(x)[0] == pytest.approx(0.6 + 2 * (0.6 + 2 * 0.09 * 0.6) + 0.6, rel=1e-12)
    h = 1e-6
    numeric = [(f(x + h * e) - f(x - h * e)) / (2 * h) for e in np.eye(4)]
    assert np.allclose(ds.jit(ds.grad(f))(x), numeric, rtol=1e-6, atol=1e-8)


def test_adding_in_place_never_writes_into_an_input_or_a_value_of_f():
    # Adjoints that alias f's values or the inputs (b_bar = b, y_bar = x) must not be added into in place.
    def f(x, y):
        b = 1 - x
        return np.sum(b * b) + np.sum(x * y) + np.sum(y[1:] * x[:-1]) + np.sum(x)

    x, y = np.linspace(0.1, 0.9, 6), np.linspace(-1.0, 1.0, 6)
    x0, y0 = x.copy(), y.copy()
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    for _ in range(3):
        assert _bits(compiled(x, y)) == _bits(ds.grad(f, argnums=(0, 1))(x, y))
    assert np.array_equal(x, x0) and np.array_equal(y, y0)
    gx, gy = compiled(x, y)
    assert np.allclose(gy, x + np.r_[0.0, x[:-1]], rtol=1e-14) and not np.shares_memory(gy, x)


def test_the_code_raises_numpys_float_errors_and_keeps_what_the_caller_set_for_underflow():
    calls = []
    with generate.float_errors_raised(), pytest.raises(FloatingPointError):
        np.array([1e308]) * 10
    with np.errstate(under="call", call=lambda *a: calls.append(a)), generate.float_errors_raised():
        np.array([1e-308]) * 1e-10
        assert np.geterr()["over"] == "raise"
    assert calls and np.geterr()["over"] != "raise"


def test_a_spread_adjoint_is_a_view_as_on_the_tape_so_that_matmul_sums_in_the_same_order():
    # numpy's matmul sums a broadcast view and a filled copy of it in different orders: the code
    # gave the W gradient another last bit in 92 of 200 draws when it filled a mean's adjoint.
    def f(x, W):
        return np.mean(np.linalg.inv(W * 0.1 + 2 * np.eye(3)) @ np.einsum("ij,j->i", W, -x)) + np.mean(x)

    rng = np.random.default_rng(5)
    assert _same_bits_as_the_tape(f, [(rng.normal(size=3), rng.normal(size=(3, 3))) for _ in range(40)])


def test_a_product_by_ones_is_left_out_only_where_it_would_not_change_the_memorys_layout():
    # x[::-1] * ones is a new array laid out forwards; x[::-1] itself runs backwards, and inv's
    # matmul summed it in another order: W's gradient had another last bit in 42 of 300 draws.
    def f(x, W):
        return np.sum((np.linalg.inv(W * 0.1 + 2 * np.eye(2)) @ x) * x[::-1])

    rng = np.random.default_rng(0)
    assert _same_bits_as_the_tape(f, [(rng.normal(size=2), rng.normal(size=(2, 2))) for _ in range(60)])


def test_an_adjoint_passed_on_unchanged_shares_its_register_and_a_sum_into_a_shared_one_takes_a_new_one():
    # d(u + t)/du = 1: u's adjoint is v's number itself, not a copy; u then receives w's term,
    # which must not be added into the register that t's adjoint still shares.
    def f(x, y):
        t = x * y
        u = t + 1.0
        v = u + t
        w = v * u
        return w + v

    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    for x, y in [(0.3, -1.7), (2.0, 3.0), (-0.25, 0.5)]:
        t, u = x * y, x * y + 1.0
        v = u + t
        # by hand: df/dv = u + 1, df/du = v + (u + 1), df/dt = df/dv + df/du, df/dx = y·df/dt
        dt = (u + 1) + (v + u + 1)
        assert compiled(x, y) == ds.grad(f, argnums=(0, 1))(x, y)
        assert compiled(x, y) == pytest.approx((y * dt, x * dt), rel=1e-14)
    copies = re.findall(r"^ *(_a\d+) = (_a\d+)$", compiled.source, re.M)
    assert copies == [], compiled.source


def test_an_overflow_the_code_finds_is_named_in_the_tapes_words():
    def f(x):
        return x / (1 + x * x)

    for g in (ds.grad(f), ds.jit(ds.grad(f))):
        with pytest.raises(DomainError, match=r"^mul of 1e\+200 and 1e\+200 overflows a float$"):
            g(1e200)
    assert ds.jit(ds.grad(f))(2.0) == pytest.approx((1 - 4) / 25, rel=1e-15)  # (1 − x²)/(1 + x²)², by hand


def test_numpy_code_writes_into_an_array_it_made_once_nothing_else_reads_it():
    def rosenbrock(x):
        a = x[1::2] - x[::2] ** 2
        b = 1 - x[::2]
        return np.sum(100 * a * a + b * b)

    x = np.random.default_rng(5).uniform(0.5, 1.5, 2 * generate._REUSED)
    kept = x.copy()
    compiled = ds.jit(ds.grad(rosenbrock))
    gradient = compiled(x)
    assert _bits([gradient]) == _bits([ds.grad(rosenbrock)(x)])
    assert np.array_equal(x, kept)  # the input is read, never written into
    # by hand: ∂/∂x₂ᵢ₊₁ = 200aᵢ, ∂/∂x₂ᵢ = −400x₂ᵢaᵢ − 2bᵢ
    a, b = x[1::2] - x[::2] ** 2, 1 - x[::2]
    np.testing.assert_allclose(gradient[1::2], 200 * a, rtol=1e-13)
    np.testing.assert_allclose(gradient[::2], -400 * x[::2] * a - 2 * b, rtol=1e-12, atol=1e-12)
    # x[::2] ** 2 is read once, by the next line, which writes into it
    assert re.search(r"a = np\.subtract\(v1, (v\d+), out=\1\)\n +del \1\n", compiled.source), compiled.source
    assert "b_bar = np.add(b, b, out=b)\n" in compiled.source  # f's b dies in its own adjoint
    assert "out=x)" not in compiled.source
    # the copy of x[::2] (read twice) is read last by x[::2] ** 2's adjoint term, (2 · v2) · ā: both
    # products written into it; ā is not, as the adjoint of x[1::2] passed on holds it
    assert re.search(r"= np\.multiply\(np\.multiply\(2, (v\d+), out=\1\), a_bar, out=\1\)\n", compiled.source)


def _in_place(lines: list[str], size: int = 5000) -> list[str]:
    """The body of a function of these lines, every name a vector of ``size`` floats, after
    generate's pass that writes into arrays read for the last time."""
    names = set(re.findall(r"[A-Za-z_]\w*", "\n".join(lines)))
    layouts = {name: ((size,), None) for name in names}
    return generate._reused_in_place(["def f(x):", '    """f."""', *(f"    {line}" for line in lines)], layouts)[2:]


def test_an_array_is_written_into_where_the_last_of_its_names_reads_it_and_inside_an_operation():
    body = [
        "v2 = x[::2].copy()",
        "v5 = v2",  # the same array, a second name: read for the last time on the next line
        "t = (1 - v5)",
        "a_bar = (t * t)",
        "v1_bar = a_bar",
        "v2_bar = ((2 * v2) * a_bar)",
        "return v1_bar, v2_bar, t",
    ]
    # by hand: v2's array is read last by v2_bar's line, inside the product and around it; ā lives
    # on as v1_bar and t is returned, so neither is written into; x is an input and never is
    expected = [*body[:5], "v2_bar = np.multiply(np.multiply(2, v2, out=v2), a_bar, out=v2)", body[6]]
    assert [line.strip() for line in _in_place(body)] == expected
    unchanged = {
        "the other name read after": [*body[:6], "return v1_bar, v2_bar, t, v5"],
        "the array read twice, inside and around": [*body[:5], "v2_bar = ((2 * v2) * v2)", body[6]],
        "a view, not a copy": ["v2 = x[::2]", *body[1:]],
        "in a loop": [*body[:5], "for _t in range(2):", "    v2_bar = ((2 * v2) * a_bar)", body[6]],
        "a view of it kept": [body[0], "v5 = v2[1:]", *body[2:]],
        "a second name given another array, the first read after": [
            "v2 = (x * 2.0)", "a_bar = v2", "a_bar = (a_bar * 3.0)", "return v2",
        ],
        "a name given another array, its second name a view's": [
            "v2 = (x * 2.0)", "v5 = v2", "w = v2[::2]", "v2 = (x * 3.0)", "d = (v5 + 1.0)", "return d, w",
        ],
        "two names of one array in one expression": [
            "v2 = (x * 2.0)", "x_bar = v2", "v1_bar = v2", "x_bar = (x_bar + (100 * v1_bar))", "return x_bar",
        ],
    }  # fmt: skip
    for why, lines in unchanged.items():
        assert [line.strip() for line in _in_place(lines)] == [line.strip() for line in lines], why


def test_an_array_a_view_still_reads_is_not_written_into():
    def f(x):
        y = x * 2.0
        z = y[::2]  # a view of y, read after y's name is last read
        w = y * 3.0
        return np.sum(w) + np.sum(z * z)

    x = np.random.default_rng(6).normal(size=2 * generate._REUSED)
    compiled = ds.jit(ds.grad(f))
    gradient = compiled(x)
    assert _bits([gradient]) == _bits([ds.grad(f)(x)])
    expected = np.full_like(x, 6.0)  # by hand: 6, and 8x at the even entries (z = 2x there)
    expected[::2] += 8 * x[::2]
    np.testing.assert_allclose(gradient, expected, rtol=1e-14)
    assert not re.search(r"w = np\.multiply\(y, 3\.0, out=y\)", compiled.source), compiled.source


def test_the_gradient_of_a_sum_is_an_array_the_user_can_change():
    x = np.arange(4.0)
    for g, slope in (
        (ds.grad(np.sum), 1.0),
        (ds.jit(ds.grad(np.sum)), 1.0),
        (ds.jit(ds.grad(lambda v: 2 * np.sum(v))), 2.0),
    ):
        gradient = g(x)
        gradient *= 3  # a broadcast view of one number would refuse: "assignment destination is read-only"
        assert gradient.tolist() == [3 * slope] * 4  # by hand: ∂Σv/∂vᵢ = 1


def test_jit_names_the_argument_that_is_not_a_number_as_the_tape_does():
    def f(x, y):
        return x * y

    for args in (("a", 2.0), ([1.0, "x"], 2.0)):
        for g in (ds.grad(f), ds.jit(ds.grad(f))):
            with pytest.raises(TypeError, match=r"^argument 0: str is not a number"):
                g(*args)


def test_each_check_of_a_loops_path_names_the_line_of_its_comparison():
    def halve(x):
        total = 0.0
        while x > 0.5:  # the comparison: the line every check names
            x = x * 0.5
            total = total + x
        return total

    line = halve.__code__.co_firstlineno + 2
    source = ds.code(ds.grad(halve), 3.0)
    checks = re.findall(r"raise PathChanged\('(.*)'\)", source)
    assert len(checks) == 4, source  # 3.0 → 1.5 → 0.75 → 0.375: four comparisons
    assert all(check.endswith(f"(test_generated.py, line {line})") for check in checks), checks
    # each check under its comparison's line, not under the line of the loop's body before it
    assert len(re.findall(rf"# test_generated.py:{line}: while x > 0.5:.*\n +if ", source)) == 4, source
    compiled = ds.jit(ds.grad(halve))
    assert compiled(3.0) == 0.875 and compiled(100.0) == 1 - 2.0**-8  # by hand: Σ of the halvings' derivatives


def test_a_solve_both_adjoints_need_is_written_once():
    def f(A, b):
        x = np.linalg.solve(A, b)
        return np.sum(x * x)

    A, b = np.array([[3.0, 1.0], [0.5, 2.0]]), np.array([1.0, -2.0])
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    gradient = compiled(A, b)
    assert compiled.source.count("ops.solve(A.transpose((1, 0))") == 1, compiled.source
    assert _bits(gradient) == _bits(ds.grad(f, argnums=(0, 1))(A, b))
    # by hand: x = A⁻¹b, b̄ = A⁻ᵀ(2x), Ā = −b̄xᵀ
    x = np.linalg.solve(A, b)
    b_bar = np.linalg.solve(A.T, 2 * x)
    np.testing.assert_allclose(gradient[1], b_bar, rtol=1e-14)
    np.testing.assert_allclose(gradient[0], -np.outer(b_bar, x), rtol=1e-14)


def test_jit_of_f_alone_says_where_a_value_overflowed_as_the_tape_does():
    # f on floats gives 0.0 (1e200 / (1 + inf)) and nan (exp(800) * 0) without a word
    with pytest.raises(DomainError, match=r"^mul of 1e\+200 and 1e\+200 overflows a float$"):
        ds.jit(lambda x: x / (1 + x * x))(1e200)
    with pytest.raises(DomainError, match="exp"):
        ds.jit(lambda x: np.exp(x) * 0.0)(800.0)
    assert ds.jit(lambda x: x / (1 + x * x))(2.0) == 0.4


def test_two_gradients_are_never_one_array():
    # ∂/∂a and ∂/∂b of Σ(a + b)² are one array on the tape's way; the user gets two
    def f(a, b):
        return np.sum((a + b) ** 2)

    for g in (ds.grad(f, argnums=(0, 1)), ds.jit(ds.grad(f, argnums=(0, 1)))):
        ga, gb = g(np.ones(3), np.ones(3))
        assert not np.shares_memory(ga, gb)
        ga *= 0.5
        assert gb.tolist() == [4.0, 4.0, 4.0]  # by hand: 2(a + b)


def test_gradients_by_arrays_come_as_the_tape_gives_them():
    # Σa + Σb²: a's adjoint is a broadcast view of one number, which the user gets as an array of their own
    def f(a, b):
        return np.sum(a) + np.sum(b * b)

    a, b = np.ones((2, 2)), np.array([1.0, -2.0])
    for argnums, by_hand in (((0,), (np.ones((2, 2)),)), ((0, 1), (np.ones((2, 2)), 2 * b)), (0, np.ones((2, 2)))):
        compiled = ds.jit(ds.grad(f, argnums=argnums))
        for _ in range(2):  # traced, then run
            gradient = compiled(a, b)
            assert type(gradient) is type(ds.grad(f, argnums=argnums)(a, b)) is type(by_hand)
            for got, expected in zip(
                gradient if isinstance(gradient, tuple) else [gradient],
                by_hand if isinstance(by_hand, tuple) else [by_hand],
            ):
                assert got.tolist() == expected.tolist()
                got *= 2  # the user's own array, writable


def test_the_code_makes_no_adjoint_of_an_argument_not_differentiated():
    rng = np.random.default_rng(7)
    X, y, w = rng.normal(size=(50, 4)), rng.normal(size=50), rng.normal(size=4)

    def loss(w, X, y):
        r = X @ w - y
        return np.sum(np.tanh(r * r))

    compiled = ds.jit(ds.grad(loss))
    gradient = compiled(w, X, y)
    assert "X_bar" not in compiled.source and "y_bar" not in compiled.source, compiled.source
    assert _bits([gradient]) == _bits([ds.grad(loss)(w, X, y)])
    r = X @ w - y  # by hand: Σ tanh'(r²) 2r x
    np.testing.assert_allclose(gradient, X.T @ ((1 - np.tanh(r * r) ** 2) * 2 * r), rtol=1e-12)
    # r * r: both of its terms are r · ḡ, made once and doubled
    assert re.search(r"r_bar = \(r \* v\d+_bar\)\n(?: +del .*\n)? +r_bar \+= r_bar\n", compiled.source), compiled.source
    everything = ds.jit(ds.grad(loss, argnums=(0, 1, 2)))(w, X, y)
    assert _bits(everything) == _bits(ds.grad(loss, argnums=(0, 1, 2))(w, X, y))


def test_a_name_the_program_uses_itself_is_never_given_to_another_value():
    def f(x):
        y = x * 2.0
        y = y * 3.0  # the second y: not the program's own y_2 below
        y_2 = y * 5.0
        return y_2 * y

    assert ds.jit(ds.grad(f))(1.5) == ds.grad(f)(1.5) == 540.0  # by hand: 180x², 360x

    def g(y, y_2):
        y = y * 2
        return np.sum(y * y_2)

    a, b = np.arange(3.0), np.arange(3.0) + 1
    for gradient, by_hand in zip(ds.jit(ds.grad(g, argnums=(0, 1)))(a, b), (2 * b, 2 * a)):
        assert gradient.tolist() == by_hand.tolist()


def test_a_matrix_is_not_written_into_where_its_layout_would_change_a_later_sums_order():
    rng = np.random.default_rng(1)
    X, Y = rng.normal(size=(256, 32)), rng.normal(size=(32, 256))

    def loss(w):
        r = X.T * w - Y  # X.T * w is laid out by columns; numpy gives r by rows
        return np.sum(r * r)

    w = rng.normal(size=(32, 1))
    gradient = ds.jit(ds.grad(loss))(w)
    assert _bits([gradient]) == _bits([ds.grad(loss)(w)])
    np.testing.assert_allclose(gradient[:, 0], np.sum(2 * (X.T * w - Y) * X.T, axis=1), rtol=1e-12)


def test_an_array_that_overflows_while_traced_is_an_error_not_a_warning():
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # numpy's RuntimeWarning would fail here
        with pytest.raises(ds.DomainError, match="overflow"):
            ds.jit(lambda x: np.sum(x / (1 + x * x)))(np.array([1e200, 1.0]))
    assert issubclass(ds.DomainError, ds.DiffstudyError)


def test_a_matrix_laid_out_as_numpy_lays_the_result_out_is_written_into_and_another_layout_is_traced_again():
    rng = np.random.default_rng(8)
    B = rng.normal(size=(64, 64))

    def loss(A):
        r = (A @ B) - 1.0  # a product is laid out by rows: r is written into it
        t = np.tanh(r)
        return np.sum(t.T @ t)

    A = rng.normal(size=(64, 64)) / 8
    compiled = ds.jit(ds.grad(loss))
    for laid_out in (A, np.asfortranarray(A)):
        assert _bits([compiled(laid_out)]) == _bits([ds.grad(loss)(laid_out)])
    assert compiled.traces == 2  # by rows, then by columns
    assert re.search(r"r = np\.subtract\((v\d+), 1\.0, out=\1\)", compiled.source), compiled.source
    # by hand: Σ tᵀt = Σₖ (Σᵢ tₖᵢ)², so ∂/∂t = 2 t 𝟙𝟙ᵀ; then tanh' = 1 − t² and the product's Bᵀ
    t = np.tanh(A @ B - 1.0)
    by_hand = ((2 * t @ np.ones((64, 64))) * (1 - t * t)) @ B.T
    np.testing.assert_allclose(compiled(A), by_hand, rtol=1e-9, atol=1e-12)


def test_an_array_inside_a_dict_laid_out_otherwise_is_traced_again():
    rng = np.random.default_rng(1)
    A, C = rng.standard_normal((80, 80)), rng.standard_normal((80, 80))

    def g(p):
        return np.sum(np.sin((p["w"] * 3.0) * C)) ** 2

    compiled = ds.jit(ds.grad(g))
    compiled({"w": A})
    by_columns = {"w": np.asfortranarray(A)}
    assert _bits([compiled(by_columns)["w"]]) == _bits([ds.grad(g)(by_columns)["w"]])
    assert compiled.traces == 2
    s = np.sum(np.sin(3.0 * A * C))  # by hand: 2s cos(3AC) 3C
    np.testing.assert_allclose(compiled(by_columns)["w"], 2 * s * np.cos(3.0 * A * C) * 3.0 * C, rtol=1e-9)


def test_an_input_laid_out_by_columns_gives_the_tapes_bits():
    rng = np.random.default_rng(0)
    C = rng.standard_normal((5, 4))

    def f(s, a):
        return np.sum(s * C * a)

    gradient, compiled = ds.grad(f, argnums=0), ds.jit(ds.grad(f, argnums=0))
    for _ in range(20):
        a = np.asfortranarray(rng.standard_normal((5, 4)))
        assert _bits([compiled(0.5, a)]) == _bits([gradient(0.5, a)])
        assert compiled(0.5, a) == pytest.approx(np.sum(C * a), rel=1e-13)  # by hand: Σ C a


def test_gradients_come_in_argnums_order():
    rng = np.random.default_rng(2)
    A, X = rng.standard_normal((6, 6)) + 3 * np.eye(6), rng.standard_normal((6, 4))

    def f(A, X):
        return np.sum(np.linalg.solve(A, X) ** 2)

    for g in (ds.grad(f, argnums=(1, 0)), ds.jit(ds.grad(f, argnums=(1, 0)))):
        by_X, by_A = g(A, X)
        assert by_X.shape == (6, 4) and by_A.shape == (6, 6)
        Y = np.linalg.solve(A, X)  # by hand: X̄ = A⁻ᵀ 2Y, Ā = −X̄ Yᵀ
        np.testing.assert_allclose(by_X, np.linalg.solve(A.T, 2 * Y), rtol=1e-12)
        np.testing.assert_allclose(by_A, -np.linalg.solve(A.T, 2 * Y) @ Y.T, rtol=1e-12)


def test_a_view_of_an_input_taken_twice_is_made_once_and_gives_the_tapes_bits():
    def rosenbrock(x):
        a = x[1::2] - x[::2] ** 2
        b = 1 - x[::2]
        return np.sum(100 * a * a + b * b)

    def shared(x, W):  # the same views read as a whole, in arithmetic, and added into
        u, v = x[::2], x[::2]
        w = u * 2.0
        return np.sum(w * v + v) + np.sum(W.T * W.T[0])

    rng = np.random.default_rng(5)
    compiled, taped = ds.jit(ds.grad(rosenbrock)), ds.grad(rosenbrock)
    for x in (rng.uniform(-2, 2, 10), rng.uniform(-1e3, 1e3, 200), np.array([0.0, -0.0, -1.0, 1e-300])):
        kept = x.copy()
        assert _bits([compiled(x)]) == _bits([taped(x)])
        assert _bits([x]) == _bits([kept])  # the input is not written into
    code = [line for line in compiled.source.splitlines() if not line.strip().startswith("#")]
    assert sum(line.count("x[::2]") for line in code) == 1  # taken once, its second name the first's
    assert _same_bits_as_the_tape(shared, [(rng.normal(size=8), rng.normal(size=(3, 3))) for _ in range(20)])


def _tree_bits(x):
    """A nest of tuples, lists and arrays of floats as its leaves' types and bits (-0.0 apart from 0.0)."""
    if isinstance(x, (list, tuple, np.ndarray)):
        return [type(x).__name__, [_tree_bits(y) for y in x]]
    return [type(x).__name__, x.hex() if isinstance(x, float) else repr(x)]


def test_long_scalar_code_takes_its_inputs_by_index_and_gives_the_tapes_bits(monkeypatch):
    monkeypatch.setattr(generate, "INDEXED_FROM", 0)  # every program written so

    def f(xs, y):
        a, b, c = xs
        s = a * b + max(c, 2.0)  # a maximum may give its constant, 2.0
        if s > 1.0:  # a comparison: another path traced again
            s = s * y
        return s + a + fn.sin(b) * c * c

    def pair(x, y, z):  # y's adjoint is x's number (∂(x + y)), z is read by nothing
        return x + y, x * x

    rng = np.random.default_rng(11)
    for _ in range(12):
        xs, y = [float(v) for v in rng.uniform(-2, 2, 3)], float(rng.uniform(-2, 2))
        for transform in (ds.grad, ds.value_and_grad):
            for argnums in (0, (0, 1), (1, 0)):
                compiled, taped = ds.jit(transform(f, argnums=argnums)), transform(f, argnums=argnums)
                assert _tree_bits(compiled(xs, y)) == _tree_bits(taped(xs, y)), (xs, y, transform, argnums)
        assert _tree_bits(ds.jit(f)(xs, y)) == _tree_bits(f(xs, y))
        with_an_int = [2, xs[1], xs[2]]
        assert _tree_bits(ds.jit(ds.grad(f))(with_an_int, y)) == _tree_bits(ds.grad(f)(with_an_int, y))
        point = (xs[0], y, xs[2])
        jacobian = ds.jacrev(pair, argnums=(0, 1, 2))
        assert _tree_bits(ds.jit(jacobian)(*point)) == _tree_bits(jacobian(*point))
    compiled = ds.jit(ds.grad(f))
    compiled([0.5, 0.25, 3.0], 2.0)
    assert compiled.source.startswith("def grad_of_f(_inputs, _u0):") and "_input_bars[0] = " in compiled.source


def test_the_speelpenning_loop_of_1000_keeps_its_frame_small_and_gives_the_tapes_bits():
    program, _, _ = speelpenning(1000)
    point = [float(v) for v in np.random.default_rng(0).uniform(0.9, 1.1, 1000)]
    compiled = ds.jit(ds.grad(lambda xs: program(*xs)))
    assert _tree_bits(compiled(point)) == _tree_bits(ds.grad(lambda xs: program(*xs))(point))
    # 1,000 numbers of the forward sweep and a few registers: not the 3,000 written out before,
    # whose frame CPython allocated anew at every call
    assert compiled.last.function.__code__.co_nlocals < 1_100


def test_a_long_loop_planned_for_rolling_and_written_out_names_its_inputs_by_index():
    def f(xs):  # 4,000 operations: looked at for rolling, the maximum's partial keeps it written out
        s = t = 0.0
        for x in xs:
            t = t + fn.maximum(x, 0.3)
            s = s + t * 1e-3
        return s

    xs = [float(v) for v in np.random.default_rng(4).uniform(-1, 1, 1000)]
    for transform in (ds.grad, ds.value_and_grad, ds.jacrev):
        assert _tree_bits(ds.jit(transform(f))(xs)) == _tree_bits(transform(f)(xs))


def test_an_output_that_is_an_input_is_checked_for_inf_and_nan_in_long_code():
    def long(xs):  # 1,001 inputs: the code reads them by index
        s = 0.0
        for v in xs[1:]:
            s = s + fn.sin(v) * 0.001
        return max(xs[0], s)

    compiled = ds.jit(ds.grad(long))
    assert _tree_bits(compiled([2.0] + [0.5] * 1000)) == _tree_bits(ds.grad(long)([2.0] + [0.5] * 1000))
    for bad in (math.inf, math.nan):
        point = [bad] + [0.5] * 1000
        with pytest.raises(CaseError):
            ds.grad(long)(point)  # the tape: not a finite number
        with pytest.raises(CaseError):
            compiled(point)  # the code traced at a finite point, called at this one


def test_a_list_not_differentiated_with_an_int_among_its_floats_is_a_constant_as_for_the_tape():
    def g(xs, y):  # 1,300 operations
        s = y
        for _ in range(650):
            s = s * 0.999 + fn.sin(s)
        return s + xs[0] + xs[1]

    for xs in ([1.0, 2, 3.0], [1.0, True, 3.0], [1.0, np.int64(2), 3.0]):
        assert _tree_bits(ds.jit(ds.grad(g, argnums=1))(xs, 0.5)) == _tree_bits(ds.grad(g, argnums=1)(xs, 0.5))
        assert float(ds.jit(g)(xs, 0.5)).hex() == float(g(xs, 0.5)).hex()  # (f's own is numpy's with an int64)
    assert ds.jit(lambda xs, y: y * 2.0)([], 3.0) == 6.0  # an empty list


def test_an_adjoint_past_1e154_is_a_gradient_not_an_error():
    big = np.ones(5000)  # (its squares would overflow: the check adds the entries themselves)
    big[:2] = 1e200, -3e180
    g = ds.jit(ds.grad(lambda x: np.sum(big * x)))
    assert g(np.ones(5000)).tolist() == ds.grad(lambda x: np.sum(big * x))(np.ones(5000)).tolist() == big.tolist()


def test_a_negated_adjoint_is_left_to_where_it_is_read_and_a_product_f_made_is_not_made_again():
    # b = 1 − x[::2] gives x[::2] the adjoint −b̄: the code makes it with np.negative, and the
    # term from x[::2]² is subtracted, not negated and added; the same floats.
    def rosenbrock(x):
        a = x[1::2] - x[::2] ** 2
        b = 1 - x[::2]
        return np.sum(100 * a * a + b * b)

    x = np.random.default_rng(3).uniform(-2, 2, 10)
    g = ds.jit(ds.grad(rosenbrock))
    assert g(x).tobytes() == ds.grad(rosenbrock)(x).tobytes()
    assert "_x_bar_part = np.negative(b_bar)" in g.source
    assert "np.subtract(_x_bar_part, v2_bar, x_bar[::2])" in g.source
    assert " = -" not in g.source
    # 100·a·a gives a the adjoint v7 + 100·v7̄ with v7̄ = a: 100·a is v7, which f computed already
    assert g.source.count("(100 * a)") == 1 and "a_bar = v7 + v7" in g.source


def test_a_negated_adjoint_through_a_sum_is_written_first_a_zero_keeps_its_sign():
    # v̄ = −ā = [−2, −2] at x = 0; Wᵀv̄ = 1·(−2) + (−1)·(−2) = +0 (a sum that cancels is +0), where
    # −(Wᵀā) would be −0: the negation is written before the map that adds.
    W = np.array([[1.0], [-1.0]])

    def f(x):
        a = 1 - W @ x
        return np.sum(a * a)

    gradient = ds.jit(ds.grad(f))(np.array([0.0]))
    assert gradient.tobytes() == ds.grad(f)(np.array([0.0])).tobytes() == np.array([0.0]).tobytes()


def test_an_adjoint_that_was_an_array_passed_on_and_then_summed_into_is_not_that_array():
    # a4·a4 gives a4 the adjoint a4 (the seed's ones left out), then a4 + a4: the product by exp's
    # partial (a4 · ā4) is not f's a4 · a4 once ā4 is the sum. ∂/∂y Σ e^{2 tanh y} = 2e^{2t}(1 − t²).
    def f(y):
        a4 = np.exp(np.tanh(y))
        return np.sum(a4 * a4)

    y = np.array([0.3, -0.7, 1.1])
    gradient = ds.jit(ds.grad(f))(y)
    assert gradient.tobytes() == ds.grad(f)(y).tobytes()
    t = np.tanh(y)
    np.testing.assert_allclose(gradient, 2 * np.exp(2 * t) * (1 - t * t), rtol=1e-14)


def test_a_float_squared_is_written_as_a_product_with_the_tapes_bits_and_its_overflow():
    def rosenbrock(xs):
        s = 0.0
        for i in range(len(xs) - 1):
            s = s + 100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2
        return s

    g = ds.jit(ds.grad(rosenbrock))
    rng = np.random.default_rng(4)
    for xs in ([0.5, 1.2, 0.8], list(rng.uniform(-2, 2, 6)), [-0.0, 1e-200, 3.0]):
        assert _same_bits([g(list(xs))], [ds.grad(rosenbrock)(list(xs))])
    assert "v5 = v4 * v4" in g.source and "pow(v4" not in g.source and "pow(v16, 1)" not in g.source
    assert "pow(xs_0, 2)" in g.source  # an input may be an int inside a list of floats: pow keeps it exact
    # (x₁ − x₀²)² past the float range in the code traced at (0.5, 1.2): inf from the product v3 * v3
    # (not from pow, which raises itself), an error as on the tape
    g([0.5, 1.2])
    assert "v4 = v3 * v3" in g.source
    with pytest.raises(DomainError, match="overflow"):
        ds.grad(rosenbrock)([0.0, 1e160])
    with pytest.raises(DomainError, match="overflow"):
        g([0.0, 1e160])
    with pytest.raises(DomainError, match="is inf: it overflowed"):  # the code itself finds it
        g.last.function(0.0, 1e160, 1.0)


def test_a_negated_mean_spread_back_is_negated_before_a_matmul_reads_it():
    # −mean(G x): the mean's adjoint is a broadcast view, which numpy's matmul sums in its own
    # loop; negated later as an array, BLAS summed it in another order (a last bit in half of G).
    x = np.ones(4)
    for seed in range(12):
        G = np.random.default_rng(seed).normal(size=(3, 4))
        f = lambda x, G=G: -np.mean(G @ x)  # noqa: E731
        assert ds.jit(ds.grad(f))(x).tobytes() == ds.grad(f)(x).tobytes(), seed


INDEX_PROGRAMS = {  # f of x, and whether index terms write every entry of x's adjoint before it is read (by hand)
    "Rosenbrock's slices": (lambda x: np.sum(100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2), True),
    "entries one by one": (lambda x: x[0] * x[1] + x[2] - x[0] + x[3] ** 2, True),
    "two slices that cover x": (lambda x: np.sum(x[:2] ** 2) - np.sum(x[2:] * 3), True),
    "reversed, then split": (lambda x: np.sum(x[::-1][:2] * x[2:]), False),  # x[::-1] is one index, then two more
    "slices that overlap": (lambda x: np.sum(x[:3]) * 1.0 + np.sum(x[1:] ** 2), False),
    "an entry left out": (lambda x: np.sum(x[1:] ** 2), False),
    "an entry twice": (lambda x: x[0] * x[0], False),
}


@pytest.mark.parametrize("name", INDEX_PROGRAMS)
def test_an_index_adjoint_left_unwritten_nowhere_starts_empty_and_keeps_the_tapes_bits(name):
    f, covered = INDEX_PROGRAMS[name]
    compiled = ds.jit(ds.grad(f))
    for x in (np.array([1.0, -0.0, 3.0, 0.0]), np.array([-0.0, 0.0, -0.0, 0.0]), np.array([0.5, -1.5, 2.5, -3.5])):
        compiled(x)
        # np.empty's memory filled with nan: an entry read before written would show
        poisoned = SimpleNamespace(**{**vars(np), "empty": lambda shape: np.full(shape, np.nan)})
        compiled.last.function.__globals__["np"] = poisoned
        try:
            got, want = compiled(x), ds.grad(f)(x)
        finally:
            compiled.last.function.__globals__["np"] = np
        assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want)), (x, got, want)
    assert ("np.empty(" in compiled.source) is covered


# f of x and y, and the index terms the code adds before writing them into an adjoint's entries
# (by hand: the last use of a slice in f gives its adjoint's first term, the one before the second)
GATHERED_PROGRAMS = {
    "Rosenbrock's": (lambda x, y: np.sum(100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2) * np.sum(y), ["x"]),
    "three terms, one slice": (
        lambda x, y: np.sum((1 - x[::2]) * (2 - x[::2]) + x[::2] ** 2 + x[1::2] * y[1::2]),
        ["x"],
    ),
    "subtracted first": (lambda x, y: np.sum(x[::2] ** 2 - x[::2] * 3 - x[1::2] * y[::2]), ["x"]),
    "two adjoints": (lambda x, y: np.sum((1 - x[::2]) * (1 - y[::2]) + x[::2] ** 2 * y[::2]), ["x", "y"]),
    "the whole array too": (lambda x, y: np.sum((1 - x[::2]) ** 2 + x[::2] ** 2 * y[::2]) + np.sum(x), []),
    "one term each": (lambda x, y: np.sum(x[::2] * x[1::2] * y[::2]), []),
}


@pytest.mark.parametrize("name", GATHERED_PROGRAMS)
@pytest.mark.parametrize("n", [10, 6000])  # (from 4,096 floats on, the first term is made in its array's memory)
def test_two_index_terms_into_the_same_entries_are_added_first_and_keep_the_tapes_bits(name, n):
    f, gathered = GATHERED_PROGRAMS[name]
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    rng = np.random.default_rng(n)
    normal, signed_zeros = rng.normal(size=n), np.where(rng.random(n) < 0.5, -0.0, 0.0)
    for x, y in ((normal, rng.normal(size=n)), (signed_zeros, -signed_zeros), (signed_zeros + 1, -0.0 * normal)):
        got, want = compiled(x, y), ds.grad(f, argnums=(0, 1))(x, y)
        for a, b in zip(got, want):
            assert a.tobytes() == b.tobytes(), (name, a, b)  # (the bytes: −0.0 is not 0.0)
    assert sorted(re.findall(r"_(\w+)_bar_part = ", compiled.source)) == gathered
    assert all(f"{adjoint}_bar[::2])" in compiled.source for adjoint in gathered)


# f of x (10⁴ floats), and whether x[::2] is copied once (by hand: read twice or more by +, −, ·, x² alone)
STRIDED_PROGRAMS = {
    "Rosenbrock": (lambda x: np.sum(100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2), True),
    "a sum and a square": (lambda x: np.sum((x[::2] + 1) * x[::2] ** 2 - x[1::2]), True),
    "a maximum": (lambda x: np.sum(np.maximum(x[::2], 0.9) * x[::2] ** 2), False),  # its rule reads x[::2]
    "read once": (lambda x: np.sum((1 - x[::2]) * x[1::2]), False),
    "read by exp too": (lambda x: np.sum(np.exp(x[::2]) + x[::2] * x[::2]), False),  # exp's last bit may hang on layout
    "read by a sum too": (lambda x: np.sum(x[::2]) * np.sum(x[::2] * x[::2] + x[::2]), False),
}


@pytest.mark.parametrize("name", STRIDED_PROGRAMS)
def test_a_strided_vector_read_twice_by_rounded_operations_is_copied_once_and_keeps_the_tapes_bits(name):
    f, copied = STRIDED_PROGRAMS[name]
    x = np.random.default_rng(7).uniform(0.5, 1.5, 10_000)
    x[:6] = [0.0, -0.0, 1.0, -0.0, 1e-320, 2.0]
    compiled = ds.jit(ds.grad(f))
    got, want = compiled(x), ds.grad(f)(x)
    assert np.array_equal(got, want) and np.array_equal(np.signbit(got), np.signbit(want))
    assert ("x[::2].copy()" in compiled.source) is copied
    y = x[::-1].copy()  # another point, the same code
    assert np.array_equal(compiled(y), ds.grad(f)(y))


def test_an_entrys_adjoint_added_into_an_array_leaves_the_other_entries_as_they_are():
    # by hand: x[1] and x[2] receive one term each, −0.0 · 1 = −0.0; x[0] receives 1 + (−0.0) = 1
    for f in (lambda x: x[0] + np.sum(x * -0.0), lambda x: x[0] * 1.0 + np.sum(x * -0.0)):
        x = np.array([1.0, 2.0, 3.0])
        for gradient in (ds.grad(f), ds.jit(ds.grad(f))):
            got = gradient(x)
            assert np.array_equal(got, [1.0, 0.0, 0.0]) and list(np.signbit(got)) == [False, True, True]


def test_a_loop_over_an_arrays_entries_is_written_out_in_time_linear_in_its_length(monkeypatch):
    # each written line is looked at a bounded number of times for the names it reads, not once
    # per index term after it (the latter made a loop over 2,000 entries take 21 s to write out)
    looked_at = []

    class Counted:
        def __init__(self, pattern):
            self.pattern = pattern

        def findall(self, text):
            looked_at.append(1)
            return self.pattern.findall(text)

    monkeypatch.setattr(generate, "_NAME", Counted(generate._NAME))

    def f(x):
        s = 0.0
        for i in range(x.size):
            s = s + x[i] * x[i]
        return s

    x = np.linspace(0.5, 1.5, 600)
    compiled = ds.jit(ds.grad(f))
    assert np.array_equal(compiled(x), 2 * x)  # by hand: ∂/∂x_i Σ x_i² = 2 x_i
    lines = compiled.source.count("\n")
    assert len(looked_at) < 12 * lines, (len(looked_at), lines)


DATA_FOR_NAMES = np.arange(6.0).reshape(2, 3) / 7


def test_a_constant_array_is_named_after_the_global_or_closure_variable_that_holds_it():
    scale = np.array([1.0, 2.0])  # a closure's array

    def f(w):
        return np.sum(np.tanh(DATA_FOR_NAMES @ w) * scale)

    w = np.array([0.5, -0.25, 1.0])
    compiled = ds.jit(ds.grad(f))
    assert _bits([compiled(w)]) == _bits([ds.grad(f)(w)])
    # by hand: D @ w reads D as it is, its adjoint Dᵀ (a transposed view of D); the closure's scale
    assert "(_c_DATA_FOR_NAMES @ w)" in compiled.source, compiled.source
    assert "_c_DATA_FOR_NAMES_T @ " in compiled.source, compiled.source
    assert "* _c_scale)" in compiled.source and not re.search(r"\b_c(_\d+)?\b", compiled.source), compiled.source
    t = np.tanh(DATA_FOR_NAMES @ w)
    np.testing.assert_allclose(compiled(w), DATA_FOR_NAMES.T @ (scale * (1 - t * t)), rtol=1e-14)


def test_x_times_x_into_an_adjoint_that_holds_a_number_makes_its_term_once():
    def f(x):
        return np.sum(x * x / (1 + x * x)) / np.sum(1 / (2 + x))

    x = np.random.default_rng(2).uniform(0.1, 2, 5000)
    compiled = ds.jit(ds.grad(f))
    assert _bits([compiled(x)]) == _bits([ds.grad(f)(x)])
    # by hand: x * x twice, each into x̄ after 1/(2 + x) gave it a number: each term made once
    made = re.findall(r"_twice = \(x \* (v\d+_bar)\)", compiled.source)
    assert len(made) == 2 and all(compiled.source.count(f"(x * {bar})") == 1 for bar in made), compiled.source
    s1, s2 = np.sum(x * x / (1 + x * x)), np.sum(1 / (2 + x))
    by_hand = (2 * x / (1 + x * x) ** 2) / s2 + s1 / s2**2 / (2 + x) ** 2
    np.testing.assert_allclose(compiled(x), by_hand, rtol=1e-12)


def test_a_program_exec_d_from_a_string_has_its_own_lines_in_the_comments():
    namespace: dict = {"np": np}
    exec(compile("\n\ndef f(x):\n    y = x * x\n    return np.sum(y / (1 + y))\n", "<string>", "exec"), namespace)
    source = ds.code(ds.grad(namespace["f"]), np.array([0.5, 2.0]))
    # by hand: lines 4 and 5 of the string, each block under its own; nothing from other <string> code
    assert re.findall(r"# <string>:(\d+)", source) == ["4", "5", "5", "4"], source


@pytest.mark.parametrize(
    "f",
    [
        lambda x: np.sum((x + 100 * x) ** 2),  # x's adjoint and 100·x's are one array, read in one line
        lambda x: np.sum(np.exp(0.1 * (x + 2 * x))),
        lambda x: np.sum((x[::2] + 3 * x[::2]) * x[::2]),
    ],
)
def test_an_adjoint_passed_on_under_two_names_is_not_written_into_while_either_is_read(f):
    x = np.random.default_rng(9).uniform(0.5, 1.5, 2 * generate._REUSED)
    assert _bits([ds.jit(ds.grad(f))(x)]) == _bits([ds.grad(f)(x)])
    h = 1e-4 * np.eye(4)[0]  # by hand: a central difference along x[0], against the code's entry
    central = (f(np.concatenate([x[:4] + h, x[4:]])) - f(np.concatenate([x[:4] - h, x[4:]]))) / 2e-4
    assert ds.jit(ds.grad(f))(x)[0] == pytest.approx(central, rel=1e-6)


# f of x, a function of numbers (the value of a sum) inside array code; by hand, the function the
# tape computes it with for a number is Python's math one, whose last bit numpy's may not share
OF_NUMBERS = {
    "tanh": lambda x: np.tanh(np.sum(x)) * np.sum(x * x),
    "exp, sinh (and cosh in the derivative)": lambda x: np.exp(np.sum(x)) / np.sinh(np.sum(x * x)),
    "log1p, cos, arctan": lambda x: np.log1p(np.sum(x * x)) * np.cos(np.sum(x)) + np.arctan(np.sum(x)),
    "sqrt, expm1": lambda x: np.sqrt(np.sum(x * x)) + np.expm1(np.sum(x)) ** 2,
}


@pytest.mark.parametrize("name", OF_NUMBERS)
def test_a_function_of_numbers_in_array_code_is_the_tapes_to_the_bit(name):
    f = OF_NUMBERS[name]
    compiled = ds.jit(ds.grad(f))
    for seed in range(200):  # (numpy's tanh differed from math's in the last bit at about 30 of 100 points)
        x = np.random.default_rng(seed).uniform(-1, 1, 3)
        assert _bits([compiled(x)]) == _bits([ds.grad(f)(x)]), (name, x)
    assert not re.search(r"np\.(tanh|exp|sinh|cosh|log1p|cos|arctan|sqrt|expm1)\(v", compiled.source), compiled.source


def test_a_function_of_numbers_made_from_data_not_differentiated_by_is_numpys_as_f_computes_it():
    def f(x, y):  # tanh of y's sum: ds.grad leaves it to numpy (np.tanh), as f alone computes it
        return np.sum(x * np.tanh(np.sum(y * y) / 7)) + np.exp(np.sum(x)) * np.cosh(np.sum(y))

    compiled = ds.jit(ds.grad(f))
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x, y = rng.uniform(-1, 1, 3), rng.uniform(-1, 1, 4)
        assert _bits([compiled(x, y)]) == _bits([ds.grad(f)(x, y)]), (x, y)
    assert "np.tanh(" in compiled.source and "np.cosh(" in compiled.source, compiled.source


u0 = np.array([2.0, 3.0, 4.0])  # a global named as the code's seed is, but for its underscore
view = np.arange(2048.0) / 100  # and as the code's view of an index's entries
twice = np.linspace(0.0, 1.0, 4096)  # and as x * x's term made once


@pytest.mark.parametrize(
    "f, n",
    [
        (lambda x: np.sum(x * u0), 3),
        (lambda x: np.sum((x * twice)[::2] * view) + np.sum(x * twice * twice), 4096),
        (lambda x: np.sum(np.sin(x * twice) ** 2 * x) + np.sum(np.sin(x * twice) * x), 4096),
    ],
)
def test_a_global_named_as_a_name_the_code_makes_keeps_the_tapes_gradient(f, n):
    x = np.random.default_rng(n).uniform(0.5, 1.5, n)
    compiled = ds.jit(ds.grad(f))
    assert _bits([compiled(x)]) == _bits([ds.grad(f)(x)])
    if n == 3:
        assert compiled(np.ones(3)).tolist() == [2.0, 3.0, 4.0]  # by hand: ∂Σxᵢuᵢ/∂x = u


def test_forward_mode_leaves_a_number_made_from_data_to_numpy_as_f_does():
    def f(x, d):
        return x * np.tanh(np.sum(d))

    compiled = ds.jit(ds.jacfwd(f, argnums=0))
    for seed in range(100):
        rng = np.random.default_rng(seed)
        x, d = rng.uniform(-1, 1, 2), rng.uniform(-1, 1, 1)
        # (the diagonal, tanh of the sum at each entry: the zeros off it may differ in sign, an older matter)
        assert _bits([np.diag(compiled(x, d))]) == _bits([np.diag(ds.jacfwd(f, argnums=0)(x, d))]), d

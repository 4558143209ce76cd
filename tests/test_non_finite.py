"""Numpy code that checks only its value where an inf or nan in an input is sure to show there.

The expected values come from numpy's own IEEE arithmetic (what an inf or nan gives under its
float errors raised) and from the tape, never from the analysis under test.
"""

import math
import re
import warnings

import numpy as np
import pytest

import diffstudy as ds
from diffstudy.engine import non_finite, primitives, reverse

NON_FINITE = (math.inf, -math.inf, math.nan)
FINITE = (0.0, -0.0, 1.0, -1.0, 0.5, 2.0, 1e300, -1e-300, 5e-324)


def _keeps(compute, *arguments) -> bool:
    """Whether numpy, its float errors raised, gives an inf or nan here or raises."""
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        try:
            value = compute(*arguments)
        except FloatingPointError:
            return True
    return not np.all(np.isfinite(value))


@pytest.mark.parametrize("primitive", primitives.REGISTRY, ids=lambda p: p.name)
def test_an_argument_said_to_keep_an_inf_or_nan_keeps_it_in_numpy(primitive):
    compute = primitive.on_array or primitive.ufunc
    if compute is None:
        pytest.skip(f"{primitive.name} has no numpy form")
    for position, keeps in enumerate(primitive.keeps_non_finite):
        if not keeps:
            continue
        for bad in NON_FINITE:
            for other in FINITE if primitive.arity == 2 else (None,):
                arguments = [np.array([bad])] if other is None else [np.array([bad]), np.array([other])]
                if position == 1:
                    arguments.reverse()
                assert _keeps(compute, *arguments), (primitive.name, position, bad, other)


def test_what_no_argument_keeps_is_left_out_for_a_reason():
    # by hand: exp(−inf) = 0, 1/inf = 0, tanh(inf) = 1, max(−inf, 1) = 1: each a finite number
    for compute, arguments in [
        (np.exp, [np.array([-math.inf])]),
        (np.reciprocal, [np.array([math.inf])]),
        (np.tanh, [np.array([math.inf])]),
        (np.maximum, [np.array([-math.inf]), np.array([1.0])]),
        (np.true_divide, [np.array([1.0]), np.array([math.inf])]),
        (np.power, [np.array([math.inf]), np.array([0.0])]),
    ]:
        assert not _keeps(compute, *arguments)
    assert primitives.EXP.keeps_non_finite == (False,) and primitives.DIV.keeps_non_finite == (True, False)


C = np.array([1.0, 2.0, 3.0, 4.0])
PROGRAMS = {  # f, and whether an inf or nan in any entry of x shows in f's value (by hand)
    "sum of squares": (lambda x: np.sum(x**2), True),
    "Rosenbrock": (lambda x: np.sum(100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2), True),
    "mean of sines over 3": (lambda x: np.mean(np.sin(x) / 3), True),
    "times a constant array": (lambda x: np.sum(x * C), True),
    "reshaped, transposed": (lambda x: np.sum(x.reshape(2, 2).T * C.reshape(2, 2)), True),
    "a sum by columns, cubed": (lambda x: np.sum(np.sum(x.reshape(2, 2), axis=0) ** 3), True),
    "x ** 0 + x": (lambda x: np.sum(x**0.0 + x), True),
    "exp(−x)": (lambda x: np.sum(np.exp(-x)), False),  # exp(−inf) = 0
    "a slice leaving x[0] out": (lambda x: np.sum(x[1:] ** 2), False),
    "tanh": (lambda x: np.mean(np.tanh(x)), False),  # tanh(inf) = 1
    "3 / x": (lambda x: np.sum(3 / x), False),  # 3 / inf = 0
    "max with 1": (lambda x: np.sum(np.maximum(x, 1.0)), False),
    "where": (lambda x: np.sum(np.where(x > 2, x, 0.0)), False),
    "a product of vectors": (lambda x: x @ x, False),  # BLAS: its float errors are not seen
    "a number after the sum": (lambda x: np.sum(x) * 2.0, False),  # Python's floats in the adjoints
    "x ** −1": (lambda x: np.sum(x**-1.0), False),  # inf ** −1 = 0
}


@pytest.mark.parametrize("name", PROGRAMS)
def test_which_programs_show_every_inf_or_nan_of_their_inputs(name):
    f, shown = PROGRAMS[name]
    x = np.array([0.5, 1.5, 2.5, 3.5])
    recording = reverse.record(f, [x])
    assert non_finite.shown_by_the_value(recording) is shown
    if shown:  # what it promises, in numpy itself: an inf or nan in any entry makes the value inf or nan, or raises
        for entry in range(x.size):
            for bad in NON_FINITE:
                given = x.copy()
                given[entry] = bad
                assert _keeps(f, given), (name, entry, bad)


def test_a_constant_that_is_not_finite_keeps_the_check():
    held = np.array([1.0, math.inf, 3.0, 4.0])
    recording = reverse.record(lambda x: np.sum(x * held), [np.ones(4)])
    assert not non_finite.shown_by_the_value(recording)


def _refused_as_by_the_tape(f, compiled, x) -> None:
    """An inf, −inf or nan in each entry of x in turn: the compiled gradient raises the tape's error."""
    for entry in range(x.size):
        for bad in NON_FINITE:
            given = x.copy()
            given[entry] = bad
            with pytest.raises(ds.DiffstudyError) as by_the_tape:
                ds.grad(f)(given)
            with pytest.raises(ds.DiffstudyError) as by_the_code:
                compiled(given)
            assert str(by_the_code.value) == str(by_the_tape.value)


def _refused_at(f, compiled, args, places) -> None:
    """An inf, −inf or nan at each (argument, entry) of ``places`` in turn: the compiled gradient
    by every argument raises the tape's error."""
    for argument, entry in places:
        for bad in NON_FINITE:
            given = [a.copy() for a in args]
            given[argument][entry] = bad
            with pytest.raises(ds.DiffstudyError) as by_the_tape:
                ds.grad(f, argnums=tuple(range(len(args))))(*given)
            with pytest.raises(ds.DiffstudyError) as by_the_code:
                compiled(*given)
            assert str(by_the_code.value) == str(by_the_tape.value)


def test_the_rosenbrock_gradient_checks_its_value_alone_and_still_refuses_an_inf_or_nan():
    def f(x):
        return np.sum(100 * (x[1::2] - x[::2] ** 2) ** 2 + (1 - x[::2]) ** 2)

    x = np.random.default_rng(3).uniform(0.5, 1.5, 10)
    compiled = ds.jit(ds.grad(f))
    assert np.array_equal(compiled(x), ds.grad(f)(x))
    assert "_finite(" in compiled.source and "np.add.reduce(x_bar" not in compiled.source
    _refused_as_by_the_tape(f, compiled, x)


def test_a_gradient_that_may_hide_an_inf_checks_its_input_or_its_adjoints():
    compiled = ds.jit(ds.grad(lambda x: np.sum(np.exp(-x))))  # exp(−inf) = 0: the value may hide it
    compiled(np.ones(3))
    assert "np.add.reduce(x, axis=None)" in compiled.source and "np.add.reduce(x_bar" not in compiled.source
    compiled = ds.jit(ds.grad(lambda x: np.sum(np.tanh(x @ np.ones((3, 3))))))  # BLAS: the adjoints too
    compiled(np.ones(3))
    assert "np.add.reduce(x, axis=None)" in compiled.source and "np.add.reduce(x_bar, axis=None)" in compiled.source


def test_a_large_array_is_checked_by_einsums_sum_and_refused_as_the_tape_refuses_it():
    def f(x, m):
        return np.sum(np.exp(-x)) + np.sum(np.tanh(m))  # exp(−inf) = 0, tanh(inf) = 1: both hide one

    x, m = np.linspace(0.5, 1.5, 20_000), np.linspace(-2, 2, 20_000).reshape(100, 200)
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    for got, want in zip(compiled(x, m), ds.grad(f, argnums=(0, 1))(x, m)):
        assert got.tobytes() == want.tobytes()
    assert 'np.einsum("i->", x)' in compiled.source and 'np.einsum("ij->", m)' in compiled.source
    _refused_at(f, compiled, (x, m), ((0, 0), (0, 12_345), (1, (99, 199)), (1, (0, 7))))
    # finite entries whose sum overflows: the check cannot tell, and the tape decides (a gradient)
    huge = np.full(20_000, 1e305)
    for got, want in zip(compiled(huge, m), ds.grad(f, argnums=(0, 1))(huge, m)):
        assert got.tobytes() == want.tobytes()


@pytest.mark.parametrize("name", PROGRAMS)
def test_an_inf_or_nan_given_after_the_trace_is_refused_as_the_tape_refuses_it(name):
    f, _ = PROGRAMS[name]
    x = np.array([0.5, 1.5, 2.5, 3.5])
    compiled = ds.jit(ds.grad(f))
    compiled(x)  # traced at finite numbers: the inf or nan comes to the code, not to the tape
    _refused_as_by_the_tape(f, compiled, x)


def test_an_overflow_in_the_adjoints_alone_is_still_an_error():
    # 10^200 · 10^200 overflows in the adjoint (the seed's products), not in the value 4 · 10^100
    def f(x):
        return 1e200 * (1e200 * np.sum(x * 1e-300))

    for gradient in (ds.grad(f), ds.jit(ds.grad(f))):
        with pytest.raises(ds.DomainError, match="not finite"):
            gradient(np.ones(4))

    def g(x):  # the same in the arrays: 10^300 · 10^300 in x's adjoint, the value 10^300 · 4
        return np.sum(x * 1e300 * 1e300)

    assert non_finite.shown_by_the_value(reverse.record(g, [np.full(4, 1e-300)]))
    for gradient in (ds.grad(g), ds.jit(ds.grad(g))):
        with pytest.raises(ds.DiffstudyError):
            gradient(np.full(4, 1e-300))


def test_an_array_made_after_the_sum_and_not_returned_changes_nothing():
    def f(x):
        s = np.sum(x**2)
        np.exp(x[:3])  # made, not read by the value
        return s

    x = np.array([0.5, 1.5, 2.5, 3.5])
    assert non_finite.shown_by_the_value(reverse.record(f, [x]))
    for gradient in (ds.grad(f), ds.jit(ds.grad(f))):
        assert np.array_equal(gradient(x), 2 * x)  # by hand: ∂/∂x Σ x² = 2x


def test_an_inf_given_to_a_function_that_does_not_read_it_is_refused_as_the_tape_refuses_it():
    held = np.linspace(0.1, 0.8, 8)

    def f(x):
        return np.sum(held)

    compiled = ds.jit(ds.grad(f))
    assert np.array_equal(compiled(np.ones(8)), np.zeros(8))  # by hand: f does not depend on x
    given = np.ones(8)
    given[3] = math.inf
    with pytest.raises(ds.DiffstudyError) as by_the_tape:
        ds.grad(f)(given)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one line, no numpy warning on the way
        with pytest.raises(ds.DiffstudyError) as by_the_code:
            compiled(given)
    assert str(by_the_code.value) == str(by_the_tape.value)


@pytest.mark.parametrize("side", ["constant on the left", "constant on the right"])
def test_an_adjoint_a_product_with_a_constant_made_is_checked_by_a_bound_and_agrees_with_the_tape(side):
    # x̄ = Dᵀ(cos(z) · s): each entry at most max|cos(z) · s| times the largest sum of |D| along a row
    rng = np.random.default_rng(5)
    w = rng.normal(size=(300, 64))
    for size in (1.0, 1e100, 2e106, 1e108):  # passes; fails but the product is finite; overflows
        d = rng.normal(size=(64, 300)) * size
        if side == "constant on the left":
            f = lambda x, s, d=d: np.sum(np.sin(d @ x) * s)  # noqa: E731
        else:
            f = lambda x, s, d=d: np.sum(np.sin(x.T @ d.T) * s)  # noqa: E731
        compiled = ds.jit(ds.grad(f))
        compiled(w / size, 1.0)
        assert "_largest(" in compiled.source
        try:
            want = ds.grad(f)(w / size, 1e200)
        except ds.DiffstudyError as error:
            with pytest.raises(ds.DiffstudyError) as by_the_code:
                compiled(w / size, 1e200)
            assert str(by_the_code.value) == str(error)
            assert size == 1e108  # only the last overflows: 64 terms of about 1e308
        else:
            assert compiled(w / size, 1e200).tobytes() == want.tobytes()
            assert np.isfinite(want).all() and size < 1e108
        assert compiled.traces == 1


def test_an_overflow_blas_makes_without_an_error_fails_the_bound_and_the_tape_says_so():
    # x̄ = dᵀ(cos(z) · s): its entry (700, 9) is about 1e300 · 1e10 · 128, past the float range.
    # On more than one core OpenBLAS computes the rows past the middle in another thread, whose
    # float error numpy does not see: only a check of the product's numbers finds the inf.
    rng = np.random.default_rng(7)
    d = rng.normal(size=(128, 784))
    d[:, 700] = 1e300
    s = np.ones((128, 256))
    s[:, 9] = 1e10

    def f(x, s):
        return np.sum(np.sin(d @ x) * s)

    x = rng.normal(size=(784, 256)) * 1e-301  # d @ x of about 1: sin(d @ x) is finite
    compiled = ds.jit(ds.grad(f))
    compiled(x, np.ones((128, 256)))
    assert "_largest(" in compiled.source
    with pytest.raises(ds.DiffstudyError) as by_the_tape:
        ds.grad(f)(x, s)
    with pytest.raises(ds.DiffstudyError) as by_the_code:
        compiled(x, s)
    assert str(by_the_code.value) == str(by_the_tape.value)
    assert "not finite" in str(by_the_tape.value) or "overflow" in str(by_the_tape.value)


# f of weights w (128 × 200) and b (128), the data a constant; and what the code sums to check w and b
# (by hand: tanh hides an inf, so the sum is taken before it; a product with a constant shows an
# inf or nan of w wherever the constant multiplies it by a number other than 0)
_DATA = np.random.default_rng(11).normal(size=(64, 200))
_HOLED = _DATA.copy()
_HOLED[:, 17] = 0.0  # one column of zeros: w's column 17 meets nothing but zeros
SHOWN_PROGRAMS = {
    "tanh(d wᵀ + b)": (lambda w, b: np.sum(np.tanh(_DATA @ w.T + b)), ["made"]),
    "tanh(w dᵀ) + b": (lambda w, b: np.sum(np.tanh(w @ _DATA.T)) + np.sum(np.exp(-b)), ["made", "b"]),
    "a column of zeros": (lambda w, b: np.sum(np.tanh(_HOLED @ w.T + b)), ["w", "b"]),
    "exp(−w) alone": (lambda w, b: np.sum(np.exp(-w) * np.exp(-b[:, None])), ["w", "b"]),
}


@pytest.mark.parametrize("name", SHOWN_PROGRAMS)
def test_an_input_is_checked_through_an_array_made_from_it_and_refused_as_the_tape_refuses_it(name):
    f, summed = SHOWN_PROGRAMS[name]
    rng = np.random.default_rng(12)
    w, b = rng.normal(size=(128, 200)) * 0.1, rng.normal(size=128)
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    for got, want in zip(compiled(w, b), ds.grad(f, argnums=(0, 1))(w, b)):
        assert got.tobytes() == want.tobytes()
    check = re.sub(r"\b_v\d+_sum\b", "made", compiled.source.split("_finite(")[1])  # an array's sum
    assert [part for part in ("made", "w", "b") if re.search(rf"\b{part}\b", check)] == summed
    _refused_at(f, compiled, (w, b), ((0, (0, 0)), (0, (127, 17)), (0, (64, 199)), (1, 5)))


def test_a_long_program_is_searched_for_arrays_that_show_an_input_within_a_bound(monkeypatch):
    # each array's search walks back to the inputs: over a loop of 300 steps only the first are searched
    from diffstudy.engine import generate, non_finite

    walked = []
    shown_at = non_finite.shown_at
    monkeypatch.setattr(non_finite, "shown_at", lambda recording, k: walked.append(k) or shown_at(recording, k))
    data = np.random.default_rng(13).normal(size=(300, 64))

    def f(w, u, h):
        for t in range(300):
            h = np.tanh(w @ h + u @ data[t])
        return np.sum(h**2)

    rng = np.random.default_rng(14)
    w, u = rng.normal(size=(256, 256)) * 0.05, rng.normal(size=(256, 64)) * 0.1  # u: 16,384 entries
    compiled = ds.jit(ds.grad(f, argnums=(0, 1)))
    for got, want in zip(compiled(w, u, np.zeros(256)), ds.grad(f, argnums=(0, 1))(w, u, np.zeros(256))):
        assert got.tobytes() == want.tobytes()
    assert "_sum = " in compiled.source  # u's check: the sum of an array of 256 made from it, u @ data[0]
    assert sum(k - 3 for k in walked) <= generate._SHOWN_WALK and len(walked) < 300  # (of 1,200 arrays)


def test_a_bound_is_taken_only_from_a_constant_compared_at_every_call():
    # A constant f gets from a cache is not watched: changed in place, a bound taken from it when
    # traced would be stale, so its product's adjoint is summed, and the tape's error comes back.
    import functools

    @functools.cache
    def weights():
        return np.random.default_rng(7).normal(size=(128, 784))

    def f(x, s):
        return np.sum(np.sin(weights() @ x) * s)

    x = np.random.default_rng(8).normal(size=(784, 256))
    compiled = ds.jit(ds.grad(f))
    compiled(x, np.ones((128, 256)))
    assert "_largest(" not in compiled.source and 'np.einsum("ij->", x_bar)' in compiled.source
    weights()[:, 700] = 1e300  # in place, as no watched global shows
    s = np.ones((128, 256))
    s[:, 9] = 1e10
    with pytest.raises(ds.DiffstudyError) as by_the_tape:
        ds.grad(f)(x * 1e-301, s)
    with pytest.raises(ds.DiffstudyError) as by_the_code:
        compiled(x * 1e-301, s)
    assert str(by_the_code.value) == str(by_the_tape.value)
    data = np.random.default_rng(7).normal(size=(128, 784))  # the same constant, a closure's: watched, bounded
    compiled = ds.jit(ds.grad(lambda x, s: np.sum(np.sin(data @ x) * s)))
    compiled(x, np.ones((128, 256)))
    assert "_largest(" in compiled.source


def test_writing_the_checks_keeps_to_itself_under_the_users_float_error_setting():
    # |C|ᵀ @ 1 and C's row sums pass the float range while the code is written: no warning, no
    # error, one trace, the tape's gradient
    d = np.random.default_rng(9).normal(size=(64, 300)) * 1e307

    def f(w, s):
        return np.sum(np.sin(d @ w.T) * s)

    w = np.random.default_rng(10).normal(size=(128, 300)) * 1e-308
    compiled = ds.jit(ds.grad(f))
    with warnings.catch_warnings(), np.errstate(all="raise"):
        warnings.simplefilter("error")
        for _ in range(3):
            assert compiled(w, 1e-10).tobytes() == ds.grad(f)(w, 1e-10).tobytes()
    assert compiled.traces == 1

"""Property tests at the edges a fuzzer reached: an overflow that does not reach the result,
through every transform; Hessians near the float limits; exact zeros that cancel. Each draw is
checked against an independent reference (mpmath at 60 digits, or by hand), never diffstudy."""

from __future__ import annotations

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import diffstudy as ds
from diffstudy import fn
from diffstudy.errors import DomainError
from diffstudy.harness.cases import make_case
from diffstudy.harness.compare import compare

TRANSFORMS = {
    "grad": lambda f: ds.grad(f),
    "value_and_grad": lambda f: ds.value_and_grad(f),
    "jacfwd": lambda f: ds.jacfwd(f),
    "jacrev": lambda f: ds.jacrev(f),
    "hessian": lambda f: ds.hessian(f),
    "jit(grad)": lambda f: ds.jit(ds.grad(f)),
    "jit(jacfwd)": lambda f: ds.jit(ds.jacfwd(f)),
}


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    exponent=st.integers(min_value=155, max_value=300),
    mantissa=st.floats(min_value=1.0, max_value=9.0),
    shape=st.sampled_from(["quotient", "root", "ratio"]),
)
def test_an_overflow_that_does_not_reach_the_result_is_an_error_through_every_transform(exponent, mantissa, shape):
    # x·x overflows past 1.34e154; each f hides the inf behind a division, so its float result
    # would be a number (0, 1 or 1/x) with the inf gone: every transform must say so instead.
    x = mantissa * 10.0**exponent
    f = {
        "quotient": lambda x: x / fn.sqrt(x * x),
        "root": lambda x: x + (x * x) ** -0.5,
        "ratio": lambda x: x / (1 + x * x),
    }[shape]
    for name, transform in TRANSFORMS.items():
        with pytest.raises(DomainError):
            transform(f)(x)
            raise AssertionError(f"{name} gave a number where x·x overflowed")


def _second_derivative(name, value):
    """d²/dx² of log x (−1/x²) and of √x (−x^(−3/2)/4), by hand, at 60 digits."""
    with mpmath.workdps(60):
        x = mpmath.mpf(value)
        return -1 / (x * x) if name == "log" else -(x ** mpmath.mpf(-1.5)) / 4


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(min_value=1e-300, max_value=1e-150),
            st.floats(min_value=1e-3, max_value=1e3),
            st.floats(min_value=1e150, max_value=1e300),
        ),
        min_size=1,
        max_size=3,
    ),
    st.sampled_from(["log", "sqrt"]),
)
def test_a_hessian_near_the_float_limits_is_right_or_an_error(entries, name):
    # Σ log x and Σ √x: the Hessian is diagonal, −1/x² or −x^(−3/2)/4, each entry independent;
    # where it leaves the float range the result is an error, never inf or nan, and off the
    # diagonal it is 0.
    x = np.array(entries)
    f = {"log": lambda v: np.sum(np.log(v)), "sqrt": lambda v: np.sum(np.sqrt(v))}[name]
    expected = [_second_derivative(name, v) for v in entries]
    in_range = all(abs(e) < 1e307 and (e == 0 or abs(e) > 1e-307) for e in expected)
    try:
        hessian = ds.hessian(f)(x)
    except DomainError:
        assert not in_range, f"an error though the Hessian {expected} is within the float range"
        return
    assert np.all(np.isfinite(hessian))
    for i, e in enumerate(expected):
        assert float(hessian[i, i]) == pytest.approx(float(e), rel=1e-12)
    assert np.count_nonzero(hessian - np.diag(np.diag(hessian))) == 0


@settings(max_examples=15, deadline=None)
@given(st.lists(st.floats(min_value=-3, max_value=3), min_size=2, max_size=4))
def test_an_exact_zero_that_cancels_is_not_a_disagreement(b):
    # Σ softmax(b) is 1 for every b: its gradient is exactly 0, whatever rounding leaves in floats.
    def summed_softmax(b):
        e = np.exp(b - np.max(b))
        return np.sum(e / np.sum(e))

    frame = compare([make_case(summed_softmax, {"b": b})])
    assert set(frame["status"]) == {"ok"}, frame[["method", "status", "error"]].to_string()
    float_methods = frame[frame["method"] != "symbolic"]
    for gradient in float_methods["gradient"]:
        assert max(abs(g) for g in gradient["b"]) < 1e-15  # noise around 0, by hand: the truth is 0

"""Every built-in case, every method: against sympy alone and against central differences."""

from fractions import Fraction

import numpy as np
import pytest
import sympy

import diffstudy
from diffstudy.harness.loading import builtin_cases_dir, load_cases

from .helpers import central_differences, relative_error, sympy_reference

CASES, _ = load_cases([builtin_cases_dir()])
# The kink cases' references are by hand in test_second.py: this file's sympy reference follows
# numpy's object max (one side), where sympy's Max takes Heaviside(0) = ½.
SYMBOLIC_CASES = [c for c in CASES if c.name not in ("branch", "lasso", "relu_unit")]
METHODS = ["symbolic", "forward", "reverse"]


def test_every_builtin_case_is_here():
    names = {c.name for c in CASES}
    assert {
        "lecture27",
        "problem5",
        "composition",
        "logistic",
        "speelpenning",
        "rosenbrock",
        "babylonian",
        "branch",
        "powers",
    } <= names


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", SYMBOLIC_CASES, ids=lambda c: c.name)
def test_agrees_with_sympy(case, method):
    values, jacobian = sympy_reference(case.function, case.inputs, case.point)
    result = diffstudy.gradient(case.function, case.at, method=method)
    computed = [*result.values, *(d for row in result.jacobian for d in row)]
    expected = [*values, *(d for row in jacobian for d in row)]
    exact_point = all(isinstance(e, Fraction) for v in case.point for e in np.ravel(np.asarray(v, dtype=object)))
    if all(isinstance(e, sympy.Rational) for e in expected) and exact_point:
        assert all(isinstance(c, Fraction) for c in computed), "a rational case must stay exact"
        assert computed == [Fraction(int(e.p), int(e.q)) for e in expected]
    else:
        assert relative_error(result.values, values) < 1e-12
        for row, reference in zip(result.jacobian, jacobian):
            assert relative_error(row, reference) < 1e-12


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_agrees_with_central_differences(case, method):
    if method == "symbolic" and case.name == "branch":
        pytest.skip("symbolic declines a data-dependent branch (tested in test_bad_input)")
    result = diffstudy.gradient(case.function, case.at, method=method)
    estimate = central_differences(case.function, case.point)
    for row, reference in zip(result.jacobian, estimate):
        assert relative_error(row, reference) < 1e-6

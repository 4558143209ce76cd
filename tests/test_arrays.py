"""numpy programs, three ways: every array rule against sympy, against its own transpose, and
against the same program written with scalar loops (object arrays of diffstudy's scalars)."""

from __future__ import annotations

import itertools
import json
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy

import diffstudy
from diffstudy.engine import forward, reverse
from diffstudy.engine.counting import Tally, counting
from diffstudy.errors import CaseError, ShapeError, UnsupportedOperation
from diffstudy.harness.cases import make_case
from diffstudy.harness.methods import run_methods

from .helpers import run_cli, write_case_file

rng = np.random.default_rng(7)


def exact(shape, low=-4, high=5):
    """A random array of small Fractions (exact arithmetic, so every comparison below is equality)."""
    values = rng.integers(low, high, size=shape)
    array = np.empty(shape, dtype=object)
    array.flat[:] = [Fraction(int(v), 2) for v in values.flat]
    return array


def symbols_like(name, shape):
    array = np.empty(shape, dtype=object)
    for index in np.ndindex(*shape):
        array[index] = sympy.Symbol(f"{name}{index}", real=True)
    return array


def sympy_gradient(f, point):
    """The gradient by sympy alone: f run on object arrays of raw sympy symbols by numpy's own
    object arithmetic (not diffstudy's), then sympy.diff, then the exact point substituted."""
    symbolic = [symbols_like(f"a{i}_", np.shape(v)) for i, v in enumerate(point)]
    expression = sympy.sympify(f(*(s if s.shape else s[()] for s in symbolic)))
    flat_symbols = [s for array in symbolic for s in array.flat]
    values = {s: sympy.Rational(v.numerator, v.denominator) for array, p in zip(symbolic, point) for s, v in
              zip(array.flat, np.asarray(p).flat)}  # fmt: skip
    value = expression.xreplace(values)
    return value, [sympy.diff(expression, s).xreplace(values) for s in flat_symbols]


def scalar_transcription(f, shapes):
    """``f`` as a function of scalars: the scalars gathered into object arrays, then ``f``."""
    sizes = [int(np.prod(shape)) for shape in shapes]

    def transcribed(*scalars):
        arrays, start = [], 0
        for shape, size in zip(shapes, sizes):
            arrays.append(np.array(scalars[start : start + size], dtype=object).reshape(shape))
            start += size
        return f(*arrays)

    return transcribed


# Each program uses one array rule (or two), on exact inputs of the given shapes. Data arrays
# inside are constants. Every output is a scalar, so the gradient is one row.
C = exact((3, 2))
PROGRAMS = {
    "matmul matrix-vector": (lambda A, x: np.sum((A @ x) ** 2), [(3, 2), (2,)]),
    "matmul vector-matrix": (lambda x, A: np.sum((x @ A) ** 2), [(3,), (3, 2)]),
    "matmul matrix-matrix": (lambda A, B: np.sum((A @ B) * (A @ B)), [(2, 3), (3, 2)]),
    "matmul vector-vector": (lambda x, y: (x @ y) ** 3, [(3,), (3,)]),
    "np.dot": (lambda x, y: np.dot(x, y) * np.dot(x, x), [(3,), (3,)]),
    "sum with axis": (lambda X: np.sum(np.sum(X * X, axis=0) ** 2), [(3, 2)]),
    "sum keepdims": (lambda X: np.sum(X / (1 + np.sum(X * X, axis=1, keepdims=True))), [(3, 2)]),
    "mean": (lambda X: np.mean(X**3) + np.mean(X, axis=1) @ np.array([1, 2, 3]), [(3, 2)]),
    "transpose and .T": (lambda X, Y: np.sum((X.T @ Y) ** 2) + np.sum(np.transpose(X) * Y.T), [(3, 2), (3, 2)]),
    "reshape and ravel": (lambda X: np.sum(X.reshape(2, 3) @ np.arange(3)) + X.ravel() @ X.ravel(), [(3, 2)]),
    "indexing and slicing": (lambda X: X[0, 1] * X[2, 0] + np.sum(X[1:, :] ** 2) + X[:, 1] @ X[:, 0], [(3, 2)]),
    "broadcasting": (lambda X, b, c: np.sum((X + b) * (X - c) ** 2), [(3, 2), (2,), (3, 1)]),
    "broadcast with a constant array": (lambda x: np.sum((x * C) ** 2 + C / (1 + x * x)), [(2,)]),
    "division and powers": (lambda x, y: np.sum(x / (1 + y * y)) + np.sum((1 + x * x) ** 2), [(3,), (3,)]),
    "concatenate": (lambda x, y: np.sum(np.concatenate([x, y, x * y]) ** 2), [(2,), (2,)]),
    "stack": (lambda x, y: np.sum(np.stack([x, y], axis=1) @ np.array([2, -1]) ** 2), [(3,), (3,)]),
    "negation and unary minus": (lambda x: np.sum(-x * np.negative(x) * x), [(3,)]),
    "outer": (lambda x, y: np.sum(np.outer(x, y) ** 2), [(2,), (3,)]),
    "scalar and array": (lambda x, s: s * np.sum(x * s), [(3,), ()]),
    "cumsum": (lambda X: np.sum(np.cumsum(X, axis=1) ** 2) + np.cumsum(X) @ np.arange(6), [(3, 2)]),
    "prod": (lambda X: np.sum(np.prod(X, axis=0) ** 2) + np.prod(X + 3), [(3, 2)]),
    "prod of zeros": (lambda x: np.prod(x * np.array([0, 1, 1])) + np.prod(x * np.array([0, 0, 1])), [(3,)]),
    "einsum as matmul": (lambda A, B: np.sum(np.einsum("ij,jk->ik", A, B) ** 2), [(2, 3), (3, 2)]),
    "einsum batched": (lambda A, B: np.sum(np.einsum("bij,bjk->bik", A, B) ** 2), [(2, 2, 3), (2, 3, 2)]),
    "einsum trace and outer": (
        lambda A, x: np.einsum("ii", A) ** 2 + np.sum(np.einsum("i,j", x, x) * A),
        [(3, 3), (3,)],
    ),  # noqa: E501
    "einsum diagonal and sum": (lambda A: np.sum(np.einsum("ii->i", A) ** 3) + np.einsum("ij->", A * A), [(3, 3)]),
    "square and reciprocal": (lambda x: np.sum(np.square(x) + np.reciprocal(1 + x * x)), [(3,)]),
}


def point_for(shapes):
    return [exact(shape) if shape else Fraction(3, 2) for shape in shapes]


@pytest.mark.parametrize("name", PROGRAMS)
def test_array_rule_against_sympy(name):
    f, shapes = PROGRAMS[name]
    point = point_for(shapes)
    value, gradient = sympy_gradient(f, point)
    for method in (forward, reverse):
        values, rows = method.jacobian(f, point)
        assert values == [value]
        assert rows[0] == gradient, method.__name__


@pytest.mark.parametrize("name", PROGRAMS)
def test_array_program_and_its_scalar_transcription_agree_exactly(name):
    # Identical gradients, the same ops(f), and the same reverse-mode operations.
    f, shapes = PROGRAMS[name]
    point = point_for(shapes)
    flat = [v for p in point for v in (p.flat if isinstance(p, np.ndarray) else [p])]
    scalar_f = scalar_transcription(f, shapes)
    assert reverse.jacobian(f, point)[1] == reverse.jacobian(scalar_f, flat)[1]
    array_tally, scalar_tally = Tally(), Tally()
    f(*counting(point, array_tally))
    scalar_f(*counting(flat, scalar_tally))
    assert array_tally == scalar_tally or name in EINSUM
    if name in EINSUM:
        return  # numpy's object einsum starts each sum at 0: counted against a loop in test_einsum_counts
    array_reverse, scalar_reverse = Tally(), Tally()
    reverse.gradient_row(reverse.record(f, counting(point, array_reverse)), 0)
    reverse.gradient_row(reverse.record(scalar_f, counting(flat, scalar_reverse)), 0)
    if name not in DENSER_IN_REVERSE:
        assert array_reverse == scalar_reverse


# Where the array program does other work than its transcription in reverse mode, by design:
# a broadcast divisor's partials are computed once, not once per copy (3 divisions fewer); a
# broadcast operand's adjoint is summed, then negated, where the scalars subtract (3 additions for
# 3 subtractions); a slice's adjoint is an array of the input's shape, added densely (18 more).
# A product's partials are prod/xᵢ, a division each, where the scalar products' sweep multiplies;
# np.reciprocal's partial is −out² where 1/x's is −out/x, and np.square's is 2x where x·x adds two.
DENSER_IN_REVERSE = {
    "sum keepdims", "broadcasting", "indexing and slicing", "prod", "prod of zeros", "square and reciprocal",
}  # fmt: skip
EINSUM = {name for name in PROGRAMS if name.startswith("einsum")}


@pytest.mark.parametrize("name", PROGRAMS)
def test_each_map_is_the_transpose_of_its_forward_rule(name):
    # ⟨u, J·t⟩ = ⟨Jᵀ·u, t⟩ for the whole program's Jacobian: forward and reverse are one rule.
    f, shapes = PROGRAMS[name]
    point = point_for(shapes)
    tangent = point_for(shapes)
    _, (jt,) = forward.push(f, point, tangent)
    recording = reverse.record(f, point)
    (u,) = [Fraction(-3, 7)]
    adjoints = reverse.pullback(recording, [u])
    inner = sum(np.sum(a * t) for a, t in zip(adjoints, tangent))
    assert u * jt == inner


def test_matmul_is_counted_as_its_scalar_operations():
    # (m×n)(n×p): mnp multiplications and m(n−1)p additions.
    m, n, p = 4, 5, 3
    tally = Tally()
    a, b = counting([exact((m, n)), exact((n, p))], tally)
    a @ b
    assert dict(tally) == {"mul": m * n * p, "add": m * (n - 1) * p}


def test_a_network_tape_has_a_handful_of_entries_whatever_its_width():
    def network(W1, w2):
        return np.sum((np.tanh(X @ W1.T) @ w2 - 1.0) ** 2)

    X = rng.normal(size=(5, 4))
    lengths = []
    for width in (3, 300):
        recording = reverse.record(network, [rng.normal(size=(width, 4)), rng.normal(size=width)])
        lengths.append(len(recording.tape))
    assert lengths[0] == lengths[1] <= 10


def test_least_squares_gradient_is_two_a_transpose_residual(builtin_cases):
    # By hand with numpy's exact object arithmetic, not diffstudy: 2Aᵀ(Ax − b).
    case = builtin_cases["least_squares"]
    module = __import__(case.function.__module__)
    A, b = module.A, module.b
    x = case.point[0]
    expected = 2 * A.T.astype(object) @ (A.astype(object) @ x - b)
    for method in ("symbolic", "forward", "reverse"):
        result = diffstudy.gradient(case.function, case.at, method=method)
        assert result.gradient["x"].tolist() == expected.tolist() == [-124, -168]
        assert result.value == 126


def test_softmax_gradient_by_the_bias_is_softmax_minus_the_label(builtin_cases):
    case = builtin_cases["softmax"]
    module = __import__(case.function.__module__)
    z = np.array(case.at["W"], dtype=float) @ module.x + np.array(case.at["c"], dtype=float)
    expected = np.exp(z) / np.sum(np.exp(z)) - np.eye(3)[module.label]
    for method in ("forward", "reverse"):
        gradient = diffstudy.gradient(case.function, case.at, method=method).gradient["c"]
        np.testing.assert_allclose(gradient.astype(float), expected, rtol=1e-12)


@pytest.mark.parametrize("name", ["least_squares", "two_layer", "softmax", "relu_network", "chain"])
def test_builtin_array_cases_agree_three_ways(builtin_cases, name, capsys):
    status, out, _ = run_cli(capsys, "compare", "--case", name, "--format", "json")
    records = json.loads(out)
    assert status == 0 and all(r["status"] == "ok" for r in records)
    shapes = {input_name: np.shape(value) for input_name, value in records[0]["point"].items()}
    for record in records:
        for row in record["jacobian"]:
            assert {k: np.shape(v) for k, v in row.items()} == shapes
    if name in ("least_squares", "relu_network", "chain"):  # rational points: exactly sympy's numbers
        assert all(r["agreement"] == 0 for r in records if r["method"] != "symbolic")


def test_numpy_scalars_and_object_arrays_of_scalar_inputs():
    def f(x, y):
        v = np.array([x, y])
        return np.sum(np.tanh(v)) + x * np.float64(2.0) + np.float64(3.0) * y + np.exp(x) + v @ v

    at = {"x": 0.5, "y": -1.25}
    x, y = sympy.symbols("x y", real=True)
    expression = sympy.tanh(x) + sympy.tanh(y) + 2 * x + 3 * y + sympy.exp(x) + x**2 + y**2
    expected = [float(sympy.diff(expression, s).subs({x: 0.5, y: -1.25})) for s in (x, y)]
    for method in ("symbolic", "forward", "reverse"):
        gradient = diffstudy.gradient(f, at, method=method).gradient
        assert list(gradient.values()) == pytest.approx(expected, rel=1e-14)


def test_numpy_integer_constants_stay_exact_in_every_method():
    # d/dx (x²/3 + 3/x + x**0) at x = 2, by hand: 2x/3 − 3/x² + 0 = 4/3 − 3/4 = 7/12.
    def f(x):
        return x * x / np.int64(3) + np.int64(3) / x + x ** np.int64(0)

    for method in ("symbolic", "forward", "reverse"):
        assert diffstudy.gradient(f, {"x": 2}, method=method).gradient["x"] == Fraction(7, 12), method
    assert diffstudy.grad(f)(2) == Fraction(7, 12)
    assert diffstudy.grad(lambda x: x ** np.int64(0))(0) == 0  # the constant 1: derivative 0, also at 0
    assert diffstudy.hessian(f)(2) == Fraction(2, 3) + Fraction(6, 8)  # 2/3 + 6/x³


def test_relu_at_its_kink_takes_half_and_says_so():
    # np.maximum(z, 0) at z = 0: not differentiable; every method gives ½ (sympy's Heaviside(0))
    # and the measurement notes the kink.
    def relu(w):
        return np.sum(np.maximum(w, 0))

    at = {"w": [2, 0, -3]}
    for method in ("symbolic", "forward", "reverse"):
        run = run_methods(make_case(relu, at), (method,))
        assert run.results[method].gradient["w"].tolist() == [1, Fraction(1, 2), 0], method
        assert run.results[method].kinks, method


def test_shape_mismatch_names_the_operation_and_the_shapes():
    with pytest.raises(ShapeError, match=r"matmul of shapes \(2, 2\) and \(3,\)"):
        diffstudy.gradient(lambda W, x: np.sum(W @ x), {"W": [[1, 2], [3, 4]], "x": [1, 2, 3]})


def test_a_ragged_point_names_the_input():
    with pytest.raises(CaseError, match="input W: the nested lists are ragged"):
        diffstudy.gradient(lambda W: np.sum(W), {"W": [[1, 2], [3]]})


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_writing_into_an_active_array_says_it_is_not_supported(method):
    def f(W):
        W[0] = 5
        return np.sum(W)

    with pytest.raises(UnsupportedOperation, match=r"writing into an input array .* is not supported") as refused:
        diffstudy.gradient(f, {"W": [1, 2]}, method=method)
    assert re.search(r" at test_arrays.py:\d+ \(`W\[0\] = 5`\)", str(refused.value)), refused.value


@pytest.mark.parametrize("method", ["symbolic", "forward", "reverse"])
def test_an_unsupported_numpy_function_names_itself(method):
    with pytest.raises(UnsupportedOperation, match="numpy.s cumprod is not supported"):
        diffstudy.gradient(lambda W: np.sum(np.cumprod(W)), {"W": [1, 2]}, method=method)


def test_array_cases_in_a_case_file_run_beside_a_failing_one(capsys, tmp_path):
    write_case_file(
        tmp_path,
        "mixed",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"W": [[1, 2], [3, 4]], "x": [1, 2, 3]})
        def mismatch(W, x):
            return np.sum(W @ x)

        @case(at={"W": [[1, 2], [3, 4]], "x": [1, -1]})
        def fine(W, x):
            return np.sum((W @ x) ** 2)
        """,
    )
    status, out, _ = run_cli(capsys, "compare", "--no-builtin", "--cases", str(tmp_path), "--format", "json")
    records = {(r["case"], r["method"]): r for r in json.loads(out)}
    assert status == 1
    assert "mixed.py:6" in records[("mismatch", "reverse")]["error"]
    assert "matmul of shapes (2, 2) and (3,)" in records[("mismatch", "reverse")]["error"]
    # W x = (−1, −1): the gradient by W is 2(Wx)xᵀ = [[−2, 2], [−2, 2]], by x 2Wᵀ(Wx) = [−8, −12].
    assert records[("fine", "reverse")]["gradient"] == {"W": [[-2, 2], [-2, 2]], "x": [-8, -12]}


def test_every_entry_of_the_inputs_is_a_forward_pass():
    tally = Tally()
    W = exact((2, 3))
    forward.jacobian(lambda W: np.sum(W * W), counting([W], tally))
    # Six passes, each evaluating W*W (6 mul, 5 add) and pushing a dense tangent (12 mul, 5 + 6 add).
    assert tally["mul"] == 6 * (6 + 12) and tally["add"] == 6 * (5 + 5 + 6)


def test_a_gradient_has_its_inputs_shape():
    result = diffstudy.gradient(lambda X: np.sum(X**2), {"X": np.arange(6).reshape(2, 3)}, method="reverse")
    assert result.gradient["X"].shape == (2, 3)
    assert result.gradient["X"].tolist() == [[2 * v for v in row] for row in np.arange(6).reshape(2, 3).tolist()]
    assert list(itertools.chain(*result.jacobian)) == [2 * v for v in range(6)]


def test_max_and_min_over_every_axis_of_a_matrix_in_every_method():
    W = np.array([[2, 1], [1, 3]])
    for method in ("symbolic", "forward", "reverse"):
        result = diffstudy.gradient(lambda W: np.max(W) + np.min(W, axis=(0, 1)), {"W": W}, method=method)
        # by hand: the max 3 is at [1, 1]; the min 1 is tied at [0, 1] and [1, 0], ½ each
        assert result.value == 4
        assert result.gradient["W"].tolist() == [[0, Fraction(1, 2)], [Fraction(1, 2), 1]], method
        assert result.kinks, method  # the tie is noted


def test_an_empty_input_array_is_a_row_not_a_traceback(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "empty",
        """
        import numpy as np
        from diffstudy import case

        @case(at={"W": []})
        def empty(W):
            return np.sum(W * W)
        """,
    )
    status, out, err = run_cli(capsys, "compare", "--cases", str(path), "--no-builtin", "--format", "json")
    assert status == 0 and "Traceback" not in err
    records = json.loads(out)
    assert [r["value"] for r in records] == [0] * 4 and all(r["gradient"] == {"W": []} for r in records)
    assert all(r["ops"] == 0 for r in records if r["method"] != "symbolic")


def test_writing_into_a_data_array_in_place_says_so():
    data = np.zeros(3)

    def f(x):
        d = data.copy()
        d += x
        return np.sum(d)

    with pytest.raises(UnsupportedOperation, match="write into an existing array"):
        diffstudy.grad(f)(np.ones(3))
    with pytest.raises(UnsupportedOperation, match="a whole number is a step"):
        diffstudy.grad(lambda x: round(x[0]))(np.ones(3))


def test_var_and_std_of_arrays_by_hand_and_as_numpy_computes_them():
    # var = Σ(x − x̄)²/(n − ddof): ∂/∂x = 2(x − x̄)/(n − ddof); std = √var: ∂ = (x − x̄)/((n − ddof)·std)
    x = np.array([1.0, 2.5, 4.0, 0.5])
    centred = x - 2.0  # x̄ = 2
    for ddof in (0, 1):
        variance = float(np.sum(centred**2)) / (4 - ddof)
        by_hand = {
            "var": (variance, 2 * centred / (4 - ddof)),
            "std": (variance**0.5, centred / ((4 - ddof) * variance**0.5)),
        }
        for name, (value, gradient) in by_hand.items():
            f = {"var": lambda x, d=ddof: np.var(x, ddof=d), "std": lambda x, d=ddof: x.std(ddof=d)}[name]
            got_value, got = diffstudy.value_and_grad(f)(x)
            assert got_value == getattr(np, name)(x, ddof=ddof)  # numpy's own float, to the bit
            assert got_value == pytest.approx(value, rel=1e-15)
            np.testing.assert_allclose(got, gradient, rtol=1e-14)
            np.testing.assert_allclose(diffstudy.jacfwd(f)(x), gradient, rtol=1e-14)
            assert diffstudy.jit(diffstudy.grad(f))(x).tobytes() == got.tobytes()
    # exact: [1, 5/2, 4], x̄ = 5/2, n = 3: 2(x − x̄)/3 = [−1, 0, 1]; the Hessian 2/n (I − 1/n)
    exact = np.array([Fraction(1), Fraction(5, 2), Fraction(4)])
    assert diffstudy.grad(np.var)(exact).tolist() == [-1, 0, 1]
    assert diffstudy.hessian(np.var)(x).tolist() == (0.5 * (np.eye(4) - 0.25)).tolist()
    # along an axis, kept or not: each row's variance, Σ of them, by hand per row
    X = np.array([[0.0, 1.0, 5.0], [2.0, 2.0, 8.0]])
    rows = X - X.mean(axis=1, keepdims=True)
    for keepdims in (False, True):
        got = diffstudy.grad(lambda X, k=keepdims: np.sum(np.var(X, axis=1, keepdims=k)))(X)
        np.testing.assert_allclose(got, 2 * rows / 3, rtol=1e-14)
    with pytest.raises(diffstudy.UnsupportedOperation, match="numpy's var with where= is not supported"):
        diffstudy.grad(lambda x: np.var(x, where=x > 1))(x)
    with pytest.raises(
        diffstudy.DomainError,
        match=r"^test_arrays.py:\d+ \(`.*`\): numpy's var or std with ddof=4 of 4 entries divides by 0$",
    ):
        diffstudy.grad(lambda x: np.std(x, ddof=4))(x)
    # numpy's arguments in numpy's order (axis, dtype, out, ddof), and numpy 2's correction= for ddof
    by_ddof = diffstudy.grad(lambda x: np.var(x, ddof=1))(x)
    assert diffstudy.grad(lambda x: np.var(x, None, None, None, 1))(x).tolist() == by_ddof.tolist()
    assert diffstudy.grad(lambda x: np.var(x, correction=1))(x).tolist() == by_ddof.tolist()
    assert diffstudy.grad(lambda x: x.var(0, None, None, 1))(x).tolist() == by_ddof.tolist()
    # the spread of equal entries is 0, where std has no derivative: said, not sqrt's message of an np.where
    with pytest.raises(
        diffstudy.DomainError, match=r"^test_arrays.py:\d+ \(`.*`\): numpy's std of entries that are all equal"
    ):
        diffstudy.grad(lambda X: np.sum(np.std(X, axis=1)))(np.array([[1.0, 2.0], [3.0, 3.0]]))


def test_an_axis_out_of_bounds_is_refused_not_taken_for_another():
    X = np.arange(6.0).reshape(2, 3)
    for f in (lambda X: np.sum(np.var(X, axis=2)), lambda X: np.sum(X, axis=-3), lambda X: np.sum(X.mean(axis=(0, 2)))):
        for transform in (diffstudy.grad, diffstudy.jacfwd):
            with pytest.raises(
                ShapeError,
                match=r"^test_arrays.py:\d+ \(`.*`\): axis -?\d is out of bounds for an array of 2 dimensions$",
            ):
                transform(f)(X)


def test_the_prod_method_is_numpys_prod():
    ds = diffstudy
    # by hand: ∂(x₀x₁x₂x₃)/∂xᵢ is the product of the others; along axis 0, ∂(x₀₀x₁₀)/∂x₀₀ = x₁₀
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    assert ds.grad(lambda x: x.prod())(x).tolist() == [[24.0, 12.0], [8.0, 6.0]]
    for grad in (ds.grad, lambda f: ds.jit(ds.grad(f))):
        assert grad(lambda x: np.sum(x.prod(axis=0)))(x).tolist() == [[3.0, 4.0], [1.0, 2.0]]


def test_a_numpy_function_not_followed_says_how_the_supported_ones_write_it():
    # and what it says works: by hand, trace(x xᵀ) = Σ xᵢ² has gradient 2x; clip to [0, 1] has
    # gradient 1 inside and 0 outside
    ds, x = diffstudy, np.array([0.5, 2.0])
    for f, said, written, by_hand in (
        (lambda x: np.trace(np.outer(x, x)), 'write it np.einsum("ii->", A)',
         lambda x: np.einsum("ii->", np.outer(x, x)), [1.0, 4.0]),
        (lambda x: np.sum(np.clip(x, 0, 1)), "write it np.minimum(np.maximum(x, low), high)",
         lambda x: np.sum(np.minimum(np.maximum(x, 0.0), 1.0)), [1.0, 0.0]),
    ):  # fmt: skip
        with pytest.raises(UnsupportedOperation, match=re.escape(said)):
            ds.grad(f)(x)
        assert ds.grad(written)(x).tolist() == by_hand

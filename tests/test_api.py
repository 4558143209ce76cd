"""The function API: JAX's names, structures and shapes; expected values by hand or by sympy."""

from __future__ import annotations

import math
import re
from fractions import Fraction

import numpy as np
import pytest
import sympy

import diffstudy as ds
from diffstudy.errors import CaseError, NestingError, UnsupportedOperation

W = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.25]])


def layer(W, x):
    return np.tanh(W @ x)


def test_grad_of_the_lecture_example_is_exact_for_integers():
    f = lambda x, y: x**3 * (x + 3 * y)  # noqa: E731
    assert ds.grad(f, argnums=(0, 1))(2, 3) == (140, 24)
    assert isinstance(ds.grad(f)(2, 3), Fraction)
    assert ds.grad(f)(2.0, 3.0) == 140.0 and isinstance(ds.grad(f)(2.0, 3.0), float)


def test_value_and_grad_on_a_list_of_floats():
    value, gradient = ds.value_and_grad(lambda xs: sum(x * x for x in xs))([1.0, 2.0, 3.0])
    assert value == 14.0 and gradient == [2.0, 4.0, 6.0] and isinstance(gradient, list)


def test_grad_keeps_the_structure_of_a_dict_argument():
    gradient = ds.grad(lambda p: p["a"] * p["b"][0] + p["b"][1] ** 2)({"a": 2.0, "b": (3.0, 4.0)})
    assert gradient == {"a": 3.0, "b": (2.0, 8.0)}


def test_grad_of_an_array_has_its_shape_and_matches_sympy():
    x = np.array([0.3, -0.7])
    gradient = ds.grad(lambda W, x: np.sum(layer(W, x) ** 2))(W, x)
    assert gradient.shape == W.shape and gradient.dtype == float
    symbols = sympy.Matrix(3, 2, sympy.symbols("w0:6", real=True))
    f = sum(sympy.tanh(e) ** 2 for e in symbols * sympy.Matrix(x.tolist()))
    point = dict(zip(symbols, W.flat))
    expected = np.array([[float(sympy.diff(f, s).subs(point)) for s in row] for row in symbols.tolist()])
    np.testing.assert_allclose(gradient, expected, rtol=1e-13)


def test_jacobians_have_jax_shapes_and_forward_equals_reverse():
    x = np.array([0.3, -0.7])
    by_reverse = ds.jacrev(layer, argnums=(0, 1))(W, x)
    by_forward = ds.jacfwd(layer, argnums=(0, 1))(W, x)
    assert by_reverse[0].shape == (3, 3, 2) and by_reverse[1].shape == (3, 2)
    for r, f in zip(by_reverse, by_forward):
        np.testing.assert_allclose(r, f, rtol=1e-14)
    # d tanh(Wx)_i / dx_j = (1 − tanh²)_i W_ij, by hand with numpy
    t = np.tanh(W @ x)
    np.testing.assert_allclose(by_reverse[1], (1 - t**2)[:, None] * W, rtol=1e-13)


def test_jacobian_of_a_tuple_output():
    jacobian = ds.jacrev(lambda a, b: (a * b, a + b), argnums=(0, 1))(2.0, 3.0)
    assert jacobian == ((3.0, 2.0), (1.0, 1.0))


def test_jvp_and_vjp_are_transposes():
    x = np.array([0.3, -0.7])
    t = np.array([1.5, -2.0])
    u = np.array([0.2, -1.0, 3.0])
    out, jt = ds.jvp(lambda x: layer(W, x), (x,), (t,))
    out2, pull = ds.vjp(lambda x: layer(W, x), x)
    (ju,) = pull(u)
    np.testing.assert_allclose(out, out2)
    assert np.dot(u, jt) == pytest.approx(np.dot(ju, t), rel=1e-14)


def test_an_object_array_of_scalars_is_an_array_output():
    jacobian = ds.jacrev(lambda x, y: np.array([x * y, x + y]), argnums=(0, 1))(2.0, 3.0)
    np.testing.assert_array_equal(jacobian[0], [3.0, 1.0])
    np.testing.assert_array_equal(jacobian[1], [2.0, 1.0])


def test_grad_of_a_vector_output_says_what_is_wrong():
    with pytest.raises(CaseError, match="grad is only defined for a function of one number"):
        ds.grad(lambda x: x * 2)(np.array([1.0, 2.0]))


def test_argnums_out_of_range_and_a_string_argument():
    with pytest.raises(CaseError, match="argnums 2 is out of range"):
        ds.grad(lambda x, y: x * y, argnums=2)(1.0, 2.0)
    with pytest.raises(TypeError, match="str is not a number"):
        ds.grad(lambda x: x)("a")


def test_a_list_of_a_thousand_floats_runs_the_scalar_tape_and_an_array_the_array_tape():
    seen = []

    def f(xs):
        seen.append(type(xs[0]).__name__ if isinstance(xs, list) else type(xs).__name__)
        return sum(x * x for x in xs) if isinstance(xs, list) else np.sum(xs * xs)

    xs = [1.0 + i / 1000 for i in range(1000)]
    assert ds.grad(f)(xs) == [2 * x for x in xs]
    np.testing.assert_array_equal(ds.grad(f)(np.array(xs)), 2 * np.array(xs))
    assert seen == ["Var", "VarArray"]


def test_argnums_naming_an_argument_twice_or_not_a_position_is_refused():
    for argnums in ((0, 0), (1, -1), "x", 1.0, True):
        with pytest.raises(CaseError, match="argnums"):
            ds.grad(lambda x, y: x * y, argnums=argnums)(1.0, 2.0)


def test_numpy_functions_on_a_number_act_as_on_a_0d_array():
    # d/dx Σ x² = 2x and d/dx Σ (xy, x) = y + 1, by hand
    assert ds.grad(lambda x: np.sum(x * x))(1.5) == 3.0
    assert ds.grad(lambda x, y: np.sum(np.stack([x * y, x])))(1.5, 2.0) == 3.0
    with pytest.raises(ds.errors.UnsupportedOperation, match="clip"):
        ds.grad(lambda x: np.clip(x, 0, 1))(0.5)


def test_a_tape_variable_that_escapes_its_grad_call_fails_clearly_when_used():
    saved = []

    def f(x):
        saved.append(x)
        return x * x

    assert ds.grad(f)(3.0) == 6.0  # 2x at 3, by hand
    for use in (lambda v: v * 2, lambda v: np.sin(v), lambda v: v + v):
        with pytest.raises(NestingError, match="used after the grad or jacrev call"):
            use(saved[0])
    saved.clear()
    assert ds.jacrev(lambda v: f(v) * 1.0)(np.array([1.0, 2.0])).tolist() == [[2.0, 0.0], [0.0, 4.0]]
    with pytest.raises(NestingError, match="used after"):
        saved[0] @ saved[0]
    # Nesting still works: an inner grad's tape closes, the outer one records on.
    assert ds.grad(lambda x: ds.grad(lambda y: x * y)(1.0) * x)(3.0) == 6.0  # d(x²)/dx


def test_keyword_arguments_go_to_f_undifferentiated():
    # d/dx (x·y) = y: 5 with y = 5 given by keyword, 2 with the default.
    assert ds.grad(lambda x, y=2.0: x * y)(3.0, y=5.0) == 5.0
    assert ds.grad(lambda x, y=2.0: x * y)(3.0) == 2.0
    assert ds.jacfwd(lambda x, scale=1.0: x * scale)(np.array([1.0, 2.0]), scale=3.0).tolist() == [[3, 0], [0, 3]]


def test_has_aux_returns_the_auxiliary_data_concrete_as_jax_does():
    def loss(w):
        prediction = w * 2.0
        return (prediction - 1.0) ** 2, {"prediction": prediction, "both": np.array([w, 1.0])}

    # loss = (2w − 1)²: derivative 4(2w − 1) = 20 at w = 3; the prediction is 6.
    gradient, aux = ds.grad(loss, has_aux=True)(3.0)
    assert gradient == 20.0 and aux["prediction"] == 6.0 and type(aux["prediction"]) is float
    assert aux["both"].dtype == float and aux["both"].tolist() == [3.0, 1.0]
    (value, aux), gradient = ds.value_and_grad(loss, has_aux=True)(3.0)
    assert (value, aux["prediction"], gradient) == (25.0, 6.0, 20.0)
    for transform in (ds.jacrev, ds.jacfwd):
        jacobian, aux = transform(lambda x: (x * x, np.sum(x)), has_aux=True)(np.array([1.0, 2.0]))
        assert jacobian.tolist() == [[2, 0], [0, 4]] and aux == 3.0 and not hasattr(aux, "priority")
    hessian, aux = ds.hessian(lambda x: (np.sum(x**3), x[0]), has_aux=True)(np.array([1.0, 2.0]))
    assert hessian.tolist() == [[6, 0], [0, 12]] and aux == 1.0  # 6x on the diagonal
    with pytest.raises(CaseError, match="must return a pair"):
        ds.grad(lambda x: x * x, has_aux=True)(2.0)


def test_jvp_wants_its_primals_and_tangents_as_tuples():
    with pytest.raises(CaseError, match="as a tuple"):
        ds.jvp(lambda x: x * 2, np.ones(2), np.ones(2))


def test_writing_into_a_plain_array_says_to_build_a_new_one():
    def fill(x):
        out = np.zeros(3)
        for i in range(3):
            out[i] = x[i] ** 2
        return np.sum(out)

    def fill_numbers(a, b):
        out = np.zeros(2)
        out[0], out[1] = a * b, a + b
        return np.sum(out)

    for transform in (ds.grad, ds.jacfwd):
        with pytest.raises(
            UnsupportedOperation, match="build a new array instead, e.g. np.stack or np.array"
        ) as raised:
            transform(fill)(np.array([1.0, 2.0, 3.0]))
        assert re.search(r"into a plain array at test_api.py:\d+ \(`out\[i\] = x\[i\] \*\* 2`\)", str(raised.value))
        with pytest.raises(UnsupportedOperation, match="writing it into a plain array, out.i. = x") as raised:
            transform(fill_numbers)(1.0, 2.0)
        assert re.search(r"at test_api.py:\d+ \(`out\[0\], out\[1\] = a \* b, a \+ b`\)", str(raised.value))
        assert "math" not in str(raised.value)


def test_a_math_function_on_a_traced_number_names_its_line_and_the_function_to_use():
    def wave(x):
        return math.sin(x) * x

    for transform in (ds.grad, ds.jacfwd, lambda f: ds.jit(ds.grad(f))):
        with pytest.raises(UnsupportedOperation) as raised:
            transform(wave)(0.5)
        message = str(raised.value)
        assert re.match(r"float\(\) at test_api.py:\d+ \(`return math.sin\(x\) \* x`\) of one of diffstudy's", message)
        assert "use diffstudy.fn's or numpy's of the same name" in message and "np.stack" not in message


def test_a_list_of_entries_of_an_array_input_is_an_array_as_a_list_of_numbers_is():
    # x₀x₁ + x₂ at (1, 2, 3): gradient (x₁, x₀, 1) = (2, 1, 1) by hand; the same for numbers a, b, c.
    x = np.array([1.0, 2.0, 3.0])
    for f in (lambda x: np.sum([x[0] * x[1], x[2]]), lambda x: np.sum(np.array([x[0] * x[1], x[2]]))):
        np.testing.assert_array_equal(ds.grad(f)(x), [2.0, 1.0, 1.0])
        np.testing.assert_array_equal(ds.jacfwd(f)(x), [2.0, 1.0, 1.0])
    assert ds.grad(lambda a, b, c: np.sum([a * b, c]), argnums=(0, 1, 2))(1.0, 2.0, 3.0) == (2.0, 1.0, 1.0)
    # An entry list as the output: the Jacobian of (x₀x₁, x₂) is [[2, 1, 0], [0, 0, 1]].
    np.testing.assert_array_equal(ds.jacrev(lambda x: np.array([x[0] * x[1], x[2]]))(x), [[2, 1, 0], [0, 0, 1]])


def test_numpys_array_of_entries_times_a_traced_number_keeps_the_entries_derivatives():
    # x₀(x₂ + x₁): gradient (x₁ + x₂, x₀, x₀, 0) = (0.6, −1.2, −1.2, 0) at x below, by hand.
    x = np.array([-1.2, -0.9, 1.5, -0.5])
    by_hand = [-0.9 + 1.5, -1.2, -1.2, 0.0]
    for f in (
        lambda x: np.sum(np.array([x[2], x[1]]) * x[0]),
        lambda x: np.sum(x[0] * np.array([[x[2]], [x[1]]])),  # two dimensions
        lambda x: np.array([x[2], x[1]]) @ np.array([x[0], x[0]]),
    ):
        for transform in (ds.grad, ds.jacfwd, lambda f: ds.jit(ds.grad(f))):
            assert transform(f)(x).tolist() == pytest.approx(by_hand, rel=1e-15)


def test_an_argument_that_is_not_finite_is_named_as_such_not_as_an_overflow():
    with pytest.raises(CaseError, match="^argument 0: nan is not a finite number$"):
        ds.grad(lambda x: x * x)(float("nan"))
    with pytest.raises(CaseError, match=r"^argument 1 at \[1\]: inf is not a finite number$"):
        ds.grad(lambda x, y: x * y, argnums=1)(1.0, [2.0, float("inf")])
    with pytest.raises(CaseError, match=r"^argument 0 at \[1\]: -inf is not a finite number$"):
        ds.jacfwd(np.sin)(np.array([1.0, -np.inf]))
    # the place as an index reaches it, by hand: a dict's key, a list's position, an array's entry
    params = {"w": [np.ones(2), np.array([[1.0, 2.0], [3.0, np.nan]])], "b": 1.0}
    for gradient in (
        ds.grad(lambda p: np.sum(p["w"][1]) * p["b"]),
        ds.jit(ds.grad(lambda p: np.sum(p["w"][1]) * p["b"])),
    ):
        with pytest.raises(CaseError, match=r"^argument 0 at \['w'\]\[1\]\[1, 1\]: nan is not a finite number$"):
            gradient(params)
    with pytest.raises(CaseError, match=r"^argument 0 at \['b'\]: -inf is not a finite number$"):
        ds.grad(lambda p: p["a"] * p["b"])({"a": 1.0, "b": -np.inf})
    with pytest.raises(CaseError, match="^the tangents: nan is not a finite number$"):
        ds.jvp(lambda x: x * x, (1.0,), (float("nan"),))
    with pytest.raises(CaseError, match="^the cotangent: nan is not a finite number$"):
        ds.vjp(lambda x: x * x, 1.0)[1](float("nan"))


def test_a_boolean_output_is_called_the_output():
    for transform in (ds.grad, ds.jacfwd, ds.jacrev):
        with pytest.raises(TypeError, match="^the function's output: False is a boolean, not a number$"):
            transform(lambda x: x > 2)(1.0)
    with pytest.raises(TypeError, match="^argument 0: True is a boolean, not a number$"):
        ds.grad(lambda x: x)(True)


@pytest.mark.parametrize("transform", [ds.grad, ds.value_and_grad, ds.jacfwd, ds.jacrev, ds.hessian])
def test_a_transform_of_something_not_callable_fails_at_once(transform):
    with pytest.raises(TypeError, match="a function to differentiate, not int 3"):
        transform(3)
    with pytest.raises(TypeError, match="a function to differentiate, not str 'f'"):
        ds.jvp("f", (1.0,), (1.0,))
    with pytest.raises(TypeError, match="a function to differentiate, not NoneType None"):
        ds.vjp(None, 1.0)


def test_float32_inputs_give_float32_derivatives_as_jax_does():
    # JAX gives a cotangent the dtype of its primal. By hand: d(x²)/dx = 2x; d Σ xᵢ³ = 3xᵢ², Hessian diag(6xᵢ).
    gradient = ds.grad(lambda x: x * x)(np.float32(3.0))
    assert isinstance(gradient, np.float32) and gradient == 6
    x = np.array([1.0, 2.0], dtype=np.float32)
    f = lambda x: np.sum(x**3)  # noqa: E731
    for result, expected in (
        (ds.grad(f)(x), [3, 12]),
        (ds.value_and_grad(f)(x)[1], [3, 12]),
        (ds.jacfwd(f)(x), [3, 12]),
        (ds.jacrev(f)(x), [3, 12]),
        (ds.vjp(f, x)[1](1.0)[0], [3, 12]),
        (ds.hessian(f)(x), [[6, 0], [0, 12]]),
    ):
        assert result.dtype == np.float32
        np.testing.assert_array_equal(result, expected)
    # A float64 argument beside it keeps float64.
    by_w, by_x = ds.grad(lambda w, x: np.sum(w * x), argnums=(0, 1))(np.array([1.0, 2.0]), x)
    assert by_w.dtype == np.float64 and by_x.dtype == np.float32


@pytest.mark.parametrize("first, then", [(np.float32, np.float64), (np.float64, np.float32)])
def test_jit_traces_a_float32_and_a_float64_number_each_for_its_own_dtype(first, then):
    # By hand: d(x²)/dx = 2x. One compiled function, called with numpy's numbers of both dtypes
    # in turn: each derivative in its argument's dtype, 2e100 not float32's inf.
    compiled = ds.jit(ds.grad(lambda x: x * x))
    for dtype, x in ((first, 1.0), (then, 1e30), (then, 1 / 3), (first, 1 / 3)):
        gradient, by_the_tape = compiled(dtype(x)), ds.grad(lambda x: x * x)(dtype(x))
        assert gradient == dtype(2 * dtype(x)) and gradient.__class__ is by_the_tape.__class__, (dtype, x, gradient)
        assert (gradient.__class__ is np.float32) == (dtype is np.float32)
    assert compiled.traces == 2
    # a list of float32s: each entry's derivative a float32, as the tape gives it (by hand: x₁, x₀)
    pair = [np.float32(1.5), np.float32(2.0)]
    for grad in (ds.grad, lambda f: ds.jit(ds.grad(f))):
        gradient = grad(lambda v: v[0] * v[1])(pair)
        assert [g.__class__ for g in gradient] == [np.float32] * 2 and gradient == [2.0, 1.5]


def test_a_derivative_past_float32s_range_is_an_error_not_inf():
    # 1e300 is a float64 derivative; given in a float32 argument's dtype it would be inf
    for f, x in ((lambda x: x * 1e300, np.float32(1.0)), (lambda x: np.sum(x * 1e300), np.ones(2, np.float32))):
        for grad in (ds.grad, lambda f: ds.jit(ds.grad(f))):
            with pytest.raises(ds.DomainError, match="a derivative of 1e\\+300 overflows float32"):
                grad(f)(x)


def test_vjp_of_a_tuple_output_takes_a_tuple_cotangent():
    # f(x) = (x², 3x): uᵀJ = 2x·u₁ + 3·u₂, by hand; at x = 2: 7 for u = (1, 1), 4 for u = (1, 0).
    out, pull = ds.vjp(lambda x: (x * x, 3 * x), 2.0)
    assert out == (4.0, 6.0) and pull((1.0, 1.0)) == (7.0,) and pull((1.0, 0.0)) == (4.0,)
    with pytest.raises(CaseError, match="structure and shapes of the function's output"):
        pull(1.0)


def test_a_rules_error_is_begun_with_the_users_line_once():
    def f(x):
        y = np.log(x)
        return np.sum(y)

    def inner(x):
        return ds.grad(f)(x) @ x  # the inner grad's error passes through this line too: said once

    at = np.array([1.0, -1.5])
    for transform, function in ((ds.grad, f), (ds.jacfwd, f), (lambda f: ds.jit(ds.grad(f)), f), (ds.grad, inner)):
        with pytest.raises(ds.DomainError) as raised:
            transform(function)(at)
        said = str(raised.value)
        assert re.match(
            r"test_api.py:\d+ \(`y = np.log\(x\)`\): log of a negative number \(-1.5\) at index \[1\]", said
        )
        assert said.count("test_api.py:") == 1, said


def test_a_real_numbers_conjugate_and_real_part_are_itself():
    # x₀·x₁ + x₂², written with conj and real: ∇ = (x₁, x₀, 2x₂) = (2, 1, 6) at (1, 2, 3), by hand
    def f(x):
        return np.conjugate(x[0]) * np.real(x[1]) + np.conj(x).real[2] * x[2].conjugate()

    x = np.array([1.0, 2.0, 3.0])
    for transform in (ds.grad, ds.jacfwd, lambda f: ds.jit(ds.grad(f))):
        assert np.asarray(transform(f)(x)).tolist() == [2.0, 1.0, 6.0]
    assert ds.hessian(f)(x).tolist() == [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    assert ds.grad(lambda a, b: np.conjugate(a) * b.real, argnums=(0, 1))(2.0, 3.0) == (3.0, 2.0)

"""ds.jit gives the tape's answer or the tape gives it: what f reads besides its arguments is
watched, and a path the code cannot check (an exception f caught, a derivative inside f) is left
to the tape with a warning. Each expected value here is the tape's own, ds.grad without jit."""

import functools
import gc
import logging
import math
import types
import warnings

import numpy as np
import pytest

import diffstudy as ds
from diffstudy import compiled, fn
from diffstudy.engine import generate
from diffstudy.errors import CaseError


def _same_after_change(f, change, x=3.0, **kwargs):
    """Traced, then something f reads changed: the compiled gradient is the tape's, at every call."""
    compiled_gradient = ds.jit(ds.grad(f))
    assert compiled_gradient(x, **kwargs) == ds.grad(f)(x, **kwargs)
    change()
    expected = ds.grad(f)(x, **kwargs)
    assert compiled_gradient(x, **kwargs) == expected and compiled_gradient(x, **kwargs) == expected
    return expected


class Model:
    def __init__(self):
        self.w = np.array([1.0, 2.0])

    def loss(self, x):
        return np.sum((self.w * x) ** 2)


def test_the_object_of_a_bound_method_is_watched():
    model, x = Model(), np.ones(2)
    compiled_gradient = ds.jit(ds.grad(model.loss))
    compiled_gradient(x)
    model.w = np.array([3.0, 3.0])  # rebound
    assert np.array_equal(compiled_gradient(x), [18.0, 18.0])
    model.w[:] = 5.0  # changed in place
    assert np.array_equal(compiled_gradient(x), [50.0, 50.0])
    by_class = ds.jit(ds.grad(Model.loss, argnums=1))  # the object as a constant argument
    by_class(model, x)
    model.w = np.array([1.0, 1.0])
    assert np.array_equal(by_class(model, x), [2.0, 2.0])


class Scaled:
    __slots__ = ("s",)

    def __init__(self):
        self.s = 2.0

    def __call__(self, x):
        return self.s * x * x


def test_attributes_of_modules_classes_callable_objects_and_nested_objects_are_watched():
    config = types.ModuleType("config")
    config.s = 2.0
    assert _same_after_change(lambda x: config.s * x * x, lambda: setattr(config, "s", 5.0)) == 30.0

    class Settings:
        s = 2.0

    assert _same_after_change(lambda x: Settings.s * x * x, lambda: setattr(Settings, "s", 5.0)) == 30.0
    scaled = Scaled()  # __slots__, and __call__
    assert _same_after_change(scaled, lambda: setattr(scaled, "s", 5.0)) == 30.0
    outer = types.SimpleNamespace(inner=types.SimpleNamespace(s=2.0))
    assert _same_after_change(lambda x: outer.inner.s * x * x, lambda: setattr(outer.inner, "s", 5.0)) == 30.0


_SCALE = 2.0  # a global the methods and functions below read, rebound by the test


class Scaler:
    scale = 1.0  # a class attribute a method reads through self

    def loss(self, x):
        return self.scale * _SCALE * x * x

    @property
    def factor(self):
        return _SCALE

    @staticmethod
    def static(x):
        return _SCALE * x * x

    @classmethod
    def of_class(cls, x):
        return _SCALE * x * x


class Layer:
    def __init__(self, c):
        self.c = c

    def __call__(self, x):
        return self.c * _SCALE * x * x


class Wrapped:  # a decorator written as a class: its __call__ calls the function it holds
    def __init__(self, function):
        self.function = function

    def __call__(self, x):
        return self.function(x)


@Wrapped
def _wrapped(x):
    return _SCALE * x * x


def _rebind(value):
    return lambda: globals().__setitem__("_SCALE", value)


def _scaled(x, c):
    return c * _SCALE * x * x


def test_what_f_reaches_through_an_object_a_class_a_list_or_a_partial_is_watched():
    # By hand: each f is c·x² with c = 2 (then 5, then 7) times _SCALE, so at x = 3 its gradient
    # is 6c. Each was given the first call's gradient again after the change.
    global _SCALE
    scaler, table, partial = Scaler(), [lambda z: _SCALE * z * z], functools.partial(_scaled, c=1.0)
    bound = scaler.loss
    for f in (
        lambda x: scaler.loss(x),  # a method of an object f reads, and the global the method reads
        lambda x: bound(x),  # a bound method held in a variable
        lambda x: scaler.factor * x * x,  # a property
        lambda x: Scaler.static(x),
        lambda x: Scaler.of_class(x),
        lambda x: table[0](x),  # a function in a list
        lambda x: partial(x),
        lambda x: Layer(1.0)(x),  # a class built inside f
        _wrapped,
    ):
        _SCALE = 2.0
        assert _same_after_change(f, _rebind(5.0)) == 30.0
    _SCALE = 2.0
    loss = Scaler.loss
    try:  # a class attribute the method reads, and the method itself, changed on the class
        assert _same_after_change(lambda x: scaler.loss(x), lambda: setattr(Scaler, "scale", 3.5)) == 42.0
        assert (
            _same_after_change(lambda x: scaler.loss(x), lambda: setattr(Scaler, "loss", lambda s, x: 7 * x * x)) == 42
        )
    finally:
        Scaler.scale, Scaler.loss = 1.0, loss


class Module:  # a torch-like module: __call__ calls a method through self
    def __call__(self, x):
        return self.forward(x)

    def forward(self, x):
        return _SCALE * x * x


class Linear:
    def __init__(self, w):
        self.params = {"w": {"value": w}}

    def __call__(self, x):
        return x * self.params["w"]["value"]


class Sequence:
    def __init__(self, *modules):
        self.modules = list(modules)

    def __call__(self, x):
        for module in self.modules:
            x = module(x)
        return x


class Config:  # reads its own attributes by vars(self)
    def __init__(self, **settings):
        vars(self).update(settings)

    def get(self, name):
        return vars(self)[name]


def test_a_method_reached_through_self_and_callables_nested_in_lists_are_watched():
    # by hand: _SCALE·x² at 3 has gradient 6·_SCALE; the nested layers multiply by 2·3·4, then 2·10·4
    global _SCALE
    _SCALE, module = 2.0, Module()
    assert _same_after_change(lambda x: module(x), _rebind(5.0)) == 30.0
    _SCALE = 2.0
    net = Sequence(Sequence(Linear(2.0), Linear(3.0)), Linear(4.0))
    assert _same_after_change(lambda x: net(x), lambda: net.modules[0].modules[1].params["w"].update(value=10.0)) == 80
    config = Config(scale=2.0)  # vars(self) reads what is watched already: f stays compiled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _same_after_change(lambda x: config.get("scale") * x * x, lambda: setattr(config, "scale", 5.0)) == 30


def test_a_callable_objects_attribute_and_a_deque_or_array_changed_in_place_are_watched():
    import array
    import collections

    layer = Layer(2.0)
    assert _same_after_change(lambda x: layer(x), lambda: setattr(layer, "c", 5.0)) == 6 * 5.0 * _SCALE
    for box in (collections.deque([2.0]), array.array("d", [2.0])):
        assert _same_after_change(lambda x, box=box: box[0] * x * x, lambda box=box: box.__setitem__(0, 5.0)) == 30.0


def test_a_variable_read_by_a_name_in_a_string_leaves_f_to_the_tape():
    namespace = {"s": 2.0}
    exec(
        "def by_eval(x):\n    return eval('s') * x * x\ndef by_globals(x):\n    return globals()['s'] * x * x",
        namespace,
    )
    for name in ("by_eval", "by_globals"):
        namespace["s"] = 2.0
        with pytest.warns(ds.JitWarning, match=f"f calls {name[3:]}\\(\\), which reads variables by a name"):
            assert _same_after_change(namespace[name], lambda: namespace.update(s=5.0)) == 30.0


def test_what_the_trace_cannot_do_with_an_argument_not_differentiated_is_left_to_the_tape():
    # jit traces y and X too, where the tape hands f the float and the array: a dict keyed by y
    # and X[0].is_integer() are the tape's there (by hand: Σw · 5 by w is [5, 5]; X[0] = 2 is whole)
    table = {3.0: 5.0}
    for f, data, by_hand in (
        (lambda w, y: np.sum(w) * table[y], 3.0, [5.0, 5.0]),
        (lambda w, X: np.sum(w) * (2.0 if X[0].is_integer() else 1.0), np.array([2.0, 3.0]), [2.0, 2.0]),
    ):
        with pytest.warns(ds.JitWarning, match="the code cannot follow f: .*(hash|is_integer)"):
            assert ds.jit(ds.grad(f))(np.ones(2), data).tolist() == by_hand == ds.grad(f)(np.ones(2), data).tolist()
    # differentiated by, they are refused in one line
    for f, said in (
        (lambda x: {x: 1.0}[x] * x, "as a dict key or a set member"),
        (lambda x: x * x.is_integer(), "is_integer"),
    ):
        with pytest.raises(ds.UnsupportedOperation, match=said):
            ds.grad(f)(1.0)


def test_partials_defaults_tuples_and_builtins_are_watched():
    factor = [2.0]
    partial = functools.partial(lambda x, c: c[0] * x * x, c=factor)
    assert _same_after_change(partial, lambda: factor.__setitem__(0, 5.0)) == 30.0

    def keyword_only(x, *, c=[2.0]):  # noqa: B006 (the default changed in place is the point)
        return c[0] * x * x

    assert _same_after_change(keyword_only, lambda: keyword_only.__kwdefaults__["c"].__setitem__(0, 5.0)) == 30.0

    def positional(x, c=2.0):
        return c * x * x

    assert _same_after_change(positional, lambda: setattr(positional, "__defaults__", (5.0,))) == 30.0
    held = (np.array([2.0]),)
    assert _same_after_change(lambda x: held[0][0] * x * x, lambda: held[0].__setitem__(0, 5.0)) == 30.0
    namespace = {"np": np}
    exec("def f(x):\n    return abs(x) * x", namespace)  # a builtin, then a global of its name
    assert _same_after_change(namespace["f"], lambda: namespace.update(abs=lambda v: 5.0 * v)) == 30.0


def test_zero_and_minus_zero_are_different_constants():
    def f(x, c=0.0):
        return x * math.atan2(0.0, c)

    compiled_gradient = ds.jit(ds.grad(f))
    assert compiled_gradient(3.0, c=0.0) == 0.0
    assert compiled_gradient(3.0, c=-0.0) == math.pi == ds.grad(f)(3.0, c=-0.0)
    sign = np.array([0.0])
    assert _same_after_change(lambda x: x * math.copysign(1.0, sign[0]), lambda: sign.__setitem__(0, -0.0)) == -1.0


def test_an_exception_caught_while_traced_leaves_f_to_the_tape():
    def f(x):
        try:
            return np.log(x)
        except ds.DomainError:
            return x * x

    compiled_gradient = ds.jit(ds.grad(f))
    with pytest.warns(ds.JitWarning, match=r"caught an exception while traced, DomainError .*line"):
        assert compiled_gradient(-1.0) == -2.0
    assert compiled_gradient(2.0) == 0.5 == ds.grad(f)(2.0)  # not the except path's 4.0
    with pytest.raises(ds.DiffstudyError, match="caught an exception"):
        print(compiled_gradient.source)


def test_a_derivative_inside_f_leaves_it_to_the_tape():
    def cube(x):
        return abs(x) ** 3

    second = ds.jit(ds.grad(ds.grad(cube)))
    with pytest.warns(ds.JitWarning, match="differentiates inside itself"):
        assert second(1.5) == 9.0
    assert second(-1.5) == 9.0 == ds.grad(ds.grad(cube))(-1.5)  # the sign of -1.5, not of 1.5
    asin = ds.jit(ds.grad(ds.grad(np.arcsin)))
    with pytest.warns(ds.JitWarning):
        asin(0.9)
    assert asin(1e-170) == 1e-170 == ds.grad(ds.grad(np.arcsin))(1e-170)  # the stable rule's other branch


def test_a_norms_scaling_is_checked_at_each_call():
    value_and_gradient = ds.jit(ds.value_and_grad(np.linalg.norm))
    value_and_gradient(np.array([3.0, 4.0]))
    tiny = np.array([3e-160, 4e-160])
    value, gradient = value_and_gradient(tiny)
    expected_value, expected_gradient = ds.value_and_grad(np.linalg.norm)(tiny)
    assert value == expected_value == 5e-160 and np.array_equal(gradient, expected_gradient)
    assert value_and_gradient.traces == 2 and "_norm_scale(arg0) != " in value_and_gradient.source


def test_a_list_of_floats_with_an_array_inside_is_not_taken_for_floats():
    def f(v):
        return v[0] * np.sum(v[1]) * v[2]

    compiled_gradient = ds.jit(ds.grad(f))
    compiled_gradient([1.0, 2.0, 3.0])
    mixed = [1.0, np.array([2.0, 4.0]), 3.0]
    got, expected = compiled_gradient(mixed), ds.grad(f)(mixed)
    assert got[0] == expected[0] == 18.0 and np.array_equal(got[1], [3.0, 3.0]) and got[2] == 6.0


def test_a_constant_array_returned_is_a_new_one_at_each_call():
    def f(x):
        return np.sum(x), np.ones(3)

    compiled_f = ds.jit(f)
    compiled_f(np.ones(2))[1][0] = 99.0
    assert np.array_equal(compiled_f(np.ones(2))[1], np.ones(3))


def test_forward_mode_code_through_a_map_that_is_zero_by_structure():
    for f in (lambda x: np.sign(x) * x, lambda x: np.sign(x) + x, lambda x: np.sum(np.sign(x) * x**2)):
        point = np.array([0.3, -0.7])
        assert np.array_equal(ds.jit(ds.jacfwd(f))(point), ds.jacfwd(f)(point))


def test_nothing_to_differentiate_by():
    def f(x, y):
        return x * y

    for transform in (ds.grad, ds.jacrev, ds.jacfwd):
        assert ds.jit(transform(f, argnums=()))(2.0, 3.0) == () == transform(f, argnums=())(2.0, 3.0)
    assert ds.jit(ds.value_and_grad(f, argnums=()))(2.0, 3.0) == (6.0, ())


def test_a_program_too_long_to_write_out_is_differentiated_by_the_tape(monkeypatch):
    monkeypatch.setattr(generate, "LIMIT", 50)

    def f(x):
        for _ in range(30):
            x = x * 0.99 + 0.01 * x * x
        return x

    with pytest.warns(ds.JitWarning, match="too many to write out"):
        assert ds.jit(ds.grad(f))(0.5) == ds.grad(f)(0.5)


def test_a_program_too_long_to_write_out_is_not_recorded_in_full_first(monkeypatch):
    # 30 turns of 4 operations; the trace stops at the 51st operation, in the 13th turn, and the
    # tape then runs all 30: 43 turns in the first call, where a full trace would make it 60
    monkeypatch.setattr(generate, "LIMIT", 50)
    turns = []

    def f(x):
        for _ in range(30):
            turns.append(1)
            x = x * 0.99 + 0.01 * x * x
        return x

    with pytest.warns(ds.JitWarning, match="more than 50 operations are too many to write out"):
        gradient = ds.jit(ds.grad(f))(0.5)
    assert len(turns) == 13 + 30
    assert gradient == ds.grad(f)(0.5)


@pytest.mark.parametrize("as_array", [False, True], ids=["float", "float array"])
def test_a_path_that_follows_the_data_is_left_to_the_tape_after_some_paths(as_array):
    def halvings(x):
        while (x[0] if as_array else x) > 1.0:
            x = x / 2
        return np.sum(x * x) if as_array else x * x

    compiled_gradient = ds.jit(ds.grad(halvings))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for k in [*range(compiled.PATHS + 4), 3, 0]:  # 2 ** k halves k times: a path of its own each
            x = np.array([1.5 * 2.0**k, 0.75]) if as_array else 1.5 * 2.0**k
            # by hand: k + 1 halvings make x x / 2^(k+1), and ∂/∂x of its square is 2x / 4^(k+1)
            assert np.array_equal(compiled_gradient(x), 2 * np.asarray(x) / 4.0 ** (k + 1))
            assert np.array_equal(compiled_gradient(x), ds.grad(halvings)(x))
    assert compiled_gradient.traces == compiled.PATHS
    assert [str(w.message) for w in caught if w.category is ds.JitWarning] == [
        f"ds.jit: f took {compiled.PATHS} paths at these arguments' shapes (its path follows the data); "
        "the tape differentiates f at these arguments"
    ]


def test_a_compiled_hessian_runs_dual_numbers_through_the_gradients_code():
    def f(x, y):
        return x**3 * (x + 3 * y)

    hessian = ds.jit(ds.hessian(f, argnums=(0, 1)))
    # by hand from the lecture's F: F_xx = 12x² + 18xy, F_xy = 9x², F_yy = 0
    assert hessian(2.0, 3.0) == ((156.0, 36.0), (36.0, 0.0)) == ds.hessian(f, argnums=(0, 1))(2.0, 3.0)
    assert hessian.hessian_of.traces == 1 and "def grad_of_f(x, y, _u0):" in hessian.source

    def branch(x):
        return x * x if x > 1 else np.sin(x)

    hessian = ds.jit(ds.hessian(branch))
    for x in (2.0, 0.5, 3.0):
        assert hessian(x) == ds.hessian(branch)(x)
    assert hessian(0.5) == -math.sin(0.5) and hessian.hessian_of.traces == 2


@pytest.mark.parametrize("f", [lambda x: np.sum(3 * x), lambda x: 3.0 * x[0] + x[1]])
def test_a_compiled_hessian_of_a_linear_function_is_float_zeros(f):
    # The gradient does not depend on x: its derivative is 0, in floats as the inputs are.
    hessian = ds.jit(ds.hessian(f))(np.array([1.0, 2.0]))
    assert hessian.dtype == np.float64 and hessian.tolist() == [[0.0, 0.0], [0.0, 0.0]]


class Counted:
    s = 2.0

    def loss(self, x):
        return self.s * x * x

    @classmethod
    def loss_of_class(cls, x):
        return cls.s * x * x


def test_class_attributes_read_through_self_or_cls_are_watched():
    for method in (Counted().loss, Counted.loss_of_class):
        assert _same_after_change(method, lambda: setattr(Counted, "s", 5.0)) == 30.0
        Counted.s = 2.0


def test_containers_of_objects_and_a_dict_holding_itself_are_watched_item_by_item():
    data = types.SimpleNamespace(X=np.ones(3))
    compiled_gradient = ds.jit(ds.grad(functools.partial(lambda d, w: np.sum(d.X * w), data)))
    for _ in range(3):
        compiled_gradient(np.ones(3))
    assert compiled_gradient.traces == 1  # the object held is the same object: not traced again
    data.X[0] = 5.0
    assert np.array_equal(compiled_gradient(np.ones(3)), [5.0, 1.0, 1.0])
    registry = {"scale": 2.0}
    registry["itself"] = registry
    assert _same_after_change(lambda x: registry["scale"] * x * x, lambda: registry.update(scale=5.0)) == 30.0
    zeros = [0.0, 1.0]  # a list of numbers: 0.0 apart from -0.0
    assert _same_after_change(lambda x: x * math.atan2(0.0, zeros[0]), lambda: zeros.__setitem__(0, -0.0)) == math.pi


def test_a_generator_left_early_is_not_an_exception_f_caught():
    def f(x):
        first = next(v for v in (x, x * x) if v > 0)  # closes the generator with GeneratorExit
        return first * x

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ds.jit(ds.grad(f))(3.0) == ds.grad(f)(3.0) == 6.0


def test_the_hessian_of_a_norm_runs_through_the_gradients_code():
    point = np.array([3.0, 4.0])
    hessian = ds.jit(ds.hessian(np.linalg.norm))(point)
    # by hand: (I − x xᵀ/|x|²)/|x| = [[16, -12], [-12, 9]] / 125
    assert np.allclose(hessian, np.array([[16.0, -12.0], [-12.0, 9.0]]) / 125, rtol=1e-15)
    assert np.array_equal(hessian, ds.hessian(np.linalg.norm)(point))


def test_numbers_inside_a_list_of_floats_are_computed_as_floats():
    def f(v):
        return v[0] * (v[1] * v[2]) + v[3]

    big = [1.0, np.int64(3_000_000_000), np.int64(4_000_000_000), 4.0]  # 1.2e19 wraps around in int64
    gradient = ds.jit(ds.grad(f))(big)
    assert gradient == [1.2e19, 4e9, 3e9, 1.0] and all(type(g) is float for g in gradient)


def test_a_derivative_of_constants_inside_f_is_a_constant_and_f_is_compiled():
    helper = ds.jit(lambda a: np.sin(a) * a)  # traced on a constant inside f: a tape of its own

    def f(x):
        return helper(0.7) * x * x + ds.grad(lambda y: y**3)(0.5) * x

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not "f differentiates inside itself"
        compiled_gradient = ds.jit(ds.grad(f))
        # by hand: 2·0.7·sin(0.7)·x + 3·0.5²
        assert compiled_gradient(3.0) == pytest.approx(6 * 0.7 * math.sin(0.7) + 0.75, rel=1e-15)
        assert compiled_gradient(3.0) == ds.grad(f)(3.0) and "def grad_of_f" in compiled_gradient.source


def test_an_error_of_the_tape_under_jit_is_raised_once_not_chained():
    compiled_gradient = ds.jit(ds.grad(lambda x: fn.log(x[0]) * x[1]))
    with pytest.raises(ds.DomainError, match="log of a negative number") as raised:
        compiled_gradient([-1.0, 2.0])
    assert raised.value.__context__ is None  # not "during handling of the above exception, another …"


def test_a_set_of_numbers_f_reads_is_watched():
    numbers = {0.0, 2.0}  # a zero in it: no place to look its sign up at (this crashed)
    assert _same_after_change(lambda x: max(numbers) * x * x, lambda: numbers.add(5.0)) == 30.0


def test_the_collector_is_paused_while_f_is_traced_and_left_as_it_was():
    seen = []

    def f(x):
        seen.append(gc.isenabled())
        if x > 5:
            raise ValueError("too big")
        return x * x

    compiled = ds.jit(ds.grad(f))
    assert compiled(2.0) == 4.0 and seen == [False] and gc.isenabled()
    with pytest.raises(ValueError):
        compiled(6.0)  # another path, traced: f raises
    assert gc.isenabled()
    gc.disable()
    try:
        assert ds.jit(ds.grad(f))(3.0) == 6.0 and not gc.isenabled()  # the caller's setting kept
    finally:
        gc.enable()


def test_an_integer_f_returns_comes_back_as_f_gave_it():
    def f(x, xs):
        return x * 2.0, len(xs), {"count": np.int64(7)}

    for point in ((2.0, [1.0, 2.0]), (3.5, [0.5, 1.5])):
        got, want = ds.jit(f)(*point), f(*point)
        assert got == want and [type(v) for v in (got[1], got[2]["count"])] == [int, np.int64]
    assert repr(ds.jit(lambda x: 3)(2.0)) == "3"  # not Fraction(3, 1)
    counts = ds.jit(lambda x: (x, np.arange(3)))
    first, second = counts(2.0)[1], counts(3.0)[1]
    assert first.dtype == np.arange(3).dtype and first.tolist() == [0, 1, 2] and first is not second


def _outcome(function, *args):
    try:
        return "value", function(*args)
    except Exception as error:  # the kind of error, as the user sees it
        return "error", type(error).__name__


def test_an_inf_or_nan_given_is_decided_as_the_tape_and_f_decide_it():
    def f(xs, y, d):
        return fn.tanh(xs[0]) * y + d["a"]  # tanh(inf) is 1: the code alone would say nothing

    def g(xs, y):
        return xs[0] * 0.0 + y * y

    for transform in (ds.grad, ds.value_and_grad):
        compiled, taped = ds.jit(transform(f, argnums=(0, 1))), transform(f, argnums=(0, 1))
        compiled((0.5, 0.25), 2.0, {"a": 1.0})  # traced at finite numbers
        for bad in ([math.inf, 0.25], (0.5, math.nan)):
            with pytest.raises(CaseError, match="not a finite number"):
                taped(bad, 2.0, {"a": 1.0})
            with pytest.raises(CaseError, match="not a finite number"):
                compiled(bad, 2.0, {"a": 1.0})
        with pytest.raises(CaseError, match="not a finite number"):
            compiled([0.5, 0.25], math.inf, {"a": 1.0})
        for point in (([0.5, 0.25], 2.0, {"a": math.inf}), ([0.5, 0.25], 2.0, {"a": math.nan})):
            assert _outcome(compiled, *point) == _outcome(taped, *point)  # (an add refuses it)
    # where it is not differentiated by and nothing refuses it, the tape computes with it, and so does jit
    by_y = ds.jit(ds.grad(g, argnums=1))
    by_y((0.5, 0.25), 2.0)
    for xs in ([math.inf, 0.25], (0.5, math.nan)):
        assert _outcome(by_y, xs, 2.0) == _outcome(ds.grad(g, argnums=1), xs, 2.0)
    assert ds.jit(lambda x: x * 2.0)(math.inf) == math.inf  # f's own result, as f gives it


def test_an_array_rebound_four_levels_down_is_noticed_and_one_deeper_than_five_leaves_f_to_the_tape():
    w = np.array([1.0, 2.0, 3.0])
    nested = {"a": {"b": {"c": {"d": np.ones(3)}}}}
    layers = types.SimpleNamespace(a=types.SimpleNamespace(b=types.SimpleNamespace(c=types.SimpleNamespace())))
    layers.a.b.c.d = np.ones(3)
    for f, rebind in (
        (lambda x: np.sum(x * nested["a"]["b"]["c"]["d"]), lambda: nested["a"]["b"]["c"].update(d=np.full(3, 9.0))),
        (lambda x: np.sum(x * layers.a.b.c.d), lambda: setattr(layers.a.b.c, "d", np.full(3, 9.0))),
    ):
        compiled_gradient = ds.jit(ds.grad(f))
        assert compiled_gradient(w).tolist() == [1.0] * 3
        rebind()
        assert compiled_gradient(w).tolist() == ds.grad(f)(w).tolist() == [9.0] * 3  # (by hand: d)
    deep = {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": {"i": np.ones(3)}}}}}}}}}
    compiled_gradient = ds.jit(ds.grad(lambda x: np.sum(x * deep["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h"]["i"])))
    with pytest.warns(ds.JitWarning, match="f reads deep, which holds items or attributes more than 8 levels deep"):
        assert compiled_gradient(w).tolist() == [1.0] * 3
    deep["a"]["b"]["c"]["d"]["e"]["f"]["g"]["h"]["i"] = np.full(3, 7.0)
    assert compiled_gradient(w).tolist() == [7.0] * 3  # (the tape's, at every call)


def test_a_logger_f_reads_and_a_dict_holding_itself_keep_f_compiled():
    log = logging.getLogger("diffstudy.test")
    registry = {"scale": 2.0}
    registry["itself"] = registry

    def f(x):
        log.debug("called")
        return registry["scale"] * np.sum(x * x)

    compiled_gradient = ds.jit(ds.grad(f))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no JitWarning: the logger's depths are the library's own
        assert compiled_gradient(np.ones(2)).tolist() == [4.0, 4.0]
    assert compiled_gradient.last is not None and compiled_gradient.traces == 1


def test_numpys_call_on_data_the_code_cannot_follow_is_left_to_the_tape_with_a_warning():
    # The code traces y too; the tape leaves np.cbrt(y) to numpy: d/dx = ∛y for each entry, by hand.
    compiled = ds.jit(ds.grad(lambda x, y: np.cbrt(y) * np.sum(x)))
    with pytest.warns(ds.JitWarning, match=r"the code cannot follow f: numpy's cbrt is not supported") as caught:
        gradient = compiled(np.array([1.0, 2.0]), 0.7)
    assert caught[0].filename == __file__
    assert gradient == pytest.approx([0.7 ** (1 / 3)] * 2, rel=1e-15)
    assert compiled(np.array([1.0, 2.0]), 0.8) == pytest.approx([0.8 ** (1 / 3)] * 2, rel=1e-15)
    # a Hessian the same way: 2∛y on the diagonal, by hand
    with pytest.warns(ds.JitWarning, match="numpy's cbrt is not supported"):
        hessian = ds.jit(ds.hessian(lambda x, y: np.sum(x * x) * np.cbrt(y)))(np.array([0.3, -1.2]), 2.0)
    assert hessian.ravel().tolist() == pytest.approx([2 * 2 ** (1 / 3), 0, 0, 2 * 2 ** (1 / 3)], rel=1e-15)
    # where the tape cannot either (cbrt of x), its own error, and no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ds.UnsupportedOperation, match="numpy's cbrt is not supported"):
            ds.jit(ds.grad(lambda x: np.cbrt(x) * 2))(0.7)


def test_a_jitted_function_says_what_it_is_and_what_it_has_written():
    def loss(x):
        return np.sum(x * x)

    gradient, hessian = ds.jit(ds.grad(loss)), ds.jit(ds.hessian(loss))
    assert repr(gradient) == "<ds.jit of grad(loss): 0 paths written out>"
    gradient(np.array([1.0, 2.0]))
    gradient(np.array([1.0, 2.0, 3.0]))  # another shape: another program
    assert repr(gradient) == "<ds.jit of grad(loss): 2 paths written out>"
    hessian(np.array([1.0, 2.0]))
    assert (
        repr(hessian)
        == "<ds.jit of hessian(loss): dual numbers run through the code of grad(loss): 1 path written out>"
    )

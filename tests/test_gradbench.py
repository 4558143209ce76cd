"""diffstudy as a GradBench tool, tested without GradBench: a scripted conversation in its
protocol, and each eval's functions against references computed another way — central
differences of the eval's own numpy program run in extended precision (numpy's longdouble), sympy
exact arithmetic, or a value reasoned by hand — at small sizes, for each method."""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pytest
import sympy

from diffstudy.cli import main
from diffstudy.studies.gradbench import EVALS, ba, det, gmm, ht, kmeans, llsq, lse, lstm, nested, ode
from diffstudy.studies.gradbench.evals import Eval, Function
from diffstudy.studies.gradbench.methods import METHODS

ALGORITHMIC = ("reverse", "forward", "generated")
RNG = np.random.default_rng(19)


def _converse(monkeypatch, capsys, messages, *options):
    lines = "\n".join(m if isinstance(m, str) else json.dumps(m) for m in messages) + "\n"
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    assert main(["gradbench", *options]) == 0
    out, err = capsys.readouterr()
    return [json.loads(line) for line in out.splitlines()], err


def test_a_scripted_conversation(monkeypatch, capsys):
    replies, err = _converse(
        monkeypatch,
        capsys,
        [
            {"id": 0, "kind": "start", "eval": "lse"},
            {"id": 1, "kind": "define", "module": "lse"},
            {"id": 2, "kind": "evaluate", "module": "lse", "function": "primal", "input": {"x": [0.0, 0.0]}},
            {"id": 3, "kind": "analysis", "of": 2, "valid": True},
            {
                "id": 4,
                "kind": "evaluate",
                "module": "lse",
                "function": "gradient",
                "input": {"x": [1.0, 1.0, 1.0, 1.0], "min_runs": 3, "min_seconds": 0},
            },  # fmt: skip
            "not json",
            {"id": 5, "kind": "evaluate", "module": "lse", "function": "gradient", "input": {"y": [1.0]}},
            {"id": 6, "kind": "evaluate", "module": "lse", "function": "hessian", "input": {"x": [1.0]}},
            {"id": 7, "kind": "define", "module": "nothing"},
            {"id": 8, "kind": "evaluate", "module": "hello", "function": "double", "input": 3.0},
        ],
        "--method",
        "generated",
    )
    assert [r["id"] for r in replies] == list(range(9))
    assert replies[0] == {"id": 0, "tool": "diffstudy", "config": {"method": "generated"}}
    assert replies[1] == {"id": 1, "success": True}
    assert replies[2]["output"] == pytest.approx(math.log(2), rel=1e-15) and len(replies[2]["timings"]) == 1
    assert replies[3] == {"id": 3}
    assert replies[4]["output"] == [0.25, 0.25, 0.25, 0.25]  # the softmax of equal numbers
    assert len(replies[4]["timings"]) == 3 and all(t["name"] == "evaluate" for t in replies[4]["timings"])
    assert replies[5] == {"id": 5, "success": False, "error": "lse.gradient (generated): the input has no field 'x'"}
    assert replies[6]["success"] is False and "no function 'hessian'" in replies[6]["error"]
    assert replies[7]["success"] is False and "no eval named 'nothing'" in replies[7]["error"]
    assert replies[8]["output"] == 6.0
    assert "not JSON" in err


def test_min_seconds_is_honoured():
    function = EVALS["hello"].functions["square"]
    tool_input = {"min_runs": 1, "min_seconds": 0.02}
    from diffstudy.studies.gradbench.protocol import timed_runs

    _, timings = timed_runs(function, 2.0, METHODS["reverse"](), tool_input["min_runs"], tool_input["min_seconds"])
    assert len(timings) > 1 and sum(t["nanoseconds"] for t in timings) >= 0.02e9


def _noisy(x, method):
    print("a program's own output")
    raise ZeroDivisionError("division by zero in the program")


def test_a_failure_is_one_line_and_nothing_but_protocol_reaches_standard_output(monkeypatch, capsys):
    noisy = Eval("noisy", {"f": Function(float, _noisy, float, True)}, primal="", derivatives=("f",))
    monkeypatch.setitem(EVALS, "noisy", noisy)
    replies, err = _converse(
        monkeypatch,
        capsys,
        [
            {"id": 0, "kind": "evaluate", "module": "noisy", "function": "f", "input": 1.0},
            {"id": 1, "kind": "evaluate", "module": "hello", "function": "square", "input": 3.0},
        ],
    )
    assert replies[0] == {
        "id": 0,
        "success": False,
        "error": "noisy.f (reverse): ZeroDivisionError: division by zero in the program",
    }
    assert replies[1]["output"] == 9.0  # the tool goes on
    assert "a program's own output" in err


# ------------------------------------------------------------------ references computed another way


def _central_differences(f, x, h=1e-7):
    """∂f/∂x by central differences of f run in extended precision (x a float array)."""
    x = np.asarray(x, dtype=np.longdouble)
    gradient = np.zeros(x.shape)
    for index in np.ndindex(*x.shape):
        up, down = x.copy(), x.copy()
        up[index] += h
        down[index] -= h
        gradient[index] = float((np.sum(f(up)) - np.sum(f(down))) / (2 * h))
    return gradient


def _run(eval_name, function, data, method):
    f = EVALS[eval_name].functions[function]
    return f.write(f.run(f.read(data), METHODS[method]()))


@pytest.mark.parametrize("method", [*ALGORITHMIC, "symbolic"])
def test_hello_doubles(method):
    assert _run("hello", "double", 1.5, method) == 3.0


@pytest.mark.parametrize("method", [*ALGORITHMIC, "symbolic"])
def test_an_overflow_is_answered_in_diffstudys_words(method):
    # 2 × 1e308 is past the float range: every method answers with an error, none with Python's.
    from diffstudy.studies.gradbench.protocol import Tool

    message = {"id": 1, "kind": "evaluate", "module": "hello", "function": "double", "input": 1e308}
    answer = Tool(method).respond(message)
    assert answer["success"] is False and "overflow" in answer["error"], answer
    assert "ValueError" not in answer["error"] and "JSON compliant" not in answer["error"]


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_lse_gradient_against_differences(method):
    x = RNG.uniform(-3, 3, 5)
    assert _run("lse", "gradient", {"x": x.tolist()}, method) == pytest.approx(
        _central_differences(lse.logsumexp, x), rel=1e-9
    )


def test_symbolic_declines_a_swelling_gradient_in_one_line():
    from diffstudy.engine.budget import Budget
    from diffstudy.studies.gradbench.methods import Symbolic

    # Each of the m partials holds all n residuals of m terms each (exact binary constants): the
    # budget of nodes or of seconds stops it, in one line.
    with pytest.raises(Exception, match=r"^[^\n]*past the (time )?budget of (5,000|2 s)$"):
        Symbolic(Budget(nodes=5000, seconds=2)).grad(llsq.least_squares)(RNG.uniform(size=20), 40)


@pytest.mark.parametrize("method", [*ALGORITHMIC, "symbolic"])
def test_llsq_gradient_against_sympy(method):
    n, m = 5, 3
    x = RNG.uniform(size=m)
    t = [sympy.Integer(-1) + sympy.Rational(2 * i, n - 1) for i in range(n)]
    xs = sympy.symbols(f"x0:{m}")
    y = sum((sympy.sign(ti) - sum(xj * ti**j for j, xj in enumerate(xs))) ** 2 for ti in t) / 2
    expected = [float(sympy.diff(y, xj).subs(dict(zip(xs, x)))) for xj in xs]
    assert _run("llsq", "gradient", {"x": x.tolist(), "n": n}, method) == pytest.approx(expected, rel=1e-12)
    assert _run("llsq", "primal", {"x": x.tolist(), "n": n}, method) == pytest.approx(float(y.subs(dict(zip(xs, x)))))


@pytest.mark.parametrize("method", [*ALGORITHMIC, "symbolic"])
def test_det_gradient_is_the_cofactor_matrix(method):
    A = RNG.uniform(size=(4, 4))
    cofactors = sympy.Matrix(A.tolist()).adjugate().T
    assert _run("det", "primal", {"A": A.ravel().tolist(), "ell": 4}, method) == pytest.approx(np.linalg.det(A))
    got = _run("det", "gradient", {"A": A.ravel().tolist(), "ell": 4}, method)
    assert got == pytest.approx([float(c) for c in cofactors], rel=1e-10)


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_ode_against_differences_and_its_closed_form(method):
    x = RNG.uniform(size=4)
    # One step of Runge–Kutta is exact for y₀ = 2x₀ at t = 2 (y₀' is constant).
    assert _run("ode", "primal", {"x": x.tolist(), "s": 1}, method)[0] == pytest.approx(2 * x[0], rel=1e-15)
    got = _run("ode", "gradient", {"x": x.tolist(), "s": 3}, method)
    assert got == pytest.approx(_central_differences(lambda v: ode.last(v, 3), x), rel=1e-8)


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_kmeans_direction_is_the_gradient_over_twice_the_cluster_sizes(method):
    points = RNG.uniform(size=(12, 3))
    centroids = points[-3:]
    gradient = _central_differences(lambda c: kmeans.cost(points, c), centroids, h=1e-6)
    nearest = np.argmin(((points[:, None, :] - centroids[None]) ** 2).sum(axis=2), axis=1)
    sizes = np.bincount(nearest, minlength=3)[:, None]  # the Hessian's diagonal is 2 × cluster size
    got = _run("kmeans", "dir", {"points": points.tolist(), "centroids": centroids.tolist()}, method)
    assert np.asarray(got) == pytest.approx(gradient / (2 * sizes), rel=1e-8, abs=1e-12)


def _gmm_input(d=3, k=2, n=6):
    return {
        "d": d, "k": k, "n": n, "m": 1, "gamma": 1.5,
        "x": RNG.normal(size=(n, d)).tolist(),
        "alpha": RNG.normal(size=k).tolist(),
        "mu": RNG.uniform(size=(k, d)).tolist(),
        "q": RNG.normal(size=(k, d)).tolist(),
        "l": RNG.normal(size=(k, d * (d - 1) // 2)).tolist(),
    }  # fmt: skip


def _gmm_naive(data):
    """The log posterior from its definition (densities, determinants and all), in mpmath."""
    import mpmath

    mpmath.mp.dps = 30
    d, m, gamma = data["d"], data["m"], mpmath.mpf(data["gamma"])
    weights = [mpmath.exp(a) for a in data["alpha"]]
    phi = [w / sum(weights) for w in weights]
    precisions = []
    for q, below in zip(data["q"], data["l"]):
        Q = mpmath.zeros(d, d)
        place = iter(below)
        for column in range(d):
            Q[column, column] = mpmath.exp(q[column])
            for row in range(column + 1, d):
                Q[row, column] = next(place)
        precisions.append(Q.T * Q)
    likelihood = mpmath.mpf(0)
    for x in data["x"]:
        total = 0
        for p, mu, P in zip(phi, data["mu"], precisions):
            c = mpmath.matrix([xi - mi for xi, mi in zip(x, mu)])
            total += p * mpmath.exp(-(c.T * P * c)[0] / 2) / mpmath.sqrt((2 * mpmath.pi) ** d / mpmath.det(P))
        likelihood += mpmath.log(total)
    dof = d + m + 1
    log_gamma_d = d * (d - 1) / 4 * mpmath.log(mpmath.pi) + sum(
        mpmath.loggamma(mpmath.mpf(dof) / 2 + (1 - j) / 2) for j in range(1, d + 1)
    )
    prior = 0
    for P in precisions:  # the Wishart density of each precision matrix, V = I/γ²
        trace = sum(P[i, i] for i in range(d)) * gamma**2
        prior += (dof - d - 1) / 2 * mpmath.log(mpmath.det(P)) - trace / 2 - dof * d / 2 * mpmath.log(2)
        prior += dof * d * mpmath.log(gamma) - log_gamma_d
    return float(likelihood + prior)


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_gmm_against_its_definition_and_differences(method):
    data = _gmm_input()
    assert _run("gmm", "objective", data, method) == pytest.approx(_gmm_naive(data), rel=1e-12)
    got = _run("gmm", "jacobian", data, method)
    args = gmm._read(data)
    for position, name in enumerate(gmm.PARAMETERS):

        def along(v, position=position):
            changed = list(args)
            changed[position] = v
            return gmm.log_posterior(*changed)

        assert np.asarray(got[name]) == pytest.approx(_central_differences(along, args[position]), rel=1e-7, abs=1e-9)


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_lstm_gradient_against_differences(method):
    layers, b, c = 2, 3, 5
    data = {
        "main_params": RNG.uniform(size=(2 * layers, 4 * b)).tolist(),
        "extra_params": RNG.uniform(size=(3, b)).tolist(),
        "state": RNG.uniform(size=(2 * layers, b)).tolist(),
        "sequence": RNG.integers(0, 2, size=(c, b)).astype(float).tolist(),
    }
    main, extra, state, sequence = lstm._read(data)
    expected = np.concatenate(
        [
            _central_differences(lambda p: lstm.objective(p, extra, state, sequence), main).ravel(),
            _central_differences(lambda p: lstm.objective(main, p, state, sequence), extra).ravel(),
        ]
    )
    assert _run("lstm", "jacobian", data, method) == pytest.approx(expected, rel=1e-7, abs=1e-10)


BA_INPUT = {
    "n": 2, "m": 3, "p": 5,
    "cam": [-0.758, -1.110, -0.846, 34.56, 39.68, 53.88, 419.2, 5.86, -8.52, 0.0878, 0.00274],
    "x": [7.2, 0.00114, 3.02], "w": 0.417, "feat": [271.8, 834.2],
}  # fmt: skip


@pytest.mark.parametrize("method", ALGORITHMIC)
def test_ba_jacobian_blocks_against_differences(method):
    problem = ba.Problem(BA_INPUT)
    cameras, points = problem.observed()
    sparse = ba._jacobian(problem, METHODS[method]())
    by_camera = _central_differences(
        lambda c: ba.reprojection_error(c[:1], points[:1], problem.weights[:1], problem.features[:1])[0, 0],
        cameras[:1],
        h=1e-8,
    )
    assert sparse["vals"][:11] == pytest.approx(by_camera[0], rel=1e-6)
    assert list(sparse["cols"][:15]) == [*range(11), 22, 23, 24, 31]  # camera 0, point 0, weight 0
    assert sparse["vals"][-1] == pytest.approx(-2 * 0.417, rel=1e-15)  # ∂(1 − w²)/∂w
    assert list(sparse["rows"][:3]) == [0, 15, 30] and sparse["rows"][-1] == 2 * 5 * 15 + 5
    written = ba._write_jacobian(sparse)
    assert len(written["cols"]) == len(written["vals"]) == 31  # the first 30 entries and the last
    assert written["rows"][-1] == 155 and len(written["rows"]) == 3 * 5 + 1 + 1  # all 16, then the last


def _hand(points=4, complicated=True):
    """A small hand: three bones in a chain, six vertices, two triangles."""
    bones = 22  # the pose layout is that of ADBench's 22-bone hand
    parents = [-1] + list(range(bones - 1))
    relatives = np.tile(np.eye(4), (bones, 1, 1))
    relatives[:, 0:3, 3] = RNG.uniform(-0.1, 0.1, size=(bones, 3))
    inverse = np.tile(np.eye(4), (bones, 1, 1))
    positions = np.concatenate([RNG.uniform(size=(6, 3)), np.ones((6, 1))], axis=1)
    weights = RNG.uniform(size=(6, bones))
    weights /= weights.sum(axis=1, keepdims=True)
    return {
        "theta": RNG.uniform(-0.5, 0.5, size=26).tolist(),
        "data": {
            "model": {
                "bone_count": bones, "bone_names": [f"b{i}" for i in range(bones)], "parents": parents,
                "base_relatives": relatives.tolist(), "inverse_base_absolutes": inverse.tolist(),
                "base_positions": positions.tolist(), "weights": weights.tolist(),
                "triangles": [[0, 1, 2], [3, 4, 5]], "is_mirrored": False,
            },
            "correspondences": RNG.integers(0, 2, size=points).tolist(),
            "points": RNG.uniform(size=(points, 3)).tolist(),
        },
        "us": RNG.uniform(0, 0.5, size=(points, 2)).tolist() if complicated else [],
    }  # fmt: skip


@pytest.mark.parametrize("method", ALGORITHMIC)
@pytest.mark.parametrize("complicated", [False, True])
def test_ht_jacobian_against_differences(method, complicated):
    data = _hand(complicated=complicated)
    theta, us, hand = ht._read(data)
    got = np.asarray(_run("ht", "jacobian", data, method))
    by_theta = np.stack(
        [
            _central_differences(lambda t, row=row: ht.flat_errors(t, us, hand)[row], theta, h=1e-6)
            for row in range(3 * len(hand.points))
        ]
    )
    assert got[:, -26:] == pytest.approx(by_theta, rel=1e-6, abs=1e-9)
    if complicated:
        by_us = _central_differences(lambda u: ht.errors(theta, u, hand)[:, 0], us, h=1e-6)  # x rows, summed
        assert got[0::3, 0:2] == pytest.approx(by_us, rel=1e-6, abs=1e-9)


@pytest.mark.parametrize("nesting", nested.NESTINGS)
def test_nested_derivatives_do_not_confuse_their_perturbations(nesting):
    outer, inner = nested.GRADIENTS[nesting[0]], nested.GRADIENTS[nesting[1]]

    # d/dw of miss(w), whose inside follows an inner gradient: against differences of the same program.
    def miss(w):
        return nested.miss(w[0], inner)

    h = 1e-6
    expected = (miss([0.1 + h]) - miss([0.1 - h])) / (2 * h)
    assert outer(miss)([0.1])[0] == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("method", ["generated", "symbolic"])
def test_the_nested_evals_decline_other_methods_in_one_line(method):
    with pytest.raises(Exception, match="run them with --method reverse or forward") as caught:
        _run("saddle", "rr", {"start": [1.0, 1.0]}, method)
    assert "\n" not in str(caught.value)
    assert det.determinant([2.0]) == 2.0  # a 1×1 matrix is its own determinant

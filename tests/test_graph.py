"""The computational graph: Problem 5 and the lecture's example as a student draws them."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd

from diffstudy import gradient
from diffstudy.cli import main
from diffstudy.output import graph_view
from diffstudy.studies import graph

from .helpers import run_cli, write_case_file


def edges_of(g):
    return {(e["source"], e["target"]): e["partial"] for _, e in g.edges.iterrows()}


def test_problem5_graph_by_hand(builtin_cases):
    # f = x³(x − y) at (2, 3): v1 = x³ = 8, v2 = x − y = −1, v3 = v1·v2 = −8.
    # Edges: ∂v1/∂x = 3x² = 12; ∂v2/∂x = 1, ∂v2/∂y = −1; ∂v3/∂v1 = v2 = −1, ∂v3/∂v2 = v1 = 8.
    # Adjoints: v̄3 = 1, v̄2 = v1 = 8, v̄1 = v2 = −1, x̄ = 12·(−1) + 1·8 = −4, ȳ = −1·8 = −8.
    g = graph.build(builtin_cases["problem5"])
    nodes = g.nodes.set_index("name")
    assert list(nodes.index) == ["x", "y", "v1", "v2", "v3"]
    assert list(nodes["operation"]) == ["input", "input", "x ** 3", "x - y", "v1 * v2"]
    assert list(nodes["value"]) == [2, 3, 8, -1, -8]
    assert list(nodes["adjoint_f"]) == [-4, -8, -1, 8, 1]
    assert edges_of(g) == {
        ("x", "v1"): 12,
        ("x", "v2"): 1,
        ("y", "v2"): -1,
        ("v1", "v3"): -1,
        ("v2", "v3"): 8,
    }
    assert list(nodes["is_output"]) == [False, False, False, False, True]


def test_lecture_graph_by_hand(builtin_cases):
    # c = x³ = 8, 3y = 9, s = x + 3y = 11, F = c·s = 88; ∂F/∂c = s = 11, ∂F/∂s = c = 8.
    g = graph.build(builtin_cases["lecture27"])
    nodes = g.nodes.set_index("name")
    assert list(nodes["operation"]) == ["input", "input", "x ** 3", "3 * y", "x + v2", "v1 * v3"]
    assert list(nodes["value"]) == [2, 3, 8, 9, 11, 88]
    assert list(nodes["adjoint_f"]) == [140, 24, 11, 8, 8, 1]
    assert edges_of(g)[("v1", "v4")] == 11 and edges_of(g)[("v3", "v4")] == 8


def test_vector_case_has_one_adjoint_per_output(builtin_cases):
    g = graph.build(builtin_cases["wide"])
    assert g.outputs == ["f1", "f2"]
    assert {"adjoint_f1", "adjoint_f2"} <= set(g.nodes.columns)


def test_renderings(builtin_cases):
    g = graph.build(builtin_cases["problem5"])
    mermaid = graph_view.to_mermaid(g)
    assert mermaid.startswith("flowchart LR")
    assert 'v3[["v3 = v1 * v2<br/>value -8<br/>∂f/∂v3 = 1"]]' in mermaid
    assert 'x -- "12" --> v1' in mermaid
    dot = graph_view.to_dot(g)
    assert '"y" -> "v2" [label="-1"];' in dot and dot.endswith("}")
    text = graph_view.to_text(g)
    assert "∂/∂x = 1, ∂/∂y = -1" in text
    frame = pd.read_json(io.StringIO(graph_view.to_json(g)))
    assert set(frame["case"]) == {"problem5"} and (frame["table"] == "edges").sum() == 5


def test_graph_command(capsys):
    assert main(["graph", "lecture27", "--format", "mermaid"]) == 0
    assert "v4[[" in capsys.readouterr().out
    assert main(["graph", "lectur27"]) == 2
    assert "did you mean lecture27" in capsys.readouterr().err


def test_graph_of_a_failing_case(capsys, tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("from diffstudy import case, fn\n\n@case(at={'x': 1})\ndef bad(x):\n    return fn.log(x - 2)\n")
    assert main(["graph", "bad", "--no-builtin", "--cases", str(path)]) == 1
    err = capsys.readouterr().err
    assert "log of a negative number" in err and "bad.py:5" in err and "Traceback" not in err


def test_forward_tangents_follow_the_lecture(builtin_cases):
    # Lecture 27, forward along x: dc/dx = 3x² = 12, ds/dx = 1, dF/dx = s·12 + c·1 = 140;
    # along y: d(3y)/dy = 3, ds/dy = 3, dF/dy = c·3 = 24.
    g = graph.build(builtin_cases["lecture27"], tangents=True)
    nodes = g.nodes.set_index("name")
    assert list(nodes["tangent_x"]) == [1, 0, 12, 0, 1, 140]
    assert list(nodes["tangent_y"]) == [0, 1, 0, 3, 3, 24]
    assert "∂node/∂x" in graph_view.to_text(g)


def test_array_case_graph_has_one_node_per_array_operation(builtin_cases):
    # least squares: v1 = A x, v2 = v1 − b, v3 = v2 · v2; by hand at x = (1, −2): r = (−4, −5, −9, 2),
    # ∂f/∂v2 = 2r, ∂f/∂x = 2Aᵀr = (−124, −168).
    g = graph.build(builtin_cases["least_squares"])
    nodes = g.nodes.set_index("name")
    assert list(nodes["operation"]) == ["input", "const @ x", "v1 - const", "v2 @ v2"]
    assert nodes.loc["v2", "value"].tolist() == [-4, -5, -9, 2]
    assert nodes.loc["v2", "adjoint_f"].tolist() == [-8, -10, -18, 4]
    assert nodes.loc["x", "adjoint_f"].tolist() == [-124, -168]
    text = graph_view.to_text(g)
    assert "(2) [-124, -168]" in text
    assert json.loads(graph_view.to_json(g))[0]["adjoint_f"] == [-124, -168]


def test_tangents_of_an_array_input_are_one_per_entry(builtin_cases):
    g = graph.build(builtin_cases["least_squares"], tangents=True)
    nodes = g.nodes.set_index("name")
    # ∂f/∂x[0] = −124 and ∂f/∂x[1] = −168: forward along each entry ends where reverse does.
    assert nodes.loc["v3", "tangent_x[0]"] == -124 and nodes.loc["v3", "tangent_x[1]"] == -168


def test_entry_by_entry_partials_are_shown_with_their_formula(builtin_cases, capsys):
    # two_layer: v3 = X W1ᵀ + b1, v4 = tanh(v3) with partials 1 − tanh²(v3); v6 = v4 w2 − Y,
    # v7 = v6 ** 2 with partials 2·v6: computed here with numpy from the case's data.
    case = builtin_cases["two_layer"]
    data = case.function.__globals__
    W1, b1, w2 = case.point
    v3 = data["X"] @ W1.T + b1
    v6 = np.tanh(v3) @ w2 - data["Y"]
    g = graph.build(case)
    edges = g.edges.set_index(["source", "target"])
    assert np.allclose(edges.loc[("v3", "v4"), "partial"], 1 - np.tanh(v3) ** 2, rtol=1e-15, atol=0)
    assert np.allclose(edges.loc[("v6", "v7"), "partial"], 2 * v6, rtol=1e-15, atol=0)
    assert edges.loc[("v3", "v4"), "formula"] == "1 - tanh(v3)^2" and edges.loc[("v6", "v7"), "formula"] == "2·v6"
    status, out, _ = run_cli(capsys, "graph", "two_layer")  # 100 columns: the partials' block has room for them
    assert status == 0 and "the local partials" not in out
    first = f"{1 - np.tanh(v3[0, 0]) ** 2:.6g}"
    assert f"∂/∂v3 = × 1 - tanh(v3)^2 = [{first}, " in out and " …](9), entry by entry" in out
    assert f"∂/∂v6 = × 2·v6 = [{2 * v6[0]:.6g}, {2 * v6[1]:.6g}, {2 * v6[2]:.6g}], entry by entry" in out
    _, out, _ = run_cli(capsys, "graph", "two_layer", "--format", "json")
    edge = next(r for r in json.loads(out) if r["table"] == "edges" and r["target"] == "v7")
    assert np.allclose(edge["partial"], 2 * v6, rtol=1e-15, atol=0) and edge["formula"] == "2·v6"


def test_tangents_along_a_chosen_input_or_entry(capsys):
    # chain: y = W3 W2 W1 x, 18 weights; ∂y/∂W1[i,j] = W3 W2 eᵢ xⱼ. By hand: W2 e₀ = (2, 0, 1),
    # W3 (2, 0, 1) = (2, 5), x₁ = −1: (−2, −5); W2 e₁ = (1, −1, 1), W3 (1, −1, 1) = (2, 3), x₂ = 2: (4, 6).
    status, out, err = run_cli(capsys, "graph", "chain", "--tangents")
    assert (
        status == 2 and out == "" and "at most 12" in err and "(--tangents W1)" in err and "(--tangents W1[0,0])" in err
    )
    status, out, _ = run_cli(capsys, "graph", "chain", "--tangents", "W1[0,1]", "--format", "json")
    nodes = [r for r in json.loads(out) if r["table"] == "nodes"]
    assert status == 0 and [k for k in nodes[-1] if k.startswith("tangent_")] == ["tangent_W1[0,1]"]
    assert nodes[-1]["tangent_W1[0,1]"] == [-2, -5]
    status, out, _ = run_cli(capsys, "graph", "chain", "--tangents", "W1", "--format", "json")
    output = [r for r in json.loads(out) if r["table"] == "nodes"][-1]
    assert status == 0 and len([k for k in output if k.startswith("tangent_")]) == 6
    assert output["tangent_W1[0,1]"] == [-2, -5] and output["tangent_W1[1,2]"] == [4, 6]
    for wrong, said in (("W4", "W1, W2, W3"), ("W1[2,0]", "2×3"), ("W1[0]", "2×3")):
        status, out, err = run_cli(capsys, "graph", "chain", "--tangents", wrong)
        assert status == 2 and out == "" and said in err and len(err.strip().splitlines()) == 1, wrong
    # The option before the case, as it was written before it took an input.
    status, out, _ = run_cli(capsys, "graph", "--tangents", "lecture27")
    assert status == 0 and "∂node/∂x" in out and "∂node/∂y" in out


def test_backward_sweep_edge_by_edge_follows_the_lecture(builtin_cases):
    # By hand, the sweep from F = v4 = c·s back: each edge pulls partial × adjoint of its head into
    # the adjoint of its tail, in the order the sweep visits them: v4's edges, then v3's, v2's, v1's.
    g = graph.build(builtin_cases["lecture27"], steps=True)
    rows = [
        (s["source"], s["target"], s["partial"], s["adjoint"], s["term"], s["before"], s["after"])
        for _, s in g.sweeps.iterrows()
    ]
    assert rows == [
        ("v1", "v4", 11, 1, 11, None, 11),
        ("v3", "v4", 8, 1, 8, None, 8),
        ("x", "v3", 1, 8, 8, None, 8),
        ("v2", "v3", 1, 8, 8, None, 8),
        ("y", "v2", 3, 8, 24, None, 24),
        ("x", "v1", 12, 11, 132, 8, 140),
    ]
    assert set(g.sweeps["output"]) == {"f"}
    nodes = g.nodes.set_index("name")
    # c = x**3 is line 9 of the case's file, s = x + 3 * y line 10 (both 3*y and the sum), return c * s line 11.
    assert list(nodes["line"]) == [None, None, 9, 10, 10, 11]
    assert list(nodes["local"]) == [None, None, "c", None, "s", None]


def test_stepped_sweep_of_an_array_program_ends_at_sympys_gradient(builtin_cases):
    case = builtin_cases["two_layer"]
    g = graph.build(case, steps=True)
    expected = gradient(case.function, case.at, method="symbolic").gradient  # sympy's, another method
    last = g.sweeps.groupby("source", sort=False)["after"].last()  # each node's adjoint once all its edges are pulled
    for name in case.inputs:
        assert np.allclose(np.asarray(last[name], dtype=float), np.asarray(expected[name], dtype=float), rtol=1e-12)
    # an array's steps are array-level: one per edge of the array tape
    assert len(g.sweeps) == len(g.edges)


# ---------------------------------------------------------------- what the tape keeps, listed


def test_saved_lists_what_the_lectures_tape_keeps_line_by_line(capsys):
    """x³(x + 3y) at (2, 3): x³ keeps its value 8 and its partial 3x² = 12 (line 9, c = x**3); 3y
    and x + 3y keep their values, 9 and 11 (line 10); c·s its value 88 (line 11). Nothing else:
    mul's partials are its arguments' values, 3y's is the constant 3, add's are 1."""
    status, out, err = run_cli(capsys, "graph", "lecture27", "--saved", "--format", "json")
    assert status == 0
    rows = json.loads(out)
    assert [(r["node"], r["kept"], r["numbers"], r["line"].split(": ", 1)[1]) for r in rows] == [
        ("v1", "value", 1, "c = x**3"),
        ("v1", "∂ by x", 1, "c = x**3"),
        ("v2", "value", 1, "s = x + 3 * y"),
        ("v3", "value", 1, "s = x + 3 * y"),
        ("v4", "value", 1, "return c * s"),
    ]
    assert [r["line"].split(":")[:2] for r in rows][0] == ["lecture27.py", "9"]
    assert "lecture27's tape keeps 5 numbers" in err
    status, out, _ = run_cli(capsys, "graph", "two_layer", "--saved")
    assert status == 0 and "map of ∂ by v3" in out and "3×3" in out


LOOPED = """
    import diffstudy as ds
    from diffstudy import case


    def step(x, r):
        return r * x * (1 - x)


    @case(at={"x": 0.3, "r": 3.2})
    def looped(x, r):
        y = ds.loop(step, x, 40, args=(r,), every=10)
        return y * y
"""


def test_a_checkpointed_loop_is_listed_and_drawn(capsys, tmp_path):
    path = write_case_file(tmp_path, "looped", LOOPED)
    status, out, _ = run_cli(capsys, "graph", "looped", "--cases", str(path), "--saved", "--format", "json")
    assert status == 0
    kept = {r["kept"]: r for r in json.loads(out)}
    assert set(kept) == {"value", "snapshots: 2 states, after steps 10, 20", "the tape of steps 31–40"}
    assert kept["snapshots: 2 states, after steps 10, 20"]["numbers"] == 2
    assert kept["the tape of steps 31–40"]["line"].endswith("y = ds.loop(step, x, 40, args=(r,), every=10)")
    # the graph: the loop one node of x and r; its adjoint 2y, by hand, and the inputs' the plain loop's
    status, out, _ = run_cli(capsys, "graph", "looped", "--cases", str(path), "--format", "json")
    assert status == 0
    nodes = {n["name"]: n for n in json.loads(out) if n["table"] == "nodes"}
    assert nodes["v1"]["operation"] == "loop(step, 40 steps, every 10) of x, r, output 1"
    assert nodes["v1"]["adjoint_f"] == 2 * nodes["v1"]["value"]
    import diffstudy as ds
    from diffstudy.studies import loops

    plain = ds.grad(lambda x, r: loops.logistic(40)[0](x, r) ** 2, argnums=(0, 1))(0.3, 3.2)
    assert (nodes["x"]["adjoint_f"], nodes["r"]["adjoint_f"]) == plain


def test_saved_is_a_table(capsys):
    status, _, err = run_cli(capsys, "graph", "lecture27", "--saved", "--format", "dot")
    assert status == 2 and err.strip() == (
        "diffstudy: --saved lists what the tape keeps as a table: with --format text or json, without --tangents"
    )

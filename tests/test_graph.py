"""The computational graph: Problem 5 and the lecture's example as a student draws them."""

from __future__ import annotations

import io
import json

import pandas as pd

from diffstudy.cli import main
from diffstudy.output import graph_view
from diffstudy.studies import graph


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

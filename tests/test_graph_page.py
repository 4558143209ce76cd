"""The stepped graph page (``graph --format html``): its data, its escaping, a graph too large.

What a browser makes of the page is tested in test_browser.py; here, what the page is made of.
"""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from diffstudy.harness.cases import make_case
from diffstudy.output import graph_html
from diffstudy.studies import walkthrough

from .helpers import run_cli, write_case_file


def page_json(page: str) -> dict:
    """The data the page's script reads (its JSON, with the escapes JSON itself undoes)."""
    return json.loads(re.search(r'<script type="application/json" id="data">(.*?)</script>', page, re.S).group(1))


def final_adjoints(data: dict, output: str) -> dict[str, list[str]]:
    """Each input's adjoint as the page's sweep leaves it: the last step that pulls into it."""
    sweep = data["sweeps"][output]
    found = {}
    for step in sweep["steps"]:
        source = data["nodes"][data["edges"][step["edge"]]["source"]]
        if source["input"]:
            found[source["name"]] = step["entries"]
    return found


def test_lecture_page_steps_to_88_140_24(capsys, tmp_path):
    out = tmp_path / "lecture27.html"
    status, _, err = run_cli(capsys, "graph", "lecture27", "--format", "html", "-o", str(out))
    assert status == 0 and f"wrote {out}" in err
    page = out.read_text(encoding="utf-8")
    data = page_json(page)
    # By hand (the lecture): F = 88, ∂F/∂x = 140, ∂F/∂y = 24; tangents along x: 1, 0, 12, 0, 1, 140.
    assert data["sweeps"]["f"]["value"] == "88"
    assert final_adjoints(data, "f") == {"x": ["140"], "y": ["24"]}
    assert [n["tangents"]["x"] for n in data["nodes"]] == ["1", "0", "12", "0", "1", "140"]
    assert [n["line"] for n in data["nodes"]] == [None, None, 9, 10, 10, 11]
    assert data["final"]["inputs"][0]["sympy"] == [["140"]] and data["final"]["inputs"][1]["sympy"] == [["24"]]
    # one backward step per edge (6), a forward step per node (6)
    assert len(data["sweeps"]["f"]["steps"]) == 6 and len(data["nodes"]) == 6
    # everything inline: no address to fetch (the SVG namespace is a name, not a request)
    addresses = set(re.findall(r"(?:https?:)?//[\w.-]+\.\w+[^\s\"'<>]*", page))
    assert addresses <= {"http://www.w3.org/2000/svg"}, addresses
    assert not re.search(r"<(link|img|iframe)\b|\bsrc=|@import|url\((?!#)", page)


def test_array_page_shows_shapes_and_steps_array_entries(builtin_cases):
    case = builtin_cases["two_layer"]
    data = graph_html.page_data(walkthrough.walk(case))
    nodes = {n["name"]: n for n in data["nodes"]}
    assert nodes["W1"]["shape"] == "3×2" and nodes["W1"]["value"].startswith("(3×2) [0.1, -0.2")
    assert nodes["v4"]["operation"] == "= tanh(v3)" and nodes["v4"]["title"] == "v4 (H)"
    # the 12 weights are the 12 forward sweeps the reader may pick from
    assert len(data["directions"]) == 12 and data["directions"][0] == "W1[0,0]"
    # the page's sweep ends at the gradient computed here by numpy, by hand: f = mean((tanh(X W1ᵀ + b1) w2 − Y)²)
    X, Y = case.function.__globals__["X"], case.function.__globals__["Y"]
    W1, b1, w2 = (np.asarray(v, dtype=float) for v in case.point)
    H = np.tanh(X @ W1.T + b1)
    r = H @ w2 - Y
    d_pre = (2 / 3 * r)[:, None] * w2[None, :] * (1 - H**2)
    expected = {"W1": d_pre.T @ X, "b1": d_pre.sum(axis=0), "w2": H.T @ (2 / 3 * r)}
    for name, entries in final_adjoints(data, "f").items():
        assert np.allclose([float(v) for v in entries], expected[name].ravel(), rtol=1e-13, atol=0), name


def test_text_of_a_case_is_escaped_never_run(capsys, tmp_path):
    path = write_case_file(
        tmp_path,
        "tricky",
        '''
        from diffstudy import case


        @case(at={"x": 2})
        def tricky(x):
            """</script><script>alert("boo")</script> & <b>"quoted"</b> 'too' <!-- x"""
            return x * x  # </script><img src=x onerror=alert(1)>
        ''',
    )
    out = tmp_path / "tricky.html"
    status, _, _ = run_cli(capsys, "graph", "tricky", "--cases", str(path), "--format", "html", "-o", str(out))
    page = out.read_text(encoding="utf-8")
    assert status == 0
    assert page.count("<script") == 2 and page.count("</script>") == 2  # the page's data and its own script
    assert "<img" not in page and 'alert("boo")' not in page.replace("&quot;", '"').split("<body>")[0]
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;boo&quot;)&lt;/script&gt; &amp; &lt;b&gt;" in page  # the header
    data = page_json(page)
    assert data["description"].startswith('</script><script>alert("boo")') and "onerror" in data["source"][-1]
    # The command the page names runs every method on this case: with its file, which is not built in.
    command = data["compare"].split()
    assert command[:3] == ["python", "-m", "diffstudy"] and command[-2:] == ["--case", "tricky"]
    assert run_cli(capsys, *command[3:])[0] == 0


def test_a_built_in_page_names_the_command_that_compares_it(builtin_cases):
    data = graph_html.page_data(walkthrough.walk(builtin_cases["lecture27"]))
    assert data["compare"] == "python -m diffstudy compare --case lecture27"


def test_a_graph_too_large_says_so_and_shows_its_first_part():
    def many(x):
        for _ in range(150):
            x = x * 1.01 + 0.5  # two nodes a pass: 301 nodes in all
        return x

    case = make_case(many, {"x": 0.5})
    page = graph_html.to_html(walkthrough.walk(case))
    data = page_json(page)
    assert data["total"] == 301 and len(data["nodes"]) == graph_html.DRAW_LIMIT
    assert 'id="too-large"' in page and "301 nodes: too many to draw readably" in page
    sweep = data["sweeps"]["f"]
    # the output is not drawn: the sweep through the rest is one step, then the drawn part edge by edge
    assert sweep["start"] is None and sweep["jump"] and len(sweep["steps"]) == graph_html.DRAW_LIMIT - 1
    # d/dx of 150 passes of x ↦ 1.01x + 0.5 is 1.01¹⁵⁰, by hand
    assert float(final_adjoints(data, "f")["x"][0]) == pytest.approx(1.01**150, rel=1e-12)


def test_page_of_a_failing_case_is_one_line_and_no_file(capsys, tmp_path):
    path = write_case_file(
        tmp_path, "bad", "from diffstudy import case, fn\n\n@case(at={'x': 1})\ndef bad(x):\n    return fn.log(x - 2)\n"
    )
    out = tmp_path / "bad.html"
    status, _, err = run_cli(
        capsys, "graph", "bad", "--no-builtin", "--cases", str(path), "--format", "html", "-o", str(out)
    )
    assert status == 1 and "log of a negative number" in err and "Traceback" not in err and not out.exists()
    status, _, err = run_cli(capsys, "graph", "lecture27", "--format", "html", "-o", str(tmp_path / "no" / "x.html"))
    assert status == 2 and err.count("\n") == 1 and "cannot write" in err


def test_page_names_its_output_choice_for_several_outputs(builtin_cases, capsys):
    status, out, _ = run_cli(capsys, "graph", "wide", "--format", "html")
    data = page_json(out)
    assert status == 0 and data["outputs"] == ["f1", "f2"] and set(data["sweeps"]) == {"f1", "f2"}

"""The objects a notebook shows: ds.compare, ds.graph and the study's sweeps display themselves."""

from __future__ import annotations

import html
from fractions import Fraction

import pytest

import diffstudy as ds
from diffstudy.errors import CaseError


def lecture(x, y):
    """F = x³(x + 3y) <the lecture's> & "Strang's" example"""
    return x**3 * (x + 3 * y)


def test_compare_shows_the_four_methods_as_a_table():
    shown = ds.compare(lecture, {"x": 2, "y": 3})
    rows = shown.frame.set_index("method")
    # by hand: ∂F/∂x = 4x³ + 9x²y = 140, ∂F/∂y = 3x³ = 24, exactly, by every method
    for method in ("symbolic", "forward", "reverse", "generated"):
        assert rows.loc[method, "gradient"] == {"x": Fraction(140), "y": Fraction(24)}
    assert not shown.failed
    page = shown._repr_html_()
    assert page.startswith("<table") and page.count("<tr") == 5 and "exact" in page
    markdown = shown._repr_markdown_()
    assert markdown.splitlines()[0].startswith("| case") and "| reverse" in markdown
    assert "[140, 24]" in repr(shown)


def test_compare_of_a_marked_case_needs_no_point(builtin_cases):
    marked = builtin_cases["problem5"].function
    assert ds.compare(marked).frame["value"].tolist() == [-8] * 4  # x³(x − y) at (2, 3), by hand
    with pytest.raises(CaseError, match="say where to differentiate it"):
        ds.compare(lecture)


def test_graph_shows_the_page_in_a_frame_of_its_own():
    page = ds.graph(lecture, {"x": 2, "y": 3})
    assert list(page.graph.nodes["adjoint_f"])[:2] == [140, 24]
    frame = page._repr_html_()
    assert frame.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;') and frame.endswith("</iframe>")
    assert "<script" not in frame and "&lt;script" in frame  # the page is inside the attribute, escaped
    inner = html.unescape(frame.split('srcdoc="', 1)[1].split('" title=', 1)[0])
    assert inner == page.html and inner.count("<script") == 2
    assert "&lt;the lecture&#x27;s&gt; &amp; &quot;Strang&#x27;s&quot;" in page.html  # the docstring, escaped
    markdown = page._repr_markdown_()
    assert "| node" in markdown and "∂f/∂node" in markdown
    assert "v4 (output)" in repr(page)


def test_graph_page_saves_to_a_file(tmp_path):
    path = ds.graph(lecture, {"x": 2, "y": 3}).save(tmp_path / "lecture.html")
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_a_study_shows_its_tables_and_figure():
    study = ds.swell("logistic", max_k=4)
    # l₄ is 3 steps of l ← 4l(1 − l), 3 operations each (4·l, 1 − l, their product), and the input: 10 entries
    assert study.table("logistic")["tape length"].tolist()[-1] == 10
    shown = study._repr_html_()
    assert "<h4>" in shown and "<table" in shown and 'src="data:image/png;base64,' in shown
    assert study._repr_markdown_().startswith("## ")
    chain = ds.chain((2, 3, 4, 5), sizes=[(4, 2)])  # (AB)C: 24 + 40 = 64 multiplications; A(BC): 60 + 30 = 90, by hand
    assert sorted(chain.table("orders")["multiplications"]) == [64, 90]
    with pytest.raises(ValueError, match="not a family: choose from logistic"):
        ds.swell("logistik")


def test_a_function_of_a_notebook_cell_is_not_given_a_temporary_file_name():
    namespace: dict = {}
    exec(compile("def square(x):\n    return x * x\n", "/tmp/ipykernel_1/2718.py", "exec"), namespace)  # as a cell is
    page = ds.graph(namespace["square"], {"x": 3}).html
    assert "ipykernel_1" not in page.split("<script")[0] and "defined in a notebook or a shell" in page

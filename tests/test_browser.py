"""The stepped graph page in a real browser: headless Chromium, stepped with the page's own controls.

The adjoints the page shows at the end must be the gradient diffstudy computes; the screenshot
must show the graph; the page must make no request beyond its own file. Skipped, with a one-line
note, where no Chromium is installed (.ci/run installs Debian's). With DIFFSTUDY_SCREENSHOT set
to a path, the screenshot is kept there (the README's figures/graph_page.png is made so).
"""

from __future__ import annotations

import io
import os
import time
from fractions import Fraction

import matplotlib.image
import numpy as np
import pytest

import diffstudy as ds

from . import browser
from .helpers import run_cli

CHROMIUM = browser.find()
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no Chromium here: the browser test needs Debian's chromium")


@pytest.fixture(scope="module")
def chromium():
    page = browser.Chromium(CHROMIUM, width=1280, height=690)
    yield page
    page.close()


def write_page(capsys, tmp_path, case: str) -> str:
    path = tmp_path / f"{case}.html"
    status, _, _ = run_cli(capsys, "graph", case, "--format", "html", "-o", str(path))
    assert status == 0
    return path.as_uri()


def step_to_the_end(page: browser.Chromium) -> int:
    """Click ▶ until the page says it is at the end; the clicks it took."""
    clicks = 0
    while page.evaluate("document.body.dataset.step") != "end":
        assert clicks < 500 and not page.evaluate("document.getElementById('next').disabled")
        page.click("#next")
        clicks += 1
    return clicks


def adjoints_on_the_page(page: browser.Chromium) -> dict[str, str]:
    """Input entry → the adjoint the page's backward sweep left in its closing table."""
    cells = page.evaluate(
        "[...document.querySelectorAll('#final td.sweep')].map(td => [td.dataset.entry, td.dataset.value])"
    )
    return dict(cells)


def test_lecture_page_steps_to_88_140_24_in_a_browser(chromium, capsys, tmp_path):
    url = write_page(capsys, tmp_path, "lecture27")
    chromium.open(url)
    assert chromium.evaluate("document.getElementById('counter').textContent") == "step 0 of 14"
    clicks = step_to_the_end(chromium)
    # 1 + 6 forward steps (the inputs and four operations), the seed, six edges pulled back, the end
    assert clicks == 14
    expected = ds.grad(lambda x, y: x**3 * (x + 3 * y), argnums=(0, 1))(2, 3)  # (140, 24), exact
    adjoints = adjoints_on_the_page(chromium)
    assert {k: Fraction(v) for k, v in adjoints.items()} == {"x": expected[0], "y": expected[1]} == {"x": 140, "y": 24}
    assert "88" in chromium.evaluate("document.querySelector('#final h2').textContent")
    # One step back with the arrow key: the last edge pulled back, x → v1, 8 + 132 = 140, line 9 lit.
    chromium.press("ArrowLeft")
    assert chromium.evaluate("document.body.dataset.step") == "backward"
    explained = chromium.evaluate("document.getElementById('explain').textContent")
    assert "x → v1" in explained and "8 + 132 = 140" in explained
    assert chromium.evaluate("document.querySelector('#source .lit').dataset.line") == "9"
    assert chromium.evaluate("document.getElementById('e0').classList.contains('backward')")  # the edge x → v1
    check_screenshot(chromium)
    chromium.press("ArrowRight")
    assert chromium.evaluate("document.body.dataset.step") == "end"
    assert chromium.requests() == [url] and chromium.exceptions() == []


def test_array_page_steps_through_the_array_entries(chromium, capsys, tmp_path, builtin_cases):
    url = write_page(capsys, tmp_path, "two_layer")
    chromium.open(url)
    chromium.press("End")  # the page's key for its last step
    case = builtin_cases["two_layer"]
    gradient = ds.grad(case.function, argnums=(0, 1, 2))(*case.point)
    adjoints = adjoints_on_the_page(chromium)
    assert len(adjoints) == 12
    for name, derivative in zip(case.inputs, gradient):
        for index in np.ndindex(derivative.shape):
            label = f"{name}[{','.join(map(str, index))}]"
            assert float(adjoints[label]) == pytest.approx(float(derivative[index]), rel=1e-14, abs=0), label
    # the slider reaches every step: halfway, the backward sweep over array nodes
    slide = "s => { s.value = Math.round(s.max * 0.75); s.dispatchEvent(new Event('input')); }"
    chromium.evaluate(f"({slide})(document.getElementById('slider'))")
    assert chromium.evaluate("document.body.dataset.step") == "backward"
    assert "∂f/∂v5 = (3) [-0.918, " in chromium.evaluate("document.getElementById('explain').textContent")
    # The last edge pulled back: the input it adds into is in view, wide as the graph is.
    chromium.press("End")
    chromium.press("ArrowLeft")
    tail_in_view = """(() => {
        const tail = document.querySelector('#graph .tail').getBoundingClientRect();
        let box = document.getElementById('graph');
        while (box && !['auto', 'scroll'].includes(getComputedStyle(box).overflowX)) box = box.parentElement;
        const view = (box || document.documentElement).getBoundingClientRect();
        return tail.left >= view.left - 1 && tail.right <= view.right + 1;
    })()"""
    assert chromium.evaluate("document.body.dataset.step") == "backward" and chromium.evaluate(tail_in_view)
    assert chromium.requests() == [url] and chromium.exceptions() == []


def check_screenshot(page: browser.Chromium) -> None:
    """A screenshot that is not blank, with the graph drawn in it; kept where DIFFSTUDY_SCREENSHOT says."""
    time.sleep(0.4)  # the boxes' colours fade in over 0.25 s
    png = page.screenshot()
    if os.environ.get("DIFFSTUDY_SCREENSHOT"):
        with open(os.environ["DIFFSTUDY_SCREENSHOT"], "wb") as kept:
            kept.write(png)
    pixels = matplotlib.image.imread(io.BytesIO(png), format="png")[..., :3]
    assert pixels.std() > 0.05  # not a blank page
    x, y, w, h = (
        round(v)
        for v in page.evaluate(
            "(r => [r.x, r.y, r.width, r.height])(document.getElementById('graph').getBoundingClientRect())"
        )
    )
    assert w > 300 and h > 150 and x >= 0 and y >= 0  # the graph is on screen
    graph = pixels[y : y + h, x : x + w]
    orange = (graph[..., 0] > 0.8) & (graph[..., 1] > 0.25) & (graph[..., 1] < 0.55) & (graph[..., 2] < 0.25)
    green = (graph[..., 0] < 0.2) & (graph[..., 1] > 0.5) & (graph[..., 2] > 0.3) & (graph[..., 2] < 0.55)
    dark = graph.sum(axis=-1) < 0.6
    assert orange.sum() > 200 and green.sum() > 200 and dark.sum() > 500  # adjoints, the inputs' boxes, text

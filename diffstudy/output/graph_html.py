"""The computational graph as one self-contained HTML page to step through.

The page draws the graph as SVG (laid out here, in layers from the inputs), puts the case's
source beside it, and steps — with buttons, the arrow keys and a slider — through the forward
sweep (each node's value and its tangent along an input the reader picks), the backward sweep
edge by edge (partial × adjoint added into the adjoint of the edge's tail, the line of the case
that made the node lit) and, at the end, the gradient beside forward mode's and sympy's.

Everything is inline — SVG, CSS, script and data — so the file opens from a USB stick with no
network. Every text that comes from a case (its docstring, its source, a file name) is escaped:
the SVG and the header are escaped here, the data is JSON whose ``<``, ``>`` and ``&`` are
written as ``\\u003c``…, and the script puts texts into the page with ``textContent`` only.
"""

from __future__ import annotations

import html
import json
import os
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any

import numpy as np
import pandas as pd

from ..harness.cases import display_path
from ..harness.loading import builtin_cases_dir
from ..studies.graph import Graph
from ..studies.walkthrough import Walkthrough, entry_labels
from .compare_view import compare_view
from .graph_view import format_partial
from .tables import format_number, format_vector

DRAW_LIMIT = 200  # nodes drawn; a larger graph shows its first part and says so
FINAL_ROWS = 24  # input entries in the closing table
LONG_ENTRIES = 24  # entries of an array the explanation shows whole
TEXT_LIMIT = 36  # characters of a text inside a node; the whole in its tooltip
EDGE_LIMIT = 24  # characters of a partial on an edge

CHAR_WIDTH = 7.6  # px of a character of the node's 12.5 px monospace font
LINE_HEIGHT = 17
PADDING = 10
LAYER_GAP = 110  # room between layers for the edges' partials
ROW_GAP = 34
WAYPOINT_HEIGHT = 8  # the room an edge that skips a layer takes in it
WAYPOINT_WIDTH = 40


def short(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` cut to ``limit`` characters, ending in … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _text(value: Any) -> str:
    """A value as the page shows it: a number, or an array's shape and first entries."""
    return format_number(value)


def _boxed(value: Any) -> str:
    """A value inside a node's box: a number as :func:`_text`; an array's first two entries to
    3 digits (its shape is on the value's line)."""
    if not isinstance(value, np.ndarray):
        return _text(value)
    return format_vector(list(np.ravel(value)), 2, 3)


def _long_text(value: Any) -> str:
    """A value where there is room (the explanation, a tooltip): an array's shape and entries, a
    matrix row by row, to 4 digits; beyond ``LONG_ENTRIES`` entries its first dozen."""
    if not isinstance(value, np.ndarray):
        return _text(value)
    shape = f"({'×'.join(map(str, value.shape))}) "
    if value.ndim == 2 and value.size <= LONG_ENTRIES:
        return shape + "[" + ", ".join(format_vector(list(row), value.shape[1], 4) for row in value) + "]"
    return shape + format_vector(list(np.ravel(value)), 12, 4)


def _full(value: Any) -> list[str]:
    """Every entry of a value, each as it is computed (exact fraction, or a float's repr)."""
    return [_full_entry(v) for v in np.ravel(np.asarray(value, dtype=object))]


def _full_entry(v: Any) -> str:
    return repr(float(v)) if isinstance(v, (float, np.floating)) else str(v)


def _partial_text(edge: pd.Series) -> tuple[str, str, bool]:
    """An edge's local partial: on the edge (partials taken entry by entry by their formula alone),
    in full, and whether it is a number (else a linear map, or partials entry by entry)."""
    partial, full = edge["partial"], format_partial(edge)
    if isinstance(partial, np.ndarray):
        label = f"× ({edge['formula']})" if edge.get("formula") else "× " + format_vector(list(partial.flat), 2, 3)
        return short(label, EDGE_LIMIT), full, False
    return short(full, EDGE_LIMIT), full, not isinstance(partial, str)


# ---------------------------------------------------------------- layout


def _layers(count: int, sources: list[list[int]]) -> list[int]:
    """Each node's layer: inputs (and nodes of constants only) 0, else one past its deepest argument.
    The tape is in recording order, so every argument comes before its node: one pass, no recursion."""
    layer = [0] * count
    for k in range(count):
        if sources[k]:
            layer[k] = 1 + max(layer[s] for s in sources[k])
    return layer


def _ordered(layer: list[int], sources: list[list[int]], targets: list[list[int]]) -> list[list[int]]:
    """The nodes of each layer top to bottom: in recording order, then moved towards the mean
    position of their neighbours (the barycenter heuristic), down and up twice, to cross fewer edges."""
    rows: list[list[int]] = [[] for _ in range(max(layer, default=0) + 1)]
    for k, r in enumerate(layer):
        rows[r].append(k)
    position = {k: i for row in rows for i, k in enumerate(row)}
    for sweep in range(4):
        order = range(1, len(rows)) if sweep % 2 == 0 else range(len(rows) - 2, -1, -1)
        neighbours = sources if sweep % 2 == 0 else targets
        for r in order:
            centres = {k: _centre(neighbours[k], position, position[k]) for k in rows[r]}
            rows[r].sort(key=centres.__getitem__)
            position.update({k: i for i, k in enumerate(rows[r])})
    return rows


def _centre(linked: list[int], position: dict[int, int], own: int) -> float:
    """The mean position of a node's neighbours in the layer beside it (its own where it has none)."""
    return sum(position[n] for n in linked) / len(linked) if linked else own


@dataclass
class Layout:
    """Where the graph is drawn: each node's top-left corner, each edge's route (the points its
    path passes, from its tail's right side to its head's left side)."""

    corners: list[tuple[float, float]]
    routes: list[list[tuple[float, float]]]


def layout(boxes: list[tuple[float, float]], links: list[tuple[int, int]], labels: list[float]) -> Layout:
    """Lay the nodes (their boxes' width and height) out left to right in layers from the inputs,
    the gap before each layer wide enough for the labels (their widths) of the edges into it.

    An edge that skips layers passes through a waypoint in each layer between (Sugiyama's dummy
    nodes), ordered with the nodes, so that it runs between the boxes rather than through them.
    """
    count = len(boxes)
    sources: list[list[int]] = [[] for _ in range(count)]
    for tail, head in links:
        sources[head].append(tail)
    layer = _layers(count, sources)
    sizes = list(boxes)
    chains: list[list[int]] = []  # each edge's waypoints, in the order its path passes them
    extended = [list(linked) for linked in sources]
    for tail, head in links:
        chain = []
        for r in range(layer[tail] + 1, layer[head]):
            chain.append(len(sizes))
            sizes.append((0.0, WAYPOINT_HEIGHT))
            layer.append(r)
            extended.append([chain[-2] if len(chain) > 1 else tail])
        if chain:
            extended[head] = [chain[-1] if s == tail else s for s in extended[head]]
        chains.append(chain)
    targets: list[list[int]] = [[] for _ in sizes]
    for k, linked in enumerate(extended):
        for t in linked:
            targets[t].append(k)
    rows = _ordered(layer, extended, targets)
    gaps = [LAYER_GAP] * len(rows)
    for (_, head), width in zip(links, labels):
        gaps[layer[head]] = max(gaps[layer[head]], width + 24)
    corners, columns = _placed(rows, sizes, gaps)
    routes = []
    for (tail, head), chain in zip(links, chains):
        (x1, y1), (w1, h1) = corners[tail], sizes[tail]
        (x2, y2), (_, h2) = corners[head], sizes[head]
        route = [(x1 + w1, y1 + h1 / 2)]
        for waypoint in chain:
            x, y = corners[waypoint]
            route += [(x, y + WAYPOINT_HEIGHT / 2), (x + columns[layer[waypoint]], y + WAYPOINT_HEIGHT / 2)]
        routes.append([*route, (x2, y2 + h2 / 2)])
    return Layout(corners[:count], routes)


def _placed(
    rows: list[list[int]], sizes: list[tuple[float, float]], gaps: list[float]
) -> tuple[list[tuple[float, float]], list[float]]:
    """Top-left corners, each layer a column centred on the tallest after the gap before it; and
    each column's width."""
    heights = [sum(sizes[k][1] for k in row) + ROW_GAP * (len(row) - 1) for row in rows]
    tallest = max(heights, default=0)
    corners = [(0.0, 0.0)] * len(sizes)
    widths = []
    x = 0.0
    for r, (row, height) in enumerate(zip(rows, heights)):
        x += gaps[r] if r else 0.0
        width = max(max(sizes[k][0] for k in row), WAYPOINT_WIDTH)
        y = (tallest - height) / 2
        for k in row:
            corners[k] = (x, y)
            y += sizes[k][1] + ROW_GAP
        widths.append(width)
        x += width
    return corners, widths


# ---------------------------------------------------------------- the page's data


def _node_lines(node: pd.Series) -> tuple[str, str]:
    """The two lines a node always shows: its name (and the program's own name for it), its operation."""
    title = node["name"] + (f" ({node['local']})" if node.get("local") else "")
    if node["is_input"]:
        return title, "input"
    return title, "= " + node["operation"]


def _nodes(graph: Graph, drawn: int, tangent_columns: list[str]) -> list[dict[str, Any]]:
    nodes = []
    for _, node in graph.nodes.head(drawn).iterrows():
        title, operation = _node_lines(node)
        value = node["value"]
        shape = "×".join(map(str, np.shape(value)))
        nodes.append(
            {
                "name": node["name"],
                "title": title,
                "operation": short(operation),
                "operationFull": operation,
                "input": bool(node["is_input"]),
                "output": bool(node["is_output"]),
                "line": node.get("line"),
                "value": short(_boxed(value) if np.ndim(value) == 0 else f"({shape}) {_boxed(value)}"),
                "valueFull": _long_text(value),
                "shape": shape,
                "tangents": {c.removeprefix("tangent_"): short(_boxed(node[c])) for c in tangent_columns},
                "tangentsLong": {c.removeprefix("tangent_"): _long_text(node[c]) for c in tangent_columns},
            }
        )
    return nodes


def _edges(graph: Graph, index: dict[str, int]) -> list[dict[str, Any]]:
    edges = []
    for _, edge in graph.edges.iterrows():
        if edge["source"] in index and edge["target"] in index:
            label, text, is_number = _partial_text(edge)
            edges.append(
                {
                    "source": index[edge["source"]],
                    "target": index[edge["target"]],
                    "partial": label,
                    "partialFull": text,
                    "number": is_number,
                }
            )
    return edges


def _sweep(graph: Graph, output: str, index: dict[str, int], edge_of: dict[tuple[int, int], int]) -> dict[str, Any]:
    """One output's backward sweep as the page steps it: the edges among the drawn nodes, one step
    each; the sweep through the nodes not drawn becomes one step that gives the drawn ones their
    adjoints so far."""
    start, entry, seed = graph.starts[output]
    inputs = set(graph.nodes["name"][graph.nodes["is_input"]])
    steps, jump = [], {}
    rows = graph.sweeps[graph.sweeps["output"] == output]
    for _, step in rows.iterrows():
        source, target = index.get(step["source"]), index.get(step["target"])
        if source is None:
            continue
        if target is None:  # an edge from a node not drawn: its sum so far, given at once
            jump[source] = short(_boxed(step["after"]))
            continue
        steps.append(
            {
                "edge": edge_of[(source, target)],
                "adjoint": _long_text(step["adjoint"]),
                "term": _long_text(step["term"]),
                "before": None if step["before"] is None else _long_text(step["before"]),
                "after": _long_text(step["after"]),
                "boxed": short(_boxed(step["after"])),
                "entries": _full(step["after"]) if step["source"] in inputs else None,
            }
        )
    drawn = start in index
    value = graph.nodes.loc[graph.nodes["name"] == start, "value"].iloc[0]
    return {
        "value": _text(np.ravel(np.asarray(value, dtype=object))[entry]),
        "start": index[start] if drawn else None,
        "startName": start,
        "entry": entry,
        "seed": _long_text(seed),
        "seedBoxed": short(_boxed(seed)),
        "jump": {str(k): v for k, v in jump.items()} if not drawn else None,
        "steps": steps,
    }


def _method_row(comparison: pd.DataFrame, method: str) -> pd.Series | None:
    rows = comparison[comparison["method"] == method]
    return rows.iloc[0] if len(rows) else None


def _by_entry(row: pd.Series | None, output: int, name: str, shown: Any = _text) -> list[str] | None:
    """One input's derivatives from a method's row of the comparison, entry by entry, as text."""
    if row is None or row["status"] != "ok" or not row["jacobian"]:
        return None
    return [shown(v) for v in np.ravel(np.asarray(row["jacobian"][output][name], dtype=object))]


def _final(walk: Walkthrough, index: dict[str, int]) -> dict[str, Any]:
    """The closing table: each input entry's derivative by the page's sweep (filled in by the page
    as it steps), forward mode and sympy, for each output; and the comparison of the methods."""
    case, comparison = walk.case, walk.comparison
    forward, symbolic = _method_row(comparison, "forward"), _method_row(comparison, "symbolic")
    inputs, shown = [], 0
    for i, name in enumerate(case.inputs):
        labels = entry_labels(case, i)[: max(0, FINAL_ROWS - shown)]
        shown += len(labels)
        inputs.append(
            {
                "name": name,
                "node": index[name],
                "labels": labels,
                "forward": [_by_entry(forward, k, name) for k in range(len(walk.graph.outputs))],
                "sympy": [_by_entry(symbolic, k, name) for k in range(len(walk.graph.outputs))],
                "sympyFull": [_by_entry(symbolic, k, name, _full_entry) for k in range(len(walk.graph.outputs))],
            }
        )
    hidden = sum(int(np.size(v)) for v in case.point) - shown
    table, notes = compare_view(comparison)
    table = table.drop(columns=["case"])
    return {
        "inputs": inputs,
        "hidden": hidden,
        "symbolicStatus": "ok" if symbolic is None else f"{symbolic['status']}: {symbolic['error'] or ''}".rstrip(": "),
        "comparison": [list(table.columns), *table.astype(str).values.tolist()],  # without the case's name
        "notes": notes,
    }


IN_PYTHON = "ds.compare on the same function and point"  # a page made from Python (a notebook)


def compare_command(walk: Walkthrough) -> str:
    """The command that runs every method on the page's case: a built-in case by its name, a
    user's with its file."""
    case = walk.case
    if not case.file:
        return IN_PYTHON
    if Path(case.file).resolve().parent == builtin_cases_dir().resolve():
        return f"python -m diffstudy compare --case {case.name}"
    return f"python -m diffstudy compare --cases {display_path(case.file)} --case {case.name}"


def page_data(walk: Walkthrough, how_to_compare: str | None = None) -> dict[str, Any]:
    """Everything the page's script needs, as plain JSON: texts already formatted, positions laid out."""
    graph = walk.graph
    drawn = min(len(graph.nodes), DRAW_LIMIT)
    index = {name: k for k, name in enumerate(graph.nodes["name"].head(drawn))}
    tangent_columns = [c for c in graph.nodes.columns if c.startswith("tangent_")]
    nodes = _nodes(graph, drawn, tangent_columns)
    edges = _edges(graph, index)
    edge_of = {(e["source"], e["target"]): k for k, e in enumerate(edges)}
    sweeps = {out: _sweep(graph, out, index, edge_of) for out in (graph.starts or {})}
    for node in nodes:
        adjoints = [s["boxed"] for sweep in sweeps.values() for s in sweep["steps"]]
        node["width"] = _width(node, adjoints)
        node["height"] = LINE_HEIGHT * 5 + PADDING
    placed = layout(
        [(n["width"], n["height"]) for n in nodes],
        [(e["source"], e["target"]) for e in edges],
        [_label_width(e["partial"]) for e in edges],
    )
    for node, (x, y) in zip(nodes, placed.corners):
        node["x"], node["y"] = x, y
    for edge, route in zip(edges, placed.routes):
        edge["route"] = route
    return {
        "case": walk.case.name,
        "description": walk.case.description,
        "where": walk.case.where,
        "point": ", ".join(f"{name} = {_text(v)}" for name, v in walk.case.at.items()),
        "total": len(graph.nodes),
        "drawn": drawn,
        "nodes": nodes,
        "edges": edges,
        "directions": [c.removeprefix("tangent_") for c in tangent_columns],
        "outputs": list(sweeps),
        "sweeps": sweeps,
        "final": _final(walk, index),
        "source": walk.source,
        "firstLine": walk.first_line,
        "file": walk.case.file or "",
        "compare": how_to_compare or compare_command(walk),
    }


def _width(node: dict[str, Any], adjoints: list[str]) -> float:
    longest = max(
        [len(node["title"]), len(node["operation"]), len(node["value"])]
        + [len(f"∂{node['name']}/∂{d} = {t}") for d, t in node["tangents"].items()]
        + [len(f"∂f/∂{node['name']} = ") + min(TEXT_LIMIT, max(map(len, adjoints), default=4))]
    )
    return round(max(96.0, longest * CHAR_WIDTH + 2 * PADDING))


# ---------------------------------------------------------------- the page


def _svg(data: dict[str, Any]) -> str:
    """The graph as SVG: a box per node (its name and operation; the lines the script fills in
    as it steps: value, tangent, adjoint), an arrow per edge with its local partial."""
    nodes, edges = data["nodes"], data["edges"]
    width = max((n["x"] + n["width"] for n in nodes), default=0) + 2 * PADDING
    height = max((n["y"] + n["height"] for n in nodes), default=0) + 2 * PADDING
    e = html.escape
    parts = [
        f'<svg id="graph" xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="{-PADDING} {-PADDING} {width:.0f} {height:.0f}" role="img" aria-label="computational graph">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="9" markerHeight="9" '
        'markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z"/></marker></defs>',
    ]
    for k, edge in enumerate(edges):
        a, b = nodes[edge["source"]], nodes[edge["target"]]
        route = edge["route"]
        (x1, y1), (x2, y2) = route[-2], route[-1]  # the partial sits in the last gap, before its head
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        label_width = _label_width(edge["partial"])
        parts.append(
            f'<g class="edge" id="e{k}"><title>∂{e(b["name"])}/∂{e(a["name"])} = {e(edge["partialFull"])}</title>'
            f'<path d="{_path(route)}" marker-end="url(#arrow)"/>'
            f'<rect class="label" x="{mx - label_width / 2:.1f}" y="{my - 10:.1f}" width="{label_width:.1f}" '
            f'height="18" rx="4"/>'
            f'<text x="{mx:.1f}" y="{my + 3.5:.1f}" text-anchor="middle">{e(edge["partial"])}</text>'
            "</g>"
        )
    for k, node in enumerate(nodes):
        kind = "input" if node["input"] else ("output" if node["output"] else "operation")
        x, y, w, h = node["x"], node["y"], node["width"], node["height"]
        rows = [
            ("title", node["title"]),
            ("op", node["operation"]),
            ("val", ""),
            ("tan", ""),
            ("adj", ""),
        ]
        texts = "".join(
            f'<text class="{cls}" id="n{k}-{cls}" x="{x + PADDING:.1f}" y="{y + PADDING + 12 + i * LINE_HEIGHT:.1f}">'
            f"{e(text)}</text>"
            for i, (cls, text) in enumerate(rows)
        )
        tooltip = f"{node['title']} {node['operationFull']}\nvalue {node['valueFull']}"
        parts.append(
            f'<g class="node {kind}" id="n{k}" data-name="{e(node["name"])}"><title>{e(tooltip)}</title>'
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{14 if node["input"] else 6}"/>'
            f"{texts}</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _label_width(text: str) -> float:
    """The width of an edge's label: its text in the 11.5 px font, and a margin."""
    return len(text) * 6.9 + 12


def _path(route: list[tuple[float, float]]) -> str:
    """An SVG path through the route: a curve across each gap between layers (leaving and arriving
    level), a straight line through each layer it passes."""
    (x, y), *rest = route
    path = [f"M{x:.1f},{y:.1f}"]
    for k, (nx, ny) in enumerate(rest):
        if k % 2 == 0:  # across a gap
            bend = max(30.0, (nx - x) / 2)
            path.append(f"C{x + bend:.1f},{y:.1f} {nx - bend:.1f},{ny:.1f} {nx:.1f},{ny:.1f}")
        else:  # through a layer, level
            path.append(f"L{nx:.1f},{ny:.1f}")
        x, y = nx, ny
    return " ".join(path)


def _script_json(data: dict[str, Any]) -> str:
    """JSON safe inside a <script> element: no ``</script>``, no ``<!--``, whatever a case's text holds."""
    text = json.dumps(data, ensure_ascii=False, default=str)
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def _asset(name: str) -> str:
    return resources.files("diffstudy.output").joinpath(name).read_text(encoding="utf-8")


def to_html(walk: Walkthrough, how_to_compare: str | None = None) -> str:
    """The page: one HTML document with its SVG, CSS, script and data inline; ``how_to_compare``
    is what the page names as running every method (by default the command line's)."""
    data = page_data(walk, how_to_compare)
    e = html.escape
    too_large = (
        f'<p class="warning" id="too-large">This graph has {data["total"]:,} nodes: too many to draw readably. '
        f"The first {data['drawn']} are drawn and stepped through; the backward sweep through the others is one "
        "step, and the gradient at the end is the whole graph's.</p>"
        if data["drawn"] < data["total"]
        else ""
    )
    page = Template(_asset("graph_page.html"))
    return page.substitute(
        name=e(walk.case.name),
        point=e(data["point"]),
        description=e(walk.case.description),
        where=e(
            walk.case.where if walk.case.file and os.path.exists(walk.case.file) else "defined in a notebook or a shell"
        ),
        total=data["total"],
        too_large=too_large,
        svg=_svg(data),
        data=_script_json(data),
        css=_asset("graph_page.css"),
        script=_asset("graph_page.js"),
    )

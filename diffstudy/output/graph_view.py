"""A computational graph as text, Graphviz dot, Mermaid or JSON (the graph itself: :mod:`diffstudy.studies.graph`)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..studies.graph import Graph
from .tables import format_number, format_vector, records, render, render_fitted, wrap


def _adjoint_columns(graph: Graph) -> list[str]:
    return [c for c in graph.nodes.columns if c.startswith("adjoint_")]


def _tangent_columns(graph: Graph) -> list[str]:
    return [c for c in graph.nodes.columns if c.startswith("tangent_")]


def _adjoint_symbol(column: str, node: str) -> str:
    """``∂f/∂v3`` for the adjoint column of output f at node v3."""
    return f"∂{column.removeprefix('adjoint_')}/∂{node}"


def _tangent_symbol(column: str, node: str) -> str:
    """``∂v3/∂x`` for the tangent column of input x at node v3."""
    return f"∂{node}/∂{column.removeprefix('tangent_')}"


def format_partial(edge: pd.Series) -> str:
    """An edge's local partial as read: a number, a linear map, or partials taken entry by entry
    with their formula and values (``× 2·v6 = [-2.75, 0.06, -1], entry by entry``; their shape
    is the node's, shown with its value)."""
    partial = edge["partial"]
    if not isinstance(partial, np.ndarray):
        return format_number(partial)
    formula = f"{edge['formula']} = " if edge.get("formula") else ""
    return f"× {formula}{format_vector(list(partial.flat), 3)}, entry by entry"


def node_table(graph: Graph) -> pd.DataFrame:
    """The nodes as display strings: operation, value, local partials, tangents and adjoints."""
    partials: dict[str, list[str]] = {}
    for _, edge in graph.edges.iterrows():
        partials.setdefault(edge["target"], []).append(f"∂/∂{edge['source']} = {format_partial(edge)}")
    rows = []
    for _, node in graph.nodes.iterrows():
        row = {
            "node": node["name"] + (" (output)" if node["is_output"] else ""),
            "operation": node["operation"],
            "value": format_number(node["value"]),
            "local partials": ", ".join(partials.get(node["name"], [])),
        }
        for column in _tangent_columns(graph):
            row[_tangent_symbol(column, "node")] = format_number(node[column])
        for column in _adjoint_columns(graph):
            row[_adjoint_symbol(column, "node")] = format_number(node[column])
        rows.append(row)
    return pd.DataFrame(rows)


def legend(graph: Graph) -> str:
    """What the columns of :func:`node_table` mean."""
    return (
        f"Graph of {graph.case}. Forward: each node's value. On each edge: the local partial "
        "derivative of the node with respect to that argument. "
        + "".join(
            f"Forward along {c.removeprefix('tangent_')}: {_tangent_symbol(c, 'node')}, the node's tangent. "
            for c in _tangent_columns(graph)
        )
        + "Backward: "
        + "; ".join(
            f"{_adjoint_symbol(c, 'node')}, the adjoint of the node for output {c.removeprefix('adjoint_')}"
            for c in _adjoint_columns(graph)
        )
        + "."
    )


def to_text(graph: Graph, width: int | None = None) -> str:
    """The nodes as a table (operation, value, partials, tangents, adjoints), then the legend,
    fitted to ``width`` columns when one is given."""
    table = node_table(graph)
    body = render_fitted(table, width) if width else render(table, "table")
    return body + "\n\n" + wrap(legend(graph), width)


def _label_lines(graph: Graph, node: pd.Series, tangents: bool) -> list[str]:
    head = node["name"] if node["is_input"] else f"{node['name']} = {node['operation']}"
    lines = [head, f"value {format_number(node['value'])}"]
    if tangents:
        lines += [f"{_tangent_symbol(c, node['name'])} = {format_number(node[c])}" for c in _tangent_columns(graph)]
    lines += [f"{_adjoint_symbol(c, node['name'])} = {format_number(node[c])}" for c in _adjoint_columns(graph)]
    return lines


def to_dot(graph: Graph, tangents: bool = True) -> str:
    """Graphviz: ``dot -Tsvg`` draws it left to right, tangents (if recorded) and adjoints under the values."""
    lines = [f'digraph "{graph.case}" {{', "  rankdir=LR;", '  node [shape=box, fontname="Helvetica"];']
    for _, node in graph.nodes.iterrows():
        label = "\\n".join(_label_lines(graph, node, tangents)).replace('"', '\\"')
        shape = ", shape=ellipse" if node["is_input"] else (", peripheries=2" if node["is_output"] else "")
        lines.append(f'  "{node["name"]}" [label="{label}"{shape}];')
    for _, edge in graph.edges.iterrows():
        lines.append(f'  "{edge["source"]}" -> "{edge["target"]}" [label="{format_partial(edge)}"];')
    lines.append("}")
    return "\n".join(lines)


def to_mermaid(graph: Graph, tangents: bool = True) -> str:
    """Mermaid (renders on GitHub inside a ```mermaid block); edges carry the local partials."""
    lines = ["flowchart LR"]
    for _, node in graph.nodes.iterrows():
        label = "<br/>".join(_label_lines(graph, node, tangents)).replace('"', "#quot;")
        opening, closing = ("([", "])") if node["is_input"] else (("[[", "]]") if node["is_output"] else ("[", "]"))
        lines.append(f'  {node["name"]}{opening}"{label}"{closing}')
    for _, edge in graph.edges.iterrows():
        lines.append(f'  {edge["source"]} -- "{format_partial(edge)}" --> {edge["target"]}')
    return "\n".join(lines)


def to_json(graph: Graph) -> str:
    """The graph as tidy JSON, one record per node and per edge: ``table`` says which, ``case``
    names the graph (``pandas.read_json`` loads it as it is)."""
    rows = [{"table": "nodes", "case": graph.case, **node} for node in records(graph.nodes)]
    rows += [{"table": "edges", "case": graph.case, **edge} for edge in records(graph.edges)]
    return json.dumps(rows, indent=2, ensure_ascii=False)

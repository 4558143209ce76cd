"""The computational graph recorded on the tape: nodes, local partials on the edges, adjoints.

Recording a case gives the graph a student draws: every input and every operation is a node
with its value; every edge carries the local partial derivative of its head with respect to its
tail; one backward sweep per output then gives each node's adjoint ∂f/∂node. The graph is held
as two pandas DataFrames (nodes, edges) and rendered as text, Graphviz dot or Mermaid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

from . import reverse
from .active import constant_like
from .cases import Case
from .primitives import NEG, Unit
from .tables import format_number, records, render

GRAPH_FORMATS = ("text", "dot", "mermaid", "json")


@dataclass
class Graph:
    """A recorded computational graph: one row per node, one row per edge."""

    case: str
    outputs: list[str]
    nodes: pd.DataFrame  # name, operation, value, is_input, is_output, adjoint_<output>, tangent_<input>
    edges: pd.DataFrame  # source, target, partial


def _partial_value(p: Any) -> Any:
    return p.sign if isinstance(p, Unit) else p


def _operation(entry: tuple, names: list[str], tape: list[tuple]) -> str:
    """How node ``entry`` is computed, in terms of its arguments' names (``x ** 3``, ``3 * y``)."""
    primitive = entry[0]
    argument = names[entry[2]]
    if len(entry) == 6:
        return f"{argument} {primitive.symbol} {names[entry[4]]}"
    if len(entry) == 5:
        left, right = entry[4]
        if left is tape[entry[2]][1]:
            return f"{argument} {primitive.symbol} {format_number(right)}"
        return f"{format_number(left)} {primitive.symbol} {argument}"
    if primitive is NEG:
        return f"-{argument}"
    return f"{primitive.symbol}({argument})"


def output_names(count: int) -> list[str]:
    """``f`` for one output; ``f1``, ``f2``, ... for several."""
    return ["f"] if count == 1 else [f"f{k}" for k in range(1, count + 1)]


def build(case: Case, tangents: bool = False) -> Graph:
    """Record ``case`` on a tape and sweep back from each output: its computational graph.

    With ``tangents``, each node also gets ∂node/∂input for every input, by a forward sweep
    along that input: the numbers forward mode computes, pass by pass.
    """
    recording = reverse.record(case.function, case.point)
    tape = recording.tape
    names = list(case.inputs) + [f"v{k}" for k in range(1, len(tape) - len(case.inputs) + 1)]
    outputs = output_names(len(recording.outputs))
    output_nodes = {out.index for out in recording.outputs if isinstance(out, reverse.Var)}
    adjoints = {}
    for out, name in zip(recording.outputs, outputs):
        if isinstance(out, reverse.Var):
            swept = reverse.backward(tape, {out.index: constant_like(out.value, 1)})
            adjoints[name] = swept + [None] * (len(tape) - len(swept))
        else:
            adjoints[name] = [None] * len(tape)
    forward = {}
    if tangents:
        for i, name in enumerate(case.inputs):
            forward[name] = reverse.forward_sweep(tape, {i: constant_like(tape[i][1], 1)})
    nodes, edges = [], []
    for k, entry in enumerate(tape):
        row = {
            "name": names[k],
            "operation": "input" if entry[0] is None else _operation(entry, names, tape),
            "value": entry[1],
            "is_input": entry[0] is None,
            "is_output": k in output_nodes,
        }
        for name in outputs:
            a = adjoints[name][k]
            row[f"adjoint_{name}"] = constant_like(entry[1], 0) if a is None else a
        for name, swept in forward.items():
            t = swept[k]
            row[f"tangent_{name}"] = constant_like(entry[1], 0) if t is None else t
        nodes.append(row)
        if len(entry) > 2:
            edges.append({"source": names[entry[2]], "target": names[k], "partial": _partial_value(entry[3])})
        if len(entry) == 6:
            edges.append({"source": names[entry[4]], "target": names[k], "partial": _partial_value(entry[5])})
    return Graph(case.name, outputs, pd.DataFrame(nodes), pd.DataFrame(edges, columns=["source", "target", "partial"]))


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


def node_table(graph: Graph) -> pd.DataFrame:
    """The nodes as display strings: operation, value, local partials, tangents and adjoints."""
    partials: dict[str, list[str]] = {}
    for _, edge in graph.edges.iterrows():
        partials.setdefault(edge["target"], []).append(f"∂/∂{edge['source']} = {format_number(edge['partial'])}")
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


def to_text(graph: Graph) -> str:
    """The nodes as a table (operation, value, partials, tangents, adjoints), then the legend."""
    return render(node_table(graph), "table") + "\n\n" + legend(graph)


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
        lines.append(f'  "{edge["source"]}" -> "{edge["target"]}" [label="{format_number(edge["partial"])}"];')
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
        lines.append(f'  {edge["source"]} -- "{format_number(edge["partial"])}" --> {edge["target"]}')
    return "\n".join(lines)


def to_json(graph: Graph) -> str:
    """The graph as JSON: ``{"case", "outputs", "nodes": [...], "edges": [...]}``."""
    return json.dumps(
        {
            "case": graph.case,
            "outputs": graph.outputs,
            "nodes": records(graph.nodes),
            "edges": records(graph.edges),
        },
        indent=2,
        ensure_ascii=False,
    )

"""The computational graph recorded on the tape: nodes, local partials on the edges, adjoints.

Recording a case gives the graph a student draws: every input and every operation is a node
with its value; every edge carries the local partial derivative of its head with respect to its
tail; one backward sweep per output then gives each node's adjoint ∂f/∂node. The graph is held
as two pandas DataFrames (nodes, edges); :mod:`diffstudy.output.graph_view` renders it as text,
Graphviz dot, Mermaid or JSON.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ..engine import reverse
from ..engine.active import constant_like
from ..engine.primitives import NEG, Unit
from ..harness.cases import Case


@dataclass
class Graph:
    """A recorded computational graph: one row per node, one row per edge."""

    case: str
    outputs: list[str]
    nodes: pd.DataFrame  # name, operation, value, is_input, is_output, adjoint_<output>, tangent_<input>
    edges: pd.DataFrame  # source, target, partial


def _partial_value(p: Any) -> Any:
    return p.sign if isinstance(p, Unit) else p


def _constant(value: Any) -> str:
    """A constant of the program as written: ``3``, ``1/2``, ``0.1`` (a float's shortest exact form)."""
    return repr(value) if isinstance(value, float) else str(value)


def _operation(entry: reverse.Entry, names: list[str]) -> str:
    """How node ``entry`` is computed, in terms of its arguments' names (``x ** 3``, ``3 * y``)."""
    primitive = entry.primitive
    arguments = [
        names[index] if index is not None else _constant(constant)
        for index, constant in ((entry.first, entry.first_partial), (entry.second, entry.second_partial))
        if index is not None or constant is not None
    ]
    if len(arguments) == 2:
        return f"{arguments[0]} {primitive.symbol} {arguments[1]}"
    if primitive is NEG:
        return f"-{arguments[0]}"
    return f"{primitive.symbol}({arguments[0]})"


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
            forward[name] = reverse.forward_sweep(tape, {i: constant_like(case.point[i], 1)})
    nodes, edges = [], []
    for k in range(len(tape)):
        entry = reverse.entry_at(tape, k)
        zero = constant_like(entry.value, 0)
        row = {
            "name": names[k],
            "operation": "input" if entry.primitive is None else _operation(entry, names),
            "value": entry.value,
            "is_input": entry.primitive is None,
            "is_output": k in output_nodes,
        }
        row.update({f"adjoint_{name}": _or(swept[k], zero) for name, swept in adjoints.items()})
        row.update({f"tangent_{name}": _or(swept[k], zero) for name, swept in forward.items()})
        nodes.append(row)
        for index, partial in ((entry.first, entry.first_partial), (entry.second, entry.second_partial)):
            if index is not None:
                edges.append({"source": names[index], "target": names[k], "partial": _partial_value(partial)})
    return Graph(case.name, outputs, pd.DataFrame(nodes), pd.DataFrame(edges, columns=["source", "target", "partial"]))


def _or(value: Any, zero: Any) -> Any:
    """``value``, or ``zero`` where a sweep left None (a structural zero)."""
    return zero if value is None else value

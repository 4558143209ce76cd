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

import numpy as np
import pandas as pd

from ..engine import array_primitives, forward, reverse
from ..engine.active import constant_like
from ..engine.primitives import NEG, Unit
from ..errors import UnsupportedOperation
from ..harness.cases import Case


@dataclass
class Graph:
    """A recorded computational graph: one row per node, one row per edge."""

    case: str
    outputs: list[str]
    nodes: pd.DataFrame  # name, operation, value, is_input, is_output, adjoint_<output>, tangent_<input>
    edges: pd.DataFrame  # source, target, partial


def _constant(value: Any) -> str:
    """A constant of the program as written: ``3``, ``1/2``, ``0.1`` (a float's shortest exact form)."""
    return repr(value) if isinstance(value, float) else str(value)


def _operation(entry: reverse.Entry | reverse.ArrayEntry, names: list[str]) -> str:
    """How node ``entry`` is computed, in terms of its arguments' names (``x ** 3``, ``3 * y``, ``v1 @ x``)."""
    if entry.__class__ is reverse.ArrayEntry:
        return _array_operation(entry, names)
    primitive = entry.primitive
    arguments = [
        names[index] if index is not None else _constant(constant)
        for index, constant in ((entry.first, entry.first_partial), (entry.second, entry.second_partial))
        if index is not None or constant is not None
    ]
    return _written(primitive.symbol, arguments, primitive is NEG)


def _written(symbol: str, arguments: list[str], negation: bool = False) -> str:
    if len(arguments) == 2:
        return f"{arguments[0]} {symbol} {arguments[1]}"
    return f"-{arguments[0]}" if negation else f"{symbol}({', '.join(arguments)})"


def _operand_names(entry: reverse.ArrayEntry, names: list[str]) -> list[str]:
    """Each argument of an array operation: a variable's name, a constant number, or ``const`` for an array."""
    shown = []
    for operand in entry.operands:
        if isinstance(operand, reverse.Constant):
            shown.append(_constant(operand.value))
        else:
            shown.append(names[operand] if operand is not None else "const")
    return shown


def _index_text(index: Any) -> str:
    """An index as it is written between brackets: ``1:, 0``."""
    parts = index if isinstance(index, tuple) else (index,)

    def one(part: Any) -> str:
        if isinstance(part, slice):
            return ":".join("" if v is None else str(v) for v in (part.start, part.stop)) + (
                f":{part.step}" if part.step not in (None, 1) else ""
            )
        return "..." if part is Ellipsis else str(part)

    return ", ".join(one(p) for p in parts)


def _array_operation(entry: reverse.ArrayEntry, names: list[str]) -> str:
    """An array operation written with its arguments' names (``v1 @ x``, ``v2 ** 2``, ``x[1:, 0]``)."""
    arguments = _operand_names(entry, names)
    primitive = entry.primitive
    if primitive.scalar is not None:
        return _written(primitive.scalar.symbol, arguments, primitive.scalar is NEG)
    if primitive is array_primitives.MATMUL:
        return f"{arguments[0]} @ {arguments[1]}"
    if primitive is array_primitives.INDEX:
        return f"{arguments[0]}[{_index_text(entry.arguments[0][1].index)}]"
    return f"{primitive.name}({', '.join(arguments)})"


def _describe(partial: Any, entry: Any = None, names: list[str] | None = None) -> Any:
    """An edge's local partial: a number, or for an array operation the linear map it applies."""
    if isinstance(partial, Unit):
        return partial.sign
    if not isinstance(partial, array_primitives.LinearMap):
        return partial
    if isinstance(partial, array_primitives.Scale):
        p = partial.p
        factor = p.sign if isinstance(p, Unit) else p if np.ndim(p) == 0 else "the local partials"
        return f"× {factor}, entry by entry"
    if isinstance(partial, array_primitives.SumMap) and partial.scale is not None:
        return f"t ↦ sum of t × {partial.scale}"  # a mean: the sum over the count
    if isinstance(partial, (array_primitives.MatmulRight, array_primitives.MatmulLeft)):
        left, right = _operand_names(entry, names)
        return f"t ↦ t @ {right}" if isinstance(partial, array_primitives.MatmulRight) else f"t ↦ {left} @ t"
    return {
        array_primitives.SumMap: "t ↦ sum of t",
        array_primitives.Weigh: "t ↦ t at the largest entry",
        array_primitives.Permute: "t ↦ t transposed",
        array_primitives.Reshape: "t ↦ t reshaped",
        array_primitives.BroadcastMap: "t ↦ t broadcast",
        array_primitives.Select: "t ↦ t[index]",
        array_primitives.Place: "t ↦ t put in place",
    }.get(type(partial), type(partial).__name__)


def output_names(count: int) -> list[str]:
    """``f`` for one output; ``f1``, ``f2``, ... for several."""
    return ["f"] if count == 1 else [f"f{k}" for k in range(1, count + 1)]


def _node_names(count: int, taken: set[str]) -> list[str]:
    """``v1``, ``v2``, … for the operations' nodes, passing over any name an input already has."""
    names, k = [], 0
    while len(names) < count:
        k += 1
        if f"v{k}" not in taken:
            names.append(f"v{k}")
    return names


TANGENT_LIMIT = 12  # forward sweeps shown, one per input entry


def build(case: Case, tangents: bool = False) -> Graph:
    """Record ``case`` on a tape and sweep back from each output entry: its computational graph.

    With ``tangents``, each node also gets ∂node/∂input for every input entry (at most
    ``TANGENT_LIMIT`` of them), by a forward sweep along it: the numbers forward mode computes,
    pass by pass. An array node's value, adjoint and tangent are arrays.
    """
    recording = reverse.record(case.function, case.point)
    tape = recording.tape
    names = list(case.inputs) + _node_names(len(tape) - len(case.inputs), set(case.inputs))
    positions = recording.positions
    outputs = output_names(len(positions))
    output_nodes = {out.index for out in recording.outputs if isinstance(out, (reverse.Var, reverse.VarArray))}
    adjoints = {}
    for (k, entry_index), name in zip(positions, outputs):
        out = recording.outputs[k]
        if isinstance(out, (reverse.Var, reverse.VarArray)):
            swept = reverse.backward(tape, {out.index: reverse.seed(out, entry_index)})
            adjoints[name] = swept + [None] * (len(tape) - len(swept))
        else:
            adjoints[name] = [None] * len(tape)
    forward = _tangents(case, tape) if tangents else {}
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
        for index, partial in reverse.arguments_of(entry):
            edges.append({"source": names[index], "target": names[k], "partial": _describe(partial, entry, names)})
    return Graph(case.name, outputs, pd.DataFrame(nodes), pd.DataFrame(edges, columns=["source", "target", "partial"]))


def _tangents(case: Case, tape: reverse.Tape) -> dict[str, list[Any]]:
    """Forward sweeps of the tape, one per input entry, named by the input (and the entry's index)."""
    directions = [(i, j) for i, v in enumerate(case.point) for j in range(int(np.size(v)))]
    if len(directions) > TANGENT_LIMIT:
        raise UnsupportedOperation(
            f"--tangents shows one forward sweep per input entry, at most {TANGENT_LIMIT}; "
            f"{case.name} has {len(directions)}"
        )
    swept = {}
    for i, j in directions:
        value = case.point[i]
        label = (
            case.inputs[i]
            if np.ndim(value) == 0
            else f"{case.inputs[i]}[{','.join(map(str, np.unravel_index(j, np.shape(value))))}]"
        )
        swept[label] = reverse.forward_sweep(tape, {i: forward.unit_like(value, j)})
    return swept


def _or(value: Any, zero: Any) -> Any:
    """``value``, or ``zero`` where a sweep left None (a structural zero)."""
    return zero if value is None else value

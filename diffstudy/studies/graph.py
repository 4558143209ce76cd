"""The computational graph recorded on the tape: nodes, local partials on the edges, adjoints.

Recording a case gives the graph a student draws: every input and every operation is a node
with its value; every edge carries the local partial derivative of its head with respect to its
tail (for an array operation entry by entry, the array of partials and their formula in the
arguments' names); one backward sweep per output then gives each node's adjoint ∂f/∂node. The
graph is held as two pandas DataFrames (nodes, edges); :mod:`diffstudy.output.graph_view`
renders it as text, Graphviz dot, Mermaid or JSON.

Stepped through (``steps``), as the HTML page does, each node also keeps the line of the case
that made it, and each backward sweep is kept edge by edge: partial × adjoint of the head, added
into the adjoint of the tail.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import sympy

from ..engine import array_primitives, checkpoint, forward, generate, reverse
from ..engine.active import constant_like
from ..engine.primitives import NEG, Unit, accumulate
from ..harness.cases import Case


@dataclass
class Graph:
    """A recorded computational graph: one row per node, one row per edge."""

    case: str
    outputs: list[str]
    nodes: pd.DataFrame  # name, operation, value, is_input, is_output, adjoint_<output>, tangent_<input>
    edges: pd.DataFrame  # source, target, partial, formula (of partials taken entry by entry)
    # With steps: each backward sweep edge by edge, in the order the sweep pulls them (see SWEEP_COLUMNS),
    # and where each sweep starts: output → (its node, the entry of the node seeded with 1, its seed).
    sweeps: pd.DataFrame | None = None
    starts: dict[str, tuple[str, int, Any]] | None = None


class TangentChoiceError(ValueError):
    """``--tangents`` names no input or entry of the case, or more sweeps than are shown."""


def _constant(value: Any) -> str:
    """A constant of the program as written: ``3``, ``1/2``, ``0.1`` (a float's shortest exact form)."""
    return repr(value) if isinstance(value, float) else str(value)


def _operation(entry: reverse.Entry | reverse.ArrayEntry, names: list[str]) -> str:
    """How node ``entry`` is computed, in terms of its arguments' names (``x ** 3``, ``3 * y``, ``v1 @ x``)."""
    if entry.__class__ is reverse.ArrayEntry:
        return _array_operation(entry, names)
    if entry.__class__ is reverse.Recomputed:  # one output of a checkpointed call or loop
        arguments = ", ".join(names[index] for index in entry.primitive.inputs if index is not None)
        return f"{entry.primitive.name} of {arguments}, output {entry.output + 1}"
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
    """An edge's local partial: a number; for an array operation the linear map it applies, or
    the array of its local partials where it multiplies by them entry by entry."""
    if isinstance(partial, Unit):
        return partial.sign
    if isinstance(partial, checkpoint.Block):  # not kept: the call runs again in the backward sweep
        return str(partial)
    if not isinstance(partial, array_primitives.LinearMap):
        return partial
    if isinstance(partial, array_primitives.Scale):
        p = partial.p
        if isinstance(p, Unit) or np.ndim(p) == 0:
            return f"× {p.sign if isinstance(p, Unit) else p}, entry by entry"
        return p
    if isinstance(partial, array_primitives.SumMap) and partial.scale is not None:
        return f"t ↦ sum of t × {partial.scale}"  # a mean: the sum over the count
    if isinstance(partial, (array_primitives.MatmulRight, array_primitives.MatmulLeft)):
        left, right = _operand_names(entry, names)
        return f"t ↦ t @ {right}" if isinstance(partial, array_primitives.MatmulRight) else f"t ↦ {left} @ t"
    if isinstance(partial, array_primitives.Weigh):  # a weighted sum: of what, its operation says
        return _WEIGHTS.get(entry.primitive.name if entry is not None else "", "t ↦ Σ weights × t")
    return partial.label or type(partial).__name__


# What the weights of an operation's weighted sum (its linear map) are.
_WEIGHTS = {
    "max": "t ↦ t at the largest entry",
    "prod": "t ↦ Σ t × the product of the other entries",
    "det": "T ↦ Σ T × the cofactors (det·A⁻ᵀ)",
}


def _formula(entry: Any, position: int, names: list[str]) -> str | None:
    """The local partial of an elementwise array operation by its argument at ``position``,
    written in the arguments' names (``1 - tanh(v3)^2``, ``2·v6``): its primitive's own rule
    applied to sympy symbols. None where the rule gives no formula (a kink's comparison)."""
    scalar = entry.primitive.scalar
    if scalar is None:
        return None
    symbols = [
        sympy.Symbol(names[operand] if operand is not None else "const")
        if not isinstance(operand, reverse.Constant)
        else sympy.nsimplify(operand.value)
        for operand in entry.operands
    ]
    try:
        partial = scalar.partials[position](*symbols, scalar.evaluate(*symbols))
        return str(sympy.sympify(partial)).replace("**", "^").replace("*", "·")
    except Exception:  # a rule that needs numbers (which side of a kink) has no formula
        return None


def _edges_of(entry: Any, names: list[str], target: str) -> list[dict[str, Any]]:
    """One edge per variable argument of ``entry``: its local partial, and the formula of
    partials taken entry by entry."""
    arguments = reverse.arguments_of(entry)
    if entry.__class__ is not reverse.ArrayEntry:  # a number's partial is a number: no formula
        return [{"source": names[i], "target": target, "partial": _describe(p), "formula": None} for i, p in arguments]
    positions = [k for k, operand in enumerate(entry.operands) if isinstance(operand, int)]
    edges = []
    for (index, partial), position in zip(arguments, positions):
        described = _describe(partial, entry, names)
        formula = _formula(entry, position, names) if isinstance(described, np.ndarray) else None
        edges.append({"source": names[index], "target": target, "partial": described, "formula": formula})
    return edges


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


SWEEP_LIMIT = 12  # backward sweeps kept edge by edge, one per output entry
SWEEP_COLUMNS = ["output", "source", "target", "partial", "adjoint", "term", "before", "after"]


def build(case: Case, tangents: bool = False, along: Sequence[str] | None = None, steps: bool = False) -> Graph:
    """Record ``case`` on a tape and sweep back from each output entry: its computational graph.

    With ``tangents``, each node also gets ∂node/∂input for every input entry, or for those
    ``along`` names (an input, ``W1``, or one entry, ``W1[0,1]``), by a forward sweep along
    each: the numbers forward mode computes, pass by pass; at most ``TANGENT_LIMIT`` sweeps.
    An array node's value, adjoint and tangent are arrays.

    With ``steps``, each node also gets the ``line`` of the case's file that made it and the
    ``local`` name the program first gave it (None where it gave none), and ``sweeps`` holds the
    backward sweep of each output entry (the first ``SWEEP_LIMIT``) edge by edge.

    Raises:
        TangentChoiceError: ``along`` names no input or entry of the case, or the sweeps are
            more than ``TANGENT_LIMIT``.
    """
    directions = tangent_directions(case, along) if tangents else []
    if steps:
        script = generate.trace(case.function, case.point, case.inputs)
        recording = script.recording
    else:
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
    forward = _tangents(case, tape, directions)
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
        edges += _edges_of(entry, names, names[k])
    columns = ["source", "target", "partial", "formula"]
    graph = Graph(case.name, outputs, pd.DataFrame(nodes), pd.DataFrame(edges, columns=columns))
    if steps:
        n = len(case.inputs)
        graph.nodes["line"] = pd.Series([_line_in(case, line) for line in script.lines], dtype=object)
        graph.nodes["local"] = pd.Series(
            [None] * n + [_local_name(script.names[k], k) for k in range(n, len(tape))], dtype=object
        )
        graph.sweeps, graph.starts = _sweeps(recording, names, outputs)
    return graph


def _line_in(case: Case, line: tuple[str, int] | None) -> int | None:
    """The line number, where the line is in the case's own file (else None: made elsewhere)."""
    return line[1] if line is not None and case.file is not None and line[0] == case.file else None


def _local_name(name: str, k: int) -> str | None:
    """The program's own name for entry ``k``; None where the script named it itself (``v<k>``)."""
    return None if re.fullmatch(rf"v{k}(_\d+)?", name) else name


def _sweeps(
    recording: reverse.Recording, names: list[str], outputs: list[str]
) -> tuple[pd.DataFrame, dict[str, tuple[str, int, Any]]]:
    """Each output entry's backward sweep, edge by edge (the first ``SWEEP_LIMIT`` outputs), and
    where each starts. An output that is a constant of the program has no sweep."""
    rows: list[dict[str, Any]] = []
    starts = {}
    for (k, entry_index), name in list(zip(recording.positions, outputs))[:SWEEP_LIMIT]:
        out = recording.outputs[k]
        if isinstance(out, (reverse.Var, reverse.VarArray)):
            seed = reverse.seed(out, entry_index)
            starts[name] = (names[out.index], entry_index, seed)
            rows += [{"output": name, **step} for step in _sweep_by_edge(recording.tape, names, out.index, seed)]
    return pd.DataFrame(rows, columns=SWEEP_COLUMNS, dtype=object), starts


def _sweep_by_edge(tape: reverse.Tape, names: list[str], start: int, seed: Any) -> list[dict[str, Any]]:
    """The backward sweep from ``start`` seeded with ``seed``, one step per edge: what
    :func:`reverse.backward` does entry by entry, with each edge's term and the adjoint it adds into
    before and after (the same rules: ``accumulate`` for numbers, ``pull`` for arrays)."""
    adjoints: list[Any] = [None] * (start + 1)
    adjoints[start] = seed
    steps = []
    for k in range(start, -1, -1):
        g = adjoints[k]
        if g is None:
            continue
        entry = reverse.entry_at(tape, k)
        is_array = entry.__class__ is reverse.ArrayEntry
        for index, partial in reverse.arguments_of(entry):
            before = adjoints[index]
            if is_array:
                term = array_primitives.pull(None, partial, g)
                # pull may add into an array in place: the adjoint before is kept as it was
                after = array_primitives.pull(before.copy() if isinstance(before, np.ndarray) else before, partial, g)
            else:
                term, after = accumulate(None, partial, g), accumulate(before, partial, g)
            adjoints[index] = after
            steps.append(
                {"source": names[index], "target": names[k], "partial": _describe(partial, entry, names),
                 "adjoint": g, "term": term, "before": before, "after": after}
            )  # fmt: skip
    return steps


ENTRY = re.compile(r"\s*([^\s\[\]]+)\s*(?:\[([^\]]*)\])?\s*")


def tangent_directions(case: Case, along: Sequence[str] | None = None) -> list[tuple[int, int]]:
    """(input, flat entry) of each forward sweep: every entry of every input, or of the inputs
    and entries ``along`` names (``W1``, ``W1[0,1]``), in order and each once.

    Raises:
        TangentChoiceError: a name or an index that is not the case's, or more sweeps than
            ``TANGENT_LIMIT``.
    """
    chosen = [_chosen(case, text) for text in along] if along else [list(_entries(case, range(len(case.inputs))))]
    directions = list(dict.fromkeys(d for group in chosen for d in group))
    if len(directions) > TANGENT_LIMIT:
        sizes = ", ".join(f"{name}: {int(np.size(v))}" for name, v in zip(case.inputs, case.point))
        first = next((k for k, v in enumerate(case.point) if np.ndim(v) > 0), 0)
        example = _label(case, first, 0)
        raise TangentChoiceError(
            f"--tangents shows one forward sweep per input entry, at most {TANGENT_LIMIT}, and {case.name} "
            f"{'has' if not along else 'would take'} {len(directions)} ({sizes}): pick an input "
            f"(--tangents {case.inputs[first]}) or an entry (--tangents {example})"
        )
    return directions


def _entries(case: Case, inputs: Sequence[int]) -> list[tuple[int, int]]:
    return [(i, j) for i in inputs for j in range(int(np.size(case.point[i])))]


def _chosen(case: Case, text: str) -> list[tuple[int, int]]:
    """The sweeps ``text`` asks for: every entry of an input (``W1``), or one (``W1[0,1]``)."""
    match = ENTRY.fullmatch(text)
    if not match or match.group(1) not in case.inputs:
        raise TangentChoiceError(f"--tangents {text}: {case.name} has the inputs {', '.join(case.inputs)}")
    i = case.inputs.index(match.group(1))
    if match.group(2) is None:
        return _entries(case, [i])
    shape = np.shape(case.point[i])
    written = "a number, no index" if not shape else f"{'×'.join(map(str, shape))}"
    try:
        index = tuple(int(part) for part in match.group(2).split(","))
        return [(i, int(np.ravel_multi_index(index, shape)))]
    except ValueError:
        raise TangentChoiceError(f"--tangents {text}: {match.group(1)} is {written}") from None


def _label(case: Case, i: int, j: int) -> str:
    """``x`` for a number input, ``W1[0,1]`` for an entry of an array input."""
    value = case.point[i]
    if np.ndim(value) == 0:
        return case.inputs[i]
    return f"{case.inputs[i]}[{','.join(map(str, np.unravel_index(j, np.shape(value))))}]"


def _tangents(case: Case, tape: reverse.Tape, directions: Sequence[tuple[int, int]]) -> dict[str, list[Any]]:
    """Forward sweeps of the tape, one per direction, named by the input (and the entry's index)."""
    return {
        _label(case, i, j): reverse.forward_sweep(tape, {i: forward.unit_like(case.point[i], j)}) for i, j in directions
    }


def _or(value: Any, zero: Any) -> Any:
    """``value``, or ``zero`` where a sweep left None (a structural zero)."""
    return zero if value is None else value

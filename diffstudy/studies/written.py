"""The derivative of a case written out as code: the generated method's program, and sympy's
gradient after common-subexpression elimination printed as code, for a reader to compare.

The generated code keeps the program's sharing (each value computed once, named after the
program's variables) and is as long as the tape; sympy's expression, even after CSE, is what
differentiating the formula gave (Laue 2019: the two agree once the expression is a DAG).
"""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

import numpy as np
import sympy

from ..engine import generate, reverse, symbolic
from ..engine.budget import Budget
from ..errors import BudgetExceeded, Declined, DiffstudyError
from ..harness.cases import Case


class NoCodeForm(Exception):
    """The code asked for cannot be written for this case (said why, in one line)."""


@dataclass
class DerivativeCode:
    """What ``python -m diffstudy code`` prints: titled blocks of source, and notes."""

    case: str
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (title, source)
    notes: list[str] = field(default_factory=list)
    mode: str = "reverse"
    values: str | None = None  # the point and seeds each line's value comment is at, when shown


def derivative_code(
    case: Case, mode: str = "reverse", order: int = 1, sympy: bool = True, values: bool = True
) -> DerivativeCode:
    """The generated code of ``case`` at its point (``mode`` reverse or forward; ``order`` 2: the
    tangent code of the adjoint code), and sympy's CSE'd gradient as code when ``sympy``. With
    ``values``, each line that gives a name a number ends in that number at the point, as the
    survey's tables of a forward and an adjoint trace show them (Baydin et al. 2018, Tables 2, 3)."""
    point = list(case.point)
    script = generate.trace(case.function, point, list(case.inputs))
    name = f"{'gradient' if mode == 'reverse' else 'tangents'}_of_{case.name}"
    # the code jit runs on floats: numpy's own calls; with order 2 the code for any numbers, which
    # the tangent code below is traced from (its comments name that code's lines)
    floats = all(_float(v) for v in point) and order == 1
    source = generate.write(script, mode, name, floats=floats)
    at = ", ".join(f"{n} = {_shown(v)}" for n, v in zip(case.inputs, case.point))
    exact = script.recording.exact
    result = DerivativeCode(case.name, mode=mode)
    what = "the adjoint code of reverse mode" if mode == "reverse" else "the tangent code of forward mode"
    # the seeds the values are shown at: the output's adjoint 1, or the tangent along the first input
    along = [reverse.seed(v, 0, exact) * (1 if i == 0 else 0) for i, v in enumerate(point)]
    seeds = [reverse.seed(out, 0, exact) for out in script.recording.outputs] if mode == "reverse" else along
    text = source.text
    if values:
        text, failed = _with_values(source, [*point, *seeds])
        if failed:
            result.notes.append(f"the values are not shown: the code raised {failed}")
        else:
            first = case.inputs[0] + ("'s first entry" if np.ndim(point[0]) else "")
            result.values = "the seed _u0 = 1" if mode == "reverse" else f"the tangent along {first}: 1, the others 0"
    result.blocks.append((f"{case.name}, written out at {at}: {what}", text))
    if script.guards:
        result.notes.append(
            f"{len(script.guards)} comparison(s) of the program are checked where they were made: at a point "
            "that decides one otherwise the code raises PathChanged, and is written again for that path"
        )
    called = sorted(n[3:] for n in source.namespace if n.startswith("_d_"))
    if called:
        result.notes.append(
            "the partials of "
            + ", ".join(called)
            + " read their argument's value to choose a form (a kink's side, a form that keeps its digits): "
            "the code calls the rule by name (_d_…) instead of writing one formula"
        )
    if order == 2:
        gradient_code = generate.write(script, mode, name, floats=False)
        result.blocks.append(_hessian_code(case, script, gradient_code, called, along if values else None))
        if result.values is not None:
            result.values += f"; in the tangent code of the adjoint code, v along {case.inputs[0]}: 1, the others 0"
    if sympy:
        result.blocks.extend(_sympy_code(case))
    return result


def _hessian_code(
    case: Case, script: generate.Script, source: generate.Source, called: list[str], along: list[Any] | None
) -> tuple[str, str]:
    """The tangent code of the adjoint code: its tangents along v are H·v (generated from generated
    code); with ``along`` (v), each line's number at the point shown after it."""
    values = script.recording.values
    if len(values) != 1 or np.shape(values[0]) != ():
        raise NoCodeForm(
            f"the Hessian's code is written for a function of one number; {case.name} gives "
            f"{len(script.recording.positions)} numbers "
            "(ds.hessian stacks a Hessian per output)"
        )
    if source.text.count("_apply(") or called:
        why = (
            "array operations"
            if source.text.count("_apply(")
            else "the rules called by name (" + ", ".join(called) + ")"
        )
        raise NoCodeForm(
            f"the Hessian's code is not written for {case.name}: {why} would be traced at this point's values, "
            "not written as formulas; compare --order 2 runs forward mode over the gradient's code instead "
            "(the forward-over-generated row)"
        )
    gradient_code = generate.build(source)
    seed = 1  # the output's adjoint: an int keeps exact numbers exact and reads 1, not Fraction(1)

    def gradient(*inputs: Any) -> tuple[Any, ...]:
        return gradient_code(*inputs, seed)[1]

    names = script.names[: len(case.inputs)]  # the adjoint code's names of its inputs (an input x_bar is x_bar_ there)
    # (a name of the adjoint code, c_bar, kept as it is: the tangent code names only tangents, c_bar_dot)
    second = generate.trace(gradient, list(case.point), names, program=gradient_code, endings=("_dot",))
    doc = "the gradient, and its tangents along the inputs' (H·v)"
    hessian = generate.write(second, "forward", f"hessian_vector_product_of_{case.name}", floats=False, doc=doc)
    text = hessian.text
    if along is not None:
        text, _ = _with_values(hessian, [*case.point, *along])
    return (f"{case.name}: the tangent code of the adjoint code above; its tangents along v are H·v", text)


def _with_values(source: generate.Source, arguments: Sequence[Any]) -> tuple[str, str | None]:
    """``source`` with a comment after each line that gives a name a number, or an array of at most
    :data:`_SHOWN` floats: its value, when the code runs on ``arguments``; and None, or the error
    that stopped the code. A longer array's line, a line inside a loop, is left as it is."""
    tree = ast.parse(source.text)
    seen: dict[int, Any] = {}

    class Noted(ast.NodeTransformer):
        def visit_Assign(self, node: ast.Assign) -> Any:
            target = node.targets[0]
            if len(node.targets) != 1 or not isinstance(target, ast.Name):
                return node
            note = ast.parse(f"_seen({node.lineno}, {target.id})").body[0]
            return [node, ast.copy_location(note, node)]

        def visit_AugAssign(self, node: ast.AugAssign) -> Any:  # (x_bar += …: the sum it holds now)
            if not isinstance(node.target, ast.Name):
                return node
            note = ast.parse(f"_seen({node.lineno}, {node.target.id})").body[0]
            return [node, ast.copy_location(note, node)]

        def visit_For(self, node: ast.For) -> Any:
            return node  # a turn's values change at each turn

    def note(line: int, value: Any) -> None:
        # a copy: a later line may add into the same array in place (x_bar += …)
        if np.ndim(value) == 0 or _short(value):
            seen[line] = value.copy() if isinstance(value, np.ndarray) else value

    tree = ast.fix_missing_locations(Noted().visit(tree))
    namespace = {**source.namespace, "_seen": note}
    try:
        exec(compile(tree, f"<{source.function}, values>", "exec"), namespace)  # noqa: S102 - the code written above
        namespace[source.function](*arguments)
    except (ArithmeticError, ValueError, TypeError, DiffstudyError) as error:
        return source.text, f"{type(error).__name__}: {error}"
    lines = source.text.splitlines()
    numbers = seen
    width = min(max((len(lines[line - 1]) for line in numbers), default=0), _VALUE_COLUMN)
    for line, value in numbers.items():
        lines[line - 1] = f"{lines[line - 1].ljust(width)}  # {_number(value)}"
    return "\n".join(lines) + "\n", None


_VALUE_COLUMN = 48  # a value comment starts here, or after a longer line
_SHOWN = 6  # floats of an array whose value is shown


def _entries(value: Any) -> str:
    return f"[{', '.join(map(_entries, value))}]" if isinstance(value, list) else f"{value:.4g}"


def _short(value: Any) -> bool:
    return isinstance(value, np.ndarray) and value.dtype.kind == "f" and value.size <= _SHOWN


def _number(value: Any) -> str:
    """A value as its line's comment shows it: an exact number in full (≈ its float past 40
    characters), a float to 6 digits."""
    if isinstance(value, np.ndarray) and value.ndim:  # a short float array: its entries to 4 digits
        return _entries(value.tolist())
    exact = str(value) if isinstance(value, (int, Fraction, np.integer)) else None
    if exact is not None and len(exact) <= 40:
        return exact
    try:
        return f"{'≈ ' if exact else ''}{float(value):.6g}"
    except (TypeError, ValueError, OverflowError):
        return str(value)


def _data_as_floats(expression: sympy.Expr) -> sympy.Expr:
    """The exact rationals of the floats f's data hold (a power of two of more than 2¹⁶ below:
    5404319552844595/18014398509481984) shown as those floats (0.3), which they are exactly: each
    written with the digits of its repr, which Python reads back as the same float."""
    floats = {r: _shortest(float(r)) for r in expression.atoms(sympy.Rational) if r.q > 2**16 and not r.q & (r.q - 1)}
    return expression.xreplace(floats) if floats else expression


def _shortest(x: float) -> sympy.Float:
    """``x`` as a sympy Float that prints as ``repr(x)`` does (15 digits would lose its last bits)."""
    digits = repr(x).split("e")[0].replace("-", "").replace(".", "").lstrip("0")
    return sympy.Float(repr(x), max(len(digits), 1))


def _sympy_code(case: Case) -> list[tuple[str, str]]:
    """sympy's value and gradient after sympy.cse, printed as Python by sympy's code printer."""
    try:
        derivative = symbolic.derive(case.function, list(case.inputs), Budget(nodes=20_000), case.shapes)
    except (Declined, BudgetExceeded) as error:
        return [("sympy's gradient", f"# sympy: {error}\n")]
    plain_names = {s: sympy.Symbol(_identifier(s.name), real=True) for s in derivative.symbols}
    expressions = [_data_as_floats(e.xreplace(plain_names)) for e in derivative.expressions]
    replacements, reduced = sympy.cse(expressions)
    inputs = ", ".join(str(plain_names[s]) for s in derivative.symbols)
    lines = [f"def sympy_gradient_of_{case.name}({inputs}):"]
    lines += [f"    {symbol} = {sympy.pycode(expression)}" for symbol, expression in replacements]
    outputs = len(derivative.outputs)
    values = ", ".join(sympy.pycode(e) for e in reduced[:outputs])
    gradient = ", ".join(sympy.pycode(e) for e in reduced[outputs:])
    lines.append(f"    return (({values},), ({gradient},))")  # (one pair of brackets: where a long line breaks)
    title = (
        f"{case.name}: sympy's value and gradient after sympy.cse, as sympy.pycode prints them (the data's "
        "floats as floats, not as their exact fractions)"
    )
    return [(title, "\n".join(lines) + "\n")]


def _float(value: Any) -> bool:
    return isinstance(value, float) or (getattr(value, "dtype", None) is not None and value.dtype.kind == "f")


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_") or "x"


def _shown(value: Any) -> str:
    text = str(value.tolist() if hasattr(value, "tolist") else value)
    return text if len(text) <= 40 else text[:37] + "…"

"""The derivative of a case written out as code: the generated method's program, and sympy's
gradient after common-subexpression elimination printed as code, for a reader to compare.

The generated code keeps the program's sharing (each value computed once, named after the
program's variables) and is as long as the tape; sympy's expression, even after CSE, is what
differentiating the formula gave (Laue 2019: the two agree once the expression is a DAG).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sympy

from ..engine import generate, reverse, symbolic
from ..engine.budget import Budget
from ..errors import BudgetExceeded, Declined
from ..harness.cases import Case


class NoCodeForm(Exception):
    """The code asked for cannot be written for this case (said why, in one line)."""


@dataclass
class DerivativeCode:
    """What ``python -m diffstudy code`` prints: titled blocks of source, and notes."""

    case: str
    blocks: list[tuple[str, str]] = field(default_factory=list)  # (title, source)
    notes: list[str] = field(default_factory=list)


def derivative_code(case: Case, mode: str = "reverse", order: int = 1, sympy: bool = True) -> DerivativeCode:
    """The generated code of ``case`` at its point (``mode`` reverse or forward; ``order`` 2: the
    tangent code of the adjoint code), and sympy's CSE'd gradient as code when ``sympy``."""
    point = list(case.point)
    script = generate.trace(case.function, point, list(case.inputs))
    name = f"{'gradient' if mode == 'reverse' else 'tangents'}_of_{case.name}"
    # the code jit runs on floats: numpy's own calls; with order 2 the code for any numbers, which
    # the tangent code below is traced from (its comments name that code's lines)
    floats = all(_float(v) for v in point) and order == 1
    source = generate.write(script, mode, name, floats=floats)
    at = ", ".join(f"{n} = {_shown(v)}" for n, v in zip(case.inputs, case.point))
    result = DerivativeCode(case.name)
    what = "the adjoint code of reverse mode" if mode == "reverse" else "the tangent code of forward mode"
    result.blocks.append((f"{case.name}, written out at {at}: {what}", source.text))
    if script.guards:
        result.notes.append(
            f"{len(script.guards)} comparison(s) of the program are checked where they were made: at a point "
            "that decides one otherwise the code raises PathChanged, and is written again for that path"
        )
    called = sorted(n[3:] for n in source.namespace if n.startswith("_d_"))
    if called:
        result.notes.append(
            "the partials of " + ", ".join(called) + " read their argument's value to take a stable form: "
            "the code calls the rule by name (_d_…) instead of writing one formula"
        )
    if order == 2:
        result.blocks.append(_hessian_code(case, script, generate.write(script, mode, name, floats=False), called))
    if sympy:
        result.blocks.extend(_sympy_code(case))
    return result


def _hessian_code(case: Case, script: generate.Script, source: generate.Source, called: list[str]) -> tuple[str, str]:
    """The tangent code of the adjoint code: its tangents along v are H·v (generated from generated code)."""
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
    seed = reverse.seed(script.recording.outputs[0], 0, script.recording.exact)

    def gradient(*inputs: Any) -> tuple[Any, ...]:
        return gradient_code(*inputs, seed)[1]

    names = [f"{n}" for n in case.inputs]
    second = generate.trace(gradient, list(case.point), names, program=gradient_code)
    doc = "the gradient, and its tangents along the inputs' (H·v)"
    text = generate.write(second, "forward", f"hessian_vector_product_of_{case.name}", floats=False, doc=doc).text
    return (f"{case.name}: the tangent code of the adjoint code above; its tangents along v are H·v", text)


def _sympy_code(case: Case) -> list[tuple[str, str]]:
    """sympy's value and gradient after sympy.cse, printed as Python by sympy's code printer."""
    try:
        derivative = symbolic.derive(case.function, list(case.inputs), Budget(nodes=20_000), case.shapes)
    except (Declined, BudgetExceeded) as error:
        return [("sympy's gradient", f"# sympy: {error}\n")]
    plain_names = {s: sympy.Symbol(_identifier(s.name), real=True) for s in derivative.symbols}
    expressions = [e.xreplace(plain_names) for e in derivative.expressions]
    replacements, reduced = sympy.cse(expressions)
    inputs = ", ".join(str(plain_names[s]) for s in derivative.symbols)
    lines = [f"def sympy_gradient_of_{case.name}({inputs}):"]
    lines += [f"    {symbol} = {sympy.pycode(expression)}" for symbol, expression in replacements]
    outputs = len(derivative.outputs)
    values = ", ".join(sympy.pycode(e) for e in reduced[:outputs])
    gradient = ", ".join(sympy.pycode(e) for e in reduced[outputs:])
    lines.append(f"    return ({values},), ({gradient},)")
    title = f"{case.name}: sympy's value and gradient after sympy.cse, as sympy.pycode prints them"
    return [(title, "\n".join(lines) + "\n")]


def _float(value: Any) -> bool:
    return isinstance(value, float) or (getattr(value, "dtype", None) is not None and value.dtype.kind == "f")


def _identifier(name: str) -> str:
    return "".join(c if c.isalnum() or c == "_" else "_" for c in name).strip("_") or "x"


def _shown(value: Any) -> str:
    text = str(value.tolist() if hasattr(value, "tolist") else value)
    return text if len(text) <= 40 else text[:37] + "…"

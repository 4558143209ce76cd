"""Sympy expressions seen as programs: their sizes, and evaluating them one operation at a time.

A derivative formula costs what it takes to evaluate it. :func:`evaluate` walks a sympy
expression and performs each node with diffstudy's primitives, the way a code printer would
write it out: ``x*y**-1`` is one division, ``a + (-1)*b`` one subtraction, ``y**(1/2)`` a
square root. Run on counting numbers, that walk measures the formula's cost. Every walk here
uses an explicit stack, so expression depth is limited by memory, not by Python's recursion.

Sympy rewrites while it builds (``x*x*x`` becomes ``x**3``, one ``pow``), so the counts of an
expression and of the program that built it can differ for that reason alone.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Mapping, Sequence
from fractions import Fraction
from typing import Any

import mpmath
import sympy

from ..errors import DomainError, UnsupportedOperation
from .primitives import BY_SYMPY_HEAD, MAXIMUM, MINIMUM, divide, power, sqrt

# sympy's Max and Min take any number of arguments: a chain of the two-argument primitive.
EXTREMES = (MAXIMUM, MINIMUM)

Plan = tuple[Sequence[sympy.Basic], Callable[[list[Any]], Any]]


def plain_constant(node: sympy.Basic) -> Any:
    """A sympy number as a plain Python number: int, Fraction, or float for Float, pi and E."""
    if node.is_Integer:
        return int(node)
    if node.is_Rational:
        return Fraction(int(node.p), int(node.q))
    if node.is_finite and node.is_extended_real:
        return float(node)
    raise DomainError(f"the expression contains {node}, which is not a finite real number")


def rational_constant(node: sympy.Basic) -> Fraction:
    """A sympy number as an exact Fraction: a Float is the binary number it holds, exactly.

    Raises:
        NotRational: the number is irrational (pi, E) or not finite.
    """
    if node.is_Rational:
        return Fraction(int(node.p), int(node.q))
    if node.is_Float and node.is_finite:
        exact = sympy.Rational(node)  # the binary number the Float holds, exactly
        return Fraction(int(exact.p), int(exact.q))
    raise NotRational(str(node))


def precise_constant(node: sympy.Basic) -> mpmath.mpf:
    """A sympy number at mpmath's working precision; a Float is the binary number it holds, exactly."""
    if node.is_Float:
        return mpmath.mpf(node._mpf_)
    if node.is_Rational:
        return mpmath.mpf(int(node.p)) / int(node.q)
    if node.is_finite and node.is_extended_real:
        return mpmath.mpf(sympy.N(node, mpmath.mp.dps + 5)._mpf_)  # pi, E
    raise DomainError(f"the expression contains {node}, which is not a finite real number")


class NotRational(Exception):
    """A value met while evaluating exactly is not a rational number."""


def _product(values: Iterable[Any]) -> Any:
    values = iter(values)
    total = next(values)
    for v in values:
        total = total * v
    return total


def _plan_quotient(numerator: list[sympy.Basic], denominator: list[sympy.Basic], negate: bool) -> Plan:
    """Multiply the numerator's factors, divide by the product of the denominator's, negate."""
    split = len(numerator)

    def combine(values: list[Any]) -> Any:
        total = _product(values[:split])
        if len(values) > split:
            total = divide(total, _product(values[split:]))
        return -total if negate else total

    return [*numerator, *denominator], combine


def _plan_mul(node: sympy.Mul) -> Plan:
    coefficient, factors = node.as_coeff_mul()
    numerator: list[sympy.Basic] = []
    denominator: list[sympy.Basic] = []
    for factor in factors:
        if factor.is_Pow and factor.exp.is_Number and factor.exp.is_negative:
            denominator.append(factor.base if factor.exp == -1 else sympy.Pow(factor.base, -factor.exp))
        else:
            numerator.append(factor)
    negative = bool(coefficient.is_negative)
    magnitude = abs(coefficient)
    constant_numerator = sympy.Integer(magnitude.p) if magnitude.is_Rational else magnitude
    if constant_numerator != 1 or not numerator:
        # The sign rides on the constant: -3*x is one multiplication, not a product and a negation.
        numerator.insert(0, sympy.Integer(-1) * constant_numerator if negative else constant_numerator)
        negative = False
    if magnitude.is_Rational and magnitude.q != 1:
        denominator.insert(0, sympy.Integer(magnitude.q))
    return _plan_quotient(numerator, denominator, negative)


def _plan_add(node: sympy.Add) -> Plan:
    plus: list[sympy.Basic] = []
    minus: list[sympy.Basic] = []
    for term in node.args:
        if term.could_extract_minus_sign():
            minus.append(-term)
        else:
            plus.append(term)
    split = len(plus)

    def combine(values: list[Any]) -> Any:
        if split:
            total = values[0]
            rest = values[1:split]
        else:
            total = -values[split]
            rest = []
        for v in rest:
            total = total + v
        for v in values[split + (0 if split else 1) :]:
            total = total - v
        return total

    return [*plus, *minus], combine


def _plan_pow(node: sympy.Pow) -> Plan:
    base, exponent = node.args
    if exponent == sympy.S.Half:
        return [base], lambda values: sqrt(values[0])
    if exponent.is_Number and exponent.is_negative:
        positive = base if exponent == -1 else sympy.Pow(base, -exponent)
        return _plan_quotient([sympy.Integer(1)], [positive], False)
    return [base, exponent], lambda values: power(values[0], values[1])


def _plan(node: sympy.Basic) -> Plan:
    """The operands of ``node`` and how to combine their values into its value."""
    if node.is_Add:
        return _plan_add(node)
    if node.is_Mul:
        return _plan_mul(node)
    if node.is_Pow:
        return _plan_pow(node)
    primitive = BY_SYMPY_HEAD.get(node.func)
    if primitive in EXTREMES:
        return list(node.args), lambda values: functools.reduce(primitive.evaluate, values)
    if primitive is not None:
        # Heaviside(x, h0) carries sympy's value at 0 as a second argument: ½, as the rule gives.
        return list(node.args[: primitive.arity]), lambda values: primitive.evaluate(*values)
    raise UnsupportedOperation(f"cannot evaluate {node.func.__name__}(...) from a sympy expression")


def evaluate(
    exprs: Sequence[sympy.Basic],
    env: Mapping[sympy.Basic, Any],
    *,
    shared: bool = False,
    constant: Callable[[sympy.Basic], Any] = plain_constant,
    check: Callable[[Any], None] | None = None,
    memo: dict[sympy.Basic, Any] | None = None,
) -> list[Any]:
    """Evaluate ``exprs`` with the symbols bound by ``env``, operation by operation.

    With ``shared=False`` an expression is evaluated as a tree: a subexpression is evaluated
    again every time it appears, which is what a formula written out costs. With
    ``shared=True`` each distinct subexpression is evaluated once. ``check`` sees every value
    an operation computes (to stop an exact evaluation, or to track magnitudes). A ``memo``
    given by the caller keeps the values of several calls (the caller hashes the nodes first).
    """
    if memo is not None:  # the caller's memo, shared with its other calls; it hashed the nodes
        shared = True
    else:
        memo = {}
        if shared:
            postorder(exprs)  # hash every node bottom-up before the memo hashes it
    results = []
    for root in exprs:
        values: list[Any] = []
        stack: list[tuple[sympy.Basic, Plan | None]] = [(root, None)]
        while stack:
            node, plan = stack.pop()
            if plan is None:
                if shared and node in memo:
                    values.append(memo[node])
                elif node.is_Symbol:
                    if node not in env:
                        raise UnsupportedOperation(f"the expression has a symbol {node} with no value")
                    values.append(env[node])
                elif node.is_Number or node.is_NumberSymbol:
                    values.append(constant(node))
                else:
                    plan = _plan(node)
                    stack.append((node, plan))
                    stack.extend((operand, None) for operand in reversed(plan[0]))
                continue
            operands, combine = plan
            split = len(values) - len(operands)
            value = combine(values[split:])
            if check is not None:
                check(value)
            del values[split:]
            if shared:
                memo[node] = value
            values.append(value)
        results.append(values[0])
    return results


def cse(exprs: Sequence[sympy.Basic]) -> tuple[list[tuple[sympy.Symbol, sympy.Basic]], list[sympy.Basic]]:
    """Common-subexpression elimination by ``sympy.cse``: (replacements, reduced expressions)."""
    replacements, reduced = sympy.cse(list(exprs))
    return list(replacements), list(reduced)


def evaluate_cse(
    replacements: Sequence[tuple[sympy.Symbol, sympy.Basic]],
    reduced: Sequence[sympy.Basic],
    env: Mapping[sympy.Basic, Any],
) -> list[Any]:
    """Evaluate the output of :func:`cse`: each replacement once, in order, then the results."""
    bound = dict(env)
    for symbol, expr in replacements:
        bound[symbol] = evaluate([expr], bound)[0]
    return evaluate(reduced, bound)


def postorder(exprs: Sequence[sympy.Basic]) -> list[sympy.Basic]:
    """Every node of ``exprs`` once (by identity), children before parents, walked with a stack.

    Each node is hashed on the way up, after its children: sympy computes a hash recursively
    and then caches it, so hashing bottom-up lets deep nodes serve as dict keys.
    """
    seen: set[int] = set()
    order: list[sympy.Basic] = []
    for root in exprs:
        stack: list[tuple[sympy.Basic, bool]] = [(root, False)]
        while stack:
            node, children_done = stack.pop()
            if children_done:
                hash(node)
                order.append(node)
                continue
            if id(node) in seen:
                continue
            seen.add(id(node))
            stack.append((node, True))
            stack.extend((a, False) for a in node.args if id(a) not in seen)
    return order


def tree_size(exprs: Sequence[sympy.Basic]) -> int:
    """Nodes of ``exprs`` written out as trees: a repeated subexpression counts every time."""
    sizes: dict[int, int] = {}
    for node in postorder(exprs):
        sizes[id(node)] = 1 + sum(sizes[id(a)] for a in node.args)
    return sum(sizes[id(e)] for e in exprs)


def dag_size(exprs: Sequence[sympy.Basic]) -> int:
    """Distinct nodes of ``exprs``: each shared subexpression counts once."""
    return len(set(postorder(exprs)))


def cse_size(replacements: Sequence[tuple[sympy.Symbol, sympy.Basic]], reduced: Sequence[sympy.Basic]) -> int:
    """Tree nodes of a CSE result: every replacement's right-hand side plus the reduced forms."""
    return tree_size([expr for _, expr in replacements]) + tree_size(reduced)

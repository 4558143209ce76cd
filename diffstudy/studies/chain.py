"""The order of a product matters: matrix chains, costed, counted, and tied to the two AD modes.

A product of matrices can be parenthesized in many ways; all give the same matrix, at very
different costs (Strang's A·B·C in Lecture 27). The cost of each order is the number of scalar
multiplications, m·n·p for an (m×n)(n×p) product; here every such cost is also *counted*, by
multiplying real matrices of counting numbers in that order.

The Jacobian of a composition F₃∘F₂∘F₁ is the product J₃·J₂·J₁. Forward mode, one pass per
input, multiplies from the input side: J₃(J₂(J₁·I)). Reverse mode, one sweep per output,
multiplies from the output side: ((I·J₃)J₂)J₁. :func:`modes_table` measures both modes on a
composition of linear maps and sets the counts beside the chain costs of the two orders.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from fractions import Fraction
from typing import Any, TypeVar

import pandas as pd

from ..engine.counting import Counting, Tally, counting
from ..harness.families import as_case
from ..harness.methods import run_methods
from .programs import names
from .section import Section

Order = int | tuple["Order", "Order"]
T = TypeVar("T")

COUNT_LIMIT = 300_000  # products larger than this are costed by the formula only


def fold(order: Order, leaf: Callable[[int], T], combine: Callable[[T, T], T]) -> T:
    """Evaluate a parenthesization bottom-up with an explicit stack."""
    stack: list[tuple[Order, bool]] = [(order, False)]
    values: list[T] = []
    while stack:
        node, children_done = stack.pop()
        if isinstance(node, int):
            values.append(leaf(node))
        elif children_done:
            right = values.pop()
            left = values.pop()
            values.append(combine(left, right))
        else:
            stack.extend([(node, True), (node[1], False), (node[0], False)])
    return values[0]


def cost(dims: Sequence[int], order: Order) -> int:
    """Scalar multiplications of the product in ``order``; matrix i is dims[i] × dims[i+1]."""

    def combine(left: tuple[int, int, int], right: tuple[int, int, int]) -> tuple[int, int, int]:
        return left[0], right[1], left[2] + right[2] + left[0] * left[1] * right[1]

    return fold(order, lambda i: (dims[i], dims[i + 1], 0), combine)[2]


def written(order: Order, names: Sequence[str]) -> str:
    """The order as a formula, e.g. ``A(BC)``."""
    text = fold(order, lambda i: names[i], lambda left, right: f"({left}{right})")
    return text[1:-1] if text.startswith("(") and not isinstance(order, int) else text


def parenthesizations(count: int) -> list[Order]:
    """Every order of a product of ``count`` matrices (Catalan many), built bottom-up."""
    orders: dict[tuple[int, int], list[Order]] = {(i, i): [i] for i in range(count)}
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length - 1
            orders[i, j] = [(a, b) for k in range(i, j) for a in orders[i, k] for b in orders[k + 1, j]]
    return orders[0, count - 1]


def best_order(dims: Sequence[int]) -> tuple[int, Order]:
    """The cheapest order and its cost, by dynamic programming over sub-chains (O(k³))."""
    count = len(dims) - 1
    best: dict[tuple[int, int], tuple[int, Order]] = {(i, i): (0, i) for i in range(count)}
    for length in range(2, count + 1):
        for i in range(count - length + 1):
            j = i + length - 1
            candidates = [
                (
                    best[i, k][0] + best[k + 1, j][0] + dims[i] * dims[k + 1] * dims[j + 1],
                    (best[i, k][1], best[k + 1, j][1]),
                )
                for k in range(i, j)
            ]
            best[i, j] = min(candidates, key=lambda candidate: candidate[0])
    return best[0, count - 1]


def _matrix(rows: int, cols: int, tally: Tally, rng: random.Random) -> list[list[Counting]]:
    return [counting((Fraction(rng.randint(-9, 9)) for _ in range(cols)), tally) for _ in range(rows)]


def multiply(a: list[list[Any]], b: list[list[Any]]) -> list[list[Any]]:
    """The textbook product: each entry an inner product, m·n·p multiplications in all."""
    columns = list(zip(*b))
    product = []
    for row in a:
        out = []
        for column in columns:
            total = row[0] * column[0]
            for x, y in zip(row[1:], column[1:]):
                total = total + x * y
            out.append(total)
        product.append(out)
    return product


def counted(dims: Sequence[int], order: Order, seed: int = 0) -> Tally:
    """Multiply random integer matrices of shapes ``dims`` in ``order``; the operations counted."""
    rng = random.Random(seed)
    tally = Tally()
    matrices = [_matrix(dims[i], dims[i + 1], tally, rng) for i in range(len(dims) - 1)]
    fold(order, lambda i: matrices[i], multiply)
    return tally


def orders_table(dims: Sequence[int], names: Sequence[str] | None = None, limit: int = COUNT_LIMIT) -> pd.DataFrame:
    """Every order of the chain: its cost by the formula, its multiplications counted, the best."""
    names = names or [chr(ord("A") + i) for i in range(len(dims) - 1)]
    best_cost, best = best_order(dims)
    rows = []
    for order in parenthesizations(len(dims) - 1):
        formula = cost(dims, order)
        rows.append(
            {
                "order": written(order, names),
                "multiplications": formula,
                "counted": counted(dims, order)["mul"] if formula <= limit else None,
                "× best": formula / best_cost if best_cost else 1.0,
                "best": order == best,
            }
        )
    frame = pd.DataFrame(rows, dtype=object)
    return frame.sort_values("multiplications", kind="stable").reset_index(drop=True)


def _problem2_note(sizes: Sequence[tuple[int, int]]) -> str:
    """What Problem 2's table shows, as far as its sizes bear it out."""
    taller = all(m > n for m, n in sizes)
    wider = all(m < n for m, n in sizes)
    which = (
        "A(AᵀA) is m/n times faster, as every A here is taller than wide"
        if taller
        else "(AAᵀ)A is n/m times faster, as every A here is wider than tall"
        if wider
        else "the faster order forms the smaller of AᵀA (n×n) and AAᵀ (m×m) first"
    )
    return f"A(AᵀA) costs 2mn², (AAᵀ)A costs 2m²n: {which}; counted where ≤ {COUNT_LIMIT:,}"


def problem2_table(sizes: Sequence[tuple[int, int]], limit: int = COUNT_LIMIT) -> pd.DataFrame:
    """Strang VII.2 Problem 2: A(AᵀA) against (AAᵀ)A for A of m×n, m > n, over several sizes."""
    rows = []
    for m, n in sizes:
        dims = [m, n, m, n]
        right, left = (0, (1, 2)), ((0, 1), 2)
        row: dict[str, Any] = {"m": m, "n": n}
        for label, order in (("A(AᵀA)", right), ("(AAᵀ)A", left)):
            formula = cost(dims, order)
            row[label] = formula
            row[f"{label} counted"] = counted(dims, order)["mul"] if formula <= limit else None
        row["2mn²"] = 2 * m * n * n
        row["2m²n"] = 2 * m * m * n
        # The ratio beside the sizes, so that a table printed in blocks keeps it with m and n.
        rows.append({"m": m, "n": n, "ratio": row["(AAᵀ)A"] / row["A(AᵀA)"], **row})
    return pd.DataFrame(rows, dtype=object)


# ---------------------------------------------------------------- the link to AD


def linear_layers(widths: Sequence[int], seed: int = 1) -> Callable[..., tuple[Any, ...]]:
    """F = F_k∘…∘F₁ with Fᵢ(x) = Wᵢx, Wᵢ random integer matrices of shape widths[i+1] × widths[i]."""
    rng = random.Random(seed)
    weights = [
        [[rng.randint(1, 9) for _ in range(widths[i])] for _ in range(widths[i + 1])] for i in range(len(widths) - 1)
    ]

    def composition(*x: Any) -> tuple[Any, ...]:
        values = list(x)
        for w in weights:
            values = [_weighted_sum(row, values) for row in w]
        return tuple(values)

    composition.__name__ = "layers_" + "_".join(map(str, widths))
    return composition


def _weighted_sum(row: Sequence[int], values: Sequence[Any]) -> Any:
    total = row[0] * values[0]
    for w, v in zip(row[1:], values[1:]):
        total = total + w * v
    return total


def modes_table(shapes: Sequence[Sequence[int]]) -> pd.DataFrame:
    """Multiplications of forward and reverse mode on linear layers, beside the chain costs.

    For widths n₁ → n₂ → … → n_L the Jacobian is J = J_{L−1}···J₁, with J_i of n_{i+1} × n_i.
    Forward mode's pass along input j starts from e_j: it reads column j of J₁ (n₂ products with
    the seed) and then multiplies by J₂, J₃, ...: over all passes, the n₂·n₁ entries of J₁ plus
    the cost of J_{L−1}(…(J₂J₁)). Reverse mode's sweep for output k reads row k of J_{L−1} and
    multiplies by J_{L−2}, ...: the n_L·n_{L−1} entries of J_{L−1} plus the cost of
    ((J_{L−1}J_{L−2})…)J₁. Both derivative counts below are measured: all multiplications of the
    mode, less those that compute F's values (n re-evaluations forward, one recording reverse).
    """
    rows = []
    for widths in shapes:
        n, m = widths[0], widths[-1]
        program = (linear_layers(widths), names(n), [Fraction(k + 1) for k in range(n)])
        run = run_methods(as_case(program, "layers"), ("forward", "reverse"))
        run.stops()
        own, fwd, rev = run.f_ops["mul"], run.results["forward"].ops["mul"], run.results["reverse"].ops["mul"]
        dims = list(reversed(widths))  # J_{L−1} ··· J₁, left to right
        first, last = widths[1] * widths[0], widths[-1] * widths[-2]
        rows.append(
            {
                "widths": " → ".join(map(str, widths)),
                "n": n,
                "m": m,
                "f mul": own,
                "forward mul": fwd,
                "forward derivative mul": fwd - n * own,
                "J₁ + cost from the input side": first + cost(dims, fold_right(len(dims) - 1)),
                "reverse mul": rev,
                "reverse derivative mul": rev - own,
                "J_L + cost from the output side": last + cost(dims, fold_left(len(dims) - 1)),
            }
        )
    return pd.DataFrame(rows, dtype=object)


def fold_right(count: int) -> Order:
    """The order M₀(M₁(…M_{k−1})): multiply from the right end."""
    order: Order = count - 1
    for i in range(count - 2, -1, -1):
        order = (i, order)
    return order


def fold_left(count: int) -> Order:
    """The order ((M₀M₁)…)M_{k−1}: multiply from the left end."""
    order: Order = 0
    for i in range(1, count):
        order = (order, i)
    return order


# ---------------------------------------------------------------- presentation

DIMS = (10, 100, 5, 1)
LECTURE = (50, 50, 50)
PROBLEM2_SIZES = ((4, 2), (10, 3), (30, 5), (100, 10), (1000, 10), (1000, 100))
LAYER_SHAPES = ((8, 6, 4, 1), (1, 4, 6, 8), (5, 5, 5, 5), (2, 3, 4, 5, 6))


def sections(
    dims: Sequence[int] = DIMS,
    lecture: Sequence[int] = LECTURE,
    sizes: Sequence[tuple[int, int]] = PROBLEM2_SIZES,
    shapes: Sequence[Sequence[int]] = LAYER_SHAPES,
) -> list[Section]:
    """The chain study as titled tables."""
    best_cost, best = best_order(dims)
    names = [chr(ord("A") + i) for i in range(len(dims) - 1)]
    shape = " · ".join(f"{names[i]} ({dims[i]}×{dims[i + 1]})" for i in range(len(dims) - 1))
    m, n, p = lecture
    return [
        Section(
            "orders",
            f"Every order of {shape}",
            orders_table(dims, names),
            [f"best by dynamic programming: {written(best, names)}, {best_cost:,} multiplications"],
        ),
        Section(
            "lecture",
            f"Lecture 27: A ({m}×{n}) · B ({n}×{p}) · C ({p}×1), C a column vector",
            orders_table([m, n, p, 1]),
            [f"A(BC) costs np + mn = {n * p + m * n:,}; (AB)C costs mnp + mp = {m * n * p + m * p:,}"],
        ),
        Section(
            "problem2",
            "Problem 2 (Section VII.2): A is m×n with m > n; A(AᵀA) or (AAᵀ)A?",
            problem2_table(sizes),
            [_problem2_note(sizes)],
        ),
        Section(
            "modes",
            "Forward and reverse mode are the two orders of the Jacobian chain",
            modes_table(shapes),
            [
                "forward derivative mul = entries of J₁ + cost of J(…(J₂J₁)); "
                "reverse = entries of J_L + cost of ((J·J)…)J₁"
            ],
        ),
    ]

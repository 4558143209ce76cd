"""The chain study: every cost against counted multiplications and against hand formulas."""

from __future__ import annotations

import itertools

import pytest

from diffstudy.studies import chain


@pytest.mark.parametrize("dims", [[10, 100, 5, 1], [3, 7, 2, 9, 4], [5, 5, 5, 5, 5, 5], [2, 9, 3, 8, 4, 7, 5]])
def test_every_order_is_costed_as_counted(dims):
    table = chain.orders_table(dims)
    counted = table.dropna(subset=["counted"])
    assert len(counted) > 0
    assert list(counted["multiplications"]) == list(counted["counted"])


def test_catalan_many_orders():
    assert [len(chain.parenthesizations(k)) for k in range(1, 8)] == [1, 1, 2, 5, 14, 42, 132]


@pytest.mark.parametrize("dims", [[10, 100, 5, 1], [30, 35, 15, 5, 10, 20, 25], [2, 9, 3, 8, 4, 7, 5]])
def test_dynamic_programming_finds_the_cheapest_order(dims):
    best_cost, best = chain.best_order(dims)
    everything = [chain.cost(dims, order) for order in chain.parenthesizations(len(dims) - 1)]
    assert best_cost == min(everything) == chain.cost(dims, best)


def test_the_textbook_chain_example():
    # Cormen et al.'s six matrices: 15,125 multiplications, ((A(BC))((DE)F)).
    best_cost, best = chain.best_order([30, 35, 15, 5, 10, 20, 25])
    assert best_cost == 15125
    assert chain.written(best, "ABCDEF") == "(A(BC))((DE)F)"


@pytest.mark.parametrize("m, n, p", [(50, 50, 50), (20, 30, 40), (7, 3, 11)])
def test_lecture_abc_with_a_column_vector(m, n, p):
    # Lecture 27 with q = 1: A(BC) costs np + mn, (AB)C costs mnp + mp.
    table = chain.orders_table([m, n, p, 1], ["A", "B", "C"]).set_index("order")
    assert table.loc["A(BC)", "counted"] == n * p + m * n
    assert table.loc["(AB)C", "counted"] == m * n * p + m * p


@pytest.mark.parametrize("m, n", [(4, 2), (10, 3), (30, 5), (100, 10)])
def test_problem2_costs(m, n):
    # A(AᵀA): AᵀA is n·m·n, then A times it m·n·n: 2mn². (AAᵀ)A: m·n·m + m·m·n = 2m²n.
    row = chain.problem2_table([(m, n)]).iloc[0]
    assert row["A(AᵀA) counted"] == row["A(AᵀA)"] == 2 * m * n * n
    assert row["(AAᵀ)A counted"] == row["(AAᵀ)A"] == 2 * m * m * n
    assert row["ratio"] == m / n


@pytest.mark.parametrize("widths", [(8, 6, 4, 1), (1, 4, 6, 8), (5, 5, 5, 5), (2, 3, 4, 5, 6), (3, 7)])
def test_forward_and_reverse_are_the_two_chain_orders(widths):
    # Hand derivation for linear layers (see chain.modes_table): forward's derivative products are
    # the entries of J₁ plus the cost of J(…(J₂J₁)); reverse's the entries of J_L plus ((J·J)…)J₁.
    row = chain.modes_table([widths]).iloc[0]
    ns = list(widths)
    dims = list(reversed(ns))
    forward_by_hand = ns[1] * ns[0] + sum(ns[i + 1] * ns[i] * ns[0] for i in range(1, len(ns) - 1))
    reverse_by_hand = ns[-1] * ns[-2] + sum(ns[-1] * ns[i] * ns[i + 1] for i in range(len(ns) - 2))
    assert row["forward derivative mul"] == row["J₁ + cost from the input side"] == forward_by_hand
    assert row["reverse derivative mul"] == row["J_L + cost from the output side"] == reverse_by_hand
    assert chain.cost(dims, chain.fold_right(len(dims) - 1)) + ns[1] * ns[0] == forward_by_hand


def test_multiply_counts_exactly_mnp():
    for m, n, p in itertools.product([1, 2, 5], repeat=3):
        tally = chain.counted([m, n, p], (0, 1))
        assert tally["mul"] == m * n * p
        assert tally.get("add", 0) == m * p * (n - 1)

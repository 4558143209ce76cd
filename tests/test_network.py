"""Backpropagation through a network: a bounded reverse/f, a tape of one entry per array operation,
and the lecture's chain — reverse mode's multiplications are the chain cost from the loss side."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

import diffstudy
from diffstudy.studies import network
from diffstudy.studies.programs import network as network_program

from .helpers import central_differences


@pytest.fixture(scope="module")
def swept():
    # Without sympy (its derivative takes seconds at width 2 already; the report's test measures it).
    limits = network.NetworkLimits(max_width=32)
    return network.sweep(replace(limits, cost=replace(limits.cost, symbolic_max_n=8)))


def test_weights_are_depth_times_width_squared_plus_width(swept):
    assert list(swept.rows["weights"]) == [3 * w * w + w for w in (2, 4, 8, 16, 32)]


def test_reverse_mode_stays_a_small_constant_times_f(swept):
    ratios = [float(r) for r in swept.rows["reverse/f"]]
    assert all(2 <= r <= 3.5 for r in ratios)
    assert len(set(swept.rows["tape length"])) == 1  # one entry per array operation, at every width


def test_forward_mode_grows_with_the_weights(swept):
    forward = swept.rows.dropna(subset=["forward/f"])
    ratios = [float(r) for r in forward["forward/f"]]
    assert ratios == sorted(ratios) and ratios[-1] > 10 * ratios[0]
    # Each pass costs about what f costs, so the ratio is near the number of weights, times a constant.
    for weights, ratio in zip(forward["weights"], ratios):
        assert weights <= ratio <= 3 * weights


def test_the_network_gradient_matches_central_differences():
    program, names, point = network_program(4)
    result = diffstudy.gradient(program, dict(zip(names, point)), method="reverse")
    estimate = central_differences(program, point)[0]
    computed = [d for name in names for d in np.ravel(result.gradient[name])]
    assert np.allclose(computed, estimate, rtol=1e-6, atol=1e-9)


def test_reverse_multiplies_from_the_loss_side():
    # By hand for widths n0 → n1 → n2 (u of n2): f = u·(W₂(W₁x)) costs n1·n0 + n2·n1 + n2 products.
    # Reverse: seed·u (n2), then uᵀW₂ (n2·n1), then (uᵀW₂)W₁ (n1·n0): equal to f's, here.
    # Forward: one pass per entry of x, each W₁e_j (n1·n0), W₂(…) (n2·n1), u·(…) (n2): n0 times that.
    table = network.chain_table([(3, 5, 2)])
    row = table.iloc[0]
    n0, n1, n2 = 3, 5, 2
    assert row["f mul"] == n1 * n0 + n2 * n1 + n2
    reverse, loss_side = row[network.REVERSE_COUNTED], row[network.LOSS_SIDE]
    forward, input_side = row[network.FORWARD_COUNTED], row[network.INPUT_SIDE]
    assert reverse == n2 + n2 * n1 + n1 * n0 == loss_side
    assert forward == n0 * (n1 * n0 + n2 * n1 + n2) == input_side


def test_cost_command_with_the_network(capsys):
    from diffstudy.cli import main

    assert (
        main(["cost", "--function", "network", "--max-width", "8", "--symbolic-max-n", "8", "--format", "markdown"])
        == 0
    )
    out = capsys.readouterr().out
    assert "A tanh network of depth 3, batch 16" in out and "The lecture's chain" in out

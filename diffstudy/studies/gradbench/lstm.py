"""GradBench's ``lstm`` (ADBench's): a stack of LSTM layers with diagonal weights run over a
sequence of characters (one bit vector each), the objective being the mean log-likelihood of each
next character; the gradient by the main and the extra parameters.

``main_params`` holds two rows per layer (weights, then biases, each the forget, input, output
and change gates' b entries side by side), ``extra_params`` the input weight, output weight and
output bias, ``state`` two rows per layer (hidden, then cell). The log-sum-exp adds 2 inside the
logarithm, as ADBench's does.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .evals import Eval, Function, floats, listed, number
from .methods import Method


def sigmoid(z: Any) -> Any:
    """1 / (1 + e⁻ᶻ)."""
    return 1 / (1 + np.exp(-z))


def objective(main_params: Any, extra_params: Any, state: np.ndarray, sequence: np.ndarray) -> Any:
    """−(1/count) Σₜ ⟨sequence[t+1], ŷₜ − lse(ŷₜ)⟩ over the sequence."""
    layers = len(main_params) // 2
    b = sequence.shape[1]
    gates = [[main_params[row][g * b : (g + 1) * b] for g in range(4)] for row in range(2 * layers)]
    hidden = [state[2 * i] for i in range(layers)]
    cell = [state[2 * i + 1] for i in range(layers)]
    total: Any = 0.0
    for t in range(len(sequence) - 1):
        out = sequence[t] * extra_params[0]
        for i in range(layers):
            (w_forget, w_in, w_out, w_change), (b_forget, b_in, b_out, b_change) = gates[2 * i], gates[2 * i + 1]
            forget = sigmoid(out * w_forget + b_forget)
            ingate = sigmoid(hidden[i] * w_in + b_in)
            outgate = sigmoid(out * w_out + b_out)
            change = np.tanh(hidden[i] * w_change + b_change)
            cell[i] = cell[i] * forget + ingate * change
            hidden[i] = outgate * np.tanh(cell[i])
            out = hidden[i]
        predicted = out * extra_params[1] + extra_params[2]
        normalised = predicted - np.log(np.sum(np.exp(predicted)) + 2)
        total = total + np.sum(sequence[t + 1] * normalised)
    return -total / ((len(sequence) - 1) * b)


def _read(data: dict[str, Any]) -> tuple[np.ndarray, ...]:
    return tuple(floats(data[name]) for name in ("main_params", "extra_params", "state", "sequence"))


def _gradient(args: tuple[np.ndarray, ...], method: Method) -> Any:
    main, extra = method.grad(objective, argnums=(0, 1))(*args)
    return np.concatenate([np.ravel(main), np.ravel(extra)])


EVAL = Eval(
    "lstm",
    {
        "objective": Function(_read, lambda args, method: objective(*args), number, derivative=False),
        "jacobian": Function(_read, _gradient, listed, derivative=True),
    },
    primal="objective",
    derivatives=("jacobian",),
)

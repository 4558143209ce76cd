"""Elementary functions composed: the chain rule at every step."""

from diffstudy import case, fn


@case(at={"x": 0.7, "y": 1.3})
def composition(x, y):
    """exp(sin(x)·y) / sqrt(1 + x²) + log(y) + tanh(x − y)."""
    return fn.exp(fn.sin(x) * y) / fn.sqrt(1 + x * x) + fn.log(y) + fn.tanh(x - y)

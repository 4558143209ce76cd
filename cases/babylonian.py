"""A program with a loop: Heron's (Babylonian) method for a square root."""

from diffstudy import case


@case(at={"a": 2})
def babylonian(a):
    """Five steps of y ← (y + a/y)/2 from y = a. Differentiating the loop differentiates the
    algorithm: the result approaches 1/(2√a) as the iterate approaches √a."""
    y = a
    for _ in range(5):
        y = (y + a / y) / 2
    return y

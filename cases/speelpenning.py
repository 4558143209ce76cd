"""Speelpenning's product: every partial derivative is a product of all the other inputs."""

from diffstudy import case


@case(at={f"x{i}": i for i in range(1, 9)})
def speelpenning(*x):
    """x1·x2·…·x8 at xi = i: f = 8! = 40320 and ∂f/∂xi = 8!/i."""
    product = x[0]
    for xi in x[1:]:
        product = product * xi
    return product

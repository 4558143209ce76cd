"""Every kind of power the operators allow."""

from diffstudy import case, fn


@case(at={"x": 1.5, "y": 2.5})
def powers(x, y):
    """x^y + 2^x + y^0.5 + x^-2 + atan(x / y): variable, constant-base, real and negative exponents."""
    return x**y + 2**x + y**0.5 + x**-2 + fn.atan(x / y)

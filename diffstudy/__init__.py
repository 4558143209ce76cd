"""diffstudy: differentiate one program three ways and compare the results and the costs.

The same Python function is differentiated symbolically (sympy), by forward-mode dual numbers
and by a reverse-mode tape; each method runs on counting numbers, so its cost is measured.
"""

from __future__ import annotations

from . import fn
from .cases import Case, case
from .methods import METHODS, Measurement, differentiate

gradient = differentiate
jacobian = differentiate

__all__ = ["fn", "case", "Case", "gradient", "jacobian", "differentiate", "Measurement", "METHODS"]

"""diffstudy: differentiate one program three ways and compare the results and the costs.

The same Python function is differentiated symbolically (sympy), by forward-mode dual numbers
and by a reverse-mode tape; each method runs on counting numbers, so its cost is measured.

The package is built in floors, each importing only the ones below it: ``engine`` (the number
types and their rules), ``harness`` (cases, running the methods, ``compare``), ``studies``
(swell, cost, chain, graph), ``output`` (tables, figures, the report) and ``cli``.
"""

from __future__ import annotations

from . import fn
from .api import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from .checkpointing import checkpoint, loop, remat
from .compiled import code, jit
from .harness.cases import Case, case
from .harness.families import family
from .harness.methods import METHODS, Measurement, gradient

__all__ = [
    "fn",
    "case",
    "family",
    "Case",
    "gradient",
    "Measurement",
    "METHODS",
    "grad",
    "value_and_grad",
    "jacfwd",
    "jacrev",
    "jvp",
    "vjp",
    "hessian",
    "jit",
    "code",
    "checkpoint",
    "remat",
    "loop",
]

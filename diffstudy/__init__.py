"""diffstudy: differentiate one program four ways and compare the results and the costs.

The same Python function is differentiated symbolically (sympy), by forward-mode dual numbers,
by a reverse-mode tape and by the tape's derivative written out as Python code; each method runs
on counting numbers, so its cost is measured.

The package is built in floors, each importing only the ones below it: ``engine`` (the number
types and their rules), ``harness`` (cases, running the methods, ``compare``), ``studies``
(swell, cost, chain, graph), ``output`` (tables, figures, the report) and ``cli``.
"""

from __future__ import annotations

from . import fn
from .api import grad, hessian, jacfwd, jacrev, jvp, value_and_grad, vjp
from .checkpointing import checkpoint, loop, remat
from .compiled import code, jit
from .errors import DiffstudyError, DomainError, JitWarning, UnsupportedOperation
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
    "compare",
    "graph",
    "swell",
    "cost",
    "chain",
    "sgd",
    "checkpoint",
    "remat",
    "loop",
    "DiffstudyError",
    "DomainError",
    "UnsupportedOperation",
    "JitWarning",
]

# The results a notebook displays are made with pandas and matplotlib, which importing diffstudy
# does not load: ds.compare, ds.graph, ds.swell, ds.cost, ds.chain and ds.sgd load them when used.
_DISPLAYED = ("compare", "graph", "swell", "cost", "chain", "sgd")


def __getattr__(name: str) -> object:
    if name in _DISPLAYED:
        from . import notebook

        return getattr(notebook, name)
    raise AttributeError(f"module 'diffstudy' has no attribute {name!r}")

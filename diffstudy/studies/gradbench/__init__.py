"""diffstudy as a GradBench tool: GradBench's evals written as ordinary numpy programs, each
differentiated by one of diffstudy's methods (:mod:`.methods`), and the protocol that answers
GradBench's messages (:mod:`.protocol`).

Each eval's module follows its README in GradBench's ``evals/`` folder; no derivative is written
by hand. :data:`EVALS` maps GradBench's module names to them.
"""

from __future__ import annotations

from . import ba, det, gmm, hello, ht, kmeans, llsq, lse, lstm, nested, ode
from .evals import Eval

EVALS: dict[str, Eval] = {
    e.name: e
    for e in (
        hello.EVAL,
        lse.EVAL,
        llsq.EVAL,
        det.EVAL,
        ode.EVAL,
        kmeans.EVAL,
        gmm.EVAL,
        lstm.EVAL,
        nested.SADDLE,
        nested.PARTICLE,
        ba.EVAL,
        ht.EVAL,
    )
}

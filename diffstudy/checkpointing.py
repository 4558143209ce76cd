"""``ds.checkpoint`` and ``ds.loop``: reverse mode's memory traded for recomputation (see
:mod:`diffstudy.engine.checkpoint`), with the function API's rule that a float which overflows on
the way is an error, also on the tapes the backward sweep records again."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from . import api
from .engine import checkpoint as engine


def checkpoint(fn: Callable[..., Any]) -> Callable[..., Any]:
    """``fn``, checkpointed, as ``jax.checkpoint``: differentiated by reverse mode, the tape keeps
    only its inputs and outputs, and the backward sweep runs it again to pull the adjoints back.

    fn runs twice, so it must be a function of its arguments alone: what it prints is printed
    twice, and a result that differs the second time (a global it changes, a random draw) is an
    error, never a wrong gradient. A variable being differentiated that fn reads from a closure
    or a global, not from its arguments, is an error too: pass it in.
    """
    return engine.checkpoint(fn, check=api._check_recorded)


remat = checkpoint  # JAX's other name for it


def loop(
    step: Callable[..., Any],
    init: Any,
    length: int | None = None,
    *,
    xs: Any = None,
    args: Sequence[Any] = (),
    schedule: str | None = None,
    snapshots: int | None = None,
    every: int | None = None,
) -> Any:
    """``length`` steps of ``carry = step(carry, *args)`` from ``init`` (``step(carry, xs[i], *args)``
    with ``xs``), the final carry; reversed by a schedule: ``"all"`` (the plain tape), ``"every"``
    (every k-th state, ``every=k``, k = ⌈√length⌉ by default) or ``"binomial"`` (``snapshots=s``
    states at most, the fewest recomputations: Griewank and Walther's revolve). Giving
    ``snapshots`` or ``every`` chooses its schedule. See :func:`diffstudy.engine.checkpoint.loop`.
    """
    return engine.loop(
        step, init, length, xs=xs, args=args, schedule=schedule, snapshots=snapshots, every=every,
        check=api._check_recorded,
    )  # fmt: skip

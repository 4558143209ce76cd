"""Points where a primitive is not differentiable (|x| at 0, max(x, y) where x = y), noted as met.

At a kink every method gives the same number, the average of the one-sided derivatives (½ to
each argument of a tied max, 0 for |x| at 0; sympy's Heaviside(0) = ½ and sign(0) = 0 agree),
and says so: a rule that meets a kink notes it here, and whoever differentiates collects the
notes with :func:`collecting` and reports them beside the number.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_notes: ContextVar[list[str] | None] = ContextVar("kink_notes", default=None)


def note(message: str) -> None:
    """Record that a rule met a kink; ignored when nobody is collecting."""
    notes = _notes.get()
    if notes is not None and message not in notes:
        notes.append(message)


@contextmanager
def collecting() -> Iterator[list[str]]:
    """Collect the kinks met in the body, in the order first met."""
    notes: list[str] = []
    token = _notes.set(notes)
    try:
        yield notes
    finally:
        _notes.reset(token)

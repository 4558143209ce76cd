"""The derivative written out as code, as ``python -m diffstudy code`` prints it."""

from __future__ import annotations

from ..studies.written import DerivativeCode


def to_text(code: DerivativeCode) -> str:
    """Each block under its title as a comment, then the notes, numbered."""
    parts = []
    for title, source in code.blocks:
        parts.append(f"# {title}\n{source}")
    text = "\n".join(parts)
    if code.notes:
        text += "\n" + "\n".join(f"# [{i}] {note}" for i, note in enumerate(code.notes, 1))
    return text.rstrip("\n")

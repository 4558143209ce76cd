"""The derivative written out as code, as ``python -m diffstudy code`` prints it."""

from __future__ import annotations

from ..studies.written import DerivativeCode

NAMES = (
    "# _u0 is the seed, the output's adjoint ∂f/∂f: 1 for a gradient, a weight for a vector-Jacobian product.\n"
    "# The code calls diffstudy's primitives by their registry's names (pow, div, sin, …; diffstudy.fn\n"
    "# has the functions among them; ops.<name> an array operation), Fraction, and the program's\n"
    "# constants (_c…: an array f reads, such as data, or its transpose; _params: an operation's\n"
    "# settings). Where an array rule looks at values (tanh's stable one), the code calls the\n"
    "# operation's linear map: _pull(ḡ, _tanh.partial(…), g) adds its transpose applied to g to ḡ.\n"
    "# ds.jit(…) runs a shorter form of this code that gives the same numbers to the bit\n"
    "# (its .source): an intermediate adjoint in a register _a0, _a1, …; a gradient's numpy code without\n"
    "# the products by its seed of 1, each array deleted after its last read, and a long vector's\n"
    "# operation written into an argument's array nothing reads after (np.multiply(a, b, out=a))."
)


def to_text(code: DerivativeCode) -> str:
    """A line on the names the code uses, each block under its title as a comment, then the notes."""
    parts = [NAMES]
    for title, source in code.blocks:
        parts.append(f"# {title}\n{source}")
    text = "\n".join(parts)
    if code.notes:
        text += "\n" + "\n".join(f"# [{i}] {note}" for i, note in enumerate(code.notes, 1))
    return text.rstrip("\n")

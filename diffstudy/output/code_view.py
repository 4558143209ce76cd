"""The derivative written out as code, as ``python -m diffstudy code`` prints it."""

from __future__ import annotations

from ..studies.written import DerivativeCode

NAMES = (
    "# _u0 is the seed, the output's adjoint ∂f/∂f: 1 for a gradient, a weight for a vector-Jacobian\n"
    "# product. The code calls diffstudy's primitives by their registry's names (pow, div, sin, …;\n"
    "# diffstudy.fn has the functions among them; ops.<name> an array operation), Fraction, and the\n"
    "# program's constants (_c…: an array f reads, such as data, or its transpose; _params: an\n"
    "# operation's settings). Where an array rule looks at values (tanh's stable one), the code calls\n"
    "# the operation's linear map: _pull(ḡ, _tanh.partial(…), g) adds its transpose applied to g to ḡ.\n"
    "# ds.jit(…) runs a shorter form of this code that gives the same numbers to the bit\n"
    "# (its .source): an intermediate adjoint in a register _a0, _a1, …; a gradient without the\n"
    "# products by its seed of 1; in numpy code each array deleted after its last read, and a long\n"
    "# vector's operation written into an argument's array nothing reads after (np.multiply(a, b,\n"
    "# out=a)); in scalar code of 2,000 operations or more, a loop written as a loop; in long\n"
    "# scalar code, the inputs read from one tuple, _inputs[i], and their adjoints put into a list."
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

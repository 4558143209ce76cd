"""The derivative written out as code, as ``python -m diffstudy code`` prints it."""

from __future__ import annotations

import textwrap

from ..studies.written import DerivativeCode

SEED = {
    "reverse": "_u0 is the seed, the output's adjoint ∂f/∂f: 1 for a gradient, a weight for a vector-Jacobian product.",
    "forward": "x_dot, … are the inputs' tangents: each name_dot is the derivative along them.",
}
CALLS = (
    "The code calls diffstudy's primitives by their registry's names (pow, div, sin, …; diffstudy.fn has "
    "the functions among them) and Fraction."
)
ARRAY_NAMES = (  # (what the listing shows, what it is)
    ("ops.", "ops.<name> is an array operation"),
    ("_c", "_c… is an array f reads (such as data, or its transpose)"),
    ("_params", "_params is an operation's settings"),
    ("_scaled(", "_scaled(_d_tanh(x, out), g) is a rule that looks at values (tanh's stable one), called by "
     "name, times g"),
    ("_pull(", "_pull(ḡ, _max.partial(…), g) adds the transpose of an operation's linear map applied to g to ḡ"),
    ("_or_zero(", "_or_zero(t, x) is t, or 0 in x's type where a kink's side not taken gave no term"),
    ("_push(", "_push(ṫ, _max.partial(…), t) adds the linear map applied to a tangent t to ṫ"),
)  # fmt: skip
JIT = {
    "reverse": (
        "ds.jit(…) runs a shorter form of this code that gives the same numbers to the bit (its .source): an "
        "intermediate adjoint in a register _a0, _a1, …; a gradient without the products by its seed of 1; in "
        "numpy code each array deleted after its last read, and a long vector's operation written into an "
        "argument's array nothing reads after (np.multiply(a, b, out=a)); in scalar code of 2,000 operations or "
        "more, a loop written as a loop; in long scalar code, the inputs read from one sequence, _inputs[i], and "
        "their adjoints put into a list."
    ),
    "forward": "ds.jit(ds.jacfwd(…)) runs this code, one pass per input entry (its .source).",
}


def header(code: DerivativeCode) -> str:
    """What the names in the code stand for (those it uses) and what the comments after its lines
    are: comment lines of at most 99 columns."""
    names = [SEED[code.mode], CALLS]
    listing = "\n".join(source for _, source in code.blocks)
    used = [said for shown, said in ARRAY_NAMES if shown in listing]
    if used:
        names.append("In numpy code, " + "; ".join(used) + ".")
    if code.values is not None:
        names.append(f"The comment after a line is the number, or short array, it gives at the point ({code.values}).")
    return _comment(" ".join(names))


def _comment(text: str) -> str:
    return textwrap.fill(text, width=99, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def to_text(code: DerivativeCode) -> str:
    """A header on the names the code uses, each block under its title as a comment, then the notes
    and how the code ds.jit runs differs."""
    parts = [header(code)]
    for title, source in code.blocks:
        parts.append(f"# {title}\n{source}")
    text = "\n".join(parts)
    if code.notes:
        text += "\n" + "\n".join(_comment(f"Note: {note.rstrip('.')}.") for note in code.notes)
    return text.rstrip("\n") + "\n\n" + _comment(JIT[code.mode])

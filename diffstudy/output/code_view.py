"""The derivative written out as code, as ``python -m diffstudy code`` prints it."""

from __future__ import annotations

import io
import textwrap
import tokenize

from ..studies.written import DerivativeCode

WIDTH = 99

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


def _comment(text: str, indent: str = "") -> str:
    return textwrap.fill(
        text, width=WIDTH, initial_indent=indent + "# ", subsequent_indent=indent + "# ", break_on_hyphens=False
    )


def wrapped(source: str, width: int = WIDTH) -> str:
    """``source`` with each line longer than ``width`` broken inside its brackets, after a comma
    or before a + or −, its next lines indented under it (the same program: Python joins lines
    inside brackets); a comment line broken between words. A line that cannot be broken so stays
    as it is."""
    lines: list[str] = []
    for line in source.split("\n"):
        if len(line) <= width:
            lines.append(line)
        elif line.lstrip().startswith("#"):
            indent = line[: len(line) - len(line.lstrip())]
            lines.append(_comment(line.lstrip()[1:].strip(), indent))
        else:
            lines.extend(_broken(line, width))
    return "\n".join(lines)


def _broken(line: str, width: int) -> list[str]:
    """A statement broken into lines of at most ``width`` where it can be (see :func:`wrapped`):
    at the outermost brackets first, and after a comma before a + or −, so that a line holds whole
    arguments, or whole terms."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line + "\n").readline))
    except (tokenize.TokenError, SyntaxError):
        return [line]
    comment = next((t for t in tokens if t.type == tokenize.COMMENT), None)
    code = line[: comment.start[1]].rstrip() if comment else line
    breaks: list[tuple[int, tuple[int, int]]] = []  # (the column a new line may start at, its rank)
    depth, previous = 0, None
    for token, after in zip(tokens, tokens[1:]):
        kind, text = token.type, token.string
        if kind == tokenize.OP and text in "([{":
            depth += 1
        elif kind == tokenize.OP and text in ")]}":
            depth -= 1
        elif depth and kind == tokenize.OP and text == "," and after.string not in ")]}":
            breaks.append((token.end[1], (depth, 0)))
        elif depth and kind == tokenize.OP and text in "+-" and _after_an_operand(previous):  # (not a sign)
            breaks.append((token.start[1], (depth, 1)))
        if kind not in (tokenize.NL, tokenize.NEWLINE, tokenize.COMMENT):
            previous = token
    # under the statement, or further in under one that opens a block (a def's parameters)
    indent = " " * (len(line) - len(line.lstrip()) + (8 if code.endswith(":") else 4))
    pieces, start = [], 0
    while len(code) - start + (len(indent) if pieces else 0) > width:
        limit = start + width - (len(indent) if pieces else 0)
        fitting = [(column, rank) for column, rank in breaks if start < column <= limit and code[start:column].strip()]
        if not fitting:
            break
        best = min(rank for _, rank in fitting)
        column = max(column for column, rank in fitting if rank == best)
        pieces.append(code[start:column].rstrip())
        start = column
    if not pieces:
        return [line]
    pieces.append(code[start:])
    result = [pieces[0]] + [indent + piece.lstrip() for piece in pieces[1:]]
    if comment:
        result[-1] += "  " + comment.string
    return result


def _after_an_operand(token: tokenize.TokenInfo | None) -> bool:
    return token is not None and (token.type in (tokenize.NAME, tokenize.NUMBER) or token.string in ")]}")


def to_text(code: DerivativeCode) -> str:
    """A header on the names the code uses, each block under its title as a comment, then the notes
    and how the code ds.jit runs differs."""
    parts = [header(code)]
    for title, source in code.blocks:
        parts.append(f"{_comment(title)}\n{wrapped(source)}")
    text = "\n".join(parts)
    if code.notes:
        text += "\n" + "\n".join(_comment(f"Note: {note.rstrip('.')}.") for note in code.notes)
    return text.rstrip("\n") + "\n\n" + _comment(JIT[code.mode])

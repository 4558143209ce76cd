"""The fourth method: the derivative written out as code, from one recording of f.

Reverse mode interprets: every operation of every call pays Python's operator overloading, the
tape and the rule lookups. Source transformation (Tapenade, Google's Tangent) and trace-then-
compile (JAX's ``jit``) instead write the derivative as a program. This module does the second:
it records f once at a point on reverse mode's tape (:func:`trace`), then writes Python source
(:func:`write`) — f's operations in the order recorded, then the adjoint of each in reverse order
(``mode="reverse"``), or the tangent of each alongside (``mode="forward"``) — and compiles it
with Python's own ``compile`` (:func:`build`).

Nothing of the derivative is written twice. A primitive's value and each local partial come from
its registry entry: a structural partial (±1 for add, sub; the other argument for mul) is
written as such, and any other rule is called on :class:`.code.Code` arguments, so that what it
does is written down (``cos(x)``, ``3 * power(x, 2)``); a rule that must look at a value (the
stable forms of tanh', atan') is called by name. An array operation's value and its
vector-Jacobian product go through the same array primitive and linear map the tape uses. So
the code computes the tape's numbers to the last bit, runs on any number type (exact inputs stay
exact, counting numbers count its arithmetic), and can itself be differentiated.

A recording follows one path. Every comparison the program made is written into the code as a
check (ADOL-C's "branch switch"): at a point where one decides otherwise the code raises
:class:`PathChanged`, and whoever called it traces again, never differentiating the other path
with this one's code.
"""

from __future__ import annotations

import keyword
import linecache
import math
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count
from typing import Any

import numpy as np

from ..errors import DiffstudyError, DomainError
from . import array_primitives, reverse
from .active import constant_like
from .code import literal, written
from .levels import plain
from .primitives import REGISTRY, Argument, Unit, divide, power
from .trees import outputs_of

LIMIT = 200_000  # operations beyond which a program is not written out (its source would be too large)


class PathChanged(DiffstudyError):
    """The code was written for another path: a comparison the recording made decides otherwise here."""


class TooLarge(DiffstudyError):
    """The program has more operations than :data:`LIMIT`: written out, it would not be readable or quick to compile."""


@dataclass(frozen=True)
class Guard:
    """One comparison the program made while recorded: after entry ``after``, ``left symbol right``
    gave ``result`` (a boolean, or an array of them)."""

    after: int
    symbol: str
    left: Any
    right: Any
    result: Any


@dataclass
class Script:
    """One recording of f, with what writing it out needs: each entry's name and the line of the
    program that made it, and the comparisons made on the way."""

    recording: reverse.Recording
    inputs: list[str]
    names: list[str]
    lines: list[tuple[str, int] | None]
    guards: list[Guard]

    @property
    def size(self) -> int:
        """The operations recorded (the entries beyond the inputs)."""
        return len(self.recording.tape) - self.recording.n_inputs


class _Watcher:
    """Told of each comparison by the tape, and of each line by Python's tracer: what a script keeps."""

    def __init__(self, tape: reverse.Tape, files: set[str]) -> None:
        self.tape, self.files = tape, files
        self.guards: list[Guard] = []
        self.lines: list[tuple[str, int] | None] = []
        self.line: tuple[str, int] | None = None
        self.bound: dict[int, str] = {}  # entry → the first local name it was bound to

    def compared(self, symbol: str, left: Any, right: Any, result: Any) -> None:
        self.guards.append(Guard(len(self.tape) - 1, symbol, left, right, result))

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename not in self.files:
            return None
        if event in ("line", "return"):
            self._name_locals(frame)
            self.line = (frame.f_code.co_filename, frame.f_lineno)
        return self.trace

    def _name_locals(self, frame: Any) -> None:
        for name, value in frame.f_locals.items():
            if isinstance(value, (reverse.Var, reverse.VarArray)) and value.tape is self.tape:
                self.bound.setdefault(value.index, name)


class _ScriptTape(reverse.Tape):
    """A tape that notes the program's line beside each entry as it is made."""

    __slots__ = ()

    def append(self, entry: tuple) -> None:
        self.observer.lines.append(self.observer.line)
        super().append(entry)


def trace(
    f: Callable[..., Any], point: Sequence[Any], inputs: Sequence[str], program: Callable[..., Any] | None = None
) -> Script:
    """Record ``f`` at ``point`` on the tape, with the comparisons it made, the line that made each
    entry and the local name each entry was first bound to, read from the frames of ``program``'s
    file (f's own by default; the user's function where f is a wrapper around it)."""
    tape = _ScriptTape([(None, v, None, None, None, None) for v in point])
    watcher = _Watcher(tape, {_file_of(program or f)})
    watcher.lines.extend([None] * len(point))
    tape.observer = watcher
    kinds = [reverse.VarArray if np.ndim(v) else reverse.Var for v in point]
    variables = [kind(v, i, tape) for i, (kind, v) in enumerate(zip(kinds, point))]
    previous = sys.gettrace()
    sys.settrace(watcher.trace)
    try:
        outputs = outputs_of(f(*variables))
    finally:
        sys.settrace(previous)
        tape.observer = None
        tape.__class__ = reverse.Tape  # the recording is an ordinary tape from here on
    recording = reverse.Recording(tape, len(point), outputs)
    names = _names(tape, list(inputs), watcher.bound)
    return Script(recording, list(inputs), names, watcher.lines, watcher.guards)


def _file_of(f: Callable[..., Any]) -> str:
    code = getattr(f, "__code__", None) or getattr(type(f).__call__, "__code__", None)
    return code.co_filename if code is not None else ""


_RESERVED = {"Fraction", "np", "power", "divide", "PathChanged"} | {p.name for p in REGISTRY}


def _names(tape: reverse.Tape, inputs: list[str], bound: dict[int, str]) -> list[str]:
    """A name per entry: the inputs' own, then the program's local name where one was bound
    (x, x_2, x_3 for a name rebound in a loop), else v<entry>."""
    taken: dict[str, int] = {}
    names = []
    for k in range(len(tape)):
        base = inputs[k] if k < len(inputs) else bound.get(k, f"v{k}")
        base = _identifier(base)
        taken[base] = taken.get(base, 0) + 1
        names.append(base if taken[base] == 1 else f"{base}_{taken[base]}")
    return names


def _identifier(name: str) -> str:
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "v"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned) or cleaned in _RESERVED or cleaned.startswith("_"):
        cleaned = "v_" + cleaned
    if cleaned.endswith(("_bar", "_dot")):  # the adjoints' and tangents' names
        cleaned += "_"
    return cleaned


# ---------------------------------------------------------------- writing


@dataclass
class Source:
    """Python source for one function and the names it refers to."""

    text: str
    namespace: dict[str, Any] = field(default_factory=dict)
    function: str = "generated"


class _Writer:
    """Writes the lines of one generated function, naming the constants and rules it refers to."""

    def __init__(self, script: Script) -> None:
        self.script = script
        self.tape = script.recording.tape
        self.names = script.names
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {p.name: p.evaluate for p in REGISTRY}
        self.namespace.update(Fraction=Fraction, np=np, power=power, divide=divide, PathChanged=PathChanged)
        self.namespace.update(_apply=array_primitives.apply, _pull=array_primitives.pull, _push=array_primitives.push)
        self.namespace.update(_finite=_finite, _zero=_zero, _same=_same)
        self._counter = count()
        self._by_id: dict[int, str] = {}

    def constant(self, x: Any, hint: str = "c") -> str:
        """A constant the code refers to by name (an array, a rule, a number of an outer
        differentiation), ``_<hint>`` or ``_<hint>_<n>``."""
        name = self._by_id.get(id(x))
        if name is None:
            name = f"_{hint}"
            while name in self.namespace:
                name = f"_{hint}_{next(self._counter)}"
            self._by_id[id(x)] = name
            self.namespace[name] = x
        return name

    def value(self, x: Any) -> str:
        """A constant argument as source."""
        return literal(x, self.constant)

    def emit(self, line: str, indent: int = 1) -> None:
        self.lines.append("    " * indent + line)

    # -- the forward sweep: f's operations in the order recorded

    def operands(self, k: int) -> tuple[list[str], list[Any]]:
        """Entry k's arguments as source (a variable's name, a constant's literal), and for each the
        constant itself (None for a variable)."""
        entry = self.tape[k]
        if entry.__class__ is reverse.ArrayEntry:
            texts, given = [], []
            for operand, constant in zip(entry.operands, entry.constants):
                if isinstance(operand, int):
                    texts.append(self.names[operand])
                    given.append(None)
                else:
                    texts.append(self.value(constant))
                    given.append(constant)
            return texts, given
        _, _, first, first_partial, second, second_partial = entry
        arity = entry[0].arity
        texts, given = [], []
        for index, partial in ((first, first_partial), (second, second_partial))[:arity]:
            texts.append(self.names[index] if index is not None else self.value(partial))
            given.append(None if index is not None else partial)
        return texts, given

    def primal(self, k: int) -> str:
        """The line that computes entry k."""
        entry = self.tape[k]
        texts, _ = self.operands(k)
        if entry.__class__ is reverse.ArrayEntry:
            primitive = self.constant(entry.primitive, entry.primitive.name)
            params = self.constant(entry.params, "params")
            return f"{self.names[k]} = _apply({primitive}, ({', '.join(texts)},), {params})"
        primitive = entry[0]
        infix = {"add": "+", "sub": "-", "mul": "*"}.get(primitive.name)
        if infix:
            return f"{self.names[k]} = {texts[0]} {infix} {texts[1]}"
        if primitive.name == "neg":
            return f"{self.names[k]} = -{texts[0]}"
        return f"{self.names[k]} = {primitive.name}({', '.join(texts)})"

    def guard(self, guard: Guard) -> None:
        """A check that the comparison decides as recorded, else PathChanged."""
        left, right = self.side(guard.left), self.side(guard.right)
        test = f"{left} {guard.symbol} {right}"
        if isinstance(guard.result, np.ndarray):
            self.emit(f"if not _same({test}, {self.constant(guard.result)}):")
        else:
            self.emit(f"if {'not ' if guard.result else ''}({test}):")
        where = _where(self.script.lines[guard.after]) if guard.after < len(self.script.lines) else ""
        self.emit(f"raise PathChanged({f'{test} decides otherwise than when recorded{where}'!r})", 2)

    def side(self, x: Any) -> str:
        if isinstance(x, (reverse.Var, reverse.VarArray)) and x.tape is self.tape:
            return self.names[x.index]
        return self.value(plain(x) if isinstance(x, (reverse.Var, reverse.VarArray)) else x)

    def forward_sweep(self) -> None:
        """f's operations in order, each block under the line of the program that made it, with
        the path's checks where the comparisons were made."""
        n = self.script.recording.n_inputs
        guards = sorted(self.script.guards, key=lambda g: g.after)
        next_guard = 0
        while next_guard < len(guards) and guards[next_guard].after < n:
            self.guard(guards[next_guard])
            next_guard += 1
        shown = None
        for k in range(n, len(self.tape)):
            line = self.script.lines[k] if k < len(self.script.lines) else None
            if line is not None and line != shown:
                self.emit(f"# {_source_line(line)}")
                shown = line
            self.emit(self.primal(k))
            while next_guard < len(guards) and guards[next_guard].after == k:
                self.guard(guards[next_guard])
                next_guard += 1

    # -- the local partials, written from the registry's rules

    def partial(self, k: int, position: int) -> str:
        """∂(entry k)/∂(its argument at ``position``) as source."""
        entry = self.tape[k]
        primitive = entry[0]
        rule = primitive.partials[position]
        texts, given = self.operands(k)
        if isinstance(rule, Argument):
            return texts[rule.position]
        text = written(rule, [*texts, self.names[k]], self.constant, [*given, None])
        if text is not None:
            return text
        name = self.constant(rule, f"d_{primitive.name}" + ("" if primitive.arity == 1 else f"_{position}"))
        return f"{name}({', '.join([*texts, self.names[k]])})"

    def check_finite(self, names: Sequence[str] | None = None) -> None:
        """One check that no float of the forward sweep (or of ``names``) overflowed: an inf that a
        later division hides would otherwise go unseen, as in compare."""
        if names is None:
            n = self.script.recording.n_inputs
            # Only numbers: an array operation raises on an overflow itself (numpy's errstate).
            names = [name for k, name in enumerate(self.names) if k >= n and self.tape[k].__class__ is tuple]
        for start in range(0, len(names), 200):
            self.emit(f"_finite({', '.join(names[start : start + 200])},)")


def _where(line: tuple[str, int] | None) -> str:
    return "" if line is None else f" ({os.path.basename(line[0])}, line {line[1]})"


def _source_line(line: tuple[str, int]) -> str:
    text = linecache.getline(line[0], line[1]).strip()
    return f"{os.path.basename(line[0])}:{line[1]}: {text}" if text else f"{os.path.basename(line[0])}:{line[1]}"


def _finite(*values: float) -> None:
    """Raise where a float among ``values`` is inf or nan (an overflow on the way): one sum, as
    inf or nan anywhere makes the sum inf or nan. Written only into code for float inputs."""
    total = sum(values)
    if total - total != 0:
        bad = next(v for v in values if not math.isfinite(v))
        raise DomainError(f"a float of the generated code is {bad}: it overflowed on the way")


def _zero(x: Any) -> Any:
    return constant_like(x, 0)


def _same(computed: Any, recorded: Any) -> bool:
    return bool(np.array_equal(np.asarray(plain(computed)), recorded))


def _live(script: Script, seeds: Sequence[int]) -> list[bool]:
    """Which entries some output depends on (those the backward sweep visits)."""
    tape = script.recording.tape
    live = [False] * len(tape)
    for k in seeds:
        live[k] = True
    for k in range(len(tape) - 1, -1, -1):
        if live[k]:
            for index, _ in reverse.arguments_of(reverse.entry_at(tape, k)):
                live[index] = True
    return live


def write(script: Script, mode: str = "reverse", name: str = "generated", check_floats: bool = True) -> Source:
    """The source of f and its derivative: ``mode`` "value" writes ``name(*inputs)`` → (outputs, ())
    alone; "reverse" writes ``name(*inputs, *seeds)`` →
    (outputs, the seeds' weighted gradient by each input), the adjoint code of reverse mode;
    "forward" writes ``name(*inputs, *tangents)`` → (outputs, their tangents), forward mode's.
    With ``check_floats`` the code checks once that no float of f overflowed on the way (for
    float inputs; counting numbers check each operation themselves).

    Raises:
        TooLarge: more operations than :data:`LIMIT`.
    """
    if script.size > LIMIT:
        raise TooLarge(
            f"{script.size:,} operations are too many to write out (the limit is {LIMIT:,}): the tape is used"
        )
    writer = _Writer(script)
    recording = script.recording
    outputs = recording.outputs
    n = recording.n_inputs
    extra = {
        "reverse": [f"_u{j}" for j in range(len(outputs))],
        "forward": [f"{x}_dot" for x in script.names[:n]],
        "value": [],
    }[mode]
    writer.emit(f"def {name}({', '.join([*script.names[:n], *extra])}):", 0)
    doc = {"reverse": "f and the adjoints of its inputs", "forward": "f and its tangents", "value": "f"}[mode]
    writer.emit(f'"""{doc}."""')
    writer.forward_sweep()
    if check_floats:
        writer.check_finite()
    results = [writer.side(out) for out in outputs]
    if mode == "value":
        writer.emit(f"return ({', '.join(results)},), ()")
    elif mode == "reverse":
        adjoints = _backward(writer, script, [f"_u{j}" for j in range(len(outputs))])
        if check_floats:
            scalars = [
                a for a, entry in zip(adjoints, recording.tape[:n]) if a.endswith("_bar") and not np.ndim(entry[1])
            ]
            writer.check_finite(scalars)
        writer.emit(f"return ({', '.join(results)},), ({', '.join(adjoints)},)")
    else:
        tangents = _tangents(writer, script)
        writer.emit(f"return ({', '.join(results)},), ({', '.join(tangents)},)")
    return Source("\n".join(writer.lines) + "\n", writer.namespace, name)


def _backward(writer: _Writer, script: Script, seeds: list[str]) -> list[str]:
    """The adjoint code: each output seeded, then every live entry in reverse order adds
    partial × adjoint into its arguments' adjoints, as the tape's backward sweep does."""
    tape, names = script.recording.tape, script.names
    adjoint: dict[int, str] = {}
    seeded = []
    for out, seed in zip(script.recording.outputs, seeds):
        if script.recording.on_tape(out):
            k = out.index
            if k in adjoint:
                writer.emit(f"{adjoint[k]} = {adjoint[k]} + {seed}")
            else:
                adjoint[k] = f"{names[k]}_bar"
                writer.emit(f"{adjoint[k]} = {seed}")
            seeded.append(k)
    live = _live(script, seeded)
    writer.emit("# the backward sweep, in reverse order")
    n = script.recording.n_inputs
    for k in range(len(tape) - 1, n - 1, -1):
        if k not in adjoint or not live[k]:
            continue
        g = adjoint[k]
        entry = tape[k]
        if entry.__class__ is reverse.ArrayEntry:
            for position, (index, _) in zip(_variable_positions(entry), entry.arguments):
                texts, _ = writer.operands(k)
                linear_map = (
                    f"{writer.constant(entry.primitive, entry.primitive.name)}.partial({position}, "
                    f"({', '.join(texts)},), {names[k]}, {writer.constant(entry.params, 'params')})"
                )
                total = adjoint.get(index, "None")
                adjoint.setdefault(index, f"{names[index]}_bar")
                writer.emit(f"{adjoint[index]} = _pull({total}, {linear_map}, {g})")
            continue
        _, _, first, _, second, _ = entry
        for position, index in enumerate((first, second)[: entry[0].arity]):
            if index is None:
                continue
            rule = entry[0].partials[position]
            exists = index in adjoint
            target = adjoint.setdefault(index, f"{names[index]}_bar")
            if rule.__class__ is Unit:
                if rule.sign == 1:
                    writer.emit(f"{target} = {target} + {g}" if exists else f"{target} = {g}")
                elif rule.sign == -1:
                    writer.emit(f"{target} = {target} - {g}" if exists else f"{target} = -{g}")
                elif not exists:
                    del adjoint[index]
                continue
            term = f"{writer.partial(k, position)} * {g}"
            writer.emit(f"{target} = {target} + {term}" if exists else f"{target} = {term}")
    return [adjoint.get(i, f"_zero({names[i]})") for i in range(n)]


def _variable_positions(entry: reverse.ArrayEntry) -> list[int]:
    return [p for p, operand in enumerate(entry.operands) if isinstance(operand, int)]


def _tangents(writer: _Writer, script: Script) -> list[str]:
    """The tangent code: each entry's tangent Σ partial × argument's tangent, in recording order,
    as forward mode pushes it (None where no input reaches: no arithmetic is spent on it)."""
    tape, names = script.recording.tape, script.names
    n = script.recording.n_inputs
    tangent: dict[int, str] = {i: f"{names[i]}_dot" for i in range(n)}
    writer.emit("# the tangents, in recording order")
    for k in range(n, len(tape)):
        entry = tape[k]
        pieces: list[tuple[str, bool]] = []  # (term, subtract)
        if entry.__class__ is reverse.ArrayEntry:
            texts, _ = writer.operands(k)
            total = "None"
            for position, (index, _) in zip(_variable_positions(entry), entry.arguments):
                if index not in tangent:
                    continue
                linear_map = (
                    f"{writer.constant(entry.primitive, entry.primitive.name)}.partial({position}, "
                    f"({', '.join(texts)},), {names[k]}, {writer.constant(entry.params, 'params')})"
                )
                total = f"_push({total}, {linear_map}, {tangent[index]})"
            if total != "None":
                tangent[k] = f"{names[k]}_dot"
                writer.emit(f"{tangent[k]} = {total}")
            continue
        _, _, first, _, second, _ = entry
        for position, index in enumerate((first, second)[: entry[0].arity]):
            if index is None or index not in tangent:
                continue
            rule = entry[0].partials[position]
            if rule.__class__ is Unit:
                if rule.sign:
                    pieces.append((tangent[index], rule.sign < 0))
                continue
            pieces.append((f"{writer.partial(k, position)} * {tangent[index]}", False))
        if not pieces:
            continue
        text = ("-" if pieces[0][1] else "") + pieces[0][0]
        for term, subtract in pieces[1:]:
            text += f" {'-' if subtract else '+'} {term}"
        tangent[k] = f"{names[k]}_dot"
        writer.emit(f"{tangent[k]} = {text}")
    results = []
    for out in script.recording.outputs:
        reached = script.recording.on_tape(out) and out.index in tangent
        results.append(tangent[out.index] if reached else f"_zero({writer.side(out)})")
    return results


_compiled = count(1)


def build(source: Source) -> Callable[..., Any]:
    """Compile ``source`` with Python's own ``compile``; its text is kept where tracebacks and
    ``inspect`` find it."""
    filename = f"<diffstudy generated {next(_compiled)}>"
    linecache.cache[filename] = (len(source.text), None, source.text.splitlines(True), filename)
    namespace = dict(source.namespace)
    exec(compile(source.text, filename, "exec"), namespace)
    return namespace[source.function]

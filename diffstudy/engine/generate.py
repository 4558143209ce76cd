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

import ast
import keyword
import linecache
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from itertools import count
from typing import Any, NamedTuple

import numpy as np

from ..errors import DiffstudyError, DomainError
from . import array_primitives, non_finite, reverse, rolled, unchanged, users_code
from .active import constant_like
from .code import VIEWS, CodeArray, NeedsValue, array_source, index_source, literal, written
from .levels import nested_count, plain
from .primitives import MINUS_ONE, ONE, REGISTRY, Argument, Unit, accumulate, divide, divide_fast, power, power_fast
from .trees import outputs_of

LIMIT = 200_000  # operations beyond which a program is not written out (its source would be too large)


class _Operations:
    """The array operations generated code calls as ``ops.sum(x, axis=(0,), keepdims=False)``:
    each of :data:`.array_primitives.STRUCTURAL`, on any array type, as the tape performs it."""

    def __getattr__(self, name: str) -> Callable[..., Any]:
        primitive = array_primitives.STRUCTURAL[name]

        def operation(*args: Any, **params: Any) -> Any:
            return array_primitives.apply(primitive, args, params)

        operation.__name__ = name
        setattr(self, name, operation)
        return operation


OPS = _Operations()


class Term(NamedTuple):
    """A linear map's product, written: its source (None where there is nothing to add), whether
    it is to be subtracted, whether it is a new array nothing else holds, whether it is all ones,
    and whether the map adds no two numbers (it permutes, reshapes or multiplies them), so that it
    gives −g the negation of g's product to the bit: a sum of numbers of both signs that cancel is
    +0 either way, −0 after the negation of the sum."""

    text: str | None
    negative: bool
    fresh: bool = False
    ones: bool = False
    adds_nothing: bool = False


class PathChanged(DiffstudyError):
    """The code was written for another path: a comparison the recording made decides otherwise here."""


class TooLarge(DiffstudyError):
    """The program has more operations than :data:`LIMIT`: written out, it would not be readable or quick to compile."""


DECIDES = "decides"  # a guard's symbol for a choice made by a rule (its right side) on a value


@dataclass(frozen=True)
class Guard:
    """One comparison the program made while recorded: after entry ``after``, ``left symbol right``
    gave ``result`` (a boolean, or an array of them), on the program's ``line`` where known."""

    after: int
    symbol: str
    left: Any
    right: Any
    result: Any
    line: tuple[str, int] | None = None


@dataclass
class Script:
    """One recording of f, with what writing it out needs: each entry's name and the line of the
    program that made it, and the comparisons made on the way."""

    recording: reverse.Recording
    inputs: list[str]
    names: list[str]
    lines: list[tuple[str, int] | None]
    guards: list[Guard]
    unfollowable: str | None = None  # why the recording's path cannot be checked at another point
    arrays: dict[int, tuple[str, np.ndarray]] = field(default_factory=dict)  # id → a global array's name, and it

    @property
    def size(self) -> int:
        """The operations recorded (the entries beyond the inputs)."""
        return len(self.recording.tape) - self.recording.n_inputs


class _Watcher:
    """Told of each comparison by the tape, and of each line by Python's tracer: what a script keeps."""

    def __init__(self, tape: reverse.Tape, files: set[str], module: dict[str, Any] | None = None) -> None:
        self.tape, self.files = tape, files
        self.module = module  # where the program's file is no file (<string>): its globals, which its frames share
        self.guards: list[Guard] = []
        self.lines: list[tuple[str, int] | None] = []
        self.line: tuple[str, int] | None = None
        self.bound: dict[int, str] = {}  # entry → the first local name it was bound to
        self.caught: str | None = None  # the first exception that reached the program's code
        self.text: str | None = None  # where a number was first turned into text
        self.limit: int | None = None  # the tape's length at which the trace stops (see trace's ``limit``)
        self.arrays: dict[int, tuple[str, np.ndarray]] = {}  # id → a global or closure array's name, and it
        self._scanned: set[int] = set()  # the globals dicts and the closures' code looked through

    def compared(self, symbol: str, left: Any, right: Any, result: Any) -> None:
        self.guards.append(Guard(len(self.tape) - 1, symbol, left, right, result, self.line))

    def read_as_text(self, how: str) -> None:
        """A number of the recording turned into text (str, format, repr, print): the first is kept."""
        if self.text is None:
            self.text = f"{how}{_where(self.line)}"

    def decided(self, rule: Callable[[Any], Any], argument: Any, result: Any) -> None:
        """A choice an operation made from its argument's values (the scaling of a norm): the code
        checks that ``rule(argument)`` gives ``result`` again, as it checks a comparison."""
        self.guards.append(Guard(len(self.tape) - 1, DECIDES, argument, rule, result, self.line))

    def trace(self, frame: Any, event: str, arg: Any) -> Any:
        module = self.module
        if frame.f_code.co_filename not in self.files or (module is not None and frame.f_globals is not module):
            # the user's other files (an exception caught in code not the user's says nothing of f's path)
            if users_code.is_the_users(frame.f_code.co_filename):
                frame.f_trace_lines = False
                return self.exceptions
            return None
        if event in ("line", "return"):
            self._name_locals(frame)
            self.line = (frame.f_code.co_filename, frame.f_lineno)
        elif event == "exception":
            self.exceptions(frame, event, arg)
        elif event == "call":
            self._name_arrays(frame)
        return self.trace

    def _name_arrays(self, frame: Any) -> None:
        """Note the arrays of the program's globals (once per module) and of its closure by name:
        a constant the code refers to is named after the one it is (``_data``), not ``_c``."""
        if id(frame.f_globals) not in self._scanned:
            self._scanned.add(id(frame.f_globals))
            for name, value in list(frame.f_globals.items()):
                if value.__class__ is np.ndarray:
                    self.arrays.setdefault(id(value), (name, value))
        if frame.f_code.co_freevars and id(frame.f_code) not in self._scanned:  # (once a function: f_locals copies)
            self._scanned.add(id(frame.f_code))
            for name in frame.f_code.co_freevars:
                value = frame.f_locals.get(name)
                if value.__class__ is np.ndarray:
                    self.arrays.setdefault(id(value), (name, value))

    def exceptions(self, frame: Any, event: str, arg: Any) -> Any:
        """Note an exception that reaches the program's code: if f goes on, it caught it."""
        if event == "exception" and self.caught is None and not issubclass(arg[0], _ENDING):
            where = f"{os.path.basename(frame.f_code.co_filename)}, line {frame.f_lineno}"
            self.caught = f"{arg[0].__name__} ({where})"
        return self.exceptions

    def _name_locals(self, frame: Any) -> None:
        for name, value in frame.f_locals.items():
            if isinstance(value, (reverse.Var, reverse.VarArray)) and value.tape is self.tape:
                self.bound.setdefault(value.index, name)


class _ScriptTape(reverse.Tape):
    """A tape that notes the program's line beside each entry as it is made."""

    __slots__ = ()

    def append(self, entry: tuple) -> None:
        observer = self.observer
        if observer.limit is not None and len(self) >= observer.limit:  # (stopped early: the tape is the method)
            raise TooLarge(f"more than {LIMIT:,} operations are too many to write out: the tape is used")
        observer.lines.append(observer.line)
        super().append(entry)


DERIVATIVES_ENDINGS = ("_bar", "_dot")  # how the code's adjoints' and tangents' names end (c_bar, c_dot)


def trace(
    f: Callable[..., Any],
    point: Sequence[Any],
    inputs: Sequence[str],
    program: Callable[..., Any] | None = None,
    readable: bool = True,
    endings: tuple[str, ...] = DERIVATIVES_ENDINGS,
    limit: bool = False,
) -> Script:
    """Record ``f`` at ``point`` on the tape, with the comparisons it made; with ``readable``
    also the line that made each entry and the local name each entry was first bound to, read
    from the frames of ``program``'s file (f's own by default; the user's function where f is a
    wrapper around it) by Python's tracer, which costs most of the recording's time. No name
    ends as the code's derivatives' names end (``endings``: a program's c_bar is named c_bar_,
    which c's adjoint c_bar cannot be; tangent code alone can leave it as it is). With ``limit``
    the recording stops once it holds more than :data:`LIMIT` operations, where :func:`write`
    would refuse it: a program of a million operations is not recorded in full first.

    Raises:
        TooLarge: with ``limit``, more operations than :data:`LIMIT`.
    """
    tape = (_ScriptTape if readable else reverse.Tape)([(None, v, None, None, None, None) for v in point])
    file = _file_of(program or f)
    # code exec'd from a string shares its file name, <string>, with code other modules made so
    # (a dataclass's __init__): the program's frames are told apart by their globals
    module = getattr(program or f, "__globals__", None) if file.startswith("<") else None
    watcher = _Watcher(tape, {file}, module)
    watcher.limit = LIMIT + len(point) if limit and readable else None
    watcher.lines.extend([None] * len(point))
    tape.observer = watcher
    tape.keep_all = True  # the code refers to every array f gives an operation, not to a copy
    kinds = [reverse.VarArray if np.ndim(v) else reverse.Var for v in point]
    variables = [kind(v, i, tape) for i, (kind, v) in enumerate(zip(kinds, point))]
    previous = sys.gettrace()
    nested = nested_count()
    if readable:
        sys.settrace(watcher.trace)
    try:
        with unchanged.kept_while(tape.kept):
            unchanged.keep_inputs(tape.kept, point)
            outputs = outputs_of(f(*variables))
    finally:
        if readable:
            sys.settrace(previous)
        tape.observer = None
        tape.__class__ = reverse.Tape  # the recording is an ordinary tape from here on
    recording = reverse.Recording(tape, len(point), outputs)
    names = _names(tape, list(inputs), watcher.bound, endings)
    lines = watcher.lines if readable else [None] * len(tape)
    unfollowable = None
    if nested_count() != nested:
        # An inner ds.grad (or a transform of a transform) decided on its own numbers' values (a
        # sign, a stable rule's branch) where this recording sees no comparison to check.
        unfollowable = "f differentiates inside itself, and the inner rules decide on values no check sees"
    elif watcher.caught is not None:
        unfollowable = f"f caught an exception while traced, {watcher.caught}: its path may depend on it"
    elif watcher.text is not None:
        unfollowable = (
            f"f turned a number into text while traced, by {watcher.text}: what it does with the text "
            "(print it, or decide its path by it) the code cannot check"
        )
    return Script(recording, list(inputs), names, lines, watcher.guards, unfollowable, watcher.arrays)


def _file_of(f: Callable[..., Any]) -> str:
    code = getattr(f, "__code__", None) or getattr(type(f).__call__, "__code__", None)
    return code.co_filename if code is not None else ""


# How a generator or an iteration ends, not an exception a path depends on (next(v for v in …)
# closes its generator with GeneratorExit).
_ENDING = (GeneratorExit, StopIteration, StopAsyncIteration)

_RESERVED = {"Fraction", "np", "power", "divide", "PathChanged"} | {p.name for p in REGISTRY}


def _names(
    tape: reverse.Tape, inputs: list[str], bound: dict[int, str], endings: tuple[str, ...] = DERIVATIVES_ENDINGS
) -> list[str]:
    """A name per entry: the inputs' own, then the program's local name where one was bound
    (x, x_2, x_3 for a name rebound in a loop), else v<entry>."""
    taken: dict[str, int] = {}  # each base name: the last suffix given it
    used: set[str] = set()
    names = []
    n = len(inputs)
    for k in range(len(tape)):
        given = inputs[k] if k < n else bound.get(k)
        if given is None and f"v{k}" not in used:  # most entries: v<entry>, a name of no one else
            name = f"v{k}"
            used.add(name)
            names.append(name)
            continue
        base = _identifier(given if given is not None else f"v{k}", endings)
        name, suffix = base, taken.get(base, 1)
        while name in used:  # the program's own y_2 is not the second y
            suffix += 1
            name = f"{base}_{suffix}"
        taken[base] = suffix
        used.add(name)
        names.append(name)
    return names


def _identifier(name: str, endings: tuple[str, ...] = DERIVATIVES_ENDINGS) -> str:
    if (
        name.isidentifier()
        and name.isascii()
        and not (name[0] == "_" or keyword.iskeyword(name) or name in _RESERVED or name.endswith(endings))
    ):
        return name  # most names (v<entry>, the program's own): checked at C speed
    cleaned = "".join(c if c.isalnum() or c == "_" else "_" for c in name) or "v"
    if cleaned[0].isdigit() or keyword.iskeyword(cleaned) or cleaned in _RESERVED or cleaned.startswith("_"):
        cleaned = "v_" + cleaned
    if cleaned.endswith(endings):  # the adjoints' and tangents' names
        cleaned += "_"
    return cleaned


# ---------------------------------------------------------------- writing


# The line around numpy code that raises numpy's float errors (see float_errors_raised).
RAISING = "with _float_errors_raised():  # np.errstate(over=, invalid=, divide='raise')"
_NOT_STATEMENTS = ("#", '"""', "def ", RAISING)  # a comment, the heading, numpy's errors raised


@dataclass
class Source:
    """Python source for one function and the names it refers to."""

    text: str
    namespace: dict[str, Any] = field(default_factory=dict)
    function: str = "generated"
    derivatives_checked: bool = False  # the code itself raises where an adjoint is inf or nan
    inputs_in_one: int = 0  # n: the function takes its n inputs as one sequence, then its seeds (see INDEXED_FROM)

    @property
    def statements(self) -> int:
        """The lines that compute something: neither the heading, the docstring nor a comment."""
        lines = (line.strip() for line in self.text.splitlines())
        return sum(1 for line in lines if line and not line.startswith(_NOT_STATEMENTS))


class _Writer:
    """Writes the lines of one generated function, naming the constants and rules it refers to."""

    def __init__(self, script: Script, numpy: bool = False, indexed: bool = False, input_bars: bool = False) -> None:
        self.script = script
        self.numpy = numpy  # float arrays only: numpy's own calls, in place where the code owns an array
        self.fresh: set[str] = set()  # adjoint arrays this code made and nothing else refers to
        # An index's adjoint begun as zeros: the line of its np.zeros, the line after its last
        # index term, and which entries are zeros still (see index_term)
        self.zeros: dict[str, list[Any]] = {}
        self.ones: set[str] = set()  # adjoints known to be all ones (a gradient's seed, spread)
        self.tape = script.recording.tape
        self.names = script.names  # with ``indexed`` the inputs read from one sequence (see INDEXED_FROM)
        if indexed:
            n = script.recording.n_inputs
            self.names = [*(f"_inputs[{i}]" for i in range(n)), *script.names[n:]]
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {p.name: p.evaluate for p in REGISTRY}
        self.namespace.update(Fraction=Fraction, np=np, power=power, divide=divide, PathChanged=PathChanged)
        if numpy:  # code for floats: a power and a quotient of floats at C speed (x ** 2 is pow(x, 2))
            self.namespace.update(pow=power_fast, div=divide_fast)
        self.namespace.update(_pull=array_primitives.pull, _pull_into=_pull_into, _scaled=_scaled, _push=_push)
        self.namespace.update(_plus=_plus, ops=OPS)
        self.namespace.update(_finite=_finite, _largest=_largest, _zero=_zero, _same=_same, _or_zero=_or_zero)
        self.namespace.update(_accumulate=_accumulate, _ONE=ONE, _MINUS_ONE=MINUS_ONE)
        self.namespace.update(_float_errors_raised=float_errors_raised)
        self._counter = count()
        self._by_id: dict[int, str] = {}
        self._operands: dict[int, tuple[list[str], list[Any]]] = {}
        self._folded_at, self._folds = -1, 0  # the last line add() folded into, and how many times
        self._entry_of: dict[str, int] | None = None
        self.rolled: list[rolled.Region] = []  # loops written as loops (see engine.rolled)
        self.hidden_sums: list[str] = []  # the sums of a rolled loop's numbers where an overflow could hide
        self.has_input_tuple = False
        self.views: dict[str, str] = {}  # a view of an input, as written: the name that first held it
        # numpy code: an entry by entry product, sum or difference f computed, as written: its name;
        # and an adjoint that is another array passed on, the array (see _Writer.computed_as)
        self.computed: dict[str, str] = {}
        self.passed_on: dict[str, str] = {}
        self.has_input_bars = False
        self.input_bars = input_bars  # the inputs' adjoints are the entries of a list, _input_bars (INDEXED_FROM)
        self.copies: list[str] = []  # lines after a rolled loop naming its last turn's numbers
        self._hidden: list[int] | None = None
        self.reaches: list[bool] | None = None  # the entries that depend on an input differentiated by (reverse mode)

    def constant(self, x: Any, hint: str = "c") -> str:
        """A constant the code refers to by name (an array, a rule, a number of an outer
        differentiation), ``_<hint>`` or ``_<hint>_<n>``."""
        name = self._by_id.get(id(x))
        if name is None:
            if hint == "c" and x.__class__ is np.ndarray:  # (_c_data: no name the code makes begins _c_)
                named = _named_array(self.script.arrays, x)
                hint = f"c_{named}" if named is not None else hint
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

    def index_zeros(self, target: str, shape: tuple[int, ...]) -> None:
        """An index's adjoint begun as zeros (as the tape's scatter begins it)."""
        self.emit(f"{target} = np.zeros({shape!r})")
        self.zeros[target] = [len(self.lines) - 1, len(self.lines), np.ones(shape, bool)]

    def index_term(self, target: str, picked: Any) -> bool:
        """Whether the entries ``picked`` of ``target``, an index's adjoint begun as zeros, are all
        zeros still: the term is then written there (0 + g), not added into them. Once every entry
        is written so before a line of another kind reads the array (see :meth:`index_term_written`),
        its np.zeros is np.empty: zeros cost as much as an operation on a large array."""
        if target not in self.zeros:
            return False
        _, after, left = self.zeros[target]
        read = any(target in _NAME.findall(line) for line in self.lines[after:])  # (each line looked at once)
        zeros = left[picked]
        untouched, some = bool(np.all(zeros)), bool(np.any(zeros))
        if read or (some and not untouched):  # read otherwise, or some entries written: zeros needed
            del self.zeros[target]
            return False
        left[picked] = False
        return untouched

    def index_term_written(self, target: str) -> None:
        """The lines up to here were an index term into ``target`` (see :meth:`index_term`)."""
        if target in self.zeros:
            start, _, left = tracked = self.zeros[target]
            tracked[1] = len(self.lines)
            if not left.any():  # every entry written before anything else read the array
                self.lines[start] = self.lines[start].replace("np.zeros(", "np.empty(", 1)
                del self.zeros[target]

    def add(self, target: str, old: str, operator: str, term: str, fold: bool = False) -> None:
        """``target = old + term`` (or −). With ``fold``, where the line before gave ``target`` its
        number (``_a2 = v24 * _a1``), one line instead (``_a2 = (v24 * _a1) + v24 * _a1``): the
        same operations in the same order, one name fewer to store and load, fewer statements to
        compile (the Rosenbrock loop of 1,000: 7,505 instead of 9,005)."""
        head = f"    {target} = "
        previous = self.lines[-1]
        folds = self._folds if self._folded_at == len(self.lines) - 1 else 0
        if (
            fold
            and old == target
            and previous.startswith(head)
            and folds < _FOLDS
            and target not in _NAME.findall(term)
            and ("[" not in target or target not in term)  # an input's adjoint in a rolled loop's list
        ):
            before = previous[len(head) :]
            self.lines[-1] = f"{head}{before if before.isidentifier() else f'({before})'} {operator} {term}"
            self._folded_at, self._folds = len(self.lines) - 1, folds + 1
        else:
            self.emit(f"{target} = {old} {operator} {term}")

    # -- the forward sweep: f's operations in the order recorded

    def operands(self, k: int) -> tuple[list[str], list[Any]]:
        """Entry k's arguments as source (a variable's name, a constant's literal), and for each the
        constant itself (None for a variable)."""
        known = self._operands.get(k)
        if known is None:
            known = self._operands[k] = self._find_operands(k)
        return known

    def _find_operands(self, k: int) -> tuple[list[str], list[Any]]:
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
            operands = zip(entry.operands, entry.constants)
            shapes = [np.shape(self.tape[o][1] if isinstance(o, int) else c) for o, c in operands]
            numpy = self.numpy and not self.of_numbers(k)
            source = array_source(entry.primitive, texts, entry.params, self.constant, numpy, shapes)
            variables = [o for o in entry.operands if o is not None]
            if entry.primitive.name in VIEWS and variables and max(variables) < self.script.recording.n_inputs:
                # the same view of an input again (x[::2] twice) is the view made before: inputs
                # are never written into, so it holds the same numbers
                first = self.views.setdefault(source, self.names[k])
                source = source if first == self.names[k] else first
            elif self.numpy and _ARITHMETIC.fullmatch(source):
                self.computed.setdefault(source, self.names[k])
            return f"{self.names[k]} = {source}"
        primitive = entry[0]
        infix = {"add": "+", "sub": "-", "mul": "*"}.get(primitive.name)
        if infix:
            return f"{self.names[k]} = {texts[0]} {infix} {texts[1]}"
        if primitive.name == "pow" and self.numpy and texts[1] == "2" and self.of_floats(texts[0]):
            # a float squared: x * x is x ** 2 to the bit (both the correctly rounded square), at a
            # fifth of pow's call; an overflow to inf is found by the checks, as any product's
            return f"{self.names[k]} = {texts[0]} * {texts[0]}"
        if primitive.name == "neg":
            return f"{self.names[k]} = -{texts[0]}"
        return f"{self.names[k]} = {primitive.name}({', '.join(texts)})"

    def computed_as(self, term: str, g: str) -> str | None:
        """The name of f's array that already holds ``term``, the product of an adjoint ``g`` that
        is one of f's arrays passed on (v7 = 100 * a and then v7_bar = a: ``(100 * v7_bar)`` is
        v7), or None. The same operation on the same arrays: the same numbers."""
        held = self.passed_on.get(g)
        if held is None:
            return None
        return self.computed.get(re.sub(rf"\b{re.escape(g)}\b", held, term))

    def guard(self, guard: Guard) -> None:
        """A check that the comparison decides as recorded, else PathChanged."""
        if guard.symbol == DECIDES:
            test = f"{self.constant(guard.right, guard.right.__name__)}({self.side(guard.left)})"
            self.emit(f"if {test} != {self.value(guard.result)}:")
            where = _where(guard.line)
            self.emit(f"raise PathChanged({f'{test} decides otherwise than when recorded{where}'!r})", 2)
            return
        left, right = self.side(guard.left), self.side(guard.right)
        test = f"{left} {guard.symbol} {right}"
        if isinstance(guard.result, np.ndarray):
            self.emit(f"if not _same({test}, {self.constant(guard.result)}):")
        else:
            self.emit(f"if {'not ' if guard.result else ''}({test}):")
        where = _where(guard.line)
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
        shown = None

        def under(line: tuple[str, int] | None) -> None:  # the program's line as a comment, once a block
            nonlocal shown
            if line is not None and line != shown:
                self.emit(f"# {_source_line(line)}")
                shown = line

        while next_guard < len(guards) and guards[next_guard].after < n:
            under(guards[next_guard].line)
            self.guard(guards[next_guard])
            next_guard += 1
        starts = {region.start: region for region in self.rolled}
        k = n - 1
        while k + 1 < len(self.tape):
            k += 1
            region = starts.get(k)
            if region is not None:
                rolled.write_forward(self, self.script, region)
                shown = None
                k = region.end - 1
                continue
            under(self.script.lines[k] if k < len(self.script.lines) else None)
            self.emit(self.primal(k))
            while next_guard < len(guards) and guards[next_guard].after == k:
                under(guards[next_guard].line)  # the comparison's own line (a while's)
                self.guard(guards[next_guard])
                next_guard += 1

    # -- the local partials, written from the registry's rules

    def partial(self, k: int, position: int) -> tuple[str, bool]:
        """∂(entry k)/∂(its argument at ``position``) as source, and whether it is the rule called
        by name (it may give ±1 or 0 as a structural partial, which the code accumulates as the
        tape does)."""
        entry = self.tape[k]
        primitive = entry[0]
        rule = primitive.partials[position]
        texts, given = self.operands(k)
        if isinstance(rule, Argument):
            return texts[rule.position], False
        text = written(rule, [*texts, self.names[k]], self.constant, [*given, None])
        if text is not None:
            # in code for floats, pow(x, 1) is x (x ** 1 gives x itself), without the call
            return (_FIRST_POWER.sub(r"\1", text) if self.numpy else text), False
        name = self.constant(rule, f"d_{primitive.name}" + ("" if primitive.arity == 1 else f"_{position}"))
        return f"{name}({', '.join([*texts, self.names[k]])})", True

    def of_floats(self, text: str) -> bool:
        """Whether ``text`` is a float at every call: it reads numbers of f, each made by an operation
        on a float, which gives a float (not an input, which may be an int inside a list of floats,
        nor a maximum or a sign, which may give its constant: 2, a Fraction)."""
        if self._entry_of is None:
            self._entry_of = {name: k for k, name in enumerate(self.names)}
            self._entry_of["_inputs"] = 0  # (_inputs[3], see INDEXED_FROM): an input
        n = self.script.recording.n_inputs
        read = [self._entry_of[name] for name in _NAME.findall(text) if name in self._entry_of]
        return bool(read) and all(
            k >= n and self.tape[k][1].__class__ is float and self.tape[k][0].name not in _MAY_GIVE_A_CONSTANT
            for k in read
        )

    def of_numbers(self, k: int) -> bool:
        """Whether entry k is an operation entry by entry on numbers, not arrays (np.tanh(np.sum(x))):
        the tape computes it and its partials by the number rule (math.tanh), whose last bit numpy's
        own may not share, so the code calls the rule too."""
        entry = self.tape[k]
        if entry.__class__ is not reverse.ArrayEntry or entry.primitive.scalar is None:
            return False
        if self.reaches is None or not self.reaches[k]:
            return False  # of data not differentiated by only (or not known to be): left to numpy, as f computes it
        values = [self.tape[o][1] if isinstance(o, int) else c for o, c in zip(entry.operands, entry.constants)]
        return not any(v.__class__ is np.ndarray for v in values)

    def code_arguments(self, k: int) -> list[Any]:
        """Entry k's arguments as code arrays (of their recorded shapes) or as the constants they were."""
        entry = self.tape[k]
        numpy = self.numpy and not self.of_numbers(k)
        return [
            CodeArray(
                self.names[operand],
                np.shape(self.tape[operand][1]),
                self.constant,
                numpy,
                compact=self.compact(operand),
            )  # fmt: skip
            if isinstance(operand, int)
            else constant
            for operand, constant in zip(entry.operands, entry.constants)
        ]

    def compact(self, k: int) -> bool:
        """Whether entry k's array is one an operation made (not an input, not a view of one)."""
        entry = self.tape[k]
        return k >= self.script.recording.n_inputs and (
            entry.__class__ is not reverse.ArrayEntry or entry.primitive.name not in VIEWS
        )

    def linear_map_source(self, k: int, position: int, vector: str, direction: str) -> Term | None:
        """The vector-Jacobian product (``direction`` "transpose") or Jacobian-vector product ("apply")
        of entry k by its argument at ``position``, on ``vector``, written as numpy code from the
        array primitive's own linear map; and whether it is to be subtracted. None where the map
        looks at values (a stable rule, a max's winners) or places entries (an index): the code
        then calls the map. The term also says whether it is a new array that nothing else holds,
        and whether its entries are all 1."""
        entry = self.tape[k]
        numpy = self.numpy and not self.of_numbers(k)
        out = CodeArray(self.names[k], np.shape(entry[1]), self.constant, numpy)
        operand = entry.operands[position]
        try:
            linear_map = entry.primitive.partial(position, self.code_arguments(k), out, entry.params)
            if isinstance(linear_map, array_primitives.Select) and direction == "transpose":
                return self.select(linear_map, vector)
            shape = np.shape(entry[1]) if direction == "transpose" else np.shape(self.tape[operand][1])
            vector_code = CodeArray(vector, shape, self.constant, numpy, ones=vector in self.ones, alias=True)
            result = getattr(linear_map, direction)(vector_code)
        except (NeedsValue, TypeError, AttributeError, ValueError, ArithmeticError, DiffstudyError):
            return None
        if result is None:
            return Term(None, linear_map.negative)
        if not isinstance(result, CodeArray):
            return None
        fresh = linear_map.fresh and not result.alias
        return Term(result.text, linear_map.negative, fresh, result.ones, _adds_nothing(linear_map))

    def select(self, linear_map: array_primitives.Select, g: str) -> None:
        """An index's adjoint: None (the map called), unless the code owns a float array to add
        it into in place (see :meth:`accumulate_select`)."""
        return None

    def hidden(self) -> list[str]:
        """The numbers of the forward sweep where an overflow could hide (:meth:`hidden_entries`),
        by name; in a rolled loop, the sum the loop adds them into."""
        inside = [(region.start, region.end) for region in self.rolled]
        names = [self.names[k] for k in self.hidden_entries() if not any(a <= k < b for a, b in inside)]
        return names + self.hidden_sums

    def hidden_entries(self) -> list[int]:
        """The numbers of the forward sweep where an overflow could hide: an inf or nan reaches the
        result through +, −, × and negation, but not through a division (x/inf is 0), a function
        that saturates (exp(−inf) is 0, tanh(inf) is 1) or a comparison; so the arguments of every
        other operation, and of every comparison, are checked, and the results at the end."""
        if self._hidden is None:
            self._hidden = self._find_hidden()
        return self._hidden

    def _find_hidden(self) -> list[int]:
        tape, n = self.tape, self.script.recording.n_inputs
        checked: dict[int, None] = {}
        used = {out.index for out in self.script.recording.outputs if self.script.recording.on_tape(out)}
        for k in range(n, len(tape)):
            entry = tape[k]
            if entry.__class__ is not tuple:
                used.update(i for i, _ in entry.arguments)
                continue
            used.update((entry[2], entry[4]))
            if entry[0].name not in _PROPAGATING:
                for index in (entry[2], entry[4]):
                    if index is not None and index >= n and tape[index].__class__ is tuple:
                        checked[index] = None
        for guard in self.script.guards:
            for side in (guard.left, guard.right):
                if isinstance(side, reverse.Var) and side.tape is tape and side.index >= n:
                    checked[side.index] = None
        # A number nothing uses (v = x * x * y, then not read) hides its overflow from the results.
        checked.update((k, None) for k in range(n, len(tape)) if k not in used and tape[k].__class__ is tuple)
        return list(checked)

    def check_finite(self, names: Sequence[str]) -> None:
        """A check that no float among ``names`` is inf or nan: one sum per 200 of them."""
        for start in range(0, len(names), 200):
            self.emit(f"_finite({', '.join(names[start : start + 200])},)")


_ARITHMETIC = re.compile(r"\((?:\w+|[\d.e+-]+) [-+*/] (?:\w+|[\d.e+-]+)\)")  # (100 * a), (v1 - v3)

_FIRST_POWER = re.compile(r"\bpow\((\w+), 1\)")

_FOLDS = 8  # terms add() puts into one line at most: its expression stays shallow for the compiler

# The operations on floats that may give one of their constants (an int, a Fraction) instead of a float.
_MAY_GIVE_A_CONSTANT = frozenset({"maximum", "minimum", "sign", "heaviside", "dirac"})

# The operations through which an inf or nan always reaches the result.
_PROPAGATING = frozenset({"add", "sub", "mul", "neg"})


def _named_array(arrays: dict[int, tuple[str, np.ndarray]], x: np.ndarray) -> str | None:
    """The name of the program's global or closure array ``x`` is (``data``), or is the
    transpose of (``data_T``) or another view of (``data_view``); None for any other array."""
    named = arrays.get(id(x))
    if named is not None and named[1] is x:
        return named[0]
    base = x.base
    named = arrays.get(id(base)) if base is not None else None
    if named is None or named[1] is not base:
        return None
    transposed = x.ndim == 2 and x.shape == base.shape[::-1] and x.strides == base.strides[::-1]
    return f"{named[0]}_T" if transposed else f"{named[0]}_view"


def _adds_nothing(linear_map: array_primitives.LinearMap) -> bool:
    """Whether the map's transpose adds no two numbers: it permutes or reshapes them, or multiplies
    each by a number of the same shape. (A sum's spread back is a broadcast view: its negation
    written out later is an array, which a matmul after it sums in BLAS's order, not the view's.)"""
    if isinstance(linear_map, array_primitives.Scale):
        return linear_map.shape == linear_map.out_shape
    return isinstance(linear_map, (array_primitives.Permute, array_primitives.Reshape))


def _numbers_among(writer: _Writer, names: Sequence[str]) -> list[str]:
    """The names (an entry's, or an input's adjoint or tangent) that hold numbers, not arrays."""
    entry = {name: k for k, name in enumerate(writer.names)}
    tape = writer.tape
    numbers = []
    for name in dict.fromkeys(names):
        k = entry.get(name.removesuffix("_bar").removesuffix("_dot"))
        if k is not None and not np.ndim(tape[k][1]):
            numbers.append(name)
    return numbers


def _where(line: tuple[str, int] | None) -> str:
    return "" if line is None else f" ({_file_name(line[0])}, line {line[1]})"


def _source_line(line: tuple[str, int]) -> str:
    text = linecache.getline(line[0], line[1]).strip()
    return f"{_file_name(line[0])}:{line[1]}: {text}" if text else f"{_file_name(line[0])}:{line[1]}"


_BLOCK = re.compile(r"\s*# (.+?):(\d+)(?:: |$)")  # a block's comment: the program's file and line


def program_line(filename: str, lineno: int) -> tuple[str, int] | None:
    """The program's file name and line that line ``lineno`` of code this module compiled (see
    build) comes under, read from its block's comment; None for any other file."""
    if not (filename.startswith("<") and ", compiled #" in filename):
        return None
    for text in reversed(linecache.getlines(filename)[:lineno]):
        block = _BLOCK.match(text)
        if block is not None:
            return block.group(1), int(block.group(2))
    return None


def _file_name(path: str) -> str:
    """A file's name as a comment shows it; code this module compiled by its function's name."""
    if path.startswith("<") and ", compiled #" in path:  # see build
        return path[1 : path.index(", compiled #")]
    return os.path.basename(path)


def _finite(*values: float) -> None:
    """Raise where a float among ``values`` is inf or nan (an overflow on the way): one sum, as
    inf or nan anywhere makes the sum inf or nan. Written only into code for float inputs."""
    total = sum(values)
    if not math.isfinite(total):  # inf or nan somewhere, or finite floats whose sum alone overflowed
        bad = next((v for v in values if not math.isfinite(v)), None)
        if bad is not None:
            raise DomainError(f"a float of the generated code is {bad}: it overflowed on the way")


def _pull_into(total: Any, linear_map: array_primitives.LinearMap, g: Any) -> Any:
    """total + Jᵀ·g where the code owns ``total``: added into its array, as the tape adds into an
    adjoint its sweep owns (array_primitives.pull_owned), so the sum keeps total's layout, and a
    later sum over an axis adds in the tape's order."""
    return array_primitives.pull_owned(total, linear_map, g, True)[0]


def _scaled(local: Any, g: np.ndarray) -> Any:
    """The adjoint term of an operation entry by entry whose argument has the result's shape, from
    its rule's value ``local``: what pull(None, Scale(local, …), g) gives, local · g (a structural
    ±1 or 0: g, −g or None; an exact partial beside float arrays as a float, as the map takes it)."""
    if local.__class__ is Unit or local.__class__ is Fraction:
        local = float(local) if local.__class__ is Fraction else local
        return array_primitives.pull(None, array_primitives.Scale(local, g.shape, g.shape), g)
    return local * g


try:  # numpy ≥ 2 keeps its float-error setting in a context variable, which np.errstate sets on each call
    from numpy._core._ufunc_config import _extobj_contextvar, _make_extobj

    class float_errors_raised:  # noqa: N801 (read as a function in the generated code)
        """``np.errstate(over="raise", invalid="raise", divide="raise")``, its setting made once
        for the setting it is entered under (np.errstate makes it anew at every call, which costs
        as much as an operation on a small array). What the caller set for underflow is kept."""

        __slots__ = ("token",)
        last: tuple[Any, Any] = (None, None)  # the setting entered under, and the one made from it

        def __enter__(self) -> None:
            outer = _extobj_contextvar.get()
            last = float_errors_raised.last  # one read: another thread may replace it
            if last[0] is not outer:
                last = float_errors_raised.last = (outer, _make_extobj(over="raise", invalid="raise", divide="raise"))
            self.token = _extobj_contextvar.set(last[1])

        def __exit__(self, *exception: Any) -> None:
            _extobj_contextvar.reset(self.token)

except ImportError:  # another numpy: its own errstate

    def float_errors_raised() -> Any:
        """numpy's float errors raised, not warned of."""
        return np.errstate(over="raise", invalid="raise", divide="raise")


def _zero(x: Any) -> Any:
    return constant_like(x, 0)


def _or_zero(derivative: Any, like: Any) -> Any:
    """A derivative that a structural 0 may have left as nothing (None): 0 in ``like``'s type."""
    return constant_like(like, 0) if derivative is None else derivative


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
            entry = tape[k]
            if entry.__class__ is tuple:  # a number's entry, read without naming its fields
                if entry[2] is not None:
                    live[entry[2]] = True
                if entry[4] is not None:
                    live[entry[4]] = True
                continue
            for index, _ in reverse.arguments_of(reverse.entry_at(tape, k)):
                live[index] = True
    return live


def write(
    script: Script,
    mode: str = "reverse",
    name: str = "generated",
    floats: bool = True,
    compact: bool = False,
    doc: str | None = None,
    unit_seed: bool = False,
    wanted: Sequence[int] | None = None,
    roll: bool = True,
    compared: Callable[[Any], bool] | None = None,
) -> Source:
    """The source of f and its derivative: ``mode`` "value" writes ``name(*inputs)`` → (outputs, ())
    alone; "reverse" writes ``name(*inputs, *seeds)`` →
    (outputs, the seeds' weighted gradient by each input), the adjoint code of reverse mode;
    "forward" writes ``name(*inputs, *tangents)`` → (outputs, their tangents), forward mode's.
    Long scalar code takes its inputs as one sequence, ``name(inputs, *seeds)`` (see INDEXED_FROM
    and :func:`build`). With ``floats`` the code is for float inputs (and float arrays) only: it checks that no float
    of f overflowed on the way where an operation could hide it, and the results (the caller
    checks the derivatives returned; counting numbers check each operation themselves), and it
    writes array operations as numpy's own calls under numpy's errors raised, adding an index's
    adjoint in place where it owns the array. With ``compact`` the adjoint of an intermediate
    number takes the name of one already used up, so that its float is freed at once (the code
    runs a third faster on long programs, where Python's memory, not its arithmetic, is the cost).
    With ``unit_seed`` (a gradient: one output, seeded with 1 at every call) numpy code writes the
    seed as 1.0 and leaves out the products by it and what they made unread (the seed is still an
    argument). With ``wanted`` (reverse mode) only the adjoints of those inputs are computed, and
    of what depends on them; the others are returned as None (a data array's adjoint is not made).
    With ``roll`` (and ``compact``, on floats, in reverse mode) a long loop of scalar code is
    written as a loop (see :mod:`.rolled`). ``compared`` says of a constant array whether the
    caller compares its contents at every call: an adjoint a product with such a constant made is
    checked by a bound taken from it (see :func:`_bounded_products`).

    Raises:
        TooLarge: more operations than :data:`LIMIT`.
    """
    if script.size > LIMIT:
        raise TooLarge(
            f"{script.size:,} operations are too many to write out (the limit is {LIMIT:,}): the tape is used"
        )
    writer = _Writer(script, numpy=floats)
    arrays = floats and any(entry.__class__ is reverse.ArrayEntry for entry in script.recording.tape)
    name = _identifier(name.replace("<lambda>", "f"))
    recording = script.recording
    outputs = recording.outputs
    n = recording.n_inputs
    extra = {
        "reverse": [f"_u{j}" for j in range(len(outputs))],
        "forward": [f"{x}_dot" for x in script.names[:n]],
        "value": [],
    }[mode]
    reaches = _reaching(script, wanted) if mode == "reverse" else None
    live = None
    if roll and floats and compact and mode == "reverse" and not arrays and script.size >= rolled.ROLL_FROM:
        seeded = [out.index for out in outputs if recording.on_tape(out)]
        live = _live(script, seeded)
        if reaches is not None:
            live = [a and b for a, b in zip(live, reaches)]
        writer.rolled = rolled.regions(writer, script, live, reaches, seeded)
    parameters = [*script.names[:n], *extra]
    doc = doc or {"reverse": "f and the adjoints of its inputs", "forward": "f and its tangents", "value": "f"}[mode]
    indexed = (
        floats and compact and not arrays and not writer.rolled and mode != "forward"
        and len(recording.tape) >= INDEXED_FROM
    )  # fmt: skip
    if indexed:
        # a writer of its own, which nothing has asked for a line under the inputs' names
        writer = _Writer(script, numpy=floats, indexed=True, input_bars=mode == "reverse")
        writer.emit(f"def {name}({', '.join(['_inputs', *extra])}):", 0)
        writer.emit(f'"""{doc}."""')
        writer.emit(_inputs_shown(script.names[:n]))
        if writer.input_bars:
            writer.emit(f"_input_bars = [None] * {n}")
    else:
        writer.emit(f"def {name}({', '.join(parameters)}):", 0)
        writer.emit(f'"""{doc}."""')
    writer.reaches = reaches
    writer.forward_sweep()
    if floats:
        writer.check_finite(writer.hidden())
    # an array f returns that does not depend on its inputs is a constant of the code: a copy is
    # returned, which the caller may change without changing the next call's
    results = [writer.side(out) + (".copy()" if _constant_array(recording, out) else "") for out in outputs]
    numbers = [r for r, out in zip(results, outputs) if recording.on_tape(out) and not np.ndim(out.value)]
    if mode == "value":
        derivatives: list[str] = []
    elif mode == "reverse":
        one = unit_seed and floats and len(outputs) == 1
        seeds = ["1.0" if one else f"_u{j}" for j in range(len(outputs))]
        try:
            derivatives = _backward(writer, script, seeds, compact, reaches, live)
        except rolled.NotRolled:  # an adjoint a loop begins with may be nothing: written out instead
            return write(script, mode, name, floats, compact, doc, unit_seed, wanted, roll=False, compared=compared)
    else:
        derivatives = _tangents(writer, script)
    checked = arrays and mode == "reverse"
    if checked:  # the adjoints too, here, under numpy's errors raised: one sum of each array
        sums = _checked_sums(writer, script, derivatives, unit_seed, wanted, compared)
        writer.check_finite([*_numbers_among(writer, numbers), *sums])
    elif floats:  # the derivatives returned are checked by the caller, in one sum (see compiled.Program)
        # (an array input of f that no array operation read, as in a constant f: checked as the tape checks it)
        chosen = range(n) if wanted is None else wanted
        given = [_sum_of(script.names[i], recording.tape[i][1]) for i in chosen if np.ndim(recording.tape[i][1])]
        writer.check_finite([*_numbers_among(writer, numbers), *given])
    if writer.has_input_bars:  # a rolled loop added into the inputs' adjoints as a list: the others put in too
        for i, d in enumerate(derivatives):
            if d != f"_input_bars[{i}]" and d != "None":
                writer.emit(f"_input_bars[{i}] = {d}")
        derivatives = ["*_input_bars"]
    elif writer.input_bars:  # the inputs' adjoints are a list's entries (see INDEXED_FROM)
        moved = [(f"_input_bars[{i}]", d) for i, d in enumerate(derivatives) if d not in ("None", f"_input_bars[{i}]")]
        if moved:  # all read before any is set: one may be another's (x_bar = y_bar)
            writer.emit(f"{', '.join(to for to, _ in moved)}, = {', '.join(d for _, d in moved)},")
    if writer.input_bars:
        writer.emit(f"return ({', '.join(results)},), _input_bars")
    elif derivatives:
        writer.emit(f"return ({', '.join(results)},), ({', '.join(derivatives)},)")
    else:
        writer.emit(f"return ({', '.join(results)},), ()")
    lines = writer.lines
    if writer.copies:  # a rolled loop's last numbers that nothing reads after it: not named
        read = Counter(_NAME.findall("\n".join(lines)))
        unread = {line for line in writer.copies if read[line.split(" = ")[0].strip()] == 1}
        lines = [line for line in lines if line not in unread]
    if writer.has_input_tuple:
        lines = _taking_a_sequence(lines, script.names[:n], extra, name)
    elif indexed:  # the registers first, numbered below 256 (see INDEXED_FROM)
        registers = sorted(set(_REGISTER.findall("\n".join(lines))), key=lambda r: int(r[2:]))[:_REGISTERS]
        lines[2:2] = [f"    {' = '.join(registers)} = None"] if registers else []
    if arrays and mode == "reverse":
        start = lines.index("    # the backward sweep, in reverse order")
        lines = lines[:start] + _without_dead_code(lines[start:])
        tape = recording.tape
        made = {script.names[k] for k in range(n, len(tape)) if writer.compact(k) and np.ndim(tape[k][1])}
        made |= {f"{name}_bar" for name, entry in zip(script.names, tape) if np.ndim(entry[1])}  # adjoint arrays
        lines = _freed_after_last_read(lines, made)
        if compact:
            laid_out = {name: _layout(entry[1]) for name, entry in zip(script.names, tape) if _float_array(entry[1])}
            # an adjoint's layout is not recorded: a vector's needs none
            laid_out.update({f"{name}_bar": (shape, None) for name, (shape, _) in laid_out.items() if len(shape) == 1})
            lines, gathered = _index_terms_gathered(lines)
            laid_out.update({part: laid_out[first] for part, first in gathered.items() if first in laid_out})
            made_here = zip(script.names[n:], tape[n:])
            strided = {name for name, entry in made_here if _float_array(entry[1]) and not _contiguous_vector(entry[1])}
            lines = _made_contiguous(lines, strided)  # (first: a copy it makes is written into after)
            lines = _reused_in_place(lines, laid_out)
    if arrays:
        # numpy's float arrays say nothing where an entry overflows or is nan: here they raise.
        body = [f"    {line}" for line in lines[2:]]
        lines = [*lines[:2], f"    {RAISING}", *body]
    in_one = n if writer.has_input_tuple or indexed else 0
    return Source("\n".join(lines) + "\n", writer.namespace, name, checked, in_one)


# Entries of the tape (inputs and operations) from which scalar float code takes its inputs as
# one sequence, _inputs (its caller's list as it is), read by index where used, and puts their
# adjoints into a list it returns, _input_bars, so that neither is a variable of its own: CPython's
# frame of a function of more than about 1,900 variables does not fit the memory it keeps for
# frames and is allocated and freed at every call (about 12 µs of the 90 the gradient of the
# Speelpenning loop of 1,000, with 3,000 variables, took), and every variable past the 255th takes
# an extra instruction to read, so the adjoints' registers (_a0, …) are made first, to be numbered
# below it.
INDEXED_FROM = 1_200


_REGISTER = re.compile(r"\b_a\d+\b")
_REGISTERS = 16  # registers made first at most


def _taking_a_sequence(lines: list[str], inputs: list[str], seeds: list[str], name: str) -> list[str]:
    """The function taking its inputs as one sequence, ``_inputs``, which a rolled loop slices (the
    inputs of the Rosenbrock loop of 1,000, listed again, would cost half its compile time), each
    input the code reads by name given it; then its ``seeds``."""
    read = set(_NAME.findall("\n".join(lines[2:])))
    given = [f"    {p} = _inputs[{i}]" for i, p in enumerate(inputs) if p in read]
    shown = f"    {_inputs_shown(inputs)}" if len(inputs) > 4 else ""
    heading = f"def {name}({', '.join(['_inputs', *seeds])}):"
    return [heading, lines[1], *([shown] if shown else []), *given, *lines[2:]]


def _inputs_shown(parameters: list[str]) -> str:
    """A comment naming what the tuple of inputs holds."""
    if len(parameters) > 4:
        return f"# _inputs: {', '.join(parameters[:3])}, …, {parameters[-1]}"
    return f"# _inputs: {', '.join(parameters)}"


def _constant_array(recording: reverse.Recording, out: Any) -> bool:
    return not recording.on_tape(out) and isinstance(plain(out), np.ndarray)


def _reaching(script: Script, wanted: Sequence[int] | None) -> list[bool] | None:
    """Which entries depend on one of the ``wanted`` inputs (None: on any input)."""
    if wanted is None:
        return None
    tape, n = script.recording.tape, script.recording.n_inputs
    chosen = set(wanted)
    reaches = [i in chosen for i in range(n)] + [False] * (len(tape) - n)
    for k in range(n, len(tape)):
        entry = tape[k]
        if entry.__class__ is tuple:  # a number's entry, read without naming its fields
            reaches[k] = (entry[2] is not None and reaches[entry[2]]) or (entry[4] is not None and reaches[entry[4]])
        else:
            reaches[k] = any(reaches[index] for index, _ in reverse.arguments_of(reverse.entry_at(tape, k)))
    return reaches


def _backward(
    writer: _Writer,
    script: Script,
    seeds: list[str],
    compact: bool = False,
    reaches: list[bool] | None = None,
    live: list[bool] | None = None,
) -> list[str]:
    """The adjoint code: each output seeded, then every live entry in reverse order adds
    partial × adjoint into its arguments' adjoints, as the tape's backward sweep does; with
    ``reaches``, only into those of the entries that depend on a wanted input."""
    tape, names = script.recording.tape, script.names
    n = script.recording.n_inputs

    def bar(k: int) -> str:  # entry k's adjoint's own name
        return f"_input_bars[{k}]" if writer.input_bars and k < n else f"{names[k]}_bar"

    adjoint: dict[int, str] = {}
    maybe_none: set[str] = set()  # adjoints that a structural 0 may have left as nothing
    free: list[str] = []  # with ``compact``, names of adjoints used up, to hold the next ones
    shared: dict[str, int] = {}  # each register: how many entries' adjoints it holds (x = y + z: y's and z's are x's)
    # numpy code: an adjoint that is another's negation (a − b gives b's), left unwritten; a linear
    # map takes the other and its term changes sign, an index subtracts it: one array operation
    # fewer, the same numbers (−(p·g) is p·(−g) and s + (−t) is s − t, to the bit)
    negated: dict[str, str] = {}

    def written_out(name: str | None) -> None:
        """An adjoint left unwritten as another's negation, written now that the code reads it."""
        other = negated.pop(name, None) if name is not None else None
        if other is not None:
            writer.emit(f"{name} = -{other}")
            writer.fresh.add(name)

    seeded = []
    for out, seed in zip(script.recording.outputs, seeds):
        if script.recording.on_tape(out):
            k = out.index
            if k in adjoint:
                writer.emit(f"{adjoint[k]} = {adjoint[k]} + {seed}")
            else:
                adjoint[k] = bar(k)
                writer.emit(f"{adjoint[k]} = {seed}")
                if seed == "1.0":
                    writer.ones.add(adjoint[k])
            seeded.append(k)
    if live is None:  # (found already where loops are rolled)
        live = _live(script, seeded)
        if reaches is not None:
            live = [a and b for a, b in zip(live, reaches)]
    writer.emit("# the backward sweep, in reverse order")
    shown = None

    def used_up(k: int, keep: bool = False) -> None:
        """Entry k's adjoint read for the last time: its register freed once no entry shares it."""
        g = adjoint[k] if keep else adjoint.pop(k)
        if compact and g in shared:
            shared[g] -= 1
            if not shared[g]:
                free.append(g)

    ends = {region.end - 1: region for region in writer.rolled}
    k = len(tape)
    while k > n:
        k -= 1
        region = ends.get(k)
        if region is not None:
            if not rolled.write_backward(writer, script, region, adjoint, maybe_none, used_up):
                raise rolled.NotRolled
            shown = None
            k = region.start
            continue
        if k not in adjoint or not live[k]:
            continue
        line = script.lines[k] if k < len(script.lines) else None
        if line is not None and line != shown:
            writer.emit(f"# {_source_line(line)}")
            shown = line
        g = adjoint[k]
        entry = tape[k]
        if entry.__class__ is reverse.ArrayEntry:
            flipped = negated.get(g)  # g is −flipped: the maps take flipped, and their terms change sign
            vector = g if flipped is None else flipped
            positions = [p for p, (index, _) in zip(_variable_positions(entry), entry.arguments) if live[index]]
            maps = {
                p: None if g in maybe_none else writer.linear_map_source(k, p, vector, "transpose") for p in positions
            }
            if flipped is not None:
                if all(m is None or m.text is None or m.adds_nothing for m in maps.values()):
                    maps = {p: m if m is None else m._replace(negative=not m.negative) for p, m in maps.items()}
                else:  # a map that adds: g written out, and the maps taking it
                    written_out(g)
                    flipped, vector = None, g
                    maps = {p: writer.linear_map_source(k, p, g, "transpose") for p in positions}
            terms = [m.text for m in maps.values() if m is not None and m.text is not None]
            repeated = _repeated_call(terms) if len(terms) > 1 else None
            if repeated is not None:  # solve(Aᵀ, ḡ) in both x = solve(A, b)'s adjoints: solved once
                made_once = f"_{names[k]}_{repeated.split('(')[0].split('.')[-1]}"  # _x_solve
                writer.emit(f"{made_once} = {repeated}")
                for p, m in maps.items():
                    if m is not None and m.text is not None:
                        text = m.text.replace(repeated, made_once)
                        maps[p] = m._replace(text=text, fresh=m.fresh and text != made_once)  # not the bare name
            both = [p for p in positions if maps[p] is not None and maps[p].text is not None]
            if (
                len(both) == 2
                and entry.operands[both[0]] == entry.operands[both[1]]
                and entry.operands[both[0]] in adjoint
                and maps[both[0]][:2] == maps[both[1]][:2]
                and not maps[both[0]].text.isidentifier()
            ):  # x * x into an adjoint that holds a number already: its term made once, added twice
                writer.emit(f"_twice = {maps[both[0]].text}")
                for p in both:
                    maps[p] = maps[p]._replace(text="_twice", fresh=False)
            given: dict[int, tuple[str, bool]] = {}  # an adjoint this entry gave its first number: that term
            for position in positions:
                index = entry.operands[position]
                exists = index in adjoint
                target = adjoint.setdefault(index, bar(index))
                if exists:  # a sum into it: written if left unwritten, no longer only the array passed on
                    written_out(target)
                    writer.passed_on.pop(target, None)
                writer.ones.discard(target)  # a sum of ones and more is not ones
                written_map = maps[position]
                picked = entry.params.get("index") if entry.primitive is array_primitives.INDEX else None
                if writer.numpy and picked is not None and _basic(picked) and (not exists or target in writer.fresh):
                    # an index's adjoint put into zeros (as the tape's scatter does), or added in
                    # place into an array this code owns, at the entries it picked
                    if not exists:
                        writer.index_zeros(target, np.shape(tape[index][1]))
                        writer.fresh.add(target)
                    part = f"{target}[{index_source(picked)}]"
                    view = np.ndim(entry[1]) > 0  # several entries picked: a view to add into
                    untouched = writer.index_term(target, picked)
                    if flipped is not None and not exists:
                        writer.emit(f"np.negative({flipped}, {part})" if view else f"{part} = -{flipped}")
                    elif not exists:
                        writer.emit(f"{part} = {g}")
                    elif untouched:  # 0 + g where the entries are zeros still: written, not added into
                        term, plus = (g, True) if flipped is None else (flipped, False)
                        if view:
                            writer.emit(f"np.{'add' if plus else 'subtract'}(0.0, {term}, {part})")
                        else:
                            writer.emit(f"{part} = 0.0 {'+' if plus else '-'} {term}")
                    elif view:
                        # np.add(view, g, view) adds into the entries without copying them onto
                        # themselves after; the view is taken once, and out= given by position
                        writer.emit(f"_view = {part}")
                        term = g if flipped is None else flipped
                        writer.emit(f"np.{'add' if flipped is None else 'subtract'}(_view, {term}, _view)")
                    else:
                        writer.emit(f"{part} {'+' if flipped is None else '-'}= {g if flipped is None else flipped}")
                    writer.index_term_written(target)
                    continue
                if written_map is None:  # the map itself, called: a value-dependent rule, an index
                    written_out(g)
                    texts, _ = writer.operands(k)
                    if (
                        writer.numpy
                        and not exists
                        and entry.primitive.scalar is not None
                        and np.ndim(entry[1]) > 0
                        and np.shape(tape[index][1]) == np.shape(entry[1])
                    ):
                        # entry by entry, of the result's shape: the rule's value times g, as its
                        # map (a Scale) gives it, without building the map (a third of the time on
                        # short arrays)
                        scalar = entry.primitive.scalar
                        suffix = "" if scalar.arity == 1 else f"_{position}"
                        name = writer.constant(scalar.partials[position], f"d_{entry.primitive.name}{suffix}")
                        writer.emit(f"{target} = _scaled({name}({', '.join([*texts, names[k]])}), {g})")
                        continue
                    linear_map = (
                        f"{writer.constant(entry.primitive, entry.primitive.name)}.partial({position}, "
                        f"({', '.join(texts)},), {names[k]}, {writer.constant(entry.params, 'params')})"
                    )
                    if exists and writer.numpy and target in writer.fresh:  # added into it, as the tape adds
                        writer.emit(f"{target} = _pull_into({target}, {linear_map}, {g})")
                    elif exists:  # (no term, a kink's side not taken: the sum as it is, as on the tape)
                        writer.emit(f"{target} = _pull({target}, {linear_map}, {g})")
                    else:
                        # A kink's side not taken (max(x, y) by y where x > y, |x| at 0) gives no
                        # term, where the tape then gives nothing to what it reaches: a 0 in its
                        # place, which adds nothing, but for the sign of a 0 (−0 + 0 is +0). Not a
                        # path: a hinge loss over samples would be one path per set of active ones.
                        writer.emit(f"{target} = _or_zero(_pull(None, {linear_map}, {g}), {texts[position]})")
                    if exists or entry.primitive is array_primitives.INDEX:  # a sum, or a scatter into zeros
                        writer.fresh.add(target)
                    continue
                term, negative, fresh, ones, _ = written_map
                held = writer.computed_as(term, vector) if term is not None and writer.numpy else None
                if held is not None:
                    term, fresh = held, False
                if term is None:
                    if not exists:
                        del adjoint[index]
                    continue
                if given.get(index) == (term, negative) and target in writer.fresh:
                    # x * x: the second term is the first, which the adjoint alone holds: doubled, not made again
                    writer.emit(f"{target} += {target}")
                    continue
                if exists and writer.numpy and target in writer.fresh:
                    writer.emit(f"{target} {'-' if negative else '+'}= {term}")  # into the array it owns
                elif exists:  # a sum is a new array, which nothing else holds
                    writer.add(target, target, "-" if negative else "+", term, compact)
                    writer.fresh.add(target)
                elif negative and writer.numpy:  # the term, its sign left to where it is read (see written_out)
                    if term.isidentifier():
                        negated[target] = term
                    else:
                        writer.emit(f"{target} = {term}")
                        negated[target] = target
                        if fresh:
                            writer.fresh.add(target)
                    given[index] = (term, negative)
                else:
                    writer.emit(f"{target} = {'-' if negative else ''}{term}")
                    given[index] = (term, negative)
                    if not negative and term.isidentifier():
                        writer.passed_on[target] = writer.passed_on.get(term, term)
                    if writer.numpy and (negative or fresh):  # else possibly a view of another array (a reshape)
                        writer.fresh.add(target)
                    if ones and not negative:
                        writer.ones.add(target)
            continue
        written_out(g)
        _, _, first, _, second, _ = entry
        twice = _same_term_twice(writer, entry, k, g, maybe_none)  # x * x: its term computed once
        for position, index in enumerate((first, second)[: entry[0].arity]):
            if index is None or (reaches is not None and not reaches[index]):
                continue
            rule = entry[0].partials[position]
            exists = index in adjoint
            if rule.__class__ is Unit and rule.sign == 0:
                continue
            register = compact and index >= n and tape[index].__class__ is tuple
            plus_one = rule.__class__ is Unit and rule.sign == 1
            if register and not exists and plus_one and g in shared and g not in maybe_none:
                adjoint[index] = g  # the same number: its register is shared, not copied
                shared[g] += 1
                continue
            old = adjoint.get(index)
            written_out(old)
            writer.passed_on.pop(old, None)
            if register and (not exists or shared.get(old, 0) > 1):
                # a register, not a name: one used up if any (its float freed at once, see write);
                # a sum into a register shared with another entry's adjoint goes into one of its own
                if exists:
                    shared[old] -= 1
                adjoint[index] = free.pop() if free else f"_a{len(shared)}"
                shared[adjoint[index]] = 1
                maybe_none.discard(adjoint[index])
            target = adjoint.setdefault(index, bar(index))
            writer.ones.discard(target)
            text, called = (None, False) if rule.__class__ is Unit else writer.partial(k, position)
            if called or g in maybe_none or old in maybe_none:
                # A partial that may be ±1 or 0 by structure (a kink's), or an adjoint that may be
                # nothing yet: accumulated as the tape accumulates (its accumulate()).
                partial = text if text is not None else ("_ONE" if rule.sign == 1 else "_MINUS_ONE")
                writer.emit(f"{target} = _accumulate({old if exists else 'None'}, {partial}, {g})")
                maybe_none.add(target)
            elif rule.__class__ is Unit:
                if rule.sign == 1:
                    writer.add(target, old, "+", g, compact) if exists else writer.emit(f"{target} = {g}")
                    if not exists and g in writer.ones:
                        writer.ones.add(target)
                else:
                    writer.add(target, old, "-", g, compact) if exists else writer.emit(f"{target} = -{g}")
            else:
                # A float times the seed of 1 is that float, to the bit: the product is left out (but
                # not where the partial is a constant, an int such as 100, which would stay an int).
                term = text if g in writer.ones and writer.of_floats(text) else f"{text} * {g}"
                twice = twice and not term.isidentifier()  # (b * b's term b, seeded by 1: nothing to make)
                if twice:  # x * x: x̄ gains x·ḡ twice; the term made once, added twice as the tape adds it
                    if position == 0 and compact:  # one statement
                        made = f"(_twice := {term})"
                        sum_of = f"({old} + {made}) + _twice" if exists else f"{made} + _twice"
                        writer.emit(f"{target} = {sum_of}")
                        break
                    if position == 0:
                        doubled = "_twice" if exists else target
                        if exists:
                            writer.emit(f"_twice = {term}")
                            term = "_twice"
                    else:
                        term = doubled
                writer.add(target, old, "+", term, compact) if exists else writer.emit(f"{target} = {term}")
        if compact and g in shared:
            del adjoint[k]  # entry k's adjoint is used up: its register can hold another once no entry shares it
            shared[g] -= 1
            if not shared[g]:
                free.append(g)
    for i in range(n):
        written_out(adjoint.get(i))
    return [
        "None"
        if reaches is not None and not reaches[i]
        else f"_or_zero({adjoint[i]}, {writer.names[i]})"
        if adjoint.get(i) in maybe_none
        else adjoint.get(i, f"_zero({writer.names[i]})")
        for i in range(n)
    ]


def _same_term_twice(writer: _Writer, entry: tuple, k: int, g: str, maybe_none: set[str]) -> bool:
    """Whether a number operation's two arguments are one variable with the same written partial
    (x * x: x̄ gains x·ḡ twice), so the term is computed once and added twice: the tape's
    additions in its order, one product fewer."""
    primitive, _, first, _, second, _ = entry
    if primitive.arity != 2 or first is None or first != second or g in maybe_none:
        return False
    if any(rule.__class__ is Unit for rule in primitive.partials[:2]):
        return False
    text_0, called_0 = writer.partial(k, 0)
    text_1, called_1 = writer.partial(k, 1)
    return not (called_0 or called_1) and text_0 is not None and text_0 == text_1


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_ASSIGNED = re.compile(r"\s*([A-Za-z_][A-Za-z0-9_]*) = (.*)$")


_CALL = re.compile(r"(?:ops|np\.linalg)\.(\w+)\(")  # an array operation's call


def _repeated_call(texts: Sequence[str]) -> str | None:
    """The longest call of an array operation that computes (``ops.solve(…)``, not a view such as
    ``ops.reshape(…)``) and appears more than once in ``texts``."""
    seen: dict[str, int] = {}
    for text in texts:
        for found in _CALL.finditer(text):
            if found[1] in VIEWS:
                continue
            depth = 0
            for end in range(found.end() - 1, len(text)):
                depth += {"(": 1, ")": -1}.get(text[end], 0)
                if depth == 0:
                    call = text[found.start() : end + 1]
                    seen[call] = seen.get(call, 0) + 1
                    break
    return max((call for call, times in seen.items() if times > 1), key=len, default=None)


def _without_dead_code(lines: list[str]) -> list[str]:
    """The adjoint code without the assignments nothing reads after (an adjoint of ones whose
    products were all left out, the aliases of it), walked from the end: a name is needed if a
    later line that is kept mentions it before it is assigned again."""
    needed: set[str] = set()
    kept: list[str] = []
    for line in reversed(lines):
        assigned = _ASSIGNED.match(line)
        if assigned is not None and not line.startswith("        "):  # a statement of the body, not of an if
            name, expression = assigned.groups()
            if name not in needed:
                continue
            needed.discard(name)
            needed.update(_NAME.findall(expression))
        elif not line.lstrip().startswith("#"):
            needed.update(_NAME.findall(line))
        kept.append(line)
    return kept[::-1]


def _freed_after_last_read(lines: list[str], arrays: set[str]) -> list[str]:
    """The code with each of ``arrays`` (f's own, made by its operations, and the adjoints) deleted
    after the last line that mentions it: its memory is reused at once, so fewer arrays are held together (a
    third less time at n = 10⁵ … 10⁶, where the memory, not the arithmetic, is the cost). One read
    inside a check of the path (an if) is never deleted."""
    last: dict[str, int] = {}
    nested: set[str] = set()
    for i, line in enumerate(lines):
        if line.lstrip().startswith("#"):
            continue
        for name in arrays.intersection(_NAME.findall(line)):
            last[name] = i
            if line.startswith("        "):
                nested.add(name)
    freed: dict[int, list[str]] = {}
    for name, i in last.items():
        if name not in nested and not lines[i].lstrip().startswith("return"):
            freed.setdefault(i, []).append(name)
    kept: list[str] = []
    for i, line in enumerate(lines):
        kept.append(line)
        if i in freed:
            kept.append(f"    del {', '.join(sorted(freed[i]))}")
    return kept


# Python's operators and numpy's functions whose result is a new array of the broadcast shape,
# entry by entry: one of them can write into an argument's array (out=) once nothing else reads it.
_UFUNCS_OF = {ast.Add: "add", ast.Sub: "subtract", ast.Mult: "multiply", ast.Div: "true_divide"}
_ELEMENTWISE = frozenset({
    "add", "subtract", "multiply", "true_divide", "divide", "negative", "square", "sqrt", "exp", "log", "tanh",
    "sin", "cos", "abs", "absolute", "maximum", "minimum",
})  # fmt: skip
_READ_ONLY_CALLS = frozenset({"np.add.reduce", "np.einsum", "_finite", *(f"np.{name}" for name in _ELEMENTWISE)})
_REUSED = 4096  # entries from which an array is written into in place (below, a new one costs less than out=)


def _float_array(value: Any) -> bool:
    """An array of float64 numbers long enough to be written into."""
    return isinstance(value, np.ndarray) and value.dtype == np.float64 and value.size >= _REUSED


def _layout(value: np.ndarray) -> tuple[tuple[int, ...], str | None]:
    """An array's shape and how numpy laid it out when traced: "C" by rows, "F" by columns, None
    for a vector. The code meets the same layouts at every call: an input's is part of its key."""
    if value.ndim == 1:
        return value.shape, None  # one layout: a vector made by an operation is contiguous
    order = "C" if value.flags.c_contiguous else "F" if value.flags.f_contiguous else None
    return value.shape, order


_FIRST_TERM = re.compile(r"np\.(negative\(|add\(0\.0, |subtract\(0\.0, )(\w+), (\w+)\[([^\[\]]+)\]\)")
_FIRST_COPIED = re.compile(r"(\w+)\[([^\[\]]+)\] = ([A-Za-z_]\w*)")
_VIEW_TERM = re.compile(r"np\.(add|subtract)\(_view, (\w+), _view\)")


_GATHERED_WITHIN = 200  # lines after an index's first term looked at for its second (a bounded scan)


def _index_terms_gathered(lines: list[str]) -> tuple[list[str], dict[str, str]]:
    """Numpy code where an index's adjoint that takes two terms at the same entries, the first
    written into them (``np.negative(b_bar, x_bar[::2])``, ``x_bar[::2] = v7_bar``) and the second
    added there later (``_view = x_bar[::2]``, ``np.subtract(_view, v2_bar, _view)``), takes their
    sum computed first (``_x_bar_part = np.negative(b_bar)``, or ``= v7_bar``, then
    ``np.subtract(_x_bar_part, v2_bar, x_bar[::2])``): one pass through the strided entries, not
    three (at n = 10⁵ each costs as much as an operation on contiguous memory three times as long).
    Done where every line between is of the same block and none names the adjoint; the same
    operations in the same order give the same bits. Also returns each new name → the array its
    first term was computed from (its layout, for writing into that array in place)."""
    replaced: dict[int, list[str]] = {}  # a line's index → the lines in its place
    gathered: dict[str, str] = {}
    for i, line in enumerate(lines):
        if line.startswith("     "):
            continue
        first, copied = _FIRST_TERM.fullmatch(line[4:]), _FIRST_COPIED.fullmatch(line[4:])
        if first is not None:
            how, term, target, index = first.groups()
            made = f"np.{how}{term})"
        elif copied is not None:  # the first term's array itself: named, not copied
            target, index, term = copied.groups()
            made = term
        else:
            continue
        part = f"{target}[{index}]"
        for j in range(i + 1, min(i + _GATHERED_WITHIN, len(lines) - 1)):
            text = lines[j].strip()
            if not lines[j].startswith("    ") or lines[j].startswith("     ") or text.endswith(":"):
                break  # another block (a loop's body, a check of the path)
            second = _VIEW_TERM.fullmatch(lines[j + 1].strip())
            if text == f"_view = {part}" and second is not None and lines[j + 1].startswith("    np."):
                name = f"_{target}_part"
                replaced[i] = [f"    {name} = {made}"]
                replaced[j] = []
                replaced[j + 1] = [f"    np.{second.group(1)}({name}, {second.group(2)}, {part})", f"    del {name}"]
                gathered[name] = term
                break
            if not text.startswith("#") and target in _NAME.findall(text):
                break
    kept = [new for i, line in enumerate(lines) for new in replaced.get(i, [line])]
    return kept, gathered


def _reused_in_place(lines: list[str], layouts: dict[str, tuple[tuple[int, ...], str | None]]) -> list[str]:
    """Numpy code where an operation entry by entry (``t = (a * b)``, ``t = np.tanh(a)``) writes into
    the array of an argument read for the last time there (``t = np.multiply(a, b, out=a)``),
    instead of asking for new memory: fresh pages cost more than the arithmetic on large arrays.
    Done only where the argument's array is one this code made by such an operation or a copy
    (not an input, a view, a map's result: nothing else can hold it; a name given it whole,
    ``v5 = v2``, is the same array, read last where the last of its names is), ``layouts``
    (float64 arrays by name) says it has the result's shape and, for a matrix, the layout numpy
    gave the result when traced (written into, the result keeps the argument's, and a later sum
    would add in another order), and nothing reads it after. An operation inside another
    (``(2 * v2) * a_bar``) writes there too, and the one around it after it: both into the
    argument's array. The arithmetic, and so every bit, is the same."""
    owned: set[str] = set()  # names whose array no other name, view or caller can hold
    aliases: dict[str, str] = {}  # a name given an owned array whole → the name that made it
    kept = list(lines)
    if not layouts or any(line.lstrip().startswith(("for ", "while ")) for line in lines):
        return kept  # (straight-line code: a line read last is run last)
    last: dict[str, int] = {}  # each name's last line, outside comments and deletions
    for i, line in enumerate(lines):
        if not line.strip().startswith(("#", "del ")):
            last.update((name, i) for name in _NAME.findall(line))
    for i, line in enumerate(lines):
        text = line.strip()
        if not text or text.startswith(("#", "del ", '"""', "def ")) or layouts.keys().isdisjoint(_NAME.findall(text)):
            continue  # (a line that names no array large enough to write into changes nothing here)
        try:
            statement = ast.parse(text).body[0]
        except SyntaxError:  # an if's line, with its body below
            owned.difference_update(aliases.get(name, name) for name in _NAME.findall(text))
            continue
        if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Name):
            first = aliases.get(statement.value.id, statement.value.id)
            if isinstance(statement.targets[0], ast.Name) and first in owned:  # v5 = v2: another name
                aliases[statement.targets[0].id] = first
                continue
        _unsafe_reads(statement, owned, aliases)
        if not (isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name)):
            continue
        target = statement.targets[0].id
        value = statement.value
        fresh = _fresh(value)
        if fresh:  # (decided on the names as they stand before the target takes its new array)

            def dies(name: str, here: int = i) -> bool:  # its array read for the last time here, by every name it has
                root = aliases.get(name, name)
                names = [root, *(other for other, made in aliases.items() if made == root)]
                return root in owned and all(last.get(other, here) <= here for other in names)

            rewritten = _into_dying(value, target, dies, aliases, layouts)
            if rewritten is not None:
                kept[i] = f"{line[: len(line) - len(text)]}{target} = {rewritten}"
        # The target names another array now: its old one is no longer owned by that name, and the
        # other names of it (v5 = v2, then v2 = …) are taken as arrays of unknown owners.
        owned.discard(aliases.pop(target, target))
        for other in [other for other, made in aliases.items() if made == target]:
            del aliases[other]
        if fresh:
            owned.add(target)
    return kept


def _checked_sums(
    writer: _Writer,
    script: Script,
    derivatives: Sequence[str],
    unit_seed: bool,
    wanted: Sequence[int] | None,
    compared: Callable[[Any], bool] | None = None,
) -> list[str]:
    """What numpy code checks for inf and nan besides its values, one sum per array: the inputs
    differentiated by (the tape refuses an inf or nan there, which exp(−inf) = 0 would hide) and
    the adjoints (BLAS's threads hide an overflow), save what a finite value already tells
    (see :mod:`.non_finite`): nothing, where an inf or nan in any input shows in the value; no
    adjoint, where every input is checked and finite inputs make finite adjoints. An input may be
    checked by the sum of an array made from it instead (see :func:`_shown_by_arrays_made`), an
    adjoint by a bound taken from a constant ``compared`` says is compared at every call (see
    :func:`_bounded_products`); those lines are written into the code."""
    recording = script.recording
    tape, n = recording.tape, recording.n_inputs

    def summed(name: str, k: int) -> str:
        return name if not np.ndim(tape[k][1]) else _sum_of(name, tape[k][1])

    adjoints = [(d, i) for i, d in enumerate(derivatives) if d != "None"]
    if unit_seed and non_finite.shown_by_the_value(recording):
        return [d for d, i in adjoints if not np.ndim(tape[i][1])]  # (a number's adjoint costs nothing to check)
    chosen = sorted(range(n) if wanted is None else set(wanted))
    if chosen == list(range(n)) and non_finite.finite_from_finite_inputs(recording):
        adjoints = [(d, i) for d, i in adjoints if not np.ndim(tape[i][1])]
    shown = _shown_by_arrays_made(writer, script, chosen)
    bounded = _bounded_products(writer, adjoints, compared) if compared is not None else {}
    inputs = dict.fromkeys(shown[i] if i in shown else summed(script.names[i], i) for i in chosen)
    return [*inputs, *(bounded[d] if d in bounded else summed(d, i) for d, i in adjoints)]


_SHOWN_WALK = 20_000  # tape entries walked back over in all to find the arrays that show an input's inf or nan


def _shown_by_arrays_made(writer: _Writer, script: Script, chosen: Sequence[int]) -> dict[int, str]:
    """Inputs of 16,384 entries or more, among ``chosen``, that an array the code makes shows an
    inf or nan of (see :func:`.non_finite.shown_at`: ``v6 = (v5 + b1)`` with ``v5 = (_c @ v4)``
    shows W1's and b1's), each → the name of that array's sum, which the code computes on the
    line after it is made: the network's hidden layer before tanh, a sixth of its first weights.
    Arrays are picked one at a time, each the one whose inputs not yet shown outnumber its own
    entries the most, while one does."""
    recording = script.recording
    tape, names, n = recording.tape, script.names, recording.n_inputs
    large = {i for i in chosen if np.size(tape[i][1]) >= _SUMMED_BY_EINSUM}
    if not large:
        return {}
    made_at = _made_once(writer.lines)
    candidates = {}  # an array's entry → the chosen inputs it shows
    walked = 0  # entries walked back over: the arrays made first are looked at, as far as this allows
    for k in range(n, len(tape)):
        value = tape[k][1]
        if isinstance(value, np.ndarray) and value.dtype == np.float64 and made_at.get(names[k], -1) >= 0:
            walked += k - n
            if walked > _SHOWN_WALK:
                break
            showing = non_finite.shown_at(recording, k) & set(chosen)
            if showing & large:
                candidates[k] = showing
    shown: dict[int, str] = {}
    while True:
        gains = {k: sum(np.size(tape[i][1]) for i in showing - shown.keys()) - np.size(tape[k][1])
                 for k, showing in candidates.items()}  # fmt: skip
        best = max(gains, key=gains.get, default=None)
        if best is None or gains[best] <= 0 or not (candidates[best] - shown.keys()) & large:
            return shown
        name = names[best]
        total = f"_{name}_sum"
        writer.lines.insert(made_at[name] + 1, f"    {total} = {_sum_of(name, tape[best][1])}")
        made_at = {made: at + (at > made_at[name]) for made, at in made_at.items()}
        shown.update(dict.fromkeys(candidates.pop(best) - shown.keys(), total))


_PRODUCT = re.compile(r"(\w+) = \((\w+) @ (\w+)\)")
_PASSED = re.compile(r"(\w+) = (\w+)(?:\.transpose\(\([\d, ]*\)\)|\.reshape\(\([\d, ]*\)\))?")


def _bounded_products(
    writer: _Writer, adjoints: Sequence[tuple[str, int]], compared: Callable[[Any], bool]
) -> dict[str, str]:
    """Adjoints (of 16,384 entries or more) that a product of matrices made, one factor a constant
    C of finite floats (``v4_bar = (_c_1 @ v5_bar)``, then ``W1_bar = v4_bar.transpose((1, 0))``):
    each → a number that is finite only where the adjoint is, checked instead of the adjoint's sum.

    Every entry of C @ A is a sum of products of an entry of A and one of C's rows, so it is at
    most max|A| · R in size, R the largest sum of |C|'s entries along a row (for A @ C, a column);
    rounding adds at most K·2⁻⁵³ of it over K terms. So where A is finite and max|A| · 2R is (no
    inf or nan, no overflow), the product is finite, whatever order BLAS adds in and whatever its
    threads do with float errors. max|A| is taken on the line after the product, where A holds what
    the product read: two reductions of A (its maximum, its minimum) instead of a sum over the
    product, six times as many numbers for the network's first layer. Where the bound overflows,
    the check fails and the tape decides, as for any other failed check. The bound holds while C
    holds what it held here: it is taken only from a constant the caller compares at every call
    (``compared``), not from one f got out of a cache, say, which could change unseen."""
    lines = writer.lines
    defined = _made_once(lines)
    mentions = Counter(name for line in lines if not line.lstrip().startswith("#") for name in set(_NAME.findall(line)))
    bounded: dict[str, str] = {}
    inserted: list[tuple[int, str]] = []
    for name, k in adjoints:  # (an adjoint's name, its input's place)
        if np.size(writer.tape[k][1]) < _SUMMED_BY_EINSUM or mentions[name] != 1:  # (read nowhere yet)
            continue
        i, passed = defined.get(name, -1), []  # the adjoint's line, and the arrays it is a view of
        while i >= 0 and _PRODUCT.fullmatch(lines[i].strip()) is None:
            moved = _PASSED.fullmatch(lines[i].strip())
            if moved is None:
                break
            passed.append(moved.group(2))
            i = defined.get(moved.group(2), -1)
        product = _PRODUCT.fullmatch(lines[i].strip()) if i >= 0 else None
        if product is None or any(mentions[view] != 2 for view in passed):  # each made once and read once
            continue
        _, left, right = product.groups()
        on_the_left = isinstance(writer.namespace.get(left), np.ndarray)
        constant, other = (writer.namespace.get(left), right) if on_the_left else (writer.namespace.get(right), left)
        if not (
            isinstance(constant, np.ndarray)
            and constant.dtype == np.float64
            and constant.ndim == 2
            and constant.size
            and np.isfinite(constant).all()
            and compared(constant)
        ):
            continue
        with np.errstate(all="ignore"):  # (the user's setting aside: a sum past the float range is inf)
            bound = 2 * float(np.max(np.add.reduce(np.abs(constant), axis=1 if on_the_left else 0)))
        if not math.isfinite(bound):  # (a constant so large that any A would fail it: the sum instead)
            continue
        largest = f"_{name}_largest"
        inserted.append((i, f"    {largest} = _largest({other}) * {bound!r}"))
        bounded[name] = largest
    for i, line in sorted(inserted, reverse=True):
        lines.insert(i + 1, line)
    return bounded


def _made_once(lines: list[str]) -> dict[str, int]:
    """Each name a line assigns → that line, where one line at the function's level does and no
    other line assigns it; -1 where more do or one inside a block does."""
    made: dict[str, int] = {}
    for i, line in enumerate(lines):
        text = line.strip()
        target = text.split(" = ", 1)[0] if " = " in text and not text.startswith("#") else ""
        if target.isidentifier():
            top_level = line.startswith("    ") and not line.startswith("     ")
            made[target] = i if target not in made and top_level else -1
    return made


def _largest(a: np.ndarray) -> Any:
    """max |a|, from a's largest and smallest entries (nan where a holds one), without an array of |a|."""
    return np.maximum(np.maximum.reduce(a, axis=None), np.negative(np.minimum.reduce(a, axis=None)))


_SUMMED_BY_EINSUM = 16384  # entries from which einsum's sum beats np.add.reduce's (31 against 49 µs on 200,704)


def _sum_of(name: str, value: Any) -> str:
    """The code of one sum of an array's entries, to check them for inf and nan (inf or nan
    anywhere makes it inf or nan; finite entries whose sum overflows make the code's caller ask the
    tape). A large array is summed by ``np.einsum``, whose loop reads memory faster than the
    pairwise sum of ``np.add.reduce``; the order of the additions does not matter to a check."""
    if np.size(value) < _SUMMED_BY_EINSUM or np.ndim(value) > 8:
        return f"np.add.reduce({name}, axis=None)"
    return f'np.einsum("{"ijklmnop"[: np.ndim(value)]}->", {name})'


def _made_contiguous(lines: list[str], strided: set[str]) -> list[str]:
    """Numpy code where a strided vector (``v2 = x[::2]``) that two or more operations entry by
    entry read, and nothing else, is copied once into contiguous memory (``x[::2].copy()``): numpy
    computes such an operation on contiguous arrays with the processor's vector instructions, on a
    strided one entry by entry (``1 - x[::2]`` takes three times as long on 10⁵ floats). Only
    operations whose every result is correctly rounded (+, −, ·, /, a square, √, abs, max, min) read
    it, so the numbers are the same to the bit; a sum could add in another order."""
    if not strided:
        return lines
    aliases: dict[str, str] = {}  # a name given the same array (v5 = v2): the strided name
    defined: dict[str, int] = {}  # the line that gives a strided name its array
    reads: Counter[str] = Counter()  # reads by such operations
    other: set[str] = set()  # read otherwise, or given another value
    for i, line in enumerate(lines):
        text = line.strip()
        named = set(_NAME.findall(text))
        if text.startswith(("#", "del ", '"""', "def ")) or named.isdisjoint(strided | aliases.keys()):
            continue
        try:
            statement = ast.parse(text).body[0]
        except SyntaxError:  # an if's line
            other.update(aliases.get(name, name) for name in named)
            continue
        if isinstance(statement, ast.Assign) and isinstance(statement.targets[0], ast.Name):
            target, value = statement.targets[0].id, statement.value
            aliases.pop(target, None)  # (a name given another array)
            if isinstance(value, ast.Name) and aliases.get(value.id, value.id) in strided:
                aliases[target] = aliases.get(value.id, value.id)
                continue
            if target in strided:
                if target in defined:
                    other.add(target)
                defined.setdefault(target, i)
        stack: list[tuple[ast.AST, bool]] = [(statement, False)]
        while stack:
            node, rounded = stack.pop()  # rounded: an operand of an operation correctly rounded
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                name = aliases.get(node.id, node.id)
                if name in strided and rounded:
                    reads[name] += 1
                elif name in strided:
                    other.add(name)
            elif isinstance(node, ast.BinOp):
                square = isinstance(node.op, ast.Pow) and isinstance(node.right, ast.Constant) and node.right.value == 2
                stack.extend((child, type(node.op) in _UFUNCS_OF or square) for child in (node.left, node.right))
            elif isinstance(node, ast.UnaryOp):
                stack.append((node.operand, isinstance(node.op, ast.USub)))
            elif (
                isinstance(node, ast.Call)
                and all(keyword.arg == "out" for keyword in node.keywords)  # (into an array the code made)
                and ast.unparse(node.func).removeprefix("np.") in _ROUNDED
            ):
                stack.extend((argument, True) for argument in node.args)
            else:
                stack.extend((child, False) for child in ast.iter_child_nodes(node))
    kept = list(lines)
    for name, i in defined.items():
        if reads[name] >= 2 and name not in other:
            indent, value = lines[i][: len(lines[i]) - len(lines[i].lstrip())], lines[i].strip().split(" = ", 1)[1]
            kept[i] = f"{indent}{name} = {value if value.endswith(']') else f'({value})'}.copy()"
    return kept


def _contiguous_vector(value: np.ndarray) -> bool:
    """Whether an array is a vector in contiguous memory, or is not a vector (a matrix copied
    would change its layout, and so the order a later sum adds in)."""
    return value.ndim != 1 or value.flags.c_contiguous


# numpy's functions entry by entry whose results are correctly rounded, whatever the memory layout
_ROUNDED = frozenset({"add", "subtract", "multiply", "true_divide", "divide", "negative", "square", "sqrt", "abs",
                      "absolute", "maximum", "minimum"})  # fmt: skip


def _fresh(value: ast.expr) -> bool:
    """Whether an expression makes a new array (an operation entry by entry, a product, zeros, a
    sum over axes, a copy)."""
    if isinstance(value, ast.BinOp) or (isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub)):
        return True
    if isinstance(value, ast.Call) and not any(k.arg == "out" for k in value.keywords):
        name = ast.unparse(value.func)
        copy = isinstance(value.func, ast.Attribute) and value.func.attr == "copy" and not value.args
        return copy or name in ("np.zeros", "np.add.reduce") or name.removeprefix("np.") in _ELEMENTWISE
    return False


def _unsafe_reads(statement: ast.stmt, owned: set[str], aliases: dict[str, str]) -> None:
    """Take out of ``owned`` every name the statement reads where its array could be kept beyond
    it: as a whole value (an alias), a stored view (x[::2], np.transpose), a map's argument, a
    returned value. An operand of arithmetic or of numpy's functions entry by entry is not kept.
    A name in ``aliases`` is read as the name that made its array."""
    stack: list[tuple[ast.AST, bool]] = [(statement, False)]
    while stack:
        node, safe = stack.pop()
        if isinstance(node, ast.Name):
            if not safe:
                owned.discard(aliases.get(node.id, node.id))
        elif isinstance(node, (ast.Assign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            stack.extend((target.value, True) for target in targets if isinstance(target, ast.Subscript))
            stack.append((node.value, False))
        elif isinstance(node, (ast.BinOp, ast.UnaryOp)):
            stack.extend((child, True) for child in ast.iter_child_nodes(node))
        elif isinstance(node, ast.Call) and ast.unparse(node.func) in _READ_ONLY_CALLS:
            stack.extend((argument, True) for argument in node.args)
            stack.extend((keyword.value, True) for keyword in node.keywords)
        elif isinstance(node, ast.Subscript) and safe:  # a view read at once, not kept
            stack.append((node.value, True))
        else:
            stack.extend((child, False) for child in ast.iter_child_nodes(node))


def _into_dying(
    value: ast.expr,
    target: str,
    dies: Callable[[str], bool],
    aliases: dict[str, str],
    layouts: dict[str, tuple[tuple[int, ...], Any]],
) -> str | None:
    """``value`` written as numpy calls into the array of an argument that ``dies`` here, or None.
    The argument is named once in ``value`` (else an operation would read what another wrote)."""
    laid_out = layouts.get(target)
    if laid_out is None or (len(laid_out[0]) > 1 and laid_out[1] is None):
        return None
    roots = [aliases.get(node.id, node.id) for node in ast.walk(value) if isinstance(node, ast.Name)]

    def writable(name: str, arguments: list[ast.expr]) -> bool:  # read nowhere but among these arguments
        root = aliases.get(name, name)
        among = sum(isinstance(a, ast.Name) and aliases.get(a.id, a.id) == root for a in arguments)
        return layouts.get(name) == laid_out and roots.count(root) == among and dies(name)

    written = _written_into(value, writable)
    return None if written is None else written[0]


def _written_into(value: ast.expr, writable: Callable[[str, list[ast.expr]], bool]) -> tuple[str, str] | None:
    """An operation entry by entry as a numpy call into the array of an argument that is
    ``writable``, or of an operation inside it written so (every operation between has the
    result's shape: broadcasting only adds to a shape, and the argument's is the result's); and
    the name of the array written into."""
    if isinstance(value, ast.BinOp):
        if isinstance(value.op, ast.Pow) and isinstance(value.right, ast.Constant) and value.right.value == 2:
            function, arguments = "square", [value.left]  # what numpy computes for x ** 2
        elif type(value.op) in _UFUNCS_OF:
            function, arguments = _UFUNCS_OF[type(value.op)], [value.left, value.right]
        else:
            return None
    elif isinstance(value, ast.UnaryOp) and isinstance(value.op, ast.USub):
        function, arguments = "negative", [value.operand]
    elif (
        isinstance(value, ast.Call)
        and not value.keywords
        and ast.unparse(value.func).removeprefix("np.") in _ELEMENTWISE
    ):
        function, arguments = ast.unparse(value.func).removeprefix("np."), value.args
    else:
        return None
    texts = [ast.unparse(a) for a in arguments]
    for argument in arguments:
        if isinstance(argument, ast.Name) and writable(argument.id, arguments):
            return f"np.{function}({', '.join(texts)}, out={argument.id})", argument.id
    for position, argument in enumerate(arguments):
        inner = None if isinstance(argument, ast.Name) else _written_into(argument, writable)
        if inner is not None:
            texts[position], out = inner
            return f"np.{function}({', '.join(texts)}, out={out})", out
    return None


def _basic(index: Any) -> bool:
    """An index of ints and slices: each entry picked once, so ``a[index] += g`` adds each once."""
    parts = index if isinstance(index, tuple) else (index,)
    return all(isinstance(p, (int, slice)) and not isinstance(p, bool) for p in parts)


def _variable_positions(entry: reverse.ArrayEntry) -> list[int]:
    return [p for p, operand in enumerate(entry.operands) if isinstance(operand, int)]


def _tangents(writer: _Writer, script: Script) -> list[str]:
    """The tangent code: each entry's tangent Σ partial × argument's tangent, in recording order,
    as forward mode pushes it (None where no input reaches: no arithmetic is spent on it)."""
    tape, names = script.recording.tape, script.names
    n = script.recording.n_inputs
    tangent: dict[int, str] = {i: f"{names[i]}_dot" for i in range(n)}
    maybe_none: set[str] = set()  # tangents that a structural 0 may have left as nothing
    writer.emit("# the tangents, in recording order")
    for k in range(n, len(tape)):
        entry = tape[k]
        pieces: list[tuple[str, bool]] = []  # (term, subtract)
        if entry.__class__ is reverse.ArrayEntry:
            total = _array_tangent(writer, k, tangent, maybe_none)
            if total is not None:
                tangent[k] = f"{names[k]}_dot"
                writer.emit(f"{tangent[k]} = {total}")
            continue
        _, _, first, _, second, _ = entry
        accumulated: list[tuple[str, str]] = []  # (partial, tangent) accumulated as forward mode does
        for position, index in enumerate((first, second)[: entry[0].arity]):
            if index is None or index not in tangent:
                continue
            rule = entry[0].partials[position]
            if rule.__class__ is Unit:
                if rule.sign:
                    pieces.append((tangent[index], rule.sign < 0))
                    accumulated.append(("_ONE" if rule.sign > 0 else "_MINUS_ONE", tangent[index]))
                continue
            text, called = writer.partial(k, position)
            pieces.append((f"{text} * {tangent[index]}", False))
            accumulated.append((text, tangent[index]))
            if called or tangent[index] in maybe_none:
                pieces.append(("", True))  # written below with accumulate()
        if not accumulated:
            continue
        if any(term == "" for term, _ in pieces) or any(t in maybe_none for _, t in accumulated):
            tangent[k] = f"{names[k]}_dot"
            total = "None"
            for partial, t in accumulated:
                total = f"_accumulate({total}, {partial}, {t})"
            writer.emit(f"{tangent[k]} = {total}")
            maybe_none.add(tangent[k])
            continue
        text = ("-" if pieces[0][1] else "") + pieces[0][0]
        for term, subtract in pieces[1:]:
            text += f" {'-' if subtract else '+'} {term}"
        tangent[k] = f"{names[k]}_dot"
        writer.emit(f"{tangent[k]} = {text}")
    results = []
    for out in script.recording.outputs:
        reached = script.recording.on_tape(out) and out.index in tangent
        if not reached:
            results.append(f"_zero({writer.side(out)})")
        elif tangent[out.index] in maybe_none:
            results.append(f"_or_zero({tangent[out.index]}, {writer.side(out)})")
        else:
            results.append(tangent[out.index])
    return results


def _array_tangent(writer: _Writer, k: int, tangent: dict[int, str], maybe_none: set[str]) -> str | None:
    """The text of array entry k's tangent, Σ J·(argument's tangent), or None where no input
    reaches it. Each term is the linear map written as numpy code where it can be; a map that looks
    at values (a max's winners, |x|'s signs) is called, and may give nothing (a kink's side not
    taken): the tangent is then a 0 of the result's kind, as the adjoint code puts one, so the
    code after it is written as numpy code too."""
    entry, names = writer.tape[k], writer.names
    texts, _ = writer.operands(k)
    total, called = "None", False
    for position, (index, _) in zip(_variable_positions(entry), entry.arguments):
        if index not in tangent:
            continue
        written_map = None
        if entry.primitive.jvp is None and tangent[index] not in maybe_none:
            written_map = writer.linear_map_source(k, position, tangent[index], "apply")
        if written_map is not None and written_map[0] is not None:
            term, negative = written_map.text, written_map.negative
            if total == "None":
                total = f"-{term}" if negative else term
            elif called:
                total = f"_plus({total}, {term}, {negative})"
            else:
                total = f"{total} {'-' if negative else '+'} {term}"
            continue
        called = True
        if (
            writer.numpy
            and entry.primitive.scalar is not None
            and np.ndim(entry[1]) > 0
            and np.shape(writer.tape[index][1]) == np.shape(entry[1])
        ):
            # entry by entry, of the result's shape: the rule's value times the tangent, as the
            # adjoint code writes it (the map, a Scale, applied and transposed alike)
            scalar = entry.primitive.scalar
            suffix = "" if scalar.arity == 1 else f"_{position}"
            rule = writer.constant(scalar.partials[position], f"d_{entry.primitive.name}{suffix}")
            term = f"_scaled({rule}({', '.join([*texts, names[k]])}), {tangent[index]})"
            total = term if total == "None" else f"_plus({total}, {term}, False)"
            continue
        linear_map = (
            f"{writer.constant(entry.primitive, entry.primitive.name)}.partial({position}, "
            f"({', '.join(texts)},), {names[k]}, {writer.constant(entry.params, 'params')})"
        )
        total = f"_push({total}, {linear_map}, {tangent[index]})"
    if total == "None":
        return None
    return f"_or_zero({total}, {names[k]})" if called else total


def _push(total: Any, partial: Any, tangent: Any) -> Any:
    """Forward mode's ``total + J·tangent`` (:func:`.array_primitives.push`), where the tangent
    may be nothing (None: a map that is 0 by structure pushed it)."""
    return total if tangent is None else array_primitives.push(total, partial, tangent)


def _plus(total: Any, term: Any, negative: bool) -> Any:
    """``total ± term``, where the total or the term may be nothing (None)."""
    if term is None:
        return total
    if total is None:
        return -term if negative else term
    return total - term if negative else total + term


def _accumulate(total: Any, partial: Any, tangent: Any) -> Any:
    """accumulate(), where the tangent or adjoint pushed may itself be nothing (a kink's side not
    taken, upstream): then nothing is added, as the tape skips an entry with no adjoint."""
    return total if tangent is None else accumulate(total, partial, tangent)


_compiled = count(1)


def build(source: Source) -> Callable[..., Any]:
    """Compile ``source`` with Python's own ``compile``; its text is kept where tracebacks and
    ``inspect`` find it. The function returned takes its inputs and then its seeds (or tangents)
    one by one; code that takes its inputs as one sequence (:attr:`Source.inputs_in_one`) is
    called so by it, and is its ``taking_one_sequence``."""
    filename = f"<{source.function}, compiled #{next(_compiled)}>"
    linecache.cache[filename] = (len(source.text), None, source.text.splitlines(True), filename)
    namespace = dict(source.namespace)
    exec(compile(source.text, filename, "exec"), namespace)
    function = namespace[source.function]
    n = source.inputs_in_one
    if not n:
        return function

    def one_by_one(*arguments: Any) -> Any:
        return function(arguments[:n], *arguments[n:])

    one_by_one.__name__ = one_by_one.__qualname__ = function.__name__
    one_by_one.__doc__ = function.__doc__
    one_by_one.taking_one_sequence = function  # type: ignore[attr-defined]
    return one_by_one

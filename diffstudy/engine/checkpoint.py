"""Checkpointing: reverse mode's memory bought back with recomputation.

Reverse mode keeps every value its backward sweep needs, so the tape of a loop of n steps keeps n
steps' worth of values, however small the state the loop carries (Griewank 1992). Checkpointing
keeps some states and computes the rest again when the backward sweep needs them:

* :func:`checkpoint` (``jax.checkpoint``, ``torch.utils.checkpoint``): called on a tape's
  variables, a function runs on their values and the tape keeps only its inputs and outputs; the
  backward sweep runs it again on a tape of its own and pulls the adjoints back through that.
* :func:`loop`: n steps of a step function, reversed by a *schedule* of snapshots of the state.
  ``"all"`` is the plain tape. ``"every"`` keeps every k-th state and records one stretch of k
  steps at a time in the backward sweep (Chen et al. 2016; k = √n keeps about 2√n states).
  ``"binomial"`` keeps at most s snapshots and recomputes the fewest steps any schedule with s
  snapshots can (Griewank and Walther's revolve, 2000): :func:`least_recomputations`,
  t·n − β(s+1, t−1) with β(s, t) = C(s+t, s) and t the smallest integer with β(s, t) ≥ n.

What a schedule does is a plan: a sequence of actions (advance to a step without recording,
save the state, restore a saved one, drop one, record a stretch of steps and sweep it back),
made by a generator with an explicit stack (no recursion). A :class:`Block` carries the plan out:
on the forward run up to the last step (recorded, so that revolve's count holds), and on the
backward sweep, where the tape's :class:`.reverse.Recomputed` entries hand it their adjoints.

Gradients are those of the plain tape: each step is recorded once in the backward sweep with the
same operations, and each input's adjoint is carried through the step tapes as its running total,
so the additions happen in the plain tape's order (the same bits in float, the same Fractions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from fractions import Fraction
from functools import wraps
from typing import Any

import numpy as np

from ..errors import CaseError, DomainError, NestingError, UnsupportedOperation
from . import forward, kept, reverse, unchanged
from .counting import Counting, CountingArray, Tally, counting
from .levels import Leveled, plain
from .trees import flatten, unflatten

SCHEDULES = ("all", "every", "binomial")

# ---------------------------------------------------------------- the binomial law and its recursion


def beta(s: int, t: int) -> int:
    """β(s, t) = C(s + t, s): how many steps s snapshots reverse with each step run at most t + 1 times
    (0 for t < 0)."""
    return math.comb(s + t, s) if t >= 0 else 0


def repetitions(n: int, s: int) -> int:
    """t, the smallest integer with β(s, t) ≥ n: the most times revolve runs a step forward."""
    low, high = -1, 1  # β(s, low) < n ≤ β(s, high), found by doubling, then halving
    while beta(s, high) < n:
        low, high = high, 2 * high
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if beta(s, middle) < n else (low, middle)
    return high if n > 1 else 0


def least_recomputations(n: int, s: int) -> int:
    """The fewest forward steps that reverse n steps with s snapshots, t·n − β(s+1, t−1) (Griewank
    and Walther 2000), the last step's recording not counted: the plain tape's 0 is n − 1 less."""
    t = repetitions(n, s)
    return t * n - beta(s + 1, t - 1)


def recomputations_by_recursion(largest_n: int, largest_s: int) -> list[list[int]]:
    """The least forward steps for every n ≤ ``largest_n`` and s ≤ ``largest_s``, from the recursion
    the binomial law comes from: to reverse l steps, advance m, reverse the last l − m with one
    snapshot fewer, then the first m with all of them,

        T(l, s) = min over 0 < m < l of  m + T(l − m, s − 1) + T(m, s),   T(1, s) = 0,

    and one snapshot, the start's, reverses l steps only by advancing from it each time
    (T(l, 1) = l − 1 + T(l − 1, 1)). Built up from l = 1, no recursion. Each minimum is found by
    bisection on the slope of m + T(l − m, s − 1) + T(m, s), which finds it exactly because both rows
    are convex, and that is checked as each row grows (:class:`ValueError` if not). Entry [s][n];
    row 0 and entry 0 of each row are placeholders (0).
    """
    table = [[0] * (largest_n + 1) for _ in range(largest_s + 1)]
    for length in range(2, largest_n + 1):
        if largest_s >= 1:
            table[1][length] = length - 1 + table[1][length - 1]
    for s in range(2, largest_s + 1):
        fewer, row = table[s - 1], table[s]
        row[1] = 0
        for length in range(2, largest_n + 1):
            row[length] = _least(length, fewer, row)
            if length >= 3 and row[length] - row[length - 1] < row[length - 1] - row[length - 2]:
                raise ValueError(f"T(·, {s}) is not convex at {length}: its minima cannot be found by bisection")
    return table


def _least(length: int, fewer: list[int], row: list[int]) -> int:
    """min over 0 < m < length of m + fewer[length − m] + row[m], by bisection on its slope: the
    least m whose next one costs no less (the cost is convex in m when both rows are)."""
    low, high = 1, length - 1
    while low < high:
        middle = (low + high) // 2
        here = middle + fewer[length - middle] + row[middle]
        if middle + 1 + fewer[length - middle - 1] + row[middle + 1] >= here:
            high = middle
        else:
            low = middle + 1
    return low + fewer[length - low] + row[low]


def _split(length: int, s: int) -> int:
    """How many steps m to advance before reversing the last ``length − m`` with s − 1 snapshots.

    With t the repetitions of (length, s), the least cost is reached where the first m steps need
    t − 1 repetitions with s snapshots and the last length − m need t with s − 1, each on the
    straight piece of its law: β(s, t−2) ≤ m ≤ β(s, t−1) and β(s−1, t−1) ≤ length − m ≤ β(s−1, t);
    then m + T(length − m, s − 1) + T(m, s) = t·length − β(s+1, t−1) by Pascal's rule.
    """
    t = repetitions(length, s)
    return min(beta(s, t - 1), length - beta(s - 1, t - 1))


# ---------------------------------------------------------------- plans: what a schedule does


def binomial_plan(n: int, s: int) -> Iterator[tuple[Any, ...]]:
    """Revolve's actions reversing n steps with s snapshots, the start's among them.

    A stretch [start, end) is reversed from its saved start: advance to a split point, save it when
    the stretch after it is longer than one step, reverse that stretch with one snapshot fewer,
    drop the snapshot, and reverse [start, split) with all of them; a stretch of one step is
    recorded and swept. The stack holds the stretches and drops still to do.
    """
    tasks: list[tuple[Any, ...]] = [("reverse", 0, n, s)]
    while tasks:
        task = tasks.pop()
        if task[0] == "drop":
            yield task
            continue
        _, start, end, free = task
        yield ("restore", start)
        while end - start > 1:
            middle = start + _split(end - start, free)
            tasks.append(("reverse", start, middle, free))
            yield ("advance", middle)
            if end - middle > 1:
                yield ("save",)
                tasks.append(("drop", middle))
            start, free = middle, free - 1
        yield ("tape", end)


def every_plan(n: int, k: int) -> Iterator[tuple[Any, ...]]:
    """Every k-th state saved on the way forward; the stretches of k steps recorded and swept one
    by one from the last (the last stretch recorded on the way forward)."""
    starts = list(range(0, n, k))
    yield ("restore", 0)
    for following in starts[1:]:
        yield ("save",)
        yield ("advance", following)
    yield ("tape", n)
    for start in reversed(starts[:-1]):
        yield ("restore", start)
        yield ("tape", start + k)
        yield ("drop", start)


def call_plan() -> Iterator[tuple[Any, ...]]:
    """A checkpointed call: run it forward without recording; record it and sweep it in the backward sweep."""
    yield ("advance", 1)
    yield ("restore", 0)
    yield ("tape", 1)


def every_recomputations(n: int, k: int) -> int:
    """The forward steps :func:`every_plan` runs without recording: all but the last stretch's."""
    return ((n - 1) // k) * k if n else 0


# ---------------------------------------------------------------- what a block did, for the studies


@dataclass
class Stats:
    """What one checkpointed call or loop did: steps run forward without recording (``advances``),
    steps recorded, the most snapshots it held at once (the start's among them), and, when
    watched with ``count_bytes``, the most bytes it held at once for the backward sweep (its saved
    states, the current one and the tape of the stretch being recorded and swept, counted by what
    they hold: :mod:`.kept`)."""

    name: str
    steps: int
    advances: int = 0
    recorded: int = 0
    most_snapshots: int = 0
    most_bytes: int | None = None


_watchers: list[tuple[list[Stats], bool]] = []


@contextmanager
def watching(count_bytes: bool = False) -> Iterator[list[Stats]]:
    """Collect the :class:`Stats` of every checkpointed call and loop on a tape made inside (with
    ``count_bytes``, the bytes they hold too, at the cost of counting them as they change)."""
    found: list[Stats] = []
    watcher = (found, count_bytes)
    _watchers.append(watcher)
    try:
        yield found
    finally:
        _watchers.remove(watcher)


# ---------------------------------------------------------------- a block on the tape


def _differentiable(value: Any) -> bool:
    """Whether a leaf of a state can carry a derivative: a real number or an array of them (an int
    that counts is a constant, as it is on the plain tape, so it can still index)."""
    if isinstance(value, (bool, int, np.integer, np.bool_)):
        return False
    if isinstance(value, np.ndarray):
        return value.dtype.kind in "fcO"
    return isinstance(value, (float, Fraction, np.floating, Leveled))


def _shape(value: Any) -> tuple[int, ...]:
    """The shape of a leaf, a number's () found without numpy's conversion."""
    if isinstance(value, Leveled):
        return tuple(value.shape) if value.is_array else ()
    return value.shape if isinstance(value, np.ndarray) else np.shape(value)


def _exact(value: Any) -> bool:
    """Whether a leaf is a plain exact number or array, on which numpy's functions do not run."""
    return value.__class__ is Fraction or (value.__class__ is np.ndarray and value.dtype == object)


def _evaluable(leaves: list[Any], taped: list[bool], tally: Tally) -> list[Any]:
    """The leaves a step runs again on, as the recording's tape runs them: an exact one as a
    counting number of a tally nobody reads (numpy's functions do not run on plain Fractions),
    and so a float number the tape takes as its input (``taped``): np.tanh of a float runs
    numpy's function, of the tape's number the registry's (math.tanh), which may differ in the
    last bit. A float the tape does not take stays a float, as on the tape (math.exp(c) runs)."""
    return [
        counting([leaf], tally)[0] if _exact(leaf) or (on and isinstance(leaf, (float, np.floating))) else leaf
        for leaf, on in zip(leaves, taped)
    ]


def _plain_of(leaf: Any, tally: Tally) -> Any:
    return leaf.value if isinstance(leaf, (Counting, CountingArray)) and leaf.tally is tally else leaf


def _frozen(value: Any) -> Any:
    """A plain array as a read-only view, so that a step writing into its state in place (x += …),
    which would change a saved snapshot, raises instead."""
    if value.__class__ is np.ndarray and value.flags.writeable:
        value = value.view()
        value.flags.writeable = False
    return value


def _finite(value: Any) -> bool:
    """Whether a float (or a float array) of a state is finite; any other value is taken to be."""
    value = plain(value)
    if isinstance(value, float):
        return value - value == 0
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return bool(np.isfinite(value).all())
    return True


def _same(a: Any, b: Any) -> bool:
    """Whether two values of a state are the same numbers (plain values, of any layer)."""
    a, b = plain(a), plain(b)
    if a.__class__ is float and b.__class__ is float:
        return a == b
    try:
        return bool(np.array_equal(np.asarray(a, dtype=object), np.asarray(b, dtype=object)))
    except (TypeError, ValueError):
        return a is b


def _shown(values: Sequence[Any]) -> str:
    text = ", ".join(repr(plain(v)) if np.ndim(plain(v)) == 0 else f"array of shape {np.shape(plain(v))}"
                     for v in values[:2])  # fmt: skip
    return text + (", …" if len(values) > 2 else "")


class Program:
    """What a block runs: ``steps`` steps, each ``run(i, state leaves, argument leaves)`` → leaves."""

    def __init__(self, name: str, run: Callable[[int, list[Any], list[Any]], list[Any]], steps: int) -> None:
        self.name = name
        self.run = run
        self.steps = steps


@dataclass
class Stretch:
    """Steps ``start`` to ``end`` recorded on a tape of their own, from ``state``; ``chosen`` are
    the leaves (of the state, then the arguments) that are its inputs, in order."""

    recording: reverse.Recording
    start: int
    state: list[Any]
    chosen: list[int] = field(default_factory=list)


class Block:
    """A checkpointed call or loop recorded on a tape as its outputs only (see :mod:`.checkpoint`).

    ``inputs`` has, per leaf of the state and the arguments, its index on the tape (None for a
    constant); ``outputs`` is how many :class:`.reverse.Recomputed` entries it made. The block keeps
    its inputs' values, the snapshots its plan saved on the forward run and the recording of the
    last stretch, until the backward sweep hands it the adjoints of its outputs (:meth:`pull`).
    """

    def __init__(
        self,
        program: Program,
        plan: Callable[[], Iterator[tuple[Any, ...]]],
        tape: reverse.Tape,
        state: list[Any],
        arguments: list[Any],
        check: Callable[[reverse.Tape, bool], None] | None,
    ) -> None:
        self.program, self.plan, self.tape, self.check = program, plan, tape, check
        self.name = program.name
        leaves = [*state, *arguments]
        self.inputs = [leaf.index if _on(leaf, tape) else None for leaf in leaves]
        self.size = len(state)
        self.initial = [_frozen(leaf.value if _on(leaf, tape) else leaf) for leaf in state]
        self.arguments = [_frozen(leaf.value if _on(leaf, tape) else leaf) for leaf in arguments]
        self.stats = Stats(program.name, program.steps)
        for found, _ in _watchers:
            found.append(self.stats)
        self._count_bytes = any(count for _, count in _watchers)
        self.entries: list[tuple[int, int]] = []  # (leaf of the final state, its index on the tape)
        self.outputs = 0
        self.final: list[Any] = []
        self.expected: list[Any] | None = None  # the state the next stretch recorded must end in
        self._sweeping: list[Any] | None = None  # the outer sweep's adjoints, while it has outputs still to reach
        self._reached: set[int] = set()
        self._fresh = False
        self._snapshots: dict[int, list[Any]] = {}
        self._pending: Stretch | None = None

    def __str__(self) -> str:
        return f"recomputed by {self.name} in the backward sweep"

    def kept_objects(self) -> list[tuple[str, Any]]:
        """What the block keeps for the backward sweep beyond its inputs: the states its plan saved
        on the forward run, and the tape of the stretch it recorded last (until it is swept)."""
        saved = sorted(position for position in self._snapshots if position)
        found: list[tuple[str, Any]] = []
        if saved:
            steps = ", ".join(map(str, saved[:4])) + (", …" if len(saved) > 4 else "")
            found.append((f"{len(saved)} states, after steps {steps}", [self._snapshots[p] for p in saved]))
        pending = self._pending
        if pending is not None:
            first, last = pending.start + 1, self.program.steps
            steps = f"step {last}" if first == last else f"steps {first}–{last}"
            found.append((f"the tape of {steps}", pending.recording.tape))
        return found

    # -- the forward run

    def start(self) -> list[Any]:
        """Run the plan forward until the last step is reached: the final state's leaves."""
        self._steps = self.plan()
        self._snapshots = {0: self.initial}
        self.stats.most_snapshots = max(self.stats.most_snapshots, 1)
        self._position, self._state = 0, self.initial
        self._pending = None
        for action in self._steps:
            self._act(action, forward=True)
            if self._position == self.program.steps:
                break
        final = self._state if self._pending is None else list(self._pending.recording.values)
        if self.final and not all(map(_same, final, self.final)):
            raise CaseError(self._changed(final, self.final))
        self.final = final
        self._fresh = True
        return final

    def _act(self, action: tuple[Any, ...], forward: bool) -> None:
        kind = action[0]
        if kind == "advance":
            self._advance(action[1])
            if self._count_bytes:
                self._count_held()
        elif kind == "save":
            self._snapshots[self._position] = self._state
            self.stats.most_snapshots = max(self.stats.most_snapshots, len(self._snapshots))
        elif kind == "restore":
            self._position, self._state = action[1], self._snapshots[action[1]]
        elif kind == "drop":
            del self._snapshots[action[1]]
        elif forward:  # the last stretch, recorded now and swept first in the backward sweep
            self._pending = self._record(self._position, action[1], self._state)
            for read in self._pending.recording.tape.kept.values():  # (read-only until f returns)
                unchanged.keep(self.tape.kept, read)
            self._position = action[1]
            if self._count_bytes:
                self._count_held()
        else:
            stretch = self._record(self._position, action[1], self._state)
            if self._count_bytes:
                self._count_held(stretch.recording.tape)
            self._sweep(stretch)
            del stretch
            self._position = action[1]

    def _count_held(self, tape: reverse.Tape | None = None) -> None:
        """Note the bytes held now for the backward sweep, if the most yet: the saved states, the
        current one, the tape of the stretch recorded (and the forward run's, until it is swept);
        the inputs' values are the outer tape's."""
        counter = kept.Counter()
        for given in (self.initial, self.arguments):
            counter.mark(given)
        total = sum(counter.size(state)[1] for state in self._snapshots.values()) + counter.size(self._state)[1]
        for held_tape in (tape, self._pending.recording.tape if self._pending is not None else None):
            if held_tape is not None:
                total += sum(item.bytes for item in kept.kept(held_tape, counter))
        self.stats.most_bytes = max(self.stats.most_bytes or 0, total)

    def _advance(self, to: int) -> None:
        """Run the steps from the current state up to step ``to`` without recording them."""
        run, tally = self.program.run, Tally()
        arguments = _evaluable(self.arguments, [index is not None for index in self.inputs[self.size :]], tally)
        state = self._state
        for i in range(self._position, to):
            # the state's leaves the tape of a stretch from here takes as inputs (see _chosen)
            taped = [index is not None for index in self.inputs[: self.size]] if i == 0 else map(_differentiable, state)
            try:
                made = run(i, _evaluable(state, list(taped), tally), arguments)
            except (ValueError, UnsupportedOperation) as error:
                # numpy's read-only state; or, the step's numbers counted, numpy asked to write one into it
                if "read-only" not in str(error) and "write into an existing array" not in str(error):
                    raise
                raise CaseError(
                    f"{self.name} writes into an array it was given, in place (x += …, x[i] = …): its "
                    "states are kept to run it again, so make a new array (x = x + …)"
                ) from None
            state = [_frozen(_plain_of(leaf, tally)) for leaf in made]
            if not all(map(_finite, state)):
                raise DomainError(f"{self.name} overflows a float in step {i + 1}")
        self.stats.advances += to - self._position
        self._position, self._state = to, state

    # -- recording a stretch of steps

    def _record(self, start: int, end: int, state: list[Any]) -> Stretch:
        """Steps ``start`` to ``end`` recorded on a tape of their own; its inputs are the state's
        differentiable leaves (at the start, those the outer tape differentiates) and the arguments
        the outer tape differentiates, the rest constants to it."""
        chosen = self._chosen(start, state)
        values = [*state, *self.arguments]
        size, run = self.size, self.program.run

        def stretch(*inputs: Any) -> tuple[Any, ...]:
            leaves = list(values)
            for k, v in zip(chosen, inputs):
                leaves[k] = v
            current, arguments = leaves[:size], leaves[size:]
            for i in range(start, end):
                current = run(i, current, arguments)
            return tuple(current)

        recording = reverse.record(stretch, [values[k] for k in chosen])
        self.stats.recorded += end - start
        if self.check is not None:
            self.check(recording.tape, recording.exact)
        return Stretch(recording, start, state, chosen)

    def _chosen(self, start: int, state: list[Any]) -> list[int]:
        """The leaves (of the state, then the arguments) that are inputs of a stretch's tape."""
        if start == 0:
            on_state = [index is not None for index in self.inputs[: self.size]]
        else:
            on_state = [_differentiable(leaf) for leaf in state]
        on_arguments = [index is not None for index in self.inputs[self.size :]]
        return [k for k, on in enumerate(on_state + on_arguments) if on]

    # -- the backward sweep

    def pull(self, adjoints: list[Any], k: int) -> list[int]:
        """Pull the adjoints of the block's outputs back into its inputs' (``adjoints``, the outer
        sweep's list, which has reached entry ``k``): the plan carried on to its end, each stretch
        recorded and swept. Returns the indices of the adjoints it wrote.

        The sweep reaches the block at its last output with an adjoint, and pulls all of them at
        once; when it reaches the others, in the same sweep, there is nothing more to do."""
        if adjoints is self._sweeping and k in self._reached:
            self._reached.discard(k)
            if not self._reached:
                self._sweeping = None
            return []
        outputs: list[Any] = [None] * len(self.final)
        for leaf, index in self.entries:
            if index < len(adjoints):
                outputs[leaf] = adjoints[index]
        self._reached = {index for _, index in self.entries if index < k and adjoints[index] is not None}
        self._sweeping = adjoints if self._reached else None
        if not self._fresh:  # swept before (a second output, a second vjp): the forward run again
            self.start()
        self._fresh = False
        # Running totals, one per input leaf: an input's adjoint so far goes in with its first
        # leaf, so that every step adds to it in the order of the plain tape.
        self._totals: list[Any] = [None] * len(self.inputs)
        seen: set[int] = set()
        for k, index in enumerate(self.inputs):
            if index is not None and index not in seen:
                seen.add(index)
                self._totals[k] = adjoints[index]
        self._adjoint: list[Any] = outputs
        self.expected = self.final
        pending, self._pending = self._pending, None
        if pending is not None:
            self._sweep(pending)
            del pending
        for action in self._steps:
            self._act(action, forward=False)
        self._steps, self._snapshots, self._state = iter(()), {}, self.initial
        written: dict[int, Any] = {}
        for k, index in enumerate(self.inputs):
            total = self._totals[k]
            if index is None or total is None:
                continue
            written[index] = total if index not in written else written[index] + total
        for index, total in written.items():
            adjoints[index] = total
        self._totals, self._adjoint = [], []
        return list(written)

    def _sweep(self, stretch: Stretch) -> None:
        """Sweep one stretch's tape: the adjoint of the state at its end (and the running totals of
        the inputs it reads) in, the adjoint of the state at its start out."""
        recording, start, chosen = stretch.recording, stretch.start, stretch.chosen
        if not all(map(_same, recording.values, self.expected)):
            raise CaseError(self._changed(recording.values, self.expected))
        self.expected = stretch.state  # what the stretch before this one must end in
        seeds: dict[int, Any] = {}
        for out, g in zip(recording.outputs, self._adjoint):
            if g is not None and recording.on_tape(out):
                seeds[out.index] = g if out.index not in seeds else seeds[out.index] + g
        for position, k in enumerate(chosen):
            total = self._totals[k] if k >= self.size or start == 0 else None
            if total is not None:
                seeds[position] = total if position not in seeds else seeds[position] + total
        swept = reverse.backward(recording.tape, seeds, keep_all=False) if seeds else []
        adjoint: list[Any] = [None] * self.size
        for position, k in enumerate(chosen):
            value = swept[position] if position < len(swept) else None
            if k < self.size:
                adjoint[k] = value
                if start == 0:
                    self._totals[k] = value
            else:
                self._totals[k] = value
        self._adjoint = adjoint

    def _changed(self, found: Sequence[Any], expected: Sequence[Any]) -> str:
        return (
            f"{self.name} gave another result when run again ({_shown(found)} where it gave {_shown(expected)}): "
            "a checkpointed function runs twice, so it must not depend on anything it changes (a global, a "
            "counter, a random draw) or change its arguments"
        )

    # -- forward mode through the block (a tape's own forward sweep)

    def push(self, tangents: list[Any]) -> list[Any]:
        """The tangents of the block's outputs from its inputs' (None: zero), by one forward pass."""
        chosen = [k for k, index in enumerate(self.inputs) if index is not None and tangents[index] is not None]
        if not chosen:
            return [None] * self.outputs
        values = [*self.initial, *self.arguments]
        size, run, steps = self.size, self.program.run, self.program.steps

        def whole(*inputs: Any) -> tuple[Any, ...]:
            leaves = list(values)
            for k, v in zip(chosen, inputs):
                leaves[k] = v
            current, arguments = leaves[:size], leaves[size:]
            for i in range(steps):
                current = run(i, current, arguments)
            return tuple(current)

        _, derivatives = forward.push(whole, [values[k] for k in chosen], [tangents[self.inputs[k]] for k in chosen])
        return [derivatives[leaf] for leaf, _ in self.entries]


def _on(leaf: Any, tape: reverse.Tape) -> bool:
    return (leaf.__class__ is reverse.Var or leaf.__class__ is reverse.VarArray) and leaf.tape is tape


# ---------------------------------------------------------------- checkpoint and loop


Check = Callable[[reverse.Tape, bool], None]


def _tape_of(leaves: Sequence[Any]) -> reverse.Tape | None:
    """The tape a checkpointed call is recorded on as a block: that of its innermost
    differentiation, when that is an open tape (not the generated code's tracing, which must see
    every comparison); None when the call is simply run (on numbers, dual numbers, sympy's)."""
    owner = None
    for leaf in leaves:
        if isinstance(leaf, Leveled):
            if owner is None or leaf.priority > owner.priority:
                owner = leaf
        elif isinstance(leaf, np.ndarray) and leaf.dtype == object and any(isinstance(v, Leveled) for v in leaf.flat):
            return None  # an array of diffstudy's numbers: followed entry by entry, on the tape
    if owner is None or not (owner.__class__ is reverse.Var or owner.__class__ is reverse.VarArray):
        return None
    tape = owner.tape
    if tape.observer is not None and getattr(tape.observer, "sees_every_comparison", True):
        return None  # the generated code's tracing: it must see each comparison inside the call
    return tape if isinstance(tape, reverse.Tape) and tape.__class__ is not reverse.ClosedTape else None


def _captured(function: Any, tape: reverse.Tape) -> list[str]:
    """The names of the variables of ``tape`` that ``function`` reads from its closure or its globals."""
    code = getattr(function, "__code__", None)
    if code is None:
        return []
    places = list(zip(code.co_freevars, [c.cell_contents for c in function.__closure__ or ()]))
    globals_ = getattr(function, "__globals__", {})
    places += [(name, globals_[name]) for name in code.co_names if name in globals_]
    found = []
    for name, value in places:
        try:
            leaves, _ = flatten(value, as_given=True)
        except (TypeError, ValueError):
            continue
        if any(_on(leaf, tape) for leaf in leaves):
            found.append(name)
    return found


def _closure_error(name: str, function: Any, tape: reverse.Tape) -> NestingError:
    names = _captured(function, tape)
    which = f"uses {', '.join(names)}, " if names else "uses "
    return NestingError(
        f"{name} {which}a variable of this differentiation that it is not given as an argument: "
        "pass it in (ds.checkpoint(f)(x, w), ds.loop(step, x0, n, args=(w,)))"
    )


def _require_given(name: str, function: Any, results: Sequence[Any]) -> None:
    """Raise where a call given no variable of a tape returned one: it read it from a closure or a
    global, so the tape recorded the call in full, and what was asked (to keep nothing) was not done."""
    for leaf in results:
        on_open_tape = isinstance(leaf, (reverse.Var, reverse.VarArray)) and leaf.tape.__class__ is reverse.Tape
        if on_open_tape and leaf.tape.observer is None:
            raise _closure_error(name, function, leaf.tape)


def _recorded(
    program: Program,
    plan: Callable[[], Iterator[tuple[Any, ...]]],
    tape: reverse.Tape,
    state: list[Any],
    arguments: list[Any],
    check: Check | None,
    function: Any,
) -> list[Any]:
    """Run ``program`` as a block on ``tape``: the final state's leaves, each differentiable one a
    variable of a :class:`.reverse.Recomputed` entry.

    Raises:
        NestingError: the program used a variable of the tape it was not given (from a closure or
            a global): the tape would have recorded part of it, and the gradient would be wrong.
    """
    size = len(tape)
    block = Block(program, plan, tape, state, arguments, check)
    final = block.start()
    if len(tape) != size:
        raise _closure_error(program.name, function, tape)
    results = []
    for leaf, value in enumerate(final):
        if not _differentiable(value):
            results.append(value)
            continue
        tape.append(reverse.Recomputed(block, value, block.outputs))
        index = len(tape) - 1
        block.entries.append((leaf, index))
        block.outputs += 1
        kind = reverse.VarArray if isinstance(value, np.ndarray) or getattr(value, "is_array", False) else reverse.Var
        results.append(kind(value, index, tape))
    return results


def _name(function: Any) -> str:
    return getattr(function, "__name__", type(function).__name__).replace("<lambda>", "lambda")


def checkpoint(fn: Callable[..., Any], check: Check | None = None) -> Callable[..., Any]:
    """``fn``, checkpointed: on a tape's variables it runs on their values, and the tape keeps its
    inputs and outputs only; the backward sweep runs it again to pull the adjoints back.

    Anywhere else (plain numbers, forward mode, sympy) it is ``fn``. ``check`` sees each tape the
    backward sweep records (the function API's overflow rule).
    """
    if not callable(fn):
        raise TypeError(f"checkpoint takes a function, not {type(fn).__name__} {fn!r}")
    label = f"checkpoint({_name(fn)})"

    @wraps(fn)
    def checkpointed(*args: Any, **kwargs: Any) -> Any:
        leaves, structure = flatten((args, kwargs), as_given=True)
        tape = _tape_of(leaves)
        if tape is None:
            result = fn(*args, **kwargs)
            if not any(isinstance(leaf, Leveled) for leaf in leaves):
                _require_given(label, fn, flatten(result, as_given=True)[0])
            return result
        made: list[Any] = []

        def run(i: int, state: list[Any], arguments: list[Any]) -> list[Any]:
            given, keywords = unflatten(structure, list(state))
            out, made_structure = flatten(fn(*given, **keywords), as_given=True)
            made[:] = [made_structure]
            return out

        program = Program(label, run, 1)
        results = _recorded(program, call_plan, tape, leaves, [], check, fn)
        return unflatten(made[0], results)

    return checkpointed


def _expanded(structure: Any) -> Any:
    """A structure with its runs of numbers written out leaf by leaf, so that a list of floats and
    a list of tape variables compare equal."""
    if structure[0] in ("list", "tuple"):
        children = structure[-1]
        if isinstance(children, int):
            return (structure[0], (("leaf", ()),) * children)
        return (structure[0], tuple(_expanded(c) for c in children))
    if structure[0] == "dict":
        return (*structure[:2], tuple(_expanded(c) for c in structure[2]))
    return structure


def _described(structure: Any) -> str:
    leaves = _expanded(structure)
    shapes: list[tuple[int, ...]] = []
    stack = [leaves]
    while stack:
        node = stack.pop()
        if node[0] == "leaf":
            shapes.append(node[1])
        elif node[0] != "none":
            stack.extend(reversed(node[-1]))
    if len(shapes) == 1:
        return "a number" if shapes[0] == () else f"an array of shape {shapes[0]}"
    return f"{node_kind(leaves)} of {len(shapes)} leaves with shapes {shapes}"


def node_kind(structure: Any) -> str:
    """``a tuple``, ``a list``, ``a dict``: what holds a state's leaves."""
    return {"list": "a list", "tuple": "a tuple", "dict": "a dict"}.get(structure[0], "a value")


def _whole(value: Any, what: str, least: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise CaseError(f"ds.loop: {what} must be a whole number ≥ {least}, not {value!r}")
    return int(value)


def _schedule(schedule: str | None, snapshots: Any, every: Any) -> str:
    if schedule is None:
        if snapshots is not None and every is not None:
            raise CaseError("ds.loop: give snapshots (the binomial schedule) or every (every k-th state), not both")
        return "binomial" if snapshots is not None else "every" if every is not None else "all"
    if schedule not in SCHEDULES:
        raise CaseError(f"ds.loop: schedule {schedule!r} is not one of {', '.join(map(repr, SCHEDULES))}")
    if snapshots is not None and schedule != "binomial":
        raise CaseError(f"ds.loop: snapshots is the binomial schedule's; the {schedule!r} schedule takes none")
    if every is not None and schedule != "every":
        raise CaseError(f"ds.loop: every is the 'every' schedule's; the {schedule!r} schedule takes none")
    if schedule == "binomial" and snapshots is None:
        raise CaseError("ds.loop: the binomial schedule needs snapshots=s, the states it may keep (s ≥ 1)")
    return schedule


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
    check: Check | None = None,
) -> Any:
    """``length`` steps of ``step`` from ``init``: the final carry. ``step(carry, *args)`` returns the
    next carry, of the structure and shapes of ``init``; with ``xs``, ``step(carry, xs[i], *args)``
    (``length`` defaults to ``len(xs)``), as ``jax.lax.scan`` without outputs per step.

    On a tape, the schedule decides what is kept for the backward sweep: ``"all"`` (the plain tape,
    the default), ``"every"`` (every k-th state, ``every=k``, √length by default) or ``"binomial"``
    (at most ``snapshots`` states, the fewest recomputations: revolve). The gradient is the plain
    tape's. Everything the step reads that is differentiated must come in through ``init``,
    ``args`` or ``xs``. A loop of 0 steps returns ``init``.
    """
    if not callable(step):
        raise TypeError(f"ds.loop takes a step function, not {type(step).__name__} {step!r}")
    if not isinstance(args, (tuple, list)):
        raise CaseError(f"ds.loop: args must be a tuple of the step's other arguments, not {type(args).__name__}")
    chosen = _schedule(schedule, snapshots, every)
    if length is None:
        if xs is None:
            raise CaseError("ds.loop: give the number of steps (length), or xs to take one step per entry")
        length = len(xs)
    n = _whole(length, "the number of steps", 0)
    if xs is not None and len(xs) < n:
        raise CaseError(f"ds.loop: xs has {len(xs)} entries for {n} steps")
    s = 0
    if chosen == "binomial":
        s = _whole(snapshots, "snapshots (the states the binomial schedule may keep, the start's among them)", 1)
    k = math.isqrt(max(n - 1, 0)) + 1  # ⌈√n⌉
    if every is not None:
        k = _whole(every, "every (the steps between two states kept)", 1)
    carry, structure = flatten(init, as_given=True)
    if not carry:
        raise CaseError("ds.loop: the carry holds no number")
    expected = _expanded(structure)
    shapes = [_shape(leaf) for leaf in carry]
    single = structure[0] == "leaf"  # a carry of one number or array, the common case, made quick
    extra, extra_structure = flatten((tuple(args), xs), as_given=True)
    rebuilt: list[Any] = [None, None]  # the arguments' leaves last seen, and their structure rebuilt

    def run(i: int, state: list[Any], arguments: list[Any]) -> list[Any]:
        if rebuilt[0] is not arguments:
            rebuilt[:] = [arguments, unflatten(extra_structure, list(arguments))]
        given, data = rebuilt[1]
        current = state[0] if single else unflatten(structure, list(state))
        out = step(current, data[i], *given) if data is not None else step(current, *given)
        if single and not isinstance(out, (list, tuple, dict)) and out is not None and _shape(out) == shapes[0]:
            return [out]
        leaves, made = flatten(out, as_given=True)
        if (made != structure and _expanded(made) != expected) or [_shape(leaf) for leaf in leaves] != shapes:
            raise CaseError(
                f"ds.loop: step {i + 1} returned {_described(made)} where the carry is {_described(structure)}: "
                "a step must return a carry of the structure and shapes it was given"
            )
        return leaves

    tape = _tape_of([*carry, *extra])
    if n == 0:
        return init
    label = f"loop({_name(step)}, {n} steps, " + (f"{s} snapshots)" if chosen == "binomial" else f"every {k})")
    if tape is None or chosen == "all":
        state = carry
        for i in range(n):
            state = run(i, state, extra)
        if chosen != "all" and not any(isinstance(leaf, Leveled) for leaf in [*carry, *extra]):
            _require_given(label, step, state)
        return unflatten(structure, state)
    plan = (lambda: binomial_plan(n, s)) if chosen == "binomial" else (lambda: every_plan(n, k))
    results = _recorded(Program(label, run, n), plan, tape, carry, extra, check, step)
    return unflatten(structure, results)

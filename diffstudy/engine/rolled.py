"""A long loop of scalar code written back up as a Python loop, with the same operations in the same order.

A recording follows one path and unrolls every loop: the Rosenbrock loop of 1,000 inputs is
4,000 operations, 7,500 statements written out, which Python takes about 40 ms to compile.
Where the recording repeats itself — a turn of p entries again and again, the same operations on
operands that lie the same way (an entry of this turn or of the one before, an input k places on
at each turn, one fixed number, the same constant) — the code writes the turn once, in a loop:
the forward loop keeps a tuple a turn of what the backward sweep reads, and the backward loop adds
the same partials into the same adjoints in the same order as the code written out, so the
numbers are the same to the bit. Whether each adjoint already holds a number when a term is added
(a first term is assigned, the others added) is found for every turn by following the sweep over
the whole recording, and only the longest run of turns that agree is rolled; the turns around it
are written out (at least the last, so that what the code after the loop adds into it is read as
a turn's carried adjoint is).

Only scalar float code of reverse mode is rolled (the code ``ds.jit(ds.grad(f))`` runs), and only
loops without a comparison of the path inside, whose partials are all written as formulas.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import reverse
from .primitives import Unit

if TYPE_CHECKING:
    from .generate import Script, _Writer

ROLL_FROM = 2_000  # operations from which loops are rolled: below, the code written out runs faster
TURNS = 16  # turns a loop needs to be rolled
# A turn of fewer entries than this costs more in the loop's own work (taking the next inputs,
# keeping numbers) than in its arithmetic (Speelpenning's one product a turn: 9 × f rolled against
# 5 × f written out), so it is rolled only where the code written out would be long to compile.
SHORT_TURN = 4
SHORT_TURNS_FROM = 20_000  # operations
LONGEST_TURN = 256  # entries
_CANDIDATES = 6  # periods tried at each start
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class NotRolled(Exception):
    """A loop planned to be rolled that cannot be (an adjoint it begins with may be nothing)."""


@dataclass
class Region:
    """Entries ``start`` … ``start + period·turns`` of the tape: ``turns`` turns of ``period`` entries."""

    start: int
    period: int
    turns: int
    slots: list[tuple[Any, ...]] = field(default_factory=list)  # per position: each operand's place
    forward: list[str] = field(default_factory=list)  # the turn's lines, on the loop's names
    # the turn's terms, last position first: (name, old or None, sign, partial or None, adjoint, partial is a float)
    backward: list[tuple[str, str | None, str, str | None, str, bool]] = field(default_factory=list)
    moves: list[tuple[str, str]] = field(default_factory=list)  # adjoints the turn before begins with
    constant_bars: list[int] = field(default_factory=list)  # adjoints no turn changes (a gradient's seed)
    listed: dict[tuple[int, int], bool] = field(default_factory=dict)  # streams put into the list after the loop
    local: list[str] = field(default_factory=list)  # each position's name in the loop
    streams: dict[tuple[int, int], str] = field(default_factory=dict)  # (first input, step) → its name
    kept: list[int] = field(default_factory=list)  # positions whose numbers the backward loop reads
    kept_before: list[int] = field(default_factory=list)  # … of the turn before
    carried: list[int] = field(default_factory=list)  # positions the next turn reads
    copied: list[int] = field(default_factory=list)  # … and reads after this turn has made them anew
    starts_with: list[int] = field(default_factory=list)  # positions whose adjoint a turn begins with
    carried_bars: list[int] = field(default_factory=list)  # positions adding into the turn before's
    fixed_bars: dict[int, str] = field(default_factory=dict)  # entries before the loop added into
    hidden: list[int] = field(default_factory=list)  # positions whose overflow could hide
    kept_name: str = "_kept"
    hidden_sum: str = "_h"

    @property
    def end(self) -> int:
        return self.start + self.period * self.turns

    def entry(self, turn: int, position: int) -> int:
        return self.start + self.period * turn + position


def regions(
    writer: _Writer, script: Script, live: list[bool], reaches: list[bool] | None, seeded: list[int]
) -> list[Region]:
    """The loops of ``script`` to roll, each planned to the line; none where the recording is short."""
    tape = script.recording.tape
    if script.size < ROLL_FROM or any(entry.__class__ is not tuple for entry in tape):
        return []
    found = _repeating(script)
    if script.size < SHORT_TURNS_FROM:
        found = [region for region in found if region.period >= SHORT_TURN]
    if not found:
        return []
    status, starts = _sweep(script, live, reaches, seeded, found)
    hidden = set(writer.hidden_entries())
    used = _Names(set(script.names) | {f"{name}_bar" for name in script.names} | set(writer.namespace))
    planned = []
    for r, region in enumerate(found):
        if _uniform(r, region, script, live, status, starts) and _plan(writer, script, region, status, hidden, used):
            planned.append(region)
    return planned


def _repeating(script: Script) -> list[Region]:
    """Runs of turns: a period found from the next entry of the same operation on the same line."""
    tape, n, lines = script.recording.tape, script.recording.n_inputs, script.lines
    following = [0] * len(tape)
    last: dict[tuple[Any, Any], int] = {}
    for k in range(len(tape) - 1, n - 1, -1):
        key = (tape[k][0], lines[k] if k < len(lines) else None)
        following[k] = last.get(key, 0)
        last[key] = k
    found = []
    stops: dict[int, tuple[int, bool]] = {}  # each period tried: where its pattern last stopped, and how
    k = n
    while k < len(tape):
        q, best = following[k], None
        for _ in range(_CANDIDATES):
            if not q or q - k > LONGEST_TURN:
                break
            p = q - k
            stop, unlike = stops.get(p, (-1, False))
            if (stop >= k + p or (unlike and stop >= k)) and (stop - k) // p < TURNS:
                q = following[q]  # it stops there from here too: not far enough
                continue
            pairs, stop, unlike = _pairs(tape, n, k, p)
            stops[p] = stop, unlike
            if pairs >= TURNS:
                best = Region(k, p, pairs)  # the turn after the last pair's first is written out
                break
            q = following[q]
        if best is None:
            k += 1
            continue
        found.append(best)
        k = best.end + best.period
    last_reader = _last_readers(script) if found else []
    return [region for region in (_cut(script, region, last_reader) for region in found) if region is not None]


def _place(tape: list[Any], n: int, a: int, p: int) -> tuple[Any, ...] | None:
    """How entry ``a``'s operands lie, against entry ``a + p``'s: None where they do not lie alike."""
    ea, eb = tape[a], tape[a + p]
    if ea[0] is not eb[0]:
        return None
    places = []
    for ia, ca, ib, cb in ((ea[2], ea[3], eb[2], eb[3]), (ea[4], ea[5], eb[4], eb[5])):
        if ia is None or ib is None:
            if ia is not ib or not (ca is cb or (ca.__class__ is cb.__class__ and ca == cb and repr(ca) == repr(cb))):
                return None
            places.append(("constant",))
        elif ia < n:
            if ib >= n or ib < ia:
                return None
            places.append(("input", ib - ia) if ib != ia else ("fixed", ia))
        elif ib == ia + p:
            places.append(("back", a - ia))
        elif ib == ia:
            places.append(("fixed", ia))
        else:
            return None
    return tuple(places)


def _pairs(tape: list[Any], n: int, k: int, p: int) -> tuple[int, int, bool]:
    """How many turns of ``p`` entries from ``k`` on lie as the first lies against the second; the
    entry where that stops (no start after ``k``, a turn before it, goes further); and whether that
    entry lies unlike the one ``p`` on (then no start up to it goes further)."""
    if k + 2 * p > len(tape):
        return 0, k, False
    first = []
    for j in range(p):
        place = _place(tape, n, k + j, p)
        if place is None:
            return 0, k + j, True
        first.append(place)
    pairs = 1
    while k + p * (pairs + 2) <= len(tape):
        base = k + p * pairs
        for j in range(p):
            place = _place(tape, n, base + j, p)
            if place != first[j]:
                return pairs, base + j, place is None
        pairs += 1
    return pairs, len(tape), False


def _cut(script: Script, region: Region, last_reader: list[int]) -> Region | None:
    """The region up to its first comparison, with its operands' places; None where none is left or
    what it makes is read from outside its own turn and the next."""
    tape, n = script.recording.tape, script.recording.n_inputs
    p = region.period
    inside = [g.after for g in script.guards if region.start <= g.after < region.end + p]
    if inside:
        region.turns = min(region.turns, (min(inside) - region.start) // p - 1)
    if region.turns < TURNS:
        return None
    found = _slots(tape, n, region.start, p)
    if found is None:
        return None
    region.slots = found
    # Only the last turn's numbers may be read after the loop (the next turn, written out, reads them).
    inner_end = region.end - p
    if any(last_reader[k] >= region.end for k in range(region.start, inner_end)):
        return None
    return region


def _last_readers(script: Script) -> list[int]:
    """For each entry, the last entry that reads it (past the end for an output or a comparison's side)."""
    tape = script.recording.tape
    last = list(range(len(tape)))
    for k, entry in enumerate(tape):
        if entry[2] is not None:
            last[entry[2]] = k
        if entry[4] is not None:
            last[entry[4]] = k
    for out in script.recording.outputs:
        if script.recording.on_tape(out):
            last[out.index] = len(tape)
    for guard in script.guards:
        for side in (guard.left, guard.right):
            if isinstance(side, reverse.Var) and side.tape is tape:
                last[side.index] = len(tape)
    return last


class _Names:
    """The names the code uses, and new ones for the loops' own."""

    def __init__(self, taken: set[str]) -> None:
        self.taken = taken
        self.suffixes: dict[str, int] = {}  # each base name: the last suffix given it

    def fresh(self, base: str, *endings: str) -> str:
        """``base``, or ``base_2``, ``base_3``, … where it (or it with one of ``endings``) is taken."""
        name, suffix = base, self.suffixes.get(base, 1)
        while any(name + ending in self.taken for ending in ("", *endings)):
            suffix += 1
            name = f"{base}_{suffix}"
        self.suffixes[base] = suffix
        self.taken.update(name + ending for ending in ("", *endings))
        return name


def _slots(tape: list[Any], n: int, start: int, p: int) -> list[tuple[Any, ...]] | None:
    """Where each operand of a turn from ``start`` lies: ("here", j) an entry of the turn, ("before",
    j) of the turn before, ("input", first, step), ("fixed", index) before the loop, ("constant",)."""
    found = []
    for j in range(p):
        slots: list[tuple[Any, ...]] = []
        for slot in _place(tape, n, start + j, p):
            if slot[0] == "back":
                back = j - slot[1]
                if back >= 0:
                    slots.append(("here", back))
                elif back + p >= 0:
                    slots.append(("before", back + p))
                else:
                    return None  # two turns back
            elif (slot[0] == "fixed" and slot[1] >= start) or (slot[0] == "input" and slot[1] < 0):
                return None
            elif slot[0] == "input":
                slots.append(("input", tape[start + j][2 + 2 * len(slots)], slot[1]))
            else:
                slots.append(slot)
        found.append(tuple(slots))
    return found


def _sweep(
    script: Script, live: list[bool], reaches: list[bool] | None, seeded: list[int], found: list[Region]
) -> tuple[dict[tuple[int, int], bool], dict[tuple[int, int], tuple[bool, ...]]]:
    """The backward sweep followed without writing it: for each term added, whether its adjoint
    held a number already, and for each turn of each region, which adjoints it begins with."""
    tape, n = script.recording.tape, script.recording.n_inputs
    has = [False] * len(tape)
    for k in seeded:
        has[k] = True
    status: dict[tuple[int, int], bool] = {}
    starts: dict[tuple[int, int], tuple[bool, ...]] = {}
    last_of_turn = {
        region.entry(t, region.period - 1): (r, t) for r, region in enumerate(found) for t in range(region.turns)
    }
    zero: dict[Any, tuple[bool, ...]] = {}  # each primitive: which partials are 0 by structure
    for k in range(len(tape) - 1, n - 1, -1):
        turn = last_of_turn.get(k)
        if turn is not None:
            first = found[turn[0]].entry(turn[1], 0)
            starts[turn] = tuple(has[first : first + found[turn[0]].period])
        if not has[k] or not live[k]:
            continue
        entry = tape[k]
        primitive = entry[0]
        skip = zero.get(primitive)
        if skip is None:
            skip = zero[primitive] = tuple(r.__class__ is Unit and r.sign == 0 for r in primitive.partials)
        for position, index in enumerate((entry[2], entry[4])[: primitive.arity]):
            if index is None or skip[position] or (reaches is not None and not reaches[index]):
                continue
            status[(k, position)] = has[index]
            has[index] = True
    return status, starts


def _uniform(
    r: int,
    region: Region,
    script: Script,
    live: list[bool],
    status: dict[tuple[int, int], bool],
    starts: dict[tuple[int, int], tuple[bool, ...]],
) -> bool:
    """Whether enough turns add their terms alike — the same adjoints assigned first, the same
    added to: the region is cut to the longest run of such turns (a first turn whose number does
    not yet depend on what is differentiated, last turns whose inputs the turns after add into, are
    written out); False where fewer than :data:`TURNS` are left."""
    p = region.period

    def pattern(t: int) -> tuple[Any, ...]:
        base = region.start + p * t
        return starts.get((r, t)), *((live[k], status.get((k, 0)), status.get((k, 1))) for k in range(base, base + p))

    best, run_start, previous = (0, 0), 0, None
    for t in range(region.turns):
        now = pattern(t)
        if now != previous:
            run_start, previous = t, now
        if t + 1 - run_start > best[1] - best[0]:
            best = (run_start, t + 1)
    first, last = best
    if last - first < TURNS:
        return False
    held = starts[(r, first)]
    region.start, region.turns = region.start + p * first, last - first
    slots = _slots(script.recording.tape, script.recording.n_inputs, region.start, p)
    if slots is None:
        return False
    region.slots = slots
    region.starts_with = [j for j, has in enumerate(held) if has]
    return True


def _plan(
    writer: _Writer,
    script: Script,
    region: Region,
    status: dict[tuple[int, int], bool],
    hidden: set[int],
    used: _Names,
) -> bool:
    """Each line of the two loops written, on the loop's names; False where a partial is not a
    formula (a rule called by name may give a structural 0, which is not written alike each turn)
    or two of a turn's operands would take one name."""
    tape, names, n = script.recording.tape, script.names, script.recording.n_inputs
    p = region.period

    fresh = used.fresh
    # the first turn's entries live in the loop alone: their names are free for the loop's
    used.taken.difference_update(names[region.start + j] + ending for j in range(p) for ending in ("", "_bar"))
    endings = ("_bar", "_prev", "_bar_prev")
    region.local = []
    for j in range(p):
        name = names[region.start + j]
        stem = _stem(name)  # total, not total_2, where total is free
        region.local.append(fresh(stem if not any(stem + e in used.taken for e in ("", *endings)) else name, *endings))
    for j, slots in enumerate(region.slots):
        for slot in slots:
            if slot[0] == "input" and slot[1:] not in region.streams:
                stem = _stem(names[slot[1]])
                start, step = slot[1] - slot[2], slot[2]  # the input at turn _t = 1, 2, …: start + step·_t
                shift = "" if start == 0 else f"_plus_{start}" if start > 0 else f"_minus_{-start}"
                stream = f"{stem}_{'' if step == 1 else step}t{shift}"
                region.streams[slot[1:]] = fresh(stream, "_at", "_sums", "_sum")
            if slot[0] == "before" and slot[1] not in region.carried:
                region.carried.append(slot[1])
            if slot[0] == "before" and slot[1] < j and slot[1] not in region.copied:
                region.copied.append(slot[1])  # read after this turn has made it anew: kept as it was
    region.hidden = sorted({(k - region.start) % p for k in hidden if region.start <= k < region.end})

    def operands(j: int, backward: bool) -> dict[str, str] | None:
        """The names the written line of position j reads at turn 0, and what they are in the loop."""
        k = region.start + j
        mapping = {names[k]: region.local[j]}
        for slot, index in zip(region.slots[j], (tape[k][2], tape[k][4])):
            if slot[0] == "here":
                name = region.local[slot[1]]
            elif slot[0] == "before":
                before = region.local[slot[1]]
                name = f"{before}_prev" if backward or slot[1] < j else before
            elif slot[0] == "input":
                name = region.streams[slot[1:]]
            elif slot[0] == "fixed":
                name = names[index]
            else:
                continue
            if mapping.setdefault(names[index], name) != name:
                return None  # x_0 of this turn and the fixed x_0 in one line
        return mapping

    for j in range(p):
        mapping = operands(j, backward=False)
        if mapping is None:
            return False
        region.forward.append(_renamed(writer.primal(region.start + j), mapping))
    if not _apart(region):
        return False
    read: set[str] = set()
    alias: dict[str, str] = {}  # a loop's adjoint that is, for now, another's number (a copy not written)
    sums: dict[tuple[int, int], str] = {}  # a stream of inputs: the name its terms of a turn are added in
    held_streams: set[tuple[int, int]] = set()  # … whose entries of the list hold a number before the turn
    for j in range(p - 1, -1, -1):
        k = region.start + j
        if (k, 0) not in status and (k, 1) not in status:
            continue
        mapping = operands(j, backward=True)
        if mapping is None:
            return False
        g = alias.get(f"{region.local[j]}_bar", f"{region.local[j]}_bar")
        for position, slot in enumerate(region.slots[j]):
            if (k, position) not in status:
                continue
            held = status[(k, position)]
            rule = tape[k][0].partials[position]
            if rule.__class__ is Unit:
                text, sign, floats = None, "+" if rule.sign > 0 else "-", False
            else:
                written, called = writer.partial(k, position)
                if called:
                    return False
                text, sign, floats = _renamed(written, mapping), "+", writer.of_floats(written)
                read.update(_TOKEN.findall(text))
            if slot[0] == "input":  # added up in a name of its own this turn, put into the list after
                stream = slot[1:]
                name = sums.get(stream)
                if name is None:
                    name = sums[stream] = f"{region.streams[stream]}_sum"  # reserved with the stream's name
                    if held:
                        held_streams.add(stream)
                        alias[name] = f"_input_bars[{region.streams[stream]}_at]"
                old = alias.pop(name, name) if held or name in alias else None
            else:
                if slot[0] == "fixed" and slot[1] >= n:  # an entry before the loop: added up in a name of its own
                    region.fixed_bars.setdefault(slot[1], fresh(f"{names[slot[1]]}_bar_sum"))
                name = _target(region, slot, names)
                old = alias.pop(name, name) if held else None
            if old is None and sign == "+" and text is None:
                alias[name] = g  # ∂(a + b)/∂a = 1: a's adjoint is this one's number, not copied
            else:
                region.backward.append((name, old, sign, text, g, floats))
            if slot[0] == "before" and slot[1] not in region.carried_bars:
                region.carried_bars.append(slot[1])
    # Into the list at each turn, where a turn reads what another put there (x[i + 1], then x[i]);
    # else into a list of the turns, put into the inputs' all at once after the loop.
    at_once = not held_streams
    for stream, name in sums.items():
        value = alias.get(name, name)
        into = f"{region.streams[stream]}_sums[_t]" if at_once else f"_input_bars[{region.streams[stream]}_at]"
        region.backward.append((into, value, "", None, "", False))
    region.listed = {stream: at_once for stream in sums}
    # the turn before begins with what this one added into its adjoints, all read before any is set
    moves = [(f"{region.local[j]}_bar", alias.get(f"{region.local[j]}_bar_prev", f"{region.local[j]}_bar_prev"))
             for j in region.carried_bars]  # fmt: skip
    region.moves = [(to, held) for to, held in moves if to != held]
    assigned = {item[0] for item in region.backward} | {to for to, _ in region.moves}
    region.constant_bars = [j for j in region.starts_with if f"{region.local[j]}_bar" not in assigned]
    if sorted(region.carried_bars) != sorted(region.starts_with):
        return False  # a turn would begin with an adjoint the turn after did not give it
    region.kept = [j for j in range(p) if region.local[j] in read]
    region.kept_before = [j for j in range(p) if f"{region.local[j]}_prev" in read]
    region.copied = sorted(set(region.copied) | set(region.kept_before))  # kept as it was when the turn began
    region.kept_name = fresh("_kept")
    region.hidden_sum = fresh("_h")  # the sum of the numbers where an overflow could hide
    return True


def _apart(region: Region) -> bool:
    """Whether no two of a turn's inputs, taken each turn a step on or fixed, are ever one input."""
    streams = list(region.streams)
    fixed = {slot[1] for slots in region.slots for slot in slots if slot[0] == "fixed"}
    for i, (b1, s1) in enumerate(streams):
        if any(q >= b1 and (q - b1) % s1 == 0 and (q - b1) // s1 < region.turns for q in fixed):
            return False
        for b2, s2 in streams[i + 1 :]:
            if s1 != s2 and (b2 - b1) % (s1 - s2) == 0 and 0 <= (b2 - b1) // (s1 - s2) < region.turns:
                return False
    return True


def _index(start: int, step: int) -> str:
    """``start + step·_t`` as an index, written short."""
    turn = "_t" if step == 1 else f"{step}·_t"
    return f"({turn})" if start == 0 else f"({start} + {turn})" if start > 0 else f"({turn} − {-start})"


def _stem(name: str) -> str:
    return re.sub(r"_\d+$", "", name)


def _kept(region: Region) -> list[str]:
    """The names of what a turn keeps for its backward turn: its numbers, and some of the turn before's."""
    return [region.local[j] for j in region.kept] + [f"{region.local[j]}_prev" for j in region.kept_before]


def _target(region: Region, slot: tuple[Any, ...], names: list[str]) -> str:
    """Where a term into the operand at ``slot`` is added, in the backward loop."""
    if slot[0] == "here":
        return f"{region.local[slot[1]]}_bar"
    if slot[0] == "before":
        return f"{region.local[slot[1]]}_bar_prev"
    if slot[0] == "input":
        return f"_input_bars[{region.streams[slot[1:]]}_at]"
    index = slot[1]
    return region.fixed_bars.get(index) or f"{names[index]}_bar"


def _renamed(line: str, mapping: dict[str, str]) -> str:
    return _TOKEN.sub(lambda m: mapping.get(m.group(0), m.group(0)), line)


def write_forward(writer: _Writer, script: Script, region: Region) -> None:
    """The forward loop of ``region``, and the last turn's numbers under their own names after it."""
    names, p, turns = script.names, region.period, region.turns
    streams = "".join(f"; {name} is {_stem(names[b])}_{_index(b - s, s)}" for (b, s), name in region.streams.items())
    writer.emit(f"# {turns} turns of a loop, written once (turn _t = 1, 2, …{streams})")
    writer.has_input_tuple = writer.has_input_tuple or bool(region.streams)  # its inputs taken as one sequence
    kept = _kept(region)
    if kept:
        writer.emit(f"{region.kept_name} = [None] * {turns + 1}")
    for j in region.carried:
        writer.emit(f"{region.local[j]} = {names[region.start - p + j]}")
    if region.hidden:
        writer.emit(f"{region.hidden_sum} = 0.0")
    streams = "".join(f", {name}" for name in region.streams.values())
    slices = "".join(f", _inputs[{b}:{b + s * turns}:{s}]" for b, s in region.streams)
    turns_from_1 = f"range(1, {turns + 1})"
    writer.emit(f"for _t{streams} in zip({turns_from_1}{slices}):" if streams else f"for _t in {turns_from_1}:")
    for j in region.copied:
        writer.emit(f"{region.local[j]}_prev = {region.local[j]}", 2)
    shown = None
    for j, line in enumerate(region.forward):
        where = script.lines[region.start + j]
        if where is not None and where != shown:
            writer.emit(f"# {_source(where)}", 2)
            shown = where
        writer.emit(line, 2)
    if kept:  # one tuple a turn: what its backward turn reads
        writer.emit(f"{region.kept_name}[_t] = ({', '.join(kept)},)", 2)
    for j in region.hidden:
        writer.emit(f"{region.hidden_sum} = {region.hidden_sum} + {region.local[j]}", 2)
    for j in range(p):  # (those nothing reads are left out once the code is written: see generate.write)
        writer.emit(f"{names[region.entry(turns - 1, j)]} = {region.local[j]}")
        writer.copies.append(writer.lines[-1])
    if region.hidden:
        writer.hidden_sums.append(region.hidden_sum)


def write_backward(
    writer: _Writer, script: Script, region: Region, adjoint: dict[int, str], maybe_none: set[str], used_up: Any
) -> bool:
    """The backward loop of ``region``, after the adjoints of its last turn are known; False (and
    nothing written) where one of them may be nothing (a structural 0)."""
    n, turns = script.recording.n_inputs, region.turns
    first = [adjoint.get(region.entry(turns - 1, j)) for j in region.starts_with]
    fixed = [adjoint.get(q) for q in region.fixed_bars]
    if any(a is None or a in maybe_none for a in (*first, *fixed)) or any(
        adjoint.get(i) in maybe_none for i in range(n)
    ):
        return False
    # An adjoint no turn changes that begins as the gradient's seed of 1 is 1 in every turn: the
    # products by it are left out where the partial is a float (b · 1 is b, to the bit).
    ones = {f"{region.local[j]}_bar" for j, held in zip(region.starts_with, first) if held in writer.ones}
    ones &= {f"{region.local[j]}_bar" for j in region.constant_bars}
    if region.backward or region.moves:
        writer.emit(f"# the {turns} turns of the loop above, in reverse order")
    else:
        writer.emit(f"# the {turns} turns of the loop above add into no adjoint")
    for j, held in zip(region.starts_with, first):
        writer.emit(f"{region.local[j]}_bar = {held}")
        used_up(region.entry(turns - 1, j))
    for (q, name), held in zip(region.fixed_bars.items(), fixed):
        writer.emit(f"{name} = {held}")
        used_up(q, keep=True)
        adjoint[q] = name
    for i in sorted({slot[1] for slots in region.slots for slot in slots if slot[0] == "fixed" and slot[1] < n}):
        name = f"{script.names[i]}_bar"  # the name the loop adds a fixed input's terms into
        if i in adjoint and adjoint[i] != name:  # held in the list by a loop written before (after, in f)
            writer.emit(f"{name} = {adjoint[i]}")
            adjoint[i] = name
    touched = sorted({b + s * t for b, s in region.listed for t in range(turns)})  # inputs given terms
    if touched and not writer.has_input_bars:
        writer.emit(f"_input_bars = [None] * {n}")
        writer.has_input_bars = True
    for i in touched:
        if i in adjoint and not adjoint[i].startswith("_input_bars["):
            writer.emit(f"_input_bars[{i}] = {adjoint[i]}")
    for stream, listed in region.listed.items():
        if listed:
            writer.emit(f"{region.streams[stream]}_sums = [None] * {turns + 1}")
    parts = []
    for (b, s), name in region.streams.items():
        parts.append((name, f"_inputs[{b}:{b + s * turns}:{s}][::-1]"))
        if not region.listed.get((b, s), True):
            parts.append((f"{name}_at", f"range({b + s * (turns - 1)}, {b - 1}, {-s})"))
    lines: list[tuple[str, str]] = []  # (name, right side), a term added into the line before where it can be
    folds = 0
    for name, old, sign, text, g, floats in region.backward:
        term = g if text is None else text if g in ones and floats else f"{text} * {g}"
        if not sign:  # a number put into the list
            lines.append((name, old))
            folds = 0
            continue
        if old is None:
            lines.append((name, f"-{term}" if sign == "-" else term))
            folds = 0
        elif lines and lines[-1][0] == name and old == name and folds < 8 and name not in term:
            before = lines[-1][1]
            lines[-1] = (name, f"{before if before.isidentifier() else f'({before})'} {sign} {term}")
            folds += 1
        else:
            lines.append((name, f"{old} {sign} {term}"))
            folds = 0
    if lines or region.moves:  # (a loop no turn of which adds into an adjoint is not written)
        header = "".join(f", {name}" for name, _ in parts)
        sources = "".join(f", {source}" for _, source in parts)
        turns_back = f"range({turns}, 0, -1)"
        writer.emit(f"for _t{header} in zip({turns_back}{sources}):" if parts else f"for _t in {turns_back}:")
        kept = _kept(region)
        if kept:
            writer.emit(f"{', '.join(kept)}, = {region.kept_name}[_t]", 2)
        for name, right in lines:
            writer.emit(f"{name} = {right}", 2)
        if region.moves:
            to = ", ".join(to for to, _ in region.moves)
            writer.emit(f"{to} = {', '.join(held for _, held in region.moves)}", 2)
    for (b, s), listed in region.listed.items():
        if listed:
            writer.emit(f"_input_bars[{b}:{b + s * turns}:{s}] = {region.streams[(b, s)]}_sums[1:]")
    for j in region.carried_bars:
        before = region.start - region.period + j
        adjoint[before] = f"{region.local[j]}_bar"
    for i in touched:
        adjoint[i] = f"_input_bars[{i}]"
    for k in range(region.start, region.end):
        adjoint.pop(k, None)
    return True


def _source(line: tuple[str, int]) -> str:
    from .generate import _source_line

    return _source_line(line)

"""What the tape keeps, counted by what it holds, and the memory study's command."""

from __future__ import annotations

import io
import sys

import numpy as np
import pandas as pd

import diffstudy as ds
from diffstudy.cli import main
from diffstudy.engine import checkpoint, kept, reverse
from diffstudy.studies import loops

ENTRY = sys.getsizeof((None,) * 6)  # a scalar entry: a tuple of six fields
FLOAT = sys.getsizeof(1.0)


def test_what_the_lectures_tape_keeps_by_hand():
    """x³(x + 3y) at (2.0, 3.0): six entries; the four operations' values are new floats, and so is
    x³'s partial 3x²; mul's partials are its arguments' values, 3y's is the constant 3, add's are ±1."""
    recording = reverse.record(lambda x, y: x**3 * (x + 3 * y), [2.0, 3.0])
    assert len(recording.tape) == 6
    assert kept.held(recording.tape) == kept.Held(numbers=5, bytes=6 * ENTRY + 5 * FLOAT)


def test_an_array_tape_keeps_the_arrays_it_made_once_each():
    """tanh(W @ x): the product's value, tanh's value and its partial 1 − tanh² are 3 numbers each;
    the inputs W and x, which the product's maps refer to, are the program's, not the tape's."""
    W, x = np.arange(6.0).reshape(3, 2) / 10, np.array([0.5, -1.0])
    recording = reverse.record(lambda W, x: np.tanh(W @ x), [W, x])
    items = kept.kept(recording.tape)
    assert kept.held(recording.tape).numbers == 9
    assert [(item.entry, item.what, item.numbers) for item in items if item.numbers] == [
        (2, "value", 3), (3, "value", 3), (3, "map", 3),
    ]  # fmt: skip
    assert all(item.bytes >= 3 * 8 for item in items if item.numbers)


def test_the_plain_tape_keeps_every_step_and_a_schedule_keeps_s_states():
    """The logistic map keeps three new numbers a step on the plain tape (1 − x, r·x and their
    product); with s snapshots its loop holds at most s states at once, however long it runs."""
    most = {}
    for n in (100, 1000):
        plain = reverse.record(loops.logistic(n)[0], [0.3, 3.2])
        assert kept.held(plain.tape).numbers == 3 * n
        with checkpoint.watching(count_bytes=True) as blocks:
            recording = reverse.record(loops.logistic(n, snapshots=5)[0], [0.3, 3.2])
            reverse.gradient_row(recording, 0)
        most[n] = blocks[0].most_bytes
        assert blocks[0].most_snapshots == 5
    assert most[100] == most[1000] < kept.held(reverse.record(loops.logistic(100)[0], [0.3, 3.2]).tape).bytes


def test_a_loop_that_is_kept_is_listed_with_its_snapshots_and_tape():
    """Every 10th of 40 steps: the states after steps 10 and 20 (the start's is the input's), and the
    last stretch, recorded on the way forward from the state after step 30, which is not kept."""
    recording = reverse.record(loops.logistic(40, every=10)[0], [0.3, 3.2])
    listed = {item.what: item.by for item in kept.kept(recording.tape) if item.what in ("snapshots", "tape")}
    assert listed == {"snapshots": "2 states, after steps 10, 20", "tape": "the tape of steps 31–40"}


def test_the_memory_command_prints_tidy_tables(capsys):
    assert main(["memory", "--max-n", "12", "--max-width", "8", "--format", "csv"]) == 0
    out, err = capsys.readouterr()
    frame = pd.read_csv(io.StringIO(out))
    assert set(frame["table"]) == {"methods", "loops", "law", "frontier", "target"}
    law = frame[frame["table"] == "law"]
    assert list(law["n"]) == [10] * 5 and law["agree"].all()
    assert (law["counted"] == law["law"]).all() and (law["law"] == law["recursion"]).all()
    frontier = frame[frame["table"] == "frontier"]
    assert (frontier["counted"] == frontier["law"]).all() and (frontier["steps_run_again"] == frontier["law"]).all()
    assert "kept at most" in err


def test_the_memory_studys_progress_knows_its_total():
    from dataclasses import replace

    from diffstudy.studies import memory

    said = []
    settings = replace(memory.settings_up_to(12, 8), peaks=False)
    memory.study(settings, said.append)
    assert len(said) == memory.steps(settings) and said[-1].startswith("memory: a loop of 12 steps")


def test_the_memory_command_refuses_bad_numbers(capsys):
    for option in (["--max-n", "0"], ["--snapshots", "0"], ["--max-width", "x"]):
        try:
            status = main(["memory", *option])
        except SystemExit as stop:
            status = stop.code
        assert status == 2
        err = capsys.readouterr().err
        assert err.strip().splitlines()[-1].startswith("python -m diffstudy memory: error:")


def test_the_loop_programs_differentiate_as_their_written_out_loops():
    """The study's loops are what they say: the RNN cell's gradient against the cell written out."""
    program, point = loops.rnn(6)
    sequence = np.random.default_rng(16).normal(size=(6, 4))

    def written(W, U, b):
        h = np.zeros(16)
        for x in sequence:
            h = np.tanh(W @ h + U @ x + b)
        return np.mean(h * h)

    assert all(
        np.array_equal(a, b) for a, b in zip(ds.grad(program, (0, 1, 2))(*point), ds.grad(written, (0, 1, 2))(*point))
    )

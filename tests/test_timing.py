"""The time study's tables: what is timed and where each column stops (never how fast anything is)."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from diffstudy.studies import timing

from .helpers import run_cli


def test_the_time_command_prints_tidy_tables_with_its_caps_in_the_notes(capsys):
    status, out, err = run_cli(
        capsys, "time", "--max-n", "4", "--max-width", "8", "--seconds", "0.001", "--format", "csv"
    )
    assert status == 0
    frame = pd.read_csv(io.StringIO(out))
    assert list(dict.fromkeys(frame["table"])) == ["speelpenning", "rosenbrock", "log_sum_exp", "network"]
    assert "f_us" in frame.columns and "f_s" not in frame.columns  # microseconds, named so
    families = frame[frame["table"] != "network"]
    assert sorted(set(families["n"])) == [2, 4]
    for column in ("f_us", "tape_over_f", "generated_over_f", "dual_numbers_over_f", "sympy_over_f", "compile_ms"):
        assert (families[column] > 0).all(), column
    # the network of width 8: depth 3 of 8 × 8 weights and an output vector of 8, counted by hand
    assert frame[frame["table"] == "network"]["n"].tolist() == [3 * 64 + 8]
    assert "at least 7, for about 0.001 s" in err and "dual numbers (n passes) are timed up to n = 256" in err


def test_dual_numbers_and_sympy_stop_at_their_caps():
    limits = timing.TimeLimits(sizes=(2, 4), widths=(), dual_max_n=2, sympy_max_n=2, seconds=0.001, repeats=2)
    sweeps = timing.sweep(limits)
    assert [s.name for s in sweeps] == ["speelpenning", "rosenbrock", "log_sum_exp"]  # no widths: no network
    for timed in sweeps:
        rows = timed.rows.set_index("n")
        assert rows.loc[2, "dual numbers/f"] is not None and rows.loc[4, "dual numbers/f"] is None
        assert rows.loc[2, "sympy/f"] is not None and rows.loc[4, "sympy/f"] is None
        assert rows["generated/f"].notna().all() and rows["tape/f"].notna().all()
    notes = timing.sections(sweeps, limits)[0].notes[0]
    assert "up to n = 2" in notes and "at least 2, for about 0.001 s" in notes


def test_a_generated_gradient_that_disagreed_with_the_tape_is_not_timed():
    with pytest.raises(RuntimeError, match="differs from the tape's; not timed"):
        timing._same_gradient((1.0, 2.0), (1.0, 2.0 + 1e-9), "here")
    timing._same_gradient((1.0, [2.0, 3.0]), (1.0, [2.0, 3.0]), "here")  # agrees: says nothing


def test_a_gradient_timed_faster_than_f_is_flagged_not_shown_as_a_finding():
    # A gradient does f's work and more: tape/f below 1 says f's own time was disturbed.
    rows = pd.DataFrame([dict.fromkeys(timing.COLUMNS) | {"n": n, "tape/f": r} for n, r in ((8, 3.1), (256, 0.07))])
    parts = timing.sections([timing.TimeSweep("network", rows.assign(width=[8, 256]))], timing.TimeLimits())
    flagged = [note for note in parts[-1].notes if "timed faster than f" in note]
    assert len(flagged) == 1 and flagged[0].startswith("network width 256:")

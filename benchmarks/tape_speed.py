"""Time per recorded operation of the reverse-mode tape and of dual-number arithmetic.

Run:  python benchmarks/tape_speed.py [--n 1000] [--repeat 7] [--format table|markdown|json]

For a Speelpenning loop and an extended-Rosenbrock loop of n inputs (the programs of
``diffstudy swell`` and ``diffstudy cost``), it times, best of
``--repeat`` runs on plain floats:

* plain float evaluation of the function (the floor);
* one forward pass of dual numbers (value and one tangent through every operation);
* the tape: recording the evaluation plus one backward sweep, in total and separately.

Each time is divided by the number of operations the tape records for that function, which
``len(tape) - n`` measures, so the per-operation figures of the three are comparable.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from typing import Any

from tabulate import tabulate
from timing import best_time

from diffstudy.engine import forward, reverse
from diffstudy.studies.programs import Program, rosenbrock, speelpenning


def measure(build: Callable[[int], Program], n: int, repeat: int) -> dict[str, Any]:
    """Per-operation times (µs) of floats, one dual pass, and the tape, for the program of n inputs."""
    f, _, _ = build(n)
    rng = random.Random(0)
    point = [rng.uniform(0.9, 1.1) for _ in range(n)]
    recording = reverse.record(f, point)
    ops = len(recording.tape) - n

    def record_and_sweep() -> None:
        reverse.gradient_row(reverse.record(f, point), 0)

    floats = best_time(lambda: f(*point), repeat)
    seed = forward.unit_tangents(point, (0, 0))
    dual = best_time(lambda: forward.push(f, point, seed), repeat)
    record = best_time(lambda: reverse.record(f, point), repeat)
    sweep = best_time(lambda: reverse.gradient_row(recording, 0), repeat)
    tape = best_time(record_and_sweep, repeat)
    micro = 1e6 / ops
    return {
        "function": build.__name__,
        "n": n,
        "recorded ops": ops,
        "float µs/op": round(floats * micro, 3),
        "dual µs/op": round(dual * micro, 3),
        "tape µs/op": round(tape * micro, 3),
        "record µs/op": round(record * micro, 3),
        "sweep µs/op": round(sweep * micro, 3),
    }


def main(argv: list[str] | None = None) -> int:
    """Print the per-operation times as a table, markdown or JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="number of inputs (default 1000)")
    parser.add_argument("--repeat", type=int, default=7, help="runs per timing; the best counts")
    parser.add_argument("--format", choices=["table", "markdown", "json"], default="table")
    args = parser.parse_args(argv)
    rows = [measure(f, args.n, args.repeat) for f in (speelpenning, rosenbrock)]
    if args.format == "json":
        print(json.dumps(rows, indent=2))
    else:
        print(tabulate(rows, headers="keys", tablefmt="simple" if args.format == "table" else "github"))
        print(f"\nPython {sys.version.split()[0]}; best of {args.repeat}; tape = recording + one backward sweep.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

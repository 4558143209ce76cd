"""Peak memory of the gradient of one long loop: diffstudy beside autograd, PyTorch and JAX.

Run:  python benchmarks/memory_peers.py [--steps 2000] [--width 256] [--format table|markdown|json]

The loop is an RNN cell over a sequence, h ← tanh(W·h + U·xₜ + b) for n steps, the loss the mean
of the last h squared, differentiated by W, U and b in float64. Each library runs it plainly
(every step kept for the backward sweep) and with its checkpointing:

* diffstudy: ``ds.loop`` with every √n-th state kept, and binomial with s = 10 snapshots;
* autograd: ``autograd.checkpoint`` around each stretch of √n steps;
* PyTorch: ``torch.utils.checkpoint.checkpoint`` around each stretch of √n steps;
* JAX: ``lax.scan``, with ``jax.checkpoint`` around the step (only the carries kept), and a scan
  of √n checkpointed scans of √n steps.

Memory is the process's: each variant runs in a fresh process, and its peak resident memory
(Linux's VmHWM, reset just before the gradient through /proc/self/clear_refs; arrays past 64 kB
mapped and returned when freed, MALLOC_MMAP_THRESHOLD_) above its resident memory just before is
reported, since tracemalloc does not see PyTorch's or XLA's allocations. Each variant runs once on
a short sequence before it is measured (what a library sets up at its first use is not the
loop's), and JAX's gradient is compiled before it is measured. The peers are optional
(``pip install ".[peers]"``); a peer that is not installed is skipped with a note. Every
variant's gradient is compared with diffstudy's plain tape's.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
from tabulate import tabulate

VARIANTS = [
    ("diffstudy", "plain tape"), ("diffstudy", "every √n-th state"), ("diffstudy", "binomial, s = 10"),
    ("autograd", "plain"), ("autograd", "checkpoint every √n steps"),
    ("torch", "plain"), ("torch", "checkpoint every √n steps"),
    ("jax", "scan"), ("jax", "scan of jax.checkpoint(step)"), ("jax", "√n scans of checkpointed √n steps"),
]  # fmt: skip


def problem(steps: int, width: int, features: int = 32) -> tuple[list[np.ndarray], np.ndarray]:
    """The weights (W, U, b) and the sequence, from a seeded generator."""
    rng = np.random.default_rng(0)
    scale = 1 / np.sqrt(width)
    weights = [rng.normal(scale=scale, size=(width, width)), rng.normal(scale=scale, size=(width, features)),
               rng.normal(scale=0.1, size=width)]  # fmt: skip
    return weights, rng.normal(size=(steps, features))


def _resident(key: str) -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(key):
                return int(line.split()[1]) * 1024
    raise OSError(f"/proc/self/status has no {key}")


def measure(run: Any) -> tuple[float, float, Any]:
    """(peak resident bytes above those before, seconds, result) of ``run()``."""
    with open("/proc/self/clear_refs", "w") as reset:
        reset.write("5")  # the high-water mark starts again from what is resident now
    before = _resident("VmRSS")
    started = time.perf_counter()
    result = run()
    seconds = time.perf_counter() - started
    return _resident("VmHWM") - before, seconds, result


def gradient_of(library: str, variant: str, weights: list[np.ndarray], sequence: np.ndarray) -> Any:
    """A function of no arguments computing the gradient (by W, U, b) with one library and variant."""
    steps = len(sequence)
    k = math.isqrt(steps - 1) + 1
    h0 = np.zeros(len(weights[2]))
    if library == "diffstudy":
        import diffstudy as ds
        from diffstudy.studies.loops import rnn_cell

        schedule = {"plain tape": {}, "every √n-th state": {"every": k}, "binomial, s = 10": {"snapshots": 10}}[variant]

        def loss(W, U, b):
            h = ds.loop(rnn_cell, h0, steps, xs=sequence, args=(W, U, b), **schedule)
            return np.mean(h * h)

        gradient = ds.grad(loss, argnums=(0, 1, 2))
        return lambda: [np.asarray(g) for g in gradient(*weights)]
    if library == "autograd":
        import autograd
        import autograd.numpy as anp

        def stretch(h, W, U, b, xs):
            for x in xs:
                h = anp.tanh(anp.dot(W, h) + anp.dot(U, x) + b)
            return h

        checkpointed = autograd.checkpoint(stretch)
        size = k if variant != "plain" else steps
        run = checkpointed if variant != "plain" else stretch

        def loss(W, U, b):
            h = h0
            for start in range(0, steps, size):
                h = run(h, W, U, b, sequence[start : start + size])
            return anp.mean(h * h)

        gradient = autograd.grad(loss, (0, 1, 2))
        return lambda: [np.asarray(g) for g in gradient(*weights)]
    if library == "torch":
        import torch
        from torch.utils.checkpoint import checkpoint

        torch.set_num_threads(1)
        W, U, b = (torch.tensor(w, requires_grad=True) for w in weights)
        xs = torch.tensor(sequence)

        def stretch(h, W, U, b, start):
            for x in xs[start : start + k]:
                h = torch.tanh(W @ h + U @ x + b)
            return h

        def run():
            h = torch.tensor(h0)
            if variant == "plain":
                for x in xs:
                    h = torch.tanh(W @ h + U @ x + b)
            else:
                for start in range(0, steps, k):
                    h = checkpoint(stretch, h, W, U, b, start, use_reentrant=False)
            for weight in (W, U, b):
                weight.grad = None
            torch.mean(h * h).backward()
            return [weight.grad.numpy() for weight in (W, U, b)]

        return run
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platform_name", "cpu")

    def cell(h, x, W, U, b):
        return jnp.tanh(W @ h + U @ x + b)

    def loss(W, U, b):
        def step(h, x):
            return cell(h, x, W, U, b), None

        if variant == "scan":
            h, _ = jax.lax.scan(step, jnp.asarray(h0), sequence)
        elif variant == "scan of jax.checkpoint(step)":
            h, _ = jax.lax.scan(jax.checkpoint(step), jnp.asarray(h0), sequence)
        else:
            padded = np.zeros((k * k, sequence.shape[1]))
            padded[:steps] = sequence  # steps past n leave h as it is: no step runs on them below
            mask = np.arange(k * k) < steps

            def masked(h, xm):
                x, m = xm
                return jnp.where(m, cell(h, x, W, U, b), h), None

            def outer(h, chunk):
                h, _ = jax.lax.scan(masked, h, chunk)
                return h, None

            h, _ = jax.lax.scan(jax.checkpoint(outer), jnp.asarray(h0), (padded.reshape(k, k, -1), mask.reshape(k, k)))
        return jnp.mean(h * h)

    arguments = [jnp.asarray(w) for w in weights]
    compiled = jax.jit(jax.grad(loss, argnums=(0, 1, 2))).lower(*arguments).compile()

    def run():
        return [np.asarray(g) for g in jax.block_until_ready(compiled(*arguments))]

    return run


def child(library: str, variant: str, steps: int, width: int) -> None:
    """In a fresh process: measure one variant, print a JSON record.

    The variant runs once first on a short sequence, so that what a library sets up at its first
    use (torch.utils.checkpoint imports much of PyTorch's compiler) is not counted as the loop's."""
    weights, sequence = problem(steps, width)
    gradient_of(library, variant, weights, sequence[: 2 * (math.isqrt(steps - 1) + 1)])()
    gradient = gradient_of(library, variant, weights, sequence)
    peak, seconds, result = measure(gradient)
    np.save(Path(sys.argv[-1]), np.concatenate([np.ravel(g) for g in result]))
    print(json.dumps({"library": library, "variant": variant, "peak": peak, "seconds": seconds}))


def installed(library: str) -> bool:
    if library == "diffstudy":
        return True
    try:
        __import__(library)
        return True
    except ImportError:
        return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--width", type=int, default=256)
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    parser.add_argument("output", nargs="?", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child, args.steps, args.width)
        return
    rows, notes = [], []
    reference = None
    for library, variant in VARIANTS:
        if not installed(library):
            if f"{library} is not installed" not in " ".join(notes):
                notes.append(f"{library} is not installed: skipped (pip install '.[peers]')")
            continue
        output = Path(f"/tmp/memory_peers_{library}_{len(rows)}.npy")
        command = [sys.executable, __file__, "--steps", str(args.steps), "--width", str(args.width),
                   "--child", library, variant, str(output)]  # fmt: skip
        # Arrays past 64 kB are mapped and returned at once when freed, in every child alike, so that
        # what the allocator keeps for reuse does not read as the library's memory.
        environment = {**os.environ, "MALLOC_MMAP_THRESHOLD_": "65536"}
        done = subprocess.run(command, capture_output=True, text=True, check=False, env=environment)
        if done.returncode:
            notes.append(f"{library}, {variant}: failed: {done.stderr.strip().splitlines()[-1]}")
            continue
        record = json.loads(done.stdout.strip().splitlines()[-1])
        gradient = np.load(output)
        output.unlink()
        reference = gradient if reference is None else reference
        record["max relative difference"] = float(np.max(np.abs(gradient - reference)) / np.max(np.abs(reference)))
        rows.append(record)
    if args.format == "json":
        print(json.dumps({"rows": rows, "notes": notes}, indent=2))
        return
    table = [[r["library"], r["variant"], f"{r['peak'] / 1e6:.1f}", f"{r['seconds']:.2f}",
              f"{r['max relative difference']:.1e}"] for r in rows]  # fmt: skip
    headers = ["library", "variant", "peak MB above before", "seconds", "gradient vs diffstudy's plain tape"]
    print(f"RNN cell, width {args.width}, {args.steps} steps; {platform.machine()}, Python {platform.python_version()}")
    print(tabulate(table, headers, tablefmt="github" if args.format == "markdown" else "simple"))
    for note in notes:
        print(f"note: {note}")


if __name__ == "__main__":
    main()

"""diffstudy's tape and generated code beside autograd, PyTorch and JAX (eager and jit), in one run, as ratios.

Run:  python benchmarks/peers.py [--repeat 7] [--rounds 3] [--quick] [--jax-loops] [--one-thread]
                                 [--format table|markdown|json]

The peers are optional (``pip install ".[peers]"``); a peer that is not installed is skipped
with a note. f and every gradient are timed the same way (diffstudy.studies.timing.time_it): one
call first, then back-to-back calls with the garbage collector paused, at least ``--repeat`` of
them for about 0.2 s; f and the gradients are timed so in turn, ``--rounds`` times over, so that
a slow spell of a shared machine falls on all alike; the best of each is kept and f's spread (the
median over the best, minus 1) printed. A compiled gradient (diffstudy's ``ds.jit``, JAX's
``jit``) is timed after its first call; that first call (trace and compile) is in its own column,
the fewest seconds of three first calls, each of a function compiled anew (one for JAX's jit of
a scalar loop).

* arrays: the vectorized extended Rosenbrock function for n = 10³ … 10⁶, and a 784-256-10 tanh
  network on a batch of 128 (squared loss): the gradient's time over f's in plain numpy (the
  same f for every library; torch and JAX compute in float64 too), beside the gradient written
  by hand in numpy (its terms combined, checked against the tape before it is timed): the floor
  an automatic gradient is measured against. Times of arrays of 10⁵ floats and more depend on
  whether the C library reuses the memory numpy freed or gives it back to the system, so that
  every call touches fresh pages again (a gradient then takes twice as long or more): the pages
  each call of f and of the generated gradient touched for the first time, counted after the
  timing, are in their own column. When torch is installed, the network's largest product and
  its tanh are timed in numpy and in torch: a gradient in numpy, by hand or generated, runs on
  numpy's kernels;
* scalars: the Speelpenning product and the extended Rosenbrock loop of n = 1000 written with
  Python scalars: the gradient's time over f's on Python floats, and microseconds per recorded
  operation. JAX's jit of a Python loop of 1000 operations compiles for minutes: only with
  ``--jax-loops``.

The generated gradient's targets are checked and printed at the end (met or not, with the gradient
by hand beside): grad/f ≤ 4 and trace and compile ≤ 50 ms on the scalar loops; grad/f ≤ 2 on the
arrays up to n = 10⁵ and on the network, ≤ 4 at n = 10⁶. They are a report: the exit status is 0.
"""

from __future__ import annotations

import argparse
import functools
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from tabulate import tabulate

import diffstudy
from diffstudy.engine import reverse
from diffstudy.studies.programs import rosenbrock, speelpenning
from diffstudy.studies.timing import TimeLimits, Timing, time_it


def best_in_rounds(runs: dict[str, Callable[[], Any]], repeat: int, rounds: int) -> dict[str, Timing]:
    """Each of ``runs`` timed as the time study times (see the module's docstring), in turn and
    ``rounds`` times over (f, every gradient, f again, …), the best of each kept: a slow spell of
    the machine falls on f and the gradients alike."""
    best: dict[str, Timing] = {}
    for _ in range(rounds):
        for name, run in runs.items():
            timed = time_it(run, TimeLimits(repeats=repeat))
            if name not in best or timed.best < best[name].best:
                best[name] = timed
    return best


FIRST_CALLS = 3  # first calls timed, each of a function compiled anew

COLUMNS = ("numpy by hand", "diffstudy tape", "diffstudy generated", "autograd", "torch", "jax (eager)", "jax jit")


def first_call(make: Callable[[], Callable[[], Any]], times: int = FIRST_CALLS) -> tuple[Callable[[], Any], float]:
    """A compiled function's first call (trace and compile) timed on ``times`` functions made anew
    by ``make`` (nothing compiled is shared between them), as noisy as any other call: the last
    function, and the fewest seconds."""
    import time

    best = float("inf")
    for _ in range(times):
        run = make()
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return run, best


# ---------------------------------------------------------------- the peers, when installed


ONE_THREAD = {  # (--one-thread) set before numpy and the peers load, in a process of their own
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}
ONE_THREAD_XLA = "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1"  # added to XLA_FLAGS
ON_ONE_THREAD = "DIFFSTUDY_BENCHMARK_ON_ONE_THREAD"  # set in that process


def on_one_thread() -> bool:
    """Whether this run is --one-thread's own process."""
    return os.environ.get(ON_ONE_THREAD) == "1"


def load_peers() -> tuple[dict[str, Any], list[str]]:
    """The peer libraries that import, and a note for each that does not."""
    peers, notes = {}, []
    for name in ("autograd", "torch", "jax"):
        try:
            peers[name] = __import__(name)
        except ImportError:
            notes.append(f"{name} is not installed: skipped (pip install '.[peers]')")
    if "torch" in peers and on_one_thread():
        peers["torch"].set_num_threads(1)
    if "jax" in peers:
        peers["jax"].config.update("jax_enable_x64", True)
        peers["jax"].config.update("jax_platform_name", "cpu")
    return peers, notes


def rosenbrock_vectorized(xp: Any) -> Callable[[Any], Any]:
    """The extended Rosenbrock function written with the array module ``xp`` (numpy, torch, jax.numpy)."""

    def f(x: Any) -> Any:
        a = x[1::2] - x[::2] ** 2
        b = 1 - x[::2]
        return xp.sum(100 * a * a + b * b)

    return f


def network_loss(xp: Any, data: Any, targets: Any) -> Callable[..., Any]:
    """Mean squared error of a 784-256-10 tanh network, written with the array module ``xp``."""

    def f(W1: Any, b1: Any, W2: Any, b2: Any) -> Any:
        hidden = xp.tanh(data @ W1.T + b1)
        return xp.mean((hidden @ W2.T + b2 - targets) ** 2)

    return f


def rosenbrock_by_hand(x: np.ndarray) -> np.ndarray:
    """The Rosenbrock gradient written by hand in numpy, its terms combined: the floor to compare with."""
    a = x[1::2] - x[::2] ** 2
    b = 1 - x[::2]
    gradient = np.empty_like(x)
    a200 = 200 * a
    gradient[1::2] = a200
    gradient[::2] = -2 * (x[::2] * a200 + b)
    return gradient


def network_by_hand(data: np.ndarray, targets: np.ndarray) -> Callable[..., Any]:
    """The network's gradient written by hand in numpy (backpropagation as a textbook writes it)."""

    def gradient(W1: np.ndarray, b1: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> tuple[np.ndarray, ...]:
        hidden = np.tanh(data @ W1.T + b1)
        error = hidden @ W2.T + b2 - targets
        d_out = error * (2 / error.size)
        d_hidden = (d_out @ W2) * (1 - hidden * hidden)
        return d_hidden.T @ data, d_hidden.sum(axis=0), d_out.T @ hidden, d_out.sum(axis=0)

    return gradient


def gradient_functions(
    peers: dict[str, Any], numpy_f: Callable[..., Any], make: Callable[[Any], Any], arity: int, by_hand: Callable
) -> tuple[dict[str, Callable[..., Any]], dict[str, Callable[[], Callable[..., Any]]]]:
    """name → a function of numpy arrays that computes the gradient by every argument; and for
    the compiled ones, name → a function that compiles such a function anew (see first_call)."""
    argnums = tuple(range(arity))
    functions = {
        "numpy by hand": by_hand,
        "diffstudy tape": diffstudy.grad(numpy_f, argnums=argnums),
    }
    compilers: dict[str, Callable[[], Callable[..., Any]]] = {
        "diffstudy generated": lambda: diffstudy.jit(diffstudy.grad(numpy_f, argnums=argnums)),
    }
    if "autograd" in peers:
        import autograd.numpy as anp

        functions["autograd"] = peers["autograd"].grad(make(anp), argnums)
    if "torch" in peers:
        torch = peers["torch"]
        torch_f = make(torch)

        def torch_grad(*args: np.ndarray) -> Any:
            tensors = [torch.tensor(a, requires_grad=True) for a in args]
            torch_f(*tensors).backward()
            return [t.grad for t in tensors]

        functions["torch"] = torch_grad
    if "jax" in peers:
        import jax.numpy as jnp

        jax_grad = peers["jax"].grad(make(jnp), argnums)
        functions["jax (eager)"] = lambda *args: [g.block_until_ready() for g in jax_grad(*args)]

        def jax_jit() -> Callable[..., Any]:  # a new function for JAX to trace: none of its caches hold it
            jitted = peers["jax"].jit(peers["jax"].grad(make(jnp), argnums))
            return lambda *args: [g.block_until_ready() for g in jitted(*args)]

        compilers["jax jit"] = jax_jit
    return functions, compilers


def array_rows(peers: dict[str, Any], sizes: list[int], repeat: int, rounds: int) -> list[dict[str, Any]]:
    """Gradient time over f time on the Rosenbrock function of every n, and on the network."""
    rows = []
    for n in sizes:
        x = np.random.default_rng(0).uniform(0.5, 1.5, n)
        f = rosenbrock_vectorized(np)
        grads = gradient_functions(peers, f, lambda xp: rosenbrock_vectorized(xp), 1, rosenbrock_by_hand)
        rows.append(_ratios(f"rosenbrock n={n:,}", f, *grads, (x,), repeat, rounds))
    rng = np.random.default_rng(1)
    data, targets = rng.normal(size=(128, 784)), np.eye(10)[rng.integers(0, 10, 128)]
    weights = (rng.normal(size=(256, 784)) / 28, np.zeros(256), rng.normal(size=(10, 256)) / 16, np.zeros(10))
    f = network_loss(np, data, targets)
    grads = gradient_functions(
        peers, f, lambda xp: network_loss(xp, _as(xp, data), _as(xp, targets)), 4, network_by_hand(data, targets)
    )
    rows.append(_ratios("network 784-256-10, batch 128", f, *grads, weights, repeat, rounds))
    return rows


def _as(xp: Any, array: np.ndarray) -> Any:
    """A constant array in the array module ``xp`` (torch wants its own tensors)."""
    return xp.tensor(array) if xp.__name__ == "torch" else array


def _ratios(
    name: str,
    f: Callable[..., Any],
    grads: dict[str, Callable[..., Any]],
    compilers: dict[str, Callable[[], Callable[..., Any]]],
    args: tuple,
    repeat: int,
    rounds: int,
) -> dict:
    by_hand, taped = grads["numpy by hand"](*args), grads["diffstudy tape"](*args)
    for ours, theirs in zip(by_hand if isinstance(by_hand, tuple) else [by_hand], taped if len(args) > 1 else [taped]):
        if not np.allclose(ours, theirs, rtol=1e-9, atol=1e-12):
            raise SystemExit(f"{name}: the gradient written by hand disagrees with the tape's: nothing timed")
    compiled = {}
    grads = dict(grads)
    for library, compile_anew in compilers.items():
        run, seconds = first_call(lambda compile_anew=compile_anew: functools.partial(compile_anew(), *args))
        compiled[f"{library} compile ms"] = seconds * 1e3
        grads[library] = run.func  # compiled already: timed after its first call
    grads = {library: grads[library] for library in sorted(grads, key=COLUMNS.index)}
    runs = {"f": lambda: f(*args), **{library: (lambda grad=grad: grad(*args)) for library, grad in grads.items()}}
    best = best_in_rounds(runs, repeat, rounds)
    row: dict[str, Any] = {"function": name, "f µs": best["f"].best * 1e6, "f spread": best["f"].spread}
    for library in grads:
        if f"{library} compile ms" in compiled:
            row[f"{library} compile ms"] = compiled[f"{library} compile ms"]
        row[f"{library} grad/f"] = best[library].best / best["f"].best
    pages = {"f": fresh_pages(runs["f"]), "generated": fresh_pages(runs["diffstudy generated"])}
    if None not in pages.values():
        row["fresh pages/call f, generated"] = f"{pages['f']:.0f}, {pages['generated']:.0f}"
    return row


def fresh_pages(run: Callable[[], Any], calls: int = 20) -> float | None:
    """Pages of memory the process touched for the first time (minor page faults) per call of
    ``run``, after the timing: where the C library gave freed memory back, every call pays for
    fresh pages again, and a gradient takes twice as long or more. None where the system does not
    count them."""
    try:
        import resource
    except ImportError:  # (Windows)
        return None
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(calls):
        run()
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / calls


def scalar_rows(peers: dict[str, Any], repeat: int, rounds: int, jax_loops: bool) -> list[dict[str, Any]]:
    """The gradient of the scalar loops over f on Python floats: the tape, the generated code,
    autograd (and JAX's jit with ``jax_loops``); and microseconds per recorded operation."""
    return [_scalar_row(build, peers, repeat, rounds, jax_loops) for build in (speelpenning, rosenbrock)]


def _scalar_row(
    build: Callable[[int], Any], peers: dict[str, Any], repeat: int, rounds: int, jax_loops: bool
) -> dict[str, Any]:
    program, _, _ = build(1000)
    point = [float(v) for v in np.random.default_rng(0).uniform(0.9, 1.1, 1000)]
    operations = len(reverse.record(program, point).tape) - len(point)

    def of_list(xs: Any) -> Any:
        return program(*xs)

    tape_gradient = diffstudy.grad(of_list)
    compiled_run, seconds = first_call(lambda: functools.partial(diffstudy.jit(diffstudy.grad(of_list)), point))
    runs = {
        "f": lambda: program(*point),
        "tape": lambda: tape_gradient(point),
        "generated": compiled_run,
    }
    best = best_in_rounds(runs, repeat, rounds)
    timed, ours = best["f"], best["tape"].best
    row: dict[str, Any] = {"function": f"{build.__name__} loop n=1,000", "recorded ops": operations}
    row.update({"f µs": timed.best * 1e6, "f spread": timed.spread, "tape grad/f": ours / timed.best})
    row["generated grad/f"] = best["generated"].best / timed.best
    row["generated compile ms"] = seconds * 1e3
    row["tape µs/op"] = ours / operations * 1e6
    if "autograd" in peers:
        autograd_grad = peers["autograd"].grad(of_list)
        as_array = np.array(point)
        autograd_time = time_it(lambda: autograd_grad(as_array), TimeLimits(repeats=max(1, repeat // 3))).best
        row["autograd grad/f"] = autograd_time / timed.best
    if "jax" in peers and jax_loops:
        import jax.numpy as jnp

        jax_grad = peers["jax"].jit(peers["jax"].grad(lambda xs: program(*[xs[i] for i in range(len(point))])))
        as_jax = jnp.asarray(point)
        run, seconds = first_call(lambda: lambda: jax_grad(as_jax).block_until_ready(), times=1)  # (minutes)
        row["jax jit compile ms"] = seconds * 1e3
        row["jax jit grad/f"] = time_it(run, TimeLimits(repeats=repeat)).best / timed.best
    return row


def machine() -> str:
    """The machine and the versions the numbers were measured with."""
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("autograd", "torch", "jax"):
        if name in sys.modules:
            versions.append(f"{name} {importlib.metadata.version(name)}")
    cpu = platform.processor() or platform.machine()
    if on_one_thread():
        threads = "every library on one thread (--one-thread)"
    else:
        threads = "numpy's BLAS on its default threads" + (
            f", torch on {sys.modules['torch'].get_num_threads()}" if "torch" in sys.modules else ""
        )
    return f"{platform.system()} {cpu}, {os.cpu_count()} cores; " + ", ".join(versions) + f"; {threads}"


def main(argv: list[str] | None = None) -> int:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement, the best kept (default 7)")
    parser.add_argument(
        "--rounds", type=int, default=3, help="times f and every gradient are timed in turn, the best kept (default 3)"
    )
    parser.add_argument("--quick", action="store_true", help="n up to 10⁵ only, three runs, one round")
    parser.add_argument(
        "--jax-loops", action="store_true", help="also JAX's jit of the scalar loops (it compiles for minutes)"
    )
    parser.add_argument(
        "--one-thread",
        action="store_true",
        help="every library on one thread: numpy's BLAS, torch and XLA (by default torch runs its elementwise "
        "kernels, tanh among them, on every core, and BLAS its products; numpy's own kernels run on one)",
    )
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    args = parser.parse_args(argv)
    if args.one_thread and not on_one_thread():
        # the thread pools are made when the libraries load: the run is made again, in a process told
        given = sys.argv[1:] if argv is None else argv
        xla = " ".join(filter(None, [os.environ.get("XLA_FLAGS", ""), ONE_THREAD_XLA]))
        told = {**os.environ, **ONE_THREAD, "XLA_FLAGS": xla, ON_ONE_THREAD: "1"}
        return subprocess.call([sys.executable, os.path.abspath(__file__), *given], env=told)
    repeat, rounds = (3, 1) if args.quick else (args.repeat, args.rounds)
    peers, notes = load_peers()
    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    arrays, scalars = array_rows(peers, sizes, repeat, rounds), scalar_rows(peers, repeat, rounds, args.jax_loops)
    if args.format == "json":
        print(json.dumps({"machine": machine(), "arrays": arrays, "scalars": scalars, "notes": notes}, indent=2))
        return 0
    style = "github" if args.format == "markdown" else "simple"
    print("Gradient time over the time of f in numpy (lower is better)\n")
    print(tabulate(arrays, headers="keys", tablefmt=style, floatfmt=".2f"))
    print("\nScalar loops of Python floats: the gradient's time over f's\n")
    print(tabulate(scalars, headers="keys", tablefmt=style, floatfmt=".2f"))
    print(f"\n{machine()}; best of {repeat} runs or more, in each of {rounds} rounds.")
    # The gradient by hand computes no value of f and combines terms, and XLA fuses f's and the
    # gradient's operations into one pass: either may take less time than f in numpy, not half.
    faster = [
        f"{k.removesuffix(' grad/f')} on {row['function']}"
        for row in arrays
        for k, v in row.items()
        if k.endswith("grad/f") and v < (0.5 if k.startswith(("numpy by hand", "jax jit")) else 1)
    ]
    if faster:
        notes.append(
            "a gradient took less time than f in numpy (" + "; ".join(faster) + "): f was timed while "
            "the machine was busy, or a library ran f on several threads (try OPENBLAS_NUM_THREADS=1); run again"
        )
    for note in notes:
        print(note)
    if "torch" in peers:
        print("\nThe network's own arithmetic in numpy (the gradient by hand and the generated code use it), in torch:")
        for line in kernels(peers["torch"], repeat):
            print(f"  {line}")
    print("\nTargets of the generated code:")
    for line in targets(arrays, scalars):
        print(f"  {line}")
    return 0


def kernels(torch: Any, repeat: int) -> list[str]:
    """The network's largest product and its tanh timed in numpy and in torch, as f is timed: a
    gradient in numpy can be no faster than numpy's own kernels, whatever differentiates it."""
    rng = np.random.default_rng(1)
    data, weights, hidden = rng.normal(size=(128, 784)), rng.normal(size=(256, 784)) / 28, rng.normal(size=(128, 256))
    as_torch = [torch.tensor(a) for a in (data, weights, hidden)]
    lines = []
    for what, in_numpy, in_torch in (
        ("data @ W1.T (128×784 by 784×256)", lambda: data @ weights.T, lambda: as_torch[0] @ as_torch[1].T),
        ("tanh of 128×256", lambda: np.tanh(hidden), lambda: torch.tanh(as_torch[2])),
    ):
        best = best_in_rounds({"numpy": in_numpy, "torch": in_torch}, repeat, 3)
        numpy_us, torch_us = best["numpy"].best * 1e6, best["torch"].best * 1e6
        lines.append(f"{what}: numpy {numpy_us:.0f} µs, torch {torch_us:.0f} µs ({torch_us / numpy_us:.2f} × numpy's)")
    return lines


def targets(arrays: list[dict[str, Any]], scalars: list[dict[str, Any]]) -> list[str]:
    """Each target of the generated gradient, met or not, with the number measured."""
    lines = []
    for row in scalars:
        ratio = round(row["generated grad/f"], 2)  # met or not as printed
        lines.append(f"{row['function']}: grad/f {ratio:.2f} (≤ 4: {'met' if ratio <= 4 else 'not met'})")
        ms = row["generated compile ms"]
        lines.append(f"{row['function']}: trace and compile {ms:.0f} ms (≤ 50 ms: {'met' if ms <= 50 else 'not met'})")
    for row in arrays:
        ratio = round(row["diffstudy generated grad/f"], 2)  # met or not as printed
        bound = 4 if "1,000,000" in row["function"] else 2
        peers = [k for k in row if k.endswith("grad/f") and k.split(" grad/f")[0] in ("torch", "autograd")]
        faster = all(ratio < row[k] for k in peers)
        peer_note = (
            f"; faster than {', '.join(k.split(' grad/f')[0] for k in peers)}: {'yes' if faster else 'no'}"
            if peers
            else ""
        )
        met = "met" if ratio <= bound else "not met"
        hand = f"by hand in numpy {row['numpy by hand grad/f']:.2f}"
        lines.append(f"{row['function']}: grad/f {ratio:.2f} (≤ {bound}: {met}; {hand}){peer_note}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main())

"""diffstudy's reverse mode beside autograd, PyTorch and JAX (eager), in one run, as ratios.

Run:  python benchmarks/peers.py [--repeat 7] [--quick] [--format table|markdown|json]

The peers are optional (``pip install ".[peers]"``); a peer that is not installed is skipped
with a note. Three measurements, each the best of ``--repeat`` runs with the garbage collector
paused:

* arrays: the vectorized extended Rosenbrock function for n = 10³ … 10⁶, and a 784-256-10 tanh
  network on a batch of 128 (squared loss): the wall time of the gradient over the wall time of
  f in plain numpy (the same f for every library; torch and JAX compute in float64 too);
* scalars: the Speelpenning product and the extended Rosenbrock loop of n = 1000 written with
  Python scalars: microseconds per recorded operation, and how many times faster than autograd.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import platform
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
from tabulate import tabulate
from timing import best_time

import diffstudy
from diffstudy.engine import reverse
from diffstudy.studies.programs import rosenbrock, speelpenning

# ---------------------------------------------------------------- the peers, when installed


def load_peers() -> tuple[dict[str, Any], list[str]]:
    """The peer libraries that import, and a note for each that does not."""
    peers, notes = {}, []
    for name in ("autograd", "torch", "jax"):
        try:
            peers[name] = __import__(name)
        except ImportError:
            notes.append(f"{name} is not installed: skipped (pip install '.[peers]')")
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


def gradient_functions(peers: dict[str, Any], numpy_f: Callable[..., Any], make: Callable[[Any], Any], arity: int):
    """name → a function of numpy arrays that computes the gradient by every argument."""
    argnums = tuple(range(arity))
    functions = {"diffstudy": diffstudy.grad(numpy_f, argnums=argnums)}
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
    return functions


def array_rows(peers: dict[str, Any], sizes: list[int], repeat: int) -> list[dict[str, Any]]:
    """Gradient time over f time on the Rosenbrock function of every n, and on the network."""
    rows = []
    for n in sizes:
        x = np.random.default_rng(0).uniform(0.5, 1.5, n)
        f = rosenbrock_vectorized(np)
        grads = gradient_functions(peers, f, lambda xp: rosenbrock_vectorized(xp), 1)
        rows.append(_ratios(f"rosenbrock n={n:,}", f, grads, (x,), repeat))
    rng = np.random.default_rng(1)
    data, targets = rng.normal(size=(128, 784)), np.eye(10)[rng.integers(0, 10, 128)]
    weights = (rng.normal(size=(256, 784)) / 28, np.zeros(256), rng.normal(size=(10, 256)) / 16, np.zeros(10))
    f = network_loss(np, data, targets)
    grads = gradient_functions(peers, f, lambda xp: network_loss(xp, _as(xp, data), _as(xp, targets)), 4)
    rows.append(_ratios("network 784-256-10, batch 128", f, grads, weights, repeat))
    return rows


def _as(xp: Any, array: np.ndarray) -> Any:
    """A constant array in the array module ``xp`` (torch wants its own tensors)."""
    return xp.tensor(array) if xp.__name__ == "torch" else array


def _ratios(name: str, f: Callable[..., Any], grads: dict[str, Callable[..., Any]], args: tuple, repeat: int) -> dict:
    f_time = best_time(lambda: f(*args), repeat)
    row: dict[str, Any] = {"function": name, "f ms": f_time * 1e3}
    for library, grad in grads.items():
        row[f"{library} grad/f"] = best_time(lambda grad=grad: grad(*args), repeat) / f_time
    return row


def scalar_rows(peers: dict[str, Any], repeat: int) -> list[dict[str, Any]]:
    """Microseconds per recorded operation of the gradient of the scalar loops, and autograd's."""
    rows = []
    for build in (speelpenning, rosenbrock):
        program, _, _ = build(1000)
        point = [float(v) for v in np.random.default_rng(0).uniform(0.9, 1.1, 1000)]
        operations = len(reverse.record(program, point).tape) - len(point)
        of_list = lambda xs, program=program: program(*xs)  # noqa: E731
        ours = best_time(lambda of_list=of_list, point=point: diffstudy.grad(of_list)(point), repeat) / operations
        row: dict[str, Any] = {"function": f"{build.__name__} n=1000", "recorded ops": operations}
        row["diffstudy µs/op"] = ours * 1e6
        if "autograd" in peers:
            autograd_grad = peers["autograd"].grad(of_list)
            as_array = np.array(point)
            theirs = best_time(lambda g=autograd_grad, x=as_array: g(x), max(1, repeat // 3))
            row["autograd µs/op"] = theirs / operations * 1e6
            row["× faster than autograd"] = theirs / operations / ours
        rows.append(row)
    return rows


def machine() -> str:
    """The machine and the versions the numbers were measured with."""
    versions = [f"Python {platform.python_version()}", f"numpy {np.__version__}"]
    for name in ("autograd", "torch", "jax"):
        if name in sys.modules:
            versions.append(f"{name} {importlib.metadata.version(name)}")
    cpu = platform.processor() or platform.machine()
    return f"{platform.system()} {cpu}, {__import__('os').cpu_count()} cores; " + ", ".join(versions)


def main(argv: list[str] | None = None) -> int:
    """Measure and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="runs per measurement, the best kept (default 7)")
    parser.add_argument("--quick", action="store_true", help="n up to 10⁵ only, three runs")
    parser.add_argument("--format", choices=("table", "markdown", "json"), default="table")
    args = parser.parse_args(argv)
    repeat = 3 if args.quick else args.repeat
    peers, notes = load_peers()
    sizes = [10**3, 10**4, 10**5] + ([] if args.quick else [10**6])
    arrays, scalars = array_rows(peers, sizes, repeat), scalar_rows(peers, repeat)
    if args.format == "json":
        print(json.dumps({"machine": machine(), "arrays": arrays, "scalars": scalars, "notes": notes}, indent=2))
        return 0
    style = "github" if args.format == "markdown" else "simple"
    print("Gradient time over the time of f in numpy (lower is better)\n")
    print(tabulate(arrays, headers="keys", tablefmt=style, floatfmt=".2f"))
    print("\nScalar loops: microseconds per recorded operation of the gradient\n")
    print(tabulate(scalars, headers="keys", tablefmt=style, floatfmt=".2f"))
    print(f"\n{machine()}; best of {repeat}.")
    faster = [row["function"] for row in arrays for k, v in row.items() if k.endswith("grad/f") and v < 1]
    if faster:
        notes.append(
            "a gradient took less time than f in numpy on " + ", ".join(sorted(set(faster))) + ": f was timed while "
            "the machine was busy, or a library ran f on several threads (try OPENBLAS_NUM_THREADS=1); run again"
        )
    for note in notes:
        print(note)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

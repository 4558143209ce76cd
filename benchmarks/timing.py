"""What the benchmarks share: the best of several timed runs, with the garbage collector paused."""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any


def best_time(run: Callable[[], Any], repeat: int) -> float:
    """The fastest of ``repeat`` runs, in seconds, with the garbage collector paused.

    The collector runs once before, not between the runs: a collection of a large heap (torch and
    JAX loaded) leaves the caches cold, and every run after it would be timed cold.
    """
    times = []
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            started = time.perf_counter()
            run()
            times.append(time.perf_counter() - started)
    finally:
        gc.enable()
    return min(times)

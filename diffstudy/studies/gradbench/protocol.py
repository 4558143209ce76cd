"""GradBench's protocol, the tool's side: one JSON message a line in, one response a line out.

The eval sends ``start``, ``define`` (a module), ``evaluate`` (a function of the module at an
input) and ``analysis`` (whether an output was valid); every response carries the message's
``id``. ``evaluate`` runs the function at least ``min_runs`` times and until ``min_seconds`` have
passed, one ``evaluate`` timing per run, reading the input before the clock and writing the output
after it, as GradBench's Python tools do. Any failure is ``success: false`` with a one-line
``error``: the tool answers every message and goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from typing import Any, TextIO

from ...errors import DiffstudyError, DomainError
from . import EVALS
from .evals import Function
from .methods import METHODS, Method

TOOL = "diffstudy"


def one_line(error: BaseException) -> str:
    """An exception as one line: diffstudy's own messages as they are, others with their type."""
    if isinstance(error, KeyError):  # from reading the input: a field it lacks
        return f"the input has no field {error.args[0]!r}"
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, DiffstudyError) else f"{type(error).__name__}: {text}"


def timed_runs(function: Function, data: Any, method: Method, min_runs: int, min_seconds: float) -> tuple[Any, list]:
    """Run ``function`` at ``data`` at least ``min_runs`` times and for at least ``min_seconds``:
    the last result and one timing per run."""
    timings = []
    elapsed = 0
    result = None
    while len(timings) < min_runs or elapsed < min_seconds * 1e9:
        start = time.perf_counter_ns()
        result = function.run(data, method)
        took = time.perf_counter_ns() - start
        timings.append({"name": "evaluate", "nanoseconds": took})
        elapsed += took
    return result, timings


class Tool:
    """diffstudy as a GradBench tool, differentiating by one method."""

    def __init__(self, method: str = "reverse") -> None:
        self.method = METHODS[method]()
        self.on_error: Callable[[BaseException], None] = lambda error: None  # ``--debug`` prints tracebacks

    def respond(self, message: Any) -> dict[str, Any]:
        """The response to one message (a parsed JSON object)."""
        if not isinstance(message, dict) or not isinstance(message.get("id"), int):
            return {"id": None, "success": False, "error": "a message must be a JSON object with an integer id"}
        kind = message.get("kind")
        answer: dict[str, Any] = {"id": message["id"]}
        if kind == "start":
            answer |= {"tool": TOOL, "config": {"method": self.method.name}}
        elif kind == "define":
            answer |= self._define(message.get("module"))
        elif kind == "evaluate":
            answer |= self._evaluate(message)
        return answer

    def _define(self, module: Any) -> dict[str, Any]:
        if module in EVALS:
            return {"success": True}
        return {"success": False, "error": f"diffstudy has no eval named {module!r}; it has {', '.join(EVALS)}"}

    def _evaluate(self, message: dict[str, Any]) -> dict[str, Any]:
        module, name = message.get("module"), message.get("function")
        if module not in EVALS:
            return {"success": False, "error": f"diffstudy has no eval named {module!r}"}
        functions = EVALS[module].functions
        if name not in functions:
            return {
                "success": False,
                "error": f"the {module} eval has no function {name!r}; it has {', '.join(functions)}",
            }
        function = functions[name]
        data = message.get("input")
        runs = data if isinstance(data, dict) else {}
        try:
            min_runs, min_seconds = int(runs.get("min_runs", 1)), float(runs.get("min_seconds", 0))
            prepared = function.read(data)
            result, timings = timed_runs(function, prepared, self.method, min_runs, min_seconds)
            output = function.write(result)
            _finite(output)
        except Exception as error:  # the tool answers every message: a failure is its one-line error
            self.on_error(error)
            return {"success": False, "error": f"{module}.{name} ({self.method.name}): {one_line(error)}"}
        return {"success": True, "output": output, "timings": timings}


def _finite(output: Any) -> None:
    """JSON has no inf or nan: an output holding one is an overflow, said as diffstudy says it."""
    try:
        json.dumps(output, allow_nan=False)
    except ValueError:
        raise DomainError("the result overflowed the float range (past 1.8e308): it has no JSON number") from None


def serve(lines: Iterable[str], out: TextIO, tool: Tool, warn: Callable[[str], None]) -> None:
    """Answer each line of ``lines`` on ``out``, one JSON line each; a line that is not JSON is
    said through ``warn`` and answered only if an id can be read from it (it cannot)."""
    for line in lines:
        if not line.strip():
            continue
        try:
            message = json.loads(line)
        except json.JSONDecodeError as error:
            warn(f"diffstudy gradbench: a line that is not JSON ({error.msg} at column {error.colno}) was skipped")
            continue
        print(json.dumps(tool.respond(message)), file=out, flush=True)

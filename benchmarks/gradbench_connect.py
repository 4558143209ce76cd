"""Run one of GradBench's evals against diffstudy's tool, without Docker or GradBench's Rust runner.

    python benchmarks/gradbench_connect.py --gradbench PATH --eval lse --method reverse -- -n 2500 5000

starts the eval's own Python script (``PATH/python/gradbench/gradbench/evals/EVAL/run.py``, in
GradBench's folder, as its runner does) and ``python -m diffstudy gradbench --method METHOD``,
relays each message of the eval to the tool and each response back, as GradBench's runner does
(``analysis`` messages included: the tool answers them), and prints one line per evaluation:
the function, its workload, the mean time of its runs and whether the eval's validator accepted
the output. Arguments after ``--`` go to the eval (its sizes, ``--min-runs``, …). ``--log FILE``
keeps every message and response, one JSON object a line, as GradBench's logs do.

Exit status: 0 when every evaluation succeeded and was valid, 1 otherwise, 2 for bad usage.
The eval's script needs numpy, pydantic and dataclasses-json (and scipy for gmm) in the Python
that runs it (``--eval-python``, by default this one), and GradBench's ``manual`` tool built for
its validator (``make -C tools/manual`` in GradBench's folder).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gradbench", type=Path, required=True, help="GradBench's folder (a clone of its repository)")
    parser.add_argument("--eval", required=True, help="the eval, e.g. hello, lse, gmm")
    parser.add_argument(
        "--method", default="reverse", help="diffstudy's method (reverse, forward, generated, symbolic)"
    )
    parser.add_argument("--eval-python", default=sys.executable, help="the Python that runs the eval's script")
    parser.add_argument("--log", type=Path, help="write every message and response to this file, one JSON line each")
    parser.add_argument("eval_args", nargs="*", help="arguments for the eval's script, after --")
    return parser.parse_args(argv)


def start(args: argparse.Namespace) -> tuple[subprocess.Popen, subprocess.Popen]:
    root = args.gradbench.resolve()
    script = root / "python" / "gradbench" / "gradbench" / "evals" / args.eval / "run.py"
    if not script.is_file():
        raise SystemExit(
            f"gradbench_connect: no eval script at {script}: --gradbench must be a clone of "
            "https://github.com/gradbench/gradbench (see the README's section on GradBench)"
        )
    environment = dict(
        os.environ, PYTHONPATH=os.pathsep.join([str(root / "python" / "gradbench"), os.environ.get("PYTHONPATH", "")])
    )
    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "text": True, "bufsize": 1}
    evaluation = subprocess.Popen([args.eval_python, str(script), *args.eval_args], cwd=root, env=environment, **pipes)
    tool = subprocess.Popen([sys.executable, "-m", "diffstudy", "gradbench", "--method", args.method], **pipes)
    return evaluation, tool


def describe(message: dict) -> str:
    return f"{message['module']}::{message['function']} {message.get('description', '')}".strip()


def relay(evaluation: subprocess.Popen, tool: subprocess.Popen, log) -> bool:
    """Relay until the eval ends; print a line per evaluation; whether everything was valid."""
    good = True
    pending = ""
    for line in evaluation.stdout:
        try:
            message = json.loads(line)
        except json.JSONDecodeError:  # not the protocol: the eval's own text (its --help), shown as it is
            print(line, end="")
            continue
        log(json.dumps({"message": message}))
        tool.stdin.write(json.dumps(message) + "\n")
        tool.stdin.flush()
        answer = tool.stdout.readline()
        if not answer:
            print("the tool ended without answering", message["id"])
            return False
        response = json.loads(answer)
        log(json.dumps({"response": response}))
        kind = message["kind"]
        if kind == "define" and not response.get("success"):
            print(f"define {message['module']}: {response.get('error', 'not defined')}")
            good = False
        elif kind == "evaluate":
            timings = [t["nanoseconds"] for t in response.get("timings", []) if t["name"] == "evaluate"]
            mean = f"{sum(timings) / len(timings) / 1e6:10.3f} ms x {len(timings)}" if timings else ""
            pending = f"{describe(message):40} {mean}"
            if not response.get("success"):
                print(f"{pending} failed: {response.get('error', '')}")
                good, pending = False, ""
        elif kind == "analysis":
            print(f"{pending} {'valid' if message['valid'] else 'INVALID'}")
            if not message["valid"]:
                print(message.get("error", ""))
                good = False
            pending = ""
        evaluation.stdin.write(answer)
        evaluation.stdin.flush()
    return good


def main(argv: list[str]) -> int:
    args = parse(argv)
    evaluation, tool = start(args)
    handle = args.log.open("w", encoding="utf-8") if args.log else None

    def log(text: str) -> None:
        if handle:
            handle.write(text + "\n")

    try:
        good = relay(evaluation, tool, log)
    finally:
        for process in (evaluation, tool):
            process.stdin.close()
            process.wait()
        if handle:
            handle.close()
    good = good and evaluation.returncode == 0
    print("outcome", "success" if good else "failure")
    return 0 if good else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""How long grading a correct solution takes: ``python -m benchmarks.grading [--repeats N]``.

Each exercise's stub, filled with the NumPy solution (what a student submits), is graded
through the command line ``python -m refsnn.exercises check`` (a fresh process, as a student runs
it: interpreter start, the child process, the grading networks, the comparison). The target of
the grader issue is under 10 s on the 2-core machine. Reports the median and the spread of
``repeats`` runs, and the load average before and after (a timing taken beside other work is
noise).
"""
from __future__ import annotations

import argparse
import inspect
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

from refsnn.exercises import EXERCISES, core
from refsnn.exercises.solutions import NUMPY_SOLUTIONS


def filled_stub(name, folder):
    """The stub of ``name`` with the NumPy solution between the markers, written to ``folder``."""
    stub = open(EXERCISES[name].STUB, encoding="utf-8").read()
    sol = inspect.getsource(NUMPY_SOLUTIONS[name])
    body = sol[sol.index(core.START):sol.index(core.END)]
    path = os.path.join(folder, f"{name}.py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(stub[:stub.index(core.START)] + body + stub[stub.index(core.END):])
    return path


def time_grading(name, path, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "refsnn.exercises", "check", name, path],
                              capture_output=True, text=True)
        times.append(time.perf_counter() - t0)
        if proc.returncode != 0:
            raise SystemExit(f"grading the reference solution of {name} did not pass:\n"
                             + proc.stdout + proc.stderr)
    return np.array(times)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.grading")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    print(f"grading a correct solution, {args.repeats} runs each "
          f"(load average before: {os.getloadavg()[0]:.2f})")
    with tempfile.TemporaryDirectory() as folder:
        for name in EXERCISES:
            t = time_grading(name, filled_stub(name, folder), args.repeats)
            print(f"  {name:<10} median {np.median(t):5.1f} s  (min {t.min():.1f}, max "
                  f"{t.max():.1f})  target < 10 s")
    print(f"(load average after: {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()

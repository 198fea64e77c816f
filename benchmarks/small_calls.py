"""`python -m benchmarks.small_calls`: many small calls, idle and beside a busy process.

A student's loop, a grader or a notebook makes many calls on tiny networks, where splitting a
few microseconds of work over threads costs more than it saves. This case times ``CALLS``
calls of ``net.simulate`` + ``bptt`` on a 2-sample, 10-neuron network, in a fresh process with
the default Numba threads and in one with ``NUMBA_NUM_THREADS=1``, first on the otherwise idle
machine, then beside one busy-loop process that this benchmark starts itself (a browser, a
second kernel, a parallel test). Reported: the median and the range (min-max) of ``REPEATS``
timings of the whole loop per setting, pooled over ``PROCESSES`` alternating processes, and the
ratio of the medians (default threads / one thread; the target is at most 1.5).

``uptime``'s load average is printed before and after: other work on the machine shifts every
number here.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

CALLS = 300          # simulate + bptt calls per timing
REPEATS = 5          # timings per process (after a warm-up loop)
PROCESSES = 5        # fresh processes per setting, alternating default / one thread

WORKER = """
import json, sys, time
import numpy as np
from refsnn import LIFParams, Network, bptt, losses
calls, repeats = int(sys.argv[1]), int(sys.argv[2])
p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
net = Network.init([10, 10, 2], p, recurrent=True, rng=0)
x = (np.random.default_rng(0).random((2, 50, 10)) < 0.1).astype(float)
labels = np.array([0, 1])

def loop():
    for _ in range(calls):
        tr = net.simulate(x)
        bptt(net, tr, losses.max_over_time_ce(tr.readout, labels)[1])

loop()  # warm-up: load the kernels, start the threads
times = []
for _ in range(repeats):
    t0, c0 = time.perf_counter(), time.process_time()
    loop()
    times.append((time.perf_counter() - t0, time.process_time() - c0))
print(json.dumps(times))
"""

BUSY = "while True:\n    pass\n"


def _load():
    try:
        return os.getloadavg()
    except OSError:  # pragma: no cover - not Unix
        return (float("nan"),) * 3


def _worker(threads, calls, repeats):
    env = dict(os.environ)
    env.pop("NUMBA_NUM_THREADS", None)
    if threads is not None:
        env["NUMBA_NUM_THREADS"] = str(threads)
    r = subprocess.run([sys.executable, "-c", WORKER, str(calls), str(repeats)], env=env,
                       capture_output=True, text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def measure(calls=CALLS, repeats=REPEATS, processes=PROCESSES, busy=False):
    """``{"default": [(wall s, cpu s), ...], "1 thread": [...]}``, pooled over processes.

    ``cpu`` is the process time of all the worker's threads: a thread that spins while it
    waits shows up there, even when the wall time hides it.
    """
    hog = subprocess.Popen([sys.executable, "-c", BUSY]) if busy else None
    try:
        if hog is not None:
            time.sleep(0.5)  # let the busy loop get going
        out = {"default": [], "1 thread": []}
        for _ in range(processes):
            out["default"] += _worker(None, calls, repeats)
            out["1 thread"] += _worker(1, calls, repeats)
        return out
    finally:
        if hog is not None:
            hog.kill()
            hog.wait()


def _median(v):
    v = sorted(v)
    m = len(v) // 2
    return v[m] if len(v) % 2 else 0.5 * (v[m - 1] + v[m])


def report(calls=CALLS, repeats=REPEATS, processes=PROCESSES):
    """Print the table of this module's docstring; return ``{condition: ratio of medians}``."""
    import numba
    print(f"\n{calls} simulate+bptt calls, 2 samples, 10-10r-2, T=50: wall ms per loop, median "
          f"[min-max] of {repeats}x{processes} timings, and median cpu ms (all threads); "
          f"default Numba threads = {numba.config.NUMBA_NUM_THREADS}")
    print("  load average before: " + " ".join(f"{v:.2f}" for v in _load()))
    ratios = {}
    for cond, busy in (("idle", False), ("beside 1 busy process", True)):
        t = measure(calls, repeats, processes, busy=busy)
        wall = {k: [w for w, _ in v] for k, v in t.items()}
        cpu = {k: _median([c for _, c in v]) for k, v in t.items()}
        med = {k: _median(v) for k, v in wall.items()}
        ratios[cond] = med["default"] / med["1 thread"]
        print(f"  {cond:<22}" + "   ".join(
            f"{k} {med[k] * 1e3:6.1f} [{min(v) * 1e3:.0f}-{max(v) * 1e3:.0f}] cpu "
            f"{cpu[k] * 1e3:.0f}" for k, v in wall.items())
            + f"   ratio {ratios[cond]:.2f}", flush=True)
    print("  load average after:  " + " ".join(f"{v:.2f}" for v in _load()))
    return ratios


if __name__ == "__main__":
    ap = argparse.ArgumentParser(prog="python -m benchmarks.small_calls",
                                 description=__doc__.split("\n")[0])
    ap.add_argument("--calls", type=int, default=CALLS)
    ap.add_argument("--repeats", type=int, default=REPEATS)
    ap.add_argument("--processes", type=int, default=PROCESSES)
    a = ap.parse_args()
    report(a.calls, a.repeats, a.processes)

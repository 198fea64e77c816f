"""`python -m benchmarks` (`make bench`): refsnn against a NumPy baseline, PyTorch and snnTorch.

For each case: forward and forward+backward (BPTT) wall time per batch (median of repeated runs
after a warm-up), the ratio of each reference to refsnn, peak memory of refsnn's forward+BPTT
(tracemalloc) against the bytes of the trace it must store, and, before any timing, the max
relative error of each reference's gradient against ``refsnn.bptt``. Then the compile time of all
kernels in a fresh process, with an empty Numba cache ("cold") and with the normal one
("cached").

Threads: refsnn's kernels loop over the batch in parallel on ``NUMBA_NUM_THREADS`` threads
(default: every core; the results are bit-identical for any count). BLAS (NumPy) and torch use
``--threads`` (default: the same number, every core), so the comparison is at equal threads;
the header prints both counts. ``--threads 1`` shows the references single-threaded.

refsnn also runs each case in float32 (``Network(dtype=np.float32)``): its time is printed
beside the float64 one, and its gradient's normwise deviation from the float64 gradient is
checked (< 1e-4) before timing. The ratios compare float64 with float64.

Last, many small calls (:mod:`benchmarks.small_calls`): 300 ``simulate`` + ``bptt`` calls of a
2-sample, 10-neuron network, idle and beside one busy process, against ``NUMBA_NUM_THREADS=1``.

``--quick`` runs a reduced set (seconds); torch and snnTorch are skipped with a message when
they do not import (``pip install -e .[compare]``).
"""
import argparse
import os
import sys


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        return os.cpu_count() or 1


def _parse():
    ap = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, default=_cores(),
                    help="BLAS / torch threads (default: every core, like Numba)")
    ap.add_argument("--quick", action="store_true", help="a reduced, fast run")
    ap.add_argument("--no-compile", action="store_true", help="skip the compile-time runs")
    ap.add_argument("--no-small", action="store_true", help="skip the many-small-calls case")
    return ap.parse_args()


ARGS = _parse() if __name__ == "__main__" else None
if ARGS is not None:  # before numpy is imported
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(ARGS.threads)

import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from refsnn import bptt, losses  # noqa: E402

from . import small_calls, torch_reference  # noqa: E402
from .timing import (gradient_errors, implementations, median_time, peak_memory,  # noqa: E402
                     problem, trace_bytes)

CASES = [
    # name, sizes, T, B, input density, recurrent
    ("SHD 700-200r-20 T=100 B=64", [700, 200, 20], 100, 64, 0.03, True),
    ("SHD 700-200r-20 T=100 B=256", [700, 200, 20], 100, 256, 0.03, True),
    ("small 100-64-10 T=50 B=32", [100, 64, 10], 50, 32, 0.05, False),
]
SCALING_N = [(f"N={n} (700-{n}r-20 T=100 B=32)", [700, n, 20], 100, 32, 0.03, True)
             for n in (50, 100, 400, 800)]
SCALING_T = [(f"T={t} (700-200r-20 B=32)", [700, 200, 20], t, 32, 0.03, True)
             for t in (50, 200, 400)]

COMPILE_SNIPPET = """
import time; t0 = time.perf_counter()
import numpy as np
from refsnn import LIFParams, Network, bptt, losses
t1 = time.perf_counter()
p = LIFParams(alpha=0.8, beta=0.9)
net = Network.init([3, 4, 2], p, recurrent=True, rng=0)
x = (np.random.default_rng(0).random((2, 10, 3)) < 0.5).astype(float)
tr = net.simulate(x)
bptt(net, tr, losses.max_over_time_ce(tr.readout, [0, 1])[1])
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def compile_times():
    """``(import s, first call s)`` in a fresh process, cold (empty cache) and cached."""
    out = {}
    with tempfile.TemporaryDirectory() as cold_dir:
        for label, env_extra in (("cold", {"NUMBA_CACHE_DIR": cold_dir}),
                                 ("cached", {"NUMBA_CACHE_DIR": cold_dir})):
            # the "cached" run reuses the directory the cold run has just filled
            env = dict(os.environ, **env_extra)
            r = subprocess.run([sys.executable, "-c", COMPILE_SNIPPET], env=env,
                               capture_output=True, text=True, check=True)
            out[label] = tuple(float(v) for v in r.stdout.split())
    return out


#: the cross-check before timing: float64 references must agree with refsnn.bptt to rounding
#: (docs/design.md §6 agreement tolerance, relative, entrywise); snnTorch's spike tensors are float32
#: (relative rounding 6e-8), refsnn's own float32 path normwise (tests/test_float32.py)
AGREE = {"float32 (normwise)": 1e-4, "snntorch": 1e-6}
AGREE_DEFAULT = 1e-10


def run_case(name, sizes, T, B, density, recurrent, repeats, torch_ok, memory=True):
    net, x, labels = problem(sizes, T, B, density, recurrent)
    tr = net.simulate(x)
    errs = gradient_errors(net, x, labels)
    bad = {k: v for k, v in errs.items() if not v < AGREE.get(k, AGREE_DEFAULT)}
    if bad:
        raise SystemExit(f"{name}: gradient cross-check FAILED {bad}; nothing timed")
    impls = implementations(net, x, labels, with_torch=torch_ok)
    row = {"name": name, "errors": errs, "hidden_density": float(tr.S[0].mean())}
    for impl, (fwd, fb) in impls.items():
        reps = repeats if impl.startswith("refsnn") else max(2, repeats // 2)
        row[impl] = (median_time(fwd, reps), median_time(fb, reps))
    if memory:
        def fb():
            t = net.simulate(x)
            bptt(net, t, losses.max_over_time_ce(t.readout, labels)[1])
        # a dense x is copied into the trace (counted by the peak); a sparse x is kept as its
        # event list only, which the peak counts too
        row["peak"] = peak_memory(fb)
        row["trace"] = trace_bytes(tr)
    return row


def print_rows(rows, title):
    impls = [k for k in ("numpy", "torch", "snntorch") if any(k in r for r in rows)]
    print(f"\n{title}")
    head = f"{'case':<32}{'fwd ms':>9}{'f+b ms':>9}{'f32 f+b':>9}"
    for k in impls:
        head += f"{k + ' f+b':>15}{'x':>7}"
    head += f"{'peak/trace':>12}"
    print(head)
    for r in rows:
        fwd, fb = r["refsnn"]
        line = f"{r['name']:<32}{fwd * 1e3:>9.1f}{fb * 1e3:>9.1f}{r['refsnn32'][1] * 1e3:>9.1f}"
        for k in impls:
            if k in r:
                line += f"{r[k][1] * 1e3:>15.1f}{r[k][1] / fb:>7.1f}"
            else:
                line += f"{'-':>15}{'':>7}"
        if "peak" in r:
            line += f"{r['peak'] / 2**20:>6.0f}/{r['trace'] / 2**20:.0f}MB"
        print(line, flush=True)
    print("forward-only ratios (reference fwd / refsnn fwd): " + "; ".join(
        f"{r['name'].split(' (')[0]}: " + ", ".join(
            f"{k} {r[k][0] / r['refsnn'][0]:.1f}x" for k in impls if k in r) for r in rows))


def main(args):
    t_start = time.perf_counter()
    torch_ok = torch_reference.available()
    import numba
    print(f"refsnn benchmark: float64 (and refsnn float32), refsnn (Numba) threads = {numba.get_num_threads()}, "
          f"BLAS/torch threads = {args.threads}; median of repeats after a warm-up")
    if torch_ok:
        import torch
        torch.set_num_threads(args.threads)
        snn = torch_reference.snntorch_available()
        print(f"torch {torch.__version__}" + (f", snntorch {torch_reference.snntorch.__version__}"
                                              if snn else ", snntorch not importable: skipped"))
    else:
        print("torch not importable: PyTorch and snnTorch references skipped "
              "(pip install -e .[compare])")
    cases = CASES[:1] + CASES[2:] if args.quick else CASES
    rows = []
    for c in cases:
        rows.append(run_case(*c, repeats=3 if args.quick else 5, torch_ok=torch_ok))
    print("\ngradient agreement with refsnn.bptt (max relative error, before timing):")
    for r in rows:
        print(f"  {r['name']:<32}" + "  ".join(f"{k} {v:.1e}" for k, v in r["errors"].items())
              + f"   (hidden spike density {r['hidden_density']:.2f})")
    print_rows(rows, "forward and forward+backward per batch (ms); x = reference / refsnn")
    if not args.quick:
        scal = [run_case(*c, repeats=3, torch_ok=torch_ok, memory=False)
                for c in SCALING_N + SCALING_T]
        print_rows(scal, "scaling in N and T (input density 0.03)")
    if not args.no_compile:
        ct = compile_times()
        print("\ncompile time of all kernels in a fresh process (import s + first call s):")
        for k, (imp, first) in ct.items():
            print(f"  {k:<7} import {imp:5.2f} s   first simulate+bptt {first:5.2f} s")
    if not args.no_small:
        small_calls.report(processes=1 if args.quick else small_calls.PROCESSES)
    print(f"\ntotal {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main(ARGS)

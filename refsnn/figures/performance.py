r"""Performance (not a figure of the tutorial; Fig. P of this repository): time per simulated
step of forward+BPTT against network size, refsnn's Numba kernels vs the references.

Network ``700 - N (recurrent) - 20`` (the SHD shape), input spike density 3 %, ``T = 100``,
batch 32, float64, every implementation on all cores (refsnn batch-parallel on Numba's
threads, NumPy's BLAS and torch on their default threads); the x axis is the number of hidden
neurons ``N``, the y axis the wall time of one forward+backward pass divided by ``T``
(median of repeats), both logarithmic. Curves: refsnn (float64, and dashed its float32 path),
the vectorised NumPy baseline
(``benchmarks/numpy_baseline.py``, "what a student would write"), and PyTorch autograd on the
same equations and snnTorch when torch imports (otherwise those curves are absent and the legend
says so). What must be visible: refsnn below every reference at every size, and the gap largest
for small networks, where the references pay a fixed per-step interpreter/dispatch cost.

The measurement is :mod:`benchmarks.timing` (the benchmark's own cases and timers, installed
beside the package), imported when the figure is drawn. ``quick=True`` uses three small sizes,
``T = 20`` and one repeat.

Read next: refsnn/figures/credit_assignment_cost.py, the measured cost of BPTT against RTRL.
"""
from __future__ import annotations

import os

import numba
import numpy as np
from matplotlib.ticker import NullFormatter

from . import style

NAME = "performance"
DENSITY = 0.03
COLORS = {"refsnn": style.INK, "refsnn32": style.INK, "numpy": "#1f77b4", "torch": "#d62728",
          "snntorch": "#ff7f0e"}
LABELS = {"refsnn": "refsnn (Numba)", "refsnn32": "refsnn, float32", "numpy": "NumPy baseline",
          "torch": "PyTorch autograd", "snntorch": "snnTorch"}


def measure(sizes_N, T, B, repeats, with_torch=True):
    """``{impl: [seconds per step for each N]}``, plus the set of skipped implementations."""
    from benchmarks import timing  # measurement code, outside the library

    results, skipped = {}, set()
    if not timing.torch_reference.available():
        skipped |= {"torch", "snntorch"}
    elif not timing.torch_reference.snntorch_available():
        skipped.add("snntorch")
    for N in sizes_N:
        net, x, labels = timing.problem([700, N, 20], T, B, DENSITY)
        impls = timing.implementations(net, x, labels, with_torch=with_torch)
        for name, (_, fb) in impls.items():
            t = timing.median_time(fb, repeats=repeats, warmup=1)
            results.setdefault(name, []).append(t / T)
    return results, skipped


def make(out_dir, quick=False):
    """Measure and draw into ``out_dir`` (``performance.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Three small sizes, ``T = 20``, one repeat, no torch curves (a few seconds; tests).
    """
    out_dir = style.check_out_dir(out_dir)
    if quick:
        sizes_N, T, B, repeats = [25, 50, 100], 20, 8, 1
    else:
        sizes_N, T, B, repeats = [25, 50, 100, 200, 400, 800], 100, 32, 3
    results, skipped = measure(sizes_N, T, B, repeats, with_torch=not quick)
    if quick:
        skipped |= {"torch", "snntorch"}
    with style.house_style():
        fig = style.new_figure(4.2, 3.2)
        ax = fig.add_subplot(1, 1, 1)
        for name in ("refsnn", "refsnn32", "numpy", "torch", "snntorch"):
            if name not in results:
                continue
            ax.loglog(sizes_N, np.array(results[name]) * 1e3,
                      "o--" if name == "refsnn32" else "o-", ms=3.5, lw=1.2,
                      color=COLORS[name], label=LABELS[name])
        ax.set_xticks(sizes_N)
        ax.set_xticklabels([str(n) for n in sizes_N])
        ax.xaxis.set_minor_formatter(NullFormatter())
        ax.set_xlabel("hidden neurons $N$ (700 inputs, recurrent, 20 outputs)")
        ax.set_ylabel("forward + BPTT time per step (ms)")
        blas = os.environ.get("OPENBLAS_NUM_THREADS") or "default"
        note = (f"input spike density {DENSITY:.0%}, T = {T}, batch {B}, float64 (dashed: "
                f"refsnn float32)\nrefsnn on "
                f"{numba.get_num_threads()} Numba threads, NumPy/torch on {blas} threads")
        if skipped:
            note += "\nnot measured: " + ", ".join(LABELS[s] for s in sorted(skipped))
        ax.set_title(note, fontsize=7, loc="left")
        ax.legend(loc="upper left")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

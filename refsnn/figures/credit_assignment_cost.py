r"""Cost of temporal credit assignment, measured: BPTT ("backward") vs the forward rules.

Not a figure of the tutorial (Fig. 2 shows the unrolled graph; this plots what the text beside
arXiv Eq. 12 says about it): BPTT must store the whole trace, memory ``O(NT)``, whereas the
forward method (Eq. 12, :func:`refsnn.rtrl`) keeps the sensitivities of every neuron to every
weight, memory ``O(N^3)`` independent of ``T``, at ``O(N^4)`` time per step, and SuperSpike and
e-prop, run online (the network advanced step by step inside the measured call), keep only
each neuron's own eligibility traces, ``O(N n_in)`` resp. ``O(N (n_in + N))``, also
independent of ``T``. e-prop with the exact learning signal
(:func:`refsnn.grad.eprop.eprop_exact`) needs a backward pass over the trace for that signal:
it is drawn with the backward group (dashed), not the online one (solid). The data come from
:func:`benchmarks.costs.measure`, the measurement code beside the package (one recurrent
hidden layer of ``N`` LIF neurons, batch 1; peak memory by :mod:`tracemalloc` during one
gradient, time per gradient).

What must be visible:

* (a) peak memory vs ``T`` (log-log) at fixed ``N``: BPTT (and exact e-prop) grow linearly
  (slope ~1, reference line ``O(NT)``), RTRL, SuperSpike and e-prop are flat (slope ~0);
* (b) peak memory vs ``N`` at fixed ``T``: BPTT slope ~1 (``O(NT)``, bending towards 2 at
  large ``N`` where the ``N^2`` gradient of ``V`` dominates, reference ``O(N^2)``), RTRL slope ~3
  (``O(N^3)``);
* (c) time per gradient vs ``N``: RTRL towards ``O(N^4 T)``, BPTT ``O(N^2 T)``;
* (d) time per gradient vs ``N`` in the large-``N`` regime (``benchmarks.costs.EXTENDED``:
  BPTT ``N = 1024..8192``, RTRL ``N = 64..192``, ``T = 10``; RTRL's time per step does not
  depend on ``T``), where per-call overheads no longer hide the leading power: slopes ~2 and
  ~4 (measured 2.29 and 4.01 on an idle machine, README);
* legends with the fitted log-log slopes (in ``N`` also over the last :data:`TAIL` points,
  where the fixed overheads no longer dominate: BPTT's time towards 2, RTRL's towards 4);
  reference lines (dashed/dotted, grey) anchored to the
  last measured point of the curve they accompany.

Read next: refsnn/figures/datasets.py, the tasks of refsnn.datasets.
"""
from __future__ import annotations

import numpy as np
from matplotlib import ticker

from . import style

NAME = "credit_assignment_cost"
#: the N sweeps' legends also give the slope fitted on the last TAIL points (large N)
TAIL = 3
COLOURS = {"bptt": "#1f77b4", "rtrl": "#d62728", "superspike": "#2ca02c", "eprop": "#9467bd",
           "eprop_exact": "#8c564b"}
LABELS = {"bptt": "BPTT", "rtrl": "RTRL (exact)", "superspike": "SuperSpike",
          "eprop": "e-prop", "eprop_exact": "exact e-prop (backward)"}


def costs_module():
    """:mod:`benchmarks.costs`, the measurement behind the figure (imported when drawn: the
    measurement code is not part of the library)."""
    from benchmarks import costs
    return costs


def data(quick=False):
    """The measurements behind the figure (``measure`` of :mod:`benchmarks.costs`): the main
    sweeps (``FULL``) and the large-``N`` sweeps (``EXTENDED``), as a pair of results."""
    costs = costs_module()
    sizes = dict(costs.QUICK) if quick else dict(costs.FULL)
    if not quick:
        sizes["repeats"] = 3
    large = costs.EXTENDED_QUICK if quick else costs.EXTENDED
    return costs.measure(**sizes), costs.measure(**large)


def _reference(ax, x, y_anchor, x_anchor, power, label, ls):
    """Draw ``c x^power`` through ``(x_anchor, y_anchor)``."""
    x = np.asarray(x, float)
    ax.plot(x, y_anchor * (x / x_anchor) ** power, ls=ls, c="0.55", lw=0.9, label=label,
            zorder=1)


def _panel(ax, sweep, quantity, result, refs, fit_slope, scale, unit):
    backward = costs_module().BACKWARD
    for method, d in result[sweep].items():
        y = d[quantity] * scale
        s = fit_slope(d["x"], d[quantity])
        label = f"{LABELS.get(method, method)} (slope {s:.2f}"
        if sweep == "N" and len(d["x"]) > TAIL:  # where the fixed overheads no longer dominate
            label += f"; N≥{d['x'][-TAIL]}: " \
                     f"{fit_slope(d['x'][-TAIL:], d[quantity][-TAIL:]):.2f}"
        ax.loglog(d["x"], y, "o--" if method in backward else "o-", c=COLOURS.get(method, "k"),
                  ms=3.5, lw=1.2, label=label + ")", zorder=3)
    for method, power, label, ls in refs:
        if method not in result[sweep]:
            continue
        d = result[sweep][method]
        _reference(ax, d["x"], d[quantity][-1] * scale, d["x"][-1], power, label, ls)
    ax.set_xlabel("sequence length T (steps)" if sweep == "T" else "hidden neurons N")
    ax.set_ylabel(unit)
    ticks = sorted({int(v) for d in result[sweep].values() for v in d["x"]})
    if len(ticks) > 6:  # every other one, keeping the last
        ticks = ticks[::-1][::2][::-1]
    ax.set_xticks(ticks)
    ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
    ax.xaxis.set_minor_formatter(ticker.NullFormatter())
    ax.yaxis.set_minor_formatter(ticker.NullFormatter())
    ax.legend(loc="best", fontsize=6 if sweep == "N" else 6.5, handlelength=2.2)


def make(out_dir, quick=False):
    """Measure and draw into ``out_dir`` (``credit_assignment_cost.png`` / ``.pdf``).

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Tiny sizes (a few seconds), lower resolution: what the tests run.

    Returns
    -------
    list of str
        ``[png_path, pdf_path]``.
    """
    out_dir = style.check_out_dir(out_dir)
    fit_slope = costs_module().fit_slope
    result, large = data(quick)
    cfg = result["config"]
    with style.house_style():
        fig = style.new_figure(16.5, 3.8)
        axes = fig.subplots(1, 4)
        _panel(axes[0], "T", "memory", result,
               [("bptt", 1, "O(NT)", "--"), ("rtrl", 0, "O(N³), no T", ":")],
               fit_slope, 1e-6, "peak memory (MB)")
        axes[0].set_title(f"(a) memory vs T  (N = {cfg['N_fixed']})", loc="left")
        _panel(axes[1], "N", "memory", result,
               [("bptt", 1, "O(NT)", "--"), ("bptt", 2, "O(N²)", "-."),
                ("rtrl", 3, "O(N³)", ":")],
               fit_slope, 1e-6, "peak memory (MB)")
        axes[1].set_title(f"(b) memory vs N  (T = {cfg['T_fixed']})", loc="left")
        _panel(axes[2], "N", "time", result,
               [("bptt", 2, "O(N²T)", "--"), ("rtrl", 4, "O(N⁴T)", ":")],
               fit_slope, 1e3, "time per gradient (ms)")
        axes[2].set_title(f"(c) time vs N  (T = {cfg['T_fixed']})", loc="left")
        _panel(axes[3], "N", "time", large,
               [("bptt", 2, "O(N²T)", "--"), ("rtrl", 4, "O(N⁴T)", ":")],
               fit_slope, 1e3, "time per gradient (ms)")
        axes[3].set_title(f"(d) large N  (T = {large['config']['T_fixed']})", loc="left")
        skipped = ", ".join(LABELS.get(m, m) for m in result["skipped"])
        note = ("one recurrent hidden layer, batch 1; dashed: backward group (BPTT, exact "
                "e-prop: forward pass recording the trace included);\nsolid: online (RTRL, "
                "SuperSpike, e-prop: network advanced step by step, nothing of length T stored)"
                + (f"; not available: {skipped}" if skipped else ""))
        fig.text(0.5, -0.02, note, ha="center", va="top", fontsize=7, color="0.35")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)

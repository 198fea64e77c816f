r"""Tutorial Fig. 6 (J-Fig. 7b): a 2-4-2 network of Mostafa's neurons solving the temporal XOR.

The network is the first seed of :mod:`refsnn.experiments.temporal_xor` (small sweep: seeds
100-119) that reaches 100%; its membrane potentials are Eq. (1) of
:mod:`refsnn.timing.mostafa` in closed form on a grid of 2000 points, each drawn up to its
neuron's spike (Mostafa's neurons fire once).

What must be visible, in the paper's layout (one row per input pattern, early/early,
early/late, late/early, late/late; time in units of ``tau_syn``):

* left: the membrane potentials of the four hidden neurons, the threshold 1 dashed; the two
  input spikes as arrows at the bottom (input a large and dark, b small and grey, so that
  equal times stay visible); each hidden spike as a
  downward arrow at the top, in its neuron's colour;
* right: the two output neurons' potentials; the hidden spikes (their inputs) as arrows at the
  bottom, the output spikes at the top; the first output spike is the class, named in the
  panel (output 0: same timing, output 1: different) and right on all four rows;
* the title: how many of the sweep's seeds reach 100% on the four patterns.

Read next: refsnn/figures/yin_yang_timing.py, Yin-Yang with the same neurons.
"""
from __future__ import annotations

import numpy as np

from . import style
from .. import experiments
from ..datasets.xor import CLASSES, PATTERNS
from ..experiments import temporal_xor as tx
from ..timing import mostafa

NAME = "temporal_xor"
HIDDEN_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd")
OUTPUT_COLOURS = ("#17becf", "#d62728")
INPUT_COLOURS = ("#222222", "#888888")
WORDS = ("early", "late")


def shown_run(results):
    """The run the figure draws: the first successful one in seed order (else the first)."""
    runs = sorted(results["runs"], key=lambda r: r["seed"])
    return next((r for r in runs if r["metrics"]["success"]), runs[0])


def potentials(W, t_in, t_end, n=2000):
    """The figure's data for one network: ``(grid, times, U)`` with ``times`` the forward pass
    and ``U[l]`` ``(4, n, n_l)`` the closed-form potentials of layer ``l + 1``, NaN after the
    neuron's spike."""
    net = mostafa.Network([np.array(w) for w in W])
    times = net.forward(t_in)
    grid = np.linspace(0.0, t_end, n)
    U = []
    for l, w in enumerate(net.W):
        u = mostafa.membrane(w, times[l], grid)
        u[grid[None, :, None] > times[l + 1][:, None, :]] = np.nan     # fired: done
        U.append(u)
    return grid, times, U


def _arrows(ax, ts, y, colours, up, sizes=7):
    """A triangle per finite spike time, pointing up (inputs, at the bottom) or down."""
    sizes = np.broadcast_to(sizes, (len(ts),))
    for t, c, ms in zip(ts, colours, sizes):
        if np.isfinite(t):
            ax.plot([t], [y], marker="^" if up else "v", ms=ms, c=c, clip_on=False, ls="none")


def draw(results, out_dir, quick=False):
    """Draw the figure from the sweep's ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    run = shown_run(results)
    t_in, y = tx.patterns()
    t_out = np.array([[np.inf if v is None else v for v in row] for row in run["metrics"]["t_out"]])
    t_end = float(np.max(t_out[np.isfinite(t_out)], initial=2.0)) + 0.6
    grid, times, U = potentials(run["metrics"]["W"], t_in, t_end, n=400 if quick else 2000)
    ok, total = tx.success_fraction(results)
    lo, hi, top = -1.0, 1.45, 1.62
    with style.house_style():
        fig = style.new_figure(8.2, 8.4)
        axes = fig.subplots(4, 2, sharex=True)
        for p, (ax_h, ax_o) in enumerate(axes):
            for ax in (ax_h, ax_o):
                ax.axhline(1.0, ls="--", c="0.5", lw=0.8)
                ax.set_ylim(lo, top)
                ax.set_xlim(0, t_end)
            for i in range(U[0].shape[2]):
                ax_h.plot(grid, U[0][p, :, i], c=HIDDEN_COLOURS[i], lw=1.2)
            for k in range(U[1].shape[2]):
                ax_o.plot(grid, U[1][p, :, k], c=OUTPUT_COLOURS[k], lw=1.4)
            _arrows(ax_h, times[0][p], lo, INPUT_COLOURS, up=True, sizes=(10, 6))
            _arrows(ax_h, times[1][p], hi, HIDDEN_COLOURS, up=False)
            _arrows(ax_o, times[1][p], lo, HIDDEN_COLOURS, up=True, sizes=5)
            _arrows(ax_o, times[2][p], hi, OUTPUT_COLOURS, up=False)
            first = int(np.argmin(times[2][p])) if np.isfinite(times[2][p]).any() else -1
            a, b = PATTERNS[p]
            ax_h.set_title(f"pattern {p}: input a {WORDS[a]}, b {WORDS[b]}", loc="left")
            verdict = (f"output {first} first: '{CLASSES[first]}'"
                       + (" (right)" if first == y[p] else " (WRONG)")) if first >= 0 \
                else "no output spike (wrong)"
            ax_o.set_title(verdict, loc="left", color=OUTPUT_COLOURS[first] if first >= 0
                           else "k")
            ax_h.set_ylabel("U")
        axes[0, 0].text(0.99, 0.04, "hidden neurons 1-4", transform=axes[0, 0].transAxes,
                        ha="right", fontsize=7, color="0.35")
        axes[0, 1].text(0.99, 0.04, "output 0 (same), 1 (different)",
                        transform=axes[0, 1].transAxes, ha="right", fontsize=7, color="0.35")
        for ax in axes[-1]:
            ax.set_xlabel(r"time ($\tau_\mathrm{syn}$)")
        fig.suptitle(f"Temporal XOR, 2-4-2 non-leaky IF neurons with exact spike times "
                     f"(Mostafa 2018): {ok} of {total} seeds reach 100%; shown: seed "
                     f"{run['seed']}\nbottom: input spikes (a large dark, b small grey; right: "
                     "the hidden spikes); top: the layer's own spikes",
                     fontsize=8)
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: 3 seeds), write ``temporal_xor.csv`` and ``.json`` and
    the figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(tx, "quick" if quick else "small", progress=not quick)
    experiments.write(tx, results, out_dir)
    return draw(results, out_dir, quick=quick)

r"""Zenke & Vogels (2021) Fig. 9 (randman column): classification accuracy degrades below a
critical number of hidden-layer spikes; runs of :mod:`refsnn.experiments.sparse_activity`
(10-class randman, an upper bound on the hidden activity swept over its threshold).

What must be visible:

* (a) the test accuracy of every trained network against the mean number of hidden-layer
  spikes per test input (all hidden layers together), log x-axis; one hidden layer blue, two
  orange (recurrent networks, in the full version, as open markers); the fitted sigmoid of
  each architecture (solid) and its transition point :math:`s_\ast` (dashed vertical line,
  value in the legend); chance (10%) dotted; the unregularised networks (no upper bound) as
  diamonds;
* (b) the hidden activity reached against the upper bound's threshold (spikes per input,
  :math:`M v_\mathrm{upper}` summed over layers, dotted diagonal): the regulariser holds the
  activity at about its threshold once the threshold is below the unregularised activity.

What it found (small version: 100 samples per class, 10 epochs, lr 0.1, upper bound L = 1 with
``lam`` 100 and seven thresholds, seeds 0-2):

* **A critical activity: reproduced.** Below it the accuracy falls to chance, above it the
  networks reach what the unregularised ones reach (84-88% for one hidden layer at 146-155
  spikes per input, 73-87% for two at 323-401). The sigmoid fits put the transition at
  :math:`s_\ast` = 17 spikes per input (one standard error: 13-23) for one hidden layer and
  49 (45-54) for two, against the paper's 36 and 76: lower, on a smaller data set and budget.
* **Two hidden layers need more spikes: reproduced** (about three times as many here, twice in
  the paper).
* **The transition within less than a decade: for two hidden layers** (fitted width 0.14
  decades); for one hidden layer the accuracy rises over about two decades (width 0.48) and
  the fit's upper plateau, 99%, lies above every point (the runs are not converged).
* With ``lam`` 100 the activity ends up well below the threshold (b), by a factor 2-30: the L1
  bound's constant push per spike outweighs the loss until far below it.

``make`` runs the small version (``quick=True``: a tiny one, seconds) and writes
``sparse_activity.csv`` and ``.json`` beside the PNG;
``python -m refsnn.experiments sparse_activity --full`` runs the larger one (finer thresholds,
recurrent networks too, five seeds, 1000 samples per class, 50 epochs).

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import numpy as np

from . import style
from .. import experiments
from ..experiments import sparse_activity as sa

NAME = "sparse_activity"
COLOURS = {1: "#1f77b4", 2: "#ff7f0e", 3: "#2ca02c"}


def _label(key):
    n_h, rec = key
    return f"{n_h} hidden layer{'s' if n_h > 1 else ''}{', recurrent' if rec else ''}"


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    fits = sa.transitions(results)
    with style.house_style():
        fig = style.new_figure(11.0, 4.2)
        ax, ax_t = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.6, 1]})
        lo, hi = np.inf, 0.0
        for r in results["runs"]:
            c = results["configs"][r["config"]]
            m = r["metrics"]
            key = (len(c["hidden"]), bool(c["recurrent"]))
            colour = COLOURS.get(key[0], "0.3")
            s = max(m["hidden_spikes"], 1e-2)    # a silent network at the axis' left edge
            lo, hi = min(lo, s), max(hi, s)
            marker = "D" if c["upper"] is None else "o"
            face = "none" if key[1] else colour
            ax.plot(s, m["test_accuracy"], marker, ms=4.5 if marker == "D" else 3.5,
                    mfc=face, mec=colour, alpha=0.8, ls="none")
            if c["upper"] is not None:
                target = c["upper"]["v_upper"] * sum(c["hidden"])
                ax_t.plot(target, s, "o", ms=3.5, mfc=face, mec=colour, alpha=0.8)
        xs = np.logspace(np.log10(lo) - 0.2, np.log10(hi) + 0.2, 300)
        for key in sorted(fits):
            f = fits[key]
            colour = COLOURS.get(key[0], "0.3")
            ls = "--" if key[1] else "-"
            if f is None:
                ax.plot([], [], c=colour, ls=ls, label=f"{_label(key)}: no sigmoid fit")
                continue
            ax.plot(xs, sa.sigmoid(np.log10(xs), f["low"], f["high"], np.log10(f["s0"]),
                                   f["width"]), c=colour, lw=1.5, ls=ls,
                    label=f"{_label(key)}: $s_*$ = {f['s0']:.3g} "
                          f"({f['s0_low']:.3g}-{f['s0_high']:.3g}), "
                          f"{f['low']:.0%} to {f['high']:.0%}")
            ax.axvline(f["s0"], c=colour, ls=":", lw=1.0)
        ax.axhline(0.1, ls=":", c="0.6", lw=0.8)
        ax.plot([], [], "D", mfc="none", mec="0.3", ls="none", label="no upper bound")
        ax.set_xscale("log")
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("hidden-layer spikes per input (mean over the test set)")
        ax.set_ylabel("test accuracy")
        ax.set_title("(a) accuracy against activity, sigmoid fits", loc="left")
        ax.legend(loc="upper left", fontsize=7)
        ax_t.set_xscale("log")
        ax_t.set_yscale("log")
        t = np.logspace(np.log10(max(lo, 1e-2)), np.log10(hi) + 0.3, 10)
        ax_t.plot(t, t, ls=":", c="0.5", lw=0.8)
        ax_t.set_xlabel(r"upper bound's threshold, spikes per input ($M v_\mathrm{upper}$)")
        ax_t.set_ylabel("hidden-layer spikes per input")
        ax_t.set_title("(b) activity against the threshold", loc="left")
        c0 = results["configs"][0]
        lams = sorted({c["upper"]["lam"] for c in results["configs"] if c["upper"]})
        fig.text(0.5, 0.995, f"10-class randman, 20-100(-100)-10 LIF networks (input gain 1 - beta, zero "
                 f"reset detached, readout tau 20 ms), max-over-time readout, lr {c0['lr']:g}, upper bound L = 1 "
                 f"(lam = {', '.join(f'{v:g}' for v in lams)}) and lower bound (Table 1);\n"
                 f"{results['size']} version: "
                 f"{c0['samples_per_class']} samples per class, {c0['epochs']} epochs, "
                 f"{len(results['seeds'])} seed(s)", ha="center", va="top", fontsize=7.5,
                 color="0.35")
        fig.subplots_adjust(left=0.06, right=0.99, bottom=0.13, top=0.85, wspace=0.25)
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: a tiny one, in this process; the small one in a joblib
    process pool on every core), write ``sparse_activity.csv`` and ``.json`` and the figure
    into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(sa, "quick" if quick else "small", progress=not quick,
                                    backend="serial" if quick else "loky")
    experiments.write(sa, results, out_dir)
    return draw(results, out_dir, quick=quick)

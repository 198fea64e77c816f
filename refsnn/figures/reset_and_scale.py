r"""Zenke & Vogels (2021) Fig. 5: surrogate gradient learning is sensitive to the scale of the
surrogate derivative where the reset or recurrence compounds it; runs of
:mod:`refsnn.experiments.reset_and_scale` (10-class randman, 20-100-10).

What must be visible:

* (a) the standard SuperSpike :math:`1/(\beta|x|+1)^2` (grey, peak 1) and the asymptotic one
  :math:`\beta/(\beta|x|+1)^2` (orange, peak :math:`\beta`) for the slopes of the grid, log
  y-axis (Fig. 5a);
* (b) training accuracy against epoch of the best cells (by validation accuracy) of the
  feed-forward conditions: sCtl, sDR, aCtl grey shades, aDR orange; median over seeds
  (Fig. 5b);
* (c) test accuracy of the best cells of the feed-forward conditions, reset detached (Ctl) or
  differentiable (DR), standard (s) or asymptotic (a) SuperSpike: bar the mean over the best
  cells and seeds, error bar the standard deviation, dots the runs (Fig. 5c);
* (d) the same for recurrent networks (reset detached), the gradient through the recurrent
  synapses detached (Ctl) or propagated (Prop) (Fig. 5e); chance (10%) dotted in (b)-(d).

What it found (small version: 150 samples per class, 12 epochs, slopes 10 and 100, learning
rates 0.03 and 0.1, the best 2 of 4 cells by validation, seeds 0-2), test accuracy, mean (sd)
over those cells' runs:

* **Feed-forward: reproduced.** sCtl 95% (2), sDR 96% (2), aCtl 95% (2), aDR 70% (5): the
  asymptotic surrogate is as good as the standard one while the reset is detached (its gradient
  is then exactly the standard one times :math:`\beta`, tested) and impaired with the reset
  differentiable.
* **Recurrent: in part.** With the recurrence detached the standard and the asymptotic surrogate
  lose a little against feed-forward (sCtl 91%, aCtl 91%), with the error propagated through
  the recurrence the standard one does not (sProp 94%) and the asymptotic one falls to 44% (5),
  far below the others but not to chance as in the paper's Fig. 5f.
* The recurrent weights are drawn with the spread of the paper's uniform rule
  (:data:`refsnn.experiments.reset_and_scale.RECURRENT_GAIN`); with SpyTorch's gain 7 the
  recurrent networks ran away (600-1800 hidden spikes per input) and every recurrent condition
  was poor (66-70%, aProp 21%).

``make`` runs the small version (``quick=True``: a tiny one, seconds) and writes
``reset_and_scale.csv`` and ``.json`` beside the PNG;
``python -m refsnn.experiments reset_and_scale --full`` runs the larger grid (five slopes,
four learning rates, one and two hidden layers, five seeds, 1000 samples per class, 50
epochs; panels (c), (d) then show one and two hidden layers).

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import numpy as np

from . import style
from .. import experiments
from ..experiments import reset_and_scale as ras
from ..experiments import zenke_vogels as zv
from ..surrogate import Surrogate

NAME = "reset_and_scale"
COLOURS = {"sCtl": "#5a5a5a", "sDR": "#8c8c8c", "aCtl": "#b8b8b8", "aDR": "#ff7f0e",
           "sCtl-RC": "#5a5a5a", "sProp": "#8c8c8c", "aCtl-RC": "#b8b8b8", "aProp": "#ff7f0e"}
FEED_FORWARD = ("sCtl", "sDR", "aCtl", "aDR")
RECURRENT = ("sCtl-RC", "sProp", "aCtl-RC", "aProp")


def best(results, k=None):
    """``{(condition, n_hidden): [(config index, mean val. accuracy, test accuracies)]}``:
    the ``k`` best cells of each (default :data:`~refsnn.experiments.reset_and_scale.TOP` of
    the results' size)."""
    k = ras.TOP.get(results["size"], 5) if k is None else k
    keys = []
    for c in results["configs"]:
        if (c["condition"], len(c["hidden"])) not in keys:
            keys.append((c["condition"], len(c["hidden"])))
    return {key: zv.top_k(results, lambda c, key=key: (c["condition"], len(c["hidden"]))
                          == key, k=k) for key in keys}


def summary(results):
    """One line per condition: the best cells' mean (sd) test accuracy over their runs."""
    out = []
    for (cond, n_h), top in best(results).items():
        acc = [a for _, _, t in top for a in t]
        out.append(f"{cond}{'' if n_h == 1 else f' ({n_h} hidden)'}: {np.mean(acc):.1%} "
                   f"({np.std(acc):.1%})")
    return "; ".join(out)


def _bars(ax, results, groups, names, title):
    n_hs = sorted({n for (_, n) in groups})
    pos = 0
    ticks, labels = [], []
    for n_h in n_hs:
        for cond in names:
            if (cond, n_h) not in groups:
                continue
            acc = [a for _, _, t in groups[(cond, n_h)] for a in t]
            spikes = [r["metrics"]["hidden_spikes"] for i, _, _ in groups[(cond, n_h)]
                      for r in results["runs"] if r["config"] == i]
            ax.text(pos, 1.0, f"{np.median(spikes):.0f}", ha="center", va="bottom", fontsize=6.5,
                    color="0.35")
            ax.bar(pos, np.mean(acc), yerr=np.std(acc), color=COLOURS[cond], width=0.7,
                   capsize=3, alpha=1.0 if n_h == 1 else 0.6)
            ax.plot(np.full(len(acc), pos), acc, "o", ms=2.5, c="0.2", zorder=3)
            ax.text(pos, 0.02, f"{100 * np.mean(acc):.0f}", ha="center", va="bottom",
                    fontsize=7, color="white" if cond != "aCtl" else "black")
            ticks.append(pos)
            labels.append(cond.replace("-RC", "") + ("" if n_h == 1 else f"\n$n_h$={n_h}"))
            pos += 1
        pos += 0.5
    ax.set_xticks(ticks)
    ax.set_xticklabels(labels)
    ax.axhline(0.1, ls=":", c="0.6", lw=0.8)
    ax.set_ylim(0, 1.08)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_ylabel("test accuracy")
    ax.set_title(title, loc="left")


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    groups = best(results)
    scales = sorted({c["scale"] for c in results["configs"]})
    with style.house_style():
        fig = style.new_figure(13.0, 3.9)
        ax_s, ax_c, ax_f, ax_r = fig.subplots(1, 4, gridspec_kw={"width_ratios":
                                                                 [1, 1.1, 1, 1]})
        x = np.linspace(-1, 1, 801)
        for k, s in enumerate(scales):
            ls = ("-", "--", ":", "-.")[(len(scales) - 1 - k) % 4]     # the largest solid
            for name, colour in (("superspike", "0.45"), ("asymptotic_superspike", "#ff7f0e")):
                ax_s.plot(x, Surrogate(name, s).derivative(x), c=colour, lw=1.0, ls=ls)
            ax_s.text(0.03, s, rf"$\beta$={s:g}", fontsize=6.5, color="#ff7f0e", va="bottom")
        ax_s.plot([], [], c="0.45", label="standard (s)")
        ax_s.plot([], [], c="#ff7f0e", label="asymptotic (a)")
        ax_s.set_yscale("log")
        ax_s.set_ylim(1e-4, 3 * max(scales))
        ax_s.set_xlabel(r"$x = U - \vartheta$")
        ax_s.set_ylabel(r"$h(x)$")
        ax_s.legend(loc="lower center", fontsize=7)
        ax_s.set_title("(a) SuperSpike, two scales", loc="left")
        for cond in FEED_FORWARD:
            for i, _, _ in groups.get((cond, 1), []):
                runs = [r["metrics"] for r in results["runs"] if r["config"] == i]
                E = min(len(m["train_accuracy"]) for m in runs)
                Y = np.array([m["train_accuracy"][:E] for m in runs])
                ax_c.plot(np.arange(E), np.median(Y, axis=0), c=COLOURS[cond], lw=1.2,
                          label=cond if i == groups[(cond, 1)][0][0] else None)
        ax_c.axhline(0.1, ls=":", c="0.6", lw=0.8)
        ax_c.set_ylim(0, 1.02)
        ax_c.set_xlabel("epoch")
        ax_c.set_ylabel("training accuracy")
        ax_c.legend(loc="lower right", fontsize=7)
        ax_c.set_title("(b) best cells, feed-forward", loc="left")
        _bars(ax_f, results, groups, FEED_FORWARD, "(c) feed-forward: reset Ctl / DR")
        _bars(ax_r, results, groups, RECURRENT, "(d) recurrent: Ctl / Prop")
        c0 = results["configs"][0]
        k = ras.TOP.get(results["size"], 5)
        lrs = ", ".join(f"{lr:g}" for lr in sorted({c["lr"] for c in results["configs"]}))
        fig.text(0.5, 0.995, f"10-class randman, 20-100-10 LIF network (input gain 1 - beta, "
                 f"zero reset, readout tau 20 ms), max-over-time readout;\n{results['size']} "
                 f"version: "
                 f"{c0['samples_per_class']} samples per class, {c0['epochs']} epochs, grid "
                 f"beta {', '.join(f'{s:g}' for s in scales)} x lr {lrs}, best "
                 f"{k} cell(s) by validation, {len(results['seeds'])} seed(s) each; above the "
                 f"bars: median hidden spikes per input",
                 ha="center", va="top", fontsize=7.5, color="0.35")
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.17, top=0.82, wspace=0.32)
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: a tiny one, in this process; the small one in a joblib
    process pool on every core), write ``reset_and_scale.csv`` and ``.json`` and the figure
    into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(ras, "quick" if quick else "small", progress=not quick,
                                    backend="serial" if quick else "loky")
    experiments.write(ras, results, out_dir)
    return draw(results, out_dir, quick=quick)

r"""Zenke & Vogels (2021) Fig. 6b, adapted: the Max and the Sum readout on latency-coded
images, with scikit-learn's 8x8 digits standing in for MNIST; runs of
:mod:`refsnn.experiments.digits_latency` (64-100-10, the latency code of §4.1.2).

What must be visible:

* (a) one digit and its latency code (spike raster: input neuron against time; brighter
  pixels fire earlier, pixels below 4/16 never), as the paper's Fig. 7a-b;
* (b) validation accuracy against epoch, Max (blue) and Sum (orange), each at its best
  learning rate by validation accuracy: the median over seeds (line) and the range (band);
* (c) test accuracy per readout and learning rate (median and range over seeds; the y-axis
  starts at 0.8 unless a run is below), and each readout's best setting by validation, its
  mean and standard deviation over seeds, in the title (Fig. 6b's bars).

What it found (small version: 1438 training images, 15 epochs, learning rates 0.01-0.1, seeds
0-2): **Max and Sum alike, as in the paper**: the best setting by validation reaches
95.9% (sd 0.5) with the Max readout (lr 0.1) and 95.7% (sd 0.3) with the Sum readout (lr
0.01), and every cell of both lies within 93-98%. The paper's MNIST accuracy, 98.3%, is not
comparable (another data set, 28x28 images, 60k of them).

``make`` runs the small version (``quick=True``: a tiny one, seconds) and writes
``digits_latency.csv`` and ``.json`` beside the PNG;
``python -m refsnn.experiments digits_latency --full`` runs the larger one (six learning
rates, five seeds, 100 epochs).

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import numpy as np

from . import style
from .. import experiments
from ..experiments import digits_latency as dl
from ..experiments import zenke_vogels as zv

NAME = "digits_latency"
COLOURS = {"max_over_time_ce": "#1f77b4", "sum_over_time_ce": "#ff7f0e"}


def by_setting(results):
    """``{(loss, lr): list of metrics over seeds}``."""
    out = {}
    for r in results["runs"]:
        c = results["configs"][r["config"]]
        out.setdefault((c["loss"], c["lr"]), []).append(r["metrics"])
    return out


def best_per_readout(results):
    """``{loss: (config index, mean validation accuracy, test accuracies over seeds)}``: the
    best learning rate of each readout by mean final validation accuracy."""
    return {loss: zv.top_k(results, lambda c, loss=loss: c["loss"] == loss, k=1)[0]
            for loss in dl.READOUTS
            if any(c["loss"] == loss for c in results["configs"])}


def summary(results):
    """One line: each readout's best setting, its test accuracy over seeds."""
    parts = []
    for loss, (i, val, test) in best_per_readout(results).items():
        parts.append(f"{dl.READOUTS[loss]} (lr {results['configs'][i]['lr']:g}): test "
                     f"{np.mean(test):.1%} +- {np.std(test):.1%}")
    return "; ".join(parts)


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    data = dl.dataset(results["configs"][0])
    settings = by_setting(results)
    best = best_per_readout(results)
    with style.house_style():
        fig = style.new_figure(12.0, 3.8)
        gs = fig.add_gridspec(1, 4, width_ratios=[0.55, 1.1, 1.2, 1.2], wspace=0.4)
        ax_img = fig.add_subplot(gs[0, 0])
        ax_r = fig.add_subplot(gs[0, 1])
        ax_v = fig.add_subplot(gs[0, 2])
        ax_t = fig.add_subplot(gs[0, 3])
        k = int(np.flatnonzero(data.y == 3)[0])
        ax_img.imshow(data.source[k].reshape(8, 8), cmap="gray_r", vmin=0, vmax=1)
        ax_img.set_xticks([]), ax_img.set_yticks([])
        ax_img.set_title(f"(a) digit {data.y[k]}", loc="left")
        n, i = np.nonzero(data.x[k])
        ax_r.plot(n * data.dt * 1e3, i, "|", c=style.INK, ms=4)
        ax_r.set_xlim(0, data.steps * data.dt * 1e3)
        ax_r.set_ylim(-1, data.n_inputs)
        ax_r.set_xlabel("time (ms)")
        ax_r.set_ylabel("input neuron (pixel)")
        ax_r.set_title(rf"its latency code, $\vartheta$ = {dl.THETA:g}, "
                       rf"$\tau_{{eff}}$ = {dl.TAU_EFF * 1e3:g} ms", loc="left")
        for loss, (ci, _, test) in best.items():
            runs = settings[(loss, results["configs"][ci]["lr"])]
            E = min(len(m["val_accuracy"]) for m in runs)
            Y = np.array([m["val_accuracy"][:E] for m in runs])
            ep = np.arange(E)
            ax_v.plot(ep, np.median(Y, axis=0), c=COLOURS[loss], lw=1.4,
                      label=f"{dl.READOUTS[loss]}, lr {results['configs'][ci]['lr']:g}")
            ax_v.fill_between(ep, Y.min(axis=0), Y.max(axis=0), color=COLOURS[loss],
                              alpha=0.15, lw=0)
        ax_v.set_xlabel("epoch")
        ax_v.set_ylabel("validation accuracy")
        ax_v.set_ylim(0, 1.02)
        ax_v.axhline(0.1, ls=":", c="0.6", lw=0.8)
        ax_v.legend(loc="lower right")
        ax_v.set_title("(b) best learning rate per readout", loc="left")
        lrs = sorted({lr for _, lr in settings})
        for j, loss in enumerate(dl.READOUTS):
            xs = [np.log10(lr) + (j - 0.5) * 0.06 for lr in lrs if (loss, lr) in settings]
            acc = [np.array([m["test_accuracy"] for m in settings[(loss, lr)]])
                   for lr in lrs if (loss, lr) in settings]
            if not acc:
                continue
            med = [np.median(a) for a in acc]
            err = [[m - a.min() for m, a in zip(med, acc)],
                   [a.max() - m for m, a in zip(med, acc)]]
            ax_t.errorbar(xs, med, yerr=err, c=COLOURS[loss], marker="o", ms=4, capsize=2,
                          lw=1.2, label=dl.READOUTS[loss])
        ax_t.set_xticks([np.log10(lr) for lr in lrs])
        ax_t.set_xticklabels([f"{lr:g}" for lr in lrs])
        ax_t.set_xlabel(r"learning rate $\eta$")
        ax_t.set_ylabel("test accuracy")
        low = min(float(np.min(a)) for a in (np.array([m["test_accuracy"] for m in runs])
                                             for runs in settings.values()))
        ax_t.set_ylim(min(0.8, max(0.0, low - 0.05)), 1.0)
        ax_t.axhline(0.1, ls=":", c="0.6", lw=0.8)
        ax_t.legend(loc="lower right")
        text = ", ".join(f"{dl.READOUTS[loss]} {np.mean(t):.1%} $\\pm$ {np.std(t):.1%}"
                         for loss, (_, _, t) in best.items())
        ax_t.set_title(f"(c) test: best {text}", loc="left", fontsize=8)
        c0 = results["configs"][0]
        fig.text(0.5, 0.995, f"8x8 digits (scikit-learn; a stand-in for the paper's MNIST), "
                 f"latency code of Z&V §4.1.2, 64-100-10 LIF network (input gain 1 - beta, zero "
                 f"reset detached, readout tau 20 ms);\n"
                 f"{results['size']} version: {len(data.split('train'))} training images, "
                 f"{c0['epochs']} epochs, {len(results['seeds'])} seed(s)", ha="center",
                 va="top", fontsize=7.5, color="0.35")
        fig.subplots_adjust(left=0.04, right=0.99, bottom=0.14, top=0.82)
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: a tiny one, in this process; the small one in a joblib
    process pool on every core), write ``digits_latency.csv`` and ``.json`` and the figure
    into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(dl, "quick" if quick else "small", progress=not quick,
                                    backend="serial" if quick else "loky")
    experiments.write(dl, results, out_dir)
    return draw(results, out_dir, quick=quick)

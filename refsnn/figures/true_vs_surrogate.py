r"""Zenke & Vogels (2021) Fig. 2b: learning with the true gradient against the surrogate
gradient on a binary random-manifold task, with the runs of
:mod:`refsnn.experiments.true_vs_surrogate` (20-100-2, one hidden layer; the true gradient
makes every hidden weight's gradient exactly zero, so only the readout learns).

What must be visible:

* (a) the training loss against epoch (epoch 0: the initial network), true gradient grey,
  surrogate gradient red, median over seeds (line) and range (band), for the smallest initial
  weight scale (solid) and the library's default gain 7 (dashed); :math:`\ln 2`, the loss of a
  network that cannot tell the classes apart, dotted;
* (b) validation accuracy against epoch, the same runs; chance (50%) dotted;
* (c) test accuracy after training against the initial gain, both gradients (median and
  range), 95% dotted;
* (d) the initial hidden activity (spikes per hidden neuron and test sample, median over
  seeds, log scale) against the gain: what the true gradient's readout has to work with.

What it found (small version, seeds 0-2, 500 samples per class, 20 epochs; test accuracy over
the three seeds): the surrogate gradient reaches 100% (100-100%) at every gain, 2 to 7. The
true gradient stalls at :math:`\ln 2` (final training loss 0.692-0.693) and chance (50-51%)
when the random hidden layer starts nearly silent (gain 2: 0.001-0.01 spikes per hidden neuron
and sample), which is the paper's Fig. 2b. With an active hidden layer the readout alone learns
a good part of the task: 76-82% at gain 3, 86-90% at gain 5, 94-96% at gain 7 (0.6-0.9
spikes per neuron), its loss ending at 0.15-0.52 against the surrogate's 0.002-0.008. So
"learning is poor with the true gradient" reproduces in the loss at every gain, and in the
accuracy only where the initial activity is sparse: at the library's default initialisation a
random spiking layer and a trained readout nearly solve binary randman. (The paper's
initialisation and its (1 - beta) input gain are not refsnn's, docs/design.md §12.8.)

``make`` runs the small version (``quick=True``: a tiny one, seconds) and writes
``true_vs_surrogate.csv`` and ``.json`` beside the PNG;
``python -m refsnn.experiments true_vs_surrogate --full`` runs the larger one (gains 1-10,
five seeds, 1000 samples per class, 40 epochs) and draws the same figure.

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import numpy as np

from . import style
from .. import experiments
from ..experiments import true_vs_surrogate as tvs

NAME = "true_vs_surrogate"
COLOURS = {"true": "#7f7f7f", "surrogate": "#d62728"}


def curves(results):
    """``{(gradient, gain): {...}}`` with ``epoch`` (E,), ``train_loss``, ``val_accuracy``
    (seeds, E), ``test_accuracy``, ``initial_hidden_spikes`` (seeds,), from the results of
    :func:`refsnn.experiments.run_sweep` (or its JSON)."""
    out = {}
    for i, c in enumerate(results["configs"]):
        runs = [r["metrics"] for r in results["runs"] if r["config"] == i]
        if not runs:
            continue
        out[(c["gradient"], float(c["gain"]))] = {
            "epoch": np.array(runs[0]["epoch"]),
            "train_loss": np.array([m["train_loss"] for m in runs], dtype=float),
            "val_accuracy": np.array([m["val_accuracy"] for m in runs], dtype=float),
            "test_accuracy": np.array([m["test_accuracy"] for m in runs], dtype=float),
            "initial_hidden_spikes": np.array([m["initial_hidden_spikes"] for m in runs],
                                              dtype=float)}
    return out


def _band(ax, x, Y, colour, ls, label=None):
    ax.plot(x, np.median(Y, axis=0), c=colour, ls=ls, lw=1.4, label=label)
    ax.fill_between(x, Y.min(axis=0), Y.max(axis=0), color=colour, alpha=0.15, lw=0)


def _summary(v):
    return f"{np.median(v):.0%} ({v.min():.0%}-{v.max():.0%})"


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    data = curves(results)
    gains = sorted({g for _, g in data})
    shown = [gains[0]] + ([7.0] if 7.0 in gains and gains[0] != 7.0 else [])
    with style.house_style():
        fig = style.new_figure(13.0, 3.8)
        ax_l, ax_a, ax_t, ax_s = fig.subplots(1, 4)
        for grad in tvs.GRADIENTS:
            c = COLOURS[grad]
            for g, ls in zip(shown, ("-", "--")):
                if (grad, g) not in data:
                    continue
                d = data[(grad, g)]
                label = f"{tvs.LABELS[grad]}, gain {g:g}: test {_summary(d['test_accuracy'])}"
                _band(ax_l, d["epoch"], d["train_loss"], c, ls, label)
                _band(ax_a, d["epoch"], d["val_accuracy"], c, ls)
            ok = [g for g in gains if (grad, g) in data]
            acc = [data[(grad, g)]["test_accuracy"] for g in ok]
            med = [np.median(a) for a in acc]
            err = [[m - a.min() for m, a in zip(med, acc)], [a.max() - m for m, a in zip(med, acc)]]
            ax_t.errorbar(ok, med, yerr=err, c=c, marker="o", ms=4, lw=1.3, capsize=2,
                          label=tvs.LABELS[grad])
        ok = [g for g in gains if ("true", g) in data]
        spikes = np.array([np.median(data[("true", g)]["initial_hidden_spikes"]) for g in ok])
        if np.any(spikes > 0):   # a silent layer (0) has no place on the log axis
            ax_s.plot(np.array(ok)[spikes > 0], spikes[spikes > 0], "o-", c=style.INK, ms=4)
            ax_s.set_yscale("log")
        ax_l.axhline(np.log(2), ls=":", c="0.6", lw=0.8)
        ax_l.text(d["epoch"][-1], np.log(2) - 0.02, r"$\ln 2$", color="0.45", fontsize=7,
                  ha="right", va="top", clip_on=True)
        ax_l.set_ylabel("training loss")
        ax_l.set_title("(a) training loss", loc="left")
        ax_a.axhline(0.5, ls=":", c="0.6", lw=0.8)
        ax_a.set_ylim(0.4, 1.02)
        ax_a.set_ylabel("validation accuracy")
        ax_a.set_title("(b) validation accuracy", loc="left")
        for ax in (ax_l, ax_a):
            ax.set_xlabel("epoch")
            ax.set_xlim(d["epoch"][0], d["epoch"][-1])
        ax_t.axhline(0.95, ls=":", c="0.6", lw=0.8)
        ax_t.axhline(0.5, ls=":", c="0.8", lw=0.8)
        ax_t.set_ylim(0.4, 1.02)
        ax_t.set_ylabel("test accuracy")
        ax_t.set_title("(c) after training", loc="left")
        ax_t.legend(loc="lower right")
        ax_s.set_ylabel("initial spikes per hidden neuron")
        ax_s.set_title("(d) initial hidden activity", loc="left")
        for ax in (ax_t, ax_s):
            ax.set_xlabel(r"initial gain ($W \sim \mathcal{N}(0, (\mathrm{gain}(1-\beta))^2/n)$)")
            ax.set_xticks(gains)
        handles, labels = ax_l.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower center", bbox_to_anchor=(0.5, 0.0), ncol=2,
                   fontsize=7)
        fig.text(0.5, 0.995, f"binary randman, 20-100-2 LIF network, max-over-time readout; "
                 f"{results['size']} version: median (line) and range (band, bars) over "
                 f"{len(results['seeds'])} seed(s); the true gradient trains only the readout "
                 "(every hidden gradient is exactly 0)", ha="center", va="top", fontsize=7,
                 color="0.35")
        fig.subplots_adjust(left=0.05, right=0.995, bottom=0.3, top=0.86, wspace=0.33)
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small comparison (``quick``: a tiny one, in this process; the small one in a
    joblib process pool on every core), write ``true_vs_surrogate.csv`` and ``.json`` and the
    figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(tvs, "quick" if quick else "small", progress=not quick,
                                    backend="serial" if quick else "loky")
    experiments.write(tvs, results, out_dir)
    return draw(results, out_dir, quick=quick)

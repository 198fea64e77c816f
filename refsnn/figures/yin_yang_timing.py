r"""Yin-Yang classified by the first spike of Mostafa's neurons (tutorial §V-C, Eq. 18).

Not a figure of the tutorial: its §V-C trains the spike-time network on the temporal XOR
(Fig. 6); this is the same model and gradient on Yin-Yang (Kriener et al.), trained by
:mod:`refsnn.experiments.yin_yang_timing` (small budget: 2000 training samples, 30 epochs,
seeds 100-104; 5-120-3 neurons, exact spike times).

What must be visible:

* (a) the decision regions of the run with the median test accuracy: the class of the first
  output spike on a 200 x 200 grid of the unit square (inside the disc; white where no output
  fires), the test points on top coloured by their label, the misclassified ones as black
  crosses; the class boundaries of the task drawn thin;
* (b) the learning curve: validation accuracy against epoch (median line, range band over the
  seeds) and the training accuracy (dashed, median), with the published references as grey
  lines named in the legend (a shallow classifier ~64%, LIF time-to-first-spike ~96.5%, an ANN
  ~98.7%) and the median (range) test accuracy;
* (c) the training cross-entropy (median over the epoch's batches, log scale) and the
  weight-sum penalty (mean over the batches; gaps where it is 0), median and range.

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import warnings

import numpy as np

from . import style
from .. import experiments
from ..datasets.yinyang import yin_yang_class
from ..experiments import yin_yang_timing as yt
from ..timing import mostafa
from ..timing.first_spike_loss import predict

NAME = "yin_yang_timing"
CLASS_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")


def _array(results, key):
    return np.array([r["metrics"][key] for r in results["runs"]], dtype=float)


def median_run(results):
    """The run whose test accuracy is the median (the lower one for an even count)."""
    runs = sorted(results["runs"], key=lambda r: (r["metrics"]["test_accuracy"], r["seed"]))
    return runs[(len(runs) - 1) // 2]


def decision_regions(W, n=200):
    """``(xs, regions)``: the predicted class on an ``n x n`` grid of the unit square, ``-1``
    where no output fires and ``-2`` outside the disc."""
    xs = (np.arange(n) + 0.5) / n
    X, Y = np.meshgrid(xs, xs)
    feats = np.column_stack([X.ravel(), Y.ravel(), 1 - X.ravel(), 1 - Y.ravel()])
    net = mostafa.Network([np.array(w) for w in W])
    cls = predict(net.forward(yt.features_to_times(feats))[-1]).reshape(n, n)
    return xs, np.where(yin_yang_class(X, Y) < 0, -2, cls)


def _band(ax, x, Y, colour, ls="-", label=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        med, lo, hi = np.nanmedian(Y, 0), np.nanmin(Y, 0), np.nanmax(Y, 0)
    ax.fill_between(x, lo, hi, color=colour, alpha=0.15, lw=0)
    ax.plot(x, med, ls=ls, c=colour, lw=1.3, label=label)


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    from matplotlib.colors import ListedColormap

    out_dir = style.check_out_dir(out_dir)
    config = results["configs"][0]
    run = median_run(results)
    xs, regions = decision_regions(run["metrics"]["W"], n=80 if quick else 200)
    t_te, y_te = yt.data(config)["test"]
    epochs = np.array(results["runs"][0]["metrics"]["epoch"])
    test = _array(results, "test_accuracy")
    with style.house_style():
        fig = style.new_figure(11.5, 3.6)
        ax_r, ax_a, ax_l = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1, 1.15, 1.0]})
        # (a) decision regions and the test points
        shade = np.ma.masked_less(regions, 0)
        ax_r.imshow(shade, origin="lower", extent=(0, 1, 0, 1), cmap=ListedColormap(
            ["#c6dbef", "#fdd0a2", "#c7e9c0"]), vmin=0, vmax=2, interpolation="nearest")
        ax_r.imshow(np.ma.masked_not_equal(regions, -1), origin="lower", extent=(0, 1, 0, 1),
                    cmap=ListedColormap(["white"]), interpolation="nearest")
        # the test points: features (x, y) are the first spike times mapped back to [0, 1]
        lo, hi = yt.features_to_times(np.zeros((1, 4)))[0, 0], \
            yt.features_to_times(np.ones((1, 4)))[0, 0]
        xy = (t_te[:, :2] - lo) / (hi - lo)
        net = mostafa.Network([np.array(w) for w in run["metrics"]["W"]])
        wrong = predict(net.forward(t_te)[-1]) != y_te
        for k in range(3):
            sel = (y_te == k) & ~wrong
            ax_r.scatter(xy[sel, 0], xy[sel, 1], s=3, c=CLASS_COLOURS[k], lw=0)
        ax_r.scatter(xy[wrong, 0], xy[wrong, 1], s=12, c="k", marker="x", lw=0.8,
                     label=f"misclassified ({wrong.sum()} of {len(y_te)})")
        X, Y = np.meshgrid(np.linspace(0, 1, 400), np.linspace(0, 1, 400))
        ax_r.contour(X, Y, yin_yang_class(X, Y), levels=[-0.5, 0.5, 1.5], colors="0.3",
                     linewidths=0.5)
        ax_r.set_aspect("equal")
        ax_r.set_xlabel("x")
        ax_r.set_ylabel("y")
        ax_r.legend(loc="lower left", fontsize=6.5, bbox_to_anchor=(0.0, -0.02))
        ax_r.set_title(f"(a) first output to spike, seed {run['seed']} "
                       f"({100 * run['metrics']['test_accuracy']:.1f}% test)", loc="left")
        # (b) accuracy
        _band(ax_a, epochs, _array(results, "val_accuracy"), "#222222",
              label=f"validation; test {100 * np.median(test):.1f}% "
                    f"({100 * test.min():.1f}-{100 * test.max():.1f})")
        _band(ax_a, epochs, _array(results, "train_accuracy"), "#d62728", ls="--",
              label="training (during the epoch)")
        for (name, acc), ls in zip(yt.REFERENCES.items(), (":", "-.", "--")):
            ax_a.axhline(acc, c="0.55", lw=0.8, ls=ls,
                         label=f"published: {name} ~{100 * acc:.1f}%")
        ax_a.set_ylim(0.3, 1.01)
        ax_a.set_xlim(epochs[0], epochs[-1])
        ax_a.set_xlabel("epoch")
        ax_a.set_ylabel("accuracy")
        ax_a.legend(loc="lower right", fontsize=6.5)
        ax_a.set_title(f"(b) learning curve, median and range of {len(test)} seeds", loc="left")
        # (c) loss and penalty
        ce = _array(results, "train_ce")
        _band(ax_l, epochs, np.where(np.isfinite(ce), ce, np.nan), "#222222",
              label="first-to-spike cross-entropy (on z)")
        penalty = _array(results, "train_penalty")
        _band(ax_l, epochs, np.where(penalty > 0, penalty, np.nan), "#9467bd", ls="--",
              label="weight-sum penalty, K = %g (where > 0)" % config["K"])
        ax_l.set_yscale("log")
        ax_l.set_xlim(epochs[0], epochs[-1])
        ax_l.set_xlabel("epoch")
        ax_l.set_ylabel("training loss")
        ax_l.legend(loc="upper right", fontsize=6.5)
        ax_l.set_title("(c) training loss", loc="left")
        fig.text(0.5, -0.01, f"{results['size']} budget: {config['n_train']} training samples, "
                 f"{config['epochs']} epochs, 5-{config['hidden']}-3 non-leaky IF neurons, "
                 "exact spike times and gradients (Mostafa 2018); references as published "
                 "(refsnn.experiments.yin_yang_timing)", ha="center", va="top", fontsize=7,
                 color="0.35")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: a tiny one), write ``yin_yang_timing.csv`` and ``.json``
    and the figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(yt, "quick" if quick else "small", progress=not quick)
    experiments.write(yt, results, out_dir)
    return draw(results, out_dir, quick=quick)

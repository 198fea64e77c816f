r"""Zenke & Vogels (2021) Fig. 3: surrogate gradient learning is robust to the shape of the
surrogate derivative, not to its absence; runs of
:mod:`refsnn.experiments.surrogate_shape_scale` (10-class randman, 20-100-10).

What must be visible:

* (a) the three surrogate derivatives of the grid (SuperSpike, Sigmoid', Esser et al.)
  against :math:`x = U - \vartheta`, one colour per slope :math:`\beta`, each divided by its
  peak (as the paper's Fig. 3a draws them; the factor changes nothing here, Adam and a detached
  reset: :mod:`refsnn.experiments.zenke_vogels`);
* (b) per shape, the test accuracy after training over slope (rows) x learning rate
  (columns), the median over seeds, written in each cell (Fig. 3b);
* (c) the test accuracy of the five best settings by validation accuracy (the mean over
  seeds of each setting; bar: their mean, error bar: their standard deviation, dots: the
  settings) for each shape and the two controls, the network without hidden layer (black) and
  the constant surrogate :math:`\beta = 0` (grey); chance (10%) dotted (Fig. 3c).

What it found (small version: 150 samples per class, 12 epochs, slopes 0.1-100, learning
rates 0.01-0.1, seeds 0-2; the paper's model but for the initial weights,
:mod:`refsnn.experiments.zenke_vogels`):

* **Robust to the shape: reproduced.** The best cell of each shape reaches 95-96% (median over
  seeds; SuperSpike 95%, Sigmoid' 96%, Esser 96%), the five best settings 91% (sd 4), 90% (4),
  92% (3). Every shape works for slopes 1-100 at the largest learning rate.
* **The regime shrinks for Sigmoid' and Esser's function: in part.** Sigmoid' is the weakest at
  slope 1 (47-87% against SuperSpike's 62-91%), Esser's at slope 100 (50-89% against 60-94%);
  the differences are smaller than the paper's Fig. 3b shows.
* **Not a constant: reproduced.** The constant surrogate reaches 39-53% (five best 46%), about
  the network without hidden layer (17-58%, best 54%, five best 37%), against 95%; slope 0.1,
  nearly constant over the membrane's range, 43-57%.
* The grid's best learning rate, 0.1, is its edge, and 12 epochs do not converge (the paper
  trains 50-100 epochs on 8k samples): absolute accuracies are a few points below the paper's.

``make`` runs the small version (``quick=True``: a tiny one, seconds) and writes
``surrogate_shape_scale.csv`` and ``.json`` beside the PNG;
``python -m refsnn.experiments surrogate_shape_scale --full`` runs the larger grid (seven
slopes, five learning rates, one and two hidden layers, five seeds, 1000 samples per class,
50 epochs) and draws the same figure (panel (c) then has a bar per number of hidden layers).

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import matplotlib
import numpy as np

from . import style
from .. import experiments
from ..experiments import surrogate_shape_scale as sss
from ..experiments import zenke_vogels as zv
from ..surrogate import Surrogate

NAME = "surrogate_shape_scale"
SHAPE_CMAP = "viridis"
BAR_COLOURS = {"superspike": "#1f77b4", "sigmoid": "#4f9fd4", "piecewise_linear": "#8fc3e8",
               "no_hidden": "#111111", "constant": "#9a9a9a"}


def grid_table(results, shape, hidden=1):
    """``(scales, lrs, median)``: the median over seeds of the test accuracy of ``shape`` with
    ``hidden`` hidden layers, ``median[i, j]`` at ``scales[i]``, ``lrs[j]`` (NaN: not run)."""
    cells = {}
    for i, c in enumerate(results["configs"]):
        if c["condition"] == "shape" and c["surrogate"] == shape and len(c["hidden"]) == hidden:
            acc = [r["metrics"]["test_accuracy"] for r in results["runs"] if r["config"] == i]
            if acc:
                cells[(c["scale"], c["lr"])] = float(np.median(acc))
    scales = sorted({s for s, _ in cells})
    lrs = sorted({lr for _, lr in cells})
    table = np.full((len(scales), len(lrs)), np.nan)
    for (s, lr), v in cells.items():
        table[scales.index(s), lrs.index(lr)] = v
    return scales, lrs, table


def best(results, k=5):
    """``[(key, label, settings' mean test accuracies, best settings' configs)]`` for every
    condition (shape or control) and number of hidden layers: the ``k`` best settings by mean
    validation accuracy (:func:`refsnn.experiments.zenke_vogels.top_k`)."""
    groups = []
    for c in results["configs"]:
        key = (c["surrogate"] if c["condition"] == "shape" else c["condition"],
               len(c["hidden"]))
        if key not in groups:
            groups.append(key)
    order = list(sss.SHAPES) + ["constant", "no_hidden"]
    groups.sort(key=lambda g: (g[1] == 0, g[1], order.index(g[0])))
    out = []
    for name, n_h in groups:
        def select(c, name=name, n_h=n_h):
            own = c["surrogate"] if c["condition"] == "shape" else c["condition"]
            return own == name and len(c["hidden"]) == n_h
        top = zv.top_k(results, select, k=k)
        out.append(((name, n_h), sss.LABELS[name], [float(np.mean(t)) for _, _, t in top],
                    [results["configs"][i] for i, _, _ in top]))
    return out


def summary(results):
    """One line per condition: the best settings' mean (sd) test accuracy."""
    lines = []
    for (name, n_h), lab, accs, cfgs in best(results):
        h = f", {n_h} hidden" if n_h > 1 else ""
        lines.append(f"{lab}{h}: {np.mean(accs):.1%} ({np.std(accs):.1%})")
    return "; ".join(lines)


def _shapes_panel(ax, shape, scales):
    x = np.linspace(-2, 2, 801)
    cmap = matplotlib.colormaps[SHAPE_CMAP]
    for k, s in enumerate(scales):
        d = Surrogate(shape, s).derivative(x)
        ax.plot(x, d / d.max(), color=cmap(k / max(1, len(scales) - 1)), lw=1.1,
                label=rf"$\beta$ = {s:g}")
    ax.set_title(f"(a) {sss.LABELS[shape]}", loc="left")
    ax.set_xlabel(r"$x = U - \vartheta$")
    ax.set_ylim(0, 1.05)


def _grid_panel(ax, results, shape, fig):
    scales, lrs, table = grid_table(results, shape)
    im = ax.imshow(table, origin="lower", cmap="magma", vmin=0.1, vmax=1.0, aspect="auto")
    for i in range(len(scales)):
        for j in range(len(lrs)):
            if np.isfinite(table[i, j]):
                ax.text(j, i, f"{100 * table[i, j]:.0f}", ha="center", va="center", fontsize=7,
                        color="white" if table[i, j] < 0.6 else "black")
    ax.set_xticks(range(len(lrs)))
    ax.set_xticklabels([f"{lr:g}" for lr in lrs])
    ax.set_yticks(range(len(scales)))
    ax.set_yticklabels([f"{s:g}" for s in scales])
    ax.set_xlabel(r"learning rate $\eta$")
    ax.set_title(f"(b) {sss.LABELS[shape]}: test acc. (%)", loc="left")
    return im


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    scales = sorted({c["scale"] for c in results["configs"] if c["condition"] == "shape"})
    groups = best(results)
    with style.house_style():
        fig = style.new_figure(12.5, 6.4)
        gs = fig.add_gridspec(2, 4, width_ratios=[1, 1, 1, 1.35], hspace=0.55, wspace=0.35)
        for k, shape in enumerate(sss.SHAPES):
            ax = fig.add_subplot(gs[0, k])
            _shapes_panel(ax, shape, scales)
            if k == 0:
                ax.set_ylabel(r"$h(x)$ / peak")
                ax.legend(loc="upper left", fontsize=6.5, handlelength=1.2)
            ax = fig.add_subplot(gs[1, k])
            im = _grid_panel(ax, results, shape, fig)
            if k == 0:
                ax.set_ylabel(r"slope $\beta$")
        fig.colorbar(im, ax=ax, fraction=0.05, pad=0.03)
        ax = fig.add_subplot(gs[:, 3])
        for pos, ((name, n_h), lab, accs, _) in enumerate(groups):
            colour = BAR_COLOURS[name]
            ax.bar(pos, np.mean(accs), yerr=np.std(accs), color=colour, width=0.7, capsize=3,
                   alpha=0.55 if n_h > 1 else 1.0, edgecolor=colour)
            ax.plot(np.full(len(accs), pos), accs, "o", ms=2.5, color="0.25", zorder=3)
            ax.text(pos, 0.02, f"{100 * np.mean(accs):.0f}%", ha="center", va="bottom",
                    fontsize=7, color="white" if name != "piecewise_linear" else "black")
        names = [lab + (f"\n$n_h$ = {n_h}" if n_h > 1 else "") for (_, n_h), lab, _, _ in groups]
        ax.set_xticks(range(len(groups)))
        ax.set_xticklabels(names, rotation=35, ha="right")
        ax.axhline(0.1, ls=":", c="0.5", lw=0.8)
        ax.set_ylim(0, 1.02)
        ax.set_ylabel("test accuracy")
        ax.set_title("(c) five best settings (by validation)", loc="left")
        c0 = results["configs"][0]
        fig.text(0.5, 0.995, f"10-class randman, 20-100-10 LIF network (Z&V's model: input gain "
                 f"1 - beta, zero reset detached, readout tau 20 ms), max-over-time readout, "
                 f"Adam; {results['size']} version: "
                 f"{c0['samples_per_class']} samples per class, {c0['epochs']} epochs, "
                 f"{len(results['seeds'])} seed(s) per setting", ha="center", va="top",
                 fontsize=7.5, color="0.35")
        fig.subplots_adjust(left=0.05, right=0.99, bottom=0.14, top=0.92)
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: a tiny one, in this process; the small one in a joblib
    process pool on every core), write ``surrogate_shape_scale.csv`` and ``.json`` and the
    figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(sss, "quick" if quick else "small", progress=not quick,
                                    backend="serial" if quick else "loky")
    experiments.write(sss, results, out_dir)
    return draw(results, out_dir, quick=quick)

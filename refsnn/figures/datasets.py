r"""The tasks of :mod:`refsnn.datasets`, drawn from the generators themselves.

What must be visible:

* (a) random manifolds (Zenke & Vogels 2021, Fig. 1): the spike times of two input neurons of
  the default set plotted against each other, for three classes: each class is a curve, a
  one-dimensional manifold seen in two of its twenty embedding dimensions, and the curves cross
  (the classes are not separable in any pair of neurons).
* (b) one sample of each of the ten randman classes as a spike raster (time vs input neuron,
  class colour): every input neuron fires exactly once in the 50 ms window; only the timing
  differs between classes.
* (c) Yin-Yang (Kriener et al. 2021): training points coloured by class (yin, yang, dot) in the
  disc, with the published geometry's outline.
* (d) the temporal XOR (tutorial Fig. 6): the four patterns as rasters of the two inputs
  (early / late), titled with their class; and SpikeProp's spike-time XOR (Bohte et al. 2002),
  inputs at 0 or 6 ms with a bias at 0 ms, the target output time marked.

Read next: refsnn/figures/encodings.py, the three encoders on one digit.
"""
from __future__ import annotations

import numpy as np

from .. import datasets
from ..datasets import yinyang
from . import style

NAME = "datasets"

#: randman classes of panel (a) and input neurons on its axes
EMBED_CLASSES = (0, 1, 2)
EMBED_NEURONS = (0, 1)
#: colours of the Yin-Yang classes (the reference README's: blue, orange, green)
YY_COLOURS = ("#1f77b4", "#ff7f0e", "#2ca02c")


def _raster(ax, x, dt, colour, ms=3):
    """Dots at (spike time in ms, neuron) of one sample ``x`` (steps, n_in)."""
    n, i = np.nonzero(x)
    ax.plot(n * dt * 1e3, i, "|", color=colour, ms=ms, mew=1.2)


def _yin_yang_outline(ax):
    """Circle, S-curve and the two dots of the published geometry."""
    a = np.linspace(0, 2 * np.pi, 361)
    R, r = yinyang.R_BIG, yinyang.R_SMALL
    ax.plot(0.5 + R * np.cos(a), 0.5 + R * np.sin(a), color="0.3", lw=0.8)
    h = np.linspace(0, np.pi, 181)
    ax.plot(0.25 + R / 2 * np.cos(h), 0.5 + R / 2 * np.sin(h), color="0.3", lw=0.8)
    ax.plot(0.75 + R / 2 * np.cos(h + np.pi), 0.5 + R / 2 * np.sin(h + np.pi), color="0.3",
            lw=0.8)
    for cx in (0.25, 0.75):
        ax.plot(cx + r * np.cos(a), 0.5 + r * np.sin(a), color="0.3", lw=0.8)


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``datasets.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Fewer samples and lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    rm = datasets.randman(seed=0, samples_per_class=100 if quick else 1000,
                          n_cut=200 if quick else 1000, progress=False)
    yy = datasets.yin_yang(n=300 if quick else 3000, seed=0)
    txor, sxor = datasets.temporal_xor(), datasets.spikeprop_xor()
    colours = [f"C{c}" for c in range(rm.n_classes)]
    with style.house_style():
        fig = style.new_figure(9.0, 6.4)
        top, bottom = fig.subfigures(2, 1, height_ratios=[1.0, 1.0])
        left, right = top.subfigures(1, 2, width_ratios=[1.0, 2.6])
        # (a) randman embedding
        ax = left.subplots()
        i, j = EMBED_NEURONS
        for c in EMBED_CLASSES:
            m = rm.y == c
            order = np.argsort(rm.source[m, 0])
            ax.plot(rm.times[m, i][order] * 1e3, rm.times[m, j][order] * 1e3, ".-",
                    color=colours[c], ms=1.5, lw=0.3, label=f"class {c}")
        ax.set_xlabel(f"spike time of input {i} (ms)")
        ax.set_ylabel(f"spike time of input {j} (ms)")
        ax.set_title("(a) randman: 3 manifolds, 2 of 20 inputs", loc="left")
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, markerscale=4,
                  fontsize=7)
        # (b) one randman sample per class
        axs = right.subplots(1, rm.n_classes, sharey=True)
        for c, axc in enumerate(axs):
            k = int(np.flatnonzero(rm.y == c)[0])
            _raster(axc, rm.x[k], rm.dt, colours[c])
            axc.set_xlim(-2, rm.params["spike_window"] * 1e3 + 2)
            axc.set_title(f"{c}", color=colours[c])
            axc.set_xticks([0, 40])
            axc.tick_params(axis="x", labelsize=7)
            if c:
                axc.tick_params(left=False)
        axs[0].set_ylabel("input neuron")
        axs[0].set_ylim(-1, rm.n_inputs)
        axs[0].set_yticks(range(0, rm.n_inputs, 5))
        right.supxlabel("time (ms)", fontsize=9)
        right.suptitle("(b) randman: one sample per class, one spike per input neuron",
                       x=0.02, ha="left", fontsize=9)
        # (c) Yin-Yang
        bl, br = bottom.subfigures(1, 2, width_ratios=[1.0, 2.6])
        ax = bl.subplots()
        X, y = yy
        for c, name in enumerate(yinyang.CLASSES):
            m = y == c
            ax.scatter(X[m, 0], X[m, 1], s=2 if quick else 1.2, color=YY_COLOURS[c],
                       label=f"{c} {name}", rasterized=True)
        _yin_yang_outline(ax)
        ax.set_aspect("equal")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.set_title("(c) Yin-Yang", loc="left")
        ax.legend(loc="upper right", markerscale=5, fontsize=7, bbox_to_anchor=(1.12, 1.12))
        # (d) XOR tasks: 4 temporal XOR patterns, 4 SpikeProp XOR patterns
        axs = br.subplots(2, 4, sharex="row", sharey="row")
        br.subplots_adjust(hspace=0.75, wspace=0.25)
        for row, d in enumerate((txor, sxor)):
            for k, axk in enumerate(axs[row]):
                t = d.times[k] * 1e3
                names = ["a", "b", "bias"][:d.n_inputs]
                for n_i, ti in enumerate(t):
                    axk.plot([ti, ti], [n_i - 0.35, n_i + 0.35], color=style.INK, lw=1.6)
                title = f"{tuple(int(v) for v in d.source[k])}: {d.classes[d.y[k]]}"
                if d.targets is not None:
                    tt = d.targets[k, 0] * 1e3
                    axk.axvline(tt, color=style.SPIKE_RED, lw=1.0, ls="--")
                    title = f"{d.classes[d.y[k]]}: target {tt:g} ms"
                axk.set_title(title, fontsize=7.5)
                axk.set_yticks(range(d.n_inputs), names)
                axk.set_ylim(-0.7, d.n_inputs - 0.3)
            axs[row, 0].set_ylabel("temporal XOR" if row == 0 else "SpikeProp XOR",
                                   fontsize=8)
        axs[0, 0].set_xlim(-1, 11.5)
        axs[1, 0].set_xlim(-1, 18)
        br.supxlabel("input spike time (ms)", fontsize=9)
        br.suptitle("(d) XOR in spike timing: early or late inputs (red: SpikeProp's target)",
                    x=0.02, ha="left", fontsize=9)
        return style.save(fig, out_dir, NAME, quick=quick)

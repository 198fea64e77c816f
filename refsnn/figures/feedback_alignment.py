r"""BPTT, feedback alignment, DFA, sign-concordant FA and local errors, trained alike.

Not a figure of the tutorial: the comparison its §V-A and §V-D (Fig. 5, the schemes; Eq. 19,
local errors) invite, measured on two tasks that need a hidden layer, randman (10 classes,
Zenke & Vogels §4.1.1) and Yin-Yang (Kriener et al.), with the networks, budgets and seeds of
:mod:`refsnn.experiments.feedback_comparison` (two hidden layers of 100 LIF neurons; the same
hyperparameters for every rule). Each rule changes only the spatial error a hidden layer
receives; the temporal credit through ``I``, ``U`` and the reset is BPTT's.

What must be visible, one row per task (randman (a)-(c), Yin-Yang (d)-(f)):

* (a) validation accuracy against epoch, per rule: the median over seeds (line) and the range
  (band); the control that trains only the readout (hidden layers frozen at their random
  initialisation) grey dashed; chance grey dotted. For local errors, the local readout of each
  hidden layer (thin dotted, median). The legend, right of each row, gives the median (min-max)
  test accuracy after the last epoch of every rule and local readout;
* (b) the training loss against epoch, log scale (median and range; epoch 0 is the initial
  network);
* (c) the angle between each hidden layer's update and BPTT's gradient on a fixed validation
  batch (Lillicrap's alignment), per rule: layer 1 solid, layer 2 dashed, median and range;
  90 degrees (orthogonal, no descent) grey. BPTT's is 0 by definition and the control has no
  hidden update: neither is drawn.

What it found (test accuracy, median over seeds 0-2; README "Experiments" has the ranges and
the full budget): on randman, small budget, BPTT 93%, sign-concordant FA 91%, DFA 81%, FA 79%,
local errors 75%, the readout-only control 55%; on the full budget every rule 99.7-100%, the
control 74%, and FA's and DFA's angle to BPTT falls from about 90 to 44-50 degrees for the
second hidden layer (alignment). On Yin-Yang every rule and the control end within a few
points of each other (small 76-86%, full 88-95%, control 94%): a readout of the random hidden
layers suffices there, so that task does not separate the rules at this size.

``make`` runs the small comparison (``quick=True``: a tiny one, seconds) and writes its
results beside the PNG, ``feedback_comparison.csv`` and ``.json``;
``python -m refsnn.experiments feedback_comparison --full`` runs the larger one and draws the
same figure. Training is deterministic, so the figure is too (the JSON's times vary).

Read next: refsnn/figures/style.py, the house style every figure shares (then
refsnn/exercises/__init__.py).
"""
from __future__ import annotations

import warnings

import numpy as np

from . import style
from .. import experiments
from ..experiments import feedback_comparison as fc

NAME = "feedback_alignment"
COLOURS = {"bptt": "#222222", "fa": "#1f77b4", "dfa": "#ff7f0e", "sign_fa": "#2ca02c",
           "local": "#9467bd", "readout": "#8c8c8c"}
#: line style of the accuracy and loss curves (the control dashed)
STYLES = {"readout": "--"}
TASK_TITLES = {"randman": "randman, 10 classes", "yin_yang": "Yin-Yang, 3 classes"}


def _array(runs, key, layer=None):
    """``(seeds, epochs)`` float array of ``metrics[key]`` (``[layer]`` for per-layer lists);
    ``None`` in JSON (a NaN) becomes NaN."""
    rows = [r["metrics"][key] if layer is None else r["metrics"][key][layer] for r in runs]
    return np.array(rows, dtype=float)


def curves(results):
    """The figure's data from the results of the comparison (:func:`refsnn.experiments.run_sweep`
    or its JSON): ``{task: {rule: {...}}}`` with ``epoch`` ``(E,)``, ``val_accuracy``,
    ``train_loss`` ``(seeds, E)``, ``angle`` ``(layers, seeds, E)``, ``local_val_accuracy``
    ``(layers, seeds, E)`` or None, ``test_accuracy`` ``(seeds,)``, ``local_test_accuracy``
    ``(layers, seeds)`` or None, and ``chance``."""
    out = {}
    for i, config in enumerate(results["configs"]):
        runs = [r for r in results["runs"] if r["config"] == i]
        if not runs:
            continue
        first = runs[0]["metrics"]
        L = len(first["angle"])
        local = first["local_val_accuracy"]
        out.setdefault(config["task"], {})[config["rule"]] = {
            "epoch": np.array(first["epoch"]),
            "val_accuracy": _array(runs, "val_accuracy"),
            "train_loss": _array(runs, "train_loss"),
            "angle": np.array([_array(runs, "angle", l) for l in range(L)]),
            "local_val_accuracy": (None if local is None else
                                   np.array([_array(runs, "local_val_accuracy", l)
                                             for l in range(L)])),
            "test_accuracy": np.array([r["metrics"]["test_accuracy"] for r in runs]),
            "local_test_accuracy": (None if local is None else
                                    np.array([r["metrics"]["local_test_accuracy"]
                                              for r in runs]).T),
            "chance": 1.0 / config["n_classes"],
        }
    return out


def _stats(Y):
    """Median, min and max over the rows of ``Y``, ignoring NaN (an all-NaN column stays NaN)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)   # "All-NaN slice encountered"
        return np.nanmedian(Y, axis=0), np.nanmin(Y, axis=0), np.nanmax(Y, axis=0)


def _band(ax, x, Y, colour, ls="-", lw=1.3, label=None, alpha=0.15):
    """Median over the rows of ``Y`` as a line, their min-max range as a band."""
    med, lo, hi = _stats(Y)
    ax.fill_between(x, lo, hi, color=colour, alpha=alpha, lw=0)
    ax.plot(x, med, ls=ls, c=colour, lw=lw, label=label)


def _summary(acc):
    """``median% (min-max)`` of accuracies in [0, 1], one decimal."""
    acc = 100 * np.asarray(acc, dtype=float)
    return (f"{np.median(acc):.1f}% ({acc.min():.1f}-{acc.max():.1f})" if len(acc) > 1
            else f"{acc[0]:.1f}%")


def _legend(ax, task_data):
    """The row's legend, in its own axes right of the panels: one entry per rule with its
    median (min-max) test accuracy, the local readouts, and the line styles of panel (c)."""
    from matplotlib.lines import Line2D

    handles = []
    for rule in fc.RULES:
        if rule not in task_data:
            continue
        d = task_data[rule]
        handles.append(Line2D([], [], c=COLOURS[rule], ls=STYLES.get(rule, "-"), lw=1.3,
                              label=f"{fc.LABELS[rule]}: {_summary(d['test_accuracy'])}"))
        if d["local_test_accuracy"] is not None:
            for l, acc in enumerate(d["local_test_accuracy"]):
                handles.append(Line2D([], [], c=COLOURS[rule], ls=":", lw=0.9 + 0.4 * l,
                                      label=f"   its local readout, layer {l + 1}: "
                                            f"{_summary(acc)}"))
    handles.append(Line2D([], [], ls="none", label=""))
    handles.append(Line2D([], [], c="0.3", ls="-", lw=1.1, label="angle: hidden layer 1"))
    handles.append(Line2D([], [], c="0.3", ls="--", lw=1.1, label="angle: hidden layer 2"))
    ax.axis("off")
    ax.legend(handles=handles, loc="center left", fontsize=6.8, handlelength=2.2,
              title="test accuracy, median (range)", title_fontsize=7, alignment="left")


def draw(results, out_dir, quick=False):
    """Draw the figure from ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    data = curves(results)
    tasks = [t for t in fc.TASKS if t in data]
    n_seeds = len(results["seeds"])
    with style.house_style():
        fig = style.new_figure(12.6, 3.0 * len(tasks) + 0.3)
        axes = np.atleast_2d(fig.subplots(len(tasks), 4,
                                          gridspec_kw={"width_ratios": [1, 1, 1, 0.62]}))
        for r, (row, task) in enumerate(zip(axes, tasks)):
            ax_acc, ax_loss, ax_ang, ax_leg = row
            a, b, c3 = ("abc", "def", "ghi")[r % 3]
            for rule in fc.RULES:
                if rule not in data[task]:
                    continue
                d, c = data[task][rule], COLOURS[rule]
                ls = STYLES.get(rule, "-")
                _band(ax_acc, d["epoch"], d["val_accuracy"], c, ls=ls)
                if d["local_val_accuracy"] is not None:
                    for l, Y in enumerate(d["local_val_accuracy"]):
                        ax_acc.plot(d["epoch"], _stats(Y)[0], ":", c=c, lw=0.9 + 0.4 * l)
                _band(ax_loss, d["epoch"], d["train_loss"], c, ls=ls)
                if rule not in ("bptt", "readout"):
                    for l, Y in enumerate(d["angle"]):
                        _band(ax_ang, d["epoch"], Y, c, ls="-" if l == 0 else "--", alpha=0.10)
            chance = next(iter(data[task].values()))["chance"]
            ax_acc.axhline(chance, ls=":", c="0.6", lw=0.8)
            ax_acc.text(d["epoch"][-1], chance + 0.015, "chance", color="0.45", fontsize=7,
                        ha="right")
            ax_acc.set_ylim(0, 1.02)
            ax_acc.set_ylabel("validation accuracy")
            ax_acc.set_title(f"({a}) {TASK_TITLES[task]}: accuracy", loc="left")
            ax_loss.set_yscale("log")
            ax_loss.set_ylabel("training loss")
            ax_loss.set_title(f"({b}) {TASK_TITLES[task]}: loss", loc="left")
            ax_ang.axhline(90, ls=":", c="0.6", lw=0.8)
            ax_ang.set_ylim(0, 120)
            ax_ang.set_yticks([0, 30, 60, 90, 120])
            ax_ang.set_ylabel("angle to BPTT's update (deg)")
            ax_ang.set_title(f"({c3}) {TASK_TITLES[task]}: alignment", loc="left")
            for ax in row[:3]:
                ax.set_xlabel("epoch")
                ax.set_xlim(d["epoch"][0], d["epoch"][-1])
            _legend(ax_leg, data[task])
        fig.text(0.5, 0.0, f"{results['size']} comparison: median (line) and range (band) over "
                 f"{n_seeds} seeds; two hidden layers of 100 LIF neurons; the same initial "
                 "network, optimiser and budget for every rule; the control trains only the "
                 "readout (refsnn.experiments.feedback_comparison)", ha="center", va="top",
                 fontsize=7, color="0.35")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small comparison (``quick``: a tiny one), write ``feedback_comparison.csv`` and
    ``.json`` and the figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(fc, "quick" if quick else "small", progress=not quick)
    experiments.write(fc, results, out_dir)
    return draw(results, out_dir, quick=quick)

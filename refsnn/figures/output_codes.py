r"""The output codes of "lessons from deep learning" (§3.2, Tables 2-3): a trained spiking output layer.

Not a figure of the paper: its Fig. 6 shows the input codes, and the output side (§3.2.1 rate
coded outputs, §3.2.2 latency coded outputs, the objectives of Tables 2 and 3) is text and
tables only. This figure shows what those objectives do to a trained output layer.

The same small network, ``20 - 30 - 2`` with a *spiking* output layer
(``Network.init(..., output="spiking")``, current-based LIF, ``dt = 1 ms``, ``tau_syn = 5 ms``,
``tau_mem = 10 ms``), is trained by BPTT (Adam) on :func:`refsnn.datasets.two_groups` ("which
of two input groups fires more", ``T = 50`` steps) twice, with two output codes of §3.2:

* **rate code** -- :func:`refsnn.losses.count_mse` (Eq. 30, snnTorch's ``mse_count_loss``): the
  count of the correct output is pulled to ``floor(0.8 T) = 40`` spikes, the other to
  ``floor(0.2 T) = 10``; the prediction is the output with the most spikes;
* **latency code** -- :func:`refsnn.losses.latency_mse` (Eq. 36, snnTorch's
  ``mse_temporal_loss``) on the differentiable first spike time (``refsnn/losses/latency.py``):
  the correct output should first fire at step :data:`ON_TARGET`, the other at the last step
  ``T - 1``; the prediction is the output that fires first.

The spikes of the held-out samples are those of the trained network (hard spikes).

What must be visible (two rows, rate code above, latency code below):

* left: the output raster of :data:`N_RASTER` held-out samples (one band per sample, its two
  outputs as two rows, the correct output in red, the other in ink); under the rate code the
  correct output fires densely and the other sparsely, under the latency code the correct
  output fires first, near the dashed target time;
* right, rate: histograms over the held-out set of the spike counts of the correct and the
  incorrect output, with the two target counts (40 and 10) as dashed lines;
* right, latency: histograms of the first spike times of the correct and the incorrect output
  (``T - 1`` = silent), with the target times as dashed lines.

Each row's title gives the held-out accuracy before and after training. (The counts do not
reach their targets exactly: the loss is minimised over a few epochs, not solved.)

Read next: refsnn/figures/bptt_influence.py, how far back BPTT assigns credit (Fig. 9b).
"""
from __future__ import annotations

from functools import partial

import numpy as np

from .. import LIFParams, Network, losses
from ..datasets import two_groups
from ..optim import Adam
from ..train import evaluate, train
from . import style

NAME = "output_codes"

T = 50
TASK = dict(T=T, n_in=20, rate_low=0.03, rate_high=0.07)
SIZES = [20, 30, 2]
#: (training samples, epochs) of the full and the quick figure
FULL, QUICK = (512, 30), (128, 6)
N_TEST = 400
SEEDS = {"train": 21, "test": 22, "net": 0, "shuffle": 0}
CORRECT_RATE, INCORRECT_RATE = 0.8, 0.2
#: target first-spike step of the correct output (the other's is the last step, T - 1)
ON_TARGET = 8
N_RASTER = 6
LR = 5e-3

CODES = {
    "rate": losses.Objective(partial(losses.count_mse, correct_rate=CORRECT_RATE,
                                     incorrect_rate=INCORRECT_RATE), "spikes",
                             predict=losses.predict_count),
    "latency": losses.Objective(partial(losses.latency_mse, on_target=ON_TARGET,
                                        off_target=-1), "spikes",
                                predict=losses.predict_first_spike),
}


def trained(code, quick=False):
    """Train the network under ``code`` (``"rate"`` or ``"latency"``); a dict with the network,
    the held-out ``x``, ``y``, output spikes ``S`` ``(N_TEST, T, 2)``, counts, first spike
    times and the accuracy before and after."""
    n_train, epochs = QUICK if quick else FULL
    x, y = two_groups(n_train, rng=SEEDS["train"], **TASK)
    xt, yt = two_groups(N_TEST, rng=SEEDS["test"], **TASK)
    net = Network.init(SIZES, LIFParams.from_taus(1e-3, 5e-3, 1e-2), rng=SEEDS["net"],
                       gain=4.0, output="spiking")
    obj = CODES[code]
    before = evaluate(net, xt, yt, loss=obj)[1]
    history = train(net, x, y, loss=obj, optimizer=Adam(lr=LR), epochs=epochs, batch_size=32,
                    rng=SEEDS["shuffle"], progress=False)
    after = evaluate(net, xt, yt, loss=obj)[1]
    S = net.simulate(xt, spike="hard").S[-1]
    return {"net": net, "x": xt, "y": yt, "S": S, "counts": S.sum(axis=1),
            "first": losses.first_spike_time(S), "before": before, "after": after,
            "history": history}


def raster_samples(y, n=N_RASTER):
    """Indices of the first ``n`` held-out samples, alternating the two classes."""
    per = [np.flatnonzero(y == c) for c in (0, 1)]
    return np.array([per[k % 2][k // 2] for k in range(n)])


def _raster(ax, d, target_step=None):
    idx = raster_samples(d["y"])
    for row, b in enumerate(idx):
        for k in (0, 1):
            n = np.flatnonzero(d["S"][b, :, k])
            y0 = 3 * row + k
            colour = style.SPIKE_RED if k == d["y"][b] else style.INK
            ax.vlines(n, y0 - 0.4, y0 + 0.4, color=colour, lw=0.9)
    if target_step is not None:
        ax.axvline(target_step, color=style.SPIKE_RED, lw=0.8, ls="--")
    ax.set_yticks([3 * r + 0.5 for r in range(len(idx))])
    ax.set_yticklabels([f"class {d['y'][b]}" for b in idx])
    ax.set_ylim(-0.8, 3 * len(idx) - 1.2)
    ax.invert_yaxis()
    ax.set_xlim(-0.5, T - 0.5)
    ax.set_xlabel("step")


def _histograms(ax, values, y, bins, targets, xlabel):
    rows = np.arange(len(y))
    correct, incorrect = values[rows, y], values[rows, 1 - y]
    ax.hist(correct, bins=bins, color=style.SPIKE_RED, alpha=0.6, label="correct output")
    ax.hist(incorrect, bins=bins, color=style.INK, alpha=0.45, label="incorrect output")
    for value, colour in zip(targets, (style.SPIKE_RED, style.INK)):
        ax.axvline(value, color=colour, lw=1.0, ls="--")
    ax.set_xlabel(xlabel)
    ax.set_ylabel("held-out samples")
    ax.legend(loc="upper center", fontsize=7)


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``output_codes.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Fewer training samples and epochs (:data:`QUICK`) and lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    rate, latency = trained("rate", quick), trained("latency", quick)
    bins = np.arange(T + 2) - 0.5
    with style.house_style():
        fig = style.new_figure(7.0, 5.0)
        axes = fig.subplots(2, 2, gridspec_kw={"width_ratios": [1.2, 1], "hspace": 0.55})
        for row, (d, name) in enumerate(((rate, "rate code (count_mse)"),
                                         (latency, "latency code (latency_mse)"))):
            axes[row, 0].set_title(f"{name}: output spikes\nheld-out "
                                   f"accuracy {d['before']:.0%} before, {d['after']:.0%} "
                                   "after training", loc="left")
        _raster(axes[0, 0], rate)
        _histograms(axes[0, 1], rate["counts"], rate["y"], bins,
                    (int(T * CORRECT_RATE), int(T * INCORRECT_RATE)), "spike count")
        axes[0, 1].set_title("spike counts\ntargets 80% / 20% of T (dashed)", loc="left")
        _raster(axes[1, 0], latency, ON_TARGET)
        _histograms(axes[1, 1], latency["first"], latency["y"], bins, (ON_TARGET, T - 1),
                    "first spike step (T - 1: silent)")
        axes[1, 1].set_title(f"first spike times\ntargets {ON_TARGET} / T - 1 (dashed)",
                            loc="left")
        return style.save(fig, out_dir, NAME, quick)

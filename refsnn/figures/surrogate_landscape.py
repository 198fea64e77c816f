r"""Journal Fig. 4 (Neftci, Mostafa & Zenke, IEEE SPM version): the loss of a spiking
classifier along the straight line from its initial to its trained hidden weights, and the
surrogate loss whose gradient the surrogate gradient is.

A 2-2-2 network (:class:`refsnn.Network`: two inputs, two LIF hidden neurons, two leaky
readouts) is trained on a binary task, "which of the two inputs fires more" (two Poisson
inputs, 3% vs 15% per 1 ms step, 60 steps; :func:`refsnn.datasets.toy.two_groups`), by BPTT
with the SuperSpike surrogate (:func:`refsnn.bptt`, Adam, full batch, summed-readout
cross-entropy). Then the hidden weights are moved along

.. math::

    W^{(1)}(a) = W^{(1)}_\mathrm{init} + a\,\bigl(W^{(1)}_\mathrm{trained}
        - W^{(1)}_\mathrm{init}\bigr), \qquad a \in [-0.25, 1.25],

with the readout kept at its trained ``W_o``, and at every point we record (hard spikes):

* the loss :math:`L(a)`;
* the surrogate gradient :math:`g(a) = \partial L / \partial W^{(1)}` (BPTT with the
  surrogate derivative) and its norm;
* the "true" gradient by central finite differences of the hard-spike loss, entry by entry,
  with the step :math:`h = \tfrac12\,\Delta a\,\max_{ij} |\Delta W^{(1)}_{ij}|` (half the grid
  spacing; like the paper's, "itself an approximation": it is 0 where no spike moves within
  :math:`\pm h`, and :math:`\Delta L / 2h`, arbitrarily large as :math:`h \to 0`, where one does);
* the surrogate loss: the integral of the surrogate gradient along the path (trapezoid rule),

  .. math::

      \tilde L(a) = \int_0^a g(a')\cdot \Delta W^{(1)}\, da',

  mapped affinely so that it equals the loss at the initial (``a = 0``) and trained
  (``a = 1``) points, as in the paper's caption;
* the hidden spike count per neuron and sample, which explains the plateaus: :math:`L`
  depends on :math:`W^{(1)}` only through the hidden spikes, so it is constant wherever they
  do not change.

What must be visible:

* (a) the loss (grey) with flat plateaus and jumps, falling from the initial to the trained
  point (dotted verticals), and the smooth, monotone surrogate loss (violet) meeting it at both
  points;
* (b) the norms of the finite-difference gradient (grey) and of the surrogate gradient
  (violet), each divided by its maximum ("arbitrary units"): the first is zero on the plateaus
  and spiky at the jumps, the second continuous, finite and nonzero everywhere on the path,
  largest where the loss falls;
* (c) the spikes per sample of each hidden neuron along the path: on the long plateau the
  first hidden neuron is silent, and the loss starts to fall where it begins to fire.

What it found (``make``, 601 points; the numbers are deterministic): the loss falls from
0.347 (initial, 50% training accuracy) to 8e-5 (trained, 100%). Over :math:`a \in [0, 0.64]`,
while hidden neuron 1 is silent, it is a plateau: it varies by 1.4e-4 in all (tiny steps, as
neuron 2's spikes come and go, which the trained readout hardly weighs), the finite-difference
gradient stays below 0.2% of its maximum (exactly 0 at a few points), and the surrogate
gradient stays above 12% of its maximum. Neuron 1 first fires at :math:`a = 0.645`; there the
loss falls in jumps, the finite-difference gradient is a comb of spikes and the surrogate
gradient peaks. The surrogate loss is smooth and decreases monotonically on
:math:`[0, 1]`; unscaled, it drops by 2.15 there, six times the loss's 0.347, so the paper's
scaling changes the picture only by a factor. This is the paper's qualitative result; its
network, task and numbers are not given, so nothing is compared number by number.

How the network was chosen: initial-weight seeds 0-7 on this data set (seed 1), 200 Adam
steps; seeds 1, 4 and 5 reached 100% training accuracy; seed 5 is shown because its second
hidden neuron starts silent, the situation the paper's plateau illustrates.

Read next: refsnn/figures/style.py, the house style every figure shares.
"""
from __future__ import annotations

import copy
import functools

import numpy as np

from .. import LIFParams, Network, bptt, losses
from ..checks import check_int
from ..datasets.toy import two_groups
from ..optim import Adam
from ..train import evaluate, train
from . import style

NAME = "surrogate_landscape"
#: the task: two inputs, "which fires more"
TASK = dict(n_samples=100, T=60, n_in=2, rate_low=0.03, rate_high=0.15, rng=1)
#: the network and its training (module docstring: how chosen)
NET = dict(sizes=(2, 2, 2), seed=5, readout_scale=0.05, lr=1e-2, epochs=200,
           dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
LOSS = "sum_over_time_ce"
#: the path: a from A_MIN to A_MAX on POINTS points (the quick version: fewer)
A_MIN, A_MAX = -0.25, 1.25
POINTS = {False: 601, True: 41}
GREY, VIOLET = "#7f7f7f", "#7b3fa0"


def task():
    """``(x, labels)``: ``x`` ``(100, 60, 2)`` 0/1, labels ``(100,)`` (module docstring)."""
    return two_groups(TASK["n_samples"], T=TASK["T"], n_in=TASK["n_in"],
                      rate_low=TASK["rate_low"], rate_high=TASK["rate_high"], rng=TASK["rng"])


def trained_network(x, labels):
    """``(initial, trained)`` networks: ``Network.init`` from ``NET['seed']`` with the readout
    scaled by ``readout_scale`` (a summed readout starts within a few units), then
    ``NET['epochs']`` full-batch Adam steps of surrogate-gradient BPTT."""
    p = LIFParams.from_taus(dt=NET["dt"], tau_syn=NET["tau_syn"], tau_mem=NET["tau_mem"])
    initial = Network.init(list(NET["sizes"]), p, rng=NET["seed"])
    initial.W[-1] *= NET["readout_scale"]
    net = initial.copy()
    train(net, x, labels, loss=LOSS, optimizer=Adam(lr=NET["lr"]), epochs=NET["epochs"],
          batch_size=len(labels), rng=0, progress=False)
    return initial, net


def along_path(initial, trained, x, labels, alphas, spike="hard", fd_step=None):
    """The loss and both gradients along :math:`W^{(1)}(a)` (module docstring).

    Parameters
    ----------
    initial, trained : Network
        Same shape; the path moves ``W[0]`` from ``initial``'s to ``trained``'s, every other
        weight is ``trained``'s. Neither network is changed.
    x : array (B, T, n_in)
    labels : int array (B,)
    alphas : array (P,)
        Increasing path coordinates ``a``.
    spike : {"hard", "soft"}
        ``"soft"``: the smooth model, whose BPTT gradient is the exact one (for tests).
    fd_step : float, optional
        Finite-difference step; default half the grid spacing in the max norm.

    Returns
    -------
    dict
        ``alpha`` (P,), ``loss`` (P,), ``directional`` (P,) :math:`g\\cdot\\Delta W`,
        ``sg_norm`` (P,), ``fd_norm`` (P,), ``spikes`` (P, n_hidden) per neuron and sample,
        ``fd_step``.
    """
    alphas = np.array(alphas, dtype=float)
    if alphas.ndim != 1 or alphas.size < 2 or np.any(np.diff(alphas) <= 0):
        raise ValueError("alphas must be an increasing 1-d array of >= 2 points")
    loss_fn = getattr(losses, LOSS)
    net = trained.copy()
    W_init = initial.W[0].copy()
    dW = trained.W[0] - W_init
    h = 0.5 * np.min(np.diff(alphas)) * np.abs(dW).max() if fd_step is None else float(fd_step)

    def loss_at(W0):
        net.W[0][...] = W0
        trace = net.simulate(x, spike=spike)
        return loss_fn(trace.readout, labels), trace

    out = {k: [] for k in ("loss", "directional", "sg_norm", "fd_norm", "spikes")}
    for a in alphas:
        W0 = W_init + a * dW
        (value, d), trace = loss_at(W0)
        g = bptt(net, trace, d).W[0]
        fd = np.zeros_like(W0)
        for idx in np.ndindex(W0.shape):
            e = np.zeros_like(W0)
            e[idx] = h
            fd[idx] = (loss_at(W0 + e)[0][0] - loss_at(W0 - e)[0][0]) / (2 * h)
        out["loss"].append(value)
        out["directional"].append(float(np.sum(g * dW)))
        out["sg_norm"].append(float(np.linalg.norm(g)))
        out["fd_norm"].append(float(np.linalg.norm(fd)))
        out["spikes"].append(trace.S[0].sum(axis=1).mean(axis=0))
    res = {k: np.array(v) for k, v in out.items()}
    res["alpha"], res["fd_step"] = alphas, h
    return res


def integrate(alphas, directional):
    r"""The unscaled surrogate loss :math:`\int_0^a g\cdot\Delta W\,da'` on the grid
    (trapezoid rule), zero at the grid point nearest ``a = 0``. Shapes ``(P,)``."""
    a = np.asarray(alphas, dtype=float)
    D = np.asarray(directional, dtype=float)
    I = np.concatenate([[0.0], np.cumsum(0.5 * (D[1:] + D[:-1]) * np.diff(a))])
    return I - I[np.argmin(np.abs(a))]


def surrogate_loss(alphas, loss, directional):
    """The integrated surrogate gradient mapped affinely onto the loss at ``a = 0`` and
    ``a = 1`` (the paper's scaling); returns ``(scaled (P,), unscaled drop over [0, 1])``."""
    a = np.asarray(alphas, dtype=float)
    I = integrate(a, directional)
    i0, i1 = np.argmin(np.abs(a)), np.argmin(np.abs(a - 1.0))
    drop = I[i1] - I[i0]
    if drop == 0:
        raise ValueError("the surrogate gradient integrates to 0 between a = 0 and 1")
    return loss[i0] + (I - I[i0]) * (loss[i1] - loss[i0]) / drop, drop


def landscape(quick=False):
    """Everything the figure draws: :func:`along_path` on ``POINTS[quick]`` points, the
    surrogate loss, and the trained network's training accuracy (computed once per process
    and size; each call returns copies)."""
    return copy.deepcopy(_landscape(bool(quick)))


@functools.lru_cache(maxsize=2)
def _landscape(quick):
    x, y = task()
    initial, trained = trained_network(x, y)
    alphas = np.linspace(A_MIN, A_MAX, check_int("points", POINTS[bool(quick)], 3))
    res = along_path(initial, trained, x, y, alphas)
    res["surrogate_loss"], res["surrogate_drop"] = surrogate_loss(alphas, res["loss"],
                                                                  res["directional"])
    res["accuracy"] = {"initial": evaluate(initial, x, y, loss=LOSS)[1],
                       "trained": evaluate(trained, x, y, loss=LOSS)[1]}
    return res


def make(out_dir, quick=False):
    """Compute the path and write ``NAME.png`` and ``.pdf``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    r = landscape(quick)
    a = r["alpha"]
    with style.house_style():
        fig = style.new_figure(11.0, 3.1)
        ax_l, ax_g, ax_s = fig.subplots(1, 3)
        ax_l.plot(a, r["loss"], c=GREY, lw=1.4, label="loss (hard spikes)")
        ax_l.plot(a, r["surrogate_loss"], c=VIOLET, lw=1.4, label="surrogate loss (scaled)")
        ax_l.set_ylabel("loss")
        ax_l.set_title("(a) loss along the path", loc="left")
        ax_l.legend(loc="lower left", bbox_to_anchor=(0.0, 0.08))
        ax_g.plot(a, r["fd_norm"] / r["fd_norm"].max(), c=GREY, lw=1.0,
                  label="\"true\" (finite diff.)")
        ax_g.plot(a, r["sg_norm"] / r["sg_norm"].max(), c=VIOLET, lw=1.4,
                  label="surrogate (BPTT)")
        ax_g.set_ylabel(r"$\|\partial L/\partial W^{(1)}\|$ (arbitrary units)")
        ax_g.set_title("(b) norm of the hidden-layer gradient", loc="left")
        ax_g.legend(loc="upper left", bbox_to_anchor=(0.1, 0.98))
        for k, ls in zip(range(r["spikes"].shape[1]), ("-", "--")):
            ax_s.plot(a, r["spikes"][:, k], c=style.INK, ls=ls, lw=1.2,
                      label=f"hidden neuron {k + 1}")
        ax_s.set_ylabel("spikes per sample")
        ax_s.set_title("(c) hidden spikes along the path", loc="left")
        ax_s.legend(loc="upper left")
        for ax in (ax_l, ax_g, ax_s):
            for x0 in (0.0, 1.0):
                ax.axvline(x0, ls=":", c="0.6", lw=0.8)
            ticks = np.round(np.arange(-0.2, 1.21, 0.2), 1)
            ax.set_xticks(ticks)
            ax.set_xticklabels({0.0: "0\ninitial", 1.0: "1\ntrained"}.get(t, f"{t:g}")
                               for t in ticks)
            ax.set_xlabel(r"path $W^{(1)}_\mathrm{init} + a\,(W^{(1)}_\mathrm{trained} - "
                          r"W^{(1)}_\mathrm{init})$: $a$")
            ax.set_xlim(a[0], a[-1])
        fig.text(0.5, -0.02, f"2-2-2 LIF network, \"which input fires more\", SuperSpike "
                 f"BPTT; training accuracy {r['accuracy']['initial']:.0%} initial, "
                 f"{r['accuracy']['trained']:.0%} trained; readout fixed at its trained "
                 f"weights;\nsurrogate loss: the surrogate gradient integrated along the path, mapped "
                 f"onto the loss at a = 0 and 1; {a.size} points, finite-difference step "
                 f"{r['fd_step']:.2g}",
                 ha="center", va="top", fontsize=7, color="0.35")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)

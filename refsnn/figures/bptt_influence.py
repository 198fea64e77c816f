r"""Fig. 9b (left) of "lessons from deep learning" (§4.3): how far back in time BPTT assigns credit.

The weight ``W`` is applied at every step; its application at step ``s`` is ``W[s]`` and
Eq. 7 of the paper sums its influences on the loss, ``dL/dW = sum_t sum_{s<=t} dL[t]/dW[s]``.
This figure draws one term of that sum for one neuron: ``dL[t]/dW[s]`` against ``s`` for a
loss ``L[t] = S[t]`` on the neuron's spike at one step ``t`` (a step where it fires, as in the
paper's "gradient only at spike times").

**Which neuron.** The library's current-based LIF neuron (docs/design.md §4, tutorial Eqs.
7-8) with ``dt = 1 ms``, ``tau_syn = 5 ms``, ``tau_mem = 10 ms``, ``theta = 1``, subtractive
reset *detached* (``detach_reset=True``, as in snnTorch), the SuperSpike surrogate (scale 10),
one input that spikes at every step (``S_in[s] = 1``, so every application of ``W`` counts)
through ``w = 0.035``. Its per-step contributions are BPTT's own: ``dL[t]/dW[s] = gI[s+1]
S_in[s]`` from :func:`refsnn.grad.bptt.layer_adjoints` (the adjoint ``gI = dL/dI``), and their
sum over ``s`` is ``bptt``'s ``dL/dW`` (tested). With the synaptic current in between, the
weight's application at ``s`` reaches ``U`` at ``s + 2`` (``I[s+1]``, then ``U[s+2]``), so

.. math::

    \frac{\partial L[t]}{\partial W[s]} = F'(U[t] - \theta)\, S_{in}[s]\,
    \frac{\beta^{\,t-s-1} - \alpha^{\,t-s-1}}{\beta - \alpha} \quad (s \le t-2),
    \qquad 0 \quad (s > t - 2),

a double exponential that decays as ``beta^(t-s)`` far back (``beta > alpha``). The paper's
single-state neuron (Eq. 4, ``U[t] = beta U[t-1] + W X[t] - S[t-1] theta``, no synaptic
current) is the library's ``LIFParams(neuron="leaky")``, which feeds the input one step late
(docs/design.md §4): the same figure's neuron with ``tau_syn`` removed (``w = 0.3``, so that
it fires), computed by BPTT the same way, gives exactly

.. math::

    \frac{\partial L[t]}{\partial W[s]} = F'(U[t] - \theta)\, X[s]\, \beta^{\,t-1-s}
    \quad (s \le t - 1),

the paper's ``F' beta^(t-s)`` shifted by the one-step delay (tested to 1e-12). It is drawn in
grey at its own loss step, aligned with ``t``. Its *immediate influence* is ``s = t - 1`` (the
paper's ``s = t``); the current-based neuron's is ``s = t - 2``, the most recent application
that can reach ``U[t]`` (the two-step delay of §3 "Time"); every earlier ``s`` is *prior
influence*.

What must be visible:

* top: the neuron's membrane ``U`` with the dashed threshold, its spikes as red ticks, the
  loss step ``t`` marked by a vertical line;
* bottom: ``dL[t]/dW[s]`` from BPTT as dots at every ``s``, the closed form as a line through
  them, the immediate influence (``s = t - 2``) as a red dot and the prior influence in ink,
  zero at ``s = t - 1`` and ``s = t``; the single-state (leaky) neuron's BPTT as grey squares on
  its closed form ``F' beta^(t-1-s)`` (dashed); and, in
  grey, BPTT with the reset *not* detached: the reset path adds terms at the neuron's earlier
  spikes, which the paper's figure omits ("reset dynamics ... omitted for brevity", Fig. 9a).

Read next: refsnn/figures/reset_modes.py, the two resets of Fig. S.1.
"""
from __future__ import annotations

import numpy as np

from .. import LIFParams, Network
from ..grad.bptt import layer_adjoints
from . import style

NAME = "bptt_influence"

DT = 1e-3
TAU_SYN = 5e-3
TAU_MEM = 1e-2
N_STEPS = 120
WEIGHT = 0.035
SURROGATE = ("superspike", 10.0)
#: which of the neuron's spikes is the loss step t (0: the first)
LOSS_SPIKE = 3


def network(detach_reset=True):
    """The figure's neuron: one input, one LIF neuron, a dummy readout (weight 0)."""
    p = LIFParams.from_taus(DT, TAU_SYN, TAU_MEM, reset="subtract", detach_reset=detach_reset)
    return Network([np.full((1, 1), WEIGHT), np.zeros((1, 1))], [None], p, surrogate=SURROGATE)


def loss_step(trace):
    """``t``: the step of the neuron's spike number :data:`LOSS_SPIKE`."""
    return int(np.flatnonzero(trace.S[0][0, :, 0])[LOSS_SPIKE])


def per_step(net, trace, t):
    """``dL[t]/dW[s]`` ``(T,)`` for ``L = S[t]``: BPTT's ``gI[s+1] S_in[s]`` (0 at ``s = T-1``).

    Returns ``(contributions, G)``: ``G`` ``(1, T, 1)`` is the loss gradient on the spikes
    (1 at step ``t``), which :func:`refsnn.bptt` takes as ``gS_ext={0: G}``.
    """
    G = np.zeros_like(trace.S[0])
    G[0, t, 0] = 1.0
    gI, _ = layer_adjoints(trace.I[0], trace.U[0], trace.S[0], None, net.params,
                           net.surrogate, G, spike=trace.spike)
    c = np.zeros(trace.x.shape[1])
    c[:-1] = gI[0, 1:, 0] * trace.x[0, :-1, 0]
    return c, G


def closed_form(net, trace, t):
    """The double-exponential kernel of the module docstring at every ``s`` ``(T,)``."""
    a, b = net.params.alpha, net.params.beta
    fp = net.surrogate.derivative(trace.U[0][0, t:t + 1, 0] - net.params.threshold)[0]
    s = np.arange(trace.x.shape[1])
    d = t - s
    k = np.where(d >= 2, (b ** np.maximum(d - 1, 0) - a ** np.maximum(d - 1, 0)) / (b - a),
                 0.0)
    return fp * k * trace.x[0, :, 0]


#: the leaky neuron's weight (no synaptic current to integrate the input: a larger one)
LEAKY_WEIGHT = 0.3


def leaky_network():
    """The paper's Eq. 4 neuron: the figure's neuron without the synaptic current."""
    p = LIFParams.from_taus(DT, None, TAU_MEM, neuron="leaky", reset="subtract",
                            detach_reset=True)
    return Network([np.full((1, 1), LEAKY_WEIGHT), np.zeros((1, 1))], [None], p,
                   surrogate=SURROGATE)


def single_state(net, trace, t):
    """The closed form for the leaky neuron: ``F'(U[t] - theta) beta^(t-1-s)`` for
    ``s <= t - 1``, else 0 (module docstring)."""
    fp = net.surrogate.derivative(trace.U[0][0, t:t + 1, 0] - net.params.threshold)[0]
    s = np.arange(trace.x.shape[1])
    return np.where(s <= t - 1, fp * net.params.beta ** np.maximum(t - 1 - s, 0), 0.0)


def data():
    """Everything the figure draws (a dict; see :func:`make`)."""
    x = np.ones((1, N_STEPS, 1))
    out = {}
    for detach in (True, False):
        net = network(detach)
        tr = net.simulate(x)
        t = loss_step(tr)
        out[detach] = {"net": net, "trace": tr, "t": t, "dW": per_step(net, tr, t)[0]}
    net, tr, t = out[True]["net"], out[True]["trace"], out[True]["t"]
    out.update(t=t, U=tr.U[0][0, :, 0], S=tr.S[0][0, :, 0], theta=net.params.threshold,
               alpha=net.params.alpha, beta=net.params.beta,
               closed=closed_form(net, tr, t))
    leaky = leaky_network()
    tr_l = leaky.simulate(x)
    t_l = loss_step(tr_l)
    out["leaky"] = {"t": t_l, "dW": per_step(leaky, tr_l, t_l)[0],
                    "closed": single_state(leaky, tr_l, t_l)}
    return out


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``bptt_influence.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    d = data()
    t, theta = d["t"], d["theta"]
    steps = np.arange(N_STEPS)
    s = steps[: t + 1]
    dW, dW_reset = d[True]["dW"][: t + 1], d[False]["dW"][: t + 1]
    with style.house_style():
        fig = style.new_figure(7.0, 4.4)
        grid = fig.add_gridspec(2, 2, height_ratios=[1, 1.6], width_ratios=[1.5, 1],
                                hspace=0.62, wspace=0.22)
        ax_u = fig.add_subplot(grid[0, :])
        ax_g = fig.add_subplot(grid[1, 0])
        ax_log = fig.add_subplot(grid[1, 1])
        style.membrane_panel(ax_u, steps, d["U"], d["S"], theta)
        ax_u.axvline(t, color=style.SPIKE_RED, lw=0.8, alpha=0.5)
        ax_u.text(t - 0.6, 0.03 * theta, f"loss $L[t] = S[t]$, $t = {t}$",
                  color=style.SPIKE_RED, ha="right")
        ax_u.set_xlim(0, N_STEPS)
        ax_u.set_xlabel("step $n$", labelpad=1)
        ax_u.set_title("(a) One current-based LIF neuron, an input spike at every step, "
                       "reset detached", loc="left")

        lk = d["leaky"]
        t_l = lk["t"]
        s_l = np.arange(t_l + 1) + (t - t_l)                 # aligned at the loss step
        ax_g.plot(s_l, lk["closed"][: t_l + 1], color="0.55", lw=1.0, ls="--",
                  label=r"single-state neuron (Eq. 4, leaky): $F'\,\beta^{t-1-s}$")
        ax_g.plot(s_l, lk["dW"][: t_l + 1], "s", ms=2.4, color="0.55", zorder=2,
                  label="BPTT, leaky neuron (at its own $t$)")
        ax_g.plot(s, d["closed"][: t + 1], color="#1f77b4", lw=1.0,
                  label=r"closed form: $F'\,\frac{\beta^{t-s-1}-\alpha^{t-s-1}}"
                        r"{\beta-\alpha}$")
        ax_g.plot(s, dW_reset, "o", ms=2.2, color="0.7", zorder=2,
                  label="BPTT, reset not detached")
        prior = s < t - 2
        ax_g.plot(s[prior], dW[prior], "o", ms=2.6, color=style.INK, zorder=3,
                  label=r"BPTT $g_I[s+1]\,S_{in}[s]$: prior influence")
        ax_g.plot([t - 2], [dW[t - 2]], "o", ms=4.5, color=style.SPIKE_RED, zorder=4,
                  label=r"immediate influence ($s = t-2$)")
        ax_g.plot(s[t - 1:], dW[t - 1:], "o", ms=3.2, mfc="white", color=style.INK, zorder=4)
        ax_g.axvline(t, color=style.SPIKE_RED, lw=0.8, alpha=0.5)
        ax_g.set_ylabel(r"$\partial L[t] / \partial W[s]$")
        ax_g.set_xlabel("step $s$ of the weight's application")
        ax_g.set_title(r"(b) $\partial L[t]/\partial W[s]$ against $s$", loc="left")
        ax_g.set_xlim(0, t + 3)
        ax_g.set_ylim(0, 1.8 * max(dW.max(), lk["dW"].max()))
        ax_g.legend(loc="upper left", fontsize=6.5, ncol=1)

        lag = t - s[: t - 1]                                 # t - s >= 2: nonzero
        lag_l = t_l - np.arange(t_l)                         # t - s >= 1: nonzero
        ax_log.semilogy(lag_l, lk["closed"][:t_l], color="0.55", lw=1.0, ls="--")
        ax_log.semilogy(lag_l, lk["dW"][:t_l], "s", ms=2.0, color="0.55")
        ax_log.semilogy(lag, d["closed"][: t - 1], color="#1f77b4", lw=1.0)
        ax_log.semilogy(lag, dW[: t - 1], "o", ms=2.2, color=style.INK)
        ax_log.semilogy([2], [dW[t - 2]], "o", ms=4.0, color=style.SPIKE_RED)
        envelope = d["closed"][t - 2] * d["beta"] ** (lag - 2.0) / (1 - d["alpha"] / d["beta"])
        ax_log.semilogy(lag, envelope, color="#1f77b4", lw=0.6, ls=":",
                        label=r"$\propto \beta^{t-s}$ (the tail)")
        ax_log.set_xlabel("$t - s$ (steps back)")
        ax_log.set_title("(c) the same, log scale", loc="left")
        ax_log.legend(loc="upper right", fontsize=6.5)
        fig.align_ylabels([ax_u, ax_g])
        return style.save(fig, out_dir, NAME, quick)

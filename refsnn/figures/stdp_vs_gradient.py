r"""STDP and the surrogate gradient: Fig. 9(b) of "lessons from deep learning" (§4.3), computed.

One postsynaptic LIF neuron (``dt = 1 ms``, ``tau_syn = 5 ms``, ``tau_mem = 10 ms``, subtractive
reset, ``detach_reset=True``) is made to fire exactly once, at ``t_post``, by a driving input.
A second input, the synapse ``w`` under study (``w = 1e-3``, too weak to move the spike), fires
once at ``t_pre = t_post - delta_t``. The loss rewards the postsynaptic spike:
``L = -c sum_n S[n]``, so ``dL/dS[n] = -c`` at every step, given to :func:`refsnn.bptt` as its
loss gradient on the hidden spikes (``gS_ext``, docs/design.md §12.13; the readout carries no
loss), and ``-dL/dw`` is the gradient-descent change of ``w``.

**What is equivalent.** With the reset detached, ``dU[n]/dw = eps(n - t_pre)``, the PSP kernel
of the synapse (``eps(m) = (alpha^(m-1) - beta^(m-1))/(alpha - beta)`` for ``m >= 2``, 0 before),
so BPTT's gradient is exactly

.. math::

    -\frac{\partial L}{\partial w} = \sum_n
        \underbrace{\Big(-\frac{\partial L}{\partial S[n]}\Big)
        F'(U[n] - \vartheta)}_{\text{postsynaptic factor}}\;
        \underbrace{\varepsilon(n - t_{pre})}_{\text{presynaptic trace}}

(tested to 1e-10 in ``tests/test_stdp.py``): a presynaptic trace times a postsynaptic factor,
the form of STDP's potentiation ``A_+ x_pre(t_post)``. If the surrogate is the spike itself
(the paper's Eq. 8, ``dS/dU <- S``) and ``alpha -> 0``, the sum keeps the spike step only and
``eps(m) -> beta^(m-2)`` (``m >= 2``): the change is ``c' beta^(delta_t/dt - 2)``, the causal
half of the pair window with ``tau_+ = tau_mem`` (two steps late, the delays of Eqs. 7-8), the
paper's "half of the learning window of STDP".

**What is not.** (1) The acausal half: STDP depresses a synapse whose spike follows the post
spike; the gradient is never negative here (``F' > 0``, ``eps >= 0``, and the loss rewards
spikes). It is exactly 0 with the spike as surrogate, and positive with a smooth surrogate,
because the membrane after the spike still counts: at ``delta_t = -1 ms`` it is 30% of its
peak with the default SuperSpike scale 10, 6% with scale 100. (2) The shape: ``eps`` rises from
0 two steps after the pre spike and peaks at ``delta_t = 8 ms`` for these time constants; the
STDP window jumps to ``A_+`` at ``delta_t = 0+``. (3) The sign and size come from the loss:
penalising spikes flips the whole curve, where STDP's window is fixed. (4) BPTT weighs *every*
step by ``F'(U[n] - theta)``, not only the spike times, so the membrane's path matters. (5)
BPTT's change is known only after the trial (backward in time); STDP's is applied online.

What must be visible: (a) the membrane ``U`` and ``F'(U - theta)`` around the single post spike,
with the pre spike of the interval 8 ms; (b) ``-dL/dw`` against ``delta_t = t_post - t_pre``
from BPTT (dots) on the closed form above (lines) for the surrogate scales 10 and 100, and the
spike-as-surrogate limit ``eps(delta_t)`` (grey, dashed), each scaled to peak 1: a causal
bump, and a flat positive floor on the acausal side that shrinks with the steeper surrogate;
(c) the pair STDP window (``tau = 20 ms``) for comparison, with its depressing half.

Read next: refsnn/stdp/__init__.py, the STDP package.
"""
from __future__ import annotations

import numpy as np

from .. import LIFParams, Network, bptt, stdp
from . import style

NAME = "stdp_vs_gradient"
DT = 1e-3
T = 260
T_DRIVE = 100        # the driving input; the post spike follows a few steps later
W_DRIVE = 0.4        # PSP peak ~ 2.9 w: crosses theta = 1 once
W_SYN = 1e-3         # the synapse under study: too weak to move the post spike
C = 1.0              # L = -C sum_n S[n]
SCALE = 10.0         # SuperSpike surrogate steepness (the library's default)
STEEP = 100.0        # a steeper surrogate: closer to "the spike as surrogate"
INTERVALS = np.arange(-40, 41)


def network(scale=SCALE):
    """The two-input, one-neuron network (its readout ``W_o = 1`` carries no loss)."""
    p = LIFParams.from_taus(DT, 5e-3, 10e-3, reset="subtract", detach_reset=True)
    return Network([np.array([[W_DRIVE, W_SYN]]), np.array([[1.0]])], [None], p,
                   surrogate=("superspike", scale))


def psp_kernel(alpha, beta, n):
    """``eps(m)``, ``m = 0..n-1``: ``U`` after a unit input spike at ``m = 0`` (Eqs. 7-8)."""
    I = U = 0.0
    out = np.empty(n)
    for m in range(n):
        out[m] = U
        U, I = beta * U + I, alpha * I + (1.0 if m == 0 else 0.0)
    return out


def post_spike_time(net):
    """The step of the single post spike without the studied synapse's spike."""
    x = np.zeros((1, T, 2))
    x[0, T_DRIVE, 0] = 1.0
    spikes = np.flatnonzero(net.simulate(x).S[0][0, :, 0])
    if spikes.size != 1:
        raise RuntimeError(f"the driven neuron must spike once, it spiked at {spikes}")
    return int(spikes[0])


def gradient_vs_interval(intervals=INTERVALS, scale=SCALE, show=8):
    """BPTT's ``-dL/dw`` and its closed form for each interval ``delta_t = t_post - t_pre`` (steps).

    Returns dict: ``delta_t`` (s), ``bptt``, ``closed_form``, ``spike_only`` (the surrogate
    replaced by the spike: ``-dL/dS[t_post] eps(delta_t)``), ``t_post`` (step), ``U``, ``Fp``
    (``F'(U - theta)``) and ``t_pre`` of the run with ``delta_t = show`` steps (or the first
    interval if ``show`` is not among them), and ``net``.
    """
    net = network(scale)
    t_post = post_spike_time(net)
    p, sg = net.params, net.surrogate
    eps = psp_kernel(p.alpha, p.beta, T)
    dL_dS = np.full(T, -C)                                # L = -C sum_n S[n]
    out = {k: [] for k in ("bptt", "closed_form", "spike_only")}
    for k in intervals:
        x = np.zeros((1, T, 2))
        x[0, T_DRIVE, 0] = 1.0
        t_pre = t_post - int(k)
        x[0, t_pre, 1] = 1.0
        trace = net.simulate(x)
        if not np.array_equal(np.flatnonzero(trace.S[0][0, :, 0]), [t_post]):
            raise RuntimeError(f"delta_t = {k} steps moved the post spike")
        g = bptt(net, trace, gS_ext={0: np.full((1, T, 1), -C)}).W[0][0, 1]
        U = trace.U[0][0, :, 0]
        Fp = np.asarray(sg.derivative(U - p.threshold), dtype=np.float64)
        pre_trace = np.zeros(T)
        pre_trace[t_pre:] = eps[:T - t_pre]
        out["bptt"].append(-g)
        out["closed_form"].append(np.sum(-dL_dS * Fp * pre_trace))
        out["spike_only"].append(-dL_dS[t_post] * (eps[k] if k > 0 else 0.0))
        if k == show or (k == intervals[0] and show not in intervals):
            out["U"], out["Fp"], out["t_pre"] = U, Fp, t_pre
    res = {k: np.array(v) for k, v in out.items() if k in ("bptt", "closed_form", "spike_only")}
    res.update(delta_t=np.asarray(intervals) * DT, t_post=t_post, U=out["U"], Fp=out["Fp"],
               t_pre=out["t_pre"], net=net)
    return res


def make(out_dir, quick=False):
    """Draw ``stdp_vs_gradient.png`` / ``.pdf`` into ``out_dir``; return the two paths."""
    out_dir = style.check_out_dir(out_dir)
    intervals = INTERVALS[::4] if quick else INTERVALS
    runs = [(SCALE, "#1f77b4", gradient_vs_interval(intervals, SCALE)),
            (STEEP, style.SPIKE_RED, gradient_vs_interval(intervals, STEEP))]
    d = runs[0][2]
    dt_ms = d["delta_t"] * 1e3
    rule = stdp.PairSTDP(tau_plus=20e-3, tau_minus=20e-3, A_plus=1.0, A_minus=1.0)
    t_line = np.linspace(-0.04, 0.04, 801)
    with style.house_style():
        fig = style.new_figure(7.4, 2.7)
        ax_u, ax_g, ax_s = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.3, 1.0]})
        t = (np.arange(T) - d["t_post"]) * DT * 1e3
        ax_u.plot(t, d["U"], color=style.INK, lw=1.0, label="$U$")
        ax_u.plot(t, d["Fp"], color="#1f77b4", lw=1.0,
                  label=rf"$F'(U - \vartheta)$, scale {SCALE:g}")
        ax_u.axhline(1.0, color="0.5", lw=0.6, ls="--")
        ax_u.axvline(0.0, color="0.7", lw=0.6)
        t_pre = (d["t_pre"] - d["t_post"]) * DT * 1e3
        ax_u.plot([t_pre], [-0.08], "^", ms=5, color=style.SPIKE_RED, clip_on=False,
                  label=r"pre spike ($\Delta t$ = 8 ms)")
        ax_u.set_xlim(-30, 40)
        ax_u.set_ylim(-0.1, 1.5)
        ax_u.set_xlabel(r"$t - t_{post}$ (ms)")
        ax_u.set_title("(a) post neuron, one spike", loc="left")
        ax_u.legend(loc="upper right", fontsize=7)
        ax_g.axhline(0, color="0.8", lw=0.6)
        ax_g.axvline(0, color="0.8", lw=0.6)
        for scale, colour, r in runs:
            peak = r["bptt"].max()
            ax_g.plot(dt_ms, r["closed_form"] / peak, color=colour, lw=1.0)
            ax_g.plot(dt_ms, r["bptt"] / peak, "o", ms=2.6, color=colour,
                      label=f"BPTT, surrogate scale {scale:g}")
        ax_g.plot(dt_ms, d["spike_only"] / d["spike_only"].max(), color="0.45", lw=1.0,
                  ls="--", label=r"surrogate = spike (Eq. 8): $\varepsilon(\Delta t)$")
        ax_g.plot([], [], color="0.2", lw=1.0, label="lines: post factor x pre trace")
        ax_g.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
        ax_g.set_ylabel(r"$-\partial L/\partial w$ (scaled to peak 1)")
        ax_g.set_title("(b) surrogate gradient (BPTT)", loc="left")
        ax_g.set_ylim(-1.1, 1.15)
        ax_g.legend(loc="lower left", fontsize=7)
        ax_s.axhline(0, color="0.8", lw=0.6)
        ax_s.axvline(0, color="0.8", lw=0.6)
        for side in (t_line < 0, t_line > 0):
            ax_s.plot(t_line[side] * 1e3, stdp.window(rule, t_line[side]), color=style.INK,
                      lw=1.0)
        ax_s.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
        ax_s.set_ylabel(r"$\Delta w / A_+$")
        ax_s.set_title(r"(c) pair STDP, $\tau_\pm$ = 20 ms", loc="left")
        ax_s.set_ylim(-1.1, 1.15)
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

r"""STDP in one neuron: correlated inputs win the competition (Song, Miller & Abbott 2000).

Not a figure of the tutorial papers: it redoes the experiment of Song, Miller & Abbott 2000
(its Fig. numbers could not be checked here) with refsnn's LIF neuron and the online pair rule
(:func:`refsnn.stdp.simulate`). One LIF neuron (``dt = 1 ms``, ``tau_syn = 5 ms``,
``tau_mem = 20 ms``, ``theta = 1``, subtractive reset; current-based, where Song et al.'s
neuron is conductance-based with inhibitory inputs) receives ``N = 1000`` Poisson inputs at
10 Hz. The first 200 form a correlated group: each of them copies the spikes of one shared
10 Hz Poisson train with probability ``c = 0.2`` and fires independently at ``(1 - c) 10 Hz``
otherwise, so every input keeps its rate and the group's spike trains have pairwise correlation
``c``. The weights start uniform in ``[0, w_max]``, ``w_max = 0.003``; the rule is additive
with hard bounds, ``tau_+ = tau_- = 20 ms``, ``A_+ = 0.005 w_max`` and ``A_- = 1.05 A_+``
(Song et al.'s values). Full figure: 1000 s of simulated time (10^6 steps; 44 s to compute at
a load average of 5 on 2 cores); quick: 20 s, far from converged.

What must be visible (the full version):

* (a) the weight histogram at the start (uniform, outline) and at the end (filled): the
  correlated group (red) all at or near ``w_max``; the uncorrelated inputs (grey) pushed
  apart, most towards 0 and a minority at ``w_max`` (the bimodal distribution of additive
  STDP);
* (b) weight traces over time: five synapses of each group (thin) and the group means (thick),
  the correlated mean rising to near ``w_max`` and the uncorrelated one falling;
* (c) the output firing rate (per 2 s), falling from about 37 Hz to about 13 Hz as the
  competition removes synapses.

Read next: refsnn/figures/stdp_vs_gradient.py, STDP beside the surrogate gradient.
"""
from __future__ import annotations

import numpy as np

from .. import LIFParams, Network, stdp
from ..checks import as_rng
from . import style

NAME = "stdp_learning"
DT = 1e-3
N, N_CORR = 1000, 200
RATE, C = 10.0, 0.2
W_MAX = 0.003
CHUNK = 2000                     # steps per call of stdp.simulate (the input is made per chunk)
DURATION, QUICK_DURATION = 1000.0, 20.0
SEED = 2000


def rule(w_max=W_MAX, A=0.005):
    """The additive pair rule of the figure (module docstring)."""
    return stdp.PairSTDP(tau_plus=20e-3, tau_minus=20e-3, A_plus=A * w_max,
                         A_minus=1.05 * A * w_max, w_min=0.0, w_max=w_max)


def correlated_inputs(rng, T, n=N, n_corr=N_CORR, rate=RATE, c=C):
    """Poisson inputs ``(T, n)`` at ``rate``; the first ``n_corr`` copy a shared train w.p. ``c``."""
    x = rng.random((T, n)) < rate * DT * (1.0 - c)
    mother = rng.random(T) < rate * DT
    x[:, :n_corr] |= mother[:, None] & (rng.random((T, n_corr)) < c)
    return x.astype(np.float64)


def simulate(duration=DURATION, n=N, n_corr=N_CORR, seed=SEED):
    """Run the experiment; dict ``t`` (s, per chunk), ``W`` ``(chunks + 1, n)``, ``rate`` (Hz,
    per chunk), ``n_corr``, ``w_max``."""
    rng = as_rng(seed)
    p = LIFParams.from_taus(DT, 5e-3, 20e-3, reset="subtract")
    net = Network([rng.uniform(0.0, W_MAX, (1, n)), np.ones((1, 1))], [None], p)
    r = rule()
    W, rates, state = [net.W[0][0].copy()], [], None
    for _ in range(int(round(duration / (CHUNK * DT)))):
        res = stdp.simulate(net, correlated_inputs(rng, CHUNK, n, n_corr)[None], r, DT,
                            state=state)
        net, state = res.net, res.state
        W.append(net.W[0][0].copy())
        rates.append(res.S[0].sum() / (CHUNK * DT))
    t = np.arange(len(W)) * CHUNK * DT
    return {"t": t, "W": np.array(W), "rate": np.array(rates), "n_corr": n_corr, "w_max": W_MAX}


def make(out_dir, quick=False):
    """Draw ``stdp_learning.png`` / ``.pdf`` into ``out_dir``; return the two paths."""
    out_dir = style.check_out_dir(out_dir)
    d = simulate(QUICK_DURATION if quick else DURATION)
    W, nc, wm = d["W"] / d["w_max"], d["n_corr"], 1.0
    bins = np.linspace(0.0, wm, 26)
    grey, red = "0.45", style.SPIKE_RED
    with style.house_style():
        fig = style.new_figure(7.4, 2.6)
        ax_h, ax_w, ax_r = fig.subplots(1, 3, gridspec_kw={"width_ratios": [1.0, 1.2, 0.9]})
        ax_h.hist([W[-1, nc:], W[-1, :nc]], bins=bins, stacked=True, color=[grey, red],
                  label=["uncorrelated, end", "correlated, end"])
        ax_h.hist(W[0], bins=bins, histtype="step", color="k", lw=0.9, label="all, start")
        ax_h.set_xlabel(r"$w / w_{max}$")
        ax_h.set_ylabel("synapses")
        ax_h.set_title("(a) weights, start and end", loc="left")
        ax_h.legend(loc="upper center", fontsize=6.5)
        for idx, colour in ((np.arange(nc, nc + 5), grey), (np.arange(5), red)):
            ax_w.plot(d["t"], W[:, idx], color=colour, lw=0.5, alpha=0.7)
        ax_w.plot(d["t"], W[:, nc:].mean(axis=1), color=grey, lw=2.0, label="uncorrelated mean")
        ax_w.plot(d["t"], W[:, :nc].mean(axis=1), color=red, lw=2.0, label="correlated mean")
        ax_w.set_ylim(-0.03, 1.05)
        ax_w.set_xlabel("time (s)")
        ax_w.set_ylabel(r"$w / w_{max}$")
        ax_w.set_title("(b) weight traces", loc="left")
        ax_w.legend(loc="center right", fontsize=7)
        ax_r.plot(d["t"][1:], d["rate"], color=style.INK, lw=0.6)
        ax_r.set_ylim(0, None)
        ax_r.set_xlabel("time (s)")
        ax_r.set_ylabel("output rate (Hz)")
        ax_r.set_title("(c) postsynaptic rate", loc="left")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

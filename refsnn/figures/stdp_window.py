r"""The STDP window: Fig. S.13 of "lessons from deep learning" (Appendix C.2, Eq. 50), measured.

Not a redrawing of a published plot but a measurement against its equation. Two panels:

* (a) the pair rule (``tau_plus = tau_minus = 20 ms``, ``A_- = 1.05 A_+``, Song, Miller &
  Abbott 2000's ratio): the analytic window ``A_+ exp(-delta_t/tau_plus)`` /
  ``-A_- exp(delta_t/tau_minus)`` as a line, with ``delta_t = t_post - t_pre``; filled dots,
  isolated pairs run on the 1 ms grid (:func:`refsnn.stdp.run`); open diamonds, pairs at
  off-grid intervals run in continuous time (:func:`refsnn.stdp.run_times`). Every marker
  sits on the line (relative error < 1e-6, ``tests/test_stdp.py``). Potentiation for
  pre-before-post (``delta_t > 0``), depression after, nothing at ``delta_t = 0``.
* (b) the triplet rule (Pfister & Gerstner 2006, visual cortex, all-to-all) in the 60-pairing
  protocol at 1, 20 and 40 Hz: the change per pairing against ``delta_t``, lines from the
  explicit sums over all pairs and triplets (:func:`refsnn.stdp.explicit_change`), markers
  from the trace implementation. Its isolated-pair window is almost nothing on the
  potentiating side (``A2+ = 5e-10``): potentiation needs a preceding postsynaptic spike, so
  the window grows with the frequency, and at 40 Hz even ``delta_t < 0`` potentiates.

Read next: refsnn/figures/stdp_frequency.py, the same protocol against the measurements.
"""
from __future__ import annotations

import numpy as np

from .. import stdp
from ..stdp import protocols
from . import style

NAME = "stdp_window"
DT = 1e-3
PAIR = stdp.PairSTDP(tau_plus=20e-3, tau_minus=20e-3, A_plus=0.01, A_minus=0.0105,
                     w_min=-np.inf, w_max=np.inf)
FREQUENCIES = (1.0, 20.0, 40.0)
SEED = 7


def pair_window(rule=PAIR, k_max=80, seed=SEED):
    """The pair window measured on the grid (``k dt``, ``k = +-1..k_max``) and off it (40 random
    intervals): dict ``grid_dt``, ``grid_dw``, ``off_dt``, ``off_dw`` (s, weight units)."""
    k = np.concatenate([np.arange(-k_max, 0, 4), np.arange(1, k_max + 1, 4)])
    K, T = k.size, 2 * k_max + 3
    pre, post = np.zeros((T, K)), np.zeros((T, K))
    pre[k_max + 1, np.arange(K)] = 1.0
    post[k_max + 1 + k, np.arange(K)] = 1.0
    W, _ = stdp.run(rule, np.zeros((K, K)), pre, post, DT)      # synapse j: pre j, post j
    off = np.random.default_rng(seed).uniform(-k_max * DT, k_max * DT, 40)
    W_off = stdp.run_times(rule, np.zeros((40, 40)), [[0.0]] * 40, [[t] for t in off])
    return {"grid_dt": k * DT, "grid_dw": np.diag(W).copy(), "off_dt": off,
            "off_dw": np.diag(W_off).copy()}


def triplet_windows(rule=None, frequencies=FREQUENCIES, n_line=120, n_dots=14, n_pairs=60):
    """Per frequency: ``delta_t`` grids (line, dots) and the change per pairing from the explicit
    sums (line) and from :func:`refsnn.stdp.protocols.pairing_protocol` (dots). Even counts
    keep ``delta_t = 0`` (where the window jumps) out of both grids."""
    rule = stdp.TripletSTDP.preset("visual_cortex_all_to_all") if rule is None else rule
    open_rule = rule.replace(w_min=-np.inf)
    out = []
    for f in frequencies:
        half = min(0.1, 0.5 / f) * 0.98
        line_dt, dots_dt = np.linspace(-half, half, n_line), np.linspace(-half, half, n_dots)
        line = [stdp.explicit_change(open_rule, *protocols.pairing_times(d, f, n_pairs)) / n_pairs
                for d in line_dt]
        dots = [protocols.pairing_protocol(open_rule, d, f, n_pairs) / n_pairs for d in dots_dt]
        out.append({"frequency": f, "line_dt": line_dt, "line_dw": np.array(line),
                    "dots_dt": dots_dt, "dots_dw": np.array(dots)})
    return out


def make(out_dir, quick=False):
    """Draw ``stdp_window.png`` / ``.pdf`` into ``out_dir``; return the two paths."""
    out_dir = style.check_out_dir(out_dir)
    pw = pair_window()
    tw = triplet_windows(n_line=40 if quick else 120)
    t_line = np.linspace(-0.08, 0.08, 801)
    with style.house_style():
        fig = style.new_figure(7.0, 2.8)
        ax_a, ax_b = fig.subplots(1, 2)
        ax_a.axhline(0, color="0.8", lw=0.6)
        ax_a.axvline(0, color="0.8", lw=0.6)
        ax_a.plot(t_line[t_line > 0] * 1e3, stdp.window(PAIR, t_line[t_line > 0]),
                  color=style.INK, lw=1.0, label="analytic")
        ax_a.plot(t_line[t_line < 0] * 1e3, stdp.window(PAIR, t_line[t_line < 0]),
                  color=style.INK, lw=1.0)
        ax_a.plot(pw["grid_dt"] * 1e3, pw["grid_dw"], "o", ms=3.2, color="#1f77b4",
                  label="grid (run)")
        ax_a.plot(pw["off_dt"] * 1e3, pw["off_dw"], "D", ms=3.6, mfc="none",
                  color=style.SPIKE_RED, label="off grid (run_times)")
        ax_a.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
        ax_a.set_ylabel(r"$\Delta w$ per pair")
        ax_a.set_title("(a) pair rule, isolated pairs", loc="left")
        ax_a.legend(loc="upper left")
        colours = ("#7f7f7f", "#1f77b4", style.SPIKE_RED)
        ax_b.axhline(0, color="0.8", lw=0.6)
        ax_b.axvline(0, color="0.8", lw=0.6)
        for d, c in zip(tw, colours):
            for side in (d["line_dt"] < 0, d["line_dt"] > 0):   # no line across the jump
                ax_b.plot(d["line_dt"][side] * 1e3, d["line_dw"][side] * 1e3, color=c, lw=1.0,
                          label=f"{d['frequency']:g} Hz" if side[-1] else None)
            ax_b.plot(d["dots_dt"] * 1e3, d["dots_dw"] * 1e3, "o", ms=3.0, color=c)
        ax_b.set_xlabel(r"$\Delta t = t_{post} - t_{pre}$ (ms)")
        ax_b.set_ylabel(r"$\Delta w$ per pairing ($\times 10^{-3}$)")
        ax_b.set_title("(b) triplet rule, 60 pairings (lines: explicit sums)", loc="left")
        ax_b.legend(loc="upper left", title="pairing frequency")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

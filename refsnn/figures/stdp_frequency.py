r"""Frequency dependence of STDP: the triplet rule against Sjostrom et al. 2001.

Not a figure of "lessons from deep learning" (its Appendix C.2 gives only the pair window,
Fig. S.13): this redraws the frequency-dependence figure of Pfister & Gerstner 2006 (its Fig.
number could not be checked here) with the library's rule and the published parameters.

The 60-pairing protocol (:mod:`refsnn.stdp.protocols`) at ``delta_t = +10 ms`` (pre before
post, left) and ``-10 ms`` (post before pre, right), from 0.1 to 50 Hz. What must be visible:

* the measurements (Sjostrom, Turrigiano & Nelson 2001) as black dots with +-1 SEM bars at
  0.1, 10, 20, 40 and 50 Hz: potentiation at +10 ms growing with frequency; depression at
  -10 ms at low frequency turning into potentiation at 40-50 Hz;
* the three published triplet parameter sets (Pfister & Gerstner 2006, Table 3: all-to-all
  full and minimal, nearest-spike full) as lines, each within 2 SEM of every point; the legend
  gives each model's ``E`` (:func:`refsnn.stdp.protocols.fit_error` over the ten points with
  ``M = 0`` for every line, so that the numbers compare);
* the least-squares refit of the four all-to-all amplitudes (dashed), almost on top of the
  published all-to-all line (the amplitudes agree to about 1%, ``A3-`` to 21%);
* the best pair rule (grey, the same fit with ``A3+ = A3- = 0``), which cannot follow the data:
  its potentiation at +10 ms falls with frequency.

The x axis is linear, as in Pfister & Gerstner's figure (0.1 Hz sits at the left edge).

Read next: refsnn/figures/stdp_learning.py, STDP in a network.
"""
from __future__ import annotations

import numpy as np

from .. import stdp
from ..stdp import protocols
from . import style

NAME = "stdp_frequency"
MODELS = (("visual_cortex_all_to_all", "all-to-all", "#1f77b4", "-"),
          ("visual_cortex_all_to_all_minimal", "all-to-all minimal", "#2ca02c", "-"),
          ("visual_cortex_nearest_spike", "nearest-spike", style.SPIKE_RED, "-"))


def curves(frequencies):
    """``{label: (rule, Delta w (2, F), E)}`` for the presets, the refit and the best pair rule,
    on ``frequencies`` (Hz); ``E`` against the data with ``M = 0`` for all."""
    out = {}
    for name, label, _, _ in MODELS:
        rule = stdp.TripletSTDP.preset(name)
        E = protocols.fit_error(protocols.frequency_dependence(rule))
        out[label] = (rule, protocols.frequency_dependence(rule, frequencies), E)
    full = stdp.TripletSTDP.preset("visual_cortex_all_to_all")
    refit, _ = protocols.fit_amplitudes(full)
    pair, _ = protocols.fit_amplitudes(full.replace(A3_plus=0.0, A3_minus=0.0),
                                       free=("A2_plus", "A2_minus"))
    for label, rule in (("all-to-all, refit", refit), ("best pair rule", pair)):
        E = protocols.fit_error(protocols.frequency_dependence(rule))
        out[label] = (rule, protocols.frequency_dependence(rule, frequencies), E)
    return out


def make(out_dir, quick=False):
    """Draw ``stdp_frequency.png`` / ``.pdf`` into ``out_dir``; return the two paths."""
    out_dir = style.check_out_dir(out_dir)
    f = np.linspace(0.1, 50.0, 26 if quick else 100)
    c = curves(f)
    data = protocols.SJOSTROM_2001
    styles = {label: (colour, ls) for _, label, colour, ls in MODELS}
    styles["all-to-all, refit"] = ("#1f77b4", "--")
    styles["best pair rule"] = ("0.55", "-")
    with style.house_style():
        fig = style.new_figure(7.0, 3.0)
        axes = fig.subplots(1, 2, sharey=True)
        for row, ax in enumerate(axes):
            ax.axhline(0, color="0.8", lw=0.6)
            for label, (_, dw, E) in c.items():
                colour, ls = styles[label]
                ax.plot(f, dw[row], color=colour, ls=ls, lw=1.1,
                        label=f"{label} (E = {E:.2f})")
            ax.errorbar(data.frequency, data.dw[row], yerr=data.sem[row], fmt="o", ms=3.5,
                        color="k", capsize=2, lw=0.8, label="Sjostrom et al. 2001", zorder=5)
            ax.set_xticks([0, 10, 20, 30, 40, 50])
            ax.set_xlim(-1, 52)
            ax.set_xlabel("pairing frequency (Hz)")
            ax.set_title(rf"({'ab'[row]}) $\Delta t = {1e3 * data.delta_t[row]:+.0f}$ ms",
                         loc="left")
        axes[0].set_ylabel(r"$\Delta w$ after 60 pairings")
        axes[1].legend(loc="upper left", fontsize=7)
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

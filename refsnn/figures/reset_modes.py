r"""Fig. S.1 of "lessons from deep learning" (Appendix A.1): reset by subtraction vs reset to zero.

One current-based LIF neuron (docs/design.md §4) receives the same synaptic current ``I[n]``
three times, once per reset mode of :class:`refsnn.LIFParams`, with the paper's threshold
``theta = 0.5``:

.. math::

    U[n+1] &= \beta U[n] + I[n] - \theta S[n]              && \text{reset="subtract" (Eq. 4)} \\
    U[n+1] &= (\beta U[n] + I[n])\,(1 - S[n])              && \text{reset="zero" (Eq. 21)} \\
    U[n+1] &= \beta U[n] + I[n]                            && \text{reset="none" (reference)}

with ``S[n] = Theta(U[n] - theta)``, ``dt = 1 ms``, ``tau_syn = 5 ms``, ``tau_mem = 10 ms``.
The current is the same in all three runs because it does not depend on the neuron's own
spikes (no recurrence): it is produced by :class:`refsnn.Network` from a real-valued input
``x[n] = I*[n+1] - alpha I*[n]`` with weight 1, so that ``I = I*``, a current step of
:data:`WEAK` (just above the rheobase ``theta (1 - beta)``) followed by a step of
:data:`STRONG` and then silence. Eq. 21 of the paper writes the zero reset with the input of
step ``t``; the library's ``(beta U[n] + I[n]) (1 - S[n])`` is the same form in its own time
convention (§3 "Time").

What must be visible (four panels sharing the time axis):

* top: the input current ``I[n]``, the weak step then the strong step;
* subtract: ``U`` with the dashed threshold line and the spikes as red ticks above it; after a
  spike the potential drops by ``theta`` and keeps its residue above threshold, so under the
  strong current it fires more often than
* zero: after each spike ``U`` is exactly 0 at the next step and climbs from rest again;
* none: the leaky integrator without reset (the reference), ``U`` rises far above threshold and
  the neuron "spikes" at every step above it.

Under the weak current the two resets give (nearly) the same spike train, as the paper says
they converge for a slowly rising ``U``; the spike count of each mode is in its panel's legend.

Read next: refsnn/figures/style.py, the house style (and ``membrane_panel``) every figure
draws with.
"""
from __future__ import annotations

import numpy as np

from .. import LIFParams, Network
from ..lif import RESETS
from . import style

NAME = "reset_modes"

DT = 1e-3
TAU_SYN = 5e-3
TAU_MEM = 1e-2
#: the paper's threshold (Fig. S.1)
THETA = 0.5
N_STEPS = 240
#: (first step, last step + 1, current) of the two current steps
WEAK = (20, 110, 0.055)
STRONG = (110, 200, 0.25)


def current(n_steps=N_STEPS):
    """The input current ``I*[n]`` ``(n_steps,)``: 0, the weak step, the strong step, 0."""
    I = np.zeros(n_steps)
    for start, stop, value in (WEAK, STRONG):
        I[start:min(stop, n_steps)] = value
    return I


def simulate(n_steps=N_STEPS):
    """The neuron under each reset mode, driven by :func:`current`.

    Returns
    -------
    dict
        ``t`` (s) and ``I`` ``(n_steps,)``, ``params`` (the subtract mode's LIFParams), and for
        each mode of :data:`refsnn.lif.RESETS` a dict with ``U``, ``S`` ``(n_steps,)``, ``I``
        (the current the simulation produced, equal to ``I`` above) and ``count``.
    """
    I_star = current(n_steps)
    out = {"t": np.arange(n_steps) * DT, "I": I_star}
    for reset in RESETS:
        p = LIFParams.from_taus(DT, TAU_SYN, TAU_MEM, threshold=THETA, reset=reset)
        x = np.zeros((1, n_steps, 1))
        x[0, :-1, 0] = I_star[1:] - p.alpha * I_star[:-1]   # I[n+1] = alpha I[n] + x[n]
        net = Network([np.ones((1, 1)), np.zeros((1, 1))], [None], p)
        tr = net.simulate(x, binary_input=False)
        S = tr.S[0][0, :, 0]
        out[reset] = {"U": tr.U[0][0, :, 0], "S": S, "I": tr.I[0][0, :, 0],
                      "count": int(S.sum())}
        if reset == "subtract":
            out["params"] = p
    return out


LABELS = {"subtract": "reset by subtraction (Eq. 4)", "zero": "reset to zero (Eq. 21)",
          "none": "no reset (reference)"}


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``reset_modes.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    d = simulate()
    t_ms = d["t"] * 1e3
    with style.house_style():
        fig = style.new_figure(5.2, 5.0)
        axes = fig.subplots(4, 1, sharex=True,
                            gridspec_kw={"height_ratios": [0.7, 1.0, 1.0, 1.0]})
        ax_i = axes[0]
        ax_i.plot(t_ms, d["I"], color="#1f77b4", lw=1.0)
        ax_i.set_ylabel("$I$")
        ax_i.set_title(rf"One LIF neuron, the same input current, three resets "
                       rf"($\vartheta = {THETA:g}$)")
        for ax, reset in zip(axes[1:], RESETS):
            m = d[reset]
            style.membrane_panel(ax, t_ms, m["U"], m["S"], THETA,
                                 top=max(1.4 * THETA, 1.08 * m["U"].max()),
                                 label=f"{LABELS[reset]}: {m['count']} spikes")
            ax.legend(loc="upper left", handlelength=0, handletextpad=0,
                      bbox_to_anchor=(0.0, 0.97))
        axes[-1].set_xlabel("Time (ms)")
        axes[-1].set_xlim(0, t_ms[-1] + 1)
        fig.align_ylabels(axes)
        return style.save(fig, out_dir, NAME, quick)

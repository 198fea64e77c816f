r"""Tutorial Fig. 1(b): example dynamics of one LIF neuron driven by four input neurons.

Four input spike trains ``S^(0)_j`` drive one current-based LIF neuron through the weights
``w_j`` (docs/design.md §4, reset ``"subtract"``)::

    I[n+1] = alpha I[n] + sum_j w_j S^(0)_j[n]
    U[n+1] = beta U[n] + I[n] - theta S[n],      S[n] = Theta(U[n] - theta)

with ``dt = 1 ms``, ``tau_syn = 5 ms``, ``tau_mem = 10 ms``, ``theta = 1``. The network is a
``refsnn.Network`` with one hidden neuron (the readout is a dummy and is not drawn).

What must be visible (three panels sharing the time axis):

* bottom: raster of the four inputs; sparse in the first phase, dense later;
* middle: the synaptic current ``I``, one jump of ``w_j`` per input spike, decaying with alpha;
* top: the membrane ``U`` with the dashed threshold and the output spikes as dots above it.
  During the first ~40 % of the time the neuron is strictly sub-threshold and every
  postsynaptic potential (PSP) is a separate bump (one input spike gives a PSP peak of about
  ``2.9 w`` here, below threshold for every ``w_j``); only when the input becomes dense do PSPs
  sum up, reach the threshold and produce several output spikes (each followed by the
  subtractive reset).

Read next: refsnn/figures/computational_graph.py, the tutorial's Fig. 2.
"""
from __future__ import annotations

import numpy as np

from .. import LIFParams, Network
from ..checks import check_int
from . import style

NAME = "lif_dynamics"

DT = 1e-3
TAU_SYN = 5e-3
TAU_MEM = 1e-2
N_STEPS = 500
#: synaptic weights of the four inputs (PSP peaks ~0.4-0.7, i.e. sub-threshold on their own)
WEIGHTS = np.array([0.20, 0.14, 0.24, 0.17])
#: hand-placed spikes of the sparse phase (step index, input neuron): separated PSPs
SPARSE_SPIKES = ((20, 0), (60, 2), (100, 1), (135, 3), (175, 0), (205, 2))
#: the dense phase: Poisson input with this rate (Hz) per neuron, from step DENSE_START on
DENSE_START = 260
DENSE_RATE = 20.0
SEED = 4


def input_spikes(n_steps=N_STEPS, seed=SEED):
    """The four input spike trains, ``(n_steps, 4)`` of 0/1 (deterministic for a given seed).

    Hand-placed isolated spikes up to :data:`SPARSE_SPIKES`, then seeded Poisson spikes at
    :data:`DENSE_RATE` per neuron from step ``0.52 n_steps`` on.

    Parameters
    ----------
    n_steps : int
        Number of time steps (>= 100).
    seed : int
        Seed of the dense phase.
    """
    n_steps = check_int("n_steps", n_steps, 100)
    x = np.zeros((n_steps, 4))
    scale = n_steps / N_STEPS
    for n, j in SPARSE_SPIKES:
        x[int(n * scale), j] = 1.0
    start = int(DENSE_START * scale)
    rng = np.random.default_rng(seed)
    x[start:] = rng.random((n_steps - start, 4)) < DENSE_RATE * DT
    return x


def simulate(n_steps=N_STEPS, seed=SEED):
    """Simulate the figure's neuron with :class:`refsnn.Network`.

    Parameters
    ----------
    n_steps, seed
        See :func:`input_spikes`.

    Returns
    -------
    dict
        ``t`` (s), ``x`` (n_steps, 4) input spikes, and ``I``, ``U``, ``S`` (n_steps,) of the
        LIF neuron, plus ``params``.
    """
    params = LIFParams.from_taus(DT, TAU_SYN, TAU_MEM, reset="subtract")
    net = Network([WEIGHTS[None, :], np.zeros((1, 1))], [None], params)
    x = input_spikes(n_steps, seed)
    trace = net.simulate(x[None])
    return {"t": np.arange(n_steps) * DT, "x": x, "I": trace.I[0][0, :, 0],
            "U": trace.U[0][0, :, 0], "S": trace.S[0][0, :, 0], "params": params}


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``lif_dynamics.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    d = simulate()
    t, theta = d["t"], d["params"].threshold
    with style.house_style():
        fig = style.new_figure(4.2, 3.8)
        ax_u, ax_i, ax_x = fig.subplots(3, 1, sharex=True,
                                        gridspec_kw={"height_ratios": [1.6, 1.0, 0.9]})
        # top: membrane potential, threshold, output spikes as dots
        ax_u.plot(t, d["U"], color=style.INK, lw=1.0)
        ax_u.axhline(theta, color="0.4", lw=0.8, ls="--")
        t_out = t[d["S"] > 0]
        ax_u.plot(t_out, np.full(t_out.shape, 1.3 * theta), "o", ms=3.5, color=style.INK,
                  clip_on=False)
        ax_u.set_ylim(-0.05, 1.4 * theta)
        ax_u.set_yticks([0, theta])
        ax_u.set_yticklabels(["0", r"$\vartheta$"])
        ax_u.set_ylabel("$U$")
        # middle: synaptic current
        ax_i.plot(t, d["I"], color="#1f77b4", lw=1.0)
        ax_i.set_ylabel("$I$")
        ax_i.set_ylim(0, None)
        ax_i.locator_params(axis="y", nbins=3)
        # bottom: raster of the inputs
        for j in range(4):
            tj = t[d["x"][:, j] > 0]
            ax_x.vlines(tj, j + 0.6, j + 1.4, color=style.INK, lw=1.0)
        ax_x.set_ylim(0.4, 4.6)
        ax_x.set_yticks([1, 2, 3, 4])
        ax_x.set_ylabel("Input")
        ax_x.set_xlabel("Time (s)")
        ax_x.set_xlim(0, len(t) * DT)
        fig.align_ylabels([ax_u, ax_i, ax_x])
        return style.save(fig, out_dir, NAME, quick)

r"""Mostafa's neurons on the time grid: the LIF kernel of :mod:`refsnn.lif` without leak or reset.

The model of :mod:`refsnn.timing.mostafa` (``dU/dt = I``, ``I`` a sum of exponentially
decaying currents with ``tau_syn = 1``, threshold 1, one spike per neuron) is Eqs. 7-8 of the
tutorial with

* ``alpha = exp(-dt)`` (the synaptic decay over one step of ``dt``, in units of ``tau_syn``),
* ``beta = 1`` (no leak). ``LIFParams`` refuses it, since a LIF neuron needs ``beta < 1``; the
  kernels' :data:`refsnn.lif.Neuron` record takes any value, so the record of a valid
  ``LIFParams`` is copied with ``beta = 1`` (``Neuron._replace``): the same compiled
  :func:`refsnn.lif.layer_forward` runs, with exactly no leak (a huge ``tau_mem`` would leave
  a leak of ``dt / tau_mem``);
* ``reset="none"``, and only the **first** spike of each neuron passed on: the kernel keeps
  emitting while ``U > 1``, and Mostafa's neuron fires once;
* the weights scaled by ``1 - alpha``: Eq. 8 adds ``I[n]`` per step without a factor ``dt``,
  and ``(1 - alpha) sum_{m>=0} alpha^m = 1``, so an input of weight ``w`` raises ``U`` by
  ``w (1 - alpha^k)`` after ``k`` steps, exactly Eq. (1) of :mod:`~refsnn.timing.mostafa`
  sampled at the grid.

An input spike at ``t`` enters at step ``floor(t / dt)`` (:func:`refsnn.encoding.times_to_spikes`)
and so acts from step ``floor(t / dt) + 1`` (the kernel's one-step delay of ``I``), a delay in
``(0, dt]``; the first step with ``U[n] > 1`` is reported as the spike at ``n dt``, without
interpolation, a further delay in ``[0, dt)``. Both are first order in ``dt``, and so is the
error of every layer (tested: the measured order of the maximum error over a network is 1).

Read next: refsnn/timing/training.py, how the network is trained.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_real
from ..encoding import times_to_spikes
from ..lif import LIFParams, layer_forward, neuron
from ..surrogate import Surrogate
from .mostafa import Network, check_times

_NO_PTR = np.zeros(1, dtype=np.int64)
_NO_IDX = np.zeros(0, dtype=np.int32)
_NO_VAL = np.zeros(0)
_NO_V = np.zeros((1, 1))
_NO_B = np.zeros((0, 0, 0))  # the adaptive threshold's b: never read (a fixed threshold)


def kernel_neuron(dt):
    """The :data:`refsnn.lif.Neuron` record of Mostafa's neuron at step ``dt`` (``tau_syn = 1``):
    ``alpha = exp(-dt)``, ``beta = 1``, ``theta = 1``, no reset, hard spikes."""
    params = LIFParams(alpha=float(np.exp(-dt)), beta=0.5, threshold=1.0, reset="none")
    return neuron(params, Surrogate("superspike", 10.0), "hard")._replace(beta=1.0)


def first_spikes(S):
    """Keep the first spike of every neuron: ``S (batch, T, N)`` 0/1, returns a copy."""
    fired = S > 0
    first = np.argmax(fired, axis=1)                               # (batch, N)
    out = np.zeros_like(S)
    b, i = np.nonzero(fired.any(axis=1))
    out[b, first[b, i], i] = 1.0
    return out


def simulate(net, t_in, dt, t_max):
    """Spike times of every layer of ``net`` from the time-stepped kernel (module docstring).

    Parameters
    ----------
    net : refsnn.timing.mostafa.Network
    t_in : array (batch, n_in)
        Input spike times (``>= 0``; ``inf``: no spike), in units of ``tau_syn``.
    dt : float
        Time step, ``> 0``.
    t_max : float
        Simulated duration; a neuron that has not fired by then counts as silent.

    Returns
    -------
    list of ndarrays
        ``[t_in on the grid, t_1, ..., t_out]``, each ``(batch, n_l)``: ``n dt`` of the step of
        the first spike, ``inf`` for none.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a mostafa.Network, got {type(net).__name__}")
    t_in = check_times(t_in, net.sizes[0])
    if np.any(t_in < 0):
        raise ValueError("t_in must be >= 0 (the grid starts at 0) or inf")
    dt = check_real("dt", dt, 0.0, low_open=True)
    t_max = check_real("t_max", t_max, 0.0, low_open=True)
    steps = int(np.ceil(t_max / dt)) + 1
    nrn = kernel_neuron(dt)
    S_in = times_to_spikes(t_in, steps, dt)
    out = [_grid_times(S_in, dt)]
    for W in net.W:
        B, N = S_in.shape[0], W.shape[0]
        I, U, S = np.empty((3, B, steps, N))
        layer_forward(S_in, _NO_PTR, _NO_IDX, _NO_VAL, False, (1.0 - nrn.alpha) * W, _NO_V,
                      False, nrn, I, U, S, _NO_B)
        S_in = first_spikes(S)
        out.append(_grid_times(S_in, dt))
    return out


def _grid_times(S, dt):
    """``n dt`` of each neuron's spike in ``S (batch, T, N)``, ``inf`` where it has none."""
    fired = S.any(axis=1)
    return np.where(fired, np.argmax(S, axis=1) * dt, np.inf)

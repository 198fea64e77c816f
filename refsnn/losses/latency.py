r"""Latency-coded losses on output spikes ("lessons from deep learning" §3.2.2, Appendix B.8-B.10).

The first spike time of the time-stepped network, defined differentiably
-------------------------------------------------------------------------
For one output neuron with spikes ``S[0..T-1]`` (0/1, or soft spikes in the smooth model) let
``P[n] = prod_{m<n} (1 - S[m])`` (``P[0] = 1``: "no spike before ``n``"). The first spike time,
in steps, is

.. math::

    f = \sum_{n=0}^{T-1} n\, S[n]\, P[n] \;+\; c\, P[T], \qquad c = T - 1 .

For binary spikes exactly one term survives: ``f`` is the index of the first spike, or
``c = T - 1`` if the neuron is silent (snnTorch's "shadow spike" at the last step, so the two
libraries give the same numbers on hard spikes). For soft spikes ``f`` is a polynomial in the
``S[n]``, smooth, so finite differences of the smooth model prove its gradient. That gradient
follows from writing ``f = sum_{n<k} n S[n] P[n] + P[k] (k S[k] + (1 - S[k]) A[k])``, where
``A[k]`` is the first spike time counted from after step ``k``:

.. math::

    A[T-1] = c, \qquad A[k] = (k+1)\, S[k+1] + (1 - S[k+1])\, A[k+1], \qquad
    \frac{\partial f}{\partial S[k]} = P[k]\, (k - A[k]).

On hard spikes this says: an extra spike at a step ``k`` before the first spike ``n*`` would
move the first spike to ``k`` (``df/dS[k] = k - n* < 0``), nothing after ``n*`` matters
(``P[k] = 0``), and a silent neuron is pulled to fire at every step (``k - c``), through the
surrogate ``F'(U[k] - theta)`` (BPTT). snnTorch instead substitutes ``-1`` at the first spike
step only (a "sign estimator", not the derivative of any function of ``S``).

The losses (each returns ``(L, dL/dS_out)``, ``S_out`` ``(B, T, K)``, mean over the batch)
------------------------------------------------------------------------------------------
* :func:`latency_ce` -- cross-entropy with logits ``-f`` (``inverse="negate"``, Eq. 34) or
  ``1/(f + 1)`` (``"reciprocal"``, Eq. 35 shifted by one step as snnTorch does, so that a
  spike at step 0 is finite): snnTorch's ``ce_temporal_loss``.
* :func:`latency_mse` -- ``mean(((f - y) / T)^2)`` over the ``B K`` entries, targets
  ``y = on_target`` for the label and ``off_target`` otherwise (negative targets count from
  the end, ``-1`` = the last step): snnTorch's ``mse_temporal_loss`` (Eq. 36, averaged).
* :func:`latency_relative_mse` -- Eq. 38: the label's target is ``f0``; another output is
  pulled back only while it fires less than ``gamma`` steps after ``f0``, i.e. its term is
  ``([f0 + gamma - f]_+)^2`` (the target "set to the actual spike time" otherwise); same
  scaling as :func:`latency_mse`. Continuously differentiable at ``f = f0 + gamma``.

Read next: refsnn/losses/regularisers.py, the activity regularisers.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_real
from .membrane import _check_labels, _check_readout, softmax_ce

INVERSES = ("negate", "reciprocal")


def first_spike_time(S_out, with_grad=False):
    r"""The differentiable first spike time ``f`` ``(B, K)`` in steps (module docstring).

    Parameters
    ----------
    S_out : array (B, T, K)
    with_grad : bool
        Also return ``df/dS_out`` ``(B, T, K)``: ``P[k] (k - A[k])``.
    """
    S = _check_readout(S_out, "S_out")
    B, T, K = S.shape
    one = S.dtype.type(1)
    keep = one - S
    P = np.ones((B, T + 1, K), dtype=S.dtype)           # P[n] = prod_{m<n} (1 - S[m])
    P[:, 1:] = np.cumprod(keep, axis=1)
    n = np.arange(T, dtype=S.dtype)[None, :, None]
    c = S.dtype.type(T - 1)
    f = (n * S * P[:, :T]).sum(axis=1) + c * P[:, T]
    if not with_grad:
        return f
    A = np.empty_like(S)                                 # A[k]: first spike after step k
    A[:, T - 1] = c
    for k in range(T - 2, -1, -1):
        A[:, k] = (k + 1) * S[:, k + 1] + keep[:, k + 1] * A[:, k + 1]
    return f, P[:, :T] * (n - A)


def _targets(labels, B, K, on, off):
    y = np.full((B, K), off, dtype=float)
    y[np.arange(B), labels] = on
    return y


def _step(name, value, T):
    """A target step: a real number, negative ones counted from the end (``-1`` = ``T - 1``)."""
    v = check_real(name, value)
    return T + v if v < 0 else v


def latency_ce(S_out, labels, inverse="negate"):
    """Cross-entropy on the first spike times (module docstring); returns ``(L, dL/dS_out)``.

    ``z = -f`` (``"negate"``), ``dz/df = -1``; ``z = 1/(f + 1)`` (``"reciprocal"``),
    ``dz/df = -1/(f + 1)^2``; then ``dL/dS = (dL/dz)(dz/df)(df/dS)``.
    """
    if not isinstance(inverse, str) or inverse not in INVERSES:
        raise ValueError(f"inverse must be one of {INVERSES}, got {inverse!r}")
    S = _check_readout(S_out, "S_out")
    y = _check_labels(labels, S.shape[0], S.shape[2])
    f, df = first_spike_time(S, with_grad=True)
    if inverse == "negate":
        z, dz_df = -f, -np.ones_like(f)
    else:
        z, dz_df = 1 / (f + 1), -1 / (f + 1) ** 2
    value, dz = softmax_ce(z, y)
    return value, (dz * dz_df)[:, None, :] * df


def latency_mse(S_out, labels, on_target=0, off_target=-1):
    """``mean(((f - y)/T)^2)`` to target first-spike steps (module docstring)."""
    S = _check_readout(S_out, "S_out")
    B, T, K = S.shape
    lab = _check_labels(labels, B, K)
    y = _targets(lab, B, K, _step("on_target", on_target, T), _step("off_target", off_target, T))
    f, df = first_spike_time(S, with_grad=True)
    err = (f - y) / T
    return np.mean(err ** 2), (2 * err / (T * B * K))[:, None, :] * df


def latency_relative_mse(S_out, labels, gamma, f0=0):
    """Eq. 38: the label fires at ``f0``, the others at least ``gamma`` steps later (module
    docstring)."""
    S = _check_readout(S_out, "S_out")
    B, T, K = S.shape
    lab = _check_labels(labels, B, K)
    gamma = check_real("gamma", gamma, 0.0)
    f0 = _step("f0", f0, T)
    f, df = first_spike_time(S, with_grad=True)
    err = np.minimum(f - (f0 + gamma), 0.0)              # incorrect: -[f0 + gamma - f]_+
    err[np.arange(B), lab] = f[np.arange(B), lab] - f0   # correct: f - f0
    err = err / T
    return np.mean(err ** 2), (2 * err / (T * B * K))[:, None, :] * df


def predict_first_spike(S_out):
    """Latency-code prediction: the output with the earliest first spike ``(B,)`` (the first
    output on ties; silent outputs count as firing at ``T - 1``)."""
    return first_spike_time(S_out).argmin(axis=1)

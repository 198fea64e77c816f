r"""An independent SpikeProp forward pass in extended precision: the finite-difference oracle.

It shares no code with :mod:`refsnn.timing.spikeprop` and finds the spike times another way:
the potential :math:`u_j(t) = \sum_{i,k} w_{ij}^k \varepsilon(t - t_i - d^k)`, with
:math:`\varepsilon(s) = (s/\tau) e^{1 - s/\tau}` for ``s > 0``, is evaluated on a uniform grid
of ``t`` (step ``grid``), the first grid interval whose right end reaches ``theta`` brackets the
first crossing, and regula falsi (the Illinois variant) in that interval, in ``numpy.longdouble`` (unit roundoff about
``5e-20`` on x86-64), shrinks it until it cannot shrink further. The grid can miss a crossing
that rises above ``theta`` and falls back within one grid step (a near-tangent crossing,
which the checks exclude anyway); ``tests/test_spikeprop.py`` checks that the oracle and the
library agree on every spike time of every network it differentiates.

:func:`forward` also returns the *piece* of each spike time, the number of terminal onsets
before it (``-1``: no spike): the spike time is a smooth function of the weights only while
that number, and the set of neurons that fire, stay the same, so the finite differences
(:func:`refsnn.gradcheck.numerical_gradient`) shrink any stencil that changes it.

Read next: refsnn/experiments/spikeprop_xor.py.
"""
from __future__ import annotations

import numpy as np


def _potential(t, onsets, w, tau):
    """``sum_m w[..., m] eps(t[..., None] - onsets[..., m])`` in the arrays' precision."""
    s = t[..., None] - onsets
    r = np.where(s > 0, s, 0) / tau
    return np.sum(w * np.where(s > 0, r * np.exp(1 - r), 0), axis=-1)


def layer(t_pre, W, delays, tau, theta, t_max, grid=0.05, dtype=np.longdouble):
    """First spike times ``(B, n_post)`` and pieces of one layer (module docstring)."""
    t_pre = np.asarray(t_pre, dtype=dtype)
    B, n_pre = t_pre.shape
    n_post, _, K = W.shape
    tau, theta = dtype(tau), dtype(theta)
    onsets = (t_pre[:, :, None] + np.asarray(delays, dtype=dtype)).reshape(B, n_pre * K)
    onsets = np.where(np.isfinite(onsets), onsets, dtype(np.inf))
    w = np.asarray(W, dtype=dtype).reshape(n_post, n_pre * K)
    ts = np.linspace(dtype(0), dtype(t_max), int(np.ceil(float(t_max) / grid)) + 1)
    u = _potential(ts[None, None, :], onsets[:, None, None, :], w[None, :, None, :], tau)
    above = u >= theta                                              # (B, n_post, G)
    fires = above.any(axis=2)
    g = np.where(fires, above.argmax(axis=2), 1)
    lo, hi = ts[np.maximum(g - 1, 0)], ts[g]
    on, wb = onsets[:, None, :], w[None, :, :]
    f_lo = _potential(lo, on, wb, tau) - theta                      # < 0
    f_hi = _potential(hi, on, wb, tau) - theta                      # >= 0
    side = np.zeros(lo.shape, np.int64)
    for _ in range(300):  # regula falsi, Illinois variant: both ends keep bracketing the root
        mid = (lo + hi) / 2
        active = fires & (lo < mid) & (mid < hi) & (f_hi != 0)
        if not active.any():
            break
        x = hi - f_hi * (hi - lo) / np.where(active, f_hi - f_lo, 1)
        x = np.where(active & (x > lo) & (x < hi), x, mid)
        fx = _potential(x, on, wb, tau) - theta
        up = fx >= 0
        f_lo = np.where(up, np.where(side == 1, f_lo / 2, f_lo), fx)  # Illinois: halve the
        f_hi = np.where(up, fx, np.where(side == -1, f_hi / 2, f_hi))  # end kept twice
        side = np.where(up, 1, -1)
        hi, lo = np.where(active & up, x, hi), np.where(active & ~up, x, lo)
    t = np.where(fires, hi, dtype(np.inf))
    piece = np.where(fires, np.sum(onsets[:, None, :] < t[:, :, None], axis=2), -1)
    return t, piece


def forward(net, t_in, grid=0.05, dtype=np.longdouble):
    """Spike times of every layer of a :class:`refsnn.timing.spikeprop.Network` in ``dtype``
    (a list like ``net.forward``) and the pieces of every non-input layer, concatenated."""
    times, pieces = [np.asarray(t_in, dtype=dtype)], []
    for W in net.W:
        t, p = layer(times[-1], W, net.delays, net.tau, net.theta, net.t_max, grid, dtype)
        times.append(t)
        pieces.append(p.ravel())
    return times, np.concatenate(pieces)


__all__ = ["layer", "forward"]

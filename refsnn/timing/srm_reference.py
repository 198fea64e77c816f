r"""An independent SpikeProp forward pass in extended precision: the finite-difference oracle.

It shares no code with :mod:`refsnn.timing.spikeprop` and finds the spike times another way:
the potential :math:`u_j(t) = \sum_{i,k} w_{ij}^k \varepsilon(t - t_i - d^k)`, with
:math:`\varepsilon(s) = (s/\tau) e^{1 - s/\tau}` for ``s > 0``, is evaluated on a uniform grid
of ``t`` (step ``grid``, in float64), the first grid interval whose right end reaches ``theta`` brackets the
first crossing, and Newton's iteration on the sum itself, kept inside that bracket (a step
that would leave it is replaced by bisection) and run in ``numpy.longdouble`` (unit roundoff
about ``5e-20`` on x86-64), refines it until a step no longer changes it. The grid can miss a crossing
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


def _potential(t, onsets, w, tau, slope=False):
    """``sum_m w[..., m] eps(t[..., None] - onsets[..., m])`` in the arrays' precision; with
    ``slope``, also its time derivative (``eps'(s) = (1 - s/tau) e^(1 - s/tau) / tau``) and
    ``sum |w eps|``, the scale of the sum's rounding error."""
    s = t[..., None] - onsets
    r = np.where(s > 0, s, 0) / tau
    e = np.where(s > 0, np.exp(1 - r), 0)
    terms = w * r * e
    if not slope:
        return np.sum(terms, axis=-1)
    return (np.sum(terms, axis=-1), np.sum(w * (1 - r) * e, axis=-1) / tau,
            np.sum(np.abs(terms), axis=-1))


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
    u = _potential(ts[None, None, :].astype(float), onsets[:, None, None, :].astype(float),
                   w[None, :, None, :].astype(float), float(tau))  # the bracket, in float64
    above = u >= theta                                              # (B, n_post, G)
    fires = above.any(axis=2)
    g = np.where(fires, above.argmax(axis=2), 1)
    lo, hi = ts[np.maximum(g - 1, 0)], ts[g]
    on, wb = onsets[:, None, :], w[None, :, :]
    x = (lo + hi) / 2
    active = fires.copy()
    eps = np.finfo(dtype).eps
    for _ in range(100):  # Newton's iteration kept inside the bracket [lo, hi] (else bisection)
        f, fp, size = _potential(x, on, wb, tau, slope=True)
        f = f - theta
        up = f >= 0
        hi, lo = np.where(up, x, hi), np.where(up, lo, x)
        ok = fp > 0
        step = -f / np.where(ok, fp, 1)
        # done when Newton's step is at the level of the sum's rounding error
        noise = 32 * eps * (np.abs(x) + np.where(ok, size / np.where(ok, fp, 1), 0))
        active &= ~(ok & (np.abs(step) <= noise)) & (f != 0) & (lo < (lo + hi) / 2) & (
            (lo + hi) / 2 < hi)
        new = np.where(ok & (x + step > lo) & (x + step < hi), x + step, (lo + hi) / 2)
        if not active.any():
            break
        x = np.where(active, new, x)
    t = np.where(fires, x, dtype(np.inf))
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

r"""Losses on the readout ``U_o`` of shape ``(batch, T, n_out)``, each returning ``(L, dL/dU_o)``.

Every gradient is derived by hand (below, ``B`` is the batch size and ``p = softmax(z)``):

* :func:`max_over_time_ce` -- ``z_k = max_n U_o[n, k]`` (Zenke & Vogels 2021 §4.2,
  SpyTorch), ``L = -(1/B) sum_b log p_{y_b}(z_b)``.
  ``dL/dz_k = (p_k - [k = y]) / B`` flows only to the step ``n*_k = argmax_n U_o[n, k]``
  (the first one on ties: a valid subgradient).
* :func:`sum_over_time_ce` -- ``z_k = sum_n U_o[n, k]``; ``dL/dU_o[n, k] = (p_k - [k = y]) / B``
  for every ``n``.
* :func:`mse` -- ``L = (1/(B T K)) sum (U_o - U*)^2``; ``dL/dU_o = 2 (U_o - U*) / (B T K)``.
"""
from __future__ import annotations

import numpy as np


def _check_readout(readout):
    r = np.asarray(readout)
    if r.ndim != 3:
        raise ValueError(f"readout must have shape (batch, time, n_out), got {r.shape}")
    if not np.issubdtype(r.dtype, np.floating):  # keep float32/64/longdouble as given
        r = r.astype(np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError("readout contains NaN or inf")
    return r


def _check_labels(labels, readout):
    y = np.asarray(labels)
    B, _, K = readout.shape
    if y.shape != (B,):
        raise ValueError(f"labels must have shape ({B},), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(np.int64)
        else:
            raise TypeError(f"labels must be integers, got dtype {y.dtype}")
    if np.any(y < 0) or np.any(y >= K):
        raise ValueError(f"labels must lie in [0, {K - 1}]")
    return y.astype(np.int64)


def softmax_ce(z, labels):
    """Mean cross-entropy of logits ``z`` ``(B, K)`` and its gradient ``(p - onehot) / B``."""
    z_shift = z - z.max(axis=1, keepdims=True)  # stable log-sum-exp
    log_p = z_shift - np.log(np.exp(z_shift).sum(axis=1, keepdims=True))
    B = z.shape[0]
    value = -log_p[np.arange(B), labels].mean()
    dz = np.exp(log_p)
    dz[np.arange(B), labels] -= 1.0
    return value, dz / B


def max_over_time_ce(readout, labels):
    """Cross-entropy on the max-over-time readout.

    Parameters
    ----------
    readout : array (B, T, K)
    labels : int array (B,)

    Returns
    -------
    value : float
    d_readout : ndarray (B, T, K), nonzero only at each ``argmax_n`` (module docstring).

    Notes
    -----
    The readout starts at rest and is exactly 0 for its first steps (``U_o[0] = U_o[1] = 0``),
    so ``z_k >= 0``. A readout that stays <= 0 has its maximum at ``n = 0``, where the
    gradient is 0: that output stops learning (as in SpyTorch). A readout that is exactly 0 at
    a later step too is a tie, where the loss is not differentiable (the gradient returned is
    the first step's subgradient and finite differences disagree; ``refsnn.gradcheck`` skips
    such entries). :func:`sum_over_time_ce` has neither problem.
    """
    r = _check_readout(readout)
    y = _check_labels(labels, r)
    n_star = r.argmax(axis=1)  # (B, K), first maximum
    z = np.take_along_axis(r, n_star[:, None, :], axis=1)[:, 0, :]
    value, dz = softmax_ce(z, y)
    d = np.zeros_like(r)
    np.put_along_axis(d, n_star[:, None, :], dz[:, None, :], axis=1)
    return value, d


def _argmax_over_time(readout):
    return np.asarray(readout).argmax(axis=1)


# The max-over-time loss is smooth only while each argmax stays put: ``pieces`` names the
# smooth piece a readout lies on (used by the finite-difference oracle in refsnn.gradcheck).
max_over_time_ce.pieces = _argmax_over_time


def sum_over_time_ce(readout, labels):
    """Cross-entropy on the time-summed readout; returns ``(value, d_readout (B, T, K))``."""
    r = _check_readout(readout)
    y = _check_labels(labels, r)
    value, dz = softmax_ce(r.sum(axis=1), y)
    return value, np.repeat(dz[:, None, :], r.shape[1], axis=1)


def mse(readout, target):
    """Mean squared error to a target readout trace ``target`` of the readout's shape."""
    r = _check_readout(readout)
    t = np.asarray(target, dtype=r.dtype)
    if t.shape != r.shape:
        raise ValueError(f"target must have the readout's shape {r.shape}, got {t.shape}")
    if not np.all(np.isfinite(t)):
        raise ValueError("target contains NaN or inf")
    diff = r - t
    return np.mean(diff ** 2), 2 * diff / diff.size


def predict_max_over_time(readout):
    """Class prediction ``argmax_k max_n U_o[n, k]`` of shape ``(B,)``."""
    return _check_readout(readout).max(axis=1).argmax(axis=1)


def predict_sum_over_time(readout):
    """Class prediction ``argmax_k sum_n U_o[n, k]`` of shape ``(B,)``."""
    return _check_readout(readout).sum(axis=1).argmax(axis=1)

r"""Losses on the membrane: the readout ``U_o`` ``(batch, T, n_out)``, each returning ``(L, dL/dU_o)``.

Every gradient is derived by hand (below, ``B`` is the batch size and ``p = softmax(z)``):

* :func:`max_over_time_ce` -- ``z_k = max_n U_o[n, k]`` (Zenke & Vogels 2021 §4.2,
  SpyTorch), ``L = -(1/B) sum_b log p_{y_b}(z_b)``.
  ``dL/dz_k = (p_k - [k = y]) / B`` flows only to the step ``n*_k = argmax_n U_o[n, k]``
  (the first one on ties: a valid subgradient).
* :func:`sum_over_time_ce` -- ``z_k = sum_n U_o[n, k]``; ``dL/dU_o[n, k] = (p_k - [k = y]) / B``
  for every ``n``.
* :func:`mse` -- ``L = (1/(B T K)) sum (U_o - U*)^2``; ``dL/dU_o = 2 (U_o - U*) / (B T K)``.

Read next: refsnn/losses/spikes.py, the losses on output spikes.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_real_array


def _check_readout(readout, name="readout", axes=("batch", "time", "n_out")):
    """``readout`` as a real, finite array of ``len(axes)`` axes, none of them empty."""
    r = as_real_array(readout, name)  # complex, object and str arrays are a TypeError
    if r.ndim != len(axes):
        raise ValueError(f"{name} must have shape ({', '.join(axes)}), got {r.shape}")
    if min(r.shape) < 1:
        raise ValueError(f"{name} must have at least one entry along each of "
                         f"({', '.join(axes)}), got shape {r.shape}")
    if not np.issubdtype(r.dtype, np.floating):  # keep float32/64/longdouble as given
        r = r.astype(np.float64)
    if not np.all(np.isfinite(r)):
        raise ValueError(f"{name} contains NaN or inf")
    return r


def _check_labels(labels, B, K):
    """Integer class labels ``(B,)`` in ``[0, K)`` (integral floats are accepted)."""
    y = np.asarray(labels)
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
    z = _check_readout(z, "z", ("batch", "n_out"))
    labels = _check_labels(labels, *z.shape)
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
    y = _check_labels(labels, r.shape[0], r.shape[2])
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
    y = _check_labels(labels, r.shape[0], r.shape[2])
    with np.errstate(over="ignore"):  # an overflowing sum is refused by softmax_ce
        z = r.sum(axis=1)
    value, dz = softmax_ce(z, y)
    return value, np.repeat(dz[:, None, :], r.shape[1], axis=1)


def mse(readout, target):
    """Mean squared error to a target readout trace ``target`` of the readout's shape."""
    r = _check_readout(readout)
    t = as_real_array(target, "target").astype(r.dtype, copy=False)
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

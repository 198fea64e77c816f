r"""Spike trains as event lists: the nonzero entries of a ``(B, T, N)`` array, step by step.

An input of a few percent spike density is mostly zeros. Stored as events, each time step
``(b, n)`` keeps only the indices ``j`` with ``x[b, n, j] != 0`` and their values, in CSR form:

.. math::

    \{(j, x[b, n, j]) : x[b, n, j] \ne 0\} =
    \{(\mathrm{idx}[k], \mathrm{val}[k]) : \mathrm{ptr}[bT + n] \le k < \mathrm{ptr}[bT + n + 1]\},

``j`` ascending. The kernels then add ``W[:, j]`` once per event (Eq. 7's ``W S_{in}[n]``) and
accumulate ``dL/dW[:, j]`` once per event, without scanning the zeros. Building the list is
one pass over ``x``, which also validates it: NaN and inf are nonzero, so they are events, and
``x`` is binary exactly when every event value is 1.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

#: above this fraction of nonzero entries an input is treated densely: an event costs 12 bytes
#: (index and value) against 8 per dense entry, and skipping zeros buys little when most are set
DENSE_ABOVE = 0.25


@dataclass(frozen=True)
class Events:
    """CSR event list of a ``(B, T, N)`` array (module docstring).

    Attributes
    ----------
    ptr : int64 array (B*T + 1,)
        Events of step ``(b, n)`` are ``idx[ptr[b*T+n]:ptr[b*T+n+1]]``.
    idx : int32 array (nnz,)
        Presynaptic index ``j`` of each event, ascending within a step.
    val : array (nnz,)
        ``x[b, n, j]`` of each event (1.0 for binary spikes), dtype of ``x``.
    shape : (B, T, N)
    """

    ptr: np.ndarray
    idx: np.ndarray
    val: np.ndarray
    shape: tuple

    @property
    def density(self) -> float:
        """Fraction of nonzero entries."""
        return self.val.size / max(1, int(np.prod(self.shape)))


@numba.njit(cache=True, parallel=True)
def _count(x, counts):
    """``counts[b*T + n]`` = number of nonzero ``x[b, n, :]`` (samples in parallel)."""
    B, T, N = x.shape
    for b in numba.prange(B):
        for n in range(T):
            c = 0
            for j in range(N):
                if x[b, n, j] != 0.0:
                    c += 1
            counts[b * T + n] = c


@numba.njit(cache=True, parallel=True)
def _fill(x, ptr, idx, val):
    """Write the events of every step at ``ptr[b*T + n]`` onwards (samples in parallel)."""
    B, T, N = x.shape
    for b in numba.prange(B):
        for n in range(T):
            k = ptr[b * T + n]
            for j in range(N):
                v = x[b, n, j]
                if v != 0.0:
                    idx[k] = j
                    val[k] = v
                    k += 1


def _check(x):
    if not isinstance(x, np.ndarray) or x.dtype not in (np.float64, np.float32):
        raise TypeError(f"x must be a float64 or float32 numpy array, got "
                        f"{getattr(x, 'dtype', type(x).__name__)}")
    if x.ndim != 3:
        raise ValueError(f"x must have shape (batch, time, neurons), got shape {x.shape}")
    return np.ascontiguousarray(x)


def count(x):
    """Number of nonzero entries of each step of ``x`` ``(B, T, N)``: an int64 array ``(B*T,)``."""
    x = _check(x)
    counts = np.empty(x.shape[0] * x.shape[1], dtype=np.int64)
    _count(x, counts)
    return counts


def to_events(x) -> Events:
    """The event list of a float64 or float32 array ``x`` ``(B, T, N)`` (two passes)."""
    x = _check(x)
    return from_counts(x, count(x))


def from_counts(x, counts) -> Events:
    """:func:`to_events` given ``counts = count(x)`` (which must be exact: the fill trusts it)."""
    B, T, N = x.shape
    ptr = np.zeros(B * T + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    idx = np.empty(ptr[-1], dtype=np.int32)
    val = np.empty(ptr[-1], dtype=x.dtype)
    _fill(x, ptr, idx, val)
    return Events(ptr=ptr, idx=idx, val=val, shape=(B, T, N))


def to_dense(events: Events, dtype=np.float64):
    """The ``(B, T, N)`` array an event list was made from (for tests and plots)."""
    B, T, N = events.shape
    x = np.zeros((B * T, N), dtype=dtype)
    rows = np.repeat(np.arange(B * T), np.diff(events.ptr))
    x[rows, events.idx] = events.val
    return x.reshape(B, T, N)

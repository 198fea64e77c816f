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

Read next: refsnn/losses.py, the losses on the readout and their hand-derived gradients
dL/dU_o.
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
def _fill(x, ptr, idx, val, bad):
    """Write the events of every step at ``ptr[b*T + n]`` onwards (samples in parallel).

    A write never leaves its step's slots ``ptr[b*T + n] <= k < ptr[b*T + n + 1]``: a step with
    more or fewer nonzero entries than ``ptr`` allots sets ``bad[b] = 1`` instead (the caller
    raises), so a wrong ``counts`` cannot write out of bounds.
    """
    B, T, N = x.shape
    for b in numba.prange(B):
        for n in range(T):
            k = ptr[b * T + n]
            end = ptr[b * T + n + 1]
            for j in range(N):
                v = x[b, n, j]
                if v != 0.0:
                    if k < end:
                        idx[k] = j
                        val[k] = v
                    k += 1
            if k != end:
                bad[b] = 1


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


def _check_counts(counts, shape):
    """``counts`` as int64 ``(B*T,)`` with ``0 <= counts <= N``, or a ValueError/TypeError."""
    B, T, N = shape
    counts = np.asarray(counts)
    if not np.issubdtype(counts.dtype, np.integer):  # (bool is not an integer dtype here)
        raise TypeError(f"counts must be an integer array (events.count(x)), got dtype "
                        f"{counts.dtype}")
    if counts.shape != (B * T,):
        raise ValueError(f"counts must have shape ({B * T},) (one entry per step of x, "
                         f"batch-major), got {counts.shape}")
    if counts.size and (counts.min() < 0 or counts.max() > N):
        raise ValueError(f"counts must lie in [0, {N}] (nonzero entries of a step of x), got "
                         f"values in [{counts.min()}, {counts.max()}]")
    return counts.astype(np.int64, copy=False)


def from_counts(x, counts) -> Events:
    """:func:`to_events` given ``counts = count(x)``, saving the counting pass.

    ``counts`` is checked (integer, shape ``(B*T,)``, each in ``[0, N]``) before the fill, and
    the fill checks each step against it: a ``counts`` that does not describe ``x`` is a
    ValueError, never a write out of bounds.
    """
    x = _check(x)
    B, T, N = x.shape
    counts = _check_counts(counts, x.shape)
    ptr = np.zeros(B * T + 1, dtype=np.int64)
    np.cumsum(counts, out=ptr[1:])
    idx = np.empty(ptr[-1], dtype=np.int32)
    val = np.empty(ptr[-1], dtype=x.dtype)
    bad = np.zeros(B, dtype=np.uint8)
    _fill(x, ptr, idx, val, bad)
    if bad.any():
        r = int(np.flatnonzero(count(x) != counts)[0])
        raise ValueError(f"counts does not match x: step (b={r // T}, n={r % T}) of x has "
                         f"{np.count_nonzero(x[r // T, r % T])} nonzero entries, counts[{r}] = "
                         f"{counts[r]}; pass counts=events.count(x)")
    return Events(ptr=ptr, idx=idx, val=val, shape=(B, T, N))


def check(events, shape=None, name="events"):
    """Raise unless ``events`` is a consistent :class:`Events` (of an array of ``shape``).

    Consistent means what every reader of an event list indexes with, unchecked: ``ptr`` is
    ``(B*T + 1,)``, starts at 0, never decreases and ends at ``idx.size == val.size``, and
    every ``idx`` lies in ``[0, N)``. Returns ``events``.
    """
    if not isinstance(events, Events):
        raise TypeError(f"{name} must be an events.Events, got {type(events).__name__}")
    ok_shape = (isinstance(events.shape, tuple) and len(events.shape) == 3
                and all(isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s >= 0
                        for s in events.shape))
    if not ok_shape:
        raise ValueError(f"{name}.shape must be (batch, time, neurons), got {events.shape!r}")
    if shape is not None and tuple(events.shape) != tuple(shape):
        raise ValueError(f"{name} describes an array of shape {events.shape}, expected "
                         f"{tuple(shape)}")
    B, T, N = events.shape
    for field, kind in (("ptr", np.integer), ("idx", np.integer), ("val", np.floating)):
        a = getattr(events, field)
        if not isinstance(a, np.ndarray) or a.ndim != 1 or not np.issubdtype(a.dtype, kind):
            raise TypeError(f"{name}.{field} must be a 1-D {kind.__name__} numpy array, got "
                            f"{getattr(a, 'dtype', type(a).__name__)} of shape "
                            f"{getattr(a, 'shape', None)}")
    ptr, idx, val = events.ptr, events.idx, events.val
    if ptr.shape != (B * T + 1,) or ptr[0] != 0 or ptr[-1] != idx.size or idx.size != val.size \
            or np.any(np.diff(ptr) < 0):
        raise ValueError(f"{name}.ptr must be ({B * T + 1},), start at 0, never decrease and "
                         f"end at idx.size == val.size")
    if idx.size and not 0 <= idx.min() <= idx.max() < N:
        raise ValueError(f"{name}.idx must lie in [0, {N})")
    return events


def to_dense(events: Events, dtype=np.float64):
    """The ``(B, T, N)`` array an event list was made from (for tests and plots)."""
    B, T, N = check(events).shape
    x = np.zeros((B * T, N), dtype=dtype)
    rows = np.repeat(np.arange(B * T), np.diff(events.ptr))
    x[rows, events.idx] = events.val
    return x.reshape(B, T, N)

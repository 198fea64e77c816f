r"""Encoders: real values to spike trains ("lessons from deep learning" §3.1 and Appendix B).

Every encoder returns ``(batch, T, neurons)`` float64 0/1 arrays on the time grid of the
simulator, step ``n`` covering ``[n dt, (n + 1) dt)``.

* :func:`times_to_spikes` -- spike times to the grid: a spike at ``t`` falls into step
  ``floor(t / dt)`` (the one quantisation rule of the package).
* :func:`rate_encode` -- Bernoulli spikes, per-step probability ``max_prob * x`` (App. B.1).
* :func:`latency_encode` -- one spike per input, earlier for larger values (App. B.2, Eq. 25).

Every function that samples takes ``rng``: a ``numpy.random.Generator`` or an int seed, so the
same call gives the same data.

Read next: refsnn/datasets/__init__.py, the tasks built on these encoders.
"""
from __future__ import annotations

import numpy as np

from .checks import as_real_array, as_rng, check_int, check_real

#: times this many steps below a step boundary count as on it (:func:`times_to_spikes`)
GRID_SLACK = 1e-9


def times_to_spikes(times, steps, dt):
    r"""Spike times ``(n, N)`` in seconds to a ``(n, steps, N)`` 0/1 array on the grid ``n dt``.

    A spike at time ``t`` falls into step :math:`\lfloor t / dt \rfloor`, the step whose
    interval ``[n dt, (n + 1) dt)`` contains it; ``inf`` (no spike) and times at or after
    ``steps * dt`` give no spike. At most one spike per entry of ``times``. A time within
    ``1e-9`` steps below a step boundary counts as on it, so that a time written as ``k * dt``
    lands in step ``k`` although ``k * dt / dt`` can round to just below ``k``.

    Parameters
    ----------
    times : array (n, N)
        Spike times in seconds, ``>= 0`` or ``inf``.
    steps : int
        Number of time steps (>= 1).
    dt : float
        Time step in seconds (> 0).

    Returns
    -------
    ndarray (n, steps, N), float64
    """
    t = as_real_array(times, "times")
    if t.ndim != 2:
        raise ValueError(f"times must have shape (samples, neurons), got shape {t.shape}")
    t = t.astype(np.float64)
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise ValueError("times must be >= 0 or inf (no spike), got NaN or a negative time")
    steps = check_int("steps", steps, 1)
    dt = check_real("dt", dt, 0.0, np.inf, low_open=True, high_open=True)
    n, N = t.shape
    k = np.full(t.shape, steps, dtype=np.int64)
    fin = np.isfinite(t)
    k[fin] = np.floor(np.minimum(t[fin] / dt + GRID_SLACK, steps)).astype(np.int64)  # no overflow
    x = np.zeros((n, steps, N))
    b, i = np.nonzero(k < steps)
    x[b, k[b, i], i] = 1.0
    return x


# ---------------------------------------------------------------------- argument checks
def _check_values(values, name="values"):
    """``values`` as float64 ``(B, N)`` with entries in [0, 1]."""
    v = as_real_array(values, name)
    if v.ndim != 2:
        raise ValueError(f"{name} must have shape (batch, n_inputs), got shape {v.shape}; "
                         f"use {name}[None] for a single sample")
    if v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"{name} needs at least one sample and one input, got shape {v.shape}")
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(v < 0.0) or np.any(v > 1.0):
        raise ValueError(f"{name} must lie in [0, 1] (normalise first), got range "
                         f"[{v.min()}, {v.max()}]")
    return v


# ---------------------------------------------------------------------- encoders
def rate_encode(values, T, rng, max_prob=1.0):
    r"""Rate code: independent Bernoulli spikes with ``P(S[b, n, i] = 1) = max_prob * x[b, i]``.

    Appendix B.1 of Eshraghian et al. (Eq. 22) with the intensity scaled by ``max_prob``, so that
    a value of 1 fires at most with probability ``max_prob`` per step (``max_prob = 1`` fires at
    every step, which is rarely wanted in a network with a refractory-free reset).

    Parameters
    ----------
    values : array (B, N)
        Normalised intensities in ``[0, 1]``.
    T : int
        Number of time steps (>= 1).
    rng : numpy Generator or int seed
    max_prob : float
        Spike probability per step of a value 1, in ``(0, 1]``.

    Returns
    -------
    ndarray (B, T, N), float64, entries 0 or 1.
    """
    v = _check_values(values)
    T = check_int("T", T, 1)
    max_prob = check_real("max_prob", max_prob, 0.0, 1.0, low_open=True)
    rng = as_rng(rng)
    p = max_prob * v
    u = rng.random((v.shape[0], T, v.shape[1]))
    return (u < p[:, None, :]).astype(np.float64)


def latency_times(values, tau=5.0, threshold=0.01):
    r"""Continuous spike times of :func:`latency_encode`, in units of steps (``inf``: no spike).

    Eq. 25 of Eshraghian et al. (App. B.2): an RC membrane ``U(t) = x (1 - e^{-t/tau})`` driven
    to the steady state ``x`` crosses the threshold ``theta`` at

    .. math::

        t(x) = \tau \ln\frac{x}{x - \theta} \quad (x > \theta), \qquad t(x) = \infty
        \quad (x \le \theta),

    which decreases strictly with ``x`` (a larger input spikes earlier).
    """
    v = _check_values(values)
    tau = check_real("tau", tau, 0.0, np.inf, low_open=True, high_open=True)
    threshold = check_real("threshold", threshold, 0.0, 1.0, low_open=True, high_open=True)
    t = np.full(v.shape, np.inf)
    above = v > threshold
    t[above] = tau * np.log(v[above] / (v[above] - threshold))
    return t


def latency_encode(values, T, tau=5.0, threshold=0.01):
    r"""Latency (time-to-first-spike) code: at most one spike per input, earlier for larger values.

    Each input ``x`` emits a single spike at step ``n(x) = round(t(x))`` with the RC-circuit
    crossing time of Eshraghian et al. Eq. 25 (see :func:`latency_times`),

    .. math::

        t(x) = \tau \ln\frac{x}{x - \theta} \quad \text{for } x > \theta,

    ``tau`` measured in time steps. Inputs with ``x <= threshold`` (the membrane never reaches
    threshold) and inputs whose spike would fall at or after step ``T`` emit no spike. ``t``
    decreases strictly with ``x``, so ``n(x)`` is non-increasing (rounding can merge close values
    into the same step). With the defaults ``tau = 5``, ``theta = 0.01``: ``x = 1`` spikes at step
    0, ``x = 0.1`` at step 1, ``x = 0.02`` at step 3, ``x = 0.011`` at step 12.

    Parameters
    ----------
    values : array (B, N)
        Normalised intensities in ``[0, 1]``.
    T : int
        Number of time steps (>= 1).
    tau : float
        Time constant of the RC circuit, in steps (> 0).
    threshold : float
        ``theta`` in ``(0, 1)``: values at or below it never spike.

    Returns
    -------
    ndarray (B, T, N), float64, entries 0 or 1, at most one 1 per ``(b, i)``.
    """
    T = check_int("T", T, 1)
    t = latency_times(values, tau=tau, threshold=threshold)
    B, N = t.shape
    out = np.zeros((B, T, N))
    fires = np.isfinite(t)
    steps = np.full(t.shape, T, dtype=np.int64)
    steps[fires] = np.rint(np.minimum(t[fires], T)).astype(np.int64)  # min: no int overflow
    b, i = np.nonzero(steps < T)
    out[b, steps[b, i], i] = 1.0
    return out

r"""Spike encoders and small tasks. Every output is ``(batch, T, neurons)`` float64 0/1.

Encoders (Eshraghian et al., "Training spiking neural networks using lessons from deep learning",
§3.1 and Appendix B):

* :func:`rate_encode` -- Bernoulli spikes, per-step probability ``max_prob * x`` (App. B.1).
* :func:`latency_encode` -- one spike per input, earlier for larger values (App. B.2, Eq. 25).

Tasks:

* :func:`two_groups` -- "which of two input groups fires more", a linearly separable toy task.

Every function that samples takes ``rng``: a ``numpy.random.Generator`` or an int seed, so the
same call gives the same data.

Read next: refsnn/figures/__init__.py, the figures (benchmarks/costs.py measures what each
gradient method costs).
"""
from __future__ import annotations

import numpy as np

from .checks import as_real_array, as_rng, check_int, check_real


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


# ---------------------------------------------------------------------- tasks
def two_groups(n_samples, T=50, n_in=20, rate_low=0.03, rate_high=0.07, rng=0):
    r"""Toy task "which of two input groups fires more".

    Inputs ``0 .. n_in/2 - 1`` form group 0 and ``n_in/2 .. n_in - 1`` group 1. A sample of
    class ``c`` has every input of group ``c`` fire as an independent Bernoulli process with
    probability ``rate_high`` per step and every input of the other group with ``rate_low``.
    Classes are balanced (``n_samples // 2`` of each, one extra of class 0 if ``n_samples`` is
    odd) and the order is shuffled.

    The ideal observer compares the two groups' spike counts; with the defaults (10 inputs per
    group, 50 steps, 0.03 vs 0.07) its accuracy is 99.84% (exact binomial computation), so the
    task is nearly but not trivially separable.

    Parameters
    ----------
    n_samples : int
        Number of samples (>= 1).
    T : int
        Time steps per sample (>= 1).
    n_in : int
        Number of inputs, even and >= 2.
    rate_low, rate_high : float
        Spike probabilities per step, ``0 <= rate_low < rate_high <= 1``.
    rng : numpy Generator or int seed

    Returns
    -------
    x : ndarray (n_samples, T, n_in), float64 0/1
    labels : ndarray (n_samples,), int64, values in {0, 1}
    """
    n_samples = check_int("n_samples", n_samples, 1)
    T = check_int("T", T, 1)
    n_in = check_int("n_in", n_in, 2)
    if n_in % 2:
        raise ValueError(f"n_in must be even (two equal groups), got {n_in}")
    rate_low = check_real("rate_low", rate_low, 0.0, 1.0)
    rate_high = check_real("rate_high", rate_high, 0.0, 1.0)
    if not rate_low < rate_high:
        raise ValueError(f"rate_low must be < rate_high, got {rate_low} and {rate_high}")
    rng = as_rng(rng)
    labels = np.arange(n_samples, dtype=np.int64) % 2
    rng.shuffle(labels)
    half = n_in // 2
    group = np.arange(n_in) >= half  # False: group 0, True: group 1
    p = np.where(group[None, :] == labels[:, None].astype(bool), rate_high, rate_low)
    x = (rng.random((n_samples, T, n_in)) < p[:, None, :]).astype(np.float64)
    return x, labels

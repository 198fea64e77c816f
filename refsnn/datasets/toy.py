r"""A linearly separable toy task: which of two input groups fires more.

Read next: refsnn/figures/__init__.py, the figures (benchmarks/costs.py measures what each
gradient method costs).
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_int, check_real


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

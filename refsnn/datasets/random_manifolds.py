r"""Smooth random manifolds as spike-timing tasks (Zenke & Vogels 2021, §2.1 and §4.1.1).

Each class ``c`` is a smooth random map :math:`f^c: [0, 1)^D \to \mathbb{R}^M` from a
``D = dim``-dimensional manifold into the spike times of ``M = n_inputs`` input neurons,
built from the Fourier basis (§4.1.1):

.. math::

    f_i(\vec x) = \prod_{j=1}^{D} \sum_{k=1}^{n_\mathrm{cut}} s_k\, A_{ijk}
        \sin\bigl(2\pi (k\, x_j B_{ijk} + C_{ijk})\bigr),
    \qquad A, B, C \sim \mathcal{U}(0, 1),

with the power spectrum :math:`s_k = k^{-\alpha}` as printed in the paper and used by the
NumPy version of the public reference code (fzenke/randman, ``numpy_randman.py``); its torch
and JAX versions use :math:`s_k = 1/(k^\alpha + 1)` instead (``spectrum="shifted"`` here).
``alpha`` sets the smoothness: the larger, the faster the amplitudes fall with frequency.
(The reference code also runs its frequency index from 0, i.e. uses ``(k - 1)`` inside the
sine, and zeroes the constant ``k = 1`` term; this module follows the printed formula.)

A sample of class ``c`` is a point :math:`X \sim \mathcal{U}[0, 1)^D`; its spike times are
:math:`f^c(X)` min-max scaled, per input neuron over the class's samples, into
``[0, spike_window)`` (Eq. :func:`minmax_times`, as the reference's ``standardize``), and each
input neuron fires exactly once, in step ``floor(t / dt)``. The class is therefore carried by
the spike *timing* alone: every sample has the same spike count.

Every draw comes from the generator seeded by ``seed`` (no global random state), in a fixed
order: for each class its ``A, B, C`` then its points; then the splits; then the sample order.

Read next: refsnn/datasets/yinyang.py, the Yin-Yang task.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_bool, check_int, check_real
from .dataset import from_times, stratified_splits

#: the paper's split of each class's samples (§4.1.1: 800 / 100 / 100 of 1000)
FRACTIONS = {"train": 0.8, "valid": 0.1, "test": 0.1}

#: spectra s_k of the Fourier sum: the paper's and NumPy reference's, and the torch/JAX one
SPECTRA = ("power", "shifted")

#: entries of one block of the vectorised Fourier sum (samples x inputs x frequencies)
_BLOCK = 2 ** 21


def spectrum(n_cut, alpha, kind="power"):
    r"""The amplitudes :math:`s_k`, ``k = 1 .. n_cut``: ``k**-alpha`` (``"power"``) or
    ``1 / (k**alpha + 1)`` (``"shifted"``). Returns ``(n_cut,)`` float64."""
    if kind not in SPECTRA:
        raise ValueError(f"spectrum must be one of {SPECTRA}, got {kind!r}")
    k = np.arange(1, n_cut + 1, dtype=np.float64)
    return k ** -alpha if kind == "power" else 1.0 / (k ** alpha + 1.0)


def manifold(X, A, B, C, s):
    r"""Evaluate :math:`f_i(\vec x) = \prod_j \sum_k s_k A_{ijk} \sin(2\pi(k x_j B_{ijk} +
    C_{ijk}))` at the points ``X``.

    Parameters
    ----------
    X : array (n, D)
        Manifold coordinates.
    A, B, C : arrays (M, D, n_cut)
        The random Fourier parameters.
    s : array (n_cut,)
        The spectrum :func:`spectrum`.

    Returns
    -------
    ndarray (n, M)
    """
    n, D = X.shape
    M, _, n_cut = A.shape
    k = np.arange(1, n_cut + 1, dtype=np.float64)
    omega = 2.0 * np.pi * k * B          # (M, D, n_cut): angular frequencies of each term
    amp = s * A                          # (M, D, n_cut)
    phase = 2.0 * np.pi * C
    f = np.ones((n, M))
    rows = max(1, _BLOCK // (M * n_cut))  # samples per block: bounded memory
    for lo in range(0, n, rows):
        xb = X[lo:lo + rows]
        for j in range(D):
            arg = xb[:, j, None, None] * omega[None, :, j, :] + phase[None, :, j, :]
            f[lo:lo + rows] *= np.einsum("bik,ik->bi", np.sin(arg), amp[:, j, :])
    return f


def minmax_times(f, spike_window, eps=1e-7):
    r"""Spike times from embedding coordinates: each column min-max scaled into
    ``[0, spike_window)``,

    .. math::

        t_i = \tau_\mathrm{randman} \frac{f_i - \min f_i}{\max f_i - \min f_i + \epsilon},

    the minimum and maximum over the rows (a class's samples); ``eps`` keeps the largest time
    below the window (the reference code's ``standardize``).
    """
    lo, hi = f.min(axis=0), f.max(axis=0)
    return spike_window * (f - lo) / (hi - lo + eps)


def randman(n_classes=10, n_inputs=20, dim=1, alpha=1.0, samples_per_class=1000, steps=100,
            dt=1e-3, spike_window=0.05, seed=0, n_cut=1000, spectrum_kind="power",
            progress=True):
    r"""The random-manifold classification task of Zenke & Vogels (defaults: their §4.1.1).

    Parameters
    ----------
    n_classes : int
        Number of manifolds, one per class (>= 2).
    n_inputs : int
        Embedding dimension ``M``: input neurons, each firing once per sample (>= 1).
    dim : int
        Manifold dimension ``D`` (>= 1).
    alpha : float
        Smoothness: spectrum exponent (> 0).
    samples_per_class : int
        Points drawn per manifold (>= 10, so that each split holds every class).
    steps : int
        Time steps per sample.
    dt : float
        Time step in seconds.
    spike_window : float
        ``tau_randman``: spike times lie in ``[0, spike_window)``; at most ``steps * dt``.
    seed : int or numpy Generator
        Every random draw (module docstring).
    n_cut : int
        Number of Fourier terms (the paper's 1000).
    spectrum_kind : {"power", "shifted"}
        ``k**-alpha`` (paper, NumPy reference) or ``1/(k**alpha + 1)`` (torch/JAX reference).
    progress : bool
        A progress bar over the classes.

    Returns
    -------
    SpikeDataset
        ``x`` ``(n, steps, n_inputs)`` with exactly one spike per input neuron and sample;
        ``times`` the spike times in seconds before quantisation; ``source`` the manifold
        coordinates ``X`` ``(n, dim)``; splits ``train / valid / test`` of 80 / 10 / 10 % of
        each class; samples in a seeded random order.
    """
    n_classes = check_int("n_classes", n_classes, 2)
    n_inputs = check_int("n_inputs", n_inputs, 1)
    dim = check_int("dim", dim, 1)
    alpha = check_real("alpha", alpha, 0.0, np.inf, low_open=True, high_open=True)
    samples_per_class = check_int("samples_per_class", samples_per_class, 10)
    steps = check_int("steps", steps, 1)
    dt = check_real("dt", dt, 0.0, np.inf, low_open=True, high_open=True)
    spike_window = check_real("spike_window", spike_window, 0.0, np.inf, low_open=True,
                              high_open=True)
    if spike_window > steps * dt * (1 + 1e-12):
        raise ValueError(f"spike_window ({spike_window:g} s) must fit in steps * dt "
                         f"({steps} x {dt:g} s = {steps * dt:g} s)")
    n_cut = check_int("n_cut", n_cut, 1)
    s = spectrum(n_cut, alpha, spectrum_kind)
    progress = check_bool("progress", progress)
    if seed is None:
        raise TypeError("seed must be an int or a numpy Generator (None would not be "
                        "reproducible)")
    rng = as_rng(seed, "seed")

    from tqdm.std import tqdm

    times, coords = [], []
    for _ in tqdm(range(n_classes), disable=not progress, desc="randman", unit="class"):
        A, B, C = rng.random((3, n_inputs, dim, n_cut))
        X = rng.random((samples_per_class, dim))
        times.append(minmax_times(manifold(X, A, B, C, s), spike_window))
        coords.append(X)
    y = np.repeat(np.arange(n_classes), samples_per_class)
    splits = stratified_splits(y, FRACTIONS, rng)
    order = rng.permutation(y.size)                  # shuffled sample order ...
    new_index = np.argsort(order)                    # ... and where each old sample went
    splits = {k: np.sort(new_index[v]) for k, v in splits.items()}
    params = dict(n_classes=n_classes, n_inputs=n_inputs, dim=dim, alpha=alpha,
                  samples_per_class=samples_per_class, steps=steps, dt=dt,
                  spike_window=spike_window, seed=seed if isinstance(seed, int) else None,
                  n_cut=n_cut, spectrum_kind=spectrum_kind)
    return from_times(np.concatenate(times)[order], y[order], steps, dt,
                      source=np.concatenate(coords)[order], splits=splits,
                      classes=tuple(f"manifold {c}" for c in range(n_classes)),
                      name="randman", params=params)

r"""The Yin-Yang classification task (Kriener, Göltz & Petrovici 2021, arXiv 2102.08211).

A point ``p = (x, y)`` is drawn in the disc of radius :math:`R = r_\mathrm{big} = 1/2` centred
at :math:`c = (1/2, 1/2)`. With the two "eyes" :math:`c_L = (1/4, 1/2)` and
:math:`c_R = (3/4, 1/2)`, the distances :math:`d_L = |p - c_L|`, :math:`d_R = |p - c_R|` and
the dot radius :math:`r = r_\mathrm{small} = 1/10`, the published rule (the authors' code,
lkriener/yin_yang_data_set, ``which_class``) reads

.. math::

    \text{label}(p) = \begin{cases}
      2 & d_R < r \ \text{or}\ d_L < r \quad \text{(the two dots)}\\
      1 & d_R \le r \ \text{or}\ r < d_L \le R/2 \ \text{or}\ (y > 1/2 \ \text{and}\ d_R > R/2)\\
      0 & \text{otherwise.}
    \end{cases}

So label 1 is the upper half-disc without the right half-size disc ``|p - c_R| <= R/2``, plus
the left half-size disc: the two classes 0 and 1 meet on an S-curve of two half-circles of
radius ``R/2``, and each holds the other's dot as its eye. (The strict and non-strict
inequalities are the reference's; they differ only on the circles, a set of measure zero.)

Areas: each dot :math:`\pi r^2 = 0.01\pi`; labels 0 and 1 each
:math:`(\pi R^2 - 2\pi r^2)/2 = 0.115\pi`, equal because the point reflection
:math:`(x, y) \mapsto (1 - x, 1 - y)` through the centre swaps :math:`c_L` and :math:`c_R`
and the two half-planes, hence maps label 0 onto label 1 and each dot onto the other.

Names. The published labels are kept as numbers. The reference's class names are
``['yin', 'yang', 'dot']`` by index, so label 0 is "yin", 1 "yang", 2 "dot" (its README figure
colours 0 blue, 1 orange, 2 green), while the boolean inside its ``which_class`` that selects
label 1 is called ``is_yin``. This module names the classes by index, as ``class_names`` does.

Features: :math:`(x, y, 1 - x, 1 - y)`, the mirrored pair giving every input the same mean, so
that neurons without an intrinsic bias can learn the task.

Sampling (:func:`yin_yang`): balanced by rejection, as published: per sample a class is drawn
uniformly from {0, 1, 2}, then points uniform in ``[0, 1)^2`` until one falls in that class
(outside the disc counts as no class). The draws here are vectorised (see :func:`yin_yang`),
same distribution, not the same random numbers as the reference, so the published files are
not reproduced sample by sample, only their geometry (tests/test_yinyang.py checks published
points against :func:`yin_yang_class`).

Read next: refsnn/datasets/xor.py, the temporal XOR and the spike-time XOR of SpikeProp.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_real_array, as_rng, check_int
from .dataset import check_window, from_times

#: radius of the disc and of the dots (the published geometry)
R_BIG, R_SMALL = 0.5, 0.1
#: class names by label, as the reference's ``class_names`` (module docstring: the naming quirk)
CLASSES = ("yin", "yang", "dot")
#: label of a point outside the disc (:func:`yin_yang_class`)
OUTSIDE = -1
#: exact areas of the classes 0, 1, 2 (both dots together)
AREAS = ((np.pi * R_BIG ** 2 - 2 * np.pi * R_SMALL ** 2) / 2,) * 2 + (2 * np.pi * R_SMALL ** 2,)

#: the synaptic time constant the default spike times are measured in (Zenke & Vogels §4.2.1)
TAU_S = 5e-3
#: Göltz et al. 2021's encoding window and bias time, 0.15, 2 and 0.9 tau_s, in seconds
T_EARLY, T_LATE, T_BIAS = 0.75e-3, 10e-3, 4.5e-3
#: the reference's set sizes (its README: 5000 / 1000 / 1000 with seeds 42 / 41 / 40)
SIZES = {"train": 5000, "valid": 1000, "test": 1000}


def yin_yang_class(x, y):
    r"""The published class of the points ``(x, y)`` (module docstring for the rule).

    Parameters
    ----------
    x, y : arrays of the same shape (or broadcastable), finite
        Coordinates; the disc is ``(x - 1/2)^2 + (y - 1/2)^2 <= 1/4``.

    Returns
    -------
    ndarray of int64, the broadcast shape
        0, 1 or 2 inside the disc, :data:`OUTSIDE` (-1) outside it.
    """
    x = as_real_array(x, "x").astype(np.float64)
    y = as_real_array(y, "y").astype(np.float64)
    for name, a in (("x", x), ("y", y)):
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name} contains NaN or inf")
    try:
        x, y = np.broadcast_arrays(x, y)
    except ValueError:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}") \
            from None
    # distances written as in the reference, sqrt of the sum of squares
    d_right = np.sqrt((x - 1.5 * R_BIG) ** 2 + (y - R_BIG) ** 2)
    d_left = np.sqrt((x - 0.5 * R_BIG) ** 2 + (y - R_BIG) ** 2)
    label_1 = ((d_right <= R_SMALL) | ((d_left > R_SMALL) & (d_left <= 0.5 * R_BIG))
               | ((y > R_BIG) & (d_right > 0.5 * R_BIG)))
    label = np.where((d_right < R_SMALL) | (d_left < R_SMALL), 2, label_1.astype(np.int64))
    outside = np.sqrt((x - R_BIG) ** 2 + (y - R_BIG) ** 2) > R_BIG
    return np.where(outside, OUTSIDE, label).astype(np.int64)


def _points(n, rng):
    """``n`` points ``(n, 2)`` and their labels, balanced by rejection (see :func:`yin_yang`)."""
    goal = rng.integers(0, 3, size=n)
    need = np.bincount(goal, minlength=3)
    found = [[np.empty((0, 2))] for _ in range(3)]
    have = np.zeros(3, dtype=np.int64)
    p_square = np.array(AREAS)          # P(class k) for a point uniform in the unit square
    while np.any(have < need):
        short = np.max((need - have) / p_square)
        p = rng.random((int(1.2 * short) + 64, 2))
        label = yin_yang_class(p[:, 0], p[:, 1])
        for k in range(3):
            if have[k] < need[k]:
                found[k].append(p[label == k])
                have[k] += found[k][-1].shape[0]
    xy = np.empty((n, 2))
    for k in range(3):
        xy[goal == k] = np.concatenate(found[k])[:need[k]]
    return xy, goal.astype(np.int64)


def _streams(seed, k):
    """``k`` independent generators: the children ``np.random.default_rng(seed).spawn(k)``,
    spelled with ``SeedSequence`` for an int seed (any NumPy; a Generator needs >= 1.25)."""
    rng = as_rng(seed, "seed")
    if isinstance(seed, np.random.Generator):
        return rng.spawn(k)
    return [np.random.default_rng(c) for c in np.random.SeedSequence(int(seed)).spawn(k)]


def yin_yang(n=1000, seed=0):
    r"""``n`` samples of the Yin-Yang task: features ``X`` and labels ``y``.

    Rejection sampling as published: sample ``i`` gets a class :math:`c_i \sim
    \mathcal{U}\{0, 1, 2\}` and the first point uniform in ``[0, 1)^2`` whose
    :func:`yin_yang_class` is :math:`c_i`. Vectorised: the classes are drawn first; then
    batches of uniform points are drawn until every class has as many points as samples that
    asked for it, and the ``j``-th point of class ``c`` (in drawing order) goes to the ``j``-th
    sample that asked for ``c``. Given its class, each sample is a uniform point of that class's
    region, independent of the others: the distribution of the sequential procedure.

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    seed : int or numpy Generator
        Every random draw.

    Returns
    -------
    X : ndarray (n, 4), float64
        ``(x, y, 1 - x, 1 - y)``, each in ``[0, 1]``.
    y : ndarray (n,), int64
        Labels 0 ("yin"), 1 ("yang"), 2 ("dot"), numbered as the published data.
    """
    n = check_int("n", n, 1)
    xy, label = _points(n, as_rng(seed, "seed"))
    return np.column_stack([xy, 1.0 - xy]), label


def yin_yang_spikes(n_train=SIZES["train"], n_valid=SIZES["valid"], n_test=SIZES["test"],
                    seed=0, t_early=T_EARLY, t_late=T_LATE, t_bias=None, steps=200, dt=1e-4):
    r"""The Yin-Yang task as one spike per feature: seeded train / valid / test sets.

    Each feature :math:`f \in [0, 1]` of :func:`yin_yang` becomes one spike at

    .. math::

        t = t_\mathrm{early} + f\,(t_\mathrm{late} - t_\mathrm{early}),

    the encoding of Göltz, Kriener et al. 2021 ("Fast and deep", public code
    JulianGoeltz/fastAndDeep), whose defaults are ``t_early = 0.15 tau_s``, ``t_late = 2 tau_s``
    and a bias spike at ``0.9 tau_s``, simulated for ``4 tau_s``. Here in seconds with
    ``tau_s =`` :data:`TAU_S` ``= 5 ms`` (Zenke & Vogels' synaptic time constant, the library's
    default): 0.75 ms, 10 ms, optional bias :data:`T_BIAS` ``= 4.5 ms``, and a grid of 200 steps
    of 0.1 ms (20 ms = 4 tau_s). The grid limits what ``x`` can tell: the best accuracy any
    classifier reaches from the quantised steps of the four features is about 99.6% at 0.1 ms,
    97.6% at 0.5 ms and 93.2% at 1 ms (Monte Carlo over 2e6 samples, default window). For a
    model with time in units of tau_s (Mostafa 2018) use ``d.times / TAU_S``.

    The three sets come from three independent streams, ``np.random.default_rng(seed).spawn(3)``
    (train, valid, test): they share no sample, and each set does not depend on the others'
    sizes. (The reference draws them with three seeds, 42 / 41 / 40.)

    Parameters
    ----------
    n_train, n_valid, n_test : int
        Set sizes (>= 1; defaults the reference's 5000 / 1000 / 1000).
    seed : int or numpy Generator
    t_early, t_late : float
        Spike times in seconds of a feature 0 and a feature 1, ``0 <= t_early < t_late``.
    t_bias : float or None
        If given, a fifth input neuron spikes at ``t_bias`` (seconds, ``>= 0``) in every sample.
    steps, dt : int, float
        The time grid of ``x``; ``steps * dt`` must exceed ``t_late`` and ``t_bias``.

    Returns
    -------
    SpikeDataset
        ``x`` ``(n, steps, n_in)`` with one spike per input neuron in step ``floor(t / dt)``
        (``n = n_train + n_valid + n_test``, ``n_in`` 4, or 5 with the bias last); ``times``
        ``(n, n_in)`` in seconds; ``source`` the features ``(n, 4)``; ``y`` the labels; splits
        ``train``, ``valid``, ``test`` in this order; ``classes`` :data:`CLASSES`.
    """
    sizes = {"train": check_int("n_train", n_train, 1), "valid": check_int("n_valid", n_valid, 1),
             "test": check_int("n_test", n_test, 1)}
    t_early, t_late, t_bias, steps, dt = check_window(t_early, t_late, t_bias, steps, dt)
    streams = _streams(seed, 3)
    X, y, splits, start = [], [], {}, 0
    for (name, size), stream in zip(sizes.items(), streams):
        X_k, y_k = yin_yang(size, stream)
        X.append(X_k)
        y.append(y_k)
        splits[name] = np.arange(start, start + size)
        start += size
    X, y = np.concatenate(X), np.concatenate(y)
    times = t_early + X * (t_late - t_early)
    if t_bias is not None:
        times = np.column_stack([times, np.full(len(y), t_bias)])
    params = dict(n_train=sizes["train"], n_valid=sizes["valid"], n_test=sizes["test"],
                  seed=seed if isinstance(seed, (int, np.integer)) else None,
                  t_early=t_early, t_late=t_late, t_bias=t_bias, steps=steps, dt=dt,
                  tau_s=TAU_S)
    return from_times(times, y, steps, dt, source=X, splits=splits, classes=CLASSES,
                      name="yin_yang", params=params)

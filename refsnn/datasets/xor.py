r"""Exclusive or in spike timing: the temporal XOR and the spike-time XOR of SpikeProp.

Two input neurons fire one spike each, "early" or "late"; the four patterns, in the order of
:data:`PATTERNS` (0 early, 1 late), are

=======  =========  =========  =====================
pattern  input a    input b    label ``a XOR b``
=======  =========  =========  =====================
0        early      early      0 (same timing)
1        early      late       1 (different timing)
2        late       early      1
3        late       late       0
=======  =========  =========  =====================

* :func:`temporal_xor` -- the task of the tutorial's Fig. 6 (Neftci, Mostafa & Zenke; after
  Mostafa 2018): classify by the first of two output neurons to spike.
* :func:`spikeprop_xor` -- Bohte, Kok & La Poutré 2002: inputs at 0 or 6 ms, a bias ("reference
  start") input at 0 ms, and a desired output spike at 10 ms for different inputs and 16 ms for
  equal ones, stored in ``targets``.

No line separates the classes in the spike times: the two classes have the same centroid, the
midpoint ``((e + l)/2, (e + l)/2)`` of the square of times, so every affine function
``w . t + b`` has the same mean over both classes and cannot be positive on all of one and
negative on all of the other (a constant bias input changes nothing). A hidden layer is needed.

Both return a :class:`~refsnn.datasets.dataset.SpikeDataset` with the exact times (``times``,
seconds) for event-based models and the time-stepped spikes ``x`` (step ``floor(t / dt)``);
``n`` repeats the four patterns in a seeded random order for mini-batch training. The only
split is ``"train"``: the task is the four patterns themselves, and a network is judged on them.

Read next: refsnn/datasets/images.py, a small real image set (scikit-learn's digits).
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_int
from ..encoding import times_to_spikes
from .dataset import check_grid, check_window, from_times
from .yinyang import T_EARLY, T_LATE, TAU_S

#: the four patterns, one row each: (input a, input b), 0 early and 1 late
PATTERNS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.int64)
#: their labels, a XOR b
LABELS = PATTERNS[:, 0] ^ PATTERNS[:, 1]
#: class names by label
CLASSES = ("same", "different")

#: SpikeProp's encoding (Bohte et al. 2002, the XOR table): input times, bias time, targets
SPIKEPROP_EARLY, SPIKEPROP_LATE, SPIKEPROP_BIAS = 0.0, 6e-3, 0.0
#: desired output spike time for equal inputs (label 0) and for different inputs (label 1)
SPIKEPROP_TARGETS = (16e-3, 10e-3)


def _pattern_order(n, seed):
    """The pattern index of each sample: ``0..3`` once (``n`` None) or ``n`` in seeded order."""
    if n is None:
        return np.arange(4)
    n = check_int("n", n, 1)
    return as_rng(seed, "seed").permutation(np.arange(n) % 4)


def _check_separated(t_early, t_late, steps, dt):
    """ValueError unless early and late spikes fall in different steps of the grid."""
    k = times_to_spikes(np.array([[t_early, t_late]]), steps, dt)[0].argmax(axis=0)
    if k[0] == k[1]:
        raise ValueError(f"dt ({dt:g} s) is too coarse: the early ({t_early:g} s) and late "
                         f"({t_late:g} s) spikes fall into the same step {k[0]}")


def _xor_times(pattern, t_early, t_late, t_bias):
    """Spike times ``(n, 2)`` or ``(n, 3)`` of the patterns ``pattern`` (bias column last)."""
    t = np.where(PATTERNS[pattern] == 1, t_late, t_early).astype(np.float64)
    if t_bias is not None:
        t = np.column_stack([t, np.full(len(pattern), t_bias)])
    return t


def temporal_xor(t_early=T_EARLY, t_late=T_LATE, t_bias=None, n=None, seed=0, steps=200,
                 dt=1e-4):
    r"""The temporal XOR: two inputs, each one spike at ``t_early`` or ``t_late``.

    Pattern ``p`` (module table) has input spike times

    .. math::

        t_a = t_\mathrm{early} + a_p (t_\mathrm{late} - t_\mathrm{early}), \quad
        t_b = t_\mathrm{early} + b_p (t_\mathrm{late} - t_\mathrm{early}), \qquad
        y_p = a_p \oplus b_p,

    label 0 for equal timing (early/early, late/late), 1 for different timing. Tutorial Fig. 6
    (Neftci, Mostafa & Zenke, Eq. 18: non-leaky neurons, synaptic time constant 1) after
    Mostafa 2018. Defaults: the early and late times Göltz et al. 2021 use for their XOR and
    Yin-Yang inputs (fastAndDeep ``datasets.XOR``), ``0.15 tau_s`` and ``2 tau_s`` with
    ``tau_s = 5 ms`` (:data:`~refsnn.datasets.yinyang.TAU_S`): 0.75 ms and 10 ms; the grid 200
    steps of 0.1 ms (20 ms = 4 tau_s). In Mostafa's units (time in tau_s) use
    ``d.times / TAU_S``: 0.15 and 2.

    Parameters
    ----------
    t_early, t_late : float
        Spike times in seconds, ``0 <= t_early < t_late``, in different steps of the grid.
    t_bias : float or None
        If given, a third input neuron spikes at ``t_bias`` (seconds, ``>= 0``) in every pattern.
    n : int or None
        None: the four patterns once, in table order. An int: ``n`` samples, pattern ``i % 4``
        for ``i < n`` in an order shuffled with ``seed`` (each pattern ``n // 4`` or
        ``n // 4 + 1`` times).
    seed : int or numpy Generator
        The order when ``n`` is given.
    steps, dt : int, float
        The time grid of ``x``; ``steps * dt`` must exceed every spike time.

    Returns
    -------
    SpikeDataset
        ``times`` ``(n, 2)`` (or ``(n, 3)`` with the bias last) in seconds; ``x``
        ``(n, steps, n_in)``, one spike per input neuron; ``y`` ``(n,)`` labels; ``source``
        ``(n, 2)`` the pattern bits (0 early, 1 late); ``classes`` :data:`CLASSES`.
    """
    t_early, t_late, t_bias, steps, dt = check_window(t_early, t_late, t_bias, steps, dt)
    _check_separated(t_early, t_late, steps, dt)
    pattern = _pattern_order(n, seed)
    params = dict(t_early=t_early, t_late=t_late, t_bias=t_bias, n=n,
                  seed=seed if isinstance(seed, (int, np.integer)) else None, steps=steps,
                  dt=dt, tau_s=TAU_S)
    return from_times(_xor_times(pattern, t_early, t_late, t_bias), LABELS[pattern], steps, dt,
                      source=PATTERNS[pattern], splits={"train": np.arange(len(pattern))},
                      classes=CLASSES, name="temporal_xor", params=params)


def spikeprop_xor(n=None, seed=0, steps=250, dt=1e-4):
    r"""The spike-time XOR of SpikeProp (Bohte, Kok & La Poutré 2002), with desired output times.

    Three input neurons: ``a`` and ``b`` fire at 0 ms (bit 0) or 6 ms (bit 1), the bias
    neuron always at 0 ms; the single output neuron should fire at

    .. math::

        t^d = \begin{cases} 10\ \text{ms} & a \ne b \\ 16\ \text{ms} & a = b, \end{cases}

    i.e. (0, 0) -> 16 ms, (0, 6) -> 10 ms, (6, 0) -> 10 ms, (6, 6) -> 16 ms (Bohte et al.'s
    XOR table), so the earlier output spike means "different". Labels as :func:`temporal_xor`
    (1 = different). Default grid: 250 steps of 0.1 ms (25 ms, past the latest target).

    Parameters
    ----------
    n : int or None
        As :func:`temporal_xor`: the four patterns once, or ``n`` samples in seeded order.
    seed : int or numpy Generator
    steps, dt : int, float
        The time grid of ``x``; ``steps * dt`` must exceed 16 ms (the latest target), and
        ``dt`` must put 0 and 6 ms into different steps.

    Returns
    -------
    SpikeDataset
        ``times`` ``(n, 3)`` in seconds, columns ``(a, b, bias)``; ``x`` ``(n, steps, 3)``;
        ``targets`` ``(n, 1)`` desired output spike times in seconds; ``y`` labels; ``source``
        the pattern bits ``(n, 2)``.
    """
    steps, dt = check_grid(steps, dt, max(SPIKEPROP_TARGETS), "the latest target time")
    _check_separated(SPIKEPROP_EARLY, SPIKEPROP_LATE, steps, dt)
    pattern = _pattern_order(n, seed)
    targets = np.array(SPIKEPROP_TARGETS)[LABELS[pattern]][:, None]
    params = dict(n=n, seed=seed if isinstance(seed, (int, np.integer)) else None,
                  steps=steps, dt=dt)
    times = _xor_times(pattern, SPIKEPROP_EARLY, SPIKEPROP_LATE, SPIKEPROP_BIAS)
    return from_times(times, LABELS[pattern], steps, dt, source=PATTERNS[pattern],
                      targets=targets, splits={"train": np.arange(len(pattern))},
                      classes=CLASSES, name="spikeprop_xor", params=params)

r"""scikit-learn's 8x8 handwritten digits as spike trains: a small real image set.

``sklearn.datasets.load_digits`` ships 1797 images of 8 x 8 pixels with values ``0 .. 16``
(the UCI "optical recognition of handwritten digits" test set) inside the scikit-learn
package, so nothing downloads. scikit-learn is an optional dependency: the ``data`` extra,
``pip install "refsnn[data]"`` (and the ``dev`` extra).

Each image becomes 64 intensities ``x = pixel / 16`` in ``[0, 1]`` (row-major, pixel
``(row, col)`` is input ``8 row + col``), encoded by :mod:`refsnn.encoding`:

* ``encoding="rate"`` -- :func:`~refsnn.encoding.rate_encode`: Bernoulli spikes with
  probability ``max_prob * x`` per step (App. B.1 of "lessons from deep learning");
* ``encoding="latency"`` -- :func:`~refsnn.encoding.latency_encode` with ``normalize=True``:
  one spike per pixel brighter than ``threshold``, the faintest non-zero pixel
  (``ref_value = 1/16``) in the last step and brighter pixels earlier (App. B.2, Eq. 25, or
  the linear code). Blank pixels never spike.

Every draw comes from the generator seeded by ``seed``, in this order: the splits, then (rate
code) the spikes, so the two encodings of one seed share their splits. The samples keep
scikit-learn's order.

Read next: refsnn/datasets/toy.py, the two-groups toy task.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_int, check_real
from ..encoding import latency_times, normalized_tau, rate_encode
from .dataset import from_spikes, from_times, stratified_splits

#: the split of each class's samples (as randman's 800 / 100 / 100 of 1000)
FRACTIONS = {"train": 0.8, "valid": 0.1, "test": 0.1}

#: the encoders :func:`digits` offers
ENCODINGS = ("rate", "latency")

#: the largest pixel value of the set
PIXEL_MAX = 16

#: what to install when scikit-learn is missing
INSTALL_HINT = 'pip install "refsnn[data]"'


def load_images():
    """The 1797 images and their labels, straight from scikit-learn.

    Returns
    -------
    images : ndarray (1797, 8, 8), float64, values 0 .. 16
    labels : ndarray (1797,), int64, values 0 .. 9

    Raises
    ------
    ImportError
        If scikit-learn is not installed; the message names the extra to install.
    """
    try:
        from sklearn.datasets import load_digits
    except ImportError as exc:
        raise ImportError(f"datasets.digits needs scikit-learn, an optional dependency of "
                          f"refsnn: {INSTALL_HINT}") from exc
    d = load_digits()
    return np.asarray(d.images, dtype=np.float64), np.asarray(d.target, dtype=np.int64)


def digits(encoding="latency", steps=50, dt=1e-3, seed=0, max_prob=0.2, threshold=0.01,
           linear=False, ref_value=1.0 / PIXEL_MAX):
    r"""The 8x8 digits as a :class:`~refsnn.datasets.dataset.SpikeDataset` (module docstring).

    Parameters
    ----------
    encoding : {"rate", "latency"}
    steps : int
        Time steps per sample (>= 2).
    dt : float
        Time step in seconds (> 0).
    seed : int or numpy Generator
        The splits and the rate code's spikes.
    max_prob : float
        Rate code: spike probability per step of a white pixel, in ``(0, 1]``.
    threshold : float
        Latency code: ``theta``, pixels at or below it (linear: below it) never spike.
    linear : bool
        Latency code: the linear code ``t = tau (1 - x)`` instead of Eq. 25.
    ref_value : float
        Latency code: the intensity that lands in the last step (default: the faintest
        non-zero pixel, 1/16).

    Returns
    -------
    SpikeDataset
        ``x`` ``(1797, steps, 64)``; ``y`` the digit; ``classes`` ``"0" .. "9"``; ``source``
        the intensities ``(1797, 64)`` in ``[0, 1]``; ``times`` (latency code) the spike
        times in seconds (``inf``: none), else ``None``; splits ``train / valid / test`` of
        80 / 10 / 10 % of each class; ``params`` the arguments.
    """
    if encoding not in ENCODINGS:
        raise ValueError(f"encoding must be one of {ENCODINGS}, got {encoding!r}")
    steps = check_int("steps", steps, 2)
    dt = check_real("dt", dt, 0.0, np.inf, low_open=True, high_open=True)
    if seed is None:
        raise TypeError("seed must be an int or a numpy Generator (None would not be "
                        "reproducible)")
    rng = as_rng(seed, "seed")
    params = dict(encoding=encoding, steps=steps, dt=dt,
                  seed=seed if isinstance(seed, (int, np.integer)) else None)
    if encoding == "rate":
        max_prob = check_real("max_prob", max_prob, 0.0, 1.0, low_open=True)
        params.update(max_prob=max_prob)
    else:
        tau = normalized_tau(steps, threshold, linear, ref_value)   # validates all three
        params.update(threshold=threshold, linear=linear, ref_value=ref_value)
    images, y = load_images()
    v = images.reshape(len(y), -1) / PIXEL_MAX
    splits = stratified_splits(y, FRACTIONS, rng)
    fields = dict(source=v, splits=splits, classes=tuple(str(c) for c in range(10)),
                  name="digits", params=params)
    if encoding == "rate":
        return from_spikes(rate_encode(v, steps, rng, max_prob), y, dt, **fields)
    times = latency_times(v, tau, threshold, linear) * dt          # steps -> seconds
    return from_times(times, y, steps, dt, **fields)

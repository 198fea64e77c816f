r"""Yin-Yang with Mostafa's exact spike times: 4 features and a bias, one hidden layer, 3 outputs.

The task (:func:`refsnn.datasets.yin_yang_spikes`, Kriener et al.): each feature ``f`` of
``(x, y, 1 - x, 1 - y)`` is one spike at ``0.15 + 1.85 f`` and a bias input fires at 0.9 (in
units of ``tau_syn``: the dataset's Göltz et al. encoding, 0.75-10 ms and 4.5 ms, divided by
``tau_s = 5 ms``); the class (0 yin, 1 yang, 2 dot) is the output neuron that fires first.
Network: 5-120-3 of Mostafa's neurons (:mod:`refsnn.timing.mostafa`; 120 hidden as Göltz et al.
2021).

One run (:func:`run`): weights from :meth:`~refsnn.timing.mostafa.Network.init` (``mean = 2``,
``std = 1``) with ``seed``; mini-batches of 64 in an order seeded by ``[seed, 2]``; Adam with
``lr = 0.02``, multiplied by 0.9 after every epoch; the first-to-spike cross-entropy on ``z``,
the weight-sum penalty ``K = 1``, the gradient norm clipped to 1
(:func:`refsnn.timing.training.epoch`).

Budgets (the data set is fixed by ``data_seed = 1``):

* ``quick``: 200 / 100 / 200 samples (train / valid / test), 3 epochs, 2 seeds (the tests);
* ``small`` (the figure, ``make figures``): 2000 / 500 / 1000, 30 epochs, seeds 100-104;
* ``full``: the published 5000 / 1000 / 1000, 40 epochs, seeds 100-109.

How the setting was chosen: on seeds 0-2 with 2000 training samples of ``data_seed = 0``,
judged on its test split; so the reported runs use other seeds (100 on) and another data set
(``data_seed = 1``, none of whose samples the tuning saw). Tried: ``lr`` 0.003-0.02, batches of
32 and 64, 20 and 30 epochs, with and without the decay, 60 and 120 hidden neurons, ``K`` 0.1
and 1, and the loss on ``t`` instead of ``z`` (74-80%, against 89-95% on ``z`` after 20
epochs); the chosen one reached 98.3% there. About ten settings in all.

Published references (test accuracy), as the issue lists them: a shallow classifier (no hidden
layer) about 64%, an ANN about 98.7%, LIF time-to-first-spike networks about 96-97% (Kriener et
al. 2021, Göltz et al. 2021; the papers are not among the project's texts, so these numbers
are not re-checked here).

Recorded per epoch (epoch 0 = the initial network): the training cross-entropy (the median over
the epoch's batches), penalty and accuracy (means over the batches), the validation
accuracy, the fraction of silent hidden neurons (validation set); at the end the test accuracy,
the trained weights and the wall time.

Read next: refsnn/figures/yin_yang_timing.py, the figure drawn from these runs.
"""
from __future__ import annotations

import functools
import time

import numpy as np

from .. import datasets
from ..datasets.yinyang import T_BIAS, TAU_S
from ..optim import Adam
from ..timing import mostafa, training
from ..timing.first_spike_loss import first_spike_ce, weight_sum_penalty

NAME = "yin_yang_timing"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "yin_yang_timing"
#: the model and the optimiser
BASE = dict(hidden=120, mean=2.0, std=1.0, lr=0.02, decay=0.9, batch_size=64, on="z", K=1.0,
            clip=1.0, data_seed=1)
#: per size, the data and the epochs
BUDGET = {"quick": dict(n_train=200, n_valid=100, n_test=200, epochs=3),
          "small": dict(n_train=2000, n_valid=500, n_test=1000, epochs=30),
          "full": dict(n_train=5000, n_valid=1000, n_test=1000, epochs=40)}
SEEDS = {"quick": (100, 101), "small": tuple(range(100, 105)), "full": tuple(range(100, 110))}
SIZES = tuple(SEEDS)
#: published test accuracies, for the figure (module docstring)
REFERENCES = {"shallow classifier": 0.64, "ANN": 0.987, "LIF time-to-first-spike": 0.965}


@functools.lru_cache(maxsize=4)
def _data(n_train, n_valid, n_test, data_seed):
    d = datasets.yin_yang_spikes(n_train, n_valid, n_test, seed=data_seed, t_bias=T_BIAS)
    return {name: (d.split(name).times / TAU_S, d.split(name).y.copy())
            for name in ("train", "valid", "test")}


def data(config):
    """``{"train": (t, y), "valid": ..., "test": ...}``: input times ``(n, 5)`` in units of
    ``tau_syn`` (the bias last) and labels (cached: every seed trains on the same data)."""
    return _data(config["n_train"], config["n_valid"], config["n_test"], config["data_seed"])


def features_to_times(X):
    """Input times ``(n, 5)`` of features ``(n, 4)`` in ``[0, 1]``: the encoding of
    :func:`refsnn.datasets.yin_yang_spikes` in units of ``tau_syn``, with the bias (for the
    decision regions)."""
    t_early, t_late = datasets.yinyang.T_EARLY / TAU_S, datasets.yinyang.T_LATE / TAU_S
    t = t_early + np.asarray(X, dtype=float) * (t_late - t_early)
    return np.column_stack([t, np.full(len(t), T_BIAS / TAU_S)])


def run(config, seed):
    """Train one 5-120-3 network (module docstring); returns JSON-ready metrics: lists over
    epochs ``0..epochs`` (``epoch``, ``train_ce``, ``train_penalty``, ``train_accuracy``,
    ``val_accuracy``, ``silent_hidden``), ``test_accuracy``, ``W`` and ``seconds``."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    missing = [k for k in (*BASE, *BUDGET["small"]) if k not in config]
    if missing:
        raise ValueError(f"config lacks {missing} (start from an entry of sweep())")
    t0 = time.perf_counter()
    sets = data(config)
    (t_tr, y_tr), (t_va, y_va), (t_te, y_te) = sets["train"], sets["valid"], sets["test"]
    net = mostafa.Network.init([t_tr.shape[1], config["hidden"], 3], rng=int(seed),
                               mean=config["mean"], std=config["std"])
    opt = Adam(lr=config["lr"])
    order = np.random.default_rng([int(seed), 2])
    m = {k: [] for k in ("epoch", "train_ce", "train_penalty", "train_accuracy",
                         "val_accuracy", "silent_hidden")}

    def record(e, ce, penalty, acc):
        times = net.forward(t_va)
        for key, v in (("epoch", e), ("train_ce", ce), ("train_penalty", penalty),
                       ("train_accuracy", acc),
                       ("val_accuracy", training.accuracy(net, t_va, y_va)),
                       ("silent_hidden", float(np.mean(~np.isfinite(times[1]))))):
            m[key].append(v)

    initial = net.forward(t_tr)[-1]
    record(0, first_spike_ce(initial, y_tr, on=config["on"])[0],
           weight_sum_penalty(net.W, config["K"])[0], training.accuracy(net, t_tr, y_tr))
    for e in range(1, config["epochs"] + 1):
        opt.lr = config["lr"] * config["decay"] ** (e - 1)
        h = training.epoch(net, t_tr, y_tr, opt, config["batch_size"], order, on=config["on"],
                           K=config["K"], clip=config["clip"])
        record(e, h["ce"], h["penalty"], h["accuracy"])
    m.update(test_accuracy=training.accuracy(net, t_te, y_te), W=[w.tolist() for w in net.W],
             seconds=time.perf_counter() - t0)
    return m


def table(config, seed, metrics):
    """One CSV row per epoch of one run (the test accuracy on the last row)."""
    rows, last = [], len(metrics["epoch"]) - 1
    for i, e in enumerate(metrics["epoch"]):
        row = dict(seed=int(seed), epoch=e)
        for k in ("train_ce", "train_penalty", "train_accuracy", "val_accuracy",
                  "silent_hidden"):
            row[k] = metrics[k][i]
        row["test_accuracy"] = metrics["test_accuracy"] if i == last else ""
        row["seconds"] = metrics["seconds"] if i == last else ""
        rows.append(row)
    return rows


def sweep(size="small"):
    """``([config], seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    if size not in SEEDS:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    return [dict(BASE, **BUDGET[size], size=size)], list(SEEDS[size])

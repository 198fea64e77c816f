r"""BPTT against feedback alignment, DFA, sign-concordant FA and local errors, trained alike.

One run trains one network with one rule on one task (:func:`run`); the comparison is every
task x rule (:func:`configs`) for every seed (:data:`SEEDS`), with identical budgets. The rules
differ only in the spatial error each hidden layer ``l`` receives at its spikes
(:mod:`refsnn.grad.feedback`):

====================  ================================================================
``bptt``              :math:`W^{(l+1)\top} gI^{(l+1)}[n+1]`, the exact surrogate gradient
``fa``                :math:`B[l]^\top gI^{(l+1)}[n+1]`, ``B[l]`` fixed random, shape of ``W^(l+1)``
``dfa``               :math:`H[l]^\top gI_o[n+1]`, ``H[l]`` ``(n_out, n_l)`` fixed random
``sign_fa``           FA with :math:`B[l] = \mathrm{sign}(W^{(l+1)}) \circ |R[l]|`, re-derived
                      from the current ``W`` at every step, the magnitudes ``|R|`` fixed
``local``             :math:`G[l]^\top gI_r^{(l)}[n+1]`: each layer's own fixed readout
                      ``G[l]`` and loss (tutorial Eq. 19), no error between layers
``readout``           the control: none; only ``W_o`` learns (its exact gradient), the hidden
                      layers stay a fixed random spiking feature map
====================  ================================================================

A rule whose hidden updates help must beat the control.

Model and optimiser (:data:`BASE`), one setting per task, the same for every rule:

* randman (10 classes, 20 inputs, one spike each): 20-100-100-10, ``dt`` 1 ms, 100 steps,
  ``tau_syn`` 5 ms, ``tau_mem`` 10 ms, gain 7, Adam ``lr`` 2e-3, batches of 128 (the README's
  one-hidden-layer setting), max-over-time cross-entropy, the readout's initial ``W_o`` x 0.3;
* Yin-Yang (four features and a bias neuron, one spike each, at 0.75-10 ms and 4.5 ms):
  5-100-100-3, ``dt`` 0.1 ms, 200 steps (20 ms), the same time constants and gain, Adam ``lr``
  3e-4, batches of 32, sum-over-time cross-entropy, ``W_o`` x 0.05.

Why the readout scale, and the summed loss for Yin-Yang: with the library's initialisation
(docs/design.md §12.8) the initial readout's maxima were 1-6, and about 5 on Yin-Yang, where at
0.1 ms a current integrates over some 50 steps. The first Adam steps then pushed whole outputs
below zero for most samples, and a max-over-time output that stays at or below zero gets no
gradient (§12.7): such "dead outputs" left some seeds at chance, for BPTT as for the other
rules. The sum-over-time loss has no such dead zone.

How the setting was chosen: on BPTT alone, with seeds 10-17, never the reported ones (a few
first exploratory runs, one and two hidden layers, ``lr`` 2e-4 to 2e-3, used seed 0). Yin-Yang:
``lr`` 5e-5 to 1e-3, gain 5, 7 and 12, batches of 16 and 32, readout scales 0.02 to 1, both
losses (about 16 settings); randman: readout scales 0.3 and 1 with the max-over-time loss,
0.03 and 0.1 with the summed one. The other rules were not tuned.

Every random matrix is drawn like the forward weight it stands in for,
:math:`\mathcal{N}(0, (\mathrm{gain}(1-\beta))^2/n_\mathrm{pre})` (``random_feedback`` with
``gain * (1 - beta)``): for ``B`` the distribution of ``W^(l+1)`` at initialisation, for
``H, G`` that of ``W_o``. (With Adam the scale of ``B`` and ``H`` hardly matters; ``G`` is
a forward readout, so its scale sets the local logits.)

The networks have **two** hidden layers: with one, FA and DFA are the same rule (``B[0]`` and
``H[0]`` both stand in for ``W_o`` in the same place).

Seeds: ``seed`` draws the initial weights (the same network for every rule), the random
matrices (``default_rng([seed, 1])``) and the mini-batch order (``default_rng([seed, 2])``);
the data set is fixed by ``data_seed``.

Recorded per epoch (epoch 0 = before training): the training loss and accuracy (epoch 0: of
the initial network on the training set; later: the mean over the epoch's mini-batches, as
:class:`refsnn.train.History`), validation loss and accuracy, and the angle
(:func:`refsnn.grad.alignment`, degrees) between each hidden layer's update ``W[l]`` and BPTT's
gradient on the same trace of a fixed validation batch (0 for BPTT itself, NaN for the
control, which has no hidden update); for ``local``
also each local readout's validation accuracy. At the end: test loss and accuracy, the local
readouts' test accuracies, the mean spikes per hidden neuron and sample, and the wall time.

Read next: refsnn/figures/feedback_alignment.py, the figure drawn from these runs.
"""
from __future__ import annotations

import functools
import time

import numpy as np

from .. import datasets
from ..grad import (alignment, bptt, direct_feedback_alignment, feedback_alignment, local_errors,
                    random_feedback, sign_concordant)
from ..grad.bptt import readout_adjoints, weight_gradient
from ..lif import LIFParams
from ..network import Network
from ..optim import Adam
from ..trace import Grads
from ..train import LOSSES, evaluate, train

NAME = "feedback_comparison"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "feedback_alignment"
RULES = ("bptt", "fa", "dfa", "sign_fa", "local", "readout")
LABELS = {"bptt": "BPTT", "fa": "FA", "dfa": "DFA", "sign_fa": "sign-concordant FA",
          "local": "local errors", "readout": "readout only (control)"}
TASKS = ("randman", "yin_yang")
#: seeds per size: >= 3 for the small and full comparisons
SEEDS = {"quick": (0, 1), "small": (0, 1, 2), "full": (0, 1, 2)}
SIZES = tuple(SEEDS)

#: per task, what every size shares: the model and the optimiser (the same for every rule)
BASE = {
    "randman": dict(task="randman", n_classes=10, n_inputs=20, steps=100, dt=1e-3,
                    tau_syn=5e-3, tau_mem=1e-2, hidden=(100, 100), gain=7.0, readout_scale=0.3,
                    loss="max_over_time_ce", lr=2e-3,
                    batch_size=128, data_seed=0, align_batch=128),
    "yin_yang": dict(task="yin_yang", n_classes=3, n_inputs=5, steps=200, dt=1e-4,
                     tau_syn=5e-3, tau_mem=1e-2, hidden=(100, 100), gain=7.0, readout_scale=0.05,
                     loss="sum_over_time_ce", lr=3e-4,
                     batch_size=32, data_seed=0, align_batch=128),
}
#: per size and task, the budget: data set size and epochs (and a smaller alignment batch for
#: the quick version the figure tests run)
BUDGET = {
    "quick": {"randman": dict(samples_per_class=20, epochs=1, align_batch=32),
              "yin_yang": dict(n_train=64, n_valid=32, n_test=32, epochs=1, align_batch=32)},
    "small": {"randman": dict(samples_per_class=150, epochs=10),
              "yin_yang": dict(n_train=800, n_valid=300, n_test=300, epochs=6)},
    "full": {"randman": dict(samples_per_class=1000, epochs=20),
             "yin_yang": dict(n_train=5000, n_valid=1000, n_test=1000, epochs=20)},
}


def configs(size="small", tasks=TASKS, rules=RULES):
    """The run configurations of one comparison: a list of dicts, task-major, one per
    ``(task, rule)``; each holds everything :func:`run` needs besides the seed."""
    if size not in BUDGET:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    for name, given, valid in (("tasks", tasks, TASKS), ("rules", rules, RULES)):
        bad = [v for v in given if v not in valid]
        if bad or not given:
            raise ValueError(f"{name} must be a non-empty subset of {valid}, got {given!r}")
    out = []
    for task in tasks:
        for rule in rules:
            out.append(dict(BASE[task], **BUDGET[size][task], rule=rule, size=size))
    return out


def _frozen(config, keys):
    return tuple((k, config[k]) for k in keys)


@functools.lru_cache(maxsize=4)
def _dataset(key):
    c = dict(key)
    if c["task"] == "randman":
        return datasets.randman(n_classes=c["n_classes"], n_inputs=c["n_inputs"],
                                samples_per_class=c["samples_per_class"], steps=c["steps"],
                                dt=c["dt"], seed=c["data_seed"], progress=False)
    return datasets.yin_yang_spikes(c["n_train"], c["n_valid"], c["n_test"], seed=c["data_seed"],
                                    t_bias=datasets.yinyang.T_BIAS, steps=c["steps"], dt=c["dt"])


def dataset(config):
    """The config's task as a :class:`~refsnn.datasets.SpikeDataset` (cached: every rule and
    seed of a comparison trains on the same data). Randman: ``n_classes`` manifolds of
    ``samples_per_class``, split 80/10/10. Yin-Yang: four features and a bias neuron as one spike
    each (:func:`refsnn.datasets.yin_yang_spikes`, the bias at 4.5 ms)."""
    if config["task"] == "randman":
        keys = ("task", "n_classes", "n_inputs", "samples_per_class", "steps", "dt", "data_seed")
    elif config["task"] == "yin_yang":
        keys = ("task", "n_train", "n_valid", "n_test", "steps", "dt", "data_seed")
    else:
        raise ValueError(f"config['task'] must be one of {TASKS}, got {config['task']!r}")
    return _dataset(_frozen(config, keys))


def network(config, seed):
    """The initial network: ``[n_inputs, *hidden, n_classes]``, feed-forward, subtractive reset,
    SuperSpike surrogate (scale 10), weights ``N(0, (gain (1 - beta))^2 / n_pre)`` from
    ``seed``, the readout's ``W_o`` then multiplied by ``readout_scale``."""
    p = LIFParams.from_taus(dt=config["dt"], tau_syn=config["tau_syn"],
                            tau_mem=config["tau_mem"])
    sizes = [config["n_inputs"], *config["hidden"], config["n_classes"]]
    net = Network.init(sizes, p, rng=seed, gain=config["gain"])
    net.W[-1] *= config["readout_scale"]
    return net


def feedback_matrices(config, net, seed):
    """The rule's fixed random matrices (module docstring: drawn like the forward weights)."""
    rule = config["rule"]
    if rule in ("bptt", "readout"):
        return None
    kind = {"fa": "fa", "sign_fa": "fa", "dfa": "dfa", "local": "local"}[rule]
    scale = config["gain"] * (1.0 - net.params.beta)
    M = random_feedback(net, kind, np.random.default_rng([seed, 1]), gain=scale)
    if kind == "fa":
        M[-1] = M[-1] * config["readout_scale"]        # B[-1] stands in for W_o
        return M
    return [m * config["readout_scale"] for m in M]    # H, G: drawn like W_o


def gradient_rule(rule, M, loss):
    """``grad_fn(net, trace, d_readout, labels) -> Grads`` for :func:`refsnn.train.train`: the
    rule with its fixed matrices ``M`` (only local errors uses the labels)."""
    if rule == "bptt":
        return lambda net, trace, d, labels: bptt(net, trace, d)
    if rule == "fa":
        return lambda net, trace, d, labels: feedback_alignment(net, trace, d, M)
    if rule == "sign_fa":  # the sign follows the current W at every step
        return lambda net, trace, d, labels: feedback_alignment(net, trace, d,
                                                                sign_concordant(net, M))
    if rule == "dfa":
        return lambda net, trace, d, labels: direct_feedback_alignment(net, trace, d, M)
    if rule == "local":
        return lambda net, trace, d, labels: local_errors(net, trace, loss, labels, M)[0]
    if rule == "readout":
        return lambda net, trace, d, labels: readout_only(net, trace, d)
    raise ValueError(f"rule must be one of {RULES}, got {rule!r}")


def readout_only(net, trace, d_readout):
    """The control: BPTT's exact ``dW_o``, zero for every hidden weight (the hidden layers stay
    as initialised, a fixed random spiking feature map)."""
    gW_o = weight_gradient(readout_adjoints(net, trace, d_readout), trace.S[-1])
    zeros = [np.zeros_like(w) for w in net.W[:-1]]
    return Grads(W=zeros + [gW_o.astype(net.dtype, copy=False)],
                 V=[None if v is None else np.zeros_like(v) for v in net.V])


def hidden_angles(net, grad_fn, loss, x, y):
    """Angle (degrees) of each hidden layer's update ``W[l]`` to BPTT's on ``(x, y)``."""
    trace = net.simulate(x, spike="hard")
    _, d = loss(trace.readout, y)
    angles = alignment(grad_fn(net, trace, d, y), bptt(net, trace, d))
    return [angles[f"W[{l}]"] for l in range(net.n_hidden_layers)]


def local_accuracies(net, G, predict, split, chunk=250):
    """Accuracy of each hidden layer's local readout ``G[l]`` on a split (local errors)."""
    correct = np.zeros(len(G))
    for start in range(0, len(split.y), chunk):
        xb, yb = split.x[start:start + chunk], split.y[start:start + chunk]
        trace = net.simulate(xb, spike="hard")
        for l, G_l in enumerate(G):
            correct[l] += np.sum(predict(net.leaky_readout(trace.S[l], G_l)[1]) == yb)
    return [float(c) / len(split.y) for c in correct]


def hidden_spikes(net, x, chunk=250):
    """Mean spikes per hidden neuron and sample, per layer, on ``x``."""
    total = np.zeros(net.n_hidden_layers)
    for start in range(0, len(x), chunk):
        trace = net.simulate(x[start:start + chunk], spike="hard")
        total += [s.sum() / s.shape[2] for s in trace.S]
    return [float(t) / len(x) for t in total]


def run(config, seed):
    """Train one network with ``config['rule']`` on ``config['task']``; returns the metrics.

    Parameters
    ----------
    config : dict
        One entry of :func:`configs` (task, rule, model, optimiser, budget).
    seed : int
        Initial weights, random matrices and mini-batch order (module docstring).

    Returns
    -------
    dict
        JSON-ready: lists over epochs ``0..epochs`` (``epoch``, ``train_loss``,
        ``train_accuracy``, ``val_loss``, ``val_accuracy``, ``angle`` (one list per hidden layer),
        ``local_val_accuracy`` (one list per hidden layer; ``local`` only)), and
        ``test_loss``, ``test_accuracy``, ``local_test_accuracy``, ``hidden_spikes``,
        ``seconds``.
    """
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if config.get("task") not in TASKS:
        raise ValueError(f"config['task'] must be one of {TASKS}, got {config.get('task')!r}")
    rule = config.get("rule")
    if rule not in RULES:
        raise ValueError(f"config['rule'] must be one of {RULES}, got {rule!r}")
    missing = [k for k in (*BASE[config["task"]], *BUDGET["small"][config["task"]])
               if k not in config]
    if missing:
        raise ValueError(f"config lacks {missing} (start from an entry of configs())")
    t0 = time.perf_counter()
    data = dataset(config)
    tr, va, te = data.split("train"), data.split("valid"), data.split("test")
    x_align, y_align = va.x[:config["align_batch"]], va.y[:config["align_batch"]]
    net = network(config, int(seed))
    M = feedback_matrices(config, net, int(seed))
    loss, predict = LOSSES[config["loss"]]
    grad_fn = gradient_rule(rule, M, loss)
    optimizer = Adam(lr=config["lr"])
    shuffle = np.random.default_rng([int(seed), 2])
    L = net.n_hidden_layers
    m = {"epoch": [], "train_loss": [], "train_accuracy": [], "val_loss": [],
         "val_accuracy": [], "angle": [[] for _ in range(L)],
         "local_val_accuracy": [[] for _ in range(L)] if rule == "local" else None}

    def record(epoch, train_loss, train_acc):
        m["epoch"].append(epoch)
        m["train_loss"].append(train_loss)
        m["train_accuracy"].append(train_acc)
        vl, vacc = evaluate(net, va, loss=loss, batch_size=250, predict=predict)
        m["val_loss"].append(vl)
        m["val_accuracy"].append(vacc)
        for l, a in enumerate(hidden_angles(net, grad_fn, loss, x_align, y_align)):
            m["angle"][l].append(a)
        if rule == "local":
            for l, a in enumerate(local_accuracies(net, M, predict, va)):
                m["local_val_accuracy"][l].append(a)

    record(0, *evaluate(net, tr, loss=loss, batch_size=250, predict=predict))
    for epoch in range(1, config["epochs"] + 1):
        h = train(net, tr, loss=loss, optimizer=optimizer, epochs=1,
                  batch_size=config["batch_size"], rng=shuffle, progress=False, grad_fn=grad_fn,
                  predict=predict)
        record(epoch, h.loss[0], h.accuracy[0])
    m["test_loss"], m["test_accuracy"] = evaluate(net, te, loss=loss, batch_size=250,
                                                  predict=predict)
    m["local_test_accuracy"] = local_accuracies(net, M, predict, te) if rule == "local" else None
    m["hidden_spikes"] = hidden_spikes(net, te.x)
    m["seconds"] = time.perf_counter() - t0
    return m


def table(config, seed, metrics):
    """One CSV row per epoch of one run (angles and local accuracies one column per layer;
    the test results on the last epoch's row, empty on the others)."""
    rows = []
    last = len(metrics["epoch"]) - 1
    for i, epoch in enumerate(metrics["epoch"]):
        row = dict(task=config["task"], rule=config["rule"], seed=int(seed), epoch=epoch)
        for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            row[k] = metrics[k][i]
        for l, a in enumerate(metrics["angle"]):
            row[f"angle_W{l}"] = a[i]
        for l in range(len(metrics["angle"])):
            loc = metrics["local_val_accuracy"]
            row[f"local_val_accuracy_{l}"] = "" if loc is None else loc[l][i]
        for k in ("test_loss", "test_accuracy"):
            row[k] = metrics[k] if i == last else ""
        loc = metrics["local_test_accuracy"]
        for l in range(len(metrics["angle"])):
            row[f"local_test_accuracy_{l}"] = "" if (loc is None or i != last) else loc[l]
        row["seconds"] = metrics["seconds"] if i == last else ""
        rows.append(row)
    return rows


def sweep(size="small"):
    """``(configs, seeds)`` of the comparison of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SEEDS[size])


r"""What the reproductions of Zenke & Vogels (2021) share: the task, the model, one training run.

"The remarkable robustness of surrogate gradient learning" trains the same small network on
the same random-manifold task again and again while changing one thing: the surrogate's
shape and scale (Fig. 3, :mod:`~refsnn.experiments.surrogate_shape_scale`), the reset and the
recurrence through which the surrogate's scale is compounded (Fig. 5,
:mod:`~refsnn.experiments.reset_and_scale`), an activity regulariser (Fig. 9,
:mod:`~refsnn.experiments.sparse_activity`), the readout on a second data set (Fig. 6b,
:mod:`~refsnn.experiments.digits_latency`). This module is that common part.

**Task** (§4.1.1): randman with 10 classes, :math:`M = 20` inputs, :math:`D = \alpha = 1`,
each input firing once in a 50 ms window of 100 steps of 1 ms, ``samples_per_class`` per class
split 80/10/10 (the paper: 1000 per class, 8k/1k/1k); the data set is fixed by ``data_seed``.

**Model** (§4.2), the paper's where refsnn has the option (docs/design.md §12.8): one hidden
layer of 100 current-based LIF neurons, ``tau_syn`` 5 ms, ``tau_mem`` 10 ms, the input gain
:math:`1 - \beta` and the zero reset of Eq. 4.1,

.. math::

    U^{(l)}[n+1] = \left(\beta U^{(l)}[n] + (1 - \beta) I^{(l)}[n]\right)
        \left(1 - S^{(l)}[n]\right),

with the reset detached (``detach_reset``: the factor :math:`1 - S[n]` acts but passes no
gradient, the paper's "Ctl") unless a config says otherwise; the readout a leaky integrator
with its own time constant, ``tau_readout`` 20 ms, and the same input gain (§4.2.2); the
max-over-time (``max_over_time_ce``) or sum-over-time cross-entropy (§4.2.4); Adam with its
default parameters (§4.2.6).

One departure: the initial weights. The printed rule (§4.2.3),
:math:`W \sim \mathcal{U}(-1/\sqrt{n}, 1/\sqrt{n})` (``init="uniform"``), leaves the hidden
layer of this task silent. A randman input is 20 single spikes spread over 50 ms, and the
membrane, a low-pass filter of :math:`I` with unit gain, could reach the threshold only if most
of them arrived within a few ms through weights near the largest, :math:`1/\sqrt{20}`
(:math:`|I| \le \sum_j |W_{ij}| \le \sqrt{20}`); measured on the training set of seed 0: no
hidden spike, largest :math:`U` 0.46. A silent layer gives a readout that
is 0 at every step, so the max-over-time logits sit at step 0, where nothing depends on a
weight, and every gradient is exactly 0 (``tests/test_zenke_vogels.py``): such a network never
learns. The experiments use SpyTorch's rule instead (the paper's example code,
``init="normal"``, ``gain`` 7: :math:`W \sim \mathcal{N}(0, 7^2/n)`, with which the membrane
potentials are those of the library's default model), and the readout's initial weights are
not rescaled (``readout_scale`` 1). With the input gain :math:`1 - \beta` the weights are in
the paper's units, and so are the learning rates (the paper: best :math:`\eta` 0.05 on randman,
Table 1).

Adam is invariant to a constant factor on a parameter's gradient (up to its ``eps``). With the
reset detached and no recurrence the surrogate derivative :math:`\sigma'` enters each hidden
layer's gradient once per layer crossed, so a constant factor on :math:`\sigma'` changes nothing:
the library's ``sigmoid`` (:math:`\beta s(1-s)`, the exact derivative of :math:`s(\beta x)`)
trains exactly as the paper's Sigmoid' (:math:`s(1-s)`, peak 1/4) does. The scale matters only
where :math:`\sigma'` is compounded, through a differentiable reset or recurrence (Fig. 5).

**A run** (:func:`fit`): ``seed`` draws the initial weights and the mini-batch order
(``default_rng([seed, 2])``); every epoch is followed by a validation pass; at the end the
test loss and accuracy, the hidden activity on the test set (spikes of the whole hidden
population per input, the x-axis of Fig. 9) and the largest :math:`|U - \vartheta|` a hidden
neuron reached there. A gradient that is not finite stops training (``diverged``) with the last
finite weights, which are then evaluated.

**No hidden layer** (the control of Fig. 3c): the readout driven by the input spikes directly,
:math:`I_o[n+1] = \alpha I_o[n] + W_o x[n]`, :math:`U_o[n+1] = \beta_\mathrm{out} U_o[n] +
(1 - \beta_\mathrm{out}) I_o[n]`. It is
linear in :math:`W_o`, :math:`U_o = \tilde x W_o^\top` with :math:`\tilde x` the inputs filtered
by the same kernel (:meth:`refsnn.Network.leaky_readout` with the identity), so its exact
gradient is :math:`\partial L/\partial W_o = \sum_{b,n} (\partial L / \partial U_o[b, n])^\top
\tilde x[b, n]` (:func:`fit_without_hidden`).

Read next: refsnn/experiments/surrogate_shape_scale.py, the first experiment built on this.
"""
from __future__ import annotations

import time

import numpy as np

from .. import losses
from ..datasets import minibatch_indices
from ..grad import bptt
from ..grad.bptt import backward_sweep, gradients_from_adjoints
from ..lif import LIFParams
from ..network import Network
from ..optim import Adam
from ..trace import check_spike_grads, check_trace
from ..train import LOSSES, evaluate, train
from . import feedback_comparison as fc

#: the randman setting (§4.1.1, Table 1) and the model (§4.2) every experiment starts from
BASE = dict(task="randman", n_classes=10, n_inputs=20, steps=100, dt=1e-3, data_seed=0,
            tau_syn=5e-3, tau_mem=1e-2, tau_readout=2e-2, input_gain="1-beta",
            reset="zero", detach_reset=True, hidden=(100,), recurrent=False,
            recurrent_gradient="bptt", init="normal", gain=7.0, recurrent_gain=None,
            readout_scale=1.0,
            surrogate="superspike", scale=10.0, loss="max_over_time_ce", lr=2e-3,
            batch_size=128, upper=None, lower=None)
#: how the recurrent path is differentiated: fully ("bptt", the paper's "Prop") or not at all
#: ("detached": the recurrent input V S[n] is a constant, the paper's "Ctl" of Fig. 5e)
RECURRENT_GRADIENTS = ("bptt", "detached")
#: the keys a config must have besides BASE's (the budget)
BUDGET_KEYS = ("samples_per_class", "epochs")


class Diverged(ArithmeticError):
    """A gradient that is not finite (the run stops with the last finite weights)."""


def check_config(config, seed, extra=()):
    """TypeError / ValueError naming what is wrong with ``config`` or ``seed``."""
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    missing = [k for k in (*BASE, *BUDGET_KEYS, *extra) if k not in config]
    if missing:
        raise ValueError(f"config lacks {missing} (start from an entry of the experiment's "
                         "configs())")
    if config["loss"] not in ("max_over_time_ce", "sum_over_time_ce"):
        raise ValueError(f"config['loss'] must be 'max_over_time_ce' or 'sum_over_time_ce', "
                         f"got {config['loss']!r}")
    if config["recurrent_gradient"] not in RECURRENT_GRADIENTS:
        raise ValueError(f"config['recurrent_gradient'] must be one of {RECURRENT_GRADIENTS}, "
                         f"got {config['recurrent_gradient']!r}")


def dataset(config):
    """The randman data set of ``config`` (cached; :func:`feedback_comparison.dataset`)."""
    return fc.dataset(config)


def params(config):
    """The hidden layers' :class:`~refsnn.LIFParams` of ``config``."""
    return LIFParams.from_taus(dt=config["dt"], tau_syn=config["tau_syn"],
                               tau_mem=config["tau_mem"], reset=config["reset"],
                               detach_reset=config["detach_reset"],
                               input_gain=config["input_gain"])


def readout_beta(config):
    r"""The readout's membrane decay :math:`\beta_\mathrm{out} = \exp(-\Delta t /
    \tau_\mathrm{readout})` (§4.2.2), None for the hidden layers' (``tau_readout`` None)."""
    tau = config["tau_readout"]
    return None if tau is None else float(np.exp(-config["dt"] / tau))


def network(config, seed):
    """The initial network ``[n_inputs, *hidden, n_classes]`` of ``config`` from ``seed``
    (module docstring), with ``config['recurrent']`` recurrence in every hidden layer."""
    sizes = [config["n_inputs"], *config["hidden"], config["n_classes"]]
    net = Network.init(sizes, params(config), recurrent=bool(config["recurrent"]),
                       surrogate=(config["surrogate"], config["scale"]), rng=int(seed),
                       gain=config["gain"], recurrent_gain=config["recurrent_gain"],
                       init=config["init"],
                       readout_beta=readout_beta(config))
    net.W[-1] *= config["readout_scale"]
    return net


def bptt_detached_recurrence(net, trace, d_readout=None, *, gS_ext=None):
    r"""BPTT with the recurrent input treated as a constant: the term :math:`V^\top gI[n+1]`
    of the hidden adjoint :math:`gS[n]` is dropped, so no error flows back through the
    recurrent synapses (PyTorch: ``V @ S[n].detach()``), while :math:`V` itself still learns,
    :math:`\partial L/\partial V = \sum_{b,n} gI[n+1] S[n]^\top`.

    Equal to BPTT of the feed-forward network whose input is ``[x, S]`` (the recorded hidden
    spikes as extra inputs) through ``[W, V]`` (``tests/test_zenke_vogels.py``).
    """
    check_trace(net, trace)
    gS_ext = check_spike_grads(gS_ext, trace)
    d = np.zeros_like(trace.readout) if d_readout is None else d_readout
    shadow = Network(net.W, [None] * len(net.V), net.params, net.surrogate, dtype=net.dtype,
                     readout_alpha=net.readout_alpha, readout_beta=net.readout_beta)
    gI, gI_o = backward_sweep(shadow, trace, d, net.W, gS_ext=gS_ext)
    return gradients_from_adjoints(net, trace, gI, gI_o)


def gradient_rule(config):
    """``grad_fn(net, trace, d_readout, gS_ext=None) -> Grads`` for :func:`refsnn.train`: BPTT
    (or :func:`bptt_detached_recurrence`) that raises :class:`Diverged` on a non-finite entry."""
    rule = bptt if config["recurrent_gradient"] == "bptt" else bptt_detached_recurrence

    def grad_fn(net, trace, d_readout, *, gS_ext=None):
        g = rule(net, trace, d_readout, gS_ext=gS_ext or None)
        if not all(np.all(np.isfinite(a)) for a in g.W + [v for v in g.V if v is not None]):
            raise Diverged("a gradient entry is not finite")
        return g
    return grad_fn


def objective(config):
    """The loss of ``config`` with its regularisers on the hidden layers (§4.2.5):
    ``config['upper']`` ``{"lam", "v_upper", "L"}`` (:func:`refsnn.losses.upper_bound`, on
    each hidden layer's mean count per neuron) and ``config['lower']`` ``{"lam", "v_lower"}``
    (:func:`refsnn.losses.lower_bound`), each None for none."""
    regs = []
    for l in range(len(config["hidden"])):
        if config["upper"] is not None:
            regs.append((l, losses.upper_bound, dict(config["upper"])))
        if config["lower"] is not None:
            regs.append((l, losses.lower_bound, dict(config["lower"])))
    return losses.Objective(LOSSES[config["loss"]][0], regularisers=tuple(regs))


def activity(net, x, chunk=250):
    """``(spikes, max_distance)``: the mean number of spikes of all hidden neurons together per
    input (Fig. 9's x-axis) and the largest :math:`|U - \\vartheta|` of any hidden neuron, on
    ``x`` ``(B, T, n_in)``."""
    total, far = 0.0, 0.0
    for start in range(0, len(x), chunk):
        trace = net.simulate(x[start:start + chunk], spike="hard")
        total += float(sum(s.sum() for s in trace.S))
        far = max(far, max(float(np.abs(u - net.params.threshold).max()) for u in trace.U))
    return total / len(x), far


def _new_metrics():
    return {"epoch": [], "train_loss": [], "train_accuracy": [], "val_loss": [],
            "val_accuracy": []}


def fit(config, seed, data=None):
    """Train the network of ``config`` from ``seed`` (module docstring); returns the metrics.

    ``data``: the :class:`~refsnn.datasets.SpikeDataset` with splits ``train``, ``valid``,
    ``test`` (default :func:`dataset`, randman).

    Returns
    -------
    dict
        JSON-ready: per epoch ``0..epochs`` (0: the initial network; fewer after a divergence)
        ``epoch``, ``train_loss`` and ``train_accuracy`` (epoch 0: on the training set; then
        the means over the epoch's mini-batches, :class:`refsnn.train.History`), ``val_loss``,
        ``val_accuracy`` (of the supervised loss alone); ``test_loss``, ``test_accuracy``,
        ``hidden_spikes`` (all hidden neurons' spikes per test input),
        ``initial_hidden_spikes``, ``max_distance`` (:func:`activity`), ``diverged`` (the
        epoch in which a gradient was not finite, or None), ``seconds``.
    """
    if not config["hidden"]:
        return fit_without_hidden(config, seed, data)
    t0 = time.perf_counter()
    data = dataset(config) if data is None else data
    tr, va, te = data.split("train"), data.split("valid"), data.split("test")
    net = network(config, seed)
    obj = objective(config)
    sup, predict = LOSSES[config["loss"]]
    grad_fn = gradient_rule(config)
    optimizer = Adam(lr=config["lr"])
    shuffle = np.random.default_rng([int(seed), 2])
    m = _new_metrics()
    m["initial_hidden_spikes"] = activity(net, te.x)[0]

    def record(epoch, train_loss, train_acc):
        m["epoch"].append(epoch)
        m["train_loss"].append(train_loss)
        m["train_accuracy"].append(train_acc)
        vl, vacc = evaluate(net, va, loss=sup, batch_size=250, predict=predict)
        m["val_loss"].append(vl)
        m["val_accuracy"].append(vacc)

    record(0, *evaluate(net, tr, loss=obj, batch_size=250))
    m["diverged"] = None
    for epoch in range(1, config["epochs"] + 1):
        try:
            h = train(net, tr, loss=obj, optimizer=optimizer, epochs=1,
                      batch_size=config["batch_size"], rng=shuffle, progress=False,
                      grad_fn=grad_fn)
        except Diverged:
            m["diverged"] = epoch
            break
        record(epoch, h.loss[0], h.accuracy[0])
    m["test_loss"], m["test_accuracy"] = evaluate(net, te, loss=sup, batch_size=250,
                                                  predict=predict)
    m["hidden_spikes"], m["max_distance"] = activity(net, te.x)
    m["seconds"] = time.perf_counter() - t0
    return m


def filtered_input(config, x):
    r""":math:`\tilde x` ``(B, T, n_in)``: the inputs ``x`` filtered by the readout's kernel
    (:meth:`refsnn.Network.leaky_readout` with the identity), so that the readout of the
    network without hidden layer is :math:`U_o = \tilde x W_o^\top`."""
    n = config["n_inputs"]
    readout = Network([np.zeros((1, n)), np.zeros((1, 1))], [None], params(config),
                      readout_beta=readout_beta(config)).readout_params
    probe = Network([np.zeros((1, n)), np.zeros((1, 1))], [None], readout)
    return probe.leaky_readout(x, np.eye(n))[1]


def fit_without_hidden(config, seed, data=None):
    """:func:`fit` for the network without hidden layer (module docstring), trained with its
    exact gradient and Adam; the same metrics (the hidden activity 0)."""
    t0 = time.perf_counter()
    data = dataset(config) if data is None else data
    sup, predict = LOSSES[config["loss"]]
    splits = {s: (filtered_input(config, data.split(s).x), data.split(s).y)
              for s in ("train", "valid", "test")}
    # drawn as the readout of a network with a hidden layer of n_inputs neurons
    W_o = network(dict(config, hidden=(config["n_inputs"],), surrogate="superspike",
                       scale=10.0), seed).W[-1]
    optimizer = Adam(lr=config["lr"])
    shuffle = np.random.default_rng([int(seed), 2])

    def scored(xf, y):
        value, d = sup(xf @ W_o.T, y)
        return value, d, float(np.mean(predict(xf @ W_o.T) == y))

    m = _new_metrics()
    m["initial_hidden_spikes"] = 0.0
    m["epoch"].append(0)
    for key, split in (("train", "train"), ("val", "valid")):
        value, _, acc = scored(*splits[split])
        m[f"{key}_loss"].append(float(value))
        m[f"{key}_accuracy"].append(acc)
    xt, yt = splits["train"]
    for epoch in range(1, config["epochs"] + 1):
        total, correct = 0.0, 0.0
        for idx in minibatch_indices(len(yt), config["batch_size"], shuffle):
            value, d, acc = scored(xt[idx], yt[idx])
            total += float(value) * len(idx)
            correct += acc * len(idx)
            optimizer.step([W_o], [np.einsum("btk,btj->kj", d, xt[idx])])
        m["epoch"].append(epoch)
        m["train_loss"].append(total / len(yt))
        m["train_accuracy"].append(correct / len(yt))
        value, _, acc = scored(*splits["valid"])
        m["val_loss"].append(float(value))
        m["val_accuracy"].append(acc)
    value, _, acc = scored(*splits["test"])
    m.update(test_loss=float(value), test_accuracy=acc, hidden_spikes=0.0, max_distance=None,
             diverged=None, seconds=time.perf_counter() - t0)
    return m


def top_k(results, select, k=5, key="val_accuracy"):
    """The ``k`` best configs among those ``select(config)`` accepts, ranked by the mean over
    seeds of the final ``key`` (validation accuracy: the paper's model selection on held-out
    data); returns ``[(config index, mean final key, test accuracies over seeds)]``, best
    first, ties broken by config order."""
    scored = []
    for i, c in enumerate(results["configs"]):
        if not select(c):
            continue
        runs = [r["metrics"] for r in results["runs"] if r["config"] == i]
        if runs:
            val = float(np.mean([m[key][-1] for m in runs]))
            scored.append((i, val, [m["test_accuracy"] for m in runs]))
    scored.sort(key=lambda s: (-s[1], s[0]))
    return scored[:k]


def epoch_rows(config, seed, metrics, keys):
    """CSV rows of one run, one per epoch: ``keys`` of the config, the seed, the curves; the
    end results on the last row (empty on the others)."""
    rows = []
    last = len(metrics["epoch"]) - 1
    for i, epoch in enumerate(metrics["epoch"]):
        row = {k: config[k] for k in keys}
        row.update(seed=int(seed), epoch=epoch)
        for k in ("train_loss", "train_accuracy", "val_loss", "val_accuracy"):
            row[k] = metrics[k][i]
        for k in ("test_loss", "test_accuracy", "hidden_spikes", "initial_hidden_spikes",
                  "max_distance", "diverged", "seconds"):
            v = metrics.get(k)
            row[k] = ("" if v is None else v) if i == last else ""
        rows.append(row)
    return rows


__all__ = ["BASE", "Diverged", "activity", "bptt_detached_recurrence", "check_config",
           "dataset", "epoch_rows", "filtered_input", "fit", "fit_without_hidden",
           "gradient_rule", "network", "objective", "params", "top_k"]

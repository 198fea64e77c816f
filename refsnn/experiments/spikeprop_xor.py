r"""The spike-time XOR of SpikeProp (Bohte, Kok & La Poutré 2002), trained from many seeds.

The task (:func:`refsnn.datasets.spikeprop_xor`, times in ms): inputs ``a, b`` fire at 0 or
6 ms, a bias neuron at 0 ms; the output should fire at 10 ms for ``a != b`` and 16 ms for
``a = b``. The network is Bohte et al.'s: 3-5-1, every connection 16 synaptic terminals with
delays 1..16 ms, alpha kernels with ``tau = 7`` ms, one inhibitory hidden neuron (hidden
neuron 4: its weights to the output are negative and kept so, the other four's positive;
input weights free), threshold 1, the first spike of each neuron. Training is Bohte's: online
gradient descent, one update per pattern in a seeded random order per epoch, learning rate
0.01, on the exact spike-time gradient of :mod:`refsnn.timing.spikeprop` (no clipping of
``u'(t_j)``), until the error of the four patterns
:math:`\mathrm{SSE} = \tfrac12 \sum_p (t_p - t_p^d)^2 < 1\ \mathrm{ms}^2` (Bohte's stopping
criterion), or ``max_epochs``.

Choices not taken from the paper (its text is not among this project's sources): the initial
weights, uniform in ``[0, 1) x 10 theta / (n_pre K)`` (:meth:`refsnn.timing.spikeprop.Network.init`,
chosen so that every neuron fires for every pattern at the start), ``t_max`` = 50 ms, and the
sign constraint as a projection (a weight that would cross zero is set to 0).

Seeds: ``seed`` draws the initial weights (``rng=seed``) and the order of the patterns in each
epoch (``default_rng([seed, 1])``). Recorded: the SSE before each epoch (epoch 0 = initial
network), the epochs to convergence (``None`` if not), the final spike times of the hidden and
output neurons for the four patterns, how many hidden (pattern, neuron) pairs are silent, the
wall time.

Measured (README, "Experiments"): 18 of 20 seeds converge (``small``, median 45 epochs), 93 of
100 (``full``, median 44, quartiles 35 and 52); six of the seven failures are an output neuron
that fell silent for every pattern, which has no spike time and so no gradient. Runs of
hundreds of epochs are sensitive to rounding (the order in which terminals with equal onsets
are summed).

Read next: refsnn/figures/spikeprop_xor.py, the figure drawn from these runs.
"""
from __future__ import annotations

import time

import numpy as np

from .. import datasets
from ..timing import spikeprop

NAME = "spikeprop_xor"
FIGURE = "spikeprop_xor"
SEEDS = {"quick": (0, 1), "small": tuple(range(20)), "full": tuple(range(100))}
SIZES = tuple(SEEDS)
#: the model and the optimiser (module docstring)
BASE = {"sizes": [3, 5, 1], "delays": [float(d) for d in range(1, 17)], "tau": 7.0,
        "theta": 1.0, "t_max": 50.0, "inhibitory": [[4]], "low": 0.0, "high": 1.0,
        "gain": 10.0, "lr": 0.01, "stop_sse": 1.0, "min_slope": None}
MAX_EPOCHS = {"quick": 60, "small": 2000, "full": 2000}


def configs(size="small"):
    """The one configuration of the sweep (the budget depends on ``size``)."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {SIZES}, got {size!r}")
    return [dict(BASE, max_epochs=MAX_EPOCHS[size])]


def sweep(size="small"):
    """``(configs, seeds)`` of the ``size`` sweep."""
    return configs(size), SEEDS[size]


def task():
    """``(t_in, t_target)`` of the four patterns in ms: ``(4, 3)`` and ``(4, 1)``."""
    d = datasets.spikeprop_xor()
    return d.times * 1e3, d.targets * 1e3


def network(config, seed):
    """The initial network of ``seed``."""
    return spikeprop.Network.init(config["sizes"], rng=int(seed), delays=config["delays"],
                                  tau=config["tau"], theta=config["theta"],
                                  t_max=config["t_max"], inhibitory=config["inhibitory"],
                                  low=config["low"], high=config["high"], gain=config["gain"])


def train(config, seed):
    """Train the network of ``seed``; returns ``(initial network, trained network, sse)``."""
    t_in, target = task()
    net = network(config, seed)
    start = spikeprop.Network(net.W, net.delays, net.tau, net.theta, net.t_max, net.sign)
    order = np.random.default_rng([int(seed), 1])
    sse = []
    for epoch in range(config["max_epochs"] + 1):
        sse.append(spikeprop.spike_time_error(net.forward(t_in)[-1], target)[0])
        if sse[-1] < config["stop_sse"] or epoch == config["max_epochs"]:
            break
        for p in order.permutation(len(t_in)):  # online: one update per pattern
            times = net.forward(t_in[p:p + 1])
            _, d_t = spikeprop.spike_time_error(times[-1], target[p:p + 1])
            net.step(net.backward(times, d_t, min_slope=config["min_slope"]), config["lr"])
    return start, net, sse


def run(config, seed):
    """One training run (module docstring); JSON-ready metrics."""
    if not isinstance(config, dict) or any(k not in config for k in (*BASE, "max_epochs")):
        raise ValueError("config must be an entry of configs()")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    t0 = time.perf_counter()
    _, net, sse = train(config, seed)
    times = net.forward(task()[0])
    converged = sse[-1] < config["stop_sse"]
    return {"sse": [float(v) for v in sse], "converged": bool(converged),
            "epochs": len(sse) - 1 if converged else None,
            "t_out": times[-1][:, 0].tolist(), "t_hidden": times[1].tolist(),
            "silent_hidden": int(np.sum(~np.isfinite(times[1]))),
            "seconds": time.perf_counter() - t0}


def table(config, seed, metrics):
    """One CSV row per run."""
    return [{"seed": int(seed), "converged": metrics["converged"],
             "epochs": metrics["epochs"] if metrics["converged"] else "",
             "final_sse": metrics["sse"][-1], "silent_hidden": metrics["silent_hidden"],
             **{f"t_out_{p}": t for p, t in enumerate(metrics["t_out"])},
             "seconds": metrics["seconds"]}]


def summary(results):
    """``(converged, runs, median epochs of the converged runs or None)`` of a sweep."""
    epochs = [r["metrics"]["epochs"] for r in results["runs"] if r["metrics"]["converged"]]
    return len(epochs), len(results["runs"]), (float(np.median(epochs)) if epochs else None)

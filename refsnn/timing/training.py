r"""Training Mostafa's network: one gradient step, an epoch of mini-batches, accuracy.

One step on a mini-batch ``(t_b, y_b)`` of input spike times and labels::

    times = net.forward(t_b)                                    # exact spike times
    ce, d_t = first_spike_ce(times[-1], y_b, on=on)             # first-to-spike loss
    grads = net.backward(times, d_t).W                          # exact gradient (Eq. 3)
    P, d_P = weight_sum_penalty(net.W, K)                       # keeps neurons firing
    g = clip_norm([a + b for a, b in zip(grads, d_P)], clip)    # see below
    optimizer.step(net.parameters(), g)

**Why the gradient norm is clipped.** ``dt_out/dw`` carries ``1/(S_C - 1)``: it diverges for a
neuron whose causal set barely exceeds the threshold, that is a neuron about to fall silent or
to start firing. One such step is enough to fill Adam's second-moment estimate for some
``1/(1 - beta2) = 1000`` steps and stall the layers below. Scaling the whole gradient down to
a norm of ``clip`` (default 1) when it is larger removes those steps. On the temporal XOR
(seeds 0-19, the settings of :mod:`refsnn.experiments.temporal_xor`) it raised the fraction of
seeds that reach 100% from 18/20 to 20/20. Mostafa normalised the gradient for the same
purpose (as a public re-implementation has it; the paper is not among the project's texts);
clipping leaves small gradients alone.

Read next: refsnn/experiments/temporal_xor.py and refsnn/experiments/yin_yang_timing.py, the two
tasks trained with it.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_int, check_real
from ..datasets.dataset import minibatch_indices
from ..optim import Optimizer
from .first_spike_loss import first_spike_ce, predict, weight_sum_penalty
from .mostafa import Network, check_times


def clip_norm(grads, max_norm):
    """``grads`` scaled by ``min(1, max_norm / ||grads||)`` (the norm over every array).

    Parameters
    ----------
    grads : list of ndarrays
    max_norm : float or None
        ``None``: no clipping.

    Returns
    -------
    list of ndarrays (new arrays), and the norm before clipping as a float
    """
    norm = float(np.sqrt(sum(float(np.sum(g * g)) for g in grads)))
    scale = 1.0 if max_norm is None or norm <= max_norm else max_norm / norm
    return [g * scale for g in grads], norm


def step(net, t_in, labels, optimizer, on="z", K=1.0, clip=1.0):
    """One gradient step (module docstring) on a batch; returns ``(ce, penalty, accuracy)``.

    Parameters
    ----------
    net : refsnn.timing.mostafa.Network
        Updated in place.
    t_in : array (batch, n_in)
        Input spike times in units of ``tau_syn``.
    labels : int array (batch,)
    optimizer : refsnn.optim.Optimizer
    on : {"z", "t"}
        The variable of the first-to-spike loss (:func:`first_spike_ce`).
    K : float
        Strength of the weight-sum penalty.
    clip : float or None
        Largest gradient norm (None: no clipping).

    Returns
    -------
    ce : float
        The batch's first-to-spike cross-entropy (``inf`` if a target output was silent).
    penalty : float
    accuracy : float
        Of the forward pass the step used.
    """
    times = net.forward(t_in)
    ce, d_t = first_spike_ce(times[-1], labels, on=on)
    grads = net.backward(times, d_t).W
    penalty, d_p = weight_sum_penalty(net.W, K)
    g, _ = clip_norm([a + b for a, b in zip(grads, d_p)], clip)
    optimizer.step(net.parameters(), g)
    return ce, penalty, float(np.mean(predict(times[-1]) == labels))


def accuracy(net, t_in, labels):
    """Fraction of samples whose first output spike is the label's (a silent output layer
    counts as wrong)."""
    return float(np.mean(predict(net.forward(t_in)[-1]) == np.asarray(labels)))


def epoch(net, t_in, labels, optimizer, batch_size, rng, **options):
    """One pass over ``(t_in, labels)`` in seeded mini-batches (:func:`step` on each).

    Parameters
    ----------
    net, optimizer : as :func:`step`
    t_in : array (n, n_in)
    labels : int array (n,)
    batch_size : int
    rng : numpy Generator or int
        The order of the samples (:func:`refsnn.datasets.minibatch_indices`).
    **options
        ``on``, ``K``, ``clip`` of :func:`step`.

    Returns
    -------
    dict
        ``ce`` (median over the batches: a batch with a silent target has ``inf``),
        ``penalty`` and ``accuracy`` (means over the batches).
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a mostafa.Network, got {type(net).__name__}")
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a refsnn.optim optimiser, got "
                        f"{type(optimizer).__name__}")
    t_in = check_times(t_in, net.sizes[0])
    labels = np.asarray(labels)
    if labels.shape != (len(t_in),):
        raise ValueError(f"labels must have shape ({len(t_in)},), got {labels.shape}")
    batch_size = check_int("batch_size", batch_size, 1)
    if options.get("clip") is not None:
        check_real("clip", options["clip"], 0.0, low_open=True)
    rows = [step(net, t_in[b], labels[b], optimizer, **options)
            for b in minibatch_indices(len(t_in), batch_size, as_rng(rng))]
    ce, penalty, acc = (np.array(c) for c in zip(*rows))
    return {"ce": float(np.median(ce)), "penalty": float(penalty.mean()),
            "accuracy": float(acc.mean())}

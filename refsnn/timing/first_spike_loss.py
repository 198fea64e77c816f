r"""The first-to-spike code: its cross-entropy, its prediction, and the penalty that keeps
neurons firing (Mostafa 2018; tutorial §V-C).

The class is the output neuron that fires first. The loss is a softmax cross-entropy whose
logits are the negative output spike times, in one of two variables:

.. math::

    L = -\frac{1}{B} \sum_b \log \frac{e^{-x_{b,y_b}}}{\sum_k e^{-x_{b,k}}}, \qquad
    x = z = e^{t} \ (\texttt{on="z"}, \text{default}) \quad\text{or}\quad
    x = t \ (\texttt{on="t"}),

with ``p = softmax(-x)`` and

.. math::

    \frac{\partial L}{\partial t_{b,k}} = -\frac{1}{B}(p_{b,k} - [k = y_b])
    \frac{\partial x_{b,k}}{\partial t_{b,k}}, \qquad
    \frac{\partial x}{\partial t} = z \ (\texttt{on="z"}), \ 1 \ (\texttt{on="t"}).

Why ``z`` by default: it is Mostafa's loss (the softmax over ``-z_out``; his paper is not among
the project's texts, a public re-implementation cites it as his Eq. 11), and his network is
linear in ``z`` within a causal set, so the loss is a plain softmax cross-entropy of a
piecewise-linear function of the inputs' ``z``. ``on="t"`` is the form of later work (Göltz et
al. 2021 divide ``t`` by a temperature); it does not depend on when the sample starts, while the
``z`` loss weighs the same time difference more at later times (``z_j - z_y = e^{t_y}
(e^{t_j - t_y} - 1)``).

Silent outputs (``t = inf``) are treated as spiking at ``t_silent`` (default ``inf``,
probability 0) and get no gradient. If the target itself is silent the sample's loss is
``+inf`` at ``t_silent = inf``; its gradient is still the finite limit, the formula above with
``p_y = 0``: ``dL/dt_k = -p_k (dx_k/dt_k) / B < 0`` for every other output, which pushes the
competitors later. A finite ``t_silent`` keeps the value finite.

Measured (``refsnn.experiments``): on Yin-Yang the loss on ``t`` reached 74-80% where the loss
on ``z`` reached 89-95% with the same budget; on the temporal XOR it solved fewer seeds.

**Keeping neurons firing.** A neuron whose causal set does not exist has no gradient; once
every neuron of a layer is silent for a sample, nothing reaches the layers below. Mostafa's
weight-sum cost pushes the sum of each neuron's input weights above the threshold,

.. math::

    P = K \sum_l \sum_i \max\Big(0,\ \vartheta - \sum_j W^{(l)}_{ij}\Big), \qquad
    \frac{\partial P}{\partial W^{(l)}_{ij}} = -K\, \Big[\sum_j W^{(l)}_{ij} < \vartheta\Big],

with ``theta = 1``: a neuron whose weights from the inputs that spiked sum above 1 fires
(:mod:`refsnn.timing.mostafa`, "Consequences"). It is the only penalty used here; Göltz et al.'s
term that pulls the correct output early is not implemented.

Read next: refsnn/timing/stepped.py, the same neurons on the time grid of refsnn.lif.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_real_array, check_real

#: the variables the logits can be taken in
VARIABLES = ("z", "t")


def _labels(labels, batch, n_out):
    y = as_real_array(labels, "labels")
    if y.dtype.kind not in "iu" or y.shape != (batch,):
        raise ValueError(f"labels must be {batch} integer class indices, got dtype {y.dtype} "
                         f"and shape {y.shape}")
    if y.size and (y.min() < 0 or y.max() >= n_out):
        raise ValueError(f"labels must lie in [0, {n_out - 1}]")
    return y.astype(np.int64)


def _times(t_out):
    t = np.array(as_real_array(t_out, "t_out"), dtype=np.float64)
    if t.ndim != 2 or 0 in t.shape:
        raise ValueError(f"t_out must have shape (batch, n_out), got {t.shape}")
    if np.isnan(t).any() or np.isneginf(t).any():
        raise ValueError("t_out must hold spike times or inf (silent), not NaN or -inf")
    return t


def first_spike_ce(t_out, labels, on="z", t_silent=np.inf):
    """The first-to-spike cross-entropy and ``dL/dt_out`` (module docstring).

    Parameters
    ----------
    t_out : array (batch, n_out)
        Output spike times, ``inf`` for a silent output.
    labels : int array (batch,)
    on : {"z", "t"}
        The logits are ``-exp(t)`` (Mostafa's) or ``-t``.
    t_silent : float or inf
        The time a silent output counts as (no gradient flows to it).

    Returns
    -------
    value : float
        The mean over the batch (``inf`` if a target is silent and ``t_silent`` is inf).
    d_t_out : ndarray (batch, n_out)
        ``dL/dt_out``, finite, 0 at silent outputs.
    """
    t = _times(t_out)
    y = _labels(labels, *t.shape)
    if not isinstance(on, str) or on not in VARIABLES:
        raise ValueError(f"on must be one of {VARIABLES}, got {on!r}")
    if not (isinstance(t_silent, float) and t_silent == np.inf):
        t_silent = check_real("t_silent", t_silent)
    silent = ~np.isfinite(t)
    t_eff = np.where(silent, t_silent, t)
    with np.errstate(over="ignore"):
        x = np.exp(t_eff) if on == "z" else t_eff                  # the variable of the logits
    a = -x                                                         # logits, -inf if silent
    top = np.max(a, axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)                     # every output silent
    e = np.exp(a - top)
    total = e.sum(axis=1, keepdims=True)
    batch = t.shape[0]
    rows = np.arange(batch)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p_y = np.where(np.isfinite(a[rows, y]),
                           a[rows, y] - top[:, 0] - np.log(total[:, 0]), -np.inf)
    value = float(-np.mean(log_p_y))
    p = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    onehot = np.zeros_like(p)
    onehot[rows, y] = 1.0
    dx_dt = np.where(silent, 0.0, np.exp(np.where(silent, 0.0, t)) if on == "z" else 1.0)
    return value, -(p - onehot) * dx_dt / batch                   # dL/da = (p - 1_y)/B, da = -dx


def predict(t_out):
    """The class of each sample: the output that spikes first (``-1`` if all are silent).

    Parameters
    ----------
    t_out : array (batch, n_out)

    Returns
    -------
    ndarray (batch,), int64
        ``argmin_k t_out[b, k]``; an exact tie goes to the lower index.
    """
    t = _times(t_out)
    return np.where(np.isfinite(t).any(axis=1), np.argmin(t, axis=1), -1).astype(np.int64)


def weight_sum_penalty(W, K=1.0, theta=1.0):
    """Mostafa's weight-sum cost ``K sum max(0, theta - sum_j W_ij)`` and its gradient.

    Parameters
    ----------
    W : list of arrays (n_post, n_pre)
        The weights of every layer (``net.W``).
    K : float
        Strength, ``>= 0``.
    theta : float
        The threshold the weight sums should exceed (1 in Mostafa's model).

    Returns
    -------
    value : float
    grads : list of ndarrays
        ``dP/dW[l]``, the shapes of ``W``.
    """
    K, theta = check_real("K", K, 0.0), check_real("theta", theta)
    if not isinstance(W, (list, tuple)):
        raise TypeError("W must be a list of weight arrays")
    value, grads = 0.0, []
    for l, w in enumerate(W):
        w = np.asarray(as_real_array(w, f"W[{l}]"), dtype=np.float64)
        if w.ndim != 2:
            raise ValueError(f"W[{l}] must be 2-D, got shape {w.shape}")
        short = theta - w.sum(axis=1)                                  # > 0: sum below theta
        value += K * float(np.maximum(short, 0.0).sum())
        grads.append(np.repeat(np.where(short > 0, -K, 0.0)[:, None], w.shape[1], axis=1))
    return value, grads

r"""Runners of an STDP rule over given spike trains: on the time grid, and in continuous time.

* :func:`run` -- binary trains ``pre`` ``(T, n_pre)`` and ``post`` ``(T, n_post)`` on a grid of
  step ``dt``: step ``n`` is time ``n dt``. The traces decay by the exact factor
  ``exp(-dt/tau)`` per step (:mod:`refsnn.stdp.kernels`), so for spikes on the grid the result
  is the continuous-time rule's, to rounding.
* :func:`run_times` -- spike *times* per neuron, any real numbers. Between events the traces
  decay by ``exp(-(t_k - t_{k-1})/tau)``, the exact solution: no grid, so a spike off the
  grid (``delta_t = 7.3137 ms`` on a 1 ms grid, say) gives the analytic window exactly. On the
  grid such a time would first be moved to its step ``floor(t/dt)`` (refsnn's one quantisation
  rule, :func:`refsnn.encoding.times_to_spikes`), which changes ``delta_t`` by up to ``dt``.

Both apply the same step (:func:`refsnn.stdp.kernels.step`); for spike times that are whole
multiples of ``dt`` they agree to rounding (tested).

Read next: refsnn/stdp/theory.py, the closed forms the runners are checked against.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..checks import as_finite_array, as_real_array, check_int, check_real
from .kernels import event_kernel, grid_kernel
from .rules import as_rule


@dataclass(frozen=True)
class History:
    """Snapshots of a run.

    Attributes
    ----------
    steps : ndarray (K,) int
        The step at whose start each snapshot was taken (``T``: after the last step).
    t : ndarray (K,)
        ``steps * dt``.
    W : ndarray (K, n_post, n_pre)
        The weights in effect at the start of each step ``steps[k]``.
    R, O : ndarray (K, 2, n_pre), (K, 2, n_post)
        The presynaptic traces ``[r1, r2]`` and the postsynaptic ``[o1, o2]`` at the same
        moments (after the previous step's spikes, before this step's decay). The pair rule
        keeps only ``r1 = x`` and ``o1 = y``; its second rows stay 0.
    """

    steps: np.ndarray
    t: np.ndarray
    W: np.ndarray
    R: np.ndarray
    O: np.ndarray


def check_weights(rule, W0, shape=None, name="W0"):
    """``W0`` as a float64 copy ``(n_post, n_pre)`` inside the rule's bounds; else raise."""
    W = np.array(as_finite_array(W0, name, shape=shape if shape else (None, None)),
                 dtype=np.float64, order="C", copy=True)
    if W.size and (W.min() < rule.w_min or W.max() > rule.w_max):
        raise ValueError(f"{name} must lie within the rule's bounds [{rule.w_min:g}, "
                         f"{rule.w_max:g}], got values in [{W.min():g}, {W.max():g}]")
    return W


def spike_train(s, name, T=None, n=None):
    """A binary spike train as float64 ``(T, n)`` (C-contiguous); ValueError naming ``name``."""
    s = as_finite_array(s, name, shape=(T, n))
    if not np.all((s == 0.0) | (s == 1.0)):
        raise ValueError(f"{name} must be binary spikes (0 or 1)")
    return s


def snapshot_steps(T, record_every):
    """The steps of the snapshots: every ``record_every`` steps from 0, and always ``T``;
    ``None``: ``[0, T]``."""
    if record_every is None:
        return np.array([0, T], dtype=np.int64)
    r = check_int("record_every", record_every, 1)
    return np.unique(np.append(np.arange(0, T, r, dtype=np.int64), T))


def run(rule, W0, pre, post, dt, record_every=None):
    r"""Apply ``rule`` over the binary trains ``pre`` and ``post`` on a grid of step ``dt``.

    Parameters
    ----------
    rule : PairSTDP or TripletSTDP
    W0 : array (n_post, n_pre)
        Initial weights ``W[post, pre]``, within ``[rule.w_min, rule.w_max]`` (not modified).
    pre : array (T, n_pre)
        Presynaptic spikes, 0 or 1; ``pre[n, j] = 1``: neuron ``j`` spikes at ``t = n dt``.
    post : array (T, n_post)
        Postsynaptic spikes, 0 or 1, same ``T``.
    dt : float
        The step (> 0), in the unit of the rule's time constants.
    record_every : int, optional
        Snapshot the weights and traces every ``record_every`` steps (and at the end); default
        only at the start and the end. ``K`` snapshots cost ``K n_post n_pre`` floats.

    Returns
    -------
    W_T : ndarray (n_post, n_pre)
        The weights after the last step (a new array).
    history : History
        The snapshots.

    The traces start at zero. Within a step: decay, then the step's spikes change the weights,
    then they join the traces; a pre and a post spike in the same step do not interact
    (:mod:`refsnn.stdp.kernels`).
    """
    rule = as_rule(rule)
    W = check_weights(rule, W0)
    n_post, n_pre = W.shape
    pre = spike_train(pre, "pre", None, n_pre)
    post = spike_train(post, "post", pre.shape[0], n_post)
    d = rule.decays(dt)
    T = pre.shape[0]
    steps = snapshot_steps(T, record_every)
    K = steps.shape[0]
    R, O = np.zeros((2, n_pre)), np.zeros((2, n_post))
    snap_W, snap_R, snap_O = np.empty((K, n_post, n_pre)), np.empty((K, 2, n_pre)), \
        np.empty((K, 2, n_post))
    grid_kernel(W, pre, post, R, O, rule.kernel_record(), d[:2].copy(), d[2:].copy(), steps,
                snap_W, snap_R, snap_O)
    return W, History(steps=steps, t=steps * float(dt), W=snap_W, R=snap_R, O=snap_O)


def _times(trains, name, n):
    """Per-neuron spike times as one list of 1-D float64 arrays, sorted; ValueError naming the
    neuron for a non-finite time or two spikes at one time."""
    if isinstance(trains, np.ndarray) or not hasattr(trains, "__len__") or isinstance(trains,
                                                                                    str):
        raise TypeError(f"{name} must be a sequence of {n} arrays of spike times (one per "
                        f"neuron), got {type(trains).__name__}")
    if len(trains) != n:
        raise ValueError(f"{name} must hold {n} spike trains (one per neuron), got {len(trains)}")
    out = []
    for k, t in enumerate(trains):
        t = np.sort(np.asarray(as_real_array(t, f"{name}[{k}]"), dtype=np.float64).ravel())
        if not np.all(np.isfinite(t)):
            raise ValueError(f"{name}[{k}] contains NaN or inf")
        if np.any(np.diff(t) == 0.0):
            raise ValueError(f"{name}[{k}] has two spikes at the same time")
        out.append(t)
    return out


def run_times(rule, W0, pre_times, post_times):
    r"""Apply ``rule`` in continuous time to spike times: exact trace decay between events.

    Parameters
    ----------
    rule : PairSTDP or TripletSTDP
    W0 : array (n_post, n_pre)
        Initial weights within the rule's bounds (not modified).
    pre_times : sequence of n_pre 1-D arrays
        The spike times of each presynaptic neuron (any order; distinct within a neuron).
    post_times : sequence of n_post 1-D arrays
        The spike times of each postsynaptic neuron.

    Returns
    -------
    W_T : ndarray (n_post, n_pre)
        The weights after the last spike (a new array).

    Spikes at exactly the same time are one step of :mod:`refsnn.stdp.kernels`: they do not
    see each other's jumps (a same-time pre/post pair changes nothing).
    """
    rule = as_rule(rule)
    W = check_weights(rule, W0)
    n_post, n_pre = W.shape
    pre = _times(pre_times, "pre_times", n_pre)
    post = _times(post_times, "post_times", n_post)
    times = np.concatenate(pre + post + [np.zeros(0)])
    neuron = np.concatenate([np.full(len(t), j, dtype=np.int64) for j, t in enumerate(pre)] +
                            [np.full(len(t), i, dtype=np.int64) for i, t in enumerate(post)] +
                            [np.zeros(0, dtype=np.int64)])
    is_post = np.concatenate([np.zeros(len(t), dtype=np.bool_) for t in pre] +
                             [np.ones(len(t), dtype=np.bool_) for t in post] +
                             [np.zeros(0, dtype=np.bool_)])
    order = np.argsort(times, kind="stable")
    event_kernel(W, times[order], neuron[order], is_post[order], np.zeros((2, n_pre)),
                 np.zeros((2, n_post)), rule.kernel_record(), np.array(rule.taus))
    return W

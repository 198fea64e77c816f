r"""Numba kernels of the STDP rules: trace decay, spike jumps, the weight updates, one step.

One kernel serves both rules and every mode: the rule reaches it as one
:data:`refsnn.stdp.rules.Plasticity` record (the pair rule is the triplet rule with
``A3+ = A3- = 0``, and its slow traces are skipped). The traces of ``n_pre`` presynaptic and
``n_post`` postsynaptic neurons are one array each, ``R = [r1; r2]`` ``(2, n_pre)`` and
``O = [o1; o2]`` ``(2, n_post)``; ``W`` is ``(n_post, n_pre)``.

**Within one step** (or one event time, :func:`event_kernel`) the order is:

1. *decay*: every trace is multiplied by its decay over the time since the last step,
   ``exp(-dt/tau)``, the exact solution of ``dr/dt = -r/tau`` (so the traces are exact on the
   grid, not an Euler approximation);
2. *spikes*: the spikes of this step change the weights, reading the decayed traces: each
   postsynaptic spike potentiates its row of ``W`` (:func:`potentiate`), then each presynaptic
   spike depresses its column (:func:`depress`);
3. *update of the traces*: the spikes of this step are added to their traces
   (:func:`add_spikes`: ``+1`` all-to-all, ``= 1`` nearest-spike).

So a spike never sees itself, and a pre and a post spike **in the same step do not interact**:
the post spike reads the presynaptic trace before the pre spike is added, and vice versa. A
same-step pair changes nothing (``delta_t = 0`` is in neither branch of the window, "lessons
from deep learning" Eq. 50); in the LIF network it could not be causal either, since an input
spike at step ``n`` reaches the membrane at ``n + 2`` (docs/design.md §3). The triplet terms
read ``o2``, ``r2`` before the spike's own jump, as the rule requires (``o2(t^-)``).

Read next: refsnn/stdp/run.py, the runners over given spike trains.
"""
from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True)
def bounded(p, w):
    """``w`` clipped to ``[w_min, w_max]`` (the hard bounds)."""
    return min(max(w, p.w_min), p.w_max)


@numba.njit(cache=True)
def f_plus(p, w):
    """Weight dependence of potentiation: 1 (additive) or ``(w_max - w)/(w_max - w_min)``."""
    if p.multiplicative:
        return (p.w_max - w) * p.inv_range
    return 1.0


@numba.njit(cache=True)
def f_minus(p, w):
    """Weight dependence of depression: 1 (additive) or ``(w - w_min)/(w_max - w_min)``."""
    if p.multiplicative:
        return (w - p.w_min) * p.inv_range
    return 1.0


@numba.njit(cache=True)
def decay(X, d, n_rows):
    """``X[k] *= d[k]`` for the first ``n_rows`` rows of a trace array (step 1)."""
    for k in range(n_rows):
        dk = d[k]
        for i in range(X.shape[1]):
            X[k, i] *= dk


@numba.njit(cache=True)
def add_spikes(X, s, nearest, n_rows):
    """Step 3: each spike (``s[i] != 0``) adds 1 to its traces, or sets them to 1 if
    ``nearest`` (the first ``n_rows`` rows of ``X``)."""
    for i in range(s.shape[0]):
        if s[i] != 0.0:
            for k in range(n_rows):
                X[k, i] = 1.0 if nearest else X[k, i] + 1.0


@numba.njit(cache=True)
def potentiate(W, post, R, O, p):
    r"""Post spikes: ``W_ij += r1_j (A2+ + A3+ o2_i) f_+(W_ij)``, clipped (the triplet rule's
    update at a post spike; the pair rule's ``A_+ x_j`` with ``A3+ = 0``)."""
    for i in range(W.shape[0]):
        if post[i] != 0.0:
            g = p.A2p + p.A3p * O[1, i] if p.triplet else p.A2p
            for j in range(W.shape[1]):
                r = R[0, j]
                if r != 0.0:
                    w = W[i, j]
                    W[i, j] = bounded(p, w + g * r * f_plus(p, w))


@numba.njit(cache=True)
def depress(W, pre, R, O, p):
    r"""Pre spikes: ``W_ij -= o1_i (A2- + A3- r2_j) f_-(W_ij)``, clipped (the triplet rule's
    update at a pre spike; the pair rule's ``A_- y_i`` with ``A3- = 0``)."""
    for j in range(W.shape[1]):
        if pre[j] != 0.0:
            h = p.A2m + p.A3m * R[1, j] if p.triplet else p.A2m
            for i in range(W.shape[0]):
                o = O[0, i]
                if o != 0.0:
                    w = W[i, j]
                    W[i, j] = bounded(p, w - h * o * f_minus(p, w))


@numba.njit(cache=True)
def step(W, pre, post, R, O, p, d_pre, d_post):
    """One step (module docstring): decay by ``d_pre = (d_r1, d_r2)``, ``d_post = (d_o1,
    d_o2)``; the weight updates of the spikes ``pre`` ``(n_pre,)``, ``post`` ``(n_post,)``;
    then the spikes join the traces. ``W``, ``R``, ``O`` are updated in place."""
    rows = 2 if p.triplet else 1
    decay(R, d_pre, rows)
    decay(O, d_post, rows)
    potentiate(W, post, R, O, p)
    depress(W, pre, R, O, p)
    add_spikes(R, pre, p.nearest, rows)
    add_spikes(O, post, p.nearest, rows)


@numba.njit(cache=True)
def grid_kernel(W, pre, post, R, O, p, d_pre, d_post, snap_steps, snap_W, snap_R, snap_O):
    """:func:`step` over ``T`` steps of ``pre`` ``(T, n_pre)`` and ``post`` ``(T, n_post)``.

    ``snap_W[k]``, ``snap_R[k]``, ``snap_O[k]`` receive ``W`` and the traces as they are at the
    start of step ``snap_steps[k]`` (ascending; ``T`` means after the last step)."""
    T = pre.shape[0]
    k = 0
    for n in range(T + 1):
        while k < snap_steps.shape[0] and snap_steps[k] == n:
            snap_W[k] = W
            snap_R[k] = R
            snap_O[k] = O
            k += 1
        if n < T:
            step(W, pre[n], post[n], R, O, p, d_pre, d_post)


@numba.njit(cache=True)
def event_kernel(W, times, neuron, is_post, R, O, p, taus):
    """The rule in continuous time over sorted events: ``times`` ``(E,)`` ascending, ``neuron``
    the index of the spiking neuron, ``is_post`` whether it is postsynaptic.

    Events at one time form one group, handled as one grid step: the traces decay by the exact
    factors ``exp(-(t - t_previous)/tau)`` (``taus = (tau_r1, tau_r2, tau_o1, tau_o2)``), then
    the group's spikes update the weights, then join the traces.
    """
    pre = np.zeros(W.shape[1])
    post = np.zeros(W.shape[0])
    d_pre = np.empty(2)
    d_post = np.empty(2)
    E = times.shape[0]
    t_prev = times[0] if E > 0 else 0.0
    a = 0
    while a < E:
        b = a
        while b < E and times[b] == times[a]:
            if is_post[b]:
                post[neuron[b]] = 1.0
            else:
                pre[neuron[b]] = 1.0
            b += 1
        gap = times[a] - t_prev
        d_pre[0] = np.exp(-gap / taus[0])
        d_pre[1] = np.exp(-gap / taus[1])
        d_post[0] = np.exp(-gap / taus[2])
        d_post[1] = np.exp(-gap / taus[3])
        step(W, pre, post, R, O, p, d_pre, d_post)
        for e in range(a, b):
            if is_post[e]:
                post[neuron[e]] = 0.0
            else:
                pre[neuron[e]] = 0.0
        t_prev = times[a]
        a = b

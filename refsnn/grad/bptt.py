r"""Backpropagation through time for the LIF network, written out by hand.

Adjoints ``gX[n] = dL/dX[n]`` (total derivative of the loss through every later use of
``X[n]``) of one layer, computed backwards from ``n = T-1`` with ``gI[T] = gU[T] = 0``.
With ``s'[n] = F'(U[n] - theta)`` the surrogate derivative (docs/design.md §5):

.. math::

    gS[n] &= \underbrace{W^{(l+1)\top} gI^{(l+1)}[n+1]}_{\text{from the layer above}}
            + V^\top gI[n+1]
            + \underbrace{\partial U[n+1]/\partial S[n]\; gU[n+1]}_{\text{reset; 0 if detached}} \\
    gU[n] &= gU_{ext}[n] + s'[n]\, gS[n] + \partial U[n+1]/\partial U[n]\; gU[n+1] \\
    gI[n] &= \alpha\, gI[n+1] + \partial U[n+1]/\partial I[n]\; gU[n+1]

with the partial derivatives of Eq. 8 per reset mode from :func:`refsnn.lif.reset_partials`
(its table: ``beta, 1, -theta`` for the subtractive reset; ``beta (1 - S[n]), 1 - S[n],
-(beta U[n] + I[n])`` for the zero reset; ``beta, 1, 0`` without reset; the last one 0 when
``detach_reset``). The options of the neuron model (the input gain, the leaky neuron, the
adaptive threshold's third adjoint ``gb``) are in the one step of the recursion,
:func:`refsnn.grad.adjoint.adjoint_step`, whose module docstring has the general form.

The weights enter only through ``I[n+1]`` (Eq. 7), so

.. math::

    \frac{\partial L}{\partial W^{(l)}} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l-1)}[n]^\top, \qquad
    \frac{\partial L}{\partial V^{(l)}} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l)}[n]^\top,

and the error sent to the layer below is ``gS^{(l-1)}[n] = W^{(l)\top} gI^{(l)}[n+1]``.
This is Box 2 / Eq. 11 of the tutorial specialised to the two-variable LIF state; the printed
Eq. 10 has ``W^{T,l}_{ik}`` where ``W^{(l+1)}_{ki}`` is meant (see the errata table).

How :func:`bptt` runs: one backward sweep over time for all layers at once
(:func:`network_adjoints`, samples in parallel), which keeps ``gU`` for two steps only and
stores ``gI`` of every layer, then the weight gradients as outer sums over the presynaptic
spikes (:func:`outer_sum_kernel`, or :func:`outer_sum_events_kernel` on the input's event
list). Its memory beyond the trace is therefore ``gI``: ``O(B T N)`` with a small constant.
:func:`layer_backward` is the same recursion one layer at a time (the ``lif_bptt`` exercise),
wrapped for Python callers by :func:`layer_adjoints` and :func:`readout_adjoints`.

Read next: refsnn/gradcheck.py, how this gradient is proven (docs/design.md §6).
"""
from __future__ import annotations

import numba
import numpy as np

from .. import lif
from ..lif import add_weighted_rows
from .adjoint import adjoint_step, current_adjoint
from ..threads import bptt_work, matvec_work, outer_sum_work, sized_by
from ..trace import Grads, check_readout_grad, check_spike_grads, check_trace

#: the V of a layer without recurrence (never read: has_V is False)
_NO_V = np.zeros((0, 0))


@numba.njit(cache=True)
def layer_backward(I, U, S, A, V, has_V, nrn, gS_ext, gU_ext, gI, gU):
    """The adjoint recursion of one layer over all steps; fills ``gI, gU`` ``(B, T, N)``.

    The layer-at-a-time form that the ``lif_bptt`` exercise asks for (:func:`bptt` itself runs
    every layer in one sweep, :func:`network_adjoints`). ``gS_ext[b, n]`` is the error arriving
    at ``S[n]`` from the layer above, ``gU_ext[b, n]`` a direct loss gradient on ``U[n]`` (the
    readout's ``dL/dU_o``); ``A`` the adaptive threshold's ``b`` (read only if adaptive).
    """
    B, T, N = U.shape
    gS = np.empty(N, dtype=gI.dtype)
    zero = np.zeros(N, dtype=gI.dtype)  # gI[T] = gU[T] = gb[T] = 0
    gA = np.zeros((2, N), dtype=gI.dtype)  # gb[n+1], gb[n]
    for b in range(B):
        gA[:] = 0.0
        for n in range(T - 1, -1, -1):
            gI_next = gI[b, n + 1] if n + 1 < T else zero
            gU_next = gU[b, n + 1] if n + 1 < T else zero
            for i in range(N):
                gS[i] = gS_ext[b, n, i]
            if has_V:  # + V^T gI[n+1]
                add_weighted_rows(gS, V, gI_next)
            adjoint_step(gS, I[b], U[b], S[b], A[b], n, gU_next, gI_next, gA[0], nrn,
                         gU[b, n], gI[b, n], gA[1])
            for i in range(N):
                gU[b, n, i] += gU_ext[b, n, i]
                gA[0, i] = gA[1, i]
            if nrn.leaky:  # gI[n] from the whole gU[n]
                current_adjoint(I[b], U[b], S[b], A[b], n, nrn, gU[b, n], gI[b, n])


@numba.njit(cache=True, parallel=True)
def network_adjoints(I, U, S, A, W, V, has_V, d_readout, gS_ext, gU_ext, has_ext, nrn, nrn_o,
                     direct, gI, gI_o):
    """The adjoint recursion of every layer in one backward sweep over time; fills ``gI``.

    ``I, U, S``: typed lists of the spiking layers' ``(B, T, N_l)`` traces, ``A`` of their
    adaptive thresholds' ``b`` (any ``(B, ., .)`` arrays unless ``nrn.adaptive``); ``W``: typed list
    ``[W^(1), ..., W^(L), W_o]``; ``V``: typed list of ``(N_l, N_l)`` (any array where
    ``has_V[l]`` is False); ``d_readout`` ``(B, T, N_out)``: ``dL/dU_o``; ``gS_ext[l]``,
    ``gU_ext[l]`` ``(B, T, N_l)``: direct loss gradients on layer ``l``'s spikes and membrane
    (read only where ``has_ext[l]``); ``nrn``, ``nrn_o``: the spiking layers' and the readout's
    :data:`refsnn.lif.Neuron` (of the readout only ``alpha, beta`` and the input gain ``g`` are
    read). Writes ``gI[l]`` ``(B, T, N_l)`` and the readout's
    ``gI_o`` ``(B, T, N_out)``: all the weight gradients need. A network with a spiking output
    layer passes a readout of width 0 and the output layer as the last spiking layer.

    ``W[l + 1]`` is read only as the matrix that carries the error down to layer ``l`` (``W[0]``
    is never read), so feedback alignment passes its fixed matrices ``B[l]`` in its place. With
    ``direct`` (direct feedback alignment) every hidden layer ``l`` receives
    ``W[l + 1]^T gI_o[n+1]`` (``W[l + 1]`` of shape ``(N_out, N_l)``) and no error passes
    between hidden layers (:mod:`refsnn.grad.feedback`).

    Samples are independent, so each thread (``numba.prange`` over ``b``) runs the whole sweep
    of its samples: from ``n = T-1`` down, the readout's leaky-integrator adjoint, then for each
    hidden layer from the top ``gS[n] = W^(l+1)T gI^(l+1)[n+1] + V^T gI[n+1]`` and
    :func:`adjoint_step`. ``gU`` (and ``gb``) is only ever needed one step back, so it is kept
    for the current and the next step only.
    """
    L = len(U)
    B, T, N_o = d_readout.shape
    N_max = 1
    for l in range(L):
        N_max = max(N_max, U[l].shape[2])
    dt = d_readout.dtype
    alpha, beta, gain = nrn_o.alpha, nrn_o.beta, nrn_o.gain
    for b in numba.prange(B):
        zero = np.zeros(N_max, dtype=dt)            # gI[T] = gU[T] = 0
        gS = np.empty(N_max, dtype=dt)
        gU_next = np.zeros((L, N_max), dtype=dt)    # gU[n+1] of each hidden layer
        gU_cur = np.zeros((L, N_max), dtype=dt)     # gU[n]
        gA_next = np.zeros((L, N_max), dtype=dt)    # gb[n+1] (adaptive threshold)
        gA_cur = np.zeros((L, N_max), dtype=dt)     # gb[n]
        gU_o = 0.0 * d_readout[b, T - 1]            # readout gU[n+1], zero at n = T-1
        for n in range(T - 1, -1, -1):
            last = n + 1 == T
            # readout: gU_o[n] = dL/dU_o[n] + beta gU_o[n+1], gI_o[n] = alpha gI_o[n+1] + g gU_o[n+1]
            # (leaky: gI_o[n] = g gU_o[n], 0 at n = 0)
            for i in range(N_o):
                if not nrn_o.leaky:
                    gI_o[b, n, i] = 0.0 if last else alpha * gI_o[b, n + 1, i] + gain * gU_o[i]
                gU_o[i] = d_readout[b, n, i] + beta * gU_o[i]
                if nrn_o.leaky:
                    gI_o[b, n, i] = 0.0 if n == 0 else gain * gU_o[i]
            for l in range(L - 1, -1, -1):
                N = U[l].shape[2]
                g_s = gS[:N]
                if has_ext[l]:  # + dL/dS[n] of a loss on this layer's spikes
                    g_s[:] = gS_ext[l][b, n]
                else:
                    g_s[:] = 0.0
                gI_next = zero[:N] if last else gI[l][b, n + 1]
                if not last:
                    if direct or l == L - 1:
                        g_above = gI_o[b, n + 1]
                    else:
                        g_above = gI[l + 1][b, n + 1]
                    add_weighted_rows(g_s, W[l + 1], g_above)  # + W^(l+1)T gI^(l+1)[n+1]
                    if has_V[l]:
                        add_weighted_rows(g_s, V[l], gI_next)  # + V^T gI[n+1]
                adjoint_step(g_s, I[l][b], U[l][b], S[l][b], A[l][b], n, gU_next[l, :N],
                             gI_next, gA_next[l, :N], nrn, gU_cur[l, :N], gI[l][b, n],
                             gA_cur[l, :N])
                if has_ext[l]:  # + dL/dU[n] of a loss on this layer's membrane
                    for i in range(N):
                        gU_cur[l, i] += gU_ext[l][b, n, i]
                if nrn.leaky:  # gI[n] from the whole gU[n]
                    current_adjoint(I[l][b], U[l][b], S[l][b], A[l][b], n, nrn, gU_cur[l, :N],
                                    gI[l][b, n])
            gU_next, gU_cur = gU_cur, gU_next
            gA_next, gA_cur = gA_cur, gA_next


@numba.njit(cache=True, parallel=True)
def outer_sum_kernel(g, s, outT, n_blocks):
    """``outT[j, i] += sum_{b, n} s[b, n, j] g[b, n+1, i]``: a weight gradient, transposed.

    ``dL/dW_ij = sum_{b,n} gI[b, n+1, i] S_in[b, n, j]`` (module docstring). Event-driven: only
    nonzero presynaptic entries ``s[b, n, j]`` (spikes) are visited, and each adds the contiguous
    row ``g[b, n+1, :]`` to the contiguous row ``outT[j, :]``.

    Deterministic in parallel: the rows ``j`` of ``outT`` (presynaptic index) are split into
    ``n_blocks`` contiguous blocks (one per thread, ``numba.prange``); a block's thread alone
    sums every ``outT[j, :]`` of its block, in the serial order (``b``, then ``n``, ascending).
    Each element therefore receives the same additions in the same order whatever ``n_blocks``.
    """
    B, T, N = g.shape
    N_s = s.shape[2]
    n_blocks = max(1, min(n_blocks, N_s))
    for c in numba.prange(n_blocks):
        for b in range(B):
            for n in range(T - 1):
                for j in range(c * N_s // n_blocks, (c + 1) * N_s // n_blocks):
                    sj = s[b, n, j]
                    if sj != 0.0:
                        for i in range(N):
                            outT[j, i] += sj * g[b, n + 1, i]


@numba.njit(cache=True, parallel=True)
def outer_sum_events_kernel(g, ptr, idx, val, outT, n_blocks):
    """:func:`outer_sum_kernel` with the presynaptic spikes given as events (:mod:`refsnn.events`).

    Each block's thread walks every event ``(b, n, j)`` and keeps those with ``j`` in its block,
    so each row ``outT[j]`` receives the same additions in the same order as in
    :func:`outer_sum_kernel` (``b``, then ``n``, ascending): the two are bit-identical.
    """
    B, T, N = g.shape
    N_s = outT.shape[0]
    n_blocks = max(1, min(n_blocks, N_s))
    for c in numba.prange(n_blocks):
        lo, hi = c * N_s // n_blocks, (c + 1) * N_s // n_blocks
        for b in range(B):
            for n in range(T - 1):
                for k in range(ptr[b * T + n], ptr[b * T + n + 1]):
                    j = idx[k]
                    if lo <= j < hi:
                        s = val[k]
                        for i in range(N):
                            outT[j, i] += s * g[b, n + 1, i]


@numba.njit(cache=True, parallel=True)
def backprop_to_input_kernel(gI, W, g):
    """``g[b, n] = W^T gI[b, n+1]`` for ``n < T-1``, ``g[b, T-1] = 0`` (``g`` zeroed here).

    Row by row of ``W`` (contiguous): ``g[b, n, :] += gI[b, n+1, k] W[k, :]``. Samples are
    independent (``numba.prange`` over ``b``), so the result does not depend on the thread count.
    """
    B, T, N = gI.shape
    N_in = W.shape[1]
    for b in numba.prange(B):
        for n in range(T):
            for j in range(N_in):
                g[b, n, j] = 0.0
        for n in range(T - 1):
            for k in range(N):
                gk = gI[b, n + 1, k]
                if gk != 0.0:
                    for j in range(N_in):
                        g[b, n, j] += W[k, j] * gk


@sized_by(outer_sum_work)
def weight_gradient(g_next, s_prev, events=None):
    """``sum_{b,n} g[n+1] s[n]^T`` for ``g, s`` of shape ``(B, T, .)`` -> ``(N_g, N_s)``.

    With ``events`` (the event list of ``s_prev``) only the events are visited (``s_prev`` may
    then be None).
    """
    s = s_prev if events is None else events.val  # the presynaptic values: their dtype counts
    N_s = s_prev.shape[2] if events is None else events.shape[2]
    outT = np.zeros((N_s, g_next.shape[2]), dtype=np.result_type(g_next.dtype, s.dtype))
    g_next = np.ascontiguousarray(g_next)
    if events is None:
        outer_sum_kernel(g_next, np.ascontiguousarray(s_prev), outT, numba.get_num_threads())
    else:
        outer_sum_events_kernel(g_next, events.ptr, events.idx,
                                events.val.astype(outT.dtype, copy=False),
                                outT, numba.get_num_threads())
    return np.ascontiguousarray(outT.T)


@sized_by(matvec_work)
def error_to_input(gI, W):
    """Error on the presynaptic spikes: ``gS_in[n] = W^T gI[n+1]``, zero at the last step."""
    g = np.empty(gI.shape[:2] + (W.shape[1],), dtype=np.result_type(gI.dtype, W.dtype))
    backprop_to_input_kernel(np.ascontiguousarray(gI), np.ascontiguousarray(W), g)
    return g



def layer_adjoints(I, U, S, V, params, surrogate, gS_ext, gU_ext=None, spike="hard", b=None):
    """``(gI, gU)`` ``(B, T, N)`` of one layer: :func:`layer_backward` for Python callers.

    ``I, U, S`` ``(B, T, N)``: the layer's trace; ``V`` ``(N, N)`` or None; ``gS_ext``
    ``(B, T, N)``: the error arriving at ``S[n]`` from above; ``gU_ext`` ``(B, T, N)`` or None:
    a direct loss gradient on ``U[n]``. Hard and soft spikes share the backward pass (both use
    ``F'``); ``spike="none"`` is a non-spiking layer (the readout). ``b`` ``(B, T, N)``: the
    adaptive threshold's record (``trace.b[l]``), needed if ``params`` adapt.
    """
    U = np.ascontiguousarray(U, dtype=np.float64)
    gI = np.empty_like(U)
    gU = np.empty_like(U)
    gU_ext = np.zeros_like(U) if gU_ext is None else np.ascontiguousarray(gU_ext, np.float64)
    if params.adaptive and spike != "none" and b is None:
        raise ValueError("b (the adaptive threshold's record, trace.b[l]) is needed: params "
                         "adapt their threshold")
    A = np.zeros((U.shape[0], 1, 1)) if b is None else np.ascontiguousarray(b, np.float64)
    layer_backward(np.ascontiguousarray(I, dtype=np.float64), U,
                   np.ascontiguousarray(S, dtype=np.float64), A,
                   _NO_V if V is None else np.ascontiguousarray(V, dtype=np.float64),
                   V is not None, lif.neuron(params, surrogate, spike),
                   np.ascontiguousarray(gS_ext, dtype=np.float64), gU_ext, gI, gU)
    return gI, gU


def readout_adjoints(net, trace, d_readout):
    """``gI_o`` ``(B, T, n_out)``: the adjoint of the readout current (a non-spiking layer)."""
    zeros = np.zeros_like(trace.readout, dtype=np.float64)
    return layer_adjoints(trace.readout_I, trace.readout, zeros, None, net.readout_params,
                          net.surrogate, zeros, d_readout, spike="none")[0]


@sized_by(bptt_work)
def bptt(net, trace, d_readout=None, *, gS_ext=None) -> Grads:
    """Exact BPTT (surrogate gradient for ``spike="hard"``) of a loss given its gradients.

    Parameters
    ----------
    net : Network
        The network that produced ``trace`` (its weights must be unchanged since).
    trace : Trace
        Output of ``net.simulate(x, spike=...)``.
    d_readout : array (B, T, n_out), optional
        ``dL/dU_o[n]``, as returned by the functions in :mod:`refsnn.losses` (for a spiking
        output layer: the gradient on its membrane ``trace.readout = U[-1]``). None: no loss
        on the readout.
    gS_ext : dict {layer: array (B, T, N_layer)}, optional
        ``dL/dS^(l)[n]`` of a loss on the spikes of spiking layer ``l`` (an index into
        ``trace.S``, negative from the end; e.g. :func:`refsnn.losses.count_ce` on
        ``trace.S[-1]`` of a spiking output layer, or a regulariser on a hidden layer). It
        enters the adjoint recursion as the first term of ``gS[n]`` (module docstring).

    At least one of ``d_readout`` and ``gS_ext`` must be given.

    Returns
    -------
    Grads
        ``grads.W[l]`` (shape of ``net.W[l]``) and ``grads.V[l]`` (``None`` where ``net.V[l]``
        is ``None``).
    """
    check_trace(net, trace)
    gS_ext = check_spike_grads(gS_ext, trace)
    if d_readout is None and not gS_ext:
        raise ValueError("give d_readout or gS_ext (the loss gradient), or both")
    d_readout = (np.zeros_like(trace.readout) if d_readout is None
                 else check_readout_grad(d_readout, trace))
    gI, gI_o = backward_sweep(net, trace, d_readout, net.W, gS_ext=gS_ext)
    return gradients_from_adjoints(net, trace, gI, gI_o)


def backward_sweep(net, trace, d_readout, W_down, direct=False, gS_ext=None):
    """The adjoints ``(gI, gI_o)`` of :func:`network_adjoints` for a checked trace and loss
    gradient (:func:`bptt` checks them); ``gI`` a list of ``(B, T, N_l)`` per spiking layer,
    ``gI_o`` ``(B, T, n_out)`` (width 0 for a spiking output layer).

    ``W_down``: the matrices that carry the error down, ``W_down[l + 1]`` to layer ``l``
    (``net.W`` for BPTT; ``W_down[0]`` is never read); ``direct``: every hidden layer receives
    ``W_down[l + 1]^T gI_o[n+1]`` (direct feedback alignment); ``gS_ext``: checked
    ``{layer: dL/dS}`` (:func:`refsnn.trace.check_spike_grads`). With a spiking output layer
    ``d_readout`` is the gradient on its membrane and the sweep runs with a readout of width 0.
    """
    dt = d_readout.dtype.type

    def typed(arrays):
        out = numba.typed.List()
        for a in arrays:
            out.append(np.ascontiguousarray(a, dtype=dt))
        return out

    L = net.n_spiking_layers
    B, T, _ = d_readout.shape
    empty = np.zeros((0, 0), dtype=dt)
    empty3 = np.zeros((0, 0, 0), dtype=dt)
    gS = [empty3] * L
    gU = [empty3] * L
    for l, g in (gS_ext or {}).items():
        gS[l] = g
    if net.output == "spiking":  # the membrane loss acts on the output layer's U
        gU[-1], d_readout = d_readout, np.zeros((B, T, 0), dtype=dt)
        W_down = list(W_down) + [np.zeros((0, net.sizes[-1]), dtype=dt)]
    has_ext = np.array([gS[l].size > 0 or gU[l].size > 0 for l in range(L)])
    for l in range(L):  # a layer with one of the two: the other is zeros
        if has_ext[l]:
            gS[l] = gS[l] if gS[l].size else np.zeros_like(trace.U[l], dtype=dt)
            gU[l] = gU[l] if gU[l].size else np.zeros_like(trace.U[l], dtype=dt)
    V = [empty if l >= len(net.V) or net.V[l] is None else net.V[l] for l in range(L)]
    gI = [np.empty(u.shape, dtype=dt) for u in trace.U]
    gI_o = np.empty_like(d_readout)
    A = trace.b if trace.b is not None else [np.zeros((B, 1, 1), dtype=dt)] * L
    network_adjoints(typed(trace.I), typed(trace.U), typed(trace.S), typed(A), typed(W_down),
                     typed(V),
                     np.array([v.size > 0 for v in V]), d_readout, typed(gS), typed(gU),
                     has_ext, lif.neuron(net.params, net.surrogate, trace.spike, dtype=dt),
                     lif.neuron(net.readout_params, net.surrogate, "none", dtype=dt),
                     direct, typed(gI), gI_o)
    return gI, gI_o


def gradients_from_adjoints(net, trace, gI, gI_o) -> Grads:
    """``Grads`` from the current adjoints: ``dW^(l) = sum_{b,n} gI^(l)[n+1] S^(l-1)[n]^T`` and
    ``dV^(l) = sum_{b,n} gI^(l)[n+1] S^(l)[n]^T`` (module docstring); ``gI`` one array per
    hidden layer, then ``gI_o`` for the readout."""
    S_pre = [trace.x if trace.x_events is None else None] + trace.S  # a sparse x: its events
    g_post = list(gI) + ([gI_o] if net.output == "readout" else [])  # one per W
    gW = [weight_gradient(g, s, trace.x_events if l == 0 else None)
          for l, (g, s) in enumerate(zip(g_post, S_pre))]
    gV = [None if v is None else weight_gradient(g, s) for v, g, s in zip(net.V, gI, trace.S)]
    return Grads(W=gW, V=gV)

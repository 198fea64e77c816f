r"""Backpropagation through time for the LIF network, written out by hand.

Adjoints ``gX[n] = dL/dX[n]`` (total derivative of the loss through every later use of
``X[n]``) of one layer, computed backwards from ``n = T-1`` with ``gI[T] = gU[T] = 0``.
With ``s'[n] = F'(U[n] - theta)`` the surrogate derivative (DESIGN §5) and ``r[n] = 1 - S[n]``:

.. math::

    gS[n] &= \underbrace{W^{(l+1)\top} gI^{(l+1)}[n+1]}_{\text{from the layer above}}
            + V^\top gI[n+1]
            + \underbrace{\partial U[n+1]/\partial S[n]\; gU[n+1]}_{\text{reset; 0 if detached}} \\
    gU[n] &= gU_{ext}[n] + s'[n]\, gS[n] + \partial U[n+1]/\partial U[n]\; gU[n+1] \\
    gI[n] &= \alpha\, gI[n+1] + \partial U[n+1]/\partial I[n]\; gU[n+1]

with, per reset mode (Eq. 8 and variants),

=============  ======================  ======================  ==========================
reset          dU[n+1]/dU[n]            dU[n+1]/dI[n]           dU[n+1]/dS[n]
=============  ======================  ======================  ==========================
subtract       beta                     1                       -theta
zero           beta (1 - S[n])          1 - S[n]                -(beta U[n] + I[n])
none           beta                     1                       0
=============  ======================  ======================  ==========================

The weights enter only through ``I[n+1]`` (Eq. 7), so

.. math::

    \frac{\partial L}{\partial W^{(l)}} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l-1)}[n]^\top, \qquad
    \frac{\partial L}{\partial V^{(l)}} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l)}[n]^\top,

and the error sent to the layer below is ``gS^{(l-1)}[n] = W^{(l)\top} gI^{(l)}[n+1]``.
This is Box 2 / Eq. 11 of the tutorial specialised to the two-variable LIF state; the printed
Eq. 10 has ``W^{T,l}_{ik}`` where ``W^{(l+1)}_{ki}`` is meant (see the errata table).
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .. import lif
from ..lif import RESET_SUBTRACT, RESET_ZERO, spike_grad
from ..network import _EMPTY


@dataclass
class Grads:
    """Gradients mirroring a network: ``W[l]`` like ``net.W[l]``, ``V[l]`` like ``net.V[l]``."""

    W: list
    V: list

    def parameters(self):
        """``[(name, array), ...]`` in the order of :meth:`refsnn.Network.parameters`."""
        out = [(f"W[{l}]", w) for l, w in enumerate(self.W)]
        out += [(f"V[{l}]", v) for l, v in enumerate(self.V) if v is not None]
        return out


@numba.njit(cache=True, parallel=True)
def matmul_into(A, M, out):
    """``out = A @ M`` for ``A`` (B, N), ``M`` (N, K): rows of ``out`` in parallel (each row is
    summed by one thread in a fixed order, so the result is thread-count independent)."""
    B, N = A.shape
    K = M.shape[1]
    for b in numba.prange(B):
        for i in range(K):
            out[b, i] = 0.0
        for k in range(N):
            a = A[b, k]
            if a != 0.0:
                for i in range(K):
                    out[b, i] += a * M[k, i]


@numba.njit(cache=True)
def layer_backward(I, U, S, V, has_V, alpha, beta, theta, reset, detach_reset, spike,
                   sg_code, sg_scale, gS_ext, gU_ext, gI, gU):
    """Adjoint recursion of one layer (module docstring); fills ``gI, gU`` ``(B, T, N)``.

    ``gS_ext[b, n]`` is the error arriving at ``S[n]`` from the layer above, ``gU_ext[b, n]``
    a direct loss gradient on ``U[n]`` (used for the readout).

    The time loop is outer: one product ``V^T gI[n+1]`` per step for the whole batch, in the
    batch-parallel kernel :func:`matmul_into` (not BLAS: alternating a multi-threaded BLAS call
    with Numba parallel regions a hundred times per layer makes the two thread pools fight over
    the cores; measured up to 10x slower with OpenBLAS on 2 threads).
    """
    B, T, N = U.shape
    gS = np.empty(N)           # dL/dS[b, n] of the sample in hand
    g_next = np.zeros((B, N))  # gI[:, n+1, :], contiguous for the matrix product
    rec = np.zeros((B, N))     # V^T gI[n+1] for every sample: one BLAS product per step
    for n in range(T - 1, -1, -1):
        last = n == T - 1
        if has_V and not last:
            for b in range(B):
                for k in range(N):
                    g_next[b, k] = gI[b, n + 1, k]
            matmul_into(g_next, V, rec)  # rec[b, i] = sum_k gI[b, n+1, k] V[k, i]
        for b in range(B):
            for i in range(N):
                gS[i] = gS_ext[b, n, i]
            if not last:
                if has_V:
                    for i in range(N):
                        gS[i] += rec[b, i]
                if not detach_reset:
                    for i in range(N):
                        if reset == RESET_SUBTRACT:
                            gS[i] -= theta * gU[b, n + 1, i]
                        elif reset == RESET_ZERO:
                            gS[i] -= (beta * U[b, n, i] + I[b, n, i]) * gU[b, n + 1, i]
            for i in range(N):
                g = gU_ext[b, n, i] + spike_grad(spike, sg_code, sg_scale,
                                                 U[b, n, i] - theta) * gS[i]
                gi = 0.0
                if not last:
                    keep = 1.0 - S[b, n, i] if reset == RESET_ZERO else 1.0
                    g += beta * keep * gU[b, n + 1, i]
                    gi = alpha * gI[b, n + 1, i] + keep * gU[b, n + 1, i]
                gU[b, n, i] = g
                gI[b, n, i] = gi


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


def _outer_sum(g_next, s_prev):
    """``sum_{b,n} g[n+1] s[n]^T`` for ``g, s`` of shape ``(B, T, .)`` -> ``(N_g, N_s)``."""
    outT = np.zeros((s_prev.shape[2], g_next.shape[2]),
                    dtype=np.result_type(g_next.dtype, s_prev.dtype))
    outer_sum_kernel(np.ascontiguousarray(g_next), np.ascontiguousarray(s_prev), outT,
                     numba.get_num_threads())
    return np.ascontiguousarray(outT.T)


def _backprop_to_input(gI, W):
    """Error on the presynaptic spikes: ``gS_in[n] = W^T gI[n+1]``, zero at the last step."""
    g = np.empty(gI.shape[:2] + (W.shape[1],), dtype=np.result_type(gI.dtype, W.dtype))
    backprop_to_input_kernel(np.ascontiguousarray(gI), np.ascontiguousarray(W), g)
    return g


def check_trace(net, trace):
    """Raise ValueError unless ``trace`` has every array a network of ``net``'s shape records.

    The kernels read ``x, I, U, S, readout_I, readout`` without bounds checks, so each shape is
    checked here, before any kernel runs.
    """
    net.check_weights()
    x = np.asarray(trace.x)
    if x.ndim != 3 or x.shape[2] != net.sizes[0]:
        raise ValueError(f"trace.x has shape {x.shape}, expected (batch, time, {net.sizes[0]})")
    B, T, _ = x.shape
    for name in ("I", "U", "S"):
        arrs = getattr(trace, name)
        if len(arrs) != net.n_hidden_layers:
            raise ValueError(f"trace.{name} has {len(arrs)} hidden layers, network has "
                             f"{net.n_hidden_layers}")
        for l, a in enumerate(arrs):
            if np.shape(a) != (B, T, net.sizes[l + 1]):
                raise ValueError(f"trace.{name}[{l}] has shape {np.shape(a)}, expected "
                                 f"{(B, T, net.sizes[l + 1])}")
    for name in ("readout_I", "readout"):
        if np.shape(getattr(trace, name)) != (B, T, net.sizes[-1]):
            raise ValueError(f"trace.{name} has shape {np.shape(getattr(trace, name))}, "
                             f"expected {(B, T, net.sizes[-1])}")
    if trace.spike not in ("hard", "soft"):
        raise ValueError(f"trace.spike must be 'hard' or 'soft', got {trace.spike!r}")


def check_readout_grad(d_readout, trace, name="d_readout"):
    """Return ``d_readout`` as float64 of ``trace.readout``'s shape, finite, or raise."""
    d = np.asarray(d_readout)
    if d.shape != trace.readout.shape:
        raise ValueError(f"{name} must have the readout's shape {trace.readout.shape}, "
                         f"got {d.shape}")
    d = np.ascontiguousarray(d, dtype=np.float64)
    if not np.all(np.isfinite(d)):
        raise ValueError(f"{name} contains NaN or inf")
    return d


def bptt(net, trace, d_readout) -> Grads:
    """Exact BPTT (surrogate gradient for ``spike="hard"``) of a loss given ``dL/d readout``.

    Parameters
    ----------
    net : Network
        The network that produced ``trace`` (its weights must be unchanged since).
    trace : Trace
        Output of ``net.simulate(x, spike=...)``.
    d_readout : array (B, T, n_out)
        ``dL/dU_o[n]``, as returned by the functions in :mod:`refsnn.losses`.

    Returns
    -------
    Grads
        ``grads.W[l]`` (shape of ``net.W[l]``) and ``grads.V[l]`` (``None`` where ``net.V[l]``
        is ``None``).
    """
    check_trace(net, trace)
    d_readout = check_readout_grad(d_readout, trace)
    p, sg = net.params, net.surrogate
    spike = lif.spike_code(trace.spike)
    B, T, _ = trace.x.shape
    L = net.n_hidden_layers
    gW = [None] * (L + 1)
    gV = [None] * L

    # readout: a non-spiking layer whose U receives the loss gradient directly
    gI = np.empty_like(d_readout)
    gU = np.empty_like(d_readout)
    layer_backward(trace.readout_I, trace.readout, np.zeros_like(d_readout), _EMPTY, False,
                   p.alpha, p.beta, p.threshold, lif.RESET_NONE, True, lif.SPIKE_NONE,
                   sg.code, sg.scale, np.zeros_like(d_readout), d_readout, gI, gU)
    S_below = trace.S[L - 1]
    gW[L] = _outer_sum(gI, S_below)
    gS_ext = _backprop_to_input(gI, net.W[L])

    for l in range(L - 1, -1, -1):
        I, U, S = trace.I[l], trace.U[l], trace.S[l]
        V = net.V[l]
        gI = np.empty_like(U)
        # a hidden layer has no direct loss term (gU_ext = 0). Passing the zeroed output gU as
        # gU_ext saves one (B, T, N) array: the kernel reads gU_ext[b, n] before it writes
        # gU[b, n], and has written nothing there yet.
        gU = np.zeros_like(U)
        layer_backward(I, U, S, V if V is not None else _EMPTY, V is not None,
                       p.alpha, p.beta, p.threshold, p.reset_code, p.detach_reset, spike,
                       sg.code, sg.scale, gS_ext, gU, gI, gU)
        del gU
        S_below = trace.S[l - 1] if l > 0 else trace.x
        gW[l] = _outer_sum(gI, S_below)
        if V is not None:
            gV[l] = _outer_sum(gI, S)
        if l > 0:
            gS_ext = _backprop_to_input(gI, net.W[l])
    return Grads(W=gW, V=gV)


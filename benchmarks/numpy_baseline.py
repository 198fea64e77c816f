r"""The NumPy baseline: "what a student would write" for the same network and the same gradient.

Forward: :func:`refsnn.reference.simulate` (one Python loop over time, every step a matrix
product over batch and neurons). Backward: the adjoint recursion of :mod:`refsnn.grad.bptt`,
again one Python loop over time (backwards), each step vectorised over batch and neurons, the
weight gradients accumulated step by step as ``gI[n+1]^T S[n]`` matrix products:

.. math::

    gS[n] &= gS_{ext}[n] + gI[n+1] V + \partial U[n+1]/\partial S[n]\, gU[n+1] \\
    gU[n] &= gU_{ext}[n] + F'(U[n] - \vartheta)\, gS[n] + \partial U[n+1]/\partial U[n]\, gU[n+1] \\
    gI[n] &= \alpha\, gI[n+1] + \partial U[n+1]/\partial I[n]\, gU[n+1] \\
    dL/dW &\mathrel{+}= gI[n+1]^\top S_{in}[n], \qquad dL/dV \mathrel{+}= gI[n+1]^\top S[n],
    \qquad gS_{in}[n] = gI[n+1] W

(row vectors over the batch: ``gI[:, n]`` is ``(B, N)``). It shares no kernel with refsnn;
:func:`backward` must equal :func:`refsnn.bptt` to rounding (``tests/test_numpy_baseline.py``).
"""
from __future__ import annotations

import numpy as np

from refsnn import reference
from refsnn.grad.bptt import Grads


def surrogate_derivative(name, scale, x):
    """``F'(x; scale)`` of :mod:`refsnn.surrogate` as NumPy array expressions."""
    ax = np.abs(x)
    if name == "superspike":
        return 1.0 / (scale * ax + 1.0) ** 2
    if name == "sigmoid":
        e = np.exp(-scale * ax)  # scale s (1 - s) without cancellation in 1 - s
        return scale * e / (1.0 + e) ** 2
    if name == "piecewise_linear":
        return np.maximum(0.0, 1.0 - scale * ax)
    if name == "exponential":
        return np.exp(-scale * ax)
    if name == "boxcar":
        return (ax < 0.5 / scale).astype(x.dtype)
    raise ValueError(f"unknown surrogate {name!r}")


def forward(net, x, spike="hard"):
    """The forward pass: :func:`refsnn.reference.simulate` in float64."""
    return reference.simulate(net, x, spike=spike)


def _layer_backward(I, U, S, V, gS_ext, p, sg, spiking, detach_reset, reset):
    """Adjoints ``gI, gU`` ``(B, T, N)`` of one layer (module docstring), one step at a time."""
    B, T, N = U.shape
    gI = np.zeros((B, T, N))
    gU = np.zeros((B, T, N))
    for n in range(T - 1, -1, -1):
        gS = gS_ext[:, n].copy()
        last = n == T - 1
        if not last:
            if V is not None:
                gS += gI[:, n + 1] @ V                           # V^T gI[n+1]
            if not detach_reset:                                 # through the reset term
                if reset == "subtract":
                    gS -= p.threshold * gU[:, n + 1]
                elif reset == "zero":
                    gS -= (p.beta * U[:, n] + I[:, n]) * gU[:, n + 1]
        g = np.zeros((B, N))
        if spiking:
            g += surrogate_derivative(sg.name, sg.scale, U[:, n] - p.threshold) * gS
        if not last:
            keep = 1.0 - S[:, n] if reset == "zero" else 1.0
            g += p.beta * keep * gU[:, n + 1]
            gI[:, n] = p.alpha * gI[:, n + 1] + keep * gU[:, n + 1]
        gU[:, n] = g
    return gI, gU


def _weight_grad(gI, S_pre):
    """``sum_n gI[:, n+1]^T S_pre[:, n]``, accumulated step by step."""
    out = np.zeros((gI.shape[2], S_pre.shape[2]))
    for n in range(gI.shape[1] - 1):
        out += gI[:, n + 1].T @ S_pre[:, n]
    return out


def _to_input(gI, W):
    """``gS_in[:, n] = gI[:, n+1] W`` (zero at the last step)."""
    g = np.zeros(gI.shape[:2] + (W.shape[1],))
    for n in range(gI.shape[1] - 1):
        g[:, n] = gI[:, n + 1] @ W
    return g


def backward(net, trace, d_readout) -> Grads:
    """BPTT of ``net`` on ``trace`` given ``dL/dU_o`` (like :func:`refsnn.bptt`)."""
    p, sg = net.params, net.surrogate
    L = net.n_hidden_layers
    d_readout = np.asarray(d_readout, dtype=np.float64)
    gW, gV = [None] * (L + 1), [None] * L
    # readout: no spikes, no reset; the loss gradient enters U_o directly
    gI = np.zeros_like(d_readout)
    gU = np.zeros_like(d_readout)
    T = d_readout.shape[1]
    for n in range(T - 1, -1, -1):
        gU[:, n] = d_readout[:, n]
        if n < T - 1:
            gU[:, n] += p.beta * gU[:, n + 1]
            gI[:, n] = p.alpha * gI[:, n + 1] + gU[:, n + 1]
    gW[L] = _weight_grad(gI, trace.S[L - 1])
    gS_ext = _to_input(gI, net.W[L])
    for l in range(L - 1, -1, -1):
        V = net.V[l]
        gI, _ = _layer_backward(trace.I[l], trace.U[l], trace.S[l], V, gS_ext, p, sg,
                                True, p.detach_reset, p.reset)
        gW[l] = _weight_grad(gI, trace.S[l - 1] if l > 0 else trace.x)
        if V is not None:
            gV[l] = _weight_grad(gI, trace.S[l])
        if l > 0:
            gS_ext = _to_input(gI, net.W[l])
    return Grads(W=gW, V=gV)

r"""A second, independent forward simulator in plain vectorised NumPy, in any float precision.

This is "what a student would write": one loop over time, everything else as array operations
over batch and neurons, the same equations as the Numba kernels (docs/design.md §4):

.. math::

    S[n] = \Theta(U[n]-\vartheta) \text{ or } F(U[n]-\vartheta), \quad
    I[n+1] = \alpha I[n] + S_{in}[n] W^\top + S[n] V^\top, \quad
    U[n+1] = \beta U[n] + g I[n] - \vartheta S[n] \;(\text{or the other resets}),

with the input gain ``g`` (1 or ``1 - beta``) and the readout's own ``alpha, beta`` where the
network has them (Zenke & Vogels 2021, Eq. 4.1 and §4.2.2); for the leaky neuron the membrane
reads ``I[n+1]`` ("lessons from deep learning" Eq. 4), and an adaptive threshold is
``theta[n] = theta_0 + b[n]``, ``b[n+1] = alpha_b b[n] + q S[n]`` ("lessons" Eqs. 51-52).

It exists for two reasons:

1. It is the oracle of the finite-difference check (:mod:`refsnn.gradcheck`): run in
   ``numpy.longdouble`` (80-bit extended precision on x86-64, unit roundoff ~5e-20) the
   cancellation error of a difference quotient is ~1e3 times smaller than in float64, so the
   contract's 1e-6 relative error can be resolved even for small gradient entries.
2. It cross-checks the compiled kernels (the two forwards must agree to rounding).

The surrogate primitives are written again here as array expressions, on purpose: an oracle
shares no code with what it checks. Not even its input passes through a compiled kernel: it is
checked in plain NumPy (:func:`refsnn.checks.as_input`), not on the event list the network
builds with Numba.

Read next: refsnn/grad/forward.py, the same derivative computed forwards in time, BPTT's second
proof.
"""
from __future__ import annotations

import numpy as np

from .checks import as_input, check_input_values
from .trace import Trace


def surrogate_primitive(name, scale, x, subthreshold=0.0):
    """``F(x; scale)`` of :mod:`refsnn.surrogate` as NumPy expressions in ``x``'s precision
    (``subthreshold``: the hybrid's slope below threshold)."""
    s = x.dtype.type(scale)
    one = x.dtype.type(1)
    ax = np.abs(x)
    if name == "superspike":
        return x / (one + s * ax) + one / s
    if name == "sigmoid":
        e = np.exp(-s * ax)
        return np.where(x >= 0, one / (one + e), e / (one + e))
    if name == "piecewise_linear":
        w = one / s
        xc = np.clip(x, -w, w)
        return w / 2 + xc - np.sign(xc) * s * xc * xc / 2
    if name == "exponential":
        e = np.exp(-s * ax)
        return np.where(x < 0, e / s, (2 * one - e) / s)
    if name == "boxcar":
        h = one / (2 * s)
        return np.clip(x + h, 0, 2 * h)
    if name == "asymptotic_superspike":  # s times the superspike primitive
        return s * x / (one + s * ax) + one
    if name == "hybrid":  # slope s above threshold, the subthreshold constant below
        return np.where(x > 0, s * x, x.dtype.type(subthreshold) * x)
    raise ValueError(f"unknown surrogate {name!r}")


def simulate(net, x, spike="hard", dtype=np.float64, binary_input=True, anchor=None) -> Trace:
    """Forward pass of ``net`` on ``x`` ``(B, T, n_in)`` in precision ``dtype``.

    Parameters
    ----------
    net : Network
    x : array (B, T, n_in)
    spike : {"hard", "soft"}
    dtype : numpy float type
    binary_input : bool
    anchor : Trace, optional
        A recorded forward of the same ``net`` and ``x`` (weights ``W_0``). With an anchor
        the simulator runs the *frozen-spike model*, a smooth function of the weights whose
        value at ``W_0`` is the recorded forward and whose derivative is exactly what the
        gradient methods compute:

        * ``spike="hard"``: ``S = S_0 + F(U - theta[n]) - F(U_0 - theta_0[n])`` (the
          straight-through construction: the value of the recorded Heaviside spike, the slope
          ``F'``; ``theta_0[n]`` the recorded threshold if it adapts);
        * with ``detach_reset=True`` the reset term uses the recorded ``S_0``, a constant (a
          subtractive reset still subtracts the threshold of the step, ``theta[n] S_0[n]``).

        Finite differences of this model therefore test the surrogate gradient and the
        detached reset, which have no finite-difference oracle otherwise (docs/design.md §6.2).

    Returns
    -------
    Trace
        Arrays of dtype ``dtype``.
    """
    if spike not in ("hard", "soft"):
        raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
    net.check_weights()
    x = as_input(x, net.sizes[0])  # NumPy only: the oracle runs no kernel of the library
    check_input_values(x, "x", binary_input)
    x = x.astype(dtype)
    p, sg = net.params, net.surrogate
    theta0 = dtype(p.threshold)
    leaky = p.neuron == "leaky"
    adaptive = p.threshold_decay is not None
    if adaptive:  # Eq. 52's decay and jump (the jump 1 - alpha_b unless given)
        alpha_b = dtype(p.threshold_decay)
        q = dtype(1) - alpha_b if p.threshold_jump is None else dtype(p.threshold_jump)
    B, T, _ = x.shape
    S_in = x
    Is, Us, Ss, bs = [], [], [], []
    for l in range(len(net.W)):
        readout = l == len(net.W) - 1 and net.output == "readout"  # else a spiking output layer
        # the decays and the gain, written out here again from the fields of LIFParams
        alpha = dtype(net.readout_alpha if readout and net.readout_alpha is not None
                      else p.alpha)
        beta = dtype(net.readout_beta if readout and net.readout_beta is not None else p.beta)
        g = dtype(1) if p.input_gain == "one" else dtype(1) - beta
        W = net.W[l].astype(dtype)
        V = None if l >= len(net.V) or net.V[l] is None else net.V[l].astype(dtype)
        N = W.shape[0]
        I = np.zeros((B, T, N), dtype)
        U = np.zeros((B, T, N), dtype)
        S = np.zeros((B, T, N), dtype)
        b = np.zeros((B, T, N), dtype)  # the threshold's increment, theta[n] = theta0 + b[n]
        S_reset = S  # what the reset term sees
        if anchor is not None and not readout and p.detach_reset:
            S_reset = anchor.S[l].astype(dtype)
        if anchor is not None and not readout and spike == "hard":
            # the anchor's S_0 and F(U_0 - theta_0[n]), every step at once (elementwise: the
            # same numbers as step by step)
            S0 = anchor.S[l].astype(dtype)
            th0 = theta0 + (anchor.b[l].astype(dtype) if adaptive else dtype(0))
            F0 = surrogate_primitive(sg.name, sg.scale, anchor.U[l].astype(dtype) - th0,
                                     sg.subthreshold)
        for n in range(T):
            theta = theta0 + b[:, n] if adaptive and not readout else theta0   # Eq. 51
            if not readout:
                xth = U[:, n] - theta
                if anchor is not None and spike == "hard":
                    S[:, n] = S0[:, n] + (surrogate_primitive(sg.name, sg.scale, xth,
                                                                     sg.subthreshold) - F0[:, n])
                elif spike == "hard":
                    S[:, n] = (xth > 0).astype(dtype)
                else:
                    S[:, n] = surrogate_primitive(sg.name, sg.scale, xth, sg.subthreshold)
            if n + 1 == T:
                break
            drive = S_in[:, n] @ W.T
            if V is not None:
                drive = drive + S[:, n] @ V.T
            I[:, n + 1] = alpha * I[:, n] + drive                      # Eq. 7
            J = I[:, n + 1] if leaky else I[:, n]    # the leaky neuron reads its own step's
            u = beta * U[:, n] + g * J                                 # Eq. 8 without reset
            if not readout and p.reset == "subtract":
                u = u - theta * S_reset[:, n]
            elif not readout and p.reset == "zero":
                u = u * (1 - S_reset[:, n])
            U[:, n + 1] = u
            if adaptive and not readout:
                b[:, n + 1] = alpha_b * b[:, n] + q * S[:, n]          # Eq. 52
        if readout:
            return Trace(x=x, I=Is, U=Us, S=Ss, readout_I=I, readout=U, spike=spike,
                         b=bs if adaptive else None)
        Is.append(I), Us.append(U), Ss.append(S), bs.append(b)
        S_in = S
    # a spiking output layer: trace.S[-1], and its membrane is the readout
    return Trace(x=x, I=Is, U=Us, S=Ss, readout_I=Is[-1], readout=Us[-1], spike=spike,
                 b=bs if adaptive else None)

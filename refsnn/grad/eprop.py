r"""e-prop (Bellec et al. 2020) for one recurrent LIF layer and the leaky readout.

Network: ``net.sizes = [n_in, N, n_out]``, input ``x``, one spiking layer with feed-forward
``W = net.W[0]`` and optional recurrent ``V = net.V[0]``, readout ``W_o = net.W[1]`` (docs/design.md §4).

Eligibility traces (neuron-local RTRL)
--------------------------------------
For a synapse ``theta = W_ij`` (presynaptic ``p_j[n] = x_j[n]``) or ``theta = V_ij``
(``p_j[n] = S_j[n]``, the layer's own spikes, held fixed like any input), the *local*
sensitivities follow neuron ``i``'s own state only -- ``I_i``, ``U_i`` and its own reset --
and treat every spike arriving through a synapse as an external input:

.. math::

    \epsilon^I_{ij}[n+1] &= \alpha\, \epsilon^I_{ij}[n] + p_j[n] \\
    \epsilon^U_{ij}[n+1] &= \frac{\partial U_i[n+1]}{\partial U_i[n]} \epsilon^U_{ij}[n]
        + \frac{\partial U_i[n+1]}{\partial I_i[n]} \epsilon^I_{ij}[n]
        + \frac{\partial U_i[n+1]}{\partial S_i[n]}\, e_{ij}[n] \\
    e_{ij}[n] &= \sigma'(U_i[n] - \vartheta)\, \epsilon^U_{ij}[n]
        \qquad (= [dS_i[n] / d\theta]_{\text{local}})

with the partial derivatives of Eq. 8 from :func:`refsnn.lif.reset_partials` (the last one is 0
when ``detach_reset``). This is RTRL (:mod:`refsnn.grad.forward`) with the ``V`` term of the
current equation deleted and the sensitivity kept only for ``k = i``.

The factorisation identity (exact)
----------------------------------
Let ``gI, gU`` be the BPTT adjoints (total derivatives, :mod:`refsnn.grad.bptt`) and define
the learning signal as the derivative of ``L`` with respect to the spike ``S_i[n]`` *as it
leaves the neuron through its synapses* -- every path through the readout and through ``V``
(including ``V_ii`` and every effect that later returns to neuron ``i`` through the network),
but *not* the neuron's own reset path:

.. math::

    L_i[n] = \sum_k (W_o)_{ki}\, gI_{o,k}[n+1] + \sum_k V_{ki}\, gI_k[n+1]
           = gS_i[n] - \frac{\partial U_i[n+1]}{\partial S_i[n]}\, gU_i[n+1] .

Then, for every ``theta = W_ij`` or ``V_ij``,

.. math::

    \frac{dL}{d\theta} = \sum_n gI_i[n+1]\, p_j[n] = \sum_n L_i[n]\, e_{ij}[n] .

Why: fix every input of neuron ``i`` (``u_i[n] = W_i x[n] + V_i S[n]``) and regard
``h_i = (I_i, U_i)`` as a small system with input ``p_j`` (through ``theta``) and output
``S_i[n]``. Its adjoint recursion, driven by ``L_i[n]`` on the output, is exactly the BPTT
recursion for ``gI_i, gU_i`` (whose ``gS_i`` is ``L_i`` plus the reset term): the effects of
``S_i`` on everything outside the neuron are already summed up, totally, in ``L_i``. The local
sensitivity recursion above is the transpose (forward mode) of that same linear time-varying
system, with the same source ``p_j[n]`` entering ``I_i[n+1]``, so both modes give the same
number (``sum_n L . forward = sum_n adjoint . source``). The reset path must be in exactly one
of the two factors: it is inside ``e``, so it is excluded from ``L``. Using the total
``gS_i[n]`` instead would count it twice (the two coincide when the reset is detached or
``reset="none"``). The readout weights ``W_o`` act on no spiking neuron; their gradient
``sum_n d[n] (epsilon * S)[n]^T`` (``epsilon`` the readout's double-exponential kernel) is
exact and online in both rules below.

:func:`eprop_exact` computes ``L`` by a backward pass of its own (independent of
:func:`refsnn.bptt`'s code) and accumulates ``sum_n L_i[n] e_ij[n]`` forwards: it equals
:func:`refsnn.bptt` to rounding (tests, all resets, ``detach_reset``, hard and soft spikes).
It is **not** an online rule: ``L`` needs the future, hence the recorded trace and a backward
pass (memory ``O(B N T)``, measured in ``benchmarks/costs.py`` with BPTT's group).

Truncated e-prop (online)
-------------------------
:func:`eprop` keeps only the direct path through the readout and replaces ``W_o^T`` by a
feedback matrix ``B`` (``N x n_out``; ``B = W_o^T`` by default, symmetric e-prop, or a fixed
random one):
``L^B_i[n] = sum_k B_ik gI_{o,k}[n+1]``, with ``gI_o[n+1] = sum_{m > n} epsilon[m - n] d[m]``
and ``d = dL/dU_o``. This signal looks into the future; exchanging the sums gives the online
form actually computed,

.. math::

    \sum_n L^B_i[n]\, e_{ij}[n] = \sum_m \Big(\sum_k B_{ik}\, d_k[m]\Big)\, (\epsilon * e_{ij})[m],

an instantaneous error times the eligibility trace filtered by the readout kernel (Bellec's
``\bar e``), everything advanced forward in time from the trace at step ``n`` and ``d[:, n]``.
Without recurrence (``V = None``) and with ``B = W_o^T`` the dropped term is zero and the rule
is exact.

Given the input ``x`` instead of a trace, and ``d_readout`` as a per-step callable
``(n, readout_n)`` as for :func:`refsnn.rtrl`, :func:`eprop` runs the network itself, one step
at a time (the kernels of RTRL's online form): memory ``O(B N (n_in + N))``, independent of
``T``. The trace form reads the same values from the recording and gives the same numbers, bit
for bit (tests).

Read next: refsnn/grad/feedback.py, feedback alignment, DFA and local errors: BPTT's temporal
credit with a random spatial path.
"""
from __future__ import annotations

import numpy as np

from .. import lif
from ..network import Network, trace_or_input
from ..trace import Grads, Trace, check_readout_grad, check_trace
from .forward import ReadoutGrad, forward_step, spike_step

_EMPTY2 = np.zeros((0, 0))


def _check_net(net):
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    net.require_float64("e-prop")
    net.require_readout("e-prop")
    net.require_options("e-prop")
    if net.n_hidden_layers != 1:
        raise ValueError(f"e-prop is implemented for one (recurrent) spiking layer; the network "
                         f"has {net.n_hidden_layers}")


def _check(net, trace, d_readout):
    _check_net(net)
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace (net.simulate(x)), got {type(trace).__name__}")
    check_trace(net, trace)
    return check_readout_grad(d_readout, trace)


def _partials(net, trace):
    """``(dU[n+1]/dU[n], dU[n+1]/dI[n], dU[n+1]/dS[n])`` of the spiking layer at every step,
    each ``(B, T, N)`` (:func:`refsnn.lif.reset_partials`)."""
    nrn = lif.neuron(net.params, net.surrogate, trace.spike)
    return lif.reset_partials_array(nrn, trace.U[0], trace.I[0], trace.S[0])


class _Local:
    """Forward recursion of the local eligibility traces of one presynaptic source."""

    def __init__(self, B, N, M):
        self.eI = np.zeros((B, N, M))
        self.eU = np.zeros((B, N, M))

    def e(self, sp):
        """``e_ij[n] = sigma'_i[n] eU_ij[n]``."""
        return sp[:, :, None] * self.eU

    def advance(self, alpha, partials, sp, pre):
        """From step ``n`` to ``n + 1``; ``partials``: Eq. 8's three partials at step ``n``,
        ``sp``: the slopes ``(B, N)`` at step ``n``; ``pre``: ``(B, M)`` presynaptic ``p[n]``."""
        dU_dU, dU_dI, dU_dS = (a[:, :, None] for a in partials)
        self.eU = dU_dU * self.eU + dU_dI * self.eI + dU_dS * self.e(sp)
        self.eI = alpha * self.eI + pre[:, None, :]


def learning_signal(net, trace, d_readout):
    r"""The exact learning signal ``L_i[n]`` (module docstring), ``(B, T, N)``.

    Computed by its own backward pass over the trace: readout adjoints
    ``gU_o[n] = d[n] + beta gU_o[n+1]``, ``gI_o[n] = alpha gI_o[n+1] + gU_o[n+1]``, then
    ``L[n] = W_o^T gI_o[n+1] + V^T gI[n+1]``, ``gS[n] = L[n] + dU[n+1]/dS[n] gU[n+1]``,
    ``gU[n] = sigma'[n] gS[n] + dU[n+1]/dU[n] gU[n+1]``,
    ``gI[n] = alpha gI[n+1] + dU[n+1]/dI[n] gU[n+1]``.
    """
    return _learning_signal(net, trace, d_readout)


def _learning_signal(net, trace, d_readout, total=False):
    """:func:`learning_signal`; ``total=True`` returns ``gS`` (reset path included: the
    double-counting mistake, for the tests only)."""
    d = _check(net, trace, d_readout)
    p, sg = net.params, net.surrogate
    U = trace.U[0]
    Wo, V = net.W[1], net.V[0]
    B, T, N = U.shape
    K = d.shape[2]
    sp_all = sg.derivative(U - p.threshold)
    dU_dU, dU_dI, dU_dS = _partials(net, trace)
    Lsig = np.zeros((B, T, N))
    gI_o, gU_o = np.zeros((B, K)), np.zeros((B, K))  # at step n+1
    gI, gU = np.zeros((B, N)), np.zeros((B, N))
    for n in range(T - 1, -1, -1):
        Ln = gI_o @ Wo
        if V is not None:
            Ln = Ln + gI @ V
        gS = Ln + dU_dS[:, n] * gU
        Lsig[:, n] = gS if total else Ln
        gU_new = sp_all[:, n] * gS + dU_dU[:, n] * gU
        gI = p.alpha * gI + dU_dI[:, n] * gU
        gU = gU_new
        gU_o_new = d[:, n] + p.beta * gU_o
        gI_o = p.alpha * gI_o + gU_o
        gU_o = gU_o_new
    return Lsig


def _readout_grad_step(state, S_n, d_n, g, alpha, beta):
    """Online exact readout gradient: ``g += d[n]^T (eps * S)[n]``, then advance the filter."""
    a, sbar = state
    g += d_n.T @ sbar
    state[1] = beta * sbar + a
    state[0] = alpha * a + S_n


def factorised_gradient(net, trace, d_readout, signal):
    r"""``sum_n signal_i[n] e_ij[n]`` for ``W`` and ``V`` (local eligibility traces advanced
    forward), and the exact readout gradient; ``signal``: ``(B, T, N)``. Returns ``Grads``."""
    d = _check(net, trace, d_readout)
    p, sg = net.params, net.surrogate
    U, S, x = trace.U[0], trace.S[0], trace.x
    partials = _partials(net, trace)
    B, T, N = U.shape
    signal = np.asarray(signal, dtype=np.float64)
    if signal.shape != (B, T, N):
        raise ValueError(f"signal must have shape {(B, T, N)}, got {signal.shape}")
    has_V = net.V[0] is not None
    eW = _Local(B, N, x.shape[2])
    eV = _Local(B, N, N) if has_V else None
    gW, gV = np.zeros_like(net.W[0]), (np.zeros_like(net.V[0]) if has_V else None)
    gWo = np.zeros_like(net.W[1])
    ro = [np.zeros((B, N)), np.zeros((B, N))]
    for n in range(T):
        sp = sg.derivative(U[:, n] - p.threshold)
        Ln = signal[:, n]
        gW += np.einsum("bi,bij->ij", Ln, eW.e(sp))
        if has_V:
            gV += np.einsum("bi,bij->ij", Ln, eV.e(sp))
        _readout_grad_step(ro, S[:, n], d[:, n], gWo, p.alpha, p.beta)
        if n + 1 == T:
            break
        part_n = [a[:, n] for a in partials]
        if has_V:
            eV.advance(p.alpha, part_n, sp, S[:, n])
        eW.advance(p.alpha, part_n, sp, x[:, n])
    return Grads(W=[gW, gWo], V=[gV])


def eprop_exact(net, trace, d_readout) -> Grads:
    """``sum_n L_i[n] e_ij[n]`` with the full learning signal: equals :func:`refsnn.bptt`.

    Not online: ``L_i[n]`` is the effect of the spike ``S_i[n]`` on the loss of every *later*
    step, known only at the end of the sequence, so it is computed by a backward pass over the
    recorded trace (:func:`learning_signal`, ``(B, T, N)``): memory ``O(B N T)`` like BPTT. Only
    the eligibility traces run forwards. :func:`eprop` drops the part of ``L`` that looks into
    the future through ``V`` and turns the rest into an online rule.
    """
    return factorised_gradient(net, trace, d_readout, learning_signal(net, trace, d_readout))


def direct_signal(net, trace, d_readout, feedback=None):
    """The truncated learning signal ``L^B[n] = B gI_o[n+1]`` ``(B, T, N)`` (offline form; for
    checking :func:`eprop`)."""
    d = _check(net, trace, d_readout)
    Bm = _feedback(net, feedback)
    p = net.params
    Bsz, T, K = d.shape
    out = np.zeros((Bsz, T, Bm.shape[0]))
    gI_o, gU_o = np.zeros((Bsz, K)), np.zeros((Bsz, K))
    for n in range(T - 1, -1, -1):
        out[:, n] = gI_o @ Bm.T
        gI_o, gU_o = p.alpha * gI_o + gU_o, d[:, n] + p.beta * gU_o
    return out


def _feedback(net, feedback):
    N, K = net.sizes[1], net.sizes[-1]
    if feedback is None:
        return net.W[1].T
    Bm = np.asarray(feedback)
    if Bm.dtype == object or not np.issubdtype(Bm.dtype, np.number):
        raise TypeError(f"feedback must be a numeric array, got dtype {Bm.dtype}")
    if Bm.shape != (N, K):
        raise ValueError(f"feedback must have shape {(N, K)} (neurons, outputs), got {Bm.shape}")
    Bm = Bm.astype(np.float64)
    if not np.all(np.isfinite(Bm)):
        raise ValueError("feedback contains NaN or inf")
    return Bm


def _trace_steps(net, trace, dro):
    """Per step ``n``: ``(x[n], U[n], I[n], S[n], d[n])`` of the spiking layer, read from a
    recorded trace (each ``(B, .)``)."""
    U, I, S, x = trace.U[0], trace.I[0], trace.S[0], trace.x
    for n in range(x.shape[1]):
        d, dn = dro.at(n, trace.readout[:, n])
        yield x[:, n], U[:, n], I[:, n], S[:, n], d[:, dn]


def _online_steps(net, x, dro, spike):
    """The same per-step values from the network advanced here, one step at a time, with the
    kernels of :func:`refsnn.rtrl`'s online form (:func:`refsnn.grad.forward.forward_step`):
    the running state ``(B, 1, N)`` is overwritten, nothing of length ``T`` is kept. Step
    ``n + 1`` is computed when the consumer asks for it, after it has read step ``n``."""
    p, sg = net.params, net.surrogate
    B, T, _ = x.shape
    hidden, readout = lif.neuron(p, sg, spike), lif.neuron(p, sg, "none")
    (I, U, S), (I_o, U_o, S_o) = ([np.zeros((B, 1, k)) for _ in range(3)]
                                  for k in net.sizes[1:])
    V = net.V[0]
    for n in range(T):
        spike_step(U, hidden, S)  # S[n] from U[n]
        d, dn = dro.at(n, U_o[:, 0])
        yield x[:, n], U[:, 0], I[:, 0], S[:, 0], d[:, dn]
        if n + 1 < T:  # the layer, then the readout (which reads S[n]), to n + 1
            forward_step(x, n, net.W[0], _EMPTY2 if V is None else V, V is not None, hidden,
                         I, U, S)
            forward_step(S[:, 0][:, None], 0, net.W[1], _EMPTY2, False, readout, I_o, U_o, S_o)


def eprop(net, trace, d_readout, feedback=None, *, spike=None, binary_input=True) -> Grads:
    r"""Truncated, online e-prop (module docstring): ``sum_m (B d[m])_i (eps * e_ij)[m]``.

    Parameters
    ----------
    net : Network
        ``sizes = [n_in, N, n_out]``, ``V[0]`` optional.
    trace : Trace or array (B, T, n_in)
        ``net.simulate(x, spike=...)``, read at step ``n`` only; or the input ``x`` itself: the
        network then runs here, one step at a time alongside the eligibility traces, and
        nothing of length ``T`` is stored (online e-prop; memory ``O(B N (n_in + N))``).
    d_readout : array (B, T, n_out), or callable ``(n, readout_n) -> array (B, n_out)``
        ``dL/dU_o``, read at step ``n`` only; a callable is called once per step with the
        readout ``U_o[n]`` (a copy), as in :func:`refsnn.rtrl`.
    feedback : array (N, n_out), optional
        ``B``; default ``W_o^T`` (symmetric e-prop). A fixed random matrix gives random e-prop.
    spike : {"hard", "soft"}, optional
        Only with an input ``x`` (default ``"hard"``); a trace carries its own.
    binary_input : bool
        With an input ``x``: require it to be 0/1.

    Returns
    -------
    Grads
        ``W[0]``, ``V[0]``: the e-prop approximation; ``W[1]`` (readout): exact. The trace and
        the online form give the same numbers (the same arithmetic on the same values).
    """
    _check_net(net)
    spike, x, tr = trace_or_input(net, trace, spike, binary_input)
    if tr is not None:
        steps = lambda dro: _trace_steps(net, trace, dro)  # noqa: E731
    else:
        steps = lambda dro: _online_steps(net, x, dro, spike)  # noqa: E731
    Bm = _feedback(net, feedback)
    B, T, _ = x.shape
    N, K = net.sizes[1], net.sizes[2]
    dro = ReadoutGrad(d_readout, (B, T, K), tr)
    p, sg = net.params, net.surrogate
    nrn = lif.neuron(p, sg, spike)
    has_V = net.V[0] is not None
    eW = _Local(B, N, x.shape[2])
    eV = _Local(B, N, N) if has_V else None
    # readout-filtered eligibility traces  bar e = eps * e  (a, bar) per source
    fW = [np.zeros_like(eW.eU), np.zeros_like(eW.eU)]
    fV = [np.zeros_like(eV.eU), np.zeros_like(eV.eU)] if has_V else None
    gW, gV = np.zeros_like(net.W[0]), (np.zeros_like(net.V[0]) if has_V else None)
    gWo = np.zeros_like(net.W[1])
    ro = [np.zeros((B, N)), np.zeros((B, N))]
    for n, (x_n, U_n, I_n, S_n, d_n) in enumerate(steps(dro)):
        sp = sg.derivative(U_n - p.threshold)
        err = d_n @ Bm.T  # (B, N): instantaneous error sent back through B
        gW += np.einsum("bi,bij->ij", err, fW[1])
        if has_V:
            gV += np.einsum("bi,bij->ij", err, fV[1])
        _readout_grad_step(ro, S_n, d_n, gWo, p.alpha, p.beta)
        if n + 1 == T:
            break
        for loc, f in ((eW, fW), (eV, fV)) if has_V else ((eW, fW),):
            e = loc.e(sp)
            f[1] = p.beta * f[1] + f[0]
            f[0] = p.alpha * f[0] + e
        part_n = lif.reset_partials_array(nrn, U_n, I_n, S_n)
        if has_V:
            eV.advance(p.alpha, part_n, sp, S_n)
        eW.advance(p.alpha, part_n, sp, x_n)
    return Grads(W=[gW, gWo], V=[gV])

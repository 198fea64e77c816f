r"""Exact forward-mode gradients (real-time recurrent learning, RTRL) of the LIF network.

The same derivative as :func:`refsnn.grad.bptt.bptt`, derived the other way round: instead of
adjoints propagated backwards from the end of the sequence, the *sensitivities* of every state
variable with respect to every parameter are propagated forwards, step by step, next to the
network, and the loss gradient is accumulated online. Nothing of length ``T`` is stored.

Sensitivity equations
---------------------
For one parameter entry :math:`\theta` (any :math:`W^{(m)}_{ij}`, :math:`V^{(m)}_{ij}`, or an
entry of the readout :math:`W_o = W^{(L+1)}`) write :math:`\partial X = dX/d\theta` (total
derivative), :math:`s'^{(l)}_k[n] = F'(U^{(l)}_k[n] - \vartheta)` (the surrogate derivative,
docs/design.md §5) and :math:`\partial S^{(0)} = 0` (the input does not depend on the weights).
State starts at zero, :math:`\partial I[0] = \partial U[0] = 0`, and for ``n = 0..T-2``,
differentiating Eqs. 7-8 (tutorial, arXiv numbering) exactly:

.. math::

    \partial S^{(l)}_k[n] &= s'^{(l)}_k[n]\; \partial U^{(l)}_k[n] \\
    \partial I^{(l)}_k[n+1] &= \alpha\, \partial I^{(l)}_k[n]
        + \sum_{k'} W^{(l)}_{kk'}\, \partial S^{(l-1)}_{k'}[n]
        + \sum_{k'} V^{(l)}_{kk'}\, \partial S^{(l)}_{k'}[n]
        + \underbrace{\delta_{lm}\, \delta_{ki}\, S^{(l-1)}_j[n]}_{\theta = W^{(m)}_{ij}}
        \;\text{or}\;
        \underbrace{\delta_{lm}\, \delta_{ki}\, S^{(l)}_j[n]}_{\theta = V^{(m)}_{ij}} \\
    \partial U^{(l)}_k[n+1] &= \beta\, \partial U^{(l)}_k[n] + \partial I^{(l)}_k[n]
        - \vartheta\, \partial S^{(l)}_k[n]
        &\text{reset="subtract"} \\
    \partial U^{(l)}_k[n+1] &= \big(\beta\, \partial U^{(l)}_k[n] + \partial I^{(l)}_k[n]\big)
        \big(1 - S^{(l)}_k[n]\big)
        - \big(\beta U^{(l)}_k[n] + I^{(l)}_k[n]\big)\, \partial S^{(l)}_k[n]
        &\text{reset="zero"} \\
    \partial U^{(l)}_k[n+1] &= \beta\, \partial U^{(l)}_k[n] + \partial I^{(l)}_k[n]
        &\text{reset="none"}

With ``detach_reset=True`` the terms containing :math:`\partial S^{(l)}_k[n]` in the membrane
equations are dropped, while the forward *value* of the reset still acts (the factor
:math:`1 - S[n]` of the zero reset stays). These are the rows of the partial-derivative table
of :func:`refsnn.lif.reset_partials`, applied forwards: the kernel computes
:math:`\partial U[n+1] = \tfrac{\partial U[n+1]}{\partial U[n]} \partial U[n]
+ \tfrac{\partial U[n+1]}{\partial I[n]} \partial I[n]
+ \tfrac{\partial U[n+1]}{\partial S[n]} \partial S[n]` with those partials. The readout is layer ``L+1`` with
:math:`S_o \equiv 0` (so no ``V``, no reset, :math:`s' = 0`), its source term for
:math:`\theta = (W_o)_{ij}` is :math:`\delta_{ki} S^{(L)}_j[n]`, and the gradient is accumulated
online, reading ``d_readout[:, n]`` only at step ``n``:

.. math::

    \frac{\partial L}{\partial \theta} = \sum_b \sum_{n=0}^{T-1} \sum_k
        \frac{\partial L}{\partial U_{o,k}[n]}\; \partial U_{o,k}[n].

These are the equations of the tutorial's model (input gain ``g = 1``; each ``\partial I[n]``
in the membrane equations is ``g \partial I[n]`` otherwise). The options of the neuron model
(:mod:`refsnn.lif`) change one step of the recursion, written once in
:mod:`refsnn.grad.sensitivity`: the leaky neuron's membrane reads ``\partial I[n+1]``, and the
adaptive threshold adds the sensitivity ``\partial b`` with ``\partial S = s' (\partial U -
\partial b)``.

Relation to the tutorial's Eq. 12
---------------------------------
Eq. 12 (journal Eq. 8) is the same recursion for the generic RNN of Box 1, with one state
variable per neuron: :math:`P^{(l,m)}_{ijk}[n] = \partial y^l_k[n] / \partial W^m_{ij}`, see
:func:`refsnn.rnn.forward_eq12`. In the corrected form (``docs/errata.md``)

.. math::

    P^{(l,m)}_{ijk}[n] = \sigma'(a^l_k[n]) \Big( \sum_{k'} V^l_{kk'} P^{(l,m)}_{ijk'}[n-1]
        + \sum_{k'} W^l_{kk'} P^{(l-1,m)}_{ijk'}[n-1]
        + \delta_{lm}\, \delta_{ik}\, y^{l-1}_j[n-1] \Big)

the bracket is exactly the non-leak part of :math:`\partial I^{(l)}_k[n+1]` above (weights
indexed by the neuron ``k`` whose sensitivity is propagated, source
:math:`\delta_{lm}\delta_{ik}` times the presynaptic activity ``j``; the printed form has
:math:`V^l_{ij'}, W^l_{ij'}` and :math:`\delta_{lm} y^{l-1}_i[n-1]`), and
:math:`P = \partial S = s' \partial U`. The LIF neuron adds two leaky state variables, so each
``P`` becomes a pair of tensors :math:`(\partial I, \partial U)` per (layer, parameter) pair,
with the leaks :math:`\alpha, \beta` and the reset terms in the recursion; the ``Q`` tensors of
the recurrent weights (not printed: "computed in a similar fashion") are the same recursion with
the source :math:`\delta_{lm}\delta_{ik} S^{(l)}_j[n]`.

Cost
----
Per sample, the sensitivity of every neuron of layer ``l >= m`` to every entry of a parameter
of layer ``m`` is held: :math:`2 N_l P_m` numbers for a parameter with :math:`P_m` entries, i.e.
memory :math:`O(N^3)` per layer pair (the :math:`N^2` entries of an :math:`N \times N` ``V``
times ``N`` neurons), :math:`O(L^2 N^3)` in all (times the batch size ``B``), independent of
``T``. Each step multiplies every sensitivity by ``W`` and ``V``: time :math:`O(N^4)` per step
and layer pair, :math:`O(B L^2 N^4 T)` in all. BPTT costs :math:`O(B L N^2 T)` time but
:math:`O(B L N T)` memory (the recorded trace and its adjoints). RTRL is the exact, online,
``T``-independent-memory alternative that e-prop and SuperSpike approximate.

Kernels (Numba, plain loops, modes as integer codes like :mod:`refsnn.lif`): one sensitivity
step per (layer, parameter) pair, the surrogate slopes of a layer at one step, the online
accumulation of the gradient, and, when ``rtrl`` is given the input rather than a trace, one
forward step of a layer (the same arithmetic as :func:`refsnn.lif.layer_forward`).

Read next: refsnn/grad/superspike.py, a forward rule that keeps only each neuron's own
sensitivities.
"""
from __future__ import annotations

import numpy as np

from .. import lif
from ..network import Network, trace_or_input
from ..trace import Grads, check_readout_grad
from .sensitivity import (SRC_NONE, SRC_V, SRC_W, accumulate, current_step,  # noqa: F401
                          forward_step, membrane_step, running_spikes, sensitivity_step, slopes,
                          spike_step)

_EMPTY2 = np.zeros((0, 0))
_EMPTY3 = np.zeros((0, 0, 0))


# ---------------------------------------------------------------------------- kernels
def block_sensitivity_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    """:func:`sensitivity_step` for Python callers, in the ``(B, A, C, N)`` layout of the
    ``rtrl_step`` exercise: ``dI[b, i, j, k] = dI_k[n] / dtheta_ij`` for a block ``theta`` of
    shape ``(A, C)``; returns the sensitivities at step ``n + 1``.

    ``dS_in`` ``(B, A, C, N_in)``: sensitivities of the layer's input spikes at step ``n``;
    ``I, U, S`` ``(B, N)``: the layer's state at step ``n``; ``source`` ``(B, C)`` or None: the
    presynaptic activity of the source term ``delta_ik source_j[n]`` (``S_in[n]`` for the
    layer's own ``W``, ``S[n]`` for its ``V``). The kernel takes the sensitivities flat,
    ``(B, A*C, N)`` with entry ``p = i*C + j``, and the layer below as ``dU_below`` times its
    slopes: ``dS_in`` is passed with unit slopes. The tutorial's neuron only (no leaky neuron,
    no adaptive threshold: their state is more than ``I, U, S`` of one step).
    """
    if params.neuron != "synaptic" or params.adaptive:
        raise ValueError("block_sensitivity_step is written for the tutorial's neuron: params "
                         "must have neuron='synaptic' and no threshold_decay")
    B, A, C, N = np.shape(dU)
    P = A * C
    dI_f = np.array(dI, dtype=np.float64).reshape(B, P, N)
    dU_f = np.array(dU, dtype=np.float64).reshape(B, P, N)
    N_in = np.shape(W)[1]
    dS_f = np.ascontiguousarray(dS_in, dtype=np.float64).reshape(B, P, N_in)
    sp = np.ascontiguousarray(surrogate.derivative(np.asarray(U) - params.threshold),
                              dtype=np.float64)
    state = [np.ascontiguousarray(a, dtype=np.float64)[:, None, :] for a in (I, U, S)]
    src = (np.zeros((0, 0, 0)) if source is None
           else np.ascontiguousarray(source, dtype=np.float64)[:, None, :])
    sensitivity_step(dI_f, dU_f, _EMPTY3, dS_f, _EMPTY3, sp, np.ones((B, N_in)), True, False,
                     np.ascontiguousarray(W, dtype=np.float64),
                     _EMPTY2 if V is None else np.ascontiguousarray(V, dtype=np.float64),
                     V is not None, *state, _EMPTY3, 0, lif.neuron(params, surrogate),
                     SRC_NONE if source is None else SRC_W, src, 0)
    return dI_f.reshape(B, A, C, N), dU_f.reshape(B, A, C, N)


# ---------------------------------------------------------------------------- validation
def _f64(a):
    return np.ascontiguousarray(a, dtype=np.float64)


class ReadoutGrad:
    """``dL/dU_o[n]`` at step ``n`` from an array ``(B, T, K)`` or a callable, as ``(arr, idx)``
    (the ``d_readout`` argument of the online rules: :func:`rtrl`, :func:`refsnn.grad.eprop.eprop`)."""

    def __init__(self, d_readout, shape, trace):
        self.B, self.T, self.K = shape
        self.fn = d_readout if callable(d_readout) else None
        if self.fn is None:
            if trace is not None:
                self.d = check_readout_grad(d_readout, trace)
            else:
                d = np.asarray(d_readout)
                if d.shape != shape:
                    raise ValueError(f"d_readout must have the readout's shape {shape}, "
                                     f"got {d.shape}")
                self.d = _f64(d)
                if not np.all(np.isfinite(self.d)):
                    raise ValueError("d_readout contains NaN or inf")
        else:
            self.buf = np.empty((self.B, 1, self.K))

    def at(self, n, readout_n):
        if self.fn is None:
            return self.d, n
        g = np.asarray(self.fn(n, readout_n.copy()))
        if g.shape != (self.B, self.K):
            raise ValueError(f"d_readout(n, readout[:, n]) must return shape "
                             f"{(self.B, self.K)}, got {g.shape} at step {n}")
        self.buf[:, 0, :] = g
        if not np.all(np.isfinite(self.buf)):
            raise ValueError(f"d_readout returned NaN or inf at step {n}")
        return self.buf, 0


# ---------------------------------------------------------------------------- driver
def rtrl(net, trace, d_readout, *, spike=None, binary_input=True) -> Grads:
    r"""Exact forward-mode (RTRL) gradient of a loss, given ``dL/d readout``.

    Same arguments and result as :func:`refsnn.grad.bptt.bptt`: for ``spike="hard"`` the
    surrogate gradient, for ``spike="soft"`` the true gradient of the smooth model; the two
    methods agree to rounding (docs/design.md §6.2). The sensitivities are propagated forwards in time
    (module docstring); memory is independent of ``T``.

    Parameters
    ----------
    net : Network
        The network (its weights must be those that produced ``trace``).
    trace : Trace or array (B, T, n_in)
        A recorded forward ``net.simulate(x, spike=...)``, whose ``I, U, S`` are read step by
        step; or the input ``x`` itself, in which case the forward runs here, one step at a
        time alongside the sensitivities, and nothing of length ``T`` is kept (online RTRL).
    d_readout : array (B, T, n_out), or callable ``(n, readout_n) -> array (B, n_out)``
        ``dL/dU_o[n]``, as returned by :mod:`refsnn.losses`; or a function called once per
        step ``n = 0..T-1`` with the readout ``U_o[n]`` ``(B, n_out)`` (a copy), for losses
        that are sums over time of per-step terms (e.g. a mean squared error to a target).
    spike : {"hard", "soft"}, optional
        Only with an input ``x`` (default ``"hard"``); a trace carries its own ``trace.spike``
        (passing a different value is an error).
    binary_input : bool
        With an input ``x``: require it to be 0/1 (as :meth:`refsnn.Network.simulate`).

    Returns
    -------
    Grads
        ``grads.W[l]`` (shape of ``net.W[l]``) and ``grads.V[l]`` (``None`` where ``net.V[l]``
        is ``None``).
    """
    return _rtrl(net, trace, d_readout, spike=spike, binary_input=binary_input)


def _rtrl(net, trace, d_readout, spike=None, binary_input=True, drop_reset_term=False):
    """:func:`rtrl`; ``drop_reset_term=True`` omits the ``dS`` terms of the membrane equations
    whatever ``detach_reset`` says (a deliberate mistake, for the tests only)."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    net.require_float64("rtrl")
    net.require_readout("rtrl")
    p, sg = net.params, net.surrogate
    spike, x, tr = trace_or_input(net, trace, spike, binary_input)
    online = tr is None
    if not online:
        x = _f64(x)
    B, T, _ = x.shape
    L = net.n_hidden_layers
    sizes = net.sizes
    K = sizes[-1]
    dro = ReadoutGrad(d_readout, (B, T, K), tr)
    hidden = lif.neuron(p, sg, spike, detach_reset=bool(p.detach_reset or drop_reset_term))
    nrns = [hidden] * L + [lif.neuron(net.readout_params, sg, "none")]  # no spikes, no reset

    ad = hidden.adaptive  # the threshold adapts: b and its sensitivities db too

    # forward values [I, U, S, b]: recorded arrays (index n), or the running state (index 0;
    # I holds I[n], I[n+1], as the leaky neuron's membrane reads the current of its own step)
    def zeros(l, steps=1):
        return np.zeros((B, steps, sizes[l + 1]))

    if online:
        state = [[zeros(l, 2), zeros(l), zeros(l), zeros(l) if ad and l < L else _EMPTY3]
                 for l in range(L + 1)]
        arrays = state
    else:
        arrays = [[_f64(tr.I[l]), _f64(tr.U[l]), _f64(tr.S[l]), _f64(tr.b[l]) if ad else _EMPTY3]
                  for l in range(L)]
        arrays.append([_f64(tr.readout_I), _f64(tr.readout), np.zeros_like(tr.readout),
                       _EMPTY3])

    # parameter blocks: (gradient array, layer m, source code); W_o is block "W[L]" of layer L
    gW = [np.zeros_like(w) for w in net.W]
    gV = [None if v is None else np.zeros_like(v) for v in net.V]
    blocks = [(gW[m], m, SRC_W) for m in range(L + 1)]
    blocks += [(gV[m], m, SRC_V) for m in range(L) if gV[m] is not None]
    # sens[q][l] = (dI, dU, db) of layer l >= m_q w.r.t. block q, each (B, P_q, N_l) (db only
    # for an adaptive hidden layer)
    sens = [{l: (np.zeros((B, g.size, sizes[l + 1])), np.zeros((B, g.size, sizes[l + 1])),
                 np.zeros((B, g.size, sizes[l + 1])) if ad and l < L else _EMPTY3)
             for l in range(m, L + 1)} for g, m, _ in blocks]
    sp = [np.zeros((B, sizes[l + 1])) for l in range(L + 1)]  # readout slopes stay 0

    for n in range(T):
        idx = 0 if online else n
        if online:  # spikes of step n from U[n], b[n]
            for l in range(L):
                I, U, S, A = state[l]
                running_spikes(U, A, hidden, S)
        # the loss reads U_o[n]: accumulate dL/dtheta += dL/dU_o[n] . dU_o[n]/dtheta
        d, dn = dro.at(n, arrays[L][1][:, idx])
        for q, (g, m, _) in enumerate(blocks):
            accumulate(sens[q][L][1], d, dn, g.reshape(-1))
        if n + 1 == T:
            break
        if online:  # the currents of step n+1 (Eq. 7), which the leaky membrane reads
            for l in range(L + 1):
                I, U, S, A = state[l]
                S_in, n_in = (x, n) if l == 0 else (state[l - 1][2], 0)
                V = net.V[l] if l < L else None
                current_step(S_in, n_in, net.W[l], V if V is not None else _EMPTY2,
                             V is not None, nrns[l], I, S)
        for l in range(L):
            slopes(arrays[l][1], arrays[l][3], idx, hidden, sp[l])
        # sensitivities to n+1, top layer first: layer l reads dU of layer l-1 at step n
        for l in range(L, -1, -1):
            I, U, S, A = arrays[l]
            V = net.V[l] if l < L else None
            for q, (g, m, kind) in enumerate(blocks):
                if l < m:
                    continue
                dI, dU, dA = sens[q][l]
                below = l - 1 >= m
                if l == m:  # the block's own layer: source term from its presynaptic spikes
                    if kind == SRC_V:
                        src, src_idx = arrays[l][2], idx
                    elif l > 0:
                        src, src_idx = arrays[l - 1][2], idx
                    else:
                        src, src_idx = x, n
                    source = kind
                else:
                    src, src_idx, source = _EMPTY3, 0, SRC_NONE
                dU_b, dA_b = sens[q][l - 1][1:] if below else (_EMPTY3, _EMPTY3)
                sensitivity_step(dI, dU, dA, dU_b, dA_b, sp[l], sp[l - 1] if below else _EMPTY2,
                                 below, ad and below, net.W[l],
                                 V if V is not None else _EMPTY2, V is not None, I, U, S, A,
                                 idx, nrns[l], source, src, src_idx)
        if online:  # the membranes to n+1 (after the sensitivities, which read step n)
            for l in range(L + 1):
                membrane_step(nrns[l], *state[l])
    return Grads(W=gW, V=gV)

r"""Leaky integrate-and-fire layer: the forward kernel and its scalar pieces (tutorial Eqs. 7-8).

One layer of ``N`` current-based LIF neurons driven by presynaptic spikes ``S_in`` of shape
``(batch, T, N_in)`` through ``W`` (``N x N_in``) and, optionally, by its own spikes through the
recurrent ``V`` (``N x N``). State starts at zero, ``I[0] = U[0] = b[0] = 0``, and for
``n = 0..T-2``

.. math::

    S[n]   &= \Theta(U[n] - \vartheta[n])                    \quad\text{(hard) or } F(U[n]-\vartheta[n]) \text{ (soft)}\\
    I[n+1] &= \alpha I[n] + W S_{in}[n] + V S[n]                                        &\text{(Eq. 7)}\\
    U[n+1] &= \beta U[n] + g J[n] - \vartheta[n] S[n]         &\text{reset="subtract" (Eq. 8)}\\
    U[n+1] &= (\beta U[n] + g J[n]) (1 - S[n])               &\text{reset="zero" (SpyTorch)}\\
    U[n+1] &= \beta U[n] + g J[n]                             &\text{reset="none"}

with, by default (the tutorial's model), ``J[n] = I[n]``, ``g = 1`` and ``theta[n] = theta``.
The options of :class:`LIFParams`:

* ``input_gain="1-beta"``: ``g = 1 - beta`` (Zenke & Vogels 2021, Eq. 4.1, the forward-Euler
  form of ``tau dU/dt = -U + I``; "lessons from deep learning" Eq. 3).
* ``neuron="leaky"``: the single-state neuron of "lessons" Eq. 4 (snnTorch's ``Leaky``),
  ``U[t] = beta U[t-1] + W X[t] - S[t-1] theta``: no synaptic memory (``alpha = 0``) and the
  membrane reads the current of the same step, ``J[n] = I[n+1] = W S_in[n] + V S[n]``. With
  ``t = n + 1`` and ``X[t] = S_in[t - 1]`` this is the printed equation: each layer delays its
  input by one step (the synaptic neuron by two), where snnTorch, which feeds ``X[t]`` to
  ``U[t]``, delays it by none.
* ``threshold_decay`` (``alpha_b``): the adaptive threshold of "lessons" Appendix C.3,
  ``theta[n] = theta_0 + b[n]`` (Eq. 51) and ``b[n+1] = alpha_b b[n] + q S[n]`` (Eq. 52),
  with the jump ``q = 1 - alpha_b`` as printed or ``threshold_jump``. The subtractive reset
  subtracts the threshold of the step, ``theta[n]``.

The non-spiking readout is the same layer with no spikes (``S = 0``), so ``U`` is a leaky
double-exponential filter of its input.

The kernels take a layer's scalars as one :data:`Neuron` record (:func:`neuron` builds it from
the ``LIFParams`` of :mod:`refsnn.params`, the surrogate and the spike mode). The partial derivatives of Eq. 8, which every
gradient method needs, are :func:`reset_partials`, written once beside :func:`membrane_update`,
the update they differentiate. The backward (adjoint) kernel of the layer is in
:mod:`refsnn.grad.bptt`.

Read next: refsnn/network.py, which stacks these layers, adds the readout and records the
trace.
"""
from __future__ import annotations

from collections import namedtuple

import numba
import numpy as np

from .checks import check_bool
# LIFParams and the mode names live in refsnn.params; imported here for the kernels' codes and
# so that ``from refsnn.lif import LIFParams`` keeps working
from .params import (INPUT_GAINS, NEURONS, RESET_NONE, RESET_SUBTRACT, RESET_ZERO,  # noqa: F401
                     RESETS, LIFParams)
from .surrogate import derivative, heaviside, primitive

SPIKES = ("hard", "soft", "none")
SPIKE_HARD, SPIKE_SOFT, SPIKE_NONE = range(3)


def spike_code(spike: str) -> int:
    """Integer code of a spike mode ``"hard" | "soft" | "none"``; ValueError otherwise."""
    if not isinstance(spike, str) or spike not in SPIKES:
        raise ValueError(f"spike must be one of {SPIKES}, got {spike!r}")
    return SPIKES.index(spike)


#: The scalars of one layer as every kernel takes them: the decays ``alpha, beta``, the
#: threshold ``theta`` (``theta_0`` if it adapts), the input gain ``gain`` and the adaptive
#: threshold's ``alpha_b`` and jump ``q`` (in the network's float type), the reset and spike
#: modes and the surrogate as integer codes (so that one compiled kernel serves every mode),
#: ``detach_reset``, ``leaky`` (the membrane reads ``I[n+1]``) and ``adaptive`` as bools. A
#: namedtuple: Numba passes it as one argument and the kernels read ``nrn.alpha``.
Neuron = namedtuple("Neuron", ["alpha", "beta", "theta", "reset", "detach_reset", "spike",
                               "sg_code", "sg_scale", "sg_sub", "gain", "leaky", "adaptive",
                               "alpha_b", "jump"])


def neuron(params, surrogate, spike="hard", dtype=np.float64, detach_reset=None) -> Neuron:
    """The :data:`Neuron` record of a layer of ``params`` with ``surrogate`` and ``spike`` mode.

    ``spike="none"`` is a non-spiking layer (the readout, whose ``params`` are
    :meth:`refsnn.network.Network.readout_params`): it has no reset and no adaptation either,
    but the neuron model (``leaky``) of ``params``.
    ``alpha, beta, theta, gain, alpha_b, jump`` are cast to ``dtype`` (float64 or float32, the
    network's type); ``detach_reset`` overrides ``params.detach_reset`` (SuperSpike's
    ``keep_reset``).
    """
    code = spike_code(spike)
    detach = params.detach_reset if detach_reset is None else check_bool("detach_reset",
                                                                          detach_reset)
    adaptive = params.adaptive and code != SPIKE_NONE
    return Neuron(alpha=dtype(params.alpha), beta=dtype(params.beta),
                  theta=dtype(params.threshold),
                  reset=RESET_NONE if code == SPIKE_NONE else params.reset_code,
                  detach_reset=bool(detach), spike=code, sg_code=surrogate.code,
                  sg_scale=float(surrogate.scale), sg_sub=float(surrogate.subthreshold),
                  gain=dtype(params.gain), leaky=params.neuron == "leaky", adaptive=adaptive,
                  alpha_b=dtype(params.threshold_decay if adaptive else 0.0),
                  jump=dtype(params.jump if adaptive else 0.0))


@numba.njit(cache=True)
def spike_fn(nrn, x):
    """``S = Theta(x)`` (hard), ``F(x)`` (soft) or 0 (none) for ``x = U - theta[n]``."""
    if nrn.spike == SPIKE_HARD:
        return heaviside(x)
    if nrn.spike == SPIKE_SOFT:
        return primitive(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)
    return 0.0


@numba.njit(cache=True)
def spike_grad(nrn, x):
    """``dS/dU`` used by every gradient method: ``F'(x)``, or 0 for a non-spiking layer
    (``dS/db = -F'(x)`` for the adaptive threshold's ``b``)."""
    if nrn.spike == SPIKE_NONE:
        return 0.0
    return derivative(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)


@numba.njit(cache=True)
def threshold(nrn, b):
    """``theta[n] = theta_0 + b[n]`` ("lessons" Eq. 51), or ``theta`` for a fixed threshold."""
    if nrn.adaptive:
        return nrn.theta + b
    return nrn.theta


@numba.njit(cache=True)
def membrane_update(nrn, U, J, S, theta):
    """``U[n+1]`` from ``U[n]``, the current ``J = J[n]`` it reads (``I[n]``, or ``I[n+1]`` for
    the leaky neuron), ``S[n]`` and the threshold ``theta = theta[n]`` (Eq. 8 and its reset
    variants, input gain ``g``)."""
    if nrn.reset == RESET_SUBTRACT:
        return nrn.beta * U + nrn.gain * J - theta * S
    if nrn.reset == RESET_ZERO:
        return (nrn.beta * U + nrn.gain * J) * (1.0 - S)
    return nrn.beta * U + nrn.gain * J


@numba.njit(cache=True)
def reset_partials(nrn, U, J, S, theta):
    r"""The partial derivatives of :func:`membrane_update` at ``(U[n], J[n], S[n], theta[n])``.

    Returns ``(dU[n+1]/dU[n], dU[n+1]/dJ[n], dU[n+1]/dS[n])``, per reset mode (Eq. 8 and
    variants differentiated); the spike's own dependence on ``U[n]`` is the chain-rule factor
    ``dS[n]/dU[n] = F'`` (:func:`spike_grad`) that each gradient method applies:

    =============  ==================  =============  ==========================
    reset          dU[n+1]/dU[n]       dU[n+1]/dJ[n]  dU[n+1]/dS[n]
    =============  ==================  =============  ==========================
    subtract       beta                g              -theta[n]
    zero           beta (1 - S[n])     g (1 - S[n])   -(beta U[n] + g J[n])
    none           beta                g              0
    =============  ==================  =============  ==========================

    (``g`` the input gain, 1 or ``1 - beta``: :attr:`LIFParams.gain`; ``J[n]`` the current the
    membrane reads, ``I[n]``, or ``I[n+1]`` for the leaky neuron; ``theta[n] = theta`` unless
    the threshold adapts, whose partials are :func:`threshold_partials`.)

    With ``detach_reset`` the last column is 0: the reset acts in the forward pass but carries
    no gradient (the factor ``1 - S[n]`` of the zero reset stays, it is the forward value).
    Every gradient method (BPTT backwards, RTRL forwards, SuperSpike's and e-prop's
    eligibility traces) takes its reset terms from here.
    """
    dU = nrn.beta
    dI = nrn.gain
    dS = 0.0
    if nrn.reset == RESET_ZERO:
        dU = nrn.beta * (1.0 - S)
        dI = nrn.gain * (1.0 - S)
        if not nrn.detach_reset:
            dS = -(nrn.beta * U + nrn.gain * J)
    elif nrn.reset == RESET_SUBTRACT and not nrn.detach_reset:
        dS = -theta
    return dU, dI, dS


@numba.njit(cache=True)
def threshold_update(nrn, b, S):
    """``b[n+1] = alpha_b b[n] + q S[n]`` ("lessons" Eq. 52, jump ``q``: default ``1 -
    alpha_b``); 0 for a fixed threshold."""
    if nrn.adaptive:
        return nrn.alpha_b * b + nrn.jump * S
    return 0.0


@numba.njit(cache=True)
def threshold_partials(nrn, S):
    r"""The partials of the adaptive threshold (:func:`threshold_update`, and ``b[n]`` in the
    subtractive reset of :func:`membrane_update`): ``(dU[n+1]/db[n], db[n+1]/db[n],
    db[n+1]/dS[n]) = (-S[n] or 0, alpha_b, q)``.

    ``dU[n+1]/db[n] = -S[n]`` for ``reset="subtract"`` (it subtracts ``theta_0 + b[n]``), with
    or without ``detach_reset``: a detached reset keeps its spike as a constant, not its
    threshold; 0 for the other resets. With ``S[n] = Theta(U[n] - theta_0 - b[n])`` the spike's
    own partial is ``dS[n]/db[n] = -F'``, applied by each gradient method.
    """
    dU = -S if nrn.reset == RESET_SUBTRACT else 0.0
    return dU, nrn.alpha_b, nrn.jump


@numba.njit(cache=True)
def _reset_partials_flat(nrn, U, I, S, dU, dI, dS):
    for k in range(U.shape[0]):
        dU[k], dI[k], dS[k] = reset_partials(nrn, U[k], I[k], S[k], nrn.theta)


def reset_partials_array(nrn, U, I, S):
    """:func:`reset_partials` elementwise for arrays ``U, I, S`` of one shape and a fixed
    threshold (for NumPy code such as :mod:`refsnn.grad.eprop`): three float64 arrays of that
    shape."""
    U, I, S = (np.ascontiguousarray(a, dtype=np.float64) for a in np.broadcast_arrays(U, I, S))
    out = np.empty((3,) + U.shape)
    _reset_partials_flat(nrn, U.reshape(-1), I.reshape(-1), S.reshape(-1),
                         *(o.reshape(-1) for o in out))
    return out[0], out[1], out[2]


@numba.njit(cache=True)
def fire(nrn, U, S):
    """``S[i] = Theta(U[i] - theta)`` (or ``F``, or 0: :func:`spike_fn`) for one state vector of
    a layer with a fixed threshold.

    With :func:`leak`, one step of :func:`layer_forward` for the kernels that step a layer
    alongside their own recursions (SuperSpike); ``layer_forward`` writes the same loops out,
    which its compiled form runs about 6% faster."""
    for i in range(U.shape[0]):
        S[i] = spike_fn(nrn, U[i] - nrn.theta)


@numba.njit(cache=True)
def leak(nrn, I, U, S, I_next, U_next):
    """Eq. 8 and the first term of Eq. 7 for one state vector of a synaptic layer with a fixed
    threshold: ``U_next = membrane_update(U, I, S)``, ``I_next = alpha I``. ``I_next, U_next``
    may be ``I, U`` themselves (in place)."""
    for i in range(U.shape[0]):
        U_next[i] = membrane_update(nrn, U[i], I[i], S[i], nrn.theta)
        I_next[i] = nrn.alpha * I[i]


@numba.njit(cache=True)
def add_weighted_rows(out, M, v):
    """``out += M^T v = sum_k v[k] M[k, :]``, skipping the zero ``v[k]`` (rows of ``M`` are
    contiguous).

    The forward's dense input path, Eq. 7's ``W S_in[n]`` with ``M = W^T`` and ``v = S_in[n]``
    (each spike adds the weights out of its presynaptic neuron), and the backward's error
    products ``W^T gI[n+1]``, ``V^T gI[n+1]`` with ``M = W``, ``V`` and ``v = gI[n+1]``.
    """
    for k in range(v.shape[0]):
        c = v[k]
        if c != 0.0:
            for i in range(out.shape[0]):
                out[i] += M[k, i] * c


@numba.njit(cache=True)
def add_input_events(I_next, WT, idx, val, start, stop):
    """Eq. 7's ``W S_in[n]`` added to ``I_next`` from the events ``start:stop`` of step ``n``.

    The event path (:mod:`refsnn.events`): the same additions in the same order as
    :func:`add_weighted_rows` with ``M = W^T``, without visiting the zeros.
    """
    for k in range(start, stop):
        j, s = idx[k], val[k]
        for i in range(I_next.shape[0]):
            I_next[i] += WT[j, i] * s


@numba.njit(cache=True, parallel=True)
def layer_forward(S_in, ptr, idx, val, use_events, W, V, has_V, nrn, I, U, S, A):
    """Simulate one LIF layer over all steps; fills ``I, U, S`` (each ``(B, T, N)``) in place,
    and the adaptive threshold's ``A = b`` ``(B, T, N)`` if ``nrn.adaptive`` (else ``A`` is
    never read: any 3-d array).

    ``S_in``: ``(B, T, N_in)``; ``W``: ``(N, N_in)``; ``V``: ``(N, N)`` (ignored unless
    ``has_V``); ``nrn``: the layer's :data:`Neuron` record. Any float dtype (float64 or
    float32, all arrays and ``nrn.alpha, beta, theta`` alike). With ``use_events`` the
    input is read from its event list ``ptr, idx, val`` (:mod:`refsnn.events`) instead of
    ``S_in``; both paths give bit-identical results.

    Event-driven input: only the nonzero entries ``S_in[b, n, j]`` are visited, and each adds the
    *column* ``W[:, j]`` (the weights out of presynaptic neuron ``j``) to ``I[b, n+1]``. The
    kernel therefore works on transposed copies ``WT = W.T``, ``VT = V.T`` (C-contiguous), in
    which that column is a contiguous row. Every ``I[b, n+1, i]`` still receives the same
    additions in the same order (``alpha I`` first, then ``W`` over ``j`` ascending, then ``V``),
    so the result is bit-identical to the plain ``W[i, j]`` loop (forward-mode methods replay
    this arithmetic step by step). The membrane is updated after the current, from ``I[n]``
    (or ``I[n+1]``: leaky neuron).

    Samples are independent, so the batch loop is a ``numba.prange`` (``NUMBA_NUM_THREADS``
    threads): each thread writes only its own ``b`` rows, and the result does not depend on the
    number of threads.
    """
    B, T, N_in = S_in.shape
    N = W.shape[0]
    WT = np.ascontiguousarray(W.T)  # WT[j, i] = W[i, j]: row j = weights out of input j
    VT = np.ascontiguousarray(V.T)
    for b in numba.prange(B):
        for i in range(N):
            I[b, 0, i] = 0.0
            U[b, 0, i] = 0.0
            if nrn.adaptive:
                A[b, 0, i] = 0.0
        for n in range(T):
            for i in range(N):
                # S[n] = Theta(U[n] - theta[n])  (or F(U[n] - theta[n]) for soft spikes)
                S[b, n, i] = spike_fn(nrn, U[b, n, i] - threshold(nrn, A[b, n, i]
                                                                   if nrn.adaptive else 0.0))
            if n + 1 == T:
                break
            for i in range(N):  # Eq. 7, first term: alpha I[n]
                I[b, n + 1, i] = nrn.alpha * I[b, n, i]
            # Eq. 7, second term: + W S_in[n]
            if use_events:
                add_input_events(I[b, n + 1], WT, idx, val, ptr[b * T + n], ptr[b * T + n + 1])
            else:
                add_weighted_rows(I[b, n + 1], WT, S_in[b, n])
            # Eq. 7, third term: + V S[n]
            if has_V:
                add_weighted_rows(I[b, n + 1], VT, S[b, n])
            for i in range(N):
                # Eq. 8: U[n+1] from U[n], J[n] (I[n], or I[n+1] if leaky), S[n], theta[n]
                a = A[b, n, i] if nrn.adaptive else 0.0
                J = I[b, n + 1, i] if nrn.leaky else I[b, n, i]
                U[b, n + 1, i] = membrane_update(nrn, U[b, n, i], J, S[b, n, i],
                                                 threshold(nrn, a))
                if nrn.adaptive:  # Eq. 52: b[n+1] = alpha_b b[n] + q S[n]
                    A[b, n + 1, i] = threshold_update(nrn, a, S[b, n, i])

r"""Leaky integrate-and-fire layer: parameters and the forward kernel (tutorial Eqs. 7-8).

One layer of ``N`` current-based LIF neurons driven by presynaptic spikes ``S_in`` of shape
``(batch, T, N_in)`` through ``W`` (``N x N_in``) and, optionally, by its own spikes through the
recurrent ``V`` (``N x N``). State starts at zero, ``I[0] = U[0] = 0``, and for ``n = 0..T-2``

.. math::

    S[n]   &= \Theta(U[n] - \vartheta)                       \quad\text{(hard) or } F(U[n]-\vartheta) \text{ (soft)}\\
    I[n+1] &= \alpha I[n] + W S_{in}[n] + V S[n]                                        &\text{(Eq. 7)}\\
    U[n+1] &= \beta U[n] + g I[n] - \vartheta S[n]            &\text{reset="subtract" (Eq. 8)}\\
    U[n+1] &= (\beta U[n] + g I[n]) (1 - S[n])               &\text{reset="zero" (SpyTorch)}\\
    U[n+1] &= \beta U[n] + g I[n]                             &\text{reset="none"}

with the input gain ``g = 1`` (the tutorial's Eq. 8, ``input_gain="one"``, the default) or
``g = 1 - beta`` (``input_gain="1-beta"``: Zenke & Vogels 2021, Eq. 4.1, the forward-Euler
form of ``tau dU/dt = -U + I``; "lessons from deep learning" Eq. 3).

The non-spiking readout is the same layer with no spikes (``S = 0``), so ``U`` is a leaky
double-exponential filter of its input.

The kernels take a layer's scalars as one :data:`Neuron` record (:func:`neuron` builds it from
``LIFParams``, the surrogate and the spike mode). The partial derivatives of Eq. 8, which every
gradient method needs, are :func:`reset_partials`, written once beside :func:`membrane_update`,
the update they differentiate. The backward (adjoint) kernel of the layer is in
:mod:`refsnn.grad.bptt`.

Read next: refsnn/network.py, which stacks these layers, adds the readout and records the
trace.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, replace

import numba
import numpy as np

from .checks import check_bool, check_real, check_unit_interval
from .surrogate import derivative, heaviside, primitive

RESETS = ("subtract", "zero", "none")
RESET_SUBTRACT, RESET_ZERO, RESET_NONE = range(3)

#: the factor ``g`` of ``I[n]`` in the membrane update: 1 (tutorial Eq. 8) or ``1 - beta``
#: (Zenke & Vogels 2021, Eq. 4.1)
INPUT_GAINS = ("one", "1-beta")

SPIKES = ("hard", "soft", "none")
SPIKE_HARD, SPIKE_SOFT, SPIKE_NONE = range(3)


@dataclass(frozen=True)
class LIFParams:
    r"""Parameters of a LIF population (docs/design.md §3).

    Parameters
    ----------
    alpha : float
        Synaptic decay per step, ``alpha = exp(-dt / tau_syn)``, in (0, 1).
    beta : float
        Membrane decay per step, ``beta = exp(-dt / tau_mem)``, in (0, 1).
    threshold : float
        Firing threshold ``theta`` (> 0); default 1 as in the tutorial.
    reset : {"subtract", "zero", "none"}
        How a spike resets the membrane (see module docstring).
    detach_reset : bool
        If True, the reset term carries no gradient (SpyTorch/snnTorch practice); if False,
        gradients follow the exact chain rule through the reset.
    input_gain : {"one", "1-beta"}
        The factor ``g`` of the current in the membrane update ``U[n+1] = beta U[n] + g I[n]
        ...``: ``g = 1`` as in the tutorial's Eq. 8 (default), or ``g = 1 - beta`` as in
        Zenke & Vogels' Eq. 4.1 (and their readout, §4.2.2, with the readout's own ``beta``).
    """

    alpha: float
    beta: float
    threshold: float = 1.0
    reset: str = "subtract"
    detach_reset: bool = False
    input_gain: str = "one"

    def __post_init__(self):
        object.__setattr__(self, "alpha", check_unit_interval("alpha", self.alpha))
        object.__setattr__(self, "beta", check_unit_interval("beta", self.beta))
        object.__setattr__(self, "threshold",
                           check_real("threshold", self.threshold, 0.0, low_open=True))
        if not isinstance(self.reset, str) or self.reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {self.reset!r}")
        object.__setattr__(self, "detach_reset", check_bool("detach_reset", self.detach_reset))
        if not isinstance(self.input_gain, str) or self.input_gain not in INPUT_GAINS:
            raise ValueError(f"input_gain must be one of {INPUT_GAINS}, got {self.input_gain!r}")

    @classmethod
    def from_taus(cls, dt, tau_syn, tau_mem, **kwargs):
        """Build from time constants: ``alpha = exp(-dt/tau_syn)``, ``beta = exp(-dt/tau_mem)``.

        ``dt``, ``tau_syn`` and ``tau_mem`` are in the same unit (e.g. seconds) and must be > 0,
        and each decay must be representable in (0, 1): a time constant so large against
        ``dt`` that ``exp(-dt/tau)`` rounds to 1, or so small that it underflows to 0, is
        refused, naming the time constant. Other keyword arguments (``threshold``, ``reset``,
        ``detach_reset``) pass through.
        """
        dt = check_real("dt", dt, 0.0, low_open=True)
        decays = {}
        for name, tau in (("tau_syn", tau_syn), ("tau_mem", tau_mem)):
            tau = check_real(name, tau, 0.0, low_open=True)
            decay = float(np.exp(-dt / tau))
            if decay >= 1.0:
                raise ValueError(f"{name} = {tau:g} is too large for dt = {dt:g}: "
                                 f"exp(-dt/{name}) rounds to 1 (no decay)")
            if decay <= 0.0:
                raise ValueError(f"{name} = {tau:g} is too small for dt = {dt:g}: "
                                 f"exp(-dt/{name}) underflows to 0")
            decays[name] = decay
        return cls(alpha=decays["tau_syn"], beta=decays["tau_mem"], **kwargs)

    def replace(self, **changes) -> "LIFParams":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @property
    def reset_code(self) -> int:
        """Integer code of ``reset`` for the kernels."""
        return RESETS.index(self.reset)

    @property
    def gain(self) -> float:
        """The input gain ``g``: 1.0, or ``1 - beta`` for ``input_gain="1-beta"``."""
        return 1.0 if self.input_gain == "one" else 1.0 - self.beta


def spike_code(spike: str) -> int:
    """Integer code of a spike mode ``"hard" | "soft" | "none"``; ValueError otherwise."""
    if not isinstance(spike, str) or spike not in SPIKES:
        raise ValueError(f"spike must be one of {SPIKES}, got {spike!r}")
    return SPIKES.index(spike)


#: The scalars of one layer as every kernel takes them: the decays ``alpha, beta``, the
#: threshold ``theta`` and the input gain ``gain`` (in the network's float type), the reset and
#: spike modes and the surrogate as integer codes (so that one compiled kernel serves every
#: mode), ``detach_reset`` as a bool. A namedtuple: Numba passes it as one argument and the
#: kernels read ``nrn.alpha``.
Neuron = namedtuple("Neuron", ["alpha", "beta", "theta", "reset", "detach_reset", "spike",
                               "sg_code", "sg_scale", "sg_sub", "gain"])


def neuron(params, surrogate, spike="hard", dtype=np.float64, detach_reset=None) -> Neuron:
    """The :data:`Neuron` record of a layer of ``params`` with ``surrogate`` and ``spike`` mode.

    ``spike="none"`` is a non-spiking layer (the readout, whose ``params`` are
    :meth:`refsnn.network.Network.readout_params`): it has no reset either.
    ``alpha, beta, theta, gain`` are cast to ``dtype`` (float64 or float32, the network's type);
    ``detach_reset`` overrides ``params.detach_reset`` (SuperSpike's ``keep_reset``).
    """
    code = spike_code(spike)
    detach = params.detach_reset if detach_reset is None else check_bool("detach_reset",
                                                                          detach_reset)
    return Neuron(alpha=dtype(params.alpha), beta=dtype(params.beta),
                  theta=dtype(params.threshold),
                  reset=RESET_NONE if code == SPIKE_NONE else params.reset_code,
                  detach_reset=bool(detach), spike=code, sg_code=surrogate.code,
                  sg_scale=float(surrogate.scale), sg_sub=float(surrogate.subthreshold),
                  gain=dtype(params.gain))


@numba.njit(cache=True)
def spike_fn(nrn, x):
    """``S = Theta(x)`` (hard), ``F(x)`` (soft) or 0 (none) for ``x = U - theta``."""
    if nrn.spike == SPIKE_HARD:
        return heaviside(x)
    if nrn.spike == SPIKE_SOFT:
        return primitive(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)
    return 0.0


@numba.njit(cache=True)
def spike_grad(nrn, x):
    """``dS/dU`` used by every gradient method: ``F'(x)``, or 0 for a non-spiking layer."""
    if nrn.spike == SPIKE_NONE:
        return 0.0
    return derivative(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)


@numba.njit(cache=True)
def membrane_update(nrn, U, I, S):
    """``U[n+1]`` from ``U[n], I[n], S[n]`` (Eq. 8 and its reset variants, input gain ``g``)."""
    if nrn.reset == RESET_SUBTRACT:
        return nrn.beta * U + nrn.gain * I - nrn.theta * S
    if nrn.reset == RESET_ZERO:
        return (nrn.beta * U + nrn.gain * I) * (1.0 - S)
    return nrn.beta * U + nrn.gain * I


@numba.njit(cache=True)
def reset_partials(nrn, U, I, S):
    r"""The partial derivatives of :func:`membrane_update` at ``(U[n], I[n], S[n])``.

    Returns ``(dU[n+1]/dU[n], dU[n+1]/dI[n], dU[n+1]/dS[n])``, per reset mode (Eq. 8 and
    variants differentiated); the spike's own dependence on ``U[n]`` is the chain-rule factor
    ``dS[n]/dU[n] = F'`` (:func:`spike_grad`) that each gradient method applies:

    =============  ==================  =============  ==========================
    reset          dU[n+1]/dU[n]       dU[n+1]/dI[n]  dU[n+1]/dS[n]
    =============  ==================  =============  ==========================
    subtract       beta                g              -theta
    zero           beta (1 - S[n])     g (1 - S[n])   -(beta U[n] + g I[n])
    none           beta                g              0
    =============  ==================  =============  ==========================

    (``g`` the input gain, 1 or ``1 - beta``: :attr:`LIFParams.gain`.)

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
            dS = -(nrn.beta * U + nrn.gain * I)
    elif nrn.reset == RESET_SUBTRACT and not nrn.detach_reset:
        dS = -nrn.theta
    return dU, dI, dS


@numba.njit(cache=True)
def _reset_partials_flat(nrn, U, I, S, dU, dI, dS):
    for k in range(U.shape[0]):
        dU[k], dI[k], dS[k] = reset_partials(nrn, U[k], I[k], S[k])


def reset_partials_array(nrn, U, I, S):
    """:func:`reset_partials` elementwise for arrays ``U, I, S`` of one shape (for NumPy code
    such as :mod:`refsnn.grad.eprop`): three float64 arrays of that shape."""
    U, I, S = (np.ascontiguousarray(a, dtype=np.float64) for a in np.broadcast_arrays(U, I, S))
    out = np.empty((3,) + U.shape)
    _reset_partials_flat(nrn, U.reshape(-1), I.reshape(-1), S.reshape(-1),
                         *(o.reshape(-1) for o in out))
    return out[0], out[1], out[2]


@numba.njit(cache=True)
def fire(nrn, U, S):
    """``S[i] = Theta(U[i] - theta)`` (or ``F``, or 0: :func:`spike_fn`) for one state vector.

    With :func:`leak`, one step of :func:`layer_forward` for the kernels that step a layer
    alongside their own recursions (online RTRL, SuperSpike); ``layer_forward`` writes the same
    loops out, which its compiled form runs about 6% faster."""
    for i in range(U.shape[0]):
        S[i] = spike_fn(nrn, U[i] - nrn.theta)


@numba.njit(cache=True)
def leak(nrn, I, U, S, I_next, U_next):
    """Eq. 8 and the first term of Eq. 7 for one state vector: ``U_next = membrane_update(U, I,
    S)``, ``I_next = alpha I``. ``I_next, U_next`` may be ``I, U`` themselves (in place)."""
    for i in range(U.shape[0]):
        U_next[i] = membrane_update(nrn, U[i], I[i], S[i])
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
def layer_forward(S_in, ptr, idx, val, use_events, W, V, has_V, nrn, I, U, S):
    """Simulate one LIF layer over all steps; fills ``I, U, S`` (each ``(B, T, N)``) in place.

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
    this arithmetic step by step).

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
        for n in range(T):
            for i in range(N):
                # S[n] = Theta(U[n] - theta)  (or F(U[n] - theta) for soft spikes)
                S[b, n, i] = spike_fn(nrn, U[b, n, i] - nrn.theta)
            if n + 1 == T:
                break
            for i in range(N):
                # Eq. 8: U[n+1] from U[n], I[n], S[n]; Eq. 7, first term: alpha I[n]
                U[b, n + 1, i] = membrane_update(nrn, U[b, n, i], I[b, n, i], S[b, n, i])
                I[b, n + 1, i] = nrn.alpha * I[b, n, i]
            # Eq. 7, second term: + W S_in[n]
            if use_events:
                add_input_events(I[b, n + 1], WT, idx, val, ptr[b * T + n], ptr[b * T + n + 1])
            else:
                add_weighted_rows(I[b, n + 1], WT, S_in[b, n])
            # Eq. 7, third term: + V S[n]
            if has_V:
                add_weighted_rows(I[b, n + 1], VT, S[b, n])

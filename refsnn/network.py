r"""Layered LIF network with optional recurrence and a non-spiking leaky readout (docs/design.md §4).

Layers ``l = 1..L`` are spiking (:mod:`refsnn.lif`), the input is ``S^(0) = x`` and the readout
is a leaky integrator without spikes:

.. math::

    I_o[n+1] = \alpha_o I_o[n] + W_o S^{(L)}[n], \qquad U_o[n+1] = \beta_o U_o[n] + g_o I_o[n],

with the hidden layers' ``alpha, beta`` unless ``readout_alpha, readout_beta`` are given (Zenke &
Vogels 2021, §4.2.2: a readout time constant of its own), and ``g_o`` the input gain of
:class:`refsnn.lif.LIFParams` (1, or ``1 - beta_o``).

``net.W`` holds ``[W^(1), ..., W^(L), W_o]`` (each ``(post, pre)``), ``net.V`` holds
``[V^(1), ..., V^(L)]`` with ``None`` where a layer has no recurrence.

With ``output="spiking"`` the last layer is a spiking LIF layer like the hidden ones (no
recurrence), for the losses on output spikes ("lessons from deep learning" §3): the trace then
records it as ``trace.S[-1]`` (``I, U, S`` have ``L + 1`` entries) and ``trace.readout`` is its
membrane ``U[-1]``, so the membrane losses still apply to it.

Read next: refsnn/trace.py, what a forward records and the checks every gradient method runs on
it.
"""
from __future__ import annotations

import numpy as np

from . import events as ev
from . import lif
from . import initialization
from .checks import (FLOATS, as_float_dtype, as_input, as_real_array, as_rng, check_bool,
                     check_input_values, check_real)
from .lif import LIFParams
from .params import model_options, readout_params, refuse_options
from .surrogate import Surrogate, as_surrogate
from .threads import simulate_work, sized_by
from .trace import Trace, check_trace


#: the last layer of a network: the non-spiking leaky readout, or a spiking LIF layer
OUTPUTS = ("readout", "spiking")

#: entries checked at a time by ``validate_input(..., online=True)``
ONLINE_CHECK_BLOCK = 1024


def validate_input(x, n_in, name="x", binary=True, dtype=np.float64, return_events=False,
                   online=False):
    """Return ``x`` as C-contiguous ``(B, T, n_in)`` of ``dtype``; raise a clear error otherwise.

    A sparse ``x`` (at most ``events.DENSE_ABOVE`` nonzero) is checked on its event list
    (:func:`refsnn.events.to_events`): NaN and inf are nonzero, so they are events, and ``x`` is
    binary exactly when every event is 1. With ``return_events`` the result is ``(x, events)``,
    ``events`` being None for a dense ``x``. ``x`` is not copied when it is already a
    C-contiguous array of ``dtype`` (:meth:`Network.simulate` copies what its trace keeps).
    ``online=True`` (the online rules): no event list, the values are checked
    ``ONLINE_CHECK_BLOCK`` entries at a time, so the check's memory does not grow with ``T``.
    """
    binary = check_bool("binary_input", binary)
    x = as_input(x, n_in, name, dtype)
    if online:
        check_input_values(x, name, binary, block=ONLINE_CHECK_BLOCK)
        return (x, None) if return_events else x
    counts = ev.count(x)
    events, values = None, x
    if counts.sum() <= ev.DENSE_ABOVE * x.size:
        events = ev.from_counts(x, counts)
        values = events.val
    check_input_values(values, name, binary)
    return (x, events) if return_events else x


class Network:
    """A layered LIF network: ``sizes = [n_in, n_1, ..., n_L, n_out]``.

    Parameters
    ----------
    W : list of ndarray
        Feed-forward weights ``[W^(1), ..., W^(L), W_o]``, ``W[l]`` of shape
        ``(sizes[l+1], sizes[l])``.
    V : list of (ndarray or None)
        Recurrent weights per hidden layer, ``(sizes[l+1], sizes[l+1])`` or ``None``.
    params : LIFParams
        Neuron parameters shared by all layers (the readout uses ``alpha``, ``beta``).
    surrogate : Surrogate | str | (str, float)
        The surrogate pair used by the soft forward and by every gradient method.
    dtype : float64 or float32
        Precision of the weights, of every trace array and of the BPTT gradients (default
        float64). float32 halves memory and is faster; every other gradient method and the
        gradient checks need float64 (:meth:`astype`).
    readout_alpha, readout_beta : float in (0, 1), optional
        The readout's own decays (Zenke & Vogels §4.2.2: ``beta_out = exp(-dt / tau_readout)``
        with ``tau_readout = 20`` ms); default the hidden layers' ``params.alpha, beta``. Only
        for the non-spiking readout (``output="readout"``).
    output : {"readout", "spiking"}
        The last layer: the non-spiking leaky readout (default), or a spiking LIF layer
        (module docstring). Only BPTT supports a spiking output layer; the other rules refuse
        it (:meth:`require_readout`).
    """

    def __init__(self, W, V, params, surrogate=("superspike", 10.0), dtype=np.float64,
                 output="readout", readout_alpha=None, readout_beta=None):
        self.params = params  # validated by the property setters
        self.surrogate = surrogate
        if not isinstance(output, str) or output not in OUTPUTS:
            raise ValueError(f"output must be one of {OUTPUTS}, got {output!r}")
        self.output = output
        readout_params(params, readout_alpha, readout_beta, output)  # checks them
        self.readout_alpha, self.readout_beta = readout_alpha, readout_beta
        if not isinstance(W, (list, tuple)) or len(W) < 2:
            raise ValueError("W must be a list with at least one hidden layer and the readout")
        if not isinstance(V, (list, tuple)) or len(V) != len(W) - 1:
            raise ValueError(f"V must be a list of {len(W) - 1} entries (one per hidden layer)")
        self.dtype = as_float_dtype(dtype)
        self.W = [np.array(as_real_array(w, f"W[{l}]"), dtype=self.dtype, order="C")
                  for l, w in enumerate(W)]
        self.V = [None if v is None else np.array(as_real_array(v, f"V[{l}]"), dtype=self.dtype,
                                                  order="C") for l, v in enumerate(V)]
        self.check_weights()

    @property
    def params(self) -> LIFParams:
        """The neuron parameters, a :class:`refsnn.lif.LIFParams` (checked on assignment)."""
        return self._params

    @params.setter
    def params(self, value):
        if not isinstance(value, LIFParams):
            raise TypeError(f"params must be a LIFParams, got {type(value).__name__}")
        self._params = value

    @property
    def readout_params(self) -> LIFParams:
        """The readout's parameters: ``params`` with ``readout_alpha, readout_beta`` if given."""
        return readout_params(self.params, self.readout_alpha, self.readout_beta)

    def options(self):
        """``{name: value}`` of the model options away from the tutorial's model (§4)."""
        return model_options(self.params, self.readout_params)

    def require_options(self, method, supported=()):
        """ValueError naming each option of :meth:`options` that ``method`` lacks (§12.18)."""
        refuse_options(self.options(), method, supported)

    @property
    def surrogate(self) -> Surrogate:
        """The surrogate pair, a :class:`refsnn.surrogate.Surrogate`; may be assigned a
        ``Surrogate``, a name or a ``(name, scale)`` tuple (checked on assignment)."""
        return self._surrogate

    @surrogate.setter
    def surrogate(self, value):
        self._surrogate = as_surrogate(value)

    # ------------------------------------------------------------------ construction
    @classmethod
    def init(cls, sizes, params, recurrent=False, surrogate=("superspike", 10.0), rng=0,
             gain=7.0, recurrent_gain=None, dtype=np.float64, output="readout", init="normal",
             readout_alpha=None, readout_beta=None):
        r"""Random network; by default ``W^(l)_ij ~ N(0, (gain (1 - beta))^2 / n_pre)``.

        The ``(1 - beta)`` factor follows SpyTorch's initialisation (Zenke & Vogels 2021, §4.2):
        with ``U[n+1] = beta U[n] + I[n]`` a constant current is amplified by ``1 / (1 - beta)``
        (``input_gain="1-beta"`` puts it in the membrane instead). Other rules:
        :mod:`refsnn.initialization`.

        Parameters
        ----------
        sizes : sequence of int
            ``[n_in, n_hidden_1, ..., n_hidden_L, n_out]``, at least three entries, all >= 1.
        params : LIFParams
        recurrent : bool or sequence of bool
            Whether each hidden layer has a recurrent matrix ``V``.
        surrogate : Surrogate | str | (str, float)
        rng : numpy Generator or int seed
        gain, recurrent_gain : float
            Scale of the feed-forward and recurrent initial weights of the ``"normal"`` rule
            (``recurrent_gain`` defaults to ``gain``).
        dtype : float64 or float32
            The weights are drawn in float64 and rounded, so a float32 network starts from the
            float64 one of the same seed.
        output : {"readout", "spiking"}
            The last layer (class docstring); the weights are drawn the same way for both.
        init : {"normal", "uniform"} or refsnn.initialization.Fluctuation
            Above; ``U(-1/sqrt(n_pre), 1/sqrt(n_pre))`` (Zenke & Vogels §4.2.3); the
            fluctuation-driven rule of Rossbroich, Gygax & Zenke 2022.
        readout_alpha, readout_beta : float, optional
            The readout's own decays (see :class:`Network`).
        """
        sizes = list(sizes)
        if len(sizes) < 3:
            raise ValueError("sizes must be [n_in, n_hidden..., n_out] with at least one hidden layer")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or s < 1:
                raise ValueError(f"sizes must be positive integers, got {sizes}")
        if not isinstance(params, LIFParams):
            raise TypeError(f"params must be a LIFParams, got {type(params).__name__}")
        n_hidden = len(sizes) - 2
        if isinstance(recurrent, (bool, np.bool_)):
            recurrent = [bool(recurrent)] * n_hidden
        elif isinstance(recurrent, (str, bytes)) or not hasattr(recurrent, "__len__"):
            raise TypeError(f"recurrent must be a bool or a sequence of bools (one per hidden "
                            f"layer), got {type(recurrent).__name__} {recurrent!r}")
        recurrent = [check_bool(f"recurrent[{l}]", r) for l, r in enumerate(recurrent)]
        if len(recurrent) != n_hidden:
            raise ValueError(f"recurrent must be a bool or one bool per hidden layer ({n_hidden})")
        gain = check_real("gain", gain, 0.0)
        rec_gain = gain if recurrent_gain is None else check_real("recurrent_gain",
                                                                  recurrent_gain, 0.0)
        init = initialization.as_init(init)
        ro = readout_params(params, readout_alpha, readout_beta, output)
        W, V = initialization.draw_weights(init, as_rng(rng), sizes, recurrent, params, ro,
                                           gain, rec_gain)
        return cls(W, V, params, surrogate, dtype=dtype, output=output,
                   readout_alpha=readout_alpha, readout_beta=readout_beta)

    def copy(self) -> "Network":
        """A deep copy (weights copied, parameters shared: they are immutable)."""
        return self.astype(self.dtype)

    def astype(self, dtype) -> "Network":
        """A deep copy with weights (and hence traces and gradients) in ``dtype``."""
        return Network(self.W, self.V, self.params, self.surrogate, dtype=dtype,
                       output=self.output, readout_alpha=self.readout_alpha,
                       readout_beta=self.readout_beta)

    def require_readout(self, method):
        """Raise ValueError if the network has a spiking output layer (``method`` names the
        caller, a rule written for the non-spiking readout)."""
        if self.output != "readout":
            raise ValueError(f"{method} needs a network with the non-spiking readout "
                             f"(output='readout'); this one has output={self.output!r}")

    def require_float64(self, method):
        """Raise TypeError unless the network is float64 (``method`` names the caller)."""
        if self.dtype is not np.float64:
            raise TypeError(f"{method} needs a float64 network; this one is "
                            f"{np.dtype(self.dtype).name} (use net.astype(np.float64))")

    # ------------------------------------------------------------------ introspection
    @property
    def n_hidden_layers(self) -> int:
        return len(self.W) - 1

    @property
    def n_spiking_layers(self) -> int:
        """The layers that spike: the hidden ones, and the output if ``output="spiking"``
        (the number of entries of ``trace.I, U, S``)."""
        return len(self.W) - (self.output == "readout")

    def parameters(self):
        """``[(name, array), ...]`` for every trainable array: ``W[0]..W[L]``, then ``V[l]``."""
        out = [(f"W[{l}]", w) for l, w in enumerate(self.W)]
        out += [(f"V[{l}]", v) for l, v in enumerate(self.V) if v is not None]
        return out

    def check_weights(self):
        """Validate shapes and values of ``W`` and ``V`` (they may be reassigned by users)."""
        if len(self.W) != len(self.V) + 1:
            raise ValueError(f"len(W) must be len(V) + 1, got {len(self.W)} and {len(self.V)}")
        sizes = [np.shape(self.W[0])[1] if np.ndim(self.W[0]) == 2 else -1]
        for l, w in enumerate(self.W):
            if not isinstance(w, np.ndarray) or w.ndim != 2:
                raise ValueError(f"W[{l}] must be a 2-D array (post, pre)")
            as_real_array(w, f"W[{l}]")  # no object, str or complex arrays
            if w.shape[1] != sizes[-1]:
                raise ValueError(f"W[{l}] has shape {w.shape}, expected (post, {sizes[-1]})")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"W[{l}] contains NaN or inf")
            sizes.append(w.shape[0])
        for l, v in enumerate(self.V):
            if v is None:
                continue
            n = sizes[l + 1]
            if not isinstance(v, np.ndarray) or v.shape != (n, n):
                raise ValueError(f"V[{l}] must have shape ({n}, {n}), got {np.shape(v)}")
            as_real_array(v, f"V[{l}]")
            if not np.all(np.isfinite(v)):
                raise ValueError(f"V[{l}] contains NaN or inf")
        self.sizes = sizes
        # kernels want C-contiguous arrays of the network's dtype
        self.W = [np.ascontiguousarray(w, dtype=self.dtype) for w in self.W]
        self.V = [None if v is None else np.ascontiguousarray(v, dtype=self.dtype)
                  for v in self.V]

    def __repr__(self):
        rec = ["V" if v is not None else "-" for v in self.V]
        dt = "" if self.dtype is np.float64 else f", dtype={np.dtype(self.dtype).name}"
        out = "" if self.output == "readout" else f", output={self.output!r}"
        out += "".join(f", {k}={v:g}" for k, v in (("readout_alpha", self.readout_alpha),
                                                   ("readout_beta", self.readout_beta))
                       if v is not None)
        return (f"Network(sizes={self.sizes}, recurrent={rec}, params={self.params}, "
                f"surrogate={self.surrogate}{dt}{out})")

    # ------------------------------------------------------------------ forward
    @sized_by(simulate_work)
    def simulate(self, x, spike="hard", binary_input=True) -> Trace:
        """Run the network on input spikes ``x`` of shape ``(batch, time, n_in)``.

        Parameters
        ----------
        x : array (B, T, n_in)
            Input spike trains ``S^(0)``; must be 0/1 unless ``binary_input=False``. Cast to
            the network's ``dtype``.
        spike : {"hard", "soft"}
            Heaviside spikes, or the smooth surrogate primitive ``F`` (docs/design.md §5).
        binary_input : bool
            Require ``x`` to be binary.

        Returns
        -------
        Trace
            ``I, U, S`` per spiking layer and the readout (``trace.readout`` is ``U_o``, or the
            spiking output layer's ``U``: class docstring), all of the network's ``dtype``. An input with at most ``events.DENSE_ABOVE`` (25%) nonzero
            entries is read through its event list, kept as ``trace.x_events`` for BPTT.
            The trace shares no memory with ``x`` or the weights: it keeps its own copy of a
            dense ``x`` (a sparse one is kept as its event list, ``trace.x`` is built from it
            when read) and copies of ``W`` and ``V``, by which every gradient method detects
            weights changed since (:func:`refsnn.trace.check_trace`).
        """
        if not isinstance(spike, str) or spike not in ("hard", "soft"):
            raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
        self.check_weights()
        dt = self.dtype
        x_in = x
        x, x_events = validate_input(x, self.sizes[0], binary=binary_input, dtype=dt,
                                     return_events=True)  # x_events None for dense input
        if x_events is None and isinstance(x_in, np.ndarray) and np.may_share_memory(x, x_in):
            x = x.copy()  # the trace's own input: a later change to the caller's x is no change
        hidden = lif.neuron(self.params, self.surrogate, spike, dtype=dt)
        readout_nrn = lif.neuron(self.readout_params, self.surrogate, "none", dtype=dt)
        B, T, _ = x.shape
        Is, Us, Ss, As = [], [], [], []
        for l in range(len(self.W)):
            readout = l == self.n_spiking_layers
            N = self.sizes[l + 1]
            # one allocation per layer: fewer, larger blocks are reused by the allocator
            # instead of being mapped (and page-faulted) afresh on every call
            I, U, S = np.empty((3, B, T, N), dtype=dt)
            # the adaptive threshold's b[n] (a spiking layer of an adaptive network)
            A = np.empty((B, T, N), dtype=dt) if hidden.adaptive and not readout else _NO_A[dt]
            V = self.V[l] if l < self.n_hidden_layers else None
            events = x_events if l == 0 else None
            lif.layer_forward(x if l == 0 else Ss[-1],
                              *((events.ptr, events.idx, events.val, True) if events is not None
                                else (_NO_PTR, _NO_IDX, _EMPTY_1D[dt], False)),
                              self.W[l], _EMPTY_2D[dt] if V is None else V, V is not None,
                              readout_nrn if readout else hidden, I, U, S, A)
            Is.append(I), Us.append(U), Ss.append(S), As.append(A)
        n = self.n_spiking_layers  # a spiking output layer is both trace.S[-1] and the readout
        return Trace(x=None if x_events is not None else x, I=Is[:n], U=Us[:n], S=Ss[:n],
                     readout_I=Is[-1], readout=Us[-1], spike=spike, x_events=x_events,
                     W=[w.copy() for w in self.W],
                     V=[None if v is None else v.copy() for v in self.V],
                     b=As[:n] if hidden.adaptive else None)


    def leaky_readout(self, S, G):
        """A non-spiking readout with the network's ``alpha, beta`` driven by ``S`` through ``G``.

        ``I_r[n+1] = alpha I_r[n] + G S[n]``, ``U_r[n+1] = beta U_r[n] + I_r[n]`` (the readout
        equations of Eq. 7-8 without spikes), run by the same kernel as the network's own
        readout. ``S`` ``(B, T, N)`` (e.g. ``trace.S[l]``), ``G`` ``(n_r, N)``; returns
        ``(I_r, U_r)``, each ``(B, T, n_r)``, of the network's dtype. Local errors
        (:func:`refsnn.grad.feedback.local_errors`) give each hidden layer such a readout.
        """
        dt = self.dtype
        S = np.ascontiguousarray(as_real_array(S, "S"), dtype=dt)
        G = np.ascontiguousarray(as_real_array(G, "G"), dtype=dt)
        if S.ndim != 3 or G.ndim != 2 or G.shape[1] != S.shape[2]:
            raise ValueError(f"S must be (batch, time, N) and G (n_r, N), got {S.shape} and "
                             f"{G.shape}")
        B, T, _ = S.shape
        I, U, S_r = np.empty((3, B, T, G.shape[0]), dtype=dt)
        nrn = lif.neuron(self.params, self.surrogate, "none", dtype=dt)
        lif.layer_forward(S, _NO_PTR, _NO_IDX, _EMPTY_1D[dt], False, G, _EMPTY_2D[dt], False,
                          nrn, I, U, S_r, _NO_A[dt])
        return I, U


def trace_or_input(net, trace, spike, binary_input):
    """``(spike, x, tr)`` of a forward-in-time rule called with a trace or with the input.

    A :class:`~refsnn.trace.Trace`: checked against ``net``; ``spike`` must be None or the
    trace's own; ``x`` is ``trace.x`` and ``tr`` the trace. Anything else is the input ``x``
    of the online form: the weights are checked, ``spike`` defaults to ``"hard"``, ``x`` is
    validated in fixed-size blocks (nothing of length ``T`` allocated) and ``tr`` is None.
    """
    if isinstance(trace, Trace):
        check_trace(net, trace)
        if spike is not None and spike != trace.spike:
            raise ValueError(f"spike={spike!r} contradicts the trace, recorded with "
                             f"spike={trace.spike!r}")
        return trace.spike, trace.x, trace
    net.check_weights()
    spike = "hard" if spike is None else spike
    if spike not in ("hard", "soft"):
        raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
    x = validate_input(trace, net.sizes[0], name="trace (the input x)", binary=binary_input,
                       online=True)
    return spike, x, None


_NO_PTR = np.zeros(1, dtype=np.int64)
_NO_IDX = np.zeros(0, dtype=np.int32)
_EMPTY_1D = {t: np.zeros(0, dtype=t) for t in FLOATS}
_EMPTY_2D = {t: np.zeros((0, 0), dtype=t) for t in FLOATS}
_NO_A = {t: np.zeros((0, 0, 0), dtype=t) for t in FLOATS}  # never read: nrn.adaptive False

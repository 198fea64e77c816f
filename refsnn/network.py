r"""Layered LIF network with optional recurrence and a non-spiking leaky readout (DESIGN §4).

Layers ``l = 1..L`` are spiking (:mod:`refsnn.lif`), the input is ``S^(0) = x`` and the readout
is a leaky integrator without spikes:

.. math::

    I_o[n+1] = \alpha I_o[n] + W_o S^{(L)}[n], \qquad U_o[n+1] = \beta U_o[n] + I_o[n].

``net.W`` holds ``[W^(1), ..., W^(L), W_o]`` (each ``(post, pre)``), ``net.V`` holds
``[V^(1), ..., V^(L)]`` with ``None`` where a layer has no recurrence.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import events as ev
from . import lif
from .lif import LIFParams
from .surrogate import Surrogate, as_surrogate
from .threads import simulate_work, sized_by


@dataclass
class Trace:
    """What a forward pass records (DESIGN §3: index ``n`` holds the value at step ``n``).

    Attributes
    ----------
    x : ndarray (B, T, N_0)
        The input spikes ``S^(0)``.
    I, U, S : list of ndarray (B, T, N_l)
        Synaptic current, membrane potential and spikes of each hidden layer ``l = 1..L``.
    readout_I : ndarray (B, T, N_out)
        Readout synaptic current ``I_o``.
    readout : ndarray (B, T, N_out)
        Readout membrane ``U_o`` (what the losses see).
    spike : str
        The spike mode of the forward (``"hard"`` or ``"soft"``).
    x_events : Events or None
        The event list of ``x`` (:mod:`refsnn.events`) when the forward used it (sparse input);
        BPTT then accumulates ``dL/dW^(1)`` over the same events.
    """

    x: np.ndarray
    I: list
    U: list
    S: list
    readout_I: np.ndarray
    readout: np.ndarray
    spike: str = "hard"
    x_events: ev.Events | None = None

    @property
    def spikes(self):
        """Alias for ``S``: the hidden spike trains, one ``(B, T, N_l)`` array per layer."""
        return self.S


def as_rng(rng, name="rng"):
    """A ``numpy.random.Generator`` from a Generator or an int seed (DESIGN §3).

    ``None`` is refused: figures, tests and training runs must be reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, bool):
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy Generator or an int seed, got {type(rng).__name__}")


FLOATS = (np.float64, np.float32)


def as_float_dtype(dtype):
    """``numpy.float64`` or ``numpy.float32`` from a dtype-like; ValueError for anything else."""
    try:
        dt = np.dtype(dtype).type
    except TypeError:
        raise TypeError(f"dtype must be float64 or float32, got {dtype!r}") from None
    if dt not in FLOATS:
        raise ValueError(f"dtype must be float64 or float32, got {np.dtype(dt).name}")
    return dt


def as_real_array(x, name):
    """``x`` as a numpy array of real numbers (bool, integer or float); TypeError otherwise."""
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # pragma: no cover - numpy's own message is fine here
            raise TypeError(f"{name} must be array-like") from exc
    if x.dtype == object or not (np.issubdtype(x.dtype, np.number) or x.dtype == bool):
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    if np.issubdtype(x.dtype, np.complexfloating):
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    return x


def validate_input(x, n_in, name="x", binary=True, dtype=np.float64, return_events=False):
    """Return ``x`` as C-contiguous ``(B, T, n_in)`` of ``dtype``; raise a clear error otherwise.

    A sparse ``x`` (at most ``events.DENSE_ABOVE`` nonzero) is checked on its event list
    (:func:`refsnn.events.to_events`): NaN and inf are nonzero, so they are events, and ``x`` is
    binary exactly when every event is 1. With ``return_events`` the result is ``(x, events)``,
    ``events`` being None for a dense ``x``.
    """
    x = as_real_array(x, name)
    if x.ndim != 3:
        raise ValueError(f"{name} must have shape (batch, time, {n_in}), got shape {x.shape}")
    if x.shape[2] != n_in:
        raise ValueError(f"{name} has {x.shape[2]} input neurons, the network expects {n_in}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} needs at least one sample and one time step, got {x.shape}")
    x = np.ascontiguousarray(x, dtype=dtype)
    counts = ev.count(x)
    events, values = None, x
    if counts.sum() <= ev.DENSE_ABOVE * x.size:
        events = ev.from_counts(x, counts)
        values = events.val
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{name} contains NaN or inf (as {np.dtype(dtype).name})")
    if binary and not np.all((values == 1.0) | (values == 0.0)):
        raise ValueError(f"{name} must be binary spikes (0 or 1); pass binary_input=False for "
                         "analog input")
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
    """

    def __init__(self, W, V, params, surrogate=("superspike", 10.0), dtype=np.float64):
        if not isinstance(params, LIFParams):
            raise TypeError(f"params must be a LIFParams, got {type(params).__name__}")
        if not isinstance(W, (list, tuple)) or len(W) < 2:
            raise ValueError("W must be a list with at least one hidden layer and the readout")
        if not isinstance(V, (list, tuple)) or len(V) != len(W) - 1:
            raise ValueError(f"V must be a list of {len(W) - 1} entries (one per hidden layer)")
        self.dtype = as_float_dtype(dtype)
        self.W = [np.array(w, dtype=self.dtype, order="C") for w in W]
        self.V = [None if v is None else np.array(v, dtype=self.dtype, order="C") for v in V]
        self.params = params
        self.surrogate: Surrogate = as_surrogate(surrogate)
        self.sizes = [self.W[0].shape[1]] + [w.shape[0] for w in self.W]
        self.check_weights()

    # ------------------------------------------------------------------ construction
    @classmethod
    def init(cls, sizes, params, recurrent=False, surrogate=("superspike", 10.0), rng=0,
             gain=7.0, recurrent_gain=None, dtype=np.float64):
        r"""Random network with weights ``W^(l)_ij ~ N(0, (gain (1 - beta))^2 / n_pre)``.

        The ``(1 - beta)`` factor follows SpyTorch's initialisation (Zenke & Vogels 2021, §4.2):
        with ``U[n+1] = beta U[n] + I[n]`` a constant current is amplified by ``1 / (1 - beta)``.

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
            Scale of the feed-forward and recurrent initial weights (``recurrent_gain``
            defaults to ``gain``).
        dtype : float64 or float32
            The weights are drawn in float64 and rounded, so a float32 network starts from the
            float64 one of the same seed.
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
        recurrent = list(recurrent)
        if len(recurrent) != n_hidden:
            raise ValueError(f"recurrent must be a bool or one bool per hidden layer ({n_hidden})")
        for g, name in ((gain, "gain"), (recurrent_gain, "recurrent_gain")):
            if g is not None and not (np.isfinite(g) and g >= 0):
                raise ValueError(f"{name} must be finite and >= 0, got {g}")
        rec_gain = gain if recurrent_gain is None else recurrent_gain
        rng = as_rng(rng)
        scale = 1.0 - params.beta
        W = [rng.normal(0.0, gain * scale / np.sqrt(sizes[l]), size=(sizes[l + 1], sizes[l]))
             for l in range(len(sizes) - 1)]
        V = [rng.normal(0.0, rec_gain * scale / np.sqrt(sizes[l + 1]),
                        size=(sizes[l + 1], sizes[l + 1])) if recurrent[l] else None
             for l in range(n_hidden)]
        return cls(W, V, params, surrogate, dtype=dtype)

    def copy(self) -> "Network":
        """A deep copy (weights copied, parameters shared: they are immutable)."""
        return self.astype(self.dtype)

    def astype(self, dtype) -> "Network":
        """A deep copy with weights (and hence traces and gradients) in ``dtype``."""
        return Network(self.W, self.V, self.params, self.surrogate, dtype=dtype)

    def require_float64(self, method):
        """Raise TypeError unless the network is float64 (``method`` names the caller)."""
        if self.dtype is not np.float64:
            raise TypeError(f"{method} needs a float64 network; this one is "
                            f"{np.dtype(self.dtype).name} (use net.astype(np.float64))")

    # ------------------------------------------------------------------ introspection
    @property
    def n_hidden_layers(self) -> int:
        return len(self.W) - 1

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
        return (f"Network(sizes={self.sizes}, recurrent={rec}, params={self.params}, "
                f"surrogate={self.surrogate}{dt})")

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
            Heaviside spikes, or the smooth surrogate primitive ``F`` (DESIGN §5).
        binary_input : bool
            Require ``x`` to be binary.

        Returns
        -------
        Trace
            ``I, U, S`` per hidden layer and the readout (``trace.readout`` is ``U_o``), all of
            the network's ``dtype``. An input with at most ``events.DENSE_ABOVE`` (25%) nonzero
            entries is read through its event list, kept as ``trace.x_events`` for BPTT.
        """
        if spike not in ("hard", "soft"):
            raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
        self.check_weights()
        dt = self.dtype
        x, x_events = validate_input(x, self.sizes[0], binary=binary_input, dtype=dt,
                                     return_events=True)  # x_events None for dense input
        p, sg = self.params, self.surrogate
        code = lif.spike_code(spike)
        alpha, beta, theta = dt(p.alpha), dt(p.beta), dt(p.threshold)
        B, T, _ = x.shape
        Is, Us, Ss = [], [], []
        for l in range(self.n_hidden_layers + 1):
            readout = l == self.n_hidden_layers
            N = self.sizes[l + 1]
            # one allocation per layer: fewer, larger blocks are reused by the allocator
            # instead of being mapped (and page-faulted) afresh on every call
            I, U, S = np.empty((3, B, T, N), dtype=dt)
            V = None if readout else self.V[l]
            events = x_events if l == 0 else None
            lif.layer_forward(x if l == 0 else Ss[-1],
                              *((events.ptr, events.idx, events.val, True) if events is not None
                                else (_NO_PTR, _NO_IDX, _EMPTY_1D[dt], False)),
                              self.W[l], _EMPTY_2D[dt] if V is None else V, V is not None,
                              alpha, beta, theta,
                              lif.RESET_NONE if readout else p.reset_code,
                              lif.SPIKE_NONE if readout else code, sg.code, sg.scale, I, U, S)
            Is.append(I), Us.append(U), Ss.append(S)
        return Trace(x=x, I=Is[:-1], U=Us[:-1], S=Ss[:-1], readout_I=Is[-1], readout=Us[-1],
                     spike=spike, x_events=x_events)


_NO_PTR = np.zeros(1, dtype=np.int64)
_NO_IDX = np.zeros(0, dtype=np.int32)
_EMPTY_1D = {t: np.zeros(0, dtype=t) for t in FLOATS}
_EMPTY_2D = {t: np.zeros((0, 0), dtype=t) for t in FLOATS}
_EMPTY = _EMPTY_2D[np.float64]

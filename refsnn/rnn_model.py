r"""The generic RNN of Box 1 (tutorial Eqs. 1-3): the model, its activations and its trace.

Model (tutorial Box 1, Eqs. 1-3), layers ``l = 1..L``:

.. math::

    a^l[n] = V^l y^l[n-1] + W^l y^{l-1}[n-1], \qquad y^l[n] = \sigma(a^l[n]), \qquad
    y^0[n] \equiv x[n].

Conventions (docs/design.md §3). Arrays are ``(batch, time, neurons)``, a trace array at index ``n``
holds the value at step ``n``, ``n = 0..T-1``, weights are ``W[post, pre]``. The state starts at
zero: ``y^l[-1] = 0`` for every ``l`` *including the input* ``y^0[-1] = x[-1] = 0``, hence

.. math::

    a^l[0] = 0, \qquad y^l[0] = \sigma(0) \quad\text{(independent of all weights)}.

Because of the one-step delay of *both* terms, ``x[n]`` first reaches layer ``l`` at step
``n + l`` (``a^1[n+1]``, ``a^2[n+2]``, ...), and ``x[T-1]`` influences nothing. Python lists are
0-based: ``rnn.W[0]`` is ``W^1``, ``rnn.W[l-1]`` is ``W^l``; the gradient names ``"W[0]"``... follow
:class:`refsnn.trace.Grads`.

Activation ``sigma`` (``sigma'`` is what every gradient method uses):

===============  ==========================================  ===============================
``sigma``        forward ``y = sigma(a)``                    backward ``sigma'(a)``
===============  ==========================================  ===============================
``"tanh"``       ``tanh(a)``                                 ``1 - tanh(a)^2`` (exact)
``"sigmoid"``    ``1 / (1 + exp(-a))`` (stable form)         ``s (1 - s)`` (exact)
``"heaviside"``  ``Theta(a - threshold)``, ``Theta(0) = 0``  surrogate ``F'(a - threshold)``
``"soft"``       surrogate primitive ``F(a - threshold)``    ``F'(a - threshold)`` (exact)
===============  ==========================================  ===============================

``F, F'`` come from :class:`refsnn.surrogate.Surrogate` (docs/design.md §5). The gradients of this
model, Eq. 11 (BPTT) and Eq. 12 (forward), are in :mod:`refsnn.rnn`.

Read next: refsnn/rnn.py, Eq. 11 (BPTT) and Eq. 12 (forward gradient) of this model.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import as_finite_array, as_real_array, as_rng, check_real
from .surrogate import Surrogate, as_surrogate

#: accepted activation names
SIGMAS = ("tanh", "sigmoid", "heaviside", "soft")


# ---------------------------------------------------------------------------- validation
def _check_sigma(sigma):
    if not isinstance(sigma, str):
        raise TypeError(f"sigma must be a string, one of {SIGMAS}, got {type(sigma).__name__}")
    if sigma not in SIGMAS:
        raise ValueError(f"sigma must be one of {SIGMAS}, got {sigma!r}")
    return sigma


def _as_matrix(w, name):
    if w is None:
        raise TypeError(f"{name} must be a 2-D array, got None")
    arr = as_real_array(w, name)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (post, pre), got shape {arr.shape}")
    return np.array(arr, dtype=np.float64, order="C")  # a private copy


# ---------------------------------------------------------------------------- the model
@dataclass(frozen=True, eq=False)
class RNNTrace:
    """What :meth:`RNN.forward` records (index ``n`` holds step ``n``).

    Attributes
    ----------
    x : ndarray (B, T, N_0)
        The input ``y^0``.
    a, y : tuple of ndarray (B, T, N_l)
        ``a^l`` and ``y^l`` of the layers ``l = 1..L`` (``a[0]`` is ``a^1``).
    sigma : str
        The activation that produced it.
    """

    x: np.ndarray
    a: tuple
    y: tuple
    sigma: str

    def layer_input(self, l):
        """``y^{l}`` with the 0-based convention of the code: ``-1`` is the input ``x``."""
        return self.x if l < 0 else self.y[l]


@dataclass(frozen=True, eq=False)
class RNN:
    r"""The Box 1 network: ``a^l[n] = V^l y^l[n-1] + W^l y^{l-1}[n-1]``, ``y^l = sigma(a^l)``.

    The record is frozen (its fields cannot be reassigned); the weight *arrays* are private
    float64 copies that may be changed in place (finite differences do that).

    Parameters
    ----------
    W : sequence of 2-D arrays
        ``[W^1, ..., W^L]``, ``W[l]`` of shape ``(N_{l+1}, N_l)`` (0-based list index).
    V : sequence of (2-D array or None), optional
        ``[V^1, ..., V^L]``, square ``(N_l, N_l)`` or ``None`` (no recurrence in that layer).
        Default: no recurrence anywhere.
    sigma : {"tanh", "sigmoid", "heaviside", "soft"}
    surrogate : Surrogate | str | (str, float)
        Used by ``"heaviside"`` (backward ``F'``) and ``"soft"`` (forward ``F``, backward
        ``F'``); ignored by the smooth activations.
    threshold : float
        ``theta`` in ``Theta(a - theta)`` and ``F(a - theta)``; ignored by tanh and sigmoid.
    """

    W: tuple
    V: tuple = None
    sigma: str = "tanh"
    surrogate: Surrogate = Surrogate("superspike", 10.0)
    threshold: float = 0.0

    def __post_init__(self):
        if not isinstance(self.W, (list, tuple)) or len(self.W) < 1:
            raise TypeError("W must be a non-empty list of 2-D arrays [W^1, ..., W^L]")
        W = tuple(_as_matrix(w, f"W[{l}]") for l, w in enumerate(self.W))
        V = self.V
        if V is None:
            V = (None,) * len(W)
        if not isinstance(V, (list, tuple)) or len(V) != len(W):
            raise ValueError(f"V must be None or a list of {len(W)} entries (array or None), "
                             f"one per layer")
        V = tuple(None if v is None else _as_matrix(v, f"V[{l}]") for l, v in enumerate(V))
        object.__setattr__(self, "W", W)
        object.__setattr__(self, "V", V)
        object.__setattr__(self, "sigma", _check_sigma(self.sigma))
        object.__setattr__(self, "surrogate", as_surrogate(self.surrogate))
        object.__setattr__(self, "threshold", check_real("threshold", self.threshold))
        self.check_weights()

    # -------------------------------------------------------------- construction
    @classmethod
    def init(cls, sizes, recurrent=True, sigma="tanh", surrogate=("superspike", 10.0),
             threshold=0.0, rng=0, gain=1.0, recurrent_gain=None):
        r"""Random network, ``W^l_ij ~ N(0, gain^2 / N_{l-1})``, ``V^l_ij ~ N(0, rgain^2 / N_l)``.

        Parameters
        ----------
        sizes : sequence of int
            ``[N_0 (input), N_1, ..., N_L]``, at least two entries, all >= 1.
        recurrent : bool or sequence of bool
            Whether each layer has a ``V`` (one bool for all, or one per layer).
        sigma, surrogate, threshold : see :class:`RNN`.
        rng : numpy Generator or int seed
        gain, recurrent_gain : float >= 0
            Scales of ``W`` and ``V`` (``recurrent_gain`` defaults to ``gain``).
        """
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
            raise TypeError(f"sizes must be a sequence of ints, got {type(sizes).__name__}")
        sizes = list(sizes)
        if len(sizes) < 2:
            raise ValueError(f"sizes must be [n_in, n_1, ..., n_L] with at least one layer, "
                             f"got {sizes}")
        for s in sizes:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)):
                raise TypeError(f"sizes must contain ints, got {sizes}")
            if s < 1:
                raise ValueError(f"sizes must be positive, got {sizes}")
        L = len(sizes) - 1
        if isinstance(recurrent, (bool, np.bool_)):
            recurrent = [bool(recurrent)] * L
        if not isinstance(recurrent, (list, tuple)) or len(recurrent) != L \
                or not all(isinstance(r, (bool, np.bool_)) for r in recurrent):
            raise ValueError(f"recurrent must be a bool or {L} bools (one per layer), "
                             f"got {recurrent!r}")
        gain = check_real("gain", gain, 0.0)
        rgain = gain if recurrent_gain is None else check_real("recurrent_gain", recurrent_gain, 0.0)
        _check_sigma(sigma)
        rng = as_rng(rng)
        W = [rng.normal(0.0, gain / np.sqrt(sizes[l]), size=(sizes[l + 1], sizes[l]))
             for l in range(L)]
        V = [rng.normal(0.0, rgain / np.sqrt(sizes[l + 1]), size=(sizes[l + 1], sizes[l + 1]))
             if recurrent[l] else None for l in range(L)]
        return cls(W, V, sigma, surrogate, threshold)

    # -------------------------------------------------------------- introspection
    @property
    def n_layers(self) -> int:
        """``L``."""
        return len(self.W)

    @property
    def sizes(self):
        """``[N_0, N_1, ..., N_L]``."""
        return [self.W[0].shape[1]] + [w.shape[0] for w in self.W]

    def parameters(self):
        """``[(name, array), ...]``: ``W[0]..W[L-1]`` then the existing ``V[l]`` (as in Grads)."""
        out = [(f"W[{l}]", w) for l, w in enumerate(self.W)]
        out += [(f"V[{l}]", v) for l, v in enumerate(self.V) if v is not None]
        return out

    def check_weights(self):
        """Shapes chain (``W[l]`` is ``(N_{l+1}, N_l)``, ``V[l]`` is ``(N_{l+1}, N_{l+1})``) and
        every entry is finite; raises ``ValueError`` naming the array otherwise."""
        n_pre = self.W[0].shape[1]
        for l, w in enumerate(self.W):
            if w.shape[1] != n_pre:
                raise ValueError(f"W[{l}] has shape {w.shape}, expected (post, {n_pre}) to "
                                 f"match the layer below")
            if w.shape[0] < 1 or w.shape[1] < 1:
                raise ValueError(f"W[{l}] must have at least one row and column, got {w.shape}")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"W[{l}] contains NaN or inf")
            v = self.V[l]
            if v is not None:
                if v.shape != (w.shape[0], w.shape[0]):
                    raise ValueError(f"V[{l}] has shape {v.shape}, expected "
                                     f"{(w.shape[0], w.shape[0])}")
                if not np.all(np.isfinite(v)):
                    raise ValueError(f"V[{l}] contains NaN or inf")
            n_pre = w.shape[0]

    # -------------------------------------------------------------- activation
    def act(self, a):
        """``y = sigma(a)`` elementwise (float64 array of ``a``'s shape)."""
        if self.sigma == "tanh":
            return np.tanh(a)
        if self.sigma == "sigmoid":
            return _logistic(a)
        if self.sigma == "heaviside":
            return (a - self.threshold > 0.0).astype(np.float64)  # Theta(0) = 0
        return self.surrogate.primitive(a - self.threshold)

    def act_grad(self, a, y=None):
        """``sigma'(a)`` as used by the gradients (the surrogate ``F'`` for ``"heaviside"``).

        ``y = sigma(a)`` may be passed to save the recomputation for tanh and sigmoid."""
        if self.sigma == "tanh":
            t = np.tanh(a) if y is None else y
            return 1.0 - t * t
        if self.sigma == "sigmoid":
            s = _logistic(a) if y is None else y
            return s * (1.0 - s)
        return self.surrogate.derivative(a - self.threshold)

    # -------------------------------------------------------------- forward
    def step(self, l, y_self_prev, y_below_prev):
        r"""``a^l[n] = V^l y^l[n-1] + W^l y^{l-1}[n-1]`` for one layer (0-based ``l``), batch
        arrays ``(B, N)``; returns ``(a, y)``."""
        a = y_below_prev @ self.W[l].T
        if self.V[l] is not None:
            a = a + y_self_prev @ self.V[l].T
        return a, self.act(a)

    def forward(self, x) -> RNNTrace:
        """Simulate input ``x`` ``(B, T, N_0)`` and record ``a^l[n], y^l[n]`` of every layer."""
        self.check_weights()
        x = as_finite_array(x, "x", (None, None, self.sizes[0]))
        B, T, _ = x.shape
        L = self.n_layers
        A = [np.empty((B, T, n)) for n in self.sizes[1:]]
        Y = [np.empty((B, T, n)) for n in self.sizes[1:]]
        prev = [np.zeros((B, n)) for n in self.sizes]  # y^0..y^L at step n-1 (zero at n=0)
        for n in range(T):
            for l in range(L):
                A[l][:, n], Y[l][:, n] = self.step(l, prev[l + 1], prev[l])
            prev = [x[:, n]] + [Y[l][:, n] for l in range(L)]
        return RNNTrace(x=x, a=tuple(A), y=tuple(Y), sigma=self.sigma)


def _logistic(a):
    """Stable ``1 / (1 + exp(-a))`` (``exp`` only of non-positive numbers)."""
    e = np.exp(-np.abs(a))
    return np.where(a >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def check_trace(rnn, trace):
    """``(B, T)`` of ``trace``; TypeError / ValueError unless it is a recording of ``rnn``'s
    shape and activation (checked before the gradients read it)."""
    if not isinstance(rnn, RNN):
        raise TypeError(f"rnn must be an RNN, got {type(rnn).__name__}")
    if not isinstance(trace, RNNTrace):
        raise TypeError(f"trace must be an RNNTrace (from rnn.forward), got "
                        f"{type(trace).__name__}")
    rnn.check_weights()
    if trace.sigma != rnn.sigma:
        raise ValueError(f"trace was recorded with sigma={trace.sigma!r}, rnn has "
                         f"sigma={rnn.sigma!r}")
    if len(trace.a) != rnn.n_layers or len(trace.y) != rnn.n_layers:
        raise ValueError(f"trace has {len(trace.a)} layers, rnn has {rnn.n_layers}")
    B, T, n0 = trace.x.shape
    if n0 != rnn.sizes[0]:
        raise ValueError(f"trace.x has {n0} inputs, rnn expects {rnn.sizes[0]}")
    for l, n in enumerate(rnn.sizes[1:]):
        for nm, arr in (("a", trace.a[l]), ("y", trace.y[l])):
            if np.shape(arr) != (B, T, n):
                raise ValueError(f"trace.{nm}[{l}] has shape {np.shape(arr)}, expected "
                                 f"{(B, T, n)}")
    return B, T

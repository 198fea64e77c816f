"""Spike nonlinearity and surrogate derivatives (tutorial Fig. 3, docs/design.md §5).

The spike of a LIF neuron is ``S = Theta(x)`` with ``x = U - theta`` (Heaviside ``Theta``;
``Theta(0) = 0``). Its derivative is zero almost everywhere, so gradient methods replace
``Theta'`` by the derivative ``F'`` of a smooth function ``F``. Every surrogate here is a
*pair* ``(F, F')``: a smooth primitive with ``F(-inf) = 0`` and its exact derivative, both
with a ``scale`` (steepness) parameter.

* ``spike="hard"``: the forward pass uses ``Theta``, the backward pass uses ``F'``
  (surrogate gradient).
* ``spike="soft"``: the forward pass uses ``F`` itself, the backward pass uses ``F'``.
  This is an ordinary smooth network and its hand gradient must match finite differences.

=========================  ==========================================  ======================================
name                       derivative ``F'(x)``                        primitive ``F(x)``
=========================  ==========================================  ======================================
``superspike``             ``1 / (scale |x| + 1)^2`` (Zenke & Ganguli)  ``x / (1 + scale |x|) + 1/scale``
``sigmoid``                ``scale s(scale x) (1 - s(scale x))``       ``s(scale x)``, ``s`` the logistic
``piecewise_linear``       ``max(0, 1 - scale |x|)`` (Esser, Bellec)   its integral, ``1/scale`` for large x
``exponential``            ``exp(-scale |x|)`` (SLAYER)                ``exp(scale x)/scale`` (x<0),
                                                                       ``(2 - exp(-scale x))/scale`` (x>=0)
``boxcar``                 ``1`` if ``|x| < 1/(2 scale)`` else 0      ``clip(x + 1/(2 scale), 0, 1/scale)``
``asymptotic_superspike``  ``scale / (scale |x| + 1)^2`` (Zenke &      ``scale x / (1 + scale |x|) + 1``
                           Vogels 2021, §4.2.6 and Fig. 5)
``hybrid``                 ``scale`` if ``x > 0`` else ``c``: the      ``scale max(x, 0) + c min(x, 0)``
                           spike itself ("lessons" §4.3, Eq. 8)
=========================  ==========================================  ======================================

``asymptotic_superspike`` is ``scale`` times ``superspike``. Its peak is ``scale``, not 1, and
its integral is ``F(+inf) = 2`` whatever the scale, so as ``scale -> inf`` it tends to twice
Dirac's delta (Zenke & Vogels' "converge toward the actual derivative of a hard spike
threshold", Fig. 5a, up to that factor), whereas the normalised SuperSpike keeps its peak at 1
and tends to 0 everywhere else. Zenke & Vogels (§2.3, Fig. 5) find that this scale matters when
the reset is differentiable or the network is recurrent. Its soft spike saturates at 2.

``hybrid`` is the hybrid approach of "lessons from deep learning" (§4.3, Eq. 8, Fig. 8d): the
forward spike is its own derivative, ``dS/dU <- S = Theta(U - theta)``, so a silent neuron
passes no gradient, optionally scaled (``scale``, "a scaled version of the spike"; default 1)
and with a constant ``c = subthreshold`` (default 0) below threshold, the gradient of a
threshold-shifted leaky ReLU. With hard spikes ``F'(U[n] - theta) = scale S[n] + c (1 - S[n])``
is a function of the recorded spike alone: the backward pass needs no membrane potential for
its surrogate factor, only one bit per neuron and step (the paper's note on memory; refsnn keeps
``U`` in its trace anyway, for the resets' partials and for the other methods). Unlike the
others this ``F`` is unbounded (``F(+inf) = inf``, and ``F(-inf) = -inf`` when ``c > 0``): its
soft network is a network of shifted leaky ReLUs. ``F'`` jumps at 0, a kink of ``F`` itself,
which the finite-difference oracle steps around like the others' (``Surrogate.kinks``); at
``x = 0`` exactly ``F'`` is ``c``, as ``Theta(0) = 0``.

All forms avoid ``exp`` of a positive argument, so they are finite and warning-free for any
finite ``x`` (tested up to ``|x| = 1e6``).

The scalar functions :func:`primitive` and :func:`derivative` are Numba-compiled and take the
surrogate as a small integer ``code`` so that one compiled kernel serves every shape.

Read next: refsnn/lif.py, where spike_fn and spike_grad put these pairs into the LIF forward
kernel.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

#: names in code order; ``Surrogate.code`` is the index into this tuple.
SURROGATES = ("superspike", "sigmoid", "piecewise_linear", "exponential", "boxcar",
              "asymptotic_superspike", "hybrid")

(SUPERSPIKE, SIGMOID, PIECEWISE_LINEAR, EXPONENTIAL, BOXCAR, ASYMPTOTIC_SUPERSPIKE,
 HYBRID) = range(7)

#: ``scale`` where a surrogate is built without one: 10, but 1 for the hybrid, whose scale is
#: the value of ``F'`` above threshold ("lessons" Eq. 8: the spike itself)
DEFAULT_SCALES = {"hybrid": 1.0}


class _DefaultScale(float):
    """The default of ``Surrogate.scale``, told apart from an explicit 10 by identity."""


_DEFAULT_SCALE = _DefaultScale(10.0)


@numba.njit(cache=True)
def heaviside(x):
    """``Theta(x)``: 1.0 for ``x > 0``, else 0.0 (the spike of docs/design.md §4)."""
    return 1.0 if x > 0.0 else 0.0


@numba.njit(cache=True)
def _logistic(z):
    """Numerically stable logistic ``1 / (1 + exp(-z))`` (only ``exp`` of a non-positive number)."""
    if z >= 0.0:
        return 1.0 / (1.0 + np.exp(-z))
    e = np.exp(z)
    return e / (1.0 + e)


@numba.njit(cache=True)
def primitive(code, scale, x, sub):
    """Primitive ``F(x; scale)`` of surrogate ``code`` (``F(-inf) = 0`` but for the hybrid with
    ``sub > 0``); ``sub`` is the hybrid's subthreshold slope ``c`` (read by no other)."""
    if code == SUPERSPIKE:
        return x / (1.0 + scale * abs(x)) + 1.0 / scale
    if code == SIGMOID:
        return _logistic(scale * x)
    if code == PIECEWISE_LINEAR:
        w = 1.0 / scale  # half-width of the triangle
        if x <= -w:
            return 0.0
        if x >= w:
            return w
        if x < 0.0:
            return x + 0.5 * scale * x * x + 0.5 * w
        return 0.5 * w + x - 0.5 * scale * x * x
    if code == EXPONENTIAL:
        if x < 0.0:
            return np.exp(scale * x) / scale
        return (2.0 - np.exp(-scale * x)) / scale
    if code == ASYMPTOTIC_SUPERSPIKE:  # scale times the superspike primitive
        return scale * x / (1.0 + scale * abs(x)) + 1.0
    if code == HYBRID:  # a threshold-shifted leaky ReLU
        return scale * x if x > 0.0 else sub * x
    # BOXCAR
    h = 0.5 / scale
    return min(max(x + h, 0.0), 2.0 * h)


@numba.njit(cache=True)
def derivative(code, scale, x, sub):
    """Surrogate derivative ``F'(x; scale)`` of surrogate ``code`` (peak value 1 except the
    sigmoid's, ``scale/4``, the asymptotic SuperSpike's and the hybrid's, ``scale``)."""
    if code == SUPERSPIKE:
        d = scale * abs(x) + 1.0
        return 1.0 / (d * d)
    if code == ASYMPTOTIC_SUPERSPIKE:  # Zenke & Vogels §4.2.6: beta / (beta |x| + 1)^2
        d = scale * abs(x) + 1.0
        return scale / (d * d)
    if code == HYBRID:  # "lessons" Eq. 8: dS/dU <- S = Theta(x), scaled; c below threshold
        return scale if x > 0.0 else sub
    if code == SIGMOID:
        # scale s (1 - s) = scale e / (1 + e)^2 with e = exp(-scale |x|): no cancellation in
        # 1 - s far from threshold, no overflow
        e = np.exp(-scale * abs(x))
        return scale * e / ((1.0 + e) * (1.0 + e))
    if code == PIECEWISE_LINEAR:
        return max(0.0, 1.0 - scale * abs(x))
    if code == EXPONENTIAL:
        return np.exp(-scale * abs(x))
    # BOXCAR
    return 1.0 if abs(x) < 0.5 / scale else 0.0


@numba.njit(cache=True)
def _apply(code, scale, sub, x, out, which):
    flat_x = x.ravel()
    flat_o = out.ravel()
    for i in range(flat_x.size):
        if which == 0:
            flat_o[i] = primitive(code, scale, flat_x[i], sub)
        elif which == 1:
            flat_o[i] = derivative(code, scale, flat_x[i], sub)
        else:
            flat_o[i] = heaviside(flat_x[i])


def _as_float_array(x, name="x"):
    arr = np.ascontiguousarray(x, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    return arr


def heaviside_array(x):
    """Vectorised ``Theta(x)`` (same convention as the kernels: ``Theta(0) = 0``)."""
    arr = _as_float_array(x)
    out = np.empty_like(arr)
    _apply(0, 1.0, 0.0, arr, out, 2)
    return out


@dataclass(frozen=True)
class Surrogate:
    """A surrogate pair ``(F, F')`` with steepness ``scale``.

    Parameters
    ----------
    name : str
        One of :data:`SURROGATES`.
    scale : float
        Steepness, ``> 0`` (a Python or NumPy int or float, not a bool). Larger values give a
        narrower derivative around threshold. Default 10; for the hybrid it is the value of
        ``F'`` above threshold, default 1 (:data:`DEFAULT_SCALES`).
    subthreshold : float
        The hybrid's ``F'`` below threshold, ``c >= 0`` (default 0: no gradient through a
        silent neuron). An option of the hybrid only.
    """

    name: str = "superspike"
    scale: float = _DEFAULT_SCALE
    subthreshold: float = 0.0

    def __post_init__(self):
        if not isinstance(self.name, str) or self.name not in SURROGATES:
            raise ValueError(f"surrogate name must be one of {SURROGATES}, got {self.name!r}")
        if self.scale is _DEFAULT_SCALE:
            object.__setattr__(self, "scale", DEFAULT_SCALES.get(self.name, 10.0))
        if isinstance(self.scale, (bool, np.bool_)) or not isinstance(
                self.scale, (int, float, np.integer, np.floating)):  # NumPy scalars too
            raise TypeError(f"surrogate scale must be a real number, got "
                            f"{type(self.scale).__name__}")
        if not (np.isfinite(self.scale) and self.scale > 0):
            raise ValueError(f"surrogate scale must be finite and > 0, got {self.scale}")
        object.__setattr__(self, "scale", float(self.scale))
        c = self.subthreshold
        if isinstance(c, (bool, np.bool_)) or not isinstance(c, (int, float, np.integer,
                                                                 np.floating)):
            raise TypeError(f"surrogate subthreshold must be a real number, got "
                            f"{type(c).__name__}")
        if not (np.isfinite(c) and c >= 0):
            raise ValueError(f"surrogate subthreshold must be finite and >= 0, got {c}")
        if c != 0 and self.name != "hybrid":
            raise ValueError(f"subthreshold is an option of the hybrid surrogate only, not of "
                             f"{self.name!r}")
        object.__setattr__(self, "subthreshold", float(c))

    @property
    def code(self) -> int:
        """Integer code passed to the Numba kernels."""
        return SURROGATES.index(self.name)

    @property
    def kinks(self) -> tuple:
        """Points ``x`` where ``F'`` or ``F''`` jumps (``F`` is not C2 there).

        Finite differences of the soft model are only valid on stencils that cross none of
        them (:func:`refsnn.gradcheck.numerical_gradient` shrinks its step when one does).
        """
        s = self.scale
        return {"superspike": (0.0,), "sigmoid": (), "piecewise_linear": (-1 / s, 0.0, 1 / s),
                "exponential": (0.0,), "boxcar": (-0.5 / s, 0.5 / s),
                "asymptotic_superspike": (0.0,), "hybrid": (0.0,)}[self.name]

    def primitive(self, x):
        """``F(x)`` elementwise, ``x = U - theta``; returns a float64 array of ``x``'s shape."""
        arr = _as_float_array(x)
        out = np.empty_like(arr)
        _apply(self.code, self.scale, self.subthreshold, arr, out, 0)
        return out

    def derivative(self, x):
        """``F'(x)`` elementwise (the surrogate derivative); float64 array of ``x``'s shape."""
        arr = _as_float_array(x)
        out = np.empty_like(arr)
        _apply(self.code, self.scale, self.subthreshold, arr, out, 1)
        return out


def as_surrogate(spec) -> Surrogate:
    """Build a :class:`Surrogate` from ``Surrogate | name | (name, scale) | (name, scale,
    subthreshold)``."""
    if isinstance(spec, Surrogate):
        return spec
    if isinstance(spec, str):
        return Surrogate(spec)
    if isinstance(spec, tuple) and len(spec) in (2, 3):
        return Surrogate(*spec)
    raise TypeError(
        "surrogate must be a Surrogate, a name or a (name, scale) tuple, "
        f"got {spec!r}"
    )

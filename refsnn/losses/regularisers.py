r"""Activity regularisers on any spiking layer's spikes ``S`` ``(B, T, M)``, each ``(g, dg/dS)``.

They compose with any loss (:class:`refsnn.losses.Objective` adds them; BPTT takes their
gradient as ``gS_ext={layer: dS}``). With the spike counts ``zeta_i = sum_n S_i[n]``:

* :func:`spike_rate_l1` -- "lessons from deep learning" Eq. 39, ``g = lam sum_{b,n,i} S``,
  ``dg/dS = lam`` (snnTorch's ``l1_rate_sparsity``: summed over the batch too).
* :func:`lower_bound` -- Zenke & Vogels 2021 §4.2.5 (and "lessons" Eq. 41), per neuron,
  averaged over the batch:

  .. math::

      g = \frac1B \sum_b \frac{\lambda}{M} \sum_i \left([v_{lower} - \zeta_{bi}]_+\right)^2,
      \qquad \frac{\partial g}{\partial S_{bi}[n]} = -\frac{2\lambda}{B M}\,
      [v_{lower} - \zeta_{bi}]_+ .

* :func:`upper_bound` -- Zenke & Vogels §4.2.5, on the population mean count, averaged over
  the batch (printed with a spurious minus sign, which would reward activity above the
  bound: errata):

  .. math::

      g = \frac1B \sum_b \lambda \left([\bar\zeta_b - v_{upper}]_+\right)^L, \quad
      \bar\zeta_b = \frac1M \sum_i \zeta_{bi}, \qquad
      \frac{\partial g}{\partial S_{bi}[n]} = \frac{\lambda L}{B M}
      \left([\bar\zeta_b - v_{upper}]_+\right)^{L-1}.

  ("lessons" Eq. 40 sums the counts instead of averaging them: its threshold is ``M`` times
  this one.) For ``L = 1`` the function has a kink at ``zeta_bar = v_upper``;
  :func:`upper_bound_pieces` names the side for the finite-difference oracle.

The gradient of each is the same at every step ``n`` (a function of counts).

Read next: refsnn/losses/objective.py, how a loss and regularisers make one objective.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int, check_real
from .membrane import _check_readout

_AXES = ("batch", "time", "neurons")


def spike_rate_l1(S, lam):
    """``lam * sum(S)`` and its gradient ``lam`` everywhere (module docstring)."""
    S = _check_readout(S, "S", _AXES)
    lam = check_real("lam", lam, 0.0)
    return lam * S.sum(), np.full_like(S, lam)


def lower_bound(S, lam, v_lower):
    """Per-neuron lower bound on the spike count (module docstring); ``(g, dg/dS)``."""
    S = _check_readout(S, "S", _AXES)
    lam = check_real("lam", lam, 0.0)
    v_lower = check_real("v_lower", v_lower)
    B, T, M = S.shape
    deficit = np.maximum(v_lower - S.sum(axis=1), 0.0)          # [v_lower - zeta]_+ (B, M)
    value = lam / (B * M) * np.sum(deficit ** 2)
    return value, np.repeat((-2 * lam / (B * M) * deficit)[:, None, :], T, axis=1)


def upper_bound(S, lam, v_upper, L=1):
    """Population upper bound on the mean spike count (module docstring); ``(g, dg/dS)``."""
    S = _check_readout(S, "S", _AXES)
    lam = check_real("lam", lam, 0.0)
    v_upper = check_real("v_upper", v_upper)
    L = check_int("L", L, 1)
    B, T, M = S.shape
    excess = np.maximum(S.sum(axis=1).mean(axis=1) - v_upper, 0.0)   # (B,)
    value = lam / B * np.sum(excess ** L)
    d = lam * L / (B * M) * excess ** (L - 1) * (excess > 0)
    return value, np.broadcast_to(d[:, None, None], S.shape).copy()


def upper_bound_pieces(S, lam, v_upper, L=1):
    """Which side of its kink each sample's mean count lies on (``True``: above ``v_upper``)."""
    return np.asarray(S).sum(axis=1).mean(axis=1) > v_upper


def lower_bound_pieces(S, lam, v_lower):
    """Which side of its kink each neuron's count lies on (``True``: below ``v_lower``).
    ``([x]_+)^2`` has a continuous slope but a jump in its curvature there."""
    return np.asarray(S).sum(axis=1) < v_lower


upper_bound.pieces = upper_bound_pieces
lower_bound.pieces = lower_bound_pieces

r"""The fixed random matrices of feedback alignment, DFA and local errors, and the alignment angle.

Shapes (one matrix per hidden layer ``l = 0 .. L-1``):

* ``"fa"``: ``B[l]`` of the shape of ``net.W[l+1]`` (it stands in for that matrix on the way
  down; ``B[-1]`` for ``W_o``);
* ``"dfa"``: ``H[l]`` ``(n_out, n_l)``;
* ``"local"``: ``G[l]`` ``(n_out, n_l)``.

Scale: each matrix ``M`` ``(rows, cols)`` is drawn with standard deviation
:math:`\sigma = \mathrm{gain}/\sqrt{\mathrm{cols}}`, the fan-in of ``M`` used as a forward
matrix (the scaling of He et al. and of the network's own ``W``), either Gaussian
:math:`\mathcal{N}(0, \sigma^2)` or uniform :math:`\mathcal{U}(-\sqrt 3\sigma, \sqrt 3\sigma)`
(the same variance). Lillicrap et al. 2016 drew ``U(-0.5, 0.5)``; Nøkland 2016 scaled by the
fan-in.

Sign-concordant feedback (Liao, Leibo & Poggio 2016): :math:`B[l] = \mathrm{sign}(W^{(l+1)})
\circ |R[l]|` with fixed random magnitudes ``|R|``. The sign follows the current forward
weights, so :func:`sign_concordant` is applied again whenever ``W`` changes (every training
step); only the magnitudes are fixed.

Alignment (Lillicrap et al.'s measure): the angle between an update and the exact gradient,
:math:`\angle(a, b) = \arccos \frac{a\cdot b}{\|a\|\|b\|}` in degrees over the flattened
arrays: 0 for parallel, 90 for orthogonal; below 90 the update still descends the loss.

Read next: refsnn/rnn_model.py, the generic RNN of Box 1, then refsnn/rnn.py with the corrected
Eqs. 11 and 12 (and docs/errata.md).
"""
from __future__ import annotations

import numpy as np

from ..checks import as_rng, check_real
from ..network import Network
from ..trace import Grads

#: the rules and the shapes of their matrices (module docstring)
RULES = ("fa", "dfa", "local")
#: the two distributions, of equal variance
DISTRIBUTIONS = ("gaussian", "uniform")


def feedback_shapes(net, rule):
    """The shapes of ``rule``'s matrices for ``net``: a list, one per hidden layer."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")
    if rule not in RULES:
        raise ValueError(f"rule must be one of {RULES}, got {rule!r}")
    if rule == "fa":
        return [w.shape for w in net.W[1:]]
    return [(net.sizes[-1], n) for n in net.sizes[1:-1]]


def random_feedback(net, rule, rng, distribution="gaussian", gain=1.0):
    r"""Fixed random matrices for ``rule`` (``"fa"``, ``"dfa"`` or ``"local"``).

    Each ``M`` ``(rows, cols)`` has entries of standard deviation ``gain / sqrt(cols)``,
    Gaussian or uniform (module docstring). Returns a list of float64 arrays of
    :func:`feedback_shapes`.

    Parameters
    ----------
    net : Network
    rule : {"fa", "dfa", "local"}
    rng : numpy Generator or int seed
    distribution : {"gaussian", "uniform"}
    gain : float
        Scale (> 0).
    """
    shapes = feedback_shapes(net, rule)
    if distribution not in DISTRIBUTIONS:
        raise ValueError(f"distribution must be one of {DISTRIBUTIONS}, got {distribution!r}")
    gain = check_real("gain", gain, 0.0, np.inf, low_open=True, high_open=True)
    if rng is None:
        raise TypeError("rng must be a numpy Generator or an int seed")
    rng = as_rng(rng)
    out = []
    for rows, cols in shapes:
        sigma = gain / np.sqrt(cols)
        if distribution == "gaussian":
            out.append(sigma * rng.standard_normal((rows, cols)))
        else:
            a = np.sqrt(3.0) * sigma
            out.append(rng.uniform(-a, a, size=(rows, cols)))
    return out


def sign_concordant(net, magnitudes):
    r"""Feedback matrices :math:`B[l] = \mathrm{sign}(W^{(l+1)}) \circ |R[l]|` for FA.

    ``magnitudes``: the fixed ``R`` (e.g. ``random_feedback(net, "fa", rng)``); only their
    absolute values are used. Call again after every weight update (the sign tracks ``W``).
    """
    shapes = feedback_shapes(net, "fa")
    if len(magnitudes) != len(shapes):
        raise ValueError(f"magnitudes must have {len(shapes)} matrices, got {len(magnitudes)}")
    out = []
    for l, (w, r) in enumerate(zip(net.W[1:], magnitudes)):
        r = np.asarray(r, dtype=np.float64)
        if r.shape != w.shape:
            raise ValueError(f"magnitudes[{l}] must have shape {w.shape}, got {r.shape}")
        out.append(np.sign(w) * np.abs(r))
    return out


def angle(a, b):
    r"""The angle in degrees between arrays ``a`` and ``b`` (flattened), ``nan`` if either is
    zero: :math:`\arccos(a \cdot b / (\|a\| \|b\|))`, computed as
    :math:`2 \arctan(\|\hat a - \hat b\| / \|\hat a + \hat b\|)` with the unit vectors
    :math:`\hat a, \hat b` (exact to rounding at every angle)."""
    a = np.asarray(a, dtype=np.float64).ravel()
    b = np.asarray(b, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same number of entries, got {a.size} and "
                         f"{b.size}")
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    if na == 0.0 or nb == 0.0:
        return float("nan")
    u, v = a / na, b / nb
    # Kahan's form of the same angle: accurate near 0 and 180 degrees, where arccos is not
    return float(np.degrees(2.0 * np.arctan2(np.linalg.norm(u - v), np.linalg.norm(u + v))))


def alignment(g_approx, g_exact):
    """Angle (degrees) between an update and the exact gradient, per parameter.

    ``g_approx, g_exact``: :class:`refsnn.Grads` (e.g. of :func:`refsnn.grad.feedback_alignment`
    and :func:`refsnn.bptt` on the same trace). Returns a dict ``name -> angle`` over the
    parameters both have (``"W[0]"``, ..., ``"V[0]"``), ``nan`` where a gradient is zero.
    """
    for name, g in (("g_approx", g_approx), ("g_exact", g_exact)):
        if not isinstance(g, Grads):
            raise TypeError(f"{name} must be a refsnn.Grads, got {type(g).__name__}")
    a, b = dict(g_approx.parameters()), dict(g_exact.parameters())
    if list(a) != list(b):
        raise ValueError(f"g_approx has parameters {list(a)}, g_exact {list(b)}")
    return {k: angle(a[k], b[k]) for k in a}

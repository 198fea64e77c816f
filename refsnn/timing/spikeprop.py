r"""SpikeProp: error backpropagation through the first spike time of each neuron.

Bohte, Kok & La Poutré, "Error-backpropagation in temporally encoded networks of spiking
neurons", Neurocomputing 48, 2002 (written out again in "lessons from deep learning", Appendix
C.1, Eqs. 42-48). Spike-response-model neurons, no leak term of their own and no reset: neuron
``j`` of layer ``l`` sums the alpha-shaped responses of every synaptic terminal ``k`` (delay
``d^k``, weight ``w_ij^k``) of every presynaptic neuron ``i`` of layer ``l-1``,

.. math::

    u_j(t) = \sum_i \sum_k w_{ij}^k\, \varepsilon(t - t_i - d^k), \qquad
    \varepsilon(s) = \frac{s}{\tau} e^{1 - s/\tau}\ (s > 0), \quad \varepsilon(s) = 0\ (s \le 0)

(lessons Eqs. 42-43, with Bohte's terminals and delays), and fires at the first time
:math:`t_j` at which :math:`u_j` reaches :math:`\vartheta` from below; only that first spike is
used. A neuron that never reaches threshold before ``t_max`` has no spike, ``t_j = inf``.

**The spike time, on the event level** (:func:`first_crossing`). Between two consecutive
terminal onsets ``a = t_i + d^k`` the same terminals are active, and every alpha kernel is
:math:`e^{-s/\tau}` times a linear function of ``s``, so on the segment :math:`t = a + y`

.. math::

    u(a + y) = e^{-y/\tau} (c_0 + c_1 y), \quad
    c_0 = \sum_m w_m \tfrac{\delta_m}{\tau} e^{1-\delta_m/\tau}, \quad
    c_1 = \sum_m \tfrac{w_m}{\tau} e^{1-\delta_m/\tau}, \quad \delta_m = a - s_m \ge 0,

which has at most one extremum, at :math:`y^* = \tau - c_0/c_1`, a maximum if :math:`c_1 > 0`
(for :math:`c_1 \le 0` the segment cannot reach :math:`\vartheta > 0` from below). The first
crossing therefore lies in the first segment with :math:`c_1 > 0` and
:math:`u(a + \min(y^*, L)) \ge \vartheta`, inside the bracket :math:`[0, \min(y^*, L)]` on
which ``u`` rises. There ``u = theta`` is :math:`f(y) = c_0 + c_1 y - \vartheta e^{y/\tau} = 0`
with ``f`` concave, ``f(0) < 0``, so Newton's iteration from ``y = 0`` climbs monotonically to
the root and stops when it no longer moves: the spike time to machine precision, and no
crossing is missed (no time grid). The gradient is evaluated at that time; a rounding error of
``1e-15`` in it changes the gradient by a relative ``1e-15``, far below the ``1e-6`` of the
finite-difference checks, which differentiate an independent extended-precision oracle
(:mod:`refsnn.timing.srm_reference`).

**The gradient** (Bohte Eqs. 9-12; lessons Eq. 44): at the crossing ``u_j(t_j) = theta``, so
by the implicit function theorem

.. math::

    \frac{\partial t_j}{\partial w_{ij}^k} = -\frac{\partial u_j/\partial w_{ij}^k}{\partial
    u_j/\partial t}\Big|_{t_j} = -\frac{\varepsilon(t_j - t_i - d^k)}{u_j'(t_j)}, \qquad
    \frac{\partial t_j}{\partial t_i} = \frac{\sum_k w_{ij}^k\, \varepsilon'(t_j - t_i - d^k)}
    {u_j'(t_j)}, \qquad u_j'(t_j) = \sum_{i,k} w_{ij}^k\, \varepsilon'(t_j - t_i - d^k),

exact wherever the crossing is transversal (:math:`u_j'(t_j) > 0`) and no terminal onset
coincides with it. It is singular at a tangent crossing (:math:`u_j' \to 0`), and a neuron
without a spike has none at all: its incoming weights and the weights it sends get exactly
zero gradient, so training cannot bring it back (the failure the lessons paper names in §4.2;
``tests/test_spikeprop.py``). The error is the squared spike-time error of the outputs,
:func:`spike_time_error`.

Units: any, as long as times, delays, ``tau`` and ``t_max`` share one (Bohte's: ms).

Read next: refsnn/timing/srm_reference.py, the independent oracle, then
refsnn/experiments/spikeprop_xor.py, the XOR of Bohte et al.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from ..checks import as_real_array, as_rng, check_real

E = np.e


# ---------------------------------------------------------------------- the kernel
def alpha_kernel(s, tau):
    r"""The alpha kernel :math:`\varepsilon(s) = (s/\tau) e^{1 - s/\tau}` for ``s > 0``, else 0
    (lessons Eq. 43), elementwise; peak 1 at ``s = tau``. ``s`` may hold ``-inf`` (no spike)."""
    s = np.asarray(s, dtype=float)
    r = np.where(s > 0, s, 0.0) / tau
    return np.where(s > 0, r * np.exp(1.0 - r), 0.0)


def alpha_kernel_derivative(s, tau):
    r""":math:`\varepsilon'(s) = \frac{1}{\tau}(1 - s/\tau) e^{1 - s/\tau}` for ``s > 0``, else 0
    (the kernel's derivative, beside :func:`alpha_kernel`; at ``s = 0`` the left value 0)."""
    s = np.asarray(s, dtype=float)
    r = np.where(s > 0, s, 0.0) / tau
    return np.where(s > 0, (1.0 - r) * np.exp(1.0 - r) / tau, 0.0)


@numba.njit(cache=True)
def first_crossing(onsets, weights, M, tau, theta, t_max):
    """First time ``u(t) = theta`` from below, of the terminals ``onsets[:M]`` (sorted) with
    ``weights[:M]``, before ``t_max``; ``inf`` if none (module docstring: segments, Newton)."""
    for k in range(M):
        a = onsets[k]
        if a >= t_max:
            break
        b = onsets[k + 1] if k + 1 < M else t_max
        L = min(b, t_max) - a
        if L <= 0.0:
            continue  # equal onsets: the next segment holds them all
        c0 = 0.0
        c1 = 0.0
        for m in range(k + 1):  # the segment's polynomial u(a + y) = exp(-y/tau)(c0 + c1 y)
            g = weights[m] * np.exp(1.0 - (a - onsets[m]) / tau) / tau
            c0 += g * (a - onsets[m])
            c1 += g
        if c0 >= theta:
            return a  # reached exactly at an onset
        if c1 <= 0.0:
            continue
        hi = min(tau - c0 / c1, L)  # u rises on [0, y*]
        if hi <= 0.0 or c0 + c1 * hi - theta * np.exp(hi / tau) < 0.0:
            continue
        y = 0.0  # Newton on the concave f(y) = c0 + c1 y - theta exp(y / tau), from below
        for _ in range(200):
            ex = theta * np.exp(y / tau)
            fp = c1 - ex / tau
            if fp <= 0.0:
                break
            y_new = min(y - (c0 + c1 * y - ex) / fp, hi)
            if not y_new > y:
                break
            y = y_new
        return a + y
    return np.inf


@numba.njit(cache=True)
def layer_spikes(onsets, order, W, K, tau, theta, t_max, out):
    """``out[b, j]``: the first spike of neuron ``j`` of a layer, ``W`` (n_post, n_pre, K); the
    terminals' ``onsets[b, m]`` (m = i K + k: input ``i``, terminal ``k``; ``inf`` for none) in
    time order ``order[b]`` (module docstring)."""
    B, M = onsets.shape
    n_post = W.shape[0]
    s = np.empty(M)
    w = np.empty(M)
    for b in range(B):
        n = 0
        for m in range(M):
            if onsets[b, order[b, m]] < t_max:
                s[n] = onsets[b, order[b, m]]
                n += 1
        for j in range(n_post):
            for m in range(n):
                i, k = divmod(order[b, m], K)
                w[m] = W[j, i, k]
            out[b, j] = first_crossing(s, w, n, tau, theta, t_max)


# ---------------------------------------------------------------------- the network
@dataclass
class Grads:
    """``W[l]`` mirrors ``net.W[l]``; ``t[l]`` is ``dE/dt`` of layer ``l`` (``t[0]``: inputs)."""

    W: list
    t: list

    def parameters(self):
        return [(f"W[{l}]", w) for l, w in enumerate(self.W)]


class Network:
    """A feed-forward SpikeProp network (module docstring).

    Attributes
    ----------
    W : list of ndarray (n_post, n_pre, K)
        ``W[l][j, i, k]`` is :math:`w_{ij}^k` from neuron ``i`` of layer ``l`` to ``j`` of
        layer ``l+1``.
    delays : ndarray (K,)
        The terminals' delays :math:`d^k` (shared by every connection), ``>= 0``.
    tau, theta, t_max : float
        Kernel time constant, threshold, end of the simulated window.
    sign : list of ndarray (n_pre,)
        ``sign[l][i]``: +1 keeps the weights from neuron ``i`` of layer ``l`` non-negative,
        -1 (an inhibitory neuron) non-positive, 0 leaves them free (:meth:`project`).
    """

    def __init__(self, W, delays, tau=7.0, theta=1.0, t_max=50.0, sign=None):
        self.tau = check_real("tau", tau, 0.0, low_open=True)
        self.theta = check_real("theta", theta, 0.0, low_open=True)
        self.t_max = check_real("t_max", t_max, 0.0, low_open=True)
        d = as_real_array(delays, "delays").astype(float).ravel()
        if d.size < 1 or not np.all(np.isfinite(d)) or np.any(d < 0):
            raise ValueError(f"delays must be one or more finite delays >= 0, got {delays!r}")
        self.delays = d.copy()
        if not isinstance(W, (list, tuple)) or not W:
            raise TypeError("W must be a non-empty list of (n_post, n_pre, K) arrays")
        self.W = []
        for l, w in enumerate(W):
            w = np.array(as_real_array(w, f"W[{l}]"), dtype=float)  # a copy
            if w.ndim != 3 or w.shape[2] != d.size or (l and w.shape[1] != self.W[-1].shape[0]):
                raise ValueError(f"W[{l}] must have shape (n_post, "
                                 f"{self.W[-1].shape[0] if l else 'n_in'}, {d.size}), got "
                                 f"{w.shape}")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"W[{l}] contains NaN or inf")
            self.W.append(w)
        self.sizes = [self.W[0].shape[1]] + [w.shape[0] for w in self.W]
        sign = [np.zeros(n, np.int64) for n in self.sizes[:-1]] if sign is None else sign
        if len(sign) != len(self.W):
            raise ValueError(f"sign must have one entry per layer of weights ({len(self.W)})")
        self.sign = []
        for l, s in enumerate(sign):
            s = np.array(s, dtype=np.int64).ravel()
            if s.shape != (self.sizes[l],) or not np.all(np.isin(s, (-1, 0, 1))):
                raise ValueError(f"sign[{l}] must be {self.sizes[l]} entries of -1, 0 or +1")
            self.sign.append(s)
        self.project()

    @classmethod
    def init(cls, sizes, rng, delays=np.arange(1.0, 17.0), tau=7.0, theta=1.0, t_max=50.0,
             inhibitory=(), low=0.0, high=1.0, gain=10.0):
        r"""A network of layer ``sizes`` with weights drawn uniformly,

        .. math::

            w_{ij}^k \sim \mathcal{U}(\mathrm{low}, \mathrm{high})\;
            rac{\mathrm{gain}\,artheta}{n_\mathrm{pre} K},

        so that a neuron whose inputs all fire at once crosses threshold within a few ``tau``
        (with Bohte's 16 terminals, delays 1-16 ms and ``tau`` = 7 ms, the kernels of one input
        sum to 12.3 at 16 ms after it, so the mean weight ``gain theta / (2 n_pre K)`` puts
        ``u`` at about 4 ``theta`` then).
        ``inhibitory``: one collection of neuron indices per hidden layer; those neurons'
        outgoing weights are negative (``-|w|``) and kept so, the other neurons of that layer
        excitatory (``sign`` +1). Bohte et al.'s XOR: ``inhibitory=[[4]]`` in a 3-5-1 network.
        """
        rng = as_rng(rng)
        sizes = list(sizes)
        if len(sizes) < 2 or any(isinstance(n, bool) or not isinstance(n, (int, np.integer))
                                 or n < 1 for n in sizes):
            raise ValueError(f"sizes must be two or more layer sizes >= 1, got {sizes!r}")
        low = check_real("low", low)
        high = check_real("high", high, low, low_open=True)
        gain = check_real("gain", gain, 0.0, low_open=True)
        K = np.size(delays)
        if len(inhibitory) > len(sizes) - 2:
            raise ValueError(f"inhibitory must name neurons of the {len(sizes) - 2} hidden "
                             f"layer(s), got {len(inhibitory)} entries")
        sign = [np.zeros(n, np.int64) for n in sizes[:-1]]
        for l, idx in enumerate(inhibitory):
            idx = np.asarray(list(idx), dtype=np.int64)
            if np.any((idx < 0) | (idx >= sizes[l + 1])):
                raise ValueError(f"inhibitory[{l}] must index neurons 0..{sizes[l + 1] - 1}")
            sign[l + 1][:] = 1
            sign[l + 1][idx] = -1
        W = []
        for l in range(len(sizes) - 1):
            w = rng.uniform(low, high, (sizes[l + 1], sizes[l], K)) * gain * theta / (sizes[l] * K)
            W.append(np.abs(w) * sign[l][None, :, None] if np.any(sign[l]) else w)
        return cls(W, delays, tau, theta, t_max, sign)

    def project(self):
        """Keep every sign-constrained weight on its side of zero (set it to 0 otherwise)."""
        for w, s in zip(self.W, self.sign):
            w[:, s > 0, :] = np.maximum(w[:, s > 0, :], 0.0)
            w[:, s < 0, :] = np.minimum(w[:, s < 0, :], 0.0)

    def check_input(self, t_in, name="t_in"):
        t = np.array(as_real_array(t_in, name), dtype=float)  # a copy
        if t.ndim != 2 or t.shape[1] != self.sizes[0] or t.shape[0] < 1:
            raise ValueError(f"{name} must have shape (batch, {self.sizes[0]}), got {t.shape}")
        if np.any(np.isnan(t)) or np.any(t == -np.inf):
            raise ValueError(f"{name} contains NaN or -inf (use +inf for 'no spike')")
        return t

    def forward(self, t_in):
        """Spike times of every layer: a list of ``(B, n_l)`` arrays, ``t_in`` (a copy) first;
        ``inf`` where a neuron does not fire before ``t_max``."""
        times = [self.check_input(t_in)]
        for w in self.W:
            onsets = (times[-1][:, :, None] + self.delays).reshape(len(times[-1]), -1)
            order = np.argsort(onsets, axis=1, kind="stable")  # sorted here: Numba's argsort
            out = np.empty((times[-1].shape[0], w.shape[0]))   # costs seconds to compile
            layer_spikes(onsets, order, w, len(self.delays), self.tau, self.theta, self.t_max,
                         out)
            times.append(out)
        return times

    def lags(self, times, l):
        """``s = t_j - t_i - d^k`` (B, n_post, n_pre, K) of layer ``l+1``; ``-inf`` where either
        neuron has no spike (so that every kernel of it is 0)."""
        post, pre = times[l + 1][:, :, None, None], times[l][:, None, :, None]
        ok = np.isfinite(post) & np.isfinite(pre)
        return np.where(ok, np.where(ok, post, 0.0) - np.where(ok, pre, 0.0) - self.delays,
                        -np.inf)

    def potential(self, times, l, t):
        """``u_j(t)`` of layer ``l+1`` (``l`` = 0 for the first hidden layer) on the times ``t``
        (G,): ``(B, n_post, G)``, from the recorded ``times``."""
        if isinstance(l, bool) or not isinstance(l, (int, np.integer)) or not 0 <= l < len(self.W):
            raise ValueError(f"l must be a layer of weights, 0..{len(self.W) - 1}, got {l!r}")
        t = np.asarray(as_real_array(t, "t"), dtype=float).ravel()
        pre = np.where(np.isfinite(times[l]), times[l], np.inf)
        s = t[None, None, :, None] - pre[:, :, None, None] - self.delays  # (B, n_pre, G, K)
        return np.einsum("jik,bigk->bjg", self.W[l], alpha_kernel(s, self.tau))

    def backward(self, times, d_t_out, min_slope=None):
        """``dE/dW`` by backpropagation through the spike times (module docstring).

        ``d_t_out`` (B, n_out): ``dE/dt`` of the outputs (entries of silent outputs are
        ignored); ``min_slope``: if given, ``u'(t_j)`` is replaced by ``max(u', min_slope)``
        (a guard against the singular tangent crossing; not the exact gradient). Returns
        :class:`Grads`.
        """
        L = len(self.W)
        if not isinstance(times, (list, tuple)) or len(times) != L + 1 or any(
                np.shape(t) != (np.shape(times[0])[0], n) for t, n in zip(times, self.sizes)):
            raise ValueError(f"times must be the list net.forward(t_in) returned ({L + 1} arrays "
                             f"of shapes (B, n_l), n_l = {self.sizes})")
        times = [self.check_input(t, f"times[{l}]") if l == 0 else
                 np.array(as_real_array(t, f"times[{l}]"), dtype=float) for l, t in enumerate(times)]
        if any(np.any(np.isnan(t) | (t == -np.inf)) for t in times):
            raise ValueError("times contain NaN or -inf (net.forward returns +inf for no spike)")
        delta = np.array(as_real_array(d_t_out, "d_t_out"), dtype=float)
        if delta.shape != np.shape(times[-1]) or not np.all(np.isfinite(delta)):
            raise ValueError(f"d_t_out must be finite with shape {np.shape(times[-1])}, got "
                             f"{delta.shape}")
        if min_slope is not None:
            min_slope = check_real("min_slope", min_slope, 0.0, low_open=True)
        gW, gt = [None] * L, [None] * L + [np.where(np.isfinite(times[-1]), delta, 0.0)]
        for l in range(L - 1, -1, -1):
            s = self.lags(times, l)
            eps, deps = alpha_kernel(s, self.tau), alpha_kernel_derivative(s, self.tau)
            slope = np.einsum("jik,bjik->bj", self.W[l], deps)          # u_j'(t_j)
            if min_slope is not None:
                slope = np.maximum(slope, min_slope)
            fired = np.isfinite(times[l + 1]) & (slope != 0.0)
            g = np.where(fired, gt[l + 1] / np.where(fired, slope, 1.0), 0.0)  # dE/dt_j / u'_j
            gW[l] = -np.einsum("bj,bjik->jik", g, eps)                  # dt_j/dw = -eps/u'
            gt[l] = np.einsum("bj,jik,bjik->bi", g, self.W[l], deps)    # dt_j/dt_i = sum w eps'/u'
        return Grads(W=gW, t=gt)

    def step(self, grads, lr):
        """One gradient-descent step ``W -= lr dE/dW``, then :meth:`project`."""
        lr = check_real("lr", lr, 0.0, low_open=True)
        for w, g in zip(self.W, grads.W):
            w -= lr * g
        self.project()


def spike_time_error(t_out, t_target, _printed=False):
    r"""The squared spike-time error (Bohte Eq. 4) and its gradient ``dE/dt``.

    .. math::

        E = \tfrac12 \sum_{b, j} (t_j - t_j^d)^2, \qquad
        \frac{\partial E}{\partial t_j} = t_j - t_j^d

    The lessons paper's Eq. 36 drops the 1/2 (``L = sum (y - f)^2``), and its Eq. 45 prints
    ``dL/df = 2(y - f)``, the wrong sign: the derivative of ``(y - f)^2`` by ``f`` is
    ``2(f - y)`` (docs/errata.md). ``_printed=True`` returns that printed form (with
    ``E = sum (y - f)^2``) for the errata test only.

    An output without a spike (``inf``) has no spike time: ``E`` is inf and its ``dE/dt`` 0.
    """
    t = np.asarray(t_out, dtype=float)
    y = np.asarray(t_target, dtype=float)
    if t.shape != y.shape:
        raise ValueError(f"t_target must have the shape of t_out {t.shape}, got {y.shape}")
    if not np.all(np.isfinite(y)):
        raise ValueError("t_target contains NaN or inf")
    fired = np.isfinite(t)
    diff = np.where(fired, t, 0.0) - y
    if _printed:
        return (float(np.sum(diff ** 2)) if fired.all() else np.inf,
                np.where(fired, 2.0 * (y - np.where(fired, t, 0.0)), 0.0))
    return (0.5 * float(np.sum(diff ** 2)) if fired.all() else np.inf,
            np.where(fired, diff, 0.0))

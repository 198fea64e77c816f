r"""Mostafa's exact spike times: non-leaky integrate-and-fire neurons that fire once.

**Model** (tutorial §V-C, Eq. 18, J-Eq. 15, after Mostafa 2018). Time is measured in units
of the synaptic time constant (``tau_syn = 1``), the threshold is ``theta = 1``, the membrane
starts at rest, ``U_i(0) = 0``, and every neuron fires at most once: neuron ``j`` of the layer
below spikes at ``t_j`` (``inf``: never). The paper prints the kernel with ``t_i^r``, the
neuron's own spikes; the text beneath it and the model need the presynaptic ``t_j``
(docs/errata.md):

.. math::

    \frac{dU_i}{dt} = I_i, \qquad
    I_i(t) = \sum_j W_{ij}\, \Theta(t - t_j)\, e^{-(t - t_j)} .

Integrating from ``U_i = 0`` (each input adds ``W_ij (1 - e^{-(t - t_j)})`` once it arrived):

.. math::

    U_i(t) = \sum_j W_{ij}\, \Theta(t - t_j) \left(1 - e^{-(t - t_j)}\right),
    \qquad t_i = \inf\{t : U_i(t) = 1\}\ (\inf \emptyset = \infty).           \tag{1}

**Closed form in z = exp(t).** Sort the inputs that spike, ``t_(1) <= ... <= t_(m)``, write
``z_(r) = exp(t_(r))``, ``z_(m+1) = inf``, and for each prefix ``k`` (the ``k`` earliest inputs)

.. math::

    S_k = \sum_{r \le k} w_{(r)}, \qquad A_k = \sum_{r \le k} w_{(r)} z_{(r)}, \qquad
    z^*_k = \frac{A_k}{S_k - 1} .

Between the ``k``-th and the next input only the first ``k`` have arrived, so by (1)
``U(z) = S_k - A_k / z`` there, and ``U = 1`` at ``z = z*_k``. The spike is that of the
**causal set** ``C``, the first prefix that satisfies both conditions

.. math::

    C = \{(1), \dots, (k)\}, \quad k = \min\{k : S_k > 1 \text{ and } z^*_k \le z_{(k+1)}\},
    \qquad z_\mathrm{out} = \frac{\sum_{i \in C} w_i z_i}{\sum_{i \in C} w_i - 1};     \tag{2}

no such ``k``: no spike, ``t_out = inf``.

*Proof.* (a) Suppose ``U(t_(k)) < 1``. If ``S_k <= 1``, then on ``[t_(k), t_(k+1)]`` either
``A_k > 0`` and ``U = S_k - A_k/z < S_k <= 1``, or ``A_k <= 0`` and ``U`` does not increase
(``dU/dz = A_k / z^2``), so ``U <= U(t_(k)) < 1``: no crossing. If ``S_k > 1``, then
``U(z_(k)) < 1`` reads ``A_k / z_(k) > S_k - 1 > 0``: ``A_k > 0``, ``U`` increases, and it
reaches 1 exactly once, at ``z*_k > z_(k)``. So the crossing lies in the interval iff
``z*_k <= z_(k+1)``; otherwise ``U < 1`` up to and including ``t_(k+1)``.
(b) ``U = 0 < 1`` up to ``t_(1)``. By (a) and induction, every prefix before the first one that
satisfies both conditions leaves ``U < 1`` up to the next input, and that first one crosses at
``z*_k``: it is the first crossing. If none does, ``U < 1`` forever. (The crossing is
continuous: ``U`` is continuous, an input adds nothing at the instant it arrives.)  QED

Consequences. A prefix with ``S_k > 1`` whose crossing comes too late does **not** end the
search: a later input can still make the neuron fire, earlier or later (``w = (1.2, 0.5)`` at
``t = (0, 0.1)``: the first prefix would cross at 1.79, after the second input, and the pair
crosses at 0.92). So the three tempting shortcuts are wrong, and the tests show each one:
the first prefix with ``S_k > 1`` regardless of the timing; stopping (no spike) when that
prefix fails the timing condition; and the timing condition alone, which accepts ``S_k < 1``
with ``z*_k < 0``. Ties need no care: an empty interval ``z_(k) = z_(k+1)`` fails the timing
condition since ``z*_k > z_(k)``. If the sum over every spiking input exceeds 1 the neuron
fires (the last prefix qualifies, ``z_(m+1) = inf``); with a smaller sum it may still fire
early and then the potential falls back (an inhibitory input after the spike).

**Exact derivatives** (Mostafa 2018). Differentiating ``z_out (S_C - 1) = A_C`` for
``i in C``:

.. math::

    \frac{\partial z_\mathrm{out}}{\partial w_i} = \frac{z_i - z_\mathrm{out}}{S_C - 1},
    \qquad
    \frac{\partial z_\mathrm{out}}{\partial z_i} = \frac{w_i}{S_C - 1},             \tag{3}

and 0 for every input outside ``C`` (later, or silent). In spike times (``dt = dz / z``):
``dt_out/dw_i = (exp(t_i - t_out) - 1)/(S_C - 1) < 0`` and
``dt_out/dt_i = w_i exp(t_i - t_out)/(S_C - 1)``; these sum to 1 over ``C``, since shifting
every input shifts the spike. The chain rule through layers is :meth:`Network.backward`.

**Where the gradient jumps** (docs/design.md §6.3). ``t_out`` is continuous where the causal
set changes by one input (at ``z*_k = z_(k+1)`` both prefixes give the same time), but its
derivatives are those of ``C`` on one side and ``C`` plus the input on the other: one-sided
derivatives differ (tested). Where ``S_C -> 1+`` the spike time goes to infinity and the
derivatives diverge; past it the neuron is silent and has no gradient.

**Numerics.** (2) and (3) are homogeneous in ``z`` (degree 1 and 0), so each sample's ``z`` is
taken relative to its first input, ``z_i = exp(t_i - t_ref)``: ``exp`` stays finite for any
input times (the model commutes with a common time shift). A crossing so late that ``z*``
overflows counts as none.

Read next: refsnn/timing/mostafa_reference.py, the same spike times vectorised in NumPy in any
precision, the finite-difference oracle.
"""
from __future__ import annotations

import numba
import numpy as np

from ..checks import as_real_array, as_rng, check_int, check_real
from ..trace import Grads


@numba.njit(cache=True)
def dz_dw(z_j, z_out, S_C):
    """Eq. (3): ``dz_out/dw_j = (z_j - z_out) / (S_C - 1)`` for an input ``j`` of the causal set."""
    return (z_j - z_out) / (S_C - 1.0)


@numba.njit(cache=True)
def dz_dz(w_j, S_C):
    """Eq. (3): ``dz_out/dz_j = w_j / (S_C - 1)`` for an input ``j`` of the causal set."""
    return w_j / (S_C - 1.0)


@numba.njit(cache=True)
def causal_set(w, z, order, n_arrived):
    r"""Eq. (2) for one neuron: scan the prefixes of its inputs in time order.

    ``w`` ``(n_pre,)`` its weights, ``z`` ``(n_pre,)`` the inputs' ``z`` (any common
    reference), ``order`` the inputs by time, of which the first ``n_arrived`` spike. Returns
    ``(z_out, k, S_C)``: the spike, the size of the causal set ``order[:k]`` and its weight sum;
    ``(inf, 0, 0)`` if no prefix fires.
    """
    S = 0.0                                    # S_k = sum of the first k weights
    A = 0.0                                    # A_k = sum of the first k weights times z
    for r in range(n_arrived):
        j = order[r]
        S += w[j]
        A += w[j] * z[j]
        z_next = z[order[r + 1]] if r + 1 < n_arrived else np.inf
        if S > 1.0:
            z_star = A / (S - 1.0)             # U(z) = S_k - A_k / z = 1
            if z_star <= z_next and z_star < np.inf:
                return z_star, r + 1, S        # the first prefix that fires: the spike
    return np.inf, 0, 0.0


@numba.njit(cache=True)
def forward_kernel(W, t_in, order, z, t_out, z_out, k, S_C):
    """One layer, every sample: fills ``z`` ``(B, n_pre)`` and ``t_out, z_out, k, S_C``
    ``(B, n_post)`` from ``W`` ``(n_post, n_pre)``, ``t_in`` ``(B, n_pre)`` and its time order
    ``order`` (module docstring: ``z`` relative to each sample's first input)."""
    B, n_pre = t_in.shape
    for b in range(B):
        n_arrived = 0
        for j in range(n_pre):
            if t_in[b, j] < np.inf:
                n_arrived += 1
        t_ref = t_in[b, order[b, 0]] if n_arrived > 0 else 0.0
        for j in range(n_pre):
            z[b, j] = np.exp(t_in[b, j] - t_ref) if t_in[b, j] < np.inf else np.inf
        for i in range(W.shape[0]):
            z_out[b, i], k[b, i], S_C[b, i] = causal_set(W[i], z[b], order[b], n_arrived)
            t_out[b, i] = t_ref + np.log(z_out[b, i]) if k[b, i] > 0 else np.inf


@numba.njit(cache=True)
def backward_kernel(W, order, z, z_out, k, S_C, d_t_out, d_W, d_t_in):
    """One layer, every sample: adds ``dL/dW`` to ``d_W`` and fills ``d_t_in`` from ``d_t_out``.

    ``dL/dz_out = dL/dt_out / z_out`` (``t = log z``); for each input ``j`` of the causal set,
    ``dL/dW_ij += dL/dz_out dz_out/dw_j`` and ``dL/dt_j += dL/dz_out dz_out/dz_j z_j``
    (Eq. 3; ``dz_j/dt_j = z_j``). Silent neurons pass nothing. Serial, so the sums over the
    batch are in one fixed order."""
    for b in range(order.shape[0]):
        for j in range(order.shape[1]):
            d_t_in[b, j] = 0.0
        for i in range(W.shape[0]):
            if k[b, i] == 0:
                continue
            g_z = d_t_out[b, i] / z_out[b, i]
            for r in range(k[b, i]):
                j = order[b, r]
                d_W[i, j] += g_z * dz_dw(z[b, j], z_out[b, i], S_C[b, i])
                d_t_in[b, j] += g_z * dz_dz(W[i, j], S_C[b, i]) * z[b, j]


def layer_forward(W, t_in):
    """Spike times of one layer from its input times (Eq. 2): ``(t_out, record)``.

    Parameters
    ----------
    W : float64 ndarray (n_post, n_pre)
    t_in : float64 ndarray (batch, n_pre)
        Input spike times, ``inf`` for none (checked by the caller).

    Returns
    -------
    t_out : ndarray (batch, n_post)
        ``inf`` for a silent neuron.
    record : dict
        What :func:`layer_backward` needs: ``order``, ``z`` ``(batch, n_pre)``, ``z_out``,
        ``k`` (the size of each causal set) and ``S_C`` ``(batch, n_post)``.
    """
    B, n_pre = t_in.shape
    n_post = W.shape[0]
    W = np.ascontiguousarray(W, dtype=np.float64)
    rec = dict(order=np.empty((B, n_pre), np.int64), z=np.empty((B, n_pre)),
               z_out=np.empty((B, n_post)), k=np.empty((B, n_post), np.int64),
               S_C=np.empty((B, n_post)))
    # each sample's inputs in time order, silent ones last; stable, so ties keep index order
    # (sorted by NumPy: Numba's own argsort takes seconds to compile)
    rec["order"][:] = np.argsort(t_in, axis=1, kind="stable")
    t_out = np.empty((B, n_post))
    forward_kernel(W, t_in, rec["order"], rec["z"], t_out, rec["z_out"], rec["k"], rec["S_C"])
    return t_out, rec


def layer_backward(W, record, d_t_out):
    """Chain rule through one layer: ``(dL/dW, dL/dt_in)`` from ``dL/dt_out (batch, n_post)``
    (:func:`backward_kernel`); ``dL/dt_in`` is 0 at inputs in no causal set."""
    W = np.ascontiguousarray(W, dtype=np.float64)
    d_W = np.zeros_like(W)
    d_t_in = np.empty(record["z"].shape)
    backward_kernel(W, record["order"], record["z"], record["z_out"], record["k"],
                    record["S_C"], d_t_out, d_W, d_t_in)
    return d_W, d_t_in


def membrane(W, t_in, t):
    r"""The membrane potential (1) on a time grid, in closed form, for every neuron of a layer.

    .. math::

        U_i(t) = \sum_j W_{ij}\, \Theta(t - t_j) \left(1 - e^{-(t - t_j)}\right)

    The neuron's own spike is not applied (no reset): after ``t_i`` the values are the potential
    the inputs would give; the figure ``temporal_xor`` cuts each curve at its spike.

    Parameters
    ----------
    W : ndarray (n_post, n_pre)
    t_in : ndarray (batch, n_pre)
    t : ndarray (n_t,)

    Returns
    -------
    ndarray (batch, n_t, n_post)
    """
    W = np.asarray(W, dtype=np.float64)
    lag = np.asarray(t, dtype=np.float64)[None, :, None] - np.asarray(t_in)[:, None, :]
    with np.errstate(invalid="ignore", over="ignore"):
        kernel = np.where(lag > 0, -np.expm1(-np.where(lag > 0, lag, 0)), 0.0)
    return kernel @ W.T


def check_times(t_in, n_in, name="t_in"):
    """``t_in`` as a float64 copy ``(batch, n_in)``: real, no NaN, no ``-inf`` (``inf`` = none)."""
    t = np.array(as_real_array(t_in, name), dtype=np.float64, order="C", copy=True)
    if t.ndim != 2 or t.shape[1] != n_in or t.shape[0] < 1:
        raise ValueError(f"{name} must have shape (batch, {n_in}), got shape {t.shape}")
    if np.isnan(t).any() or np.isneginf(t).any():
        raise ValueError(f"{name} must hold spike times or inf (no spike), not NaN or -inf")
    return t


class Network:
    """A feed-forward network of Mostafa's neurons: ``W[l]`` ``(n_{l+1}, n_l)``, ``W[post, pre]``.

    Parameters
    ----------
    W : list of 2-D arrays
        The weights of each layer, copied (the network never shares memory with them).
    """

    def __init__(self, W):
        if not isinstance(W, (list, tuple)) or not W:
            raise TypeError("W must be a non-empty list of 2-D weight arrays")
        self.W = []
        for l, w in enumerate(W):
            w = np.array(as_real_array(w, f"W[{l}]"), dtype=np.float64, order="C", copy=True)
            if w.ndim != 2 or 0 in w.shape:
                raise ValueError(f"W[{l}] must be a non-empty 2-D array, got shape {w.shape}")
            if l and w.shape[1] != self.W[-1].shape[0]:
                raise ValueError(f"W[{l}] has {w.shape[1]} inputs but W[{l - 1}] has "
                                 f"{self.W[-1].shape[0]} outputs")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"W[{l}] contains NaN or inf")
            self.W.append(w)

    @classmethod
    def init(cls, sizes, rng=0, mean=2.0, std=1.0):
        r"""Random weights ``W_ij ~ N(mean / n_pre, std^2 / n_pre)``.

        Each neuron's weight sum is then about ``N(mean, std^2)``: with ``mean = 2`` most
        neurons fire, since a sum above 1 over the inputs that spiked guarantees a spike.

        Parameters
        ----------
        sizes : sequence of int
            ``[n_in, n_1, ..., n_out]``, at least two entries, each >= 1.
        rng : numpy Generator or int
        mean, std : float
            Mean and spread of a neuron's weight sum (``std >= 0``).
        """
        if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__") or len(sizes) < 2:
            raise ValueError(f"sizes must list at least two layer sizes, got {sizes!r}")
        sizes = [check_int(f"sizes[{k}]", s, 1) for k, s in enumerate(sizes)]
        mean, std = check_real("mean", mean), check_real("std", std, 0.0)
        rng = as_rng(rng)
        return cls([rng.normal(mean / n, std / np.sqrt(n), size=(m, n))
                    for n, m in zip(sizes[:-1], sizes[1:])])

    @property
    def sizes(self):
        """``[n_in, n_1, ..., n_out]``."""
        return [self.W[0].shape[1]] + [w.shape[0] for w in self.W]

    def parameters(self):
        """``[("W[0]", W[0]), ...]``, the arrays themselves (for :mod:`refsnn.optim`)."""
        return [(f"W[{l}]", w) for l, w in enumerate(self.W)]

    def copy(self):
        return Network(self.W)

    def __repr__(self):
        return f"mostafa.Network(sizes={self.sizes})"

    def _run(self, t_in):
        """Every layer's times and backward records from checked input times."""
        times, records = [t_in.copy()], []
        for W in self.W:
            t_out, rec = layer_forward(W, times[-1])
            times.append(t_out)
            records.append(rec)
        return times, records

    def forward(self, t_in):
        """Spike times of every layer (Eq. 2, layer by layer).

        Parameters
        ----------
        t_in : array (batch, n_in)
            Input spike times in units of ``tau_syn``; ``inf``: the input does not spike.

        Returns
        -------
        list of ndarrays
            ``[t_in, t_1, ..., t_out]``, each ``(batch, n_l)``, float64; ``inf`` for a silent
            neuron. The first entry is a copy of the input.
        """
        self._check_weights()
        return self._run(check_times(t_in, self.sizes[0]))[0]

    def backward(self, times, d_t_out):
        """``dL/dW`` of every layer (Eq. 3 and the chain rule) from ``dL/dt`` of the last layer.

        The causal sets are recomputed from ``times[0]`` with the current weights, and the
        recomputed times must equal ``times`` (else the weights changed since the forward
        pass, or ``times`` came from another network: ValueError).

        Parameters
        ----------
        times : list of arrays
            What :meth:`forward` returned.
        d_t_out : array (batch, n_out)
            ``dL/dt`` of the output layer, finite; entries of silent outputs are ignored.

        Returns
        -------
        refsnn.trace.Grads
            ``W`` mirrors ``self.W``; ``V`` is empty (no recurrence).
        """
        self._check_weights()
        if not isinstance(times, (list, tuple)) or len(times) != len(self.W) + 1:
            raise TypeError(f"times must be the list of {len(self.W) + 1} arrays that forward "
                            "returned")
        t_in = check_times(times[0], self.sizes[0], "times[0]")
        batch = t_in.shape[0]
        d = np.array(as_real_array(d_t_out, "d_t_out"), dtype=np.float64)
        if d.shape != (batch, self.sizes[-1]):
            raise ValueError(f"d_t_out must have shape ({batch}, {self.sizes[-1]}), got "
                             f"{d.shape}")
        if not np.all(np.isfinite(d)):
            raise ValueError("d_t_out contains NaN or inf")
        recomputed, records = self._run(t_in)
        for l, (given, mine) in enumerate(zip(times[1:], recomputed[1:])):
            given = np.asarray(given)
            if given.shape != mine.shape or not np.array_equal(given, mine):
                raise ValueError(f"times[{l + 1}] is not what this network's forward gives for "
                                 "times[0]: were the weights changed after the forward pass?")
        grads = [None] * len(self.W)
        for l in reversed(range(len(self.W))):
            grads[l], d = layer_backward(self.W[l], records[l], d)
        return Grads(W=grads, V=[])

    def _check_weights(self):
        for l, w in enumerate(self.W):
            if not isinstance(w, np.ndarray) or w.dtype != np.float64 or w.ndim != 2:
                raise TypeError(f"W[{l}] must be a float64 2-D array")
            if not np.all(np.isfinite(w)):
                raise ValueError(f"W[{l}] contains NaN or inf")

r"""Mostafa's spike times again, vectorised in NumPy and in any precision: the oracle.

The same Eq. (2) as :mod:`refsnn.timing.mostafa`, written another way and sharing no code with
its Numba kernels (as :mod:`refsnn.reference` is to the LIF kernels): every prefix of every
neuron at once, by cumulative sums over the inputs in time order,

.. math::

    S_k = \sum_{r \le k} w_{(r)}, \quad A_k = \sum_{r \le k} w_{(r)} z_{(r)}, \quad
    z^*_k = \frac{A_k}{S_k - 1}, \quad
    k_C = \min\{k : S_k > 1,\ z^*_k \le z_{(k+1)}\},

then the first qualifying prefix by ``argmax``. Run in ``numpy.longdouble`` (unit roundoff
5e-20 on x86-64) it is the finite-difference oracle of docs/design.md §6.3: the difference
quotients of its spike times resolve the 1e-6 contract, and the causal-set sizes it returns tell
the stencil when a step has changed a causal set (:func:`refsnn.gradcheck.numerical_gradient`'s
signature). It also cross-checks the kernels (the two forwards agree to rounding).

Read next: refsnn/timing/first_spike_loss.py, the first-to-spike loss.
"""
from __future__ import annotations

import numpy as np

from .mostafa import Network, check_times


def sort_inputs(t_in, dtype=np.float64):
    """Each sample's inputs in time order, as ``z`` relative to its first spike.

    Parameters
    ----------
    t_in : ndarray (batch, n_pre)
        Spike times (``inf``: no spike).
    dtype : numpy float type

    Returns
    -------
    order : ndarray (batch, n_pre), int
        ``t_in[b, order[b]]`` ascending, silent inputs last (stable: ties keep index order).
    z : ndarray (batch, n_pre)
        ``exp(t_(r) - t_ref)`` in that order, ``inf`` for silent inputs.
    t_ref : ndarray (batch,)
        The first spike of each sample (0 if it has none).
    """
    t_in = np.asarray(t_in, dtype=dtype)
    order = np.argsort(t_in, axis=1, kind="stable")
    t_sorted = np.take_along_axis(t_in, order, axis=1)
    t_ref = np.where(np.isfinite(t_sorted[:, 0]), t_sorted[:, 0], dtype(0))
    return order, np.exp(t_sorted - t_ref[:, None]), t_ref


def causal_sets(W, order, z):
    r"""Eq. (2) for every neuron of a layer: ``(z_out, k)`` (module docstring).

    Parameters
    ----------
    W : ndarray (n_post, n_pre)
    order, z : ndarrays (batch, n_pre)
        From :func:`sort_inputs`.

    Returns
    -------
    z_out : ndarray (batch, n_post)
        ``z*`` of the causal set, relative to ``t_ref``; ``inf`` for a silent neuron.
    k : ndarray (batch, n_post), int
        Size of the causal set (the inputs ``order[b, :k]``); 0 for a silent neuron.
    """
    w = np.swapaxes(W.astype(z.dtype)[:, order], 0, 1)        # (batch, n_post, n_pre), sorted
    arrived = np.isfinite(z)                                    # silent inputs never arrive
    S = np.cumsum(w, axis=2)                                    # S_k
    A = np.cumsum(w * np.where(arrived, z, 0)[:, None, :], axis=2)   # A_k
    z_next = np.concatenate([z[:, 1:], np.full((z.shape[0], 1), np.inf, z.dtype)], axis=1)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        z_star = A / (S - 1)                                    # U(z) = S_k - A_k / z = 1
        ok = (S > 1) & (z_star <= z_next[:, None, :]) & np.isfinite(z_star) \
            & arrived[:, None, :]
    first = np.argmax(ok, axis=2)                               # the first prefix that fires
    fires = np.take_along_axis(ok, first[..., None], axis=2)[..., 0]
    z_first = np.take_along_axis(z_star, first[..., None], axis=2)[..., 0]
    return np.where(fires, z_first, np.inf).astype(z.dtype), np.where(fires, first + 1, 0)


def forward(net, t_in, dtype=np.longdouble):
    """Every layer's spike times and causal-set sizes, in precision ``dtype``.

    Parameters
    ----------
    net : refsnn.timing.mostafa.Network
    t_in : array (batch, n_in)
        Input spike times (``inf``: none).
    dtype : numpy float type
        ``numpy.longdouble`` (default, the oracle) or ``numpy.float64``.

    Returns
    -------
    times : list of ndarrays
        ``[t_in, t_1, ..., t_out]`` of ``dtype``, ``inf`` for silent neurons.
    sizes : list of int ndarrays
        ``k`` of every neuron of every layer ``(batch, n_l)`` (0: silent), the signature of the
        smooth piece the forward pass lies on.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a mostafa.Network, got {type(net).__name__}")
    times, sizes = [check_times(t_in, net.sizes[0]).astype(dtype)], []
    for W in net.W:
        order, z, t_ref = sort_inputs(times[-1], dtype)
        z_out, k = causal_sets(W, order, z)
        with np.errstate(divide="ignore"):
            times.append(t_ref[:, None] + np.log(z_out))
        sizes.append(k)
    return times, sizes

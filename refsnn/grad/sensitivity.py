r"""The kernels of forward-mode RTRL (:mod:`refsnn.grad.forward`): one step of the sensitivities.

For one parameter entry and one neuron ``k`` of layer ``l`` the sensitivities ``dI, dU`` and,
with the adaptive threshold, ``db`` (the derivatives of ``I[n], U[n], b[n]`` with respect to
that entry) advance from step ``n`` to ``n + 1`` as Eqs. 7, 8 and 52 differentiated, with the
partials of :func:`refsnn.lif.reset_partials` and :func:`refsnn.lif.threshold_partials`:

.. math::

    dS[n] &= s'[n]\, (dU[n] - db[n]) \\
    dI[n+1] &= \alpha\, dI[n] + W\, dS^{(l-1)}[n] + V\, dS[n] + \text{source} \\
    dU[n+1] &= \frac{\partial U[n+1]}{\partial U[n]} dU[n]
        + \frac{\partial U[n+1]}{\partial J[n]} dJ[n]
        + \frac{\partial U[n+1]}{\partial S[n]} dS[n]
        + \frac{\partial U[n+1]}{\partial b[n]} db[n] \\
    db[n+1] &= \alpha_b\, db[n] + q\, dS[n]

with ``dJ[n] = dI[n]`` for the synaptic neuron and ``dI[n+1]`` for the leaky one (whose
membrane reads the current of its own step, so the current is advanced first), ``db = 0``
without adaptation.

Read next: refsnn/grad/forward.py, the driver that runs these steps for every parameter block.
"""
from __future__ import annotations

import numba
import numpy as np

from ..lif import (add_weighted_rows, fire, leak, membrane_update, reset_partials, spike_fn,
                   spike_grad, threshold, threshold_partials, threshold_update)

#: source-term codes of :func:`sensitivity_step`
SRC_NONE, SRC_W, SRC_V = range(3)


@numba.njit(cache=True)
def slopes(U, A, n, nrn, out):
    """``out[b, k] = F'(U[b, n, k] - theta[n])`` (0 for a non-spiking layer); ``out`` is
    ``(B, N)``; ``A`` the adaptive threshold's ``b`` (read only if ``nrn.adaptive``)."""
    B, _, N = U.shape
    for b in range(B):
        for k in range(N):
            th = threshold(nrn, A[b, n, k] if nrn.adaptive else 0.0)
            out[b, k] = spike_grad(nrn, U[b, n, k] - th)


@numba.njit(cache=True)
def sensitivity_step(dI, dU, dA, dU_below, dA_below, sp, sp_below, has_below, adaptive_below,
                     W, V, has_V, I, U, S, A, n, nrn, source, src, n_src):
    r"""Advance the sensitivities of one layer to one parameter block from step ``n`` to ``n+1``.

    ``dI, dU`` (and ``dA``, the adaptive threshold's ``db``, read only if ``nrn.adaptive``):
    ``(B, P, N)``, sensitivities of this layer's ``I[n], U[n], b[n]`` to the ``P`` entries of
    the block, overwritten with those of step ``n+1`` (module docstring). ``dU_below,
    dA_below``: ``(B, P, N_below)``, the layer below at step ``n`` (``has_below``; false for
    the block's own layer, whose input does not depend on the block; ``dA_below`` read only if
    ``adaptive_below``). ``sp, sp_below``: ``(B, N)``, ``(B, N_below)`` surrogate slopes at
    step ``n``. ``I, U, S, A``: this layer's forward values, read at ``[b, n]`` (and ``I`` at
    ``[b, n + 1]`` for the leaky neuron); ``nrn``: the layer's :data:`refsnn.lif.Neuron`.
    ``source``: ``SRC_W``/``SRC_V`` if the block is this layer's ``W``/``V``, whose entry
    ``(i, j)`` (flat ``p = i * N_src + j``) adds the presynaptic ``src[b, n_src, j]`` to
    ``dI_i[n+1]``.
    """
    B, P, N = dU.shape
    Nb = W.shape[1]
    T = I.shape[1]
    N_src = src.shape[2]
    ds = np.empty(N)
    dsb = np.empty(Nb)
    di = np.empty(N)  # dI[n+1]
    dU_dU, dU_dJ, dU_dS = np.empty(N), np.empty(N), np.empty(N)  # Eq. 8's partials at step n
    dU_db = np.zeros(N)  # the adaptive threshold's partial of Eq. 8
    act = np.empty(N, dtype=np.int64)  # neurons with a non-zero slope (others have dS = 0)
    actb = np.empty(Nb, dtype=np.int64)
    for b in range(B):
        na = 0
        for k in range(N):
            th = threshold(nrn, A[b, n, k] if nrn.adaptive else 0.0)
            J = I[b, n + 1, k] if nrn.leaky and n + 1 < T else I[b, n, k]
            dU_dU[k], dU_dJ[k], dU_dS[k] = reset_partials(nrn, U[b, n, k], J, S[b, n, k], th)
            if nrn.adaptive:
                dU_db[k] = threshold_partials(nrn, S[b, n, k])[0]
            if sp[b, k] != 0.0:
                act[na] = k
                na += 1
        nab = 0
        if has_below:
            for k in range(Nb):
                if sp_below[b, k] != 0.0:
                    actb[nab] = k
                    nab += 1
        for p in range(P):
            for k in range(N):  # dS[n] = s' (dU[n] - db[n])
                ds[k] = sp[b, k] * (dU[b, p, k] - dA[b, p, k] if nrn.adaptive else dU[b, p, k])
            for a in range(nab):
                k = actb[a]
                dsb[k] = sp_below[b, k] * (dU_below[b, p, k] - dA_below[b, p, k]
                                           if adaptive_below else dU_below[b, p, k])
            # Eq. 7 differentiated: leak, layer below through W, own spikes through V, source
            for k in range(N):
                d = nrn.alpha * dI[b, p, k]
                for a in range(nab):
                    k2 = actb[a]
                    d += W[k, k2] * dsb[k2]
                if has_V:
                    for a in range(na):
                        k2 = act[a]
                        d += V[k, k2] * ds[k2]
                di[k] = d
            if source != SRC_NONE:  # delta_lm delta_ki S_j[n]: entry (i, j) acts on neuron i
                di[p // N_src] += src[b, n_src, p % N_src]
            # Eq. 8 differentiated (reads dI[n], or dI[n+1] for the leaky neuron), Eq. 52
            for k in range(N):
                dJ = di[k] if nrn.leaky else dI[b, p, k]
                du = dU_dU[k] * dU[b, p, k] + dU_dJ[k] * dJ + dU_dS[k] * ds[k]
                if nrn.adaptive:
                    du += dU_db[k] * dA[b, p, k]
                    dA[b, p, k] = nrn.alpha_b * dA[b, p, k] + nrn.jump * ds[k]
                dU[b, p, k] = du
                dI[b, p, k] = di[k]


@numba.njit(cache=True)
def accumulate(dU_o, d, n, g):
    """``g[p] += sum_{b,k} d[b, n, k] dU_o[b, p, k]``: the online gradient of one block."""
    B, P, K = dU_o.shape
    for b in range(B):
        for k in range(K):
            w = d[b, n, k]
            if w != 0.0:
                for p in range(P):
                    g[p] += w * dU_o[b, p, k]


@numba.njit(cache=True)
def running_spikes(U, A, nrn, S):
    """``S[b, 0] = Theta or F(U[b, 0] - theta[n])`` for the running state ``(B, 1, N)``."""
    for b in range(U.shape[0]):
        for i in range(U.shape[2]):
            th = threshold(nrn, A[b, 0, i] if nrn.adaptive else 0.0)
            S[b, 0, i] = spike_fn(nrn, U[b, 0, i] - th)


@numba.njit(cache=True)
def current_step(S_in, n_in, W, V, has_V, nrn, I, S):
    """Eq. 7 for the running state: ``I[:, 1] = alpha I[:, 0] + W S_in[:, n_in] + V S[:, 0]``,
    ``I`` ``(B, 2, N)`` holding ``I[n], I[n+1]`` (the additions of
    :func:`refsnn.lif.layer_forward`, in its order)."""
    for b in range(I.shape[0]):
        for i in range(I.shape[2]):
            I[b, 1, i] = nrn.alpha * I[b, 0, i]
        add_weighted_rows(I[b, 1], W.T, S_in[b, n_in])     # + W S_in[n]
        if has_V:
            add_weighted_rows(I[b, 1], V.T, S[b, 0])        # + V S[n]


@numba.njit(cache=True)
def membrane_step(nrn, I, U, S, A):
    """Eqs. 8 and 52 for the running state, after :func:`current_step`: ``U[n+1]`` from
    ``U[n]``, ``I[n]`` (or ``I[n+1]``, leaky), ``S[n]``, ``theta[n]``; ``b[n+1]``; then
    ``I[:, 0] = I[:, 1]``."""
    for b in range(U.shape[0]):
        for i in range(U.shape[2]):
            a = A[b, 0, i] if nrn.adaptive else 0.0
            J = I[b, 1, i] if nrn.leaky else I[b, 0, i]
            U[b, 0, i] = membrane_update(nrn, U[b, 0, i], J, S[b, 0, i], threshold(nrn, a))
            if nrn.adaptive:
                A[b, 0, i] = threshold_update(nrn, a, S[b, 0, i])
            I[b, 0, i] = I[b, 1, i]


# ------------------------------------------------- the tutorial neuron's step (online e-prop)
@numba.njit(cache=True)
def spike_step(U, nrn, S):
    """``S[b, 0] = Theta or F(U[b, 0] - theta)`` for the running state ``(B, 1, N)`` of a layer
    with a fixed threshold (e-prop's online form)."""
    for b in range(U.shape[0]):
        fire(nrn, U[b, 0], S[b, 0])


@numba.njit(cache=True)
def forward_step(S_in, n_in, W, V, has_V, nrn, I, U, S):
    """One step of :func:`refsnn.lif.layer_forward` on the running state ``I, U, S`` ``(B, 1, N)``
    of the tutorial's neuron (in place, the same kernels in the same order; e-prop's online
    form); the input is ``S_in[:, n_in]``."""
    for b in range(U.shape[0]):
        leak(nrn, I[b, 0], U[b, 0], S[b, 0], I[b, 0], U[b, 0])  # Eq. 8, alpha I[n]
        add_weighted_rows(I[b, 0], W.T, S_in[b, n_in])           # + W S_in[n]
        if has_V:
            add_weighted_rows(I[b, 0], V.T, S[b, 0])             # + V S[n]

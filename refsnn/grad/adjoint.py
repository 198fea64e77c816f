r"""One step of BPTT's adjoint recursion for one layer, with every option of the neuron model.

The state of a spiking neuron is ``I, U`` and, with the adaptive threshold, ``b``
(:mod:`refsnn.lif`). With ``x[n] = U[n] - theta[n]``, ``theta[n] = theta_0 + b[n]``, the
surrogate slope ``s'[n] = F'(x[n])`` (so ``dS[n]/dU[n] = s'`` and ``dS[n]/db[n] = -s'``) and
the partials of Eq. 8 and Eq. 52 (:func:`refsnn.lif.reset_partials`,
:func:`refsnn.lif.threshold_partials`), the adjoints ``gX[n] = dL/dX[n]`` obey, backwards
from ``gI[T] = gU[T] = gb[T] = 0``:

.. math::

    gS[n] &= \underbrace{W^{(l+1)\top} gI^{(l+1)}[n+1] + V^\top gI[n+1] + gS_{ext}[n]}_{
             \text{the caller's } gS}
            + \frac{\partial U[n+1]}{\partial S[n]}\, gU[n+1] + q\, gb[n+1] \\
    gU[n] &= gU_{ext}[n] + s'[n]\, gS[n] + \frac{\partial U[n+1]}{\partial U[n]}\, gU[n+1] \\
    gb[n] &= -s'[n]\, gS[n] + \alpha_b\, gb[n+1] + \frac{\partial U[n+1]}{\partial b[n]}\,
             gU[n+1] \\
    gI[n] &= \alpha\, gI[n+1] + \frac{\partial U[n+1]}{\partial I[n]}\, gU[n+1]
             &\text{synaptic neuron} \\
    gI[n] &= \frac{\partial U[n]}{\partial I[n]}\, gU[n] \;\; (n \ge 1), \qquad gI[0] = 0
             &\text{leaky neuron}

The leaky neuron's membrane reads the current of its own step, ``U[n] = beta U[n-1] + g I[n]
- theta[n-1] S[n-1]`` with ``I[n] = W S_in[n-1] + V S[n-1]`` (no ``alpha``), so ``I[n]`` reaches
the loss through ``U[n]`` alone, and its adjoint needs the whole of ``gU[n]``, the direct loss
gradient included: :func:`current_adjoint`, called after it. The weight gradients keep one
form for both neurons, ``dL/dW = sum_n gI[n+1] S_in[n]^T`` (:mod:`refsnn.grad.bptt`).

Read next: refsnn/grad/bptt.py, which runs these steps for every layer in one sweep.
"""
from __future__ import annotations

import numba

from ..lif import reset_partials, spike_grad, threshold, threshold_partials


@numba.njit(cache=True)
def adjoint_step(gS, I, U, S, A, n, gU_next, gI_next, gA_next, nrn, gU_n, gI_n, gA_n):
    """One step ``n`` of the adjoint recursion (module docstring) for one sample of one layer.

    ``gS`` ``(N,)``: the error arriving at ``S[n]`` from the layer above, through ``V`` and
    from a loss on the spikes; the reset term ``dU[n+1]/dS[n] gU[n+1]`` and the threshold's
    ``q gb[n+1]`` are added here. ``I, U, S, A``: the sample's trace ``(T, N)`` of the layer
    (``A`` the adaptive threshold's ``b``, read only if ``nrn.adaptive``). ``gU_next, gI_next,
    gA_next``: ``gU[n+1], gI[n+1], gb[n+1]`` (zero rows at the last step). ``nrn``: the layer's
    :data:`refsnn.lif.Neuron`. Writes ``gU_n = gU[n]``, ``gA_n = gb[n]`` (adaptive) and, for
    the synaptic neuron, ``gI_n = gI[n]`` (the leaky neuron's is :func:`current_adjoint`'s).
    """
    T = U.shape[0]
    for i in range(gS.shape[0]):
        th = threshold(nrn, A[n, i] if nrn.adaptive else 0.0)            # theta[n]
        J = I[n + 1, i] if nrn.leaky and n + 1 < T else I[n, i]           # what U[n+1] reads
        dU_dU, dU_dJ, dU_dS = reset_partials(nrn, U[n, i], J, S[n, i], th)
        sp = spike_grad(nrn, U[n, i] - th)                                 # s'[n]
        g = gS[i] + dU_dS * gU_next[i]                                     # gS[n]
        if nrn.adaptive:
            dU_db, db_db, db_dS = threshold_partials(nrn, S[n, i])
            g += db_dS * gA_next[i]                                        # + q gb[n+1]
            gA_n[i] = -sp * g + db_db * gA_next[i] + dU_db * gU_next[i]    # gb[n]
        gU_n[i] = sp * g + dU_dU * gU_next[i]                              # gU[n]
        if not nrn.leaky:
            gI_n[i] = nrn.alpha * gI_next[i] + dU_dJ * gU_next[i]          # gI[n]


@numba.njit(cache=True)
def current_adjoint(I, U, S, A, n, nrn, gU_n, gI_n):
    """The leaky neuron's ``gI[n] = dU[n]/dI[n] gU[n]`` (module docstring), from the complete
    ``gU_n = gU[n]`` ``(N,)``; ``dU[n]/dI[n]`` is the partial of the update from step ``n - 1``
    (``g``, or ``g (1 - S[n-1])`` for the zero reset). ``gI[0] = 0``: ``U[0] = 0`` reads no
    current. ``I, U, S, A``: the sample's trace ``(T, N)``, as in :func:`adjoint_step`."""
    for i in range(gU_n.shape[0]):
        if n == 0:
            gI_n[i] = 0.0
            continue
        th = threshold(nrn, A[n - 1, i] if nrn.adaptive else 0.0)
        dU_dJ = reset_partials(nrn, U[n - 1, i], I[n, i], S[n - 1, i], th)[1]
        gI_n[i] = dU_dJ * gU_n[i]

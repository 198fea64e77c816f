r"""Exercise rtrl_step: one time step of exact forward-mode learning (RTRL) for one LIF layer.

Copy this file, fill in the code between the markers, then grade it::

    python -m refsnn.exercises check rtrl_step my_rtrl_step.py

Instead of errors propagated backwards (BPTT), forward-mode learning carries the
*sensitivities* of the state to every weight forwards in time, next to the network
(tutorial Eq. 12; ``refsnn/grad/forward.py``). The grader runs a full forward-mode loop on
small networks (one or two hidden layers, with and without ``V``, every reset mode,
``detach_reset`` on and off, soft and hard spikes), calls your function for every hidden
layer, every parameter block and every step, and compares the resulting gradient with
:func:`refsnn.bptt` (they must agree to 1e-10, docs/design.md §6.2). Plain NumPy only.

The forward pass (tutorial Eqs. 7-8) at step ``n``::

    S[n]   = Theta(U[n] - theta)            spike="hard"   (or F(U[n] - theta) for "soft")
    I[n+1] = alpha I[n] + W S_in[n] + V S[n]                              (Eq. 7)
    U[n+1] = beta U[n] + I[n] - theta S[n]          params.reset == "subtract" (Eq. 8)
           = (beta U[n] + I[n]) (1 - S[n])          params.reset == "zero"
           = beta U[n] + I[n]                       params.reset == "none"

For one parameter block ``theta`` (a matrix of shape ``(A, C)``: this layer's ``W`` or ``V``,
or a weight matrix of a layer below) write ``dX_k[n] = d X_k[n] / d theta_ij`` for every entry
``(i, j)``, and ``dS_k[n] = F'(U_k[n] - theta) dU_k[n]`` (the surrogate derivative
``F' = surrogate.derivative``, for hard *and* soft spikes). Differentiating Eqs. 7-8::

    dI_k[n+1] = alpha dI_k[n] + sum_k' W_kk' dS_in_k'[n] + sum_k' V_kk' dS_k'[n]
                + delta_ik source_j[n]                           (only if source is given)
    dU_k[n+1] = beta dU_k[n] + dI_k[n] - theta dS_k[n]                            "subtract"
              = (beta dU_k[n] + dI_k[n]) (1 - S_k[n]) - (beta U_k[n] + I_k[n]) dS_k[n]  "zero"
              = beta dU_k[n] + dI_k[n]                                            "none"

* the source term: entry ``(i, j)`` of this layer's own ``W`` acts directly on neuron ``i``
  only, with the presynaptic activity ``j`` of step ``n`` (``source = S_in[n]``); for ``V``
  it is ``source = S[n]``; for a block of a layer below there is none (``source is None``,
  the block acts through ``dS_in``). The grader passes the right ``source``;
* ``dU[n+1]`` takes ``dI[n]``, one step *older* than the ``dI[n+1]`` computed beside it
  (``U[n+1]`` depends on ``I[n]``);
* with ``params.detach_reset`` True the reset carries no gradient: drop the ``dS`` terms from
  ``dU[n+1]`` (keep the ``(1 - S[n])`` factor of "zero": it multiplies ``U`` and ``I``).

Array layout: a sensitivity is ``(B, A, C, N)``, ``dI[b, i, j, k] = dI_k[n] / dtheta_ij`` of
sample ``b``; the state ``I, U, S`` is ``(B, N)``. So ``sum_k' W_kk' dS_in_k'`` for every
``(b, i, j)`` at once is ``dS_in @ W.T``; and ``delta_ik source_j`` is, for each ``i``,
``dI_next[:, i, :, i] += source``.
"""
import numpy as np


def rtrl_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    """Advance the sensitivities of one hidden LIF layer to one parameter block by one step.

    Parameters
    ----------
    dI, dU : ndarray (B, A, C, N)
        ``dI[b, i, j, k] = d I_k[n] / d theta_ij`` and the same for ``U``, at step ``n``.
    dS_in : ndarray (B, A, C, N_in)
        Sensitivities of this layer's input spikes ``S_in[n]`` (zeros when the input does
        not depend on ``theta``, e.g. for the layer's own weights).
    I, U, S : ndarray (B, N)
        This layer's current, membrane potential and spikes at step ``n``.
    W : ndarray (N, N_in)
        Feed-forward weights, ``W[post, pre]``.
    V : ndarray (N, N) or None
        Recurrent weights, or None for a layer without recurrence.
    params : refsnn.LIFParams
        ``params.alpha``, ``params.beta``, ``params.threshold`` (theta), ``params.reset``
        (``"subtract"``, ``"zero"`` or ``"none"``) and ``params.detach_reset`` (bool).
    surrogate : refsnn.Surrogate
        ``surrogate.derivative(x)`` is ``F'(x)`` elementwise for an array ``x = U - theta``.
    source : ndarray (B, C) or None
        The presynaptic activity of the source term ``delta_ik source_j[n]``: ``S_in[n]`` if
        ``theta`` is this layer's ``W`` (``A = N``, ``C = N_in``), ``S[n]`` if it is ``V``,
        None if ``theta`` belongs to a layer below.

    Returns
    -------
    dI_next, dU_next : ndarray (B, A, C, N)
        The sensitivities at step ``n + 1``.
    """
    theta, alpha, beta = params.threshold, params.alpha, params.beta
    # ---- YOUR CODE START ----
    raise NotImplementedError("fill in rtrl_step")
    # ---- YOUR CODE END ----
    return dI_next, dU_next

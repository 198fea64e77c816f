r"""Exercise activity_regulariser: the gradient of a lower bound on the spike counts.

Copy this file, fill in the code between the markers, then grade it::

    python -m refsnn.exercises check activity_regulariser my_activity_regulariser.py

A hidden neuron that never fires passes no gradient through its spikes and may stay silent
for good. Zenke & Vogels (2021, §4.2.5) therefore add a *lower bound* on every hidden neuron's
spike count to the loss ("neuron level regularisation" of "lessons from deep learning",
Fig. 7b and Eq. 41). Your task is its gradient with respect to the spikes, ``dg/dS``: the
error that the regulariser sends into backpropagation through time at every step, next to the
error arriving from the layers above.

The network (tutorial Eqs. 7-8) for each hidden layer, state zero at the start, for
``n = 0 .. T-2``::

    S[n]   = Theta(U[n] - theta)            spike="hard"   (or F(U[n] - theta) for "soft")
    I[n+1] = alpha I[n] + W S_in[n] + V S[n]                                 (Eq. 7)
    U[n+1] = beta U[n] + I[n] - theta S[n]          (reset="subtract"; Eq. 8, or "zero", "none")

The regulariser of one hidden layer with spikes ``S`` of shape ``(B, T, M)`` (``B`` samples,
``T`` steps, ``M`` neurons): with the spike count of neuron ``i`` in sample ``b``
``zeta_bi = sum_n S[b, n, i]``, and ``[x]_+ = max(x, 0)``,

    g_b = (lam / M) * sum_i ([v_lower - zeta_bi]_+)^2          one sample (Zenke & Vogels)
    g   = (1 / B) * sum_b g_b                                  averaged over the batch

Write ``dg/dS[b, n, i]`` for every sample, step and neuron. The grader builds small networks
(one and two hidden layers, hard and soft spikes, batches of two and three), calls your
function on every hidden layer's spikes, adds your ``dS`` to the error that BPTT propagates
(``refsnn.bptt(..., gS_ext={layer: dS})``; the readout's loss is an MSE) and compares the
weight gradients with the same computation on the library's ``refsnn.losses.lower_bound``
(they must agree to 1e-10). Plain NumPy only.

Before you write it, answer:

* Which neurons does the bound act on, and what is the gradient of a neuron that fires
  ``v_lower`` times or more?
* How does ``zeta_bi`` change when ``S[b, n, i]`` changes by ``epsilon``, for each ``n``?
* Where do ``1/M`` and ``1/B`` go, and which sign does the gradient have for a quiet neuron
  (gradient descent must make it fire more)?
* With soft spikes (the smooth model of the grader) ``S`` is real-valued: the count is the plain
  sum, not a count of entries above 0.
"""
import numpy as np


def lower_bound_grad(S, lam, v_lower):
    """``dg/dS`` of the batch-averaged lower bound on the spike counts (module docstring).

    Parameters
    ----------
    S : ndarray (B, T, M)
        One hidden layer's spikes (0/1 for hard spikes, real values in (0, 1) for soft).
    lam : float
        ``lambda_lower`` (> 0).
    v_lower : float
        The lower bound on each neuron's spike count.

    Returns
    -------
    dS : ndarray (B, T, M)
        ``dg/dS[b, n, i]``, float64.
    """
    B, T, M = S.shape
    # ---- YOUR CODE START ----
    raise NotImplementedError("fill in lower_bound_grad")
    # ---- YOUR CODE END ----
    return dS

r"""Exercise lif_bptt: backpropagation through time for one hidden LIF layer.

Copy this file, fill in the code between the markers, then grade it::

    python -m refsnn.exercises check lif_bptt my_lif_bptt.py

The grader builds small networks (one or two hidden layers, with and without the recurrent
matrix ``V``, every reset mode, ``detach_reset`` on and off, soft and hard spikes), uses your
function for every hidden layer, and compares the resulting weight gradients with finite
differences (``refsnn.gradcheck.check_network``, docs/design.md §6). Plain NumPy only: a loop over
time, array operations over batch and neurons.

The forward pass (tutorial Eqs. 7-8) that produced ``I, U, S``; state starts at zero and for
``n = 0 .. T-2``::

    S[n]   = Theta(U[n] - theta)            spike="hard"   (or F(U[n] - theta) for "soft")
    I[n+1] = alpha I[n] + W S_in[n] + V S[n]                              (Eq. 7)
    U[n+1] = beta U[n] + I[n] - theta S[n]          params.reset == "subtract" (Eq. 8)
           = (beta U[n] + I[n]) (1 - S[n])          params.reset == "zero"
           = beta U[n] + I[n]                       params.reset == "none"

Your task: the adjoints ``gX[n] = dL/dX[n]`` (the total derivative of the loss through every
later use of ``X[n]``), computed backwards from ``n = T-1`` down to ``0`` with
``gI[T] = gU[T] = 0`` (nothing comes after the last step)::

    gS[n] = gS_ext[n] + V^T gI[n+1] + dU[n+1]/dS[n] * gU[n+1]
    gU[n] = F'(U[n] - theta) * gS[n] + dU[n+1]/dU[n] * gU[n+1]
    gI[n] = alpha * gI[n+1]          + dU[n+1]/dI[n] * gU[n+1]

where ``F'`` is ``surrogate.derivative`` (used for hard *and* soft spikes: that is the
surrogate gradient) and the partial derivatives of Eq. 8 are

    ==========  =================  =================  =======================
    reset       dU[n+1]/dU[n]      dU[n+1]/dI[n]      dU[n+1]/dS[n]
    ==========  =================  =================  =======================
    "subtract"  beta               1                  -theta
    "zero"      beta (1 - S[n])    1 - S[n]           -(beta U[n] + I[n])
    "none"      beta               1                  0
    ==========  =================  =================  =======================

With ``params.detach_reset`` True the reset carries no gradient: drop the ``dU[n+1]/dS[n]``
term (keep the ``(1 - S[n])`` factors of "zero", they multiply ``U`` and ``I``, not ``S``).

The weights enter only through ``I[n+1]`` (Eq. 7, note the one-step delay), so::

    dW       = sum_{b, n} gI[n+1] S_in[n]^T        shape (N, N_in)
    dV       = sum_{b, n} gI[n+1] S[n]^T           shape (N, N), None if V is None
    gS_in[n] = W^T gI[n+1],   gS_in[T-1] = 0       shape (B, T, N_in), the error for the layer below

Batch form: all arrays are ``(B, T, neurons)``, so at step ``n`` the vector ``V^T gI[n+1]`` of
every sample is ``gI[:, n+1] @ V`` (shape ``(B, N)``), and ``W`` is ``(post, pre) = (N, N_in)``.
"""
import numpy as np


def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    """Backward pass of one hidden LIF layer over all time steps.

    Parameters
    ----------
    I, U, S : ndarray (B, T, N)
        Synaptic current, membrane potential and spikes of this layer, as recorded by the
        forward pass (``trace.I[l]``, ``trace.U[l]``, ``trace.S[l]``).
    S_in : ndarray (B, T, N_in)
        Presynaptic spikes (the network input, or the spikes of the layer below).
    W : ndarray (N, N_in)
        Feed-forward weights, ``W[post, pre]``.
    V : ndarray (N, N) or None
        Recurrent weights, or None for a layer without recurrence.
    params : refsnn.LIFParams
        ``params.alpha``, ``params.beta``, ``params.threshold`` (theta), ``params.reset``
        (``"subtract"``, ``"zero"`` or ``"none"``) and ``params.detach_reset`` (bool).
    surrogate : refsnn.Surrogate
        ``surrogate.derivative(x)`` is ``F'(x)`` elementwise for an array ``x = U - theta``.
    gS_ext : ndarray (B, T, N)
        ``dL/dS[n]`` arriving from the layer above (``W_above^T gI_above[n+1]``).

    Returns
    -------
    dW : ndarray (N, N_in)
    dV : ndarray (N, N), or None if ``V`` is None
    gS_in : ndarray (B, T, N_in)
    """
    B, T, N = U.shape
    theta, alpha, beta = params.threshold, params.alpha, params.beta
    # ---- YOUR CODE START ----
    raise NotImplementedError("fill in layer_backward")
    # ---- YOUR CODE END ----
    return dW, dV, gS_in

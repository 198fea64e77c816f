r"""Exercise dfa_update: the direct-feedback-alignment (DFA) error of one hidden LIF layer.

Copy this file, fill in the code between the markers, then grade it::

    python -m refsnn.exercises check dfa_update my_dfa_update.py

In BPTT the error reaches hidden layer ``l`` through every layer above it (``lif_bptt``). In
direct feedback alignment (Nøkland 2016; tutorial §V-A,
``delta^l_i = sigma'(a^l_i) sum_k delta^L_k H^l_ki``) the readout's error is sent to *every*
hidden layer at once, through a fixed random matrix ``H`` ``(n_out, N)`` of that layer, and
no error passes between hidden layers. The grader builds small networks (one, two and three
hidden layers, with and without ``V``, every reset mode, soft and hard spikes, five
surrogates), calls your function for every hidden layer, passes your error into the layer's
own backward recursion in time (the library's, exactly as in BPTT: through ``I``, ``U``, ``V``
and the reset) and compares the weight gradients with :func:`refsnn.grad.direct_feedback_alignment`
(they must agree to 1e-10). Plain NumPy only.

The forward pass (tutorial Eqs. 7-8), state zero at the start, for ``n = 0 .. T-2``::

    S[n]     = Theta(U[n] - theta)          spike="hard"   (or F(U[n] - theta) for "soft")
    I[n+1]   = alpha I[n] + W S_in[n] + V S[n]                                 (Eq. 7)
    U[n+1]   = beta U[n] + I[n] - theta S[n]        (reset="subtract"; Eq. 8, or "zero", "none")
    I_o[n+1] = alpha I_o[n] + W_o S_top[n]          the readout: leaky, no spikes, no reset
    U_o[n+1] = beta U_o[n] + I_o[n]

``gI_o[n] = dL/dI_o[n]`` is the readout's error (the adjoint of its synaptic current; the
grader computes it). BPTT sends it down to the top hidden layer as ``W_o^T gI_o[n+1]``: one
step later, because ``I_o[n+1]`` depends on ``S_top[n]``. DFA keeps that timing and replaces
``W_o`` by the layer's own ``H``, for every hidden layer. Your task, for one hidden layer and
every step ``n``::

    delta[n]   = F'(U[n] - theta) * (H^T gI_o[n+1])        n = 0 .. T-2
    delta[T-1] = 0                                           (nothing comes after the last step)

the error at the layer's membrane: ``H^T gI_o[n+1]`` is the error at its spikes ``S[n]``, and
``F' = surrogate.derivative`` (used for hard *and* soft spikes: that is the surrogate
gradient) carries it from ``S[n]`` to ``U[n]``, with ``theta = params.threshold``.

* ``H``, never ``W_o``: ``W_o`` is given because BPTT would use it; DFA does not.
* ``gI_o[n+1]``, not ``gI_o[n]``: the one-step delay of the readout's synapses.
* ``F'`` at the layer's own ``U[n] - theta``, the same step as ``delta[n]``.

Batch form: ``gI_o`` is ``(B, T, n_out)`` and ``H`` is ``(n_out, N)``, so ``H^T gI_o[n+1]`` for
every sample at once is ``gI_o[:, n+1] @ H`` (shape ``(B, N)``), and for all steps together
``gI_o[:, 1:] @ H`` (shape ``(B, T-1, N)``).
"""
import numpy as np


def dfa_layer_error(gI_o, W_o, H, U, params, surrogate):
    """The DFA error ``delta`` at the membrane of one hidden LIF layer, over all steps.

    Parameters
    ----------
    gI_o : ndarray (B, T, n_out)
        The readout's error ``dL/dI_o[n]`` (``gI_o[:, T-1]`` is 0).
    W_o : ndarray (n_out, N_top)
        The readout's weights (what BPTT would send the error through; DFA does not use them).
    H : ndarray (n_out, N)
        This layer's fixed random feedback matrix.
    U : ndarray (B, T, N)
        This layer's membrane potential, as recorded by the forward pass (``trace.U[l]``).
    params : refsnn.LIFParams
        ``params.threshold`` is theta.
    surrogate : refsnn.Surrogate
        ``surrogate.derivative(x)`` is ``F'(x)`` elementwise for an array ``x = U - theta``.

    Returns
    -------
    delta : ndarray (B, T, N)
        ``delta[:, n] = F'(U[:, n] - theta) * (gI_o[:, n+1] @ H)``, ``delta[:, T-1] = 0``.
    """
    B, T, N = U.shape
    theta = params.threshold
    # ---- YOUR CODE START ----
    raise NotImplementedError("fill in dfa_layer_error")
    # ---- YOUR CODE END ----
    return delta

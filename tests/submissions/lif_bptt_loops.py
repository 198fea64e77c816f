"""A correct lif_bptt solution written differently from the library's: explicit loops over
samples, steps and neurons, the reset partials as a small function, no vectorisation."""
import numpy as np


def _partials(reset, detach, beta, theta, U, I, S):
    """(dU'/dU, dU'/dI, dU'/dS) of Eq. 8 for one neuron at one step."""
    if reset == "zero":
        return beta * (1 - S), 1 - S, 0.0 if detach else -(beta * U + I)
    return beta, 1.0, (-theta if reset == "subtract" and not detach else 0.0)


def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    B, T, N = U.shape
    theta = params.threshold
    fp = surrogate.derivative(U - theta)
    gI = np.zeros((B, T, N))
    dW = np.zeros(W.shape)
    dV = None if V is None else np.zeros(V.shape)
    gS_in = np.zeros(S_in.shape)
    for b in range(B):
        gU_next = np.zeros(N)
        gI_next = np.zeros(N)
        for n in reversed(range(T)):
            gU_now = np.zeros(N)
            gI_now = np.zeros(N)
            for i in range(N):
                du, di, ds = _partials(params.reset, params.detach_reset, params.beta, theta,
                                       U[b, n, i], I[b, n, i], S[b, n, i])
                g_s = gS_ext[b, n, i] + ds * gU_next[i]
                if V is not None:
                    g_s += sum(V[k, i] * gI_next[k] for k in range(N))
                gU_now[i] = fp[b, n, i] * g_s + du * gU_next[i]
                gI_now[i] = params.alpha * gI_next[i] + di * gU_next[i]
            gI[b, n] = gI_now
            gU_next, gI_next = gU_now, gI_now
        for n in range(T - 1):
            for i in range(N):
                for j in range(S_in.shape[2]):
                    dW[i, j] += gI[b, n + 1, i] * S_in[b, n, j]
                    gS_in[b, n, j] += W[i, j] * gI[b, n + 1, i]
                if V is not None:
                    for j in range(N):
                        dV[i, j] += gI[b, n + 1, i] * S[b, n, j]
    return dW, dV, gS_in

"""A correct dfa_update solution written differently from the library's: explicit loops over
samples, steps and neurons, the feedback sum H^T g written out entry by entry."""
import numpy as np


def dfa_layer_error(gI_o, W_o, H, U, params, surrogate):
    B, T, N = U.shape
    n_out = H.shape[0]
    delta = np.zeros((B, T, N))
    for b in range(B):
        for n in range(T - 1):
            fp = surrogate.derivative(U[b, n] - params.threshold)
            for i in range(N):
                e = 0.0
                for k in range(n_out):
                    e += H[k, i] * gI_o[b, n + 1, k]
                delta[b, n, i] = fp[i] * e
    return delta

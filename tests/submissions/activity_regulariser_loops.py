"""A correct activity_regulariser solution written differently from the library's: explicit
loops over samples, neurons and steps, the count and the rectifier written out by hand."""
import numpy as np


def lower_bound_grad(S, lam, v_lower):
    B, T, M = S.shape
    dS = np.zeros((B, T, M))
    for b in range(B):
        for i in range(M):
            zeta = 0.0
            for n in range(T):
                zeta += S[b, n, i]
            if zeta < v_lower:                       # only quiet neurons feel the bound
                g = -2.0 * lam * (v_lower - zeta) / (B * M)
                for n in range(T):
                    dS[b, n, i] = g
    return dS

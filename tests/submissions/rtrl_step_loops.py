"""A correct rtrl_step solution written with explicit loops over the block's entries."""
import numpy as np


def rtrl_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    B, A, C, N = dU.shape
    th = params.threshold
    fp = surrogate.derivative(U - th)
    dI_next = np.empty((B, A, C, N))
    dU_next = np.empty((B, A, C, N))
    for b in range(B):
        for i in range(A):
            for j in range(C):
                ds = fp[b] * dU[b, i, j]
                new_I = params.alpha * dI[b, i, j] + W @ dS_in[b, i, j]
                if V is not None:
                    new_I = new_I + V @ ds
                if source is not None:
                    new_I[i] += source[b, j]
                new_U = params.beta * dU[b, i, j] + dI[b, i, j]
                if params.reset == "zero":
                    new_U = new_U * (1 - S[b])
                    if not params.detach_reset:
                        new_U -= (params.beta * U[b] + I[b]) * ds
                elif params.reset == "subtract" and not params.detach_reset:
                    new_U -= th * ds
                dI_next[b, i, j] = new_I
                dU_next[b, i, j] = new_U
    return dI_next, dU_next

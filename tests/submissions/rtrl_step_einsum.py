"""A correct rtrl_step solution with einsum and the reset written as one coefficient each."""
import numpy as np


def rtrl_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    B, A, C, N = dU.shape
    beta = params.beta
    zero = params.reset == "zero"
    keep = (1.0 - S) if zero else np.ones_like(S)                       # dU'/dU = beta keep
    if params.detach_reset or params.reset == "none":
        coef = np.zeros_like(U)                                         # dU'/dS
    else:
        coef = -(beta * U + I) if zero else -params.threshold * np.ones_like(U)
    dS = np.einsum("bk,bijk->bijk", surrogate.derivative(U - params.threshold), dU)
    new_I = params.alpha * dI + np.einsum("kl,bijl->bijk", W, dS_in)
    if V is not None:
        new_I += np.einsum("kl,bijl->bijk", V, dS)
    if source is not None:
        eye = np.eye(A, N)
        new_I += np.einsum("ik,bj->bijk", eye, source)
    new_U = keep[:, None, None, :] * (beta * dU + dI) + coef[:, None, None, :] * dS
    return new_I, new_U

"""A correct lif_bptt solution written as the transposed Jacobian of one step: the state
z = (I, U) of each neuron evolves as z[n+1] = A[n] z[n] + (input), so the adjoint is
g[n] = A[n]^T g[n+1] + (sources), with the spike's surrogate path added to dU."""
import numpy as np


def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    B, T, N = U.shape
    a, beta, theta = params.alpha, params.beta, params.threshold
    zero = params.reset == "zero"
    r = (1.0 - S) if zero else np.ones_like(S)
    if params.detach_reset or params.reset == "none":
        c = np.zeros_like(U)
    else:
        c = -(beta * U + I) if zero else np.full_like(U, -theta)
    slope = surrogate.derivative(U - theta)
    gU = np.zeros((B, N))
    gI = np.zeros((B, N))
    gI_all = np.zeros((B, T, N))
    for n in range(T - 1, -1, -1):
        err_S = gS_ext[:, n] + c[:, n] * gU + (0.0 if V is None else np.einsum("bk,ki->bi", gI, V))
        gU, gI = slope[:, n] * err_S + beta * r[:, n] * gU, a * gI + r[:, n] * gU
        gI_all[:, n] = gI
    nxt = gI_all[:, 1:].reshape(-1, N)
    dW = nxt.T @ S_in[:, :-1].reshape(-1, S_in.shape[2])
    dV = None if V is None else nxt.T @ S[:, :-1].reshape(-1, N)
    gS_in = np.concatenate([np.einsum("bnk,kj->bnj", gI_all[:, 1:], W),
                            np.zeros((B, 1, S_in.shape[2]))], axis=1)
    return dW, dV, gS_in

"""Solutions of the exercises.

``layer_backward`` is *the library's own implementation*: the compiled adjoint kernel of
:mod:`refsnn.grad.bptt` (which the test suite proves against finite differences), wrapped in
the exercise's signature. ``layer_backward_numpy`` is the same computation written the way the
stub :mod:`refsnn.exercises.lif_bptt` asks for it, in plain NumPy between the same markers (the
tests fill the stub with it and mutate it into typical mistakes). The same holds for
``rtrl_step`` / ``rtrl_step_numpy``, ``dfa_layer_error`` / ``dfa_layer_error_numpy`` and
``lower_bound_grad`` / ``lower_bound_grad_numpy``;
``spike_time_gradient`` / ``spike_time_gradient_numpy``;
:data:`NUMPY_SOLUTIONS` names the NumPy version of each exercise.

Read next: docs/design.md, the design behind everything read so far.
"""
import numpy as np

from .. import losses
from ..grad.bptt import error_to_input, layer_adjoints, weight_gradient
from ..grad.forward import block_sensitivity_step
from ..timing import mostafa


def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    """The library's adjoint recursion for one hidden layer (signature of the exercise)."""
    gI, _ = layer_adjoints(I, U, S, V, params, surrogate, gS_ext)
    dW = weight_gradient(gI, S_in)
    dV = None if V is None else weight_gradient(gI, S)
    return dW, dV, error_to_input(gI, W)


def layer_backward_numpy(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    """The stub of :mod:`refsnn.exercises.lif_bptt` filled in (see its docstring)."""
    B, T, N = U.shape
    theta, alpha, beta = params.threshold, params.alpha, params.beta
    # ---- YOUR CODE START ----
    sg = surrogate.derivative(U - theta)                  # F'(U[n] - theta), (B, T, N)
    zero = params.reset == "zero"
    keep = 1.0 - S if zero else np.ones_like(S)           # dU[n+1]/dI[n]
    if params.detach_reset or params.reset == "none":
        dU_dS = np.zeros_like(U)
    elif zero:
        dU_dS = -(beta * U + I)
    else:
        dU_dS = -theta * np.ones_like(U)
    gI = np.zeros((B, T + 1, N))                          # gI[:, T] = gU[:, T] = 0
    gU = np.zeros((B, T + 1, N))
    for n in range(T - 1, -1, -1):
        gS = gS_ext[:, n] + dU_dS[:, n] * gU[:, n + 1]
        if V is not None:
            gS = gS + gI[:, n + 1] @ V                    # V^T gI[n+1] for every sample
        gU[:, n] = sg[:, n] * gS + beta * keep[:, n] * gU[:, n + 1]
        gI[:, n] = alpha * gI[:, n + 1] + keep[:, n] * gU[:, n + 1]
    # the weights act one step later: I[n+1] depends on S_in[n] and S[n]
    dW = np.einsum("bni,bnj->ij", gI[:, 1:T], S_in[:, :T - 1])
    dV = None if V is None else np.einsum("bni,bnj->ij", gI[:, 1:T], S[:, :T - 1])
    gS_in = np.zeros_like(S_in)
    gS_in[:, :T - 1] = gI[:, 1:T] @ W                     # W^T gI[n+1]
    # ---- YOUR CODE END ----
    return dW, dV, gS_in


# ---------------------------------------------------------------------- rtrl_step
def rtrl_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    """The library's sensitivity step (:func:`refsnn.grad.forward.block_sensitivity_step`,
    the kernel :func:`refsnn.rtrl` runs) in the exercise's signature."""
    return block_sensitivity_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source)


def rtrl_step_numpy(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    """The stub of :mod:`refsnn.exercises.rtrl_step` filled in (see its docstring)."""
    theta, alpha, beta = params.threshold, params.alpha, params.beta
    # ---- YOUR CODE START ----
    ds = surrogate.derivative(U - theta)[:, None, None, :] * dU   # dS[n] = F'(U[n]-theta) dU[n]
    dI_next = alpha * dI + dS_in @ W.T                            # sum_k' W_kk' dS_in_k'[n]
    if V is not None:
        dI_next = dI_next + ds @ V.T                              # sum_k' V_kk' dS_k'[n]
    if source is not None:                                        # delta_ik source_j[n]
        for i in range(dI.shape[1]):
            dI_next[:, i, :, i] += source
    dU_next = beta * dU + dI                                      # U[n+1] uses I[n]: old dI
    if params.reset == "zero":
        dU_next = dU_next * (1.0 - S)[:, None, None, :]
        if not params.detach_reset:
            dU_next = dU_next - (beta * U + I)[:, None, None, :] * ds
    elif params.reset == "subtract" and not params.detach_reset:
        dU_next = dU_next - theta * ds
    # ---- YOUR CODE END ----
    return dI_next, dU_next


# ---------------------------------------------------------------------- dfa_update
def dfa_layer_error(gI_o, W_o, H, U, params, surrogate):
    """The DFA error from the library's public pieces: ``H^T gI_o[n+1]``
    (:func:`refsnn.grad.bptt.error_to_input`, which :func:`refsnn.grad.direct_feedback_alignment`
    puts at the layer's spikes) times ``F'(U[n] - theta)``."""
    return surrogate.derivative(U - params.threshold) * error_to_input(gI_o, H)


def dfa_layer_error_numpy(gI_o, W_o, H, U, params, surrogate):
    """The stub of :mod:`refsnn.exercises.dfa_update` filled in (see its docstring)."""
    B, T, N = U.shape
    theta = params.threshold
    # ---- YOUR CODE START ----
    delta = np.zeros((B, T, N))                           # delta[:, T-1] = 0
    fp = surrogate.derivative(U[:, :T - 1] - theta)      # F'(U[n] - theta), n = 0 .. T-2
    delta[:, :T - 1] = fp * (gI_o[:, 1:] @ H)             # H^T gI_o[n+1] for every sample
    # ---- YOUR CODE END ----
    return delta


# ---------------------------------------------------------------------- activity_regulariser
def lower_bound_grad(S, lam, v_lower):
    """The library's :func:`refsnn.losses.lower_bound` (its gradient) in the exercise's
    signature."""
    return losses.lower_bound(S, lam, v_lower)[1]


def lower_bound_grad_numpy(S, lam, v_lower):
    """The stub of :mod:`refsnn.exercises.activity_regulariser` filled in (see its docstring)."""
    B, T, M = S.shape
    # ---- YOUR CODE START ----
    zeta = S.sum(axis=1)                                  # spike counts (B, M)
    deficit = np.maximum(v_lower - zeta, 0.0)             # [v_lower - zeta]_+
    d_zeta = -2.0 * lam / (B * M) * deficit               # dg/dzeta, mean over b and i
    dS = np.repeat(d_zeta[:, None, :], T, axis=1)         # dzeta/dS[n] = 1 at every step
    # ---- YOUR CODE END ----
    return dS


# ---------------------------------------------------------------------- spike_time_gradient
def spike_time_gradient(t_in, w):
    """The library's Mostafa neuron (:mod:`refsnn.timing.mostafa`, its public
    ``layer_forward`` and ``layer_backward``, what ``Network.forward``/``backward`` run) in the
    exercise's signature: the derivatives of ``t_out`` by ``w`` and ``t_in``, turned into
    ``z = exp(t)``: ``dz_out/dw = z_out dt_out/dw`` and ``dz_out/dz_i = (z_out/z_i) dt_out/dt_i``."""
    W, t = np.array(w, dtype=float)[None, :], np.array(t_in, dtype=float)[None, :]
    t_out, record = mostafa.layer_forward(W, t)
    d_W, d_t_in = mostafa.layer_backward(W, record, np.ones((1, 1)))
    z_out = np.exp(t_out[0, 0])
    spiked = np.isfinite(t[0])
    return z_out * d_W[0], np.where(spiked, d_t_in[0] * z_out / np.exp(np.where(spiked, t[0],
                                                                                 0.0)), 0.0)


def spike_time_gradient_numpy(t_in, w):
    """The stub of :mod:`refsnn.exercises.spike_time_gradient` filled in (see its docstring)."""
    n_in = t_in.shape[0]
    # ---- YOUR CODE START ----
    z = np.exp(t_in)                                      # z = exp(t); inf: no spike
    order = np.argsort(t_in, kind="stable")               # the inputs in time order
    zs, ws = z[order], w[order]
    spiked = np.isfinite(zs)
    W_k = np.cumsum(ws)                                   # sum w over each prefix C_k
    S_k = np.cumsum(np.where(spiked, ws * np.where(spiked, zs, 0.0), 0.0))   # sum w z
    nxt = np.append(zs[1:], np.inf)                       # z of the next input
    with np.errstate(divide="ignore", invalid="ignore"):
        z_k = S_k / (W_k - 1)                             # z_out if C_k were causal
    k = np.argmax(spiked & (W_k > 1) & (z_k < nxt))       # the first causal prefix
    C = np.zeros(n_in, dtype=bool)
    C[order[:k + 1]] = True
    dz_dw = np.where(C, np.where(C, z, 0.0) - z_k[k], 0.0) / (W_k[k] - 1)
    dz_dz_in = np.where(C, w, 0.0) / (W_k[k] - 1)
    # ---- YOUR CODE END ----
    return dz_dw, dz_dz_in


#: exercise name -> the plain-NumPy solution written the way its stub asks
NUMPY_SOLUTIONS = {"lif_bptt": layer_backward_numpy, "rtrl_step": rtrl_step_numpy,
                   "dfa_update": dfa_layer_error_numpy,
                   "activity_regulariser": lower_bound_grad_numpy,
                   "spike_time_gradient": spike_time_gradient_numpy}

"""Spec of the exercise ``lif_bptt``: BPTT of one hidden LIF layer (stub: ``stubs/lif_bptt.py``).

The student's ``layer_backward`` is used for every hidden layer of each grading network, from
the top down (each layer's ``gS_in`` is the ``gS_ext`` of the layer below); the readout's
backward pass is the library's (:func:`refsnn.grad.bptt.readout_adjoints`). The resulting
gradient is compared with finite differences (:func:`refsnn.gradcheck.check_network`: the
smooth model for soft spikes with the exact reset, the frozen-spike model otherwise) on every
weight entry, tolerance :data:`refsnn.gradcheck.FD_TOL`.

Read next: refsnn/exercises/core.py, the grading core this spec declares itself to.
"""
from __future__ import annotations

import os
from functools import partial

import numpy as np

from .. import gradcheck, losses
from ..grad.bptt import Grads, error_to_input, readout_adjoints, weight_gradient
from .diagnosis import SURROGATE_HINTS, Mistake, mistaken_constants
from .networks import Net

NAME = "lif_bptt"
FUNCTION = "layer_backward"
SUMMARY = "backward pass (BPTT) of one hidden LIF layer: dW, dV and the error sent down"
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs", "lif_bptt.py")
PARAMETERS = ("I", "U", "S", "S_in", "W", "V", "params", "surrogate", "gS_ext")
OUTPUTS = ("dW", "dV", "gS_in")
ORACLE = "finite differences"
TOLERANCE = gradcheck.FD_TOL
#: and float64 arithmetic: normwise agreement with the library's BPTT to the contract's
#: agreement tolerance (measured on these networks: float64 solutions written three ways agree
#: to 2.5e-16, float32 arithmetic inside a correct solution to 2e-9 .. 2e-7)
PRECISION_TOL = gradcheck.AGREE_TOL
TITLE = (f"Your {FUNCTION} for every hidden layer (the readout's gradient is the library's) vs "
         f"finite differences,\nevery weight entry, max relative error per parameter "
         f"(tolerance {TOLERANCE:.0e}):")
FOOTNOTE = ("(W1, V1 / W2, V2: your dW, dV of hidden layer 1 / 2; the readout's gradient is "
            "the library's and is not checked)")
PARAM_NAMES = {"W1": "your dW, hidden layer 1", "V1": "your dV, hidden layer 1",
               "W2": "your dW, hidden layer 2", "V2": "your dV, hidden layer 2",
               "Wout": "readout, the library's"}

NETWORKS = (
    Net("soft", "subtract", False, False),
    Net("soft", "zero", False, False, B=3),
    Net("soft", "none", False, False),
    Net("soft", "subtract", False, True, surrogate=("sigmoid", 4.0)),
    Net("soft", "zero", False, True),
    Net("soft", "zero", True, True, B=3),
    Net("hard", "subtract", False, True),
    Net("hard", "subtract", True, True, surrogate=("sigmoid", 4.0)),
    Net("hard", "zero", False, False),
    Net("hard", "none", False, True, B=3),
    Net("soft", "subtract", False, True, sizes=(3, 4, 3, 2), seed=8),
    Net("soft", "subtract", False, True, surrogate=("piecewise_linear", 2.0), threshold=0.5,
        alpha=0.95, beta=0.6, B=3, seed=7),
    Net("hard", "zero", False, True, surrogate=("exponential", 3.0), threshold=1.7,
        alpha=0.5, beta=0.95, seed=8, gain=20.0),
    Net("hard", "subtract", False, True, surrogate=("boxcar", 1.0), threshold=1.7, B=3,
        seed=8),
)


def expected(args):
    """``(label, shape)`` of each output of one call (``None``: must be None)."""
    I, U, S, S_in, W, V = args[:6]
    return [("dW", W.shape), ("dV", None if V is None else V.shape), ("gS_in", S_in.shape)]


def network_gradient(call, net, trace, d_readout):
    """The gradient of the network's loss with ``call`` as every hidden layer's backward."""
    L = net.n_hidden_layers
    gW, gV = [None] * (L + 1), [None] * L
    gI_o = readout_adjoints(net, trace, d_readout)
    gW[L] = weight_gradient(gI_o, trace.S[L - 1])
    gS_ext = error_to_input(gI_o, net.W[L])
    for l in range(L - 1, -1, -1):
        S_in = trace.S[l - 1] if l > 0 else trace.x
        gW[l], gV[l], gS_ext = call(trace.I[l], trace.U[l], trace.S[l], S_in, net.W[l],
                                    net.V[l], net.params, net.surrogate, gS_ext,
                                    where=f"hidden layer {l + 1}")
    return Grads(W=gW, V=gV)


def check(grad_fn, cfg, net, x, target):
    """The verdict: finite differences on every entry of the student's weights (docs/design.md §6;
    the readout's, computed by the library, is left out)."""
    mine = [name for name, _ in net.parameters() if name != f"W[{net.n_hidden_layers}]"]
    return gradcheck.check_network(net, x, losses.mse, target, grad_fn=grad_fn, spike=cfg.spike,
                                   params=mine, fd_cache=_FD_CACHE)


#: the oracle's finite differences per grading network, computed once per process (a teacher
#: grading a class with ``grade()`` in a loop evaluates them once)
_FD_CACHE = {}


# ---------------------------------------------------------------------- classic mistakes
def backward_with(I, U, S, S_in, W, V, params, surrogate, gS_ext, mistake=None):
    """The stub's ``layer_backward`` in NumPy, with one named ``mistake`` (None: correct)."""
    B, T, N = U.shape
    theta, a, b, sg = mistaken_constants(mistake, U, params, surrogate)
    beta = params.beta
    zero = params.reset == "zero"
    keep = 1.0 - S if zero and mistake != "no_keep" else np.ones_like(S)
    if mistake == "keep_dropped_when_detached" and params.detach_reset:
        keep = np.ones_like(S)
    detached = {"no_reset_term": True, "reset_when_detached": False}.get(mistake,
                                                                         params.detach_reset)
    if detached or params.reset == "none":
        dU_dS = np.zeros_like(U)
    elif zero:
        dU_dS = -(beta * U + I)
    else:
        dU_dS = -(1.0 if mistake == "reset_minus_one" else theta) * np.ones_like(U)
    if mistake == "reset_sign":
        dU_dS = -dU_dS
    gI, gU = np.zeros((B, T + 1, N)), np.zeros((B, T + 1, N))
    for n in range(T - 1, -1, -1):
        gS = gS_ext[:, n] + dU_dS[:, n] * gU[:, n + 1]
        if V is not None and mistake != "no_V_term":
            gS = gS + gI[:, n + 1] @ (V.T if mistake == "V_transposed" else V)
        gU[:, n] = sg[:, n] * gS + b * keep[:, n] * gU[:, n + 1]
        gI[:, n] = a * gI[:, n + 1] + keep[:, n] * gU[:, n + 1]
    lag = 0 if mistake == "dW_no_delay" else 1
    dW = np.einsum("bni,bnj->ij", gI[:, lag:T - 1 + lag], S_in[:, :T - 1])
    dV = None if V is None else np.einsum("bni,bnj->ij", gI[:, lag:T - 1 + lag], S[:, :T - 1])
    gS_in = np.zeros_like(S_in)
    lag = 0 if mistake == "gS_in_no_delay" else 1
    gS_in[:, :T - 1] = gI[:, lag:T - 1 + lag] @ W
    if mistake == "batch_mean":
        dW, dV = dW / B, None if dV is None else dV / B
    return dW, dV, gS_in


THETA_HINT = ("the threshold is hard-coded to 1, and the grading networks have theta = 0.5 and "
              "1.7 too: use theta = params.threshold in F'(U[n] - theta) and in the subtract "
              "reset's dU[n+1]/dS[n] = -theta (the printed U[n+1] = beta U[n] + I[n] - S[n] is "
              "the theta = 1 case of U[n+1] = beta U[n] + I[n] - theta S[n]).")
_HINTS = {
    "batch_mean": "your gradient is exactly 1/B of the expected one: you averaged over the "
                  "batch. The loss is a sum over samples, so dW = sum_{b,n} gI[n+1] S_in[n]^T "
                  "sums over b as well.",
    "theta_one": THETA_HINT,
    "reset_minus_one": THETA_HINT,
    "no_fprime": "F' is missing: gU[n] = F'(U[n] - theta) gS[n] + dU[n+1]/dU[n] gU[n+1], with "
                 "F' = surrogate.derivative(U - theta).",
    **SURROGATE_HINTS,
    "no_reset_term": "the reset term dU[n+1]/dS[n] gU[n+1] is missing from gS[n] (it belongs "
                     "there when params.detach_reset is False): -theta gU[n+1] for "
                     "reset='subtract', -(beta U[n] + I[n]) gU[n+1] for reset='zero'.",
    "reset_when_detached": "with params.detach_reset True the reset carries no gradient: leave "
                           "dU[n+1]/dS[n] gU[n+1] out of gS[n] (but keep the (1 - S[n]) "
                           "factors of the zero reset).",
    "reset_sign": "the reset term has the wrong sign: U[n+1] = ... - theta S[n], so "
                  "dU[n+1]/dS[n] = -theta (and -(beta U[n] + I[n]) for the zero reset).",
    "no_keep": "the (1 - S[n]) factors of the zero reset are missing: dU[n+1]/dU[n] = "
               "beta (1 - S[n]) and dU[n+1]/dI[n] = 1 - S[n].",
    "keep_dropped_when_detached": "with detach_reset=True you dropped the (1 - S[n]) factors of "
                                  "the zero reset as well: detaching removes only the "
                                  "dU[n+1]/dS[n] term; (1 - S[n]) multiplies U and I and stays.",
    "V_transposed": "V is transposed in V^T gI[n+1]: in batch form it is gI[:, n+1] @ V (V is "
                    "(post, pre)), not gI[:, n+1] @ V.T.",
    "no_V_term": "the recurrent error V^T gI[n+1] is missing from gS[n] (gI[:, n+1] @ V in "
                 "batch form).",
    "dW_no_delay": "the one-step delay is missing in dW and dV: I[n+1] depends on S_in[n], so "
                   "dW = sum_n gI[n+1] S_in[n]^T pairs gI[:, 1:] with S_in[:, :-1].",
    "gS_in_no_delay": "the error sent down has no delay: gS_in[n] = W^T gI[n+1] (gI[:, 1:] @ W "
                      "into gS_in[:, :-1]), and gS_in[T-1] = 0.",
    "swap_leaks": "alpha and beta are swapped: gI[n] = alpha gI[n+1] + ... (the current decays "
                  "with alpha), gU[n] = ... + beta (...) gU[n+1] (the membrane with beta).",
}
MISTAKES = tuple(Mistake(name, hint, partial(backward_with, mistake=name))
                 for name, hint in _HINTS.items())

GROUP_HINTS = {
    "fails only for the two-layer network":
        "only the two-layer network disagrees, so your dW and dV are right but the error you "
        "send down is not: gS_in[n] = W^T gI[n+1] (gI[:, n+1] @ W in batch form) and "
        "gS_in[T-1] = 0. The one-layer networks never use gS_in.",
    "fails only for thresholds other than 1": THETA_HINT,
    "fails only for reset=subtract with detach_reset=False":
        "the subtract reset U[n+1] = ... - theta S[n] puts dU[n+1]/dS[n] gU[n+1] = "
        "-theta gU[n+1] into gS[n]: check it is there, its sign, and that it uses gU[n+1].",
    "fails only for reset=zero with detach_reset=False":
        "the zero reset U[n+1] = (beta U[n] + I[n]) (1 - S[n]) puts the reset term "
        "dU[n+1]/dS[n] gU[n+1] = -(beta U[n] + I[n]) gU[n+1] into gS[n].",
    "fails only for detach_reset=True": _HINTS["reset_when_detached"],
    "fails only for reset=zero": _HINTS["no_keep"],
    "fails only for reset=subtract/zero with detach_reset=False": _HINTS["no_reset_term"],
    "fails only for the soft model":
        "in the soft model S[n] = F(U[n] - theta) is not 0/1: use S itself (never a "
        "thresholded copy such as S > 0) and take F' from surrogate.derivative(U - theta).",
    "fails only for hard spikes":
        "with hard spikes S is 0/1, so nothing computed from S can stand in for dS/dU: the "
        "surrogate derivative is surrogate.derivative(U[n] - theta).",
    "fails only for surrogates other than SuperSpike": _HINTS["superspike_fixed"],
    "fails only for recurrent networks (with V)":
        "your V gradient disagrees, and W with it: did you include V^T gI[n+1] in gS[n]? In "
        "batch form it is gI[:, n+1] @ V (not @ V.T: V is (post, pre)).",
    "fails across every kind of network":
        "networks of every kind disagree, but not all of them: look at F'(U[n] - theta) with "
        "theta = params.threshold, the leaks (alpha for gI, beta for gU) and the batch sum.",
    "fails for every network":
        "every network is off: check the one-step delay (I[n+1] depends on S_in[n], so dW = "
        "sum_n gI[n+1] S_in[n]^T pairs gI[:, 1:] with S_in[:, :-1]), then the recursion: gU[n] "
        "needs F'(U[n] - theta) of the same step as gS[n] and gU[n+1] of the next; gI[n] = "
        "alpha gI[n+1] + dU[n+1]/dI[n] gU[n+1].",
}


#: the hint for an exception of the student's function: a shape error, an index error
EXCEPTION_HINTS = {
    "shape": "a shape error next to a weight usually means a transposed weight. W is "
             "(N, N_in) = (post, pre) and V is (N, N); in batch form W^T gI[n+1] is "
             "gI[:, n+1] @ W (shape (B, N_in)) and V^T gI[n+1] is gI[:, n+1] @ V.",
    "index": "an index error in the time loop: arrays have T steps 0..T-1, and "
             "gI[T] = gU[T] = 0 is the value *after* the last step (allocate T + 1 steps or "
             "treat n = T-1 apart).",
}

"""Spec of the exercise ``rtrl_step``: one step of exact forward-mode learning (RTRL) of one
hidden LIF layer (stub: ``stubs/rtrl_step.py``).

A forward-mode loop over each grading network's trace advances, for every parameter block
(``W`` of every layer including the readout, ``V`` of every recurrent layer), the sensitivities
of every layer at or above the block's own: the hidden layers with the student's
``rtrl_step``, the readout with the library's equations. The gradient accumulates
``dL/dU_o[n] . dU_o[n]`` online and must agree with :func:`refsnn.bptt`, an independently
derived method, to :data:`refsnn.gradcheck.AGREE_TOL` (docs/design.md §6.2).

Where the student's ``F'`` enters: the recurrent term ``V dS[n]`` and the reset term of
``dU[n+1]``. Every surrogate therefore appears in a network with ``V`` and an exact reset.

Read next: refsnn/exercises/solutions.py (after trying the exercises), then docs/design.md §11
on adding an exercise.
"""
from __future__ import annotations

import os
from functools import partial

import numpy as np

from .. import gradcheck
from ..grad.bptt import Grads, bptt
from .diagnosis import Mistake, mistaken_constants
from .lif_bptt import THETA_HINT
from .networks import Net

NAME = "rtrl_step"
FUNCTION = "rtrl_step"
SUMMARY = "one step of exact forward-mode learning (RTRL): the sensitivities dI, dU of a layer"
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs", "rtrl_step.py")
PARAMETERS = ("dI", "dU", "dS_in", "I", "U", "S", "W", "V", "params", "surrogate", "source")
OUTPUTS = ("dI_next", "dU_next")
ORACLE = "BPTT"
TOLERANCE = gradcheck.AGREE_TOL
TITLE = (f"Your {FUNCTION} in a forward-mode (RTRL) loop for every hidden layer and parameter "
         f"block vs refsnn.bptt,\nevery weight entry, max relative error per parameter "
         f"(tolerance {TOLERANCE:.0e}):")
FOOTNOTE = ("(W1, V1 / W2, V2: the gradient of hidden layer 1 / 2's weights, Wout: the "
            "readout's; all use your step in the hidden layers)")
PARAM_NAMES = {"W1": "dW, hidden layer 1", "V1": "dV, hidden layer 1",
               "W2": "dW, hidden layer 2", "V2": "dV, hidden layer 2", "Wout": "readout W"}

NETWORKS = (
    Net("hard", "subtract", False, True),
    Net("hard", "subtract", True, True, surrogate=("sigmoid", 4.0), B=3),
    Net("hard", "zero", False, False),
    Net("hard", "zero", True, True, B=3),
    Net("hard", "none", False, True),
    Net("hard", "none", False, False, surrogate=("sigmoid", 4.0), B=3),
    Net("soft", "subtract", False, False),
    Net("soft", "zero", False, True, B=3),
    Net("hard", "subtract", False, True, sizes=(3, 4, 3, 2), seed=8),
    Net("hard", "subtract", False, True, surrogate=("piecewise_linear", 2.0), threshold=0.5,
        alpha=0.95, beta=0.6, B=3, seed=7),
    Net("hard", "zero", False, True, surrogate=("exponential", 3.0), threshold=1.7,
        alpha=0.5, beta=0.95, seed=8, gain=20.0),
    Net("hard", "subtract", False, True, surrogate=("boxcar", 1.0), threshold=1.7, B=3,
        seed=8),
    Net("soft", "zero", False, True, surrogate=("sigmoid", 4.0), threshold=0.5, seed=10),
)


def expected(args):
    """``(label, shape)`` of each output of one call: both like ``dI``."""
    return [("dI_next", args[0].shape), ("dU_next", args[0].shape)]


def _readout_step(dI, dU, dS_in, W, alpha, beta, source):
    """The library's readout (no spikes, no reset) in the ``(B, A, C, N)`` layout."""
    dU_next = beta * dU + dI
    dI_next = alpha * dI + dS_in @ W.T
    if source is not None:
        for i in range(dI.shape[1]):
            dI_next[:, i, :, i] += source
    return dI_next, dU_next


def network_gradient(call, net, trace, d_readout):
    """Forward-mode gradient with ``call`` as every hidden layer's sensitivity step."""
    p, sg = net.params, net.surrogate
    L, sizes = net.n_hidden_layers, net.sizes
    B, T, _ = trace.x.shape
    blocks = [("W", m) for m in range(L + 1)] + [("V", m) for m in range(L)
                                                  if net.V[m] is not None]
    sens, grads = {}, {}
    for kind, m in blocks:
        A, C = (net.W[m] if kind == "W" else net.V[m]).shape
        sens[kind, m] = {l: (np.zeros((B, A, C, sizes[l + 1])), np.zeros((B, A, C, sizes[l + 1])))
                         for l in range(m, L + 1)}
        grads[kind, m] = np.zeros((A, C))
    for n in range(T):
        for blk in blocks:  # the loss reads U_o[n]
            grads[blk] += np.einsum("bk,bijk->ij", d_readout[:, n], sens[blk][L][1])
        if n + 1 == T:
            break
        for kind, m in blocks:
            old, new = sens[kind, m], {}
            for l in range(m, L + 1):
                dI, dU = old[l]
                if l > m:  # the layer's input depends on the block through the layer below
                    sp = sg.derivative(trace.U[l - 1][:, n] - p.threshold)
                    dS_in = sp[:, None, None, :] * old[l - 1][1]
                else:
                    dS_in = np.zeros(dI.shape[:3] + (sizes[l],))
                source = None
                if l == m:
                    source = trace.S[l][:, n] if kind == "V" else \
                        (trace.S[l - 1][:, n] if l > 0 else trace.x[:, n])
                if l == L:
                    new[l] = _readout_step(dI, dU, dS_in, net.W[L], p.alpha, p.beta, source)
                    continue
                new[l] = tuple(call(dI, dU, dS_in, trace.I[l][:, n], trace.U[l][:, n],
                                    trace.S[l][:, n], net.W[l], net.V[l], p, sg, source,
                                    where=f"hidden layer {l + 1}, block {kind}"
                                          f"{m + 1 if m < L else 'out'}, step {n}"))
            sens[kind, m] = new
    return Grads(W=[grads["W", m] for m in range(L + 1)],
                 V=[grads["V", m] if net.V[m] is not None else None for m in range(L)])


def check(grad_fn, cfg, net, x, target):
    """The verdict: agreement with BPTT on every weight entry (docs/design.md §6.2)."""
    trace, d = cfg.loss_gradient(net, x, target)
    return gradcheck.compare(grad_fn(net, trace, d), bptt(net, trace, d), tol=TOLERANCE,
                             title=f"{FUNCTION} vs bptt")


# ---------------------------------------------------------------------- classic mistakes
def step_with(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None, mistake=None):
    """The stub's ``rtrl_step`` in NumPy, with one named ``mistake`` (None: correct)."""
    theta, a, b, sp = mistaken_constants(mistake, U, params, surrogate)
    beta = params.beta
    ds = sp[:, None, None, :] * dU
    dI_next = a * dI + (0.0 if mistake == "no_dS_in" else dS_in @ W.T)
    if V is not None and mistake != "no_V_term":
        dI_next = dI_next + ds @ (V if mistake == "V_transposed" else V.T)
    if source is not None:
        if mistake == "source_every_neuron":
            dI_next = dI_next + source[:, None, :, None]
        else:
            for i in range(dI.shape[1]):
                dI_next[:, i, :, i] += source
    dU_next = b * dU + (dI_next if mistake == "delay" else dI)
    detached = {"no_reset_term": True, "reset_when_detached": False}.get(mistake,
                                                                         params.detach_reset)
    sign = -1.0 if mistake == "reset_sign" else 1.0
    if params.reset == "zero":
        if mistake != "no_keep" and not (mistake == "keep_dropped_when_detached"
                                         and params.detach_reset):
            dU_next = dU_next * (1.0 - S)[:, None, None, :]
        if not detached:
            dU_next = dU_next - sign * (beta * U + I)[:, None, None, :] * ds
    elif params.reset == "subtract" and not detached:
        dU_next = dU_next - sign * (1.0 if mistake == "reset_minus_one" else theta) * ds
    return dI_next, dU_next


_HINTS = {
    "theta_one": THETA_HINT.replace("in the subtract reset's dU[n+1]/dS[n] = -theta",
                                    "in the subtract reset's term -theta dS[n]"),
    "no_fprime": "F' is missing: dS[n] = F'(U[n] - theta) dU[n], with F' = "
                 "surrogate.derivative(U - theta); it enters V dS[n] and the reset term.",
    "fprime_at_U": "F' is taken at the wrong argument: S[n] = Theta(U[n] - theta), so "
                   "dS[n] = surrogate.derivative(U - theta) dU[n], not "
                   "surrogate.derivative(U) dU[n].",
    "superspike_fixed": "you wrote SuperSpike's derivative 1/(scale |x| + 1)^2 out by hand; the "
                        "grading networks use other surrogates too: call "
                        "surrogate.derivative(U - theta).",
    "no_reset_term": "the reset term of dU[n+1] is missing (it belongs there when "
                     "params.detach_reset is False): -theta dS[n] for reset='subtract', "
                     "-(beta U[n] + I[n]) dS[n] for reset='zero'.",
    "reset_when_detached": "with params.detach_reset True the reset carries no gradient: leave "
                           "the dS[n] terms out of dU[n+1] (but keep the (1 - S[n]) factor of "
                           "the zero reset).",
    "reset_sign": "the reset term has the wrong sign: U[n+1] = ... - theta S[n] gives "
                  "dU[n+1] = ... - theta dS[n] (and - (beta U[n] + I[n]) dS[n] for the zero "
                  "reset).",
    "no_keep": "the zero reset multiplies (beta dU[n] + dI[n]) by (1 - S[n]); that factor is "
               "missing.",
    "keep_dropped_when_detached": "with detach_reset=True you dropped the (1 - S[n]) factor of "
                                  "the zero reset as well: detaching removes only the dS[n] "
                                  "term.",
    "V_transposed": "V is transposed in sum_k' V_kk' dS_k'[n]: in the (B, A, C, N) layout it is "
                    "ds @ V.T (neuron k's sensitivity goes through its own incoming weights "
                    "V[k, :]).",
    "no_V_term": "the recurrent term sum_k' V_kk' dS_k'[n] of dI[n+1] is missing (ds @ V.T).",
    "no_dS_in": "the term sum_k' W_kk' dS_in_k'[n] of dI[n+1] is missing (dS_in @ W.T): the "
                "blocks of a layer below act on this layer through its input spikes.",
    "source_every_neuron": "the source term is added to every neuron k: entry (i, j) of the "
                           "layer's own W acts on neuron i only, dI_k[n+1] += delta_ik "
                           "source_j[n], i.e. dI_next[:, i, :, i] += source for each i.",
    "delay": "the one-step delay: U[n+1] = beta U[n] + I[n] - ... uses the current of step n, "
             "so dU[n+1] = beta dU[n] + dI[n] + ... takes the old dI (your argument), not the "
             "dI[n+1] you compute beside it.",
    "swap_leaks": "alpha and beta are swapped: dI[n+1] = alpha dI[n] + ... (the current decays "
                  "with alpha), dU[n+1] = beta dU[n] + dI[n] + ... (the membrane with beta).",
}
_HINTS["reset_minus_one"] = _HINTS["theta_one"]
MISTAKES = tuple(Mistake(name, hint, partial(step_with, mistake=name))
                 for name, hint in _HINTS.items())

GROUP_HINTS = {
    "fails only for the two-layer network": _HINTS["no_dS_in"],
    "fails only for thresholds other than 1": _HINTS["theta_one"],
    "fails only for reset=subtract with detach_reset=False":
        "the subtract reset U[n+1] = ... - theta S[n] puts -theta dS[n] into dU[n+1], with "
        "dS[n] = F'(U[n] - theta) dU[n] (the old dU, of step n).",
    "fails only for reset=zero with detach_reset=False":
        "the zero reset U[n+1] = (beta U[n] + I[n]) (1 - S[n]) puts -(beta U[n] + I[n]) dS[n] "
        "into dU[n+1], with dS[n] = F'(U[n] - theta) dU[n].",
    "fails only for detach_reset=True": _HINTS["reset_when_detached"],
    "fails only for reset=zero": _HINTS["no_keep"],
    "fails only for reset=subtract/zero with detach_reset=False": _HINTS["no_reset_term"],
    "fails only for the soft model":
        "in the soft model S[n] = F(U[n] - theta) is not 0/1: use S itself in (1 - S[n]) and "
        "F' = surrogate.derivative(U - theta) for dS.",
    "fails only for hard spikes":
        "with hard spikes S is 0/1, so nothing computed from S can stand in for dS/dU: "
        "dS[n] = surrogate.derivative(U[n] - theta) dU[n].",
    "fails only for surrogates other than SuperSpike": _HINTS["superspike_fixed"],
    "fails only for recurrent networks (with V)": _HINTS["V_transposed"],
    "fails across every kind of network":
        "networks of every kind disagree, but not all: look at dS[n] = F'(U[n] - theta) dU[n] "
        "with theta = params.threshold, and at the leaks (alpha for I, beta for U).",
    "fails for every network":
        "every network is off: check the source term delta_ik source_j[n], the one-step delay "
        "(dU[n+1] takes the old dI[n]) and the leaks (alpha for I, beta for U).",
}


#: the hint for an exception of the student's function: a shape error
EXCEPTION_HINTS = {
    "shape": "a shape error next to a weight usually means a transposed weight: in the "
             "(B, A, C, N) layout sum_k' W_kk' dS_in_k' is dS_in @ W.T and sum_k' V_kk' "
             "dS_k' is ds @ V.T; the state I, U, S is (B, N): broadcast it as "
             "X[:, None, None, :].",
}

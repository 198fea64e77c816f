"""Spec of the exercise ``dfa_update``: the direct-feedback-alignment error of one hidden LIF
layer over all steps (stub: ``stubs/dfa_update.py``).

The student's ``dfa_layer_error`` gives each hidden layer ``l`` its error at the membrane,
``delta[n] = F'(U[n] - theta) * H[l]^T gI_o[n+1]`` (the tutorial's DFA
``delta^l = sigma'(a^l) H^lT delta^L`` with the readout's synaptic error and its one-step
delay, :mod:`refsnn.grad.feedback`). The rest is the library's: the readout's adjoint
``gI_o`` (:func:`refsnn.grad.bptt.readout_adjoints`), the layer's own recursion in time with
``delta`` as the direct gradient on ``U[n]`` (:func:`refsnn.grad.bptt.layer_adjoints`: by
linearity the same as ``H^T gI_o[n+1]`` arriving at ``S[n]``), and the outer sums
(:func:`refsnn.grad.bptt.weight_gradient`). The result must agree with
:func:`refsnn.grad.direct_feedback_alignment`, computed here in the grader's process with the
same ``H``, to :data:`refsnn.gradcheck.AGREE_TOL` on every weight entry.

``H`` is drawn per network by :func:`refsnn.grad.random_feedback` from :data:`H_SEED`. Every
hidden layer has the readout's input width, so a submission that sends the error through
``W_o`` runs on every network and is named, not stopped by a shape error.

Read next: refsnn/exercises/solutions.py (after trying the exercises), then docs/design.md §11
on adding an exercise.
"""
from __future__ import annotations

import os
from functools import partial

import numpy as np

from .. import gradcheck
from ..grad.bptt import Grads, layer_adjoints, readout_adjoints, weight_gradient
from ..grad.feedback import direct_feedback_alignment
from ..grad.random_feedback import random_feedback
from .diagnosis import SURROGATE_HINTS, Mistake, mistaken_constants
from .networks import GROUPS as _ALL_GROUPS
from .networks import Net

NAME = "dfa_update"
FUNCTION = "dfa_layer_error"
SUMMARY = "direct feedback alignment: the DFA error of one hidden layer over all steps"
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs", "dfa_update.py")
PARAMETERS = ("gI_o", "W_o", "H", "U", "params", "surrogate")
OUTPUTS = ("delta",)
ORACLE = "refsnn.grad.direct_feedback_alignment"
TOLERANCE = gradcheck.AGREE_TOL
COLUMNS = ("W1", "V1", "W2", "V2", "W3", "V3", "Wout")
TITLE = (f"Your {FUNCTION} for every hidden layer (the recursion in time and the readout are "
         f"the library's) vs\n{ORACLE}, every weight entry, max relative error per "
         f"parameter (tolerance {TOLERANCE:.0e}):")
FOOTNOTE = ("(W1, V1 / W2, V2 / W3, V3: the DFA update of hidden layer 1 / 2 / 3 from your "
            "delta; Wout: the readout's exact gradient, the library's)")
PARAM_NAMES = {**{f"{kind}{l}": f"from your delta, hidden layer {l}" for l in (1, 2, 3)
                  for kind in "WV"}, "Wout": "readout, the library's"}
#: the seed of every grading network's feedback matrices H
H_SEED = 2016

NETWORKS = (
    Net("hard", "subtract", False, False),
    Net("hard", "subtract", False, True, surrogate=("sigmoid", 4.0), B=3),
    Net("hard", "zero", False, True, sizes=(3, 4, 4, 2), seed=4),
    Net("hard", "zero", True, False, sizes=(3, 4, 4, 2), B=3, seed=13),
    Net("hard", "none", False, True, surrogate=("piecewise_linear", 2.0), threshold=0.5,
        alpha=0.95, beta=0.6, B=3, seed=7),
    Net("soft", "subtract", False, True, sizes=(3, 4, 4, 2), seed=1),
    Net("soft", "zero", False, False, surrogate=("boxcar", 1.0)),
    Net("soft", "none", False, True, surrogate=("exponential", 3.0), threshold=1.7,
        alpha=0.5, beta=0.95, seed=8, gain=20.0),
    Net("hard", "subtract", True, True, sizes=(3, 4, 4, 4, 2), threshold=1.7, seed=22,
        gain=20.0),
    Net("soft", "subtract", False, True, sizes=(3, 4, 4, 4, 2), surrogate=("sigmoid", 4.0),
        threshold=0.5, B=3, seed=4),
    Net("hard", "zero", False, True, sizes=(3, 4, 4, 4, 2), surrogate=("exponential", 3.0),
        seed=22),
)


def feedback(net):
    """The fixed feedback matrices ``H[l]`` ``(n_out, n_l)`` of a grading network."""
    return random_feedback(net, "dfa", H_SEED)


def expected(args):
    """``(label, shape)`` of the one output of a call: ``delta`` like ``U``."""
    return [("delta", args[3].shape)]


def network_gradient(call, net, trace, d_readout):
    """The DFA gradient with ``call`` giving every hidden layer's error ``delta``."""
    L, H = net.n_hidden_layers, feedback(net)
    gI_o = readout_adjoints(net, trace, d_readout)
    gW, gV = [None] * L + [weight_gradient(gI_o, trace.S[L - 1])], [None] * L
    for l in range(L):
        delta = call(gI_o, net.W[L], H[l], trace.U[l], net.params, net.surrogate,
                     where=f"hidden layer {l + 1}")
        gI = layer_adjoints(trace.I[l], trace.U[l], trace.S[l], net.V[l], net.params,
                            net.surrogate, np.zeros_like(delta), delta, spike=trace.spike)[0]
        gW[l] = weight_gradient(gI, trace.S[l - 1] if l else trace.x)
        gV[l] = None if net.V[l] is None else weight_gradient(gI, trace.S[l])
    return Grads(W=gW, V=gV)


def reference(net, trace, d_readout):
    """The library's DFA gradient with the network's ``H``: the verdict's oracle, and what the
    hints measure a submission against."""
    return direct_feedback_alignment(net, trace, d_readout, feedback(net))


def check(grad_fn, cfg, net, x, target):
    """The verdict: agreement with the library's DFA on every weight entry (docs/design.md
    §6.2)."""
    trace, d = cfg.loss_gradient(net, x, target)
    return gradcheck.compare(grad_fn(net, trace, d), reference(net, trace, d), tol=TOLERANCE,
                             title=f"{FUNCTION} vs direct_feedback_alignment")


# ---------------------------------------------------------------------- classic mistakes
def error_with(gI_o, W_o, H, U, params, surrogate, mistake=None):
    """The stub's ``dfa_layer_error`` in NumPy, with one named ``mistake`` (None: correct)."""
    B, T, N = U.shape
    _, _, _, fp = mistaken_constants(mistake, U, params, surrogate)
    M = W_o if mistake == "through_W_o" else H
    lag = 0 if mistake == "wrong_step" else 1
    fp = fp[:, 1:] if mistake == "fprime_wrong_step" else fp[:, :T - 1]
    delta = np.zeros((B, T, N))
    delta[:, :T - 1] = fp * (gI_o[:, lag:T - 1 + lag] @ M)
    return delta


THETA_HINT = ("the threshold is hard-coded to 1, and the grading networks have theta = 0.5 and "
              "1.7 too: use theta = params.threshold in F'(U[n] - theta).")
_HINTS = {
    "through_W_o": "the error is sent through W_o, the readout's forward weights: that is "
                   "BPTT's top layer, not DFA. Each hidden layer gets the readout's error "
                   "through its own fixed random H: delta[n] = F'(U[n] - theta) * "
                   "(gI_o[:, n+1] @ H).",
    "wrong_step": "the error is sent at the wrong step: I_o[n+1] depends on the spikes S[n], "
                  "so the error at S[n] is H^T gI_o[n+1] (gI_o[:, 1:] @ H into delta[:, :-1]), "
                  "not H^T gI_o[n]; delta[:, T-1] = 0.",
    "no_fprime": "F' is missing: H^T gI_o[n+1] is the error at the spikes S[n]; delta[n], the "
                 "error at the membrane U[n], is F'(U[n] - theta) times it, with "
                 "F' = surrogate.derivative(U - theta).",
    "fprime_wrong_step": "F' is taken one step late: delta[n] is the error at U[n], so it is "
                         "F'(U[n] - theta) * (H^T gI_o[n+1]), F' of the same step n as "
                         "delta[n] (only the readout's error comes from step n+1).",
    "theta_one": THETA_HINT,
    **SURROGATE_HINTS,
}
MISTAKES = tuple(Mistake(name, hint, partial(error_with, mistake=name))
                 for name, hint in _HINTS.items())

#: the groups of networks a failure is located in: the library's, with the two-layer group
#: widened to every network with more than one hidden layer
GROUPS = (("fails only for networks with more than one hidden layer", lambda c: c.layers > 1),
          ) + tuple(g for g in _ALL_GROUPS if g[0] != "fails only for the two-layer network")

_ONLY_U = ("your delta depends only on gI_o, H and U (and theta, F'), so the network's {} "
           "should not matter: look at F'(U[n] - theta) with theta = params.threshold, and at "
           "the step of gI_o (n+1).")
GROUP_HINTS = {
    "fails only for networks with more than one hidden layer":
        "only networks with several hidden layers disagree: every hidden layer gets the "
        "readout's error through its own H (the H of the call, of shape (n_out, N)), never "
        "through W_o or the layer above, with F' at its own U.",
    "fails only for thresholds other than 1": THETA_HINT,
    "fails only for reset=subtract with detach_reset=False": _ONLY_U.format("reset"),
    "fails only for reset=zero with detach_reset=False": _ONLY_U.format("reset"),
    "fails only for detach_reset=True": _ONLY_U.format("reset"),
    "fails only for reset=zero": _ONLY_U.format("reset"),
    "fails only for reset=subtract/zero with detach_reset=False": _ONLY_U.format("reset"),
    "fails only for the soft model":
        "in the soft model S[n] = F(U[n] - theta) is not 0/1, but delta needs no S at all: "
        "F' = surrogate.derivative(U - theta) for hard and soft spikes alike.",
    "fails only for hard spikes":
        "with hard spikes S is 0/1, so nothing computed from S can stand in for dS/dU: "
        "the surrogate derivative is surrogate.derivative(U[n] - theta).",
    "fails only for surrogates other than SuperSpike": _HINTS["superspike_fixed"],
    "fails only for recurrent networks (with V)": _ONLY_U.format("recurrence V"),
    "fails across every kind of network":
        "networks of every kind disagree, but not all of them: look at F'(U[n] - theta) with "
        "theta = params.threshold and at the step of the error (gI_o[n+1] reaches delta[n]).",
    "fails for every network":
        "every network is off: delta[n] = F'(U[n] - theta) * (H^T gI_o[n+1]) for n < T-1 and "
        "delta[T-1] = 0, i.e. delta[:, :-1] = F' * (gI_o[:, 1:] @ H); H, not W_o.",
}

#: the hint for an exception of the student's function: a shape error, an index error
EXCEPTION_HINTS = {
    "shape": "a shape error next to the feedback matrix: H is (n_out, N) and gI_o is "
             "(B, T, n_out), so H^T gI_o[n+1] for every sample is gI_o[:, n+1] @ H (shape "
             "(B, N)); W_o (n_out, N_top) is the wrong matrix and may not even fit.",
    "index": "an index error in time: arrays have T steps 0..T-1 and delta[n] uses "
             "gI_o[n+1], so it is defined for n = 0 .. T-2 and delta[T-1] = 0.",
}

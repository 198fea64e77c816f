r"""Spec of the exercise ``activity_regulariser``: the gradient of Zenke & Vogels' lower bound on
the spike counts (stub: ``stubs/activity_regulariser.py``).

The student's ``lower_bound_grad(S, lam, v_lower)`` returns ``dg/dS`` of the per-neuron lower
bound (Zenke & Vogels 2021 §4.2.5, "lessons from deep learning" Eq. 41), averaged over the
batch as the paper's ``L_reg = (1/N) sum_mu g^mu``:

.. math::

    g = \frac1B \sum_b \frac{\lambda}{M} \sum_i \left([v_{lower} - \zeta_{bi}]_+\right)^2,
    \qquad \zeta_{bi} = \sum_n S_{bi}[n].

Each grading network's loss is the readout's MSE (:func:`refsnn.losses.mse`, the grading
networks' loss) plus this bound on *every* hidden layer. The composition puts the student's
``dS`` of each hidden layer into :func:`refsnn.bptt` as ``gS_ext`` (the library everywhere
else), and the resulting weight gradients must agree with the same BPTT run on the library's
:func:`refsnn.losses.lower_bound` to :data:`refsnn.gradcheck.AGREE_TOL` on every entry.

Why agreement (docs/design.md §6.2) and not finite differences (§6.1): the student's function
is a function of the spikes alone, and both things it is composed with are proven by finite
differences elsewhere -- ``losses.lower_bound``'s gradient on its own and through whole
networks (``tests/test_spike_losses.py``), ``bptt``'s ``gS_ext`` path by ``check_network``
-- and ``tests/test_activity_regulariser.py`` proves this spec's reference gradient by finite
differences on two of its networks. Agreement is therefore the same proof, and it costs a
fraction of a second per network where finite differences of every weight entry cost about a
minute for a run (the ``lif_bptt`` grader, measured under load).

The bound of hidden layer ``l`` on a grading network is ``lam = LAMS[l]`` and ``v_lower`` the
layer's mean spike count over samples and neurons in the recorded forward pass
(:func:`bound`), so that it acts on some neurons (those below the mean) and not on the others
in every network; the tests check that both kinds occur. Every hidden layer's width differs
from the network's batch size, so a dropped ``1/M`` and a dropped ``1/B`` are told apart.

Read next: refsnn/exercises/solutions.py (after trying the exercises), then docs/design.md §11
on adding an exercise.
"""
from __future__ import annotations

import os
from functools import partial

import numpy as np

from .. import gradcheck, losses
from ..grad.bptt import bptt
from .diagnosis import Mistake
from .networks import Net

NAME = "activity_regulariser"
FUNCTION = "lower_bound_grad"
SUMMARY = ("activity regularisation: the gradient dg/dS of Zenke & Vogels' lower bound on the "
           "spike counts")
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs",
                    "activity_regulariser.py")
PARAMETERS = ("S", "lam", "v_lower")
OUTPUTS = ("dS",)
ORACLE = "refsnn.bptt with refsnn.losses.lower_bound"
TOLERANCE = gradcheck.AGREE_TOL
TITLE = (f"Your {FUNCTION} on every hidden layer, through refsnn.bptt (gS_ext), vs the same "
         f"with refsnn.losses.lower_bound,\nevery weight entry, max relative error per "
         f"parameter (tolerance {TOLERANCE:.0e}):")
FOOTNOTE = ("(W1, V1 / W2, V2: hidden layer 1 / 2's weights, which your dS of that layer and of "
            "the layers above reaches; Wout: the readout's, which the bound does not reach)")
PARAM_NAMES = {"W1": "hidden layer 1", "V1": "hidden layer 1, recurrent",
               "W2": "hidden layer 2", "V2": "hidden layer 2, recurrent",
               "Wout": "readout, the bound does not reach it"}
#: lambda of the bound on hidden layer 1, 2 (neither is 1: a hard-coded lambda fails)
LAMS = (0.7, 1.6)

NETWORKS = (
    Net("hard", "subtract", False, False, sizes=(3, 5, 2)),
    Net("hard", "zero", True, True, sizes=(3, 4, 2), B=3, seed=5),
    Net("soft", "subtract", False, False, sizes=(3, 5, 2), seed=4),
    Net("soft", "none", False, True, sizes=(3, 4, 2), B=3, surrogate=("sigmoid", 4.0), seed=7),
    Net("hard", "subtract", False, True, sizes=(3, 4, 5, 2), T=20, seed=8),
    Net("soft", "zero", False, False, sizes=(3, 5, 4, 2), B=3, T=20, seed=2),
)


def bound(S, layer):
    """``(lam, v_lower)`` of the bound on hidden layer ``layer`` (0-based) with spikes ``S``
    ``(B, T, M)``: ``LAMS[layer]`` and the mean spike count over samples and neurons."""
    return LAMS[layer], float(np.asarray(S).sum(axis=1).mean())


def expected(args):
    """``(label, shape)`` of the one output of a call: ``dS`` like ``S``."""
    return [("dS", args[0].shape)]


def network_gradient(call, net, trace, d_readout):
    """BPTT of the readout's loss plus the lower bound on every hidden layer, with ``call``
    giving each hidden layer's ``dg/dS`` (the ``gS_ext`` of :func:`refsnn.bptt`)."""
    gS = {}
    for l in range(net.n_hidden_layers):
        lam, v_lower = bound(trace.S[l], l)
        gS[l] = call(trace.S[l], lam, v_lower, where=f"hidden layer {l + 1}")
    return bptt(net, trace, d_readout, gS_ext=gS)


def reference(net, trace, d_readout):
    """The same gradient with the library's :func:`refsnn.losses.lower_bound`: the verdict's
    oracle, and what the hints measure a submission against."""
    gS = {l: losses.lower_bound(trace.S[l], *bound(trace.S[l], l))[1]
          for l in range(net.n_hidden_layers)}
    return bptt(net, trace, d_readout, gS_ext=gS)


def objective(trace):
    """The loss whose gradient :func:`reference` is, as a :class:`refsnn.losses.Objective`
    (the readout's MSE plus the bound on every hidden layer at the recorded ``v_lower``), for
    the finite-difference proof of the tests."""
    regs = [(l, losses.lower_bound, dict(zip(("lam", "v_lower"), bound(trace.S[l], l))))
            for l in range(len(trace.S))]
    return losses.Objective(losses.mse, regularisers=regs, predict=lambda r: None)


def check(grad_fn, cfg, net, x, target):
    """The verdict: agreement with :func:`reference` on every weight entry (docs/design.md §6.2)."""
    trace, d = cfg.loss_gradient(net, x, target)
    return gradcheck.compare(grad_fn(net, trace, d), reference(net, trace, d), tol=TOLERANCE,
                             title=f"{FUNCTION} through bptt vs losses.lower_bound")


# ---------------------------------------------------------------------- classic mistakes
def grad_with(S, lam, v_lower, mistake=None):
    """The stub's ``lower_bound_grad`` in NumPy, with one named ``mistake`` (None: correct)."""
    B, T, M = S.shape
    S = (S > 0).astype(float) if mistake == "binarised_spikes" else S
    zeta = S.mean(axis=1) if mistake == "mean_over_time" else S.sum(axis=1)   # (B, M)
    deficit = v_lower - zeta
    if mistake != "no_rectifier":
        deficit = np.maximum(deficit, 0.0)                     # [v_lower - zeta]_+
    scale = {"no_mean_over_neurons": 2 * lam / B, "no_factor_2": lam / (B * M),
             "batch_sum": 2 * lam / M}.get(mistake, 2 * lam / (B * M))
    d = (scale if mistake == "sign_flipped" else -scale) * deficit
    if mistake == "mean_over_time":
        d = d / T                                              # d zeta / dS[n] = 1/T then
    dS = np.zeros((B, T, M))
    if mistake == "last_step_only":
        dS[:, -1] = d
    else:
        dS[:] = d[:, None, :]                                  # the same at every step n
    return dS


_HINTS = {
    "no_rectifier": "the rectifier is missing: the bound penalises only neurons that fire "
                    "less than v_lower, g = (lam/M) sum_i ([v_lower - zeta_i]_+)^2, so its "
                    "gradient is 0 for zeta_i >= v_lower. Use np.maximum(v_lower - zeta, 0); "
                    "without it you push busy neurons down to v_lower too.",
    "no_mean_over_neurons": "your gradient is M times too large (M = the layer's number of "
                            "neurons, S.shape[2]): g carries the mean over neurons lam/M, so "
                            "dg/dS carries 1/M too.",
    "no_factor_2": "the factor 2 of the square is missing: d/dzeta ([v_lower - zeta]_+)^2 = "
                   "-2 [v_lower - zeta]_+.",
    "sign_flipped": "the sign is flipped: g falls as zeta rises towards v_lower, so dg/dS = "
                    "-(2 lam / (B M)) [v_lower - zeta]_+ is negative (gradient descent then "
                    "raises the counts of quiet neurons).",
    "batch_sum": "your gradient is B times too large (B = the batch size, S.shape[0]): the "
                 "regulariser is averaged over the samples, L_reg = (1/B) sum_b g_b "
                 "(Zenke & Vogels' (1/N) sum_mu), so every sample's gradient carries 1/B.",
    "mean_over_time": "the spike count is a sum over time, zeta_i = sum_n S_i[n] "
                      "(S.sum(axis=1)), not a mean: with the mean both v_lower - zeta and "
                      "d zeta/dS[n] are wrong.",
    "last_step_only": "the gradient is only at one step: zeta_i = sum_n S_i[n] depends on "
                      "every step equally, d zeta_i / dS_i[n] = 1, so dg/dS[:, n, i] is the "
                      "same for every n (broadcast (B, M) over time with [:, None, :]).",
    "binarised_spikes": "you counted the spikes as S > 0 (or rounded them): on the smooth "
                        "model S is real-valued, F(U - theta) in (0, 1), and the count is "
                        "the plain sum zeta = S.sum(axis=1).",
}
MISTAKES = tuple(Mistake(name, hint, partial(grad_with, mistake=name))
                 for name, hint in _HINTS.items())

#: the groups of networks a failure is located in (the student's function sees only S)
GROUPS = (
    ("fails only for networks with two hidden layers", lambda c: c.layers == 2),
    ("fails only for the soft model", lambda c: c.spike == "soft"),
    ("fails only for hard spikes", lambda c: c.spike == "hard"),
    ("fails only for batches of three", lambda c: c.B == 3),
    ("fails across every kind of network", lambda c: True),
)
GROUP_HINTS = {
    "fails only for networks with two hidden layers":
        "only the networks with two hidden layers disagree: your function is called once per "
        "hidden layer with that layer's S, lam and v_lower; use S.shape for B, T and M and "
        "the lam and v_lower you are given, nothing fixed.",
    "fails only for the soft model":
        "only the soft networks disagree: there S is real-valued (F(U - theta)), so count "
        "with the plain sum S.sum(axis=1) and do not threshold or round S.",
    "fails only for hard spikes":
        "only the hard-spike networks disagree: there S is 0/1 and the counts are integers; "
        "look at how you treat a count that equals v_lower or exceeds it ([x]_+ = 0 for "
        "x <= 0).",
    "fails only for batches of three":
        "only the networks with three samples disagree: average over the batch with "
        "B = S.shape[0], and compute each sample's counts and deficits apart.",
    "fails across every kind of network":
        "networks of every kind disagree, but not all of them: check the rectifier "
        "[v_lower - zeta]_+ per sample and neuron, and that lam and v_lower are the ones "
        "you are given.",
    "fails for every network":
        "every network is off: dg/dS[b, n, i] = -(2 lam / (B M)) [v_lower - zeta_bi]_+ with "
        "zeta_bi = sum_n S[b, n, i], the same for every step n, and 0 where zeta >= v_lower.",
}

#: the hint for an exception of the student's function: a shape error, an index error
EXCEPTION_HINTS = {
    "shape": "a shape error: the counts zeta = S.sum(axis=1) have shape (B, M), the gradient "
             "has S's shape (B, T, M); broadcast a (B, M) array over time with [:, None, :] "
             "(or np.repeat(..., T, axis=1)).",
    "index": "an index error: S is (B, T, M) = (samples, steps, neurons); the count sums "
             "axis 1 (time).",
}

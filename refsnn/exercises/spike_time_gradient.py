r"""Spec of the exercise ``spike_time_gradient``: the exact spike-time gradient of one neuron of
Mostafa's model (stub: ``stubs/spike_time_gradient.py``).

The grading cases are small feed-forward networks of non-leaky integrate-and-fire neurons
with exponential synaptic currents (the tutorial's Eq. 18, Mostafa 2018; time in units of the
synaptic time constant, threshold 1, one spike per neuron), written here in closed form in
``z = exp(t)``, independently of the student's code and of the library's
:mod:`refsnn.timing` (:func:`neuron`, :func:`forward`). The student's ``spike_time_gradient``
is called for every neuron that fires, in every sample, and its two outputs are chained from
the output layer down (:func:`network_gradient`):

.. math::

    \frac{\partial L}{\partial w^{(l)}_{ji}} = \sum_b g_{bj}\,
    \frac{\partial z_j}{\partial w_{ji}}, \qquad
    g^{(l-1)}_{bi} = \sum_j g_{bj}\, \frac{\partial z_j}{\partial z_i}, \qquad
    g^{(L)} = z^{(L)} - z^{\mathrm{target}}

for the loss :math:`L = \tfrac12 \sum (z^{(L)} - z^{\mathrm{target}})^2`. The verdict
(:func:`check`) compares every weight entry with central differences of that loss, evaluated
by the closed-form forward in ``numpy.longdouble``, the causal sets as the pieces
(:func:`refsnn.gradcheck.numerical_gradient` shrinks a step that would change one), at
:data:`refsnn.gradcheck.FD_TOL`. The exact gradient the hints measure against is
:func:`reference`, the same chain rule with the closed-form derivatives of the causal sets
the forward found.

The cases (:data:`NETWORKS`) include neurons whose first prefix of inputs with summed weight
above 1 crosses threshold only after the next input has arrived (``late``: the causal set is
longer), inhibitory (negative) weights, inputs and hidden neurons that never spike (``t =
inf``), one and two hidden layers.

Read next: refsnn/exercises/solutions.py (after trying the exercises), then docs/design.md §11
on adding an exercise.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from functools import partial

import numpy as np

from .. import gradcheck
from ..trace import Grads
from .diagnosis import Mistake

NAME = "spike_time_gradient"
FUNCTION = "spike_time_gradient"
SUMMARY = "the exact spike-time gradient of one neuron (Mostafa 2018): dz_out/dw, dz_out/dz_in"
STUB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "stubs", "spike_time_gradient.py")
PARAMETERS = ("t_in", "w")
OUTPUTS = ("dz_dw", "dz_dz_in")
ORACLE = "finite differences"
TOLERANCE = gradcheck.FD_TOL
#: and float64 arithmetic: normwise agreement with :func:`reference` (float64 solutions agree
#: to about 1e-16 on these networks)
PRECISION_TOL = gradcheck.AGREE_TOL
COLUMNS = ("W1", "W2", "Wout")
HEADER = f"{'sizes':<12}{'B':<3}{'inhibitory':<12}{'silent':<8}{'late':<6}"
TITLE = (f"Your {FUNCTION} in every neuron that fires, chained through the layers, vs finite "
         f"differences of the network's loss,\nevery weight entry, max relative error per "
         f"parameter (tolerance {TOLERANCE:.0e}):")
FOOTNOTE = ("(W1 / W2: the weights into hidden layer 1 / 2, they need your dz_out/dz_in of the "
            "layers above; Wout: the output layer's, your dz_out/dw alone)")
PARAM_NAMES = {"W1": "into hidden layer 1", "W2": "into hidden layer 2", "Wout": "output layer"}


# ---------------------------------------------------------------------- the model
def neuron(z, w):
    """``(z_out, causal)`` of one neuron: inputs ``z`` (n,) (``inf``: no spike), weights ``w``.

    The first prefix ``C_k`` of the inputs sorted by time with ``sum w > 1`` and
    ``z_out(C_k) = sum w z / (sum w - 1)`` before the next input is causal; none: no spike.
    Computed in the arrays' precision (longdouble for the finite differences).
    """
    order = np.argsort(z, kind="stable")
    causal = np.zeros(z.shape, dtype=bool)
    W_C = S_C = 0 * w[0]
    for k, i in enumerate(order):
        if not np.isfinite(z[i]):
            break
        W_C, S_C = W_C + w[i], S_C + w[i] * z[i]
        nxt = z[order[k + 1]] if k + 1 < len(z) else np.inf
        if W_C > 1 and S_C / (W_C - 1) < nxt:
            causal[order[:k + 1]] = True
            return S_C / (W_C - 1), causal
    return np.inf + 0 * w[0], causal


@dataclass
class Record:
    """A forward pass: ``z[l]`` (B, n_l) per layer (inputs first), ``t[l] = log z[l]``,
    ``causal[l]`` (B, n_{l+1}, n_l) the causal set of every neuron of layer ``l+1``."""

    z: list
    t: list
    causal: list


def forward(W, t_in, dtype=np.float64):
    """The closed-form forward pass of a network with weights ``W[l]`` (n_{l+1}, n_l)."""
    z = [np.exp(np.asarray(t_in, dtype=dtype))]
    causal = []
    for w in W:
        w = np.asarray(w, dtype=dtype)
        out = np.empty((z[-1].shape[0], w.shape[0]), dtype=dtype)
        C = np.zeros(out.shape + (w.shape[1],), dtype=bool)
        for b in range(out.shape[0]):
            for j in range(out.shape[1]):
                out[b, j], C[b, j] = neuron(z[-1][b], w[j])
        z.append(out)
        causal.append(C)
    return Record(z=z, t=[np.log(v) for v in z], causal=causal)


@dataclass
class SpikeTimeNet:
    """A grading network: its weights ``W`` (a list of (n_post, n_pre) arrays)."""

    W: list

    def parameters(self):
        return [(f"W[{l}]", w) for l, w in enumerate(self.W)]


@dataclass(frozen=True)
class Case:
    """One grading network: sizes, batch, seed and the kinds of neuron it contains."""

    sizes: tuple
    B: int = 2
    seed: int = 0
    inhibitory: bool = False   # negative weights
    silent: bool = False       # an input or hidden neuron that never spikes
    late: bool = False         # a neuron whose first prefix above 1 is not its causal set
    mean: float = 1.8          # the weights' mean and spread, times 1 / n_pre
    spread: float = 0.5

    @property
    def layers(self) -> int:
        return len(self.sizes) - 2

    def describe(self) -> str:
        yes = {True: "yes", False: "-"}
        return (f"{'-'.join(map(str, self.sizes)):<12}{self.B:<3}{yes[self.inhibitory]:<12}"
                f"{yes[self.silent]:<8}{yes[self.late]:<6}")

    def summary(self) -> str:
        return (f"sizes {'-'.join(map(str, self.sizes))}, batch {self.B}, seed {self.seed}"
                + "".join(f", {k}" for k in ("inhibitory", "silent", "late") if getattr(self, k)))

    def problem(self):
        """``(net, t_in, target)``: seeded weights, input times in [0, 1.5) (one input of the
        first sample silent if ``silent``), targets near the outputs' ``z``."""
        rng = np.random.default_rng(self.seed)
        W = [rng.normal(self.mean, self.spread, (n, m)) / m
             for m, n in zip(self.sizes[:-1], self.sizes[1:])]
        t_in = rng.uniform(0.0, 1.5, (self.B, self.sizes[0]))
        if self.silent:
            t_in[0, -1] = np.inf
        z_out = forward(W, t_in).z[-1]
        return SpikeTimeNet(W), t_in, z_out * np.exp(rng.normal(0.0, 0.3, z_out.shape))

    def loss_gradient(self, net, t_in, target):
        """``(record, dL/dz_out)`` of the loss ``1/2 sum (z_out - target)^2``."""
        rec = forward(net.W, t_in)
        return rec, rec.z[-1] - target


NETWORKS = (
    Case((4, 2), B=2, seed=13, mean=10.0, spread=0.3),
    Case((5, 3), B=3, seed=2, inhibitory=True, late=True, spread=1.0),
    Case((4, 3, 2), B=2, seed=0, late=True),
    Case((4, 4, 2), B=3, seed=3, inhibitory=True, late=True, spread=1.0),
    Case((3, 4, 2), B=2, seed=3, silent=True, late=True),
    Case((5, 3, 2), B=3, seed=0, silent=True, late=True),
    Case((4, 3, 3, 2), B=2, seed=3, inhibitory=True, late=True, mean=2.5, spread=1.0),
    Case((6, 2), B=3, seed=2, inhibitory=True, late=True, spread=1.0),
)


# ---------------------------------------------------------------------- composition
def expected(args):
    """``(label, shape)`` of each output of one call: both like ``w``."""
    return [("dz_dw", args[1].shape), ("dz_dz_in", args[1].shape)]


def network_gradient(call, net, rec, d_readout):
    """``dL/dW`` with ``call`` giving every firing neuron's two derivatives (module docstring)."""
    L = len(net.W)
    g, gW = np.array(d_readout, dtype=float), [None] * L
    for l in range(L - 1, -1, -1):
        gW[l] = np.zeros(net.W[l].shape)
        below = np.zeros(rec.z[l].shape)
        for b in range(below.shape[0]):
            for j in range(net.W[l].shape[0]):
                if np.isfinite(rec.z[l + 1][b, j]):
                    dz_dw, dz_dz = call(rec.t[l][b].copy(), net.W[l][j].copy(),
                                        where=f"layer {l + 1}, neuron {j}, sample {b}")
                    gW[l][j] += g[b, j] * dz_dw
                    below[b] += g[b, j] * dz_dz
        g = below
    return Grads(W=gW, V=[None] * L)


def reference(net, rec, d_readout):
    """The exact gradient from the causal sets ``rec`` found: the closed form, vectorised."""
    L = len(net.W)
    g, gW = np.array(d_readout, dtype=float), [None] * L
    for l in range(L - 1, -1, -1):
        C, z_in, z_out = rec.causal[l], rec.z[l], rec.z[l + 1]
        fired = np.isfinite(z_out)
        denom = np.where(fired, np.einsum("bji,ji->bj", C, net.W[l]) - 1.0, 1.0)
        gain = np.where(fired, g, 0.0) / denom                         # g_j / (sum_C w - 1)
        diff = np.where(C, np.where(C, z_in[:, None, :], 0.0)
                        - np.where(fired, z_out, 0.0)[:, :, None], 0.0)  # z_i - z_out on C
        gW[l] = np.einsum("bj,bji->ji", gain, diff)
        g = np.einsum("bj,bji,ji->bi", gain, C, net.W[l])
    return Grads(W=gW, V=[None] * L)


def check(grad_fn, cfg, net, t_in, target):
    """The verdict: every weight entry against central differences of the loss (module
    docstring), the causal sets and the set of neurons that fire as the pieces."""
    rec, d = cfg.loss_gradient(net, t_in, target)
    grads = dict(grad_fn(net, rec, d).parameters())

    def loss():
        r = forward(net.W, t_in, dtype=np.longdouble)
        pieces = np.concatenate([c.ravel() for c in r.causal] + [np.isfinite(z).ravel()
                                                                 for z in r.z])
        return np.sum((r.z[-1] - target) ** 2) / 2, pieces.astype(np.int64)

    report = gradcheck.Report(f"{FUNCTION} vs finite differences", TOLERANCE)
    for name, W in net.parameters():
        idx = list(np.ndindex(W.shape))
        num = gradcheck.numerical_gradient(loss, W, idx, eps=1e-4, method="central4")
        report.add(name, [grads[name][i] for i in idx], num, idx)
    return report


# ---------------------------------------------------------------------- classic mistakes
def gradient_with(t_in, w, mistake=None):
    """The stub's ``spike_time_gradient`` in NumPy, with one named ``mistake`` (None: correct).

    Every prefix ``C_k`` of the inputs in time order at once: its ``sum w``, ``sum w z``, the
    ``z_out`` it would give and the next input's ``z``; the first valid one is ``C``."""
    z = t_in.copy() if mistake == "t_not_z" else np.exp(t_in)
    order = np.argsort(t_in, kind="stable")
    zs, ws = z[order], w[order]
    spiked = np.isfinite(zs)
    W_k = np.cumsum(ws)
    S_k = np.cumsum(np.where(spiked, ws * np.where(spiked, zs, 0.0), 0.0))
    nxt = np.append(zs[1:], np.inf)
    with np.errstate(divide="ignore", invalid="ignore"):
        z_k = S_k / (W_k - 1)
    valid = spiked & (W_k > 1)
    if mistake != "causal_first_prefix":
        valid &= z_k < nxt
    k = int(np.argmax(valid))
    C = np.zeros(len(z), dtype=bool)
    C[order[:k if mistake == "causal_missing_last" else k + 1]] = True
    denom = W_k[k] if mistake == "no_minus_one" else W_k[k] - 1
    on = np.isfinite(z) if mistake == "all_inputs" else C
    dz_dw = np.where(on, np.where(on, z, 0.0) - z_k[k], 0.0) / denom
    dz_dz = np.where(C, w * np.where(C, z, 0.0) if mistake == "dz_dt" else w, 0.0) / denom
    return dz_dw, dz_dz


CAUSAL = ("the causal set is wrong by one input: sort the inputs by time and take the first "
          "prefix C with sum_C w > 1 AND z_out(C) = sum_C w z / (sum_C w - 1) < z of the next "
          "input; ")
_HINTS = {
    "causal_first_prefix": CAUSAL + "you stop at the first prefix whose weights sum above 1, "
                           "but if its crossing would come after the next input arrives, that "
                           "input is causal too (keep going).",
    "causal_missing_last": CAUSAL + "your C leaves out its last input (an off-by-one: the "
                           "prefix of the k+1 earliest inputs is order[:k + 1]); that input "
                           "is causal, its derivatives are not 0.",
    "t_not_z": "the formulas are in z = exp(t), not in t: z_i = np.exp(t_in[i]), z_out = "
               "sum_C w z / (sum_C w - 1), dz_out/dw_i = (z_i - z_out) / (sum_C w - 1).",
    "no_minus_one": "the denominator is sum_C w - 1, not sum_C w: the - 1 is the threshold "
                    "(e^t (sum_C w - 1) = sum_C w z from U(t) = 1).",
    "all_inputs": "an input outside the causal set (it arrives after the output spike) cannot "
                  "change z_out: its dz_out/dw is 0, not (z_i - z_out) / (sum_C w - 1).",
    "dz_dt": "the second output is dz_out/dz_i = w_i / (sum_C w - 1), the derivative by the "
             "input's z, not by its t (that would be times z_i).",
}
MISTAKES = tuple(Mistake(name, hint, partial(gradient_with, mistake=name))
                 for name, hint in _HINTS.items())

#: ``(name, predicate)`` of the groups a failure is located in, most specific first
GROUPS = (
    ("fails only where the first prefix above 1 is not causal", lambda c: c.late),
    ("fails only where an input or neuron never spikes", lambda c: c.silent),
    ("fails only with inhibitory (negative) weights", lambda c: c.inhibitory),
    ("fails only for networks with a hidden layer", lambda c: c.layers >= 1),
    ("fails across every kind of network", lambda c: True),
)
GROUP_HINTS = {
    "fails only where the first prefix above 1 is not causal": _HINTS["causal_first_prefix"],
    "fails only where an input or neuron never spikes":
        "t_in[i] = inf (no spike) gives z_i = inf: such an input is never causal and its "
        "derivatives are 0; build the results with np.where, since inf * 0 is nan.",
    "fails only with inhibitory (negative) weights":
        "a negative weight is still in the causal set if its input arrives before the spike: "
        "it enters sum_C w and sum_C w z; test the prefixes in time order, not by weight.",
    "fails only for networks with a hidden layer":
        "only networks with a hidden layer disagree, so dz_out/dz_in is off (it carries the "
        "error to the layer below): dz_out/dz_i = w_i / (sum_C w - 1) on C, 0 elsewhere.",
    "fails across every kind of network":
        "networks of every kind disagree, but not all: check the causal set (both conditions, "
        "in time order) and the - 1 in sum_C w - 1.",
    "fails for every network":
        "every network is off: z_i = exp(t_i); dz_out/dw_i = (z_i - z_out) / (sum_C w - 1) and "
        "dz_out/dz_i = w_i / (sum_C w - 1) on the causal set C, 0 outside it.",
}
#: the hint for an exception of the student's function
EXCEPTION_HINTS = {
    "index": "an index error: after sorting (order = np.argsort(t_in)), the input after the "
             "last one does not exist; treat its z as inf.",
    "shape": "a shape error: t_in and w are 1-D arrays of n_in entries; return two arrays of "
             "that shape.",
}

"""Hand-written BPTT (refsnn.grad.bptt) proven by the gradcheck contract (docs/design.md §6).

1. Smooth model (spike="soft", detach_reset=False): BPTT equals finite differences of the
   loss to 1e-6 relative, entry by entry.
2. Surrogate model (spike="hard") and detached resets: BPTT equals finite differences of the
   frozen-spike model (refsnn.reference, anchor=...), whose exact derivative is by
   construction the surrogate gradient. (Agreement with forward-mode RTRL is in tests/test_forward.py.)
Both over seeded random draws of depth (1-3), width (2-20), recurrence, T (5-50), reset mode,
detach_reset, surrogate and its scale, time constants and loss.
"""
import dataclasses

import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, gradcheck, losses, reference
from conftest import random_problem

RESETS = ("subtract", "zero", "none")


@pytest.mark.parametrize("seed", range(30))
def test_bptt_vs_finite_differences_random_networks(seed):
    net, x, loss, target, spike, info = random_problem(seed)
    report = gradcheck.check_network(net, x, loss, target, spike=spike, n_samples=6, rng=seed)
    assert report.passed, f"{info}\n{report}"
    tr = net.simulate(x, spike=spike)
    grads = bptt(net, tr, loss(tr.readout, target)[1])
    assert np.any(grads.W[0] != 0), f"vacuous draw: no gradient reaches the first layer {info}"
    assert report.skipped == 0, f"{info}\n{report}"


@pytest.mark.parametrize("reset", RESETS)
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("spike", ["soft", "hard"])
def test_bptt_every_entry_small_network(reset, detach, spike):
    """All entries, two hidden layers, both recurrent, every reset / detach / spike mode."""
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([3, 5, 4, 2], p, recurrent=True, surrogate=("superspike", 5.0), rng=3,
                       gain=12.0)
    x = (np.random.default_rng(4).random((2, 25, 3)) < 0.3).astype(float)
    tr = net.simulate(x, spike=spike)
    assert all(S.sum() > 0 for S in tr.S), "the test is vacuous if a layer is silent"
    net.W[-1] *= 1.0 / np.abs(tr.readout).max()
    target = np.random.default_rng(5).normal(size=tr.readout.shape)
    report = gradcheck.check_network(net, x, losses.mse, target, spike=spike)
    assert report.passed, str(report)
    assert sum(r.checked for r in report.rows) == sum(a.size for _, a in net.parameters())


def test_hard_spikes_have_zero_true_gradient_but_nonzero_surrogate_gradient():
    """The dead-gradient problem: small weight changes do not move any spike, so finite
    differences of the hard-spike loss w.r.t. hidden weights are exactly 0; the surrogate
    gradient is not."""
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([10, 20, 2], p, rng=0)
    x = (np.random.default_rng(0).random((4, 50, 10)) < 0.2).astype(float)
    labels = np.array([0, 1, 0, 1])

    def f():
        return losses.sum_over_time_ce(net.simulate(x, spike="hard").readout, labels)[0]

    # Why the differences are exactly 0 on any machine: moving one entry of W^(1) by h moves
    # I^(1) by at most h sum_k alpha^k = h / (1 - alpha) (binary x, no recurrence) and U^(1) by
    # at most h / ((1 - alpha)(1 - beta)) while no spike changes. If every |U^(1) - theta| is
    # larger than that (float64 rounding adds ~1e-15), both evaluations of the stencil emit
    # the same spikes, so the readouts are computed from the same numbers and are identical.
    h = 1e-7
    tr = net.simulate(x)
    margin = np.abs(tr.U[0] - p.threshold).min()
    assert margin > 10 * h / ((1 - p.alpha) * (1 - p.beta)), margin
    fd = gradcheck.numerical_gradient(f, net.W[0], eps=h, method="central2")
    assert np.all(fd == 0.0)
    g = bptt(net, tr, losses.sum_over_time_ce(tr.readout, labels)[1])
    assert np.count_nonzero(g.W[0]) > 0.5 * g.W[0].size


def test_detach_reset_matters_only_with_a_reset():
    x = (np.random.default_rng(1).random((2, 30, 4)) < 0.3).astype(float)
    for reset in RESETS:
        grads = []
        for detach in (False, True):
            p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
            net = Network.init([4, 6, 2], p, recurrent=True, rng=2, gain=12.0)
            tr = net.simulate(x)
            grads.append(bptt(net, tr, losses.sum_over_time_ce(tr.readout, [0, 1])[1]))
        same = gradcheck.compare(*grads, tol=1e-14).passed
        assert same == (reset == "none"), reset


@pytest.mark.parametrize("mistake", ["forgotten reset", "no recurrence", "wrong delay"])
def test_gradcheck_catches_a_wrong_gradient(mistake):
    """The check can fail: three typical derivation mistakes are rejected."""
    p = LIFParams(alpha=0.8, beta=0.9, reset="subtract")
    net = Network.init([3, 5, 2], p, recurrent=True, rng=3, gain=12.0)
    x = (np.random.default_rng(4).random((2, 25, 3)) < 0.3).astype(float)

    def wrong(net_, trace, d):
        if mistake == "forgotten reset":  # the reset path dropped from an exact gradient
            alt = Network(net_.W, net_.V, p.replace(detach_reset=True), net_.surrogate)
            return bptt(alt, trace, d)
        if mistake == "no recurrence":  # V^T delta[n+1] dropped from the error
            alt = Network(net_.W, [np.zeros_like(net_.V[0])], p, net_.surrogate)
            # the trace's record of its weights would (rightly) refuse another V: drop it
            g = bptt(alt, dataclasses.replace(trace, W=None, V=None), d)
            g.V[0] = bptt(net_, trace, d).V[0]
            return g
        g = bptt(net_, trace, d)  # weight gradient paired with S[n+1] instead of S[n]
        gI = np.zeros_like(trace.U[0])
        return type(g)(W=[np.roll(g.W[0], 1, axis=1)] + g.W[1:], V=g.V)

    report = gradcheck.check_network(net, x, losses.sum_over_time_ce, np.array([0, 1]),
                                     grad_fn=wrong)
    assert not report.passed


def test_report_is_readable():
    p = LIFParams(alpha=0.8, beta=0.9)
    net = Network.init([3, 4, 2], p, recurrent=True, rng=0)
    x = (np.random.default_rng(0).random((1, 10, 3)) < 0.3).astype(float)
    report = gradcheck.check_network(net, x, losses.mse, np.zeros((1, 10, 2)))
    text = str(report)
    for name in ("W[0]", "W[1]", "V[0]", "max rel error", "PASSED"):
        assert name in text

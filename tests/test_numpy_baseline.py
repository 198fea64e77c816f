"""The benchmark's NumPy baseline (benchmarks/numpy_baseline.py) computes refsnn's gradient.

This is the correctness cross-check `make bench` runs before timing, as a test: the vectorised
"student" BPTT, written independently of the Numba kernels, must equal ``refsnn.bptt``.
"""
import numpy as np
import pytest

from benchmarks import numpy_baseline
from refsnn import LIFParams, Network, bptt, gradcheck, losses
from conftest import random_problem


def _assert_same(net, x, loss, target, spike):
    tr = net.simulate(x, spike=spike)
    d = loss(tr.readout, target)[1]
    ours = bptt(net, tr, d)
    base_tr = numpy_baseline.forward(net, x, spike=spike)
    for a, b in zip(tr.S + [tr.readout], base_tr.S + [base_tr.readout]):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)
    theirs = numpy_baseline.backward(net, tr, d)
    report = gradcheck.compare(ours, theirs, tol=1e-10)
    assert report.passed, str(report)
    assert np.any(ours.W[0] != 0)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("detach", [False, True])
def test_baseline_equals_bptt_shd_like(reset, detach):
    p = LIFParams.from_taus(1e-3, 5e-3, 1e-2, reset=reset, detach_reset=detach)
    net = Network.init([70, 20, 5], p, recurrent=True, rng=1)
    x = (np.random.default_rng(2).random((4, 40, 70)) < 0.05).astype(float)
    _assert_same(net, x, losses.max_over_time_ce, np.arange(4) % 5, "hard")


@pytest.mark.parametrize("seed", range(6))
def test_baseline_equals_bptt_random_networks(seed):
    net, x, loss, target, spike, _ = random_problem(seed)
    _assert_same(net, x, loss, target, spike)

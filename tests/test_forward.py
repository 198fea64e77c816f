"""Exact forward-mode / RTRL gradients (refsnn.grad.forward) proven by the gradcheck contract.

1. docs/design.md §6.2: on the surrogate model (spike="hard") RTRL and BPTT, two independent
   derivations (forward sensitivities vs backward adjoints), agree to 1e-10 relative for every
   reset mode and detach_reset setting, over seeded random networks (1-2 hidden layers, with
   and without V, all five surrogates).
2. docs/design.md §6.1: on the smooth model (spike="soft", detach_reset=False) RTRL equals finite
   differences of the loss; and on the frozen-spike model (refsnn.reference, anchor=...).
3. The agreement test can fail: RTRL with the reset's sensitivity term dropped disagrees with
   BPTT when the reset is not detached.
4. Memory does not grow with T (no time history of the sensitivities is kept).
"""

import numpy as np
import pytest

from benchmarks.costs import peak_memory
from refsnn import LIFParams, Network, bptt, gradcheck, losses
from refsnn.grad.forward import _rtrl, rtrl
from conftest import random_problem

RESETS = ("subtract", "zero", "none")

# seeds of random_problem(..., spike="hard", max_layers=2) whose hidden layers all spike and
# whose gradients are non-zero in every reset mode (the draw does not depend on reset or
# detach_reset when they are given); together: 1 and 2 hidden layers, with and without V,
# all five surrogates
AGREE_SEEDS = (0, 1, 6, 7, 8, 9, 11, 15, 35)


@pytest.mark.parametrize("seed", AGREE_SEEDS)
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("reset", RESETS)
def test_rtrl_equals_bptt_on_the_surrogate_model(reset, detach, seed):
    net, x, loss, target, spike, info = random_problem(seed, spike="hard", reset=reset,
                                                       detach_reset=detach, max_layers=2)
    tr = net.simulate(x, spike="hard")
    _, d = loss(tr.readout, target)
    assert all(S.sum() > 0 for S in tr.S), f"vacuous: a hidden layer is silent {info}"
    g_fwd, g_bwd = rtrl(net, tr, d), bptt(net, tr, d)
    for name, g in g_fwd.parameters():
        assert np.any(g != 0.0), f"vacuous: {name} has a zero gradient {info}"
    report = gradcheck.compare(g_fwd, g_bwd, tol=gradcheck.AGREE_TOL,
                               title=f"rtrl vs bptt {info}")
    assert report.passed, str(report)


def test_agreement_seeds_cover_the_configuration_space():
    seen = set()
    for seed in AGREE_SEEDS:
        *_, info = random_problem(seed, spike="hard", reset="none", detach_reset=False,
                                  max_layers=2)
        seen.add(("layers", len(info["recurrent"])))
        seen.update(("V", r) for r in info["recurrent"])
        seen.add(("surrogate", info["surrogate"]))
    from conftest import DRAWN_SURROGATES as SURROGATES
    assert {("layers", 1), ("layers", 2), ("V", True), ("V", False)} <= seen
    assert {("surrogate", s) for s in SURROGATES} <= seen


@pytest.mark.parametrize("seed", [0, 14, 18, 19, 22])
def test_rtrl_vs_finite_differences_smooth_model(seed):
    """Soft spikes, exact reset: RTRL is the true gradient (resets: seed % 3)."""
    net, x, loss, target, spike, info = random_problem(seed, spike="soft", detach_reset=False,
                                                       max_layers=2)
    tr = net.simulate(x, spike="soft")
    g = rtrl(net, tr, loss(tr.readout, target)[1])
    assert all(np.any(a != 0.0) for _, a in g.parameters()), f"vacuous {info}"
    report = gradcheck.check_network(net, x, loss, target, grad_fn=rtrl, spike="soft",
                                     n_samples=5, rng=seed)
    assert report.passed, f"{info}\n{report}"
    assert report.skipped == 0, f"{info}\n{report}"


@pytest.mark.parametrize("seed, detach", [(9, False), (22, True)])
def test_rtrl_vs_finite_differences_frozen_spike_model(seed, detach):
    """Hard spikes: FD of the frozen-spike model, whose derivative is the surrogate gradient."""
    net, x, loss, target, spike, info = random_problem(seed, spike="hard", detach_reset=detach,
                                                       max_layers=2)
    report = gradcheck.check_network(net, x, loss, target, grad_fn=rtrl, spike="hard",
                                     n_samples=5, rng=seed)
    assert report.passed, f"{info}\n{report}"


def _small_problem(reset, detach):
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([3, 5, 4, 2], p, recurrent=True, surrogate=("superspike", 5.0), rng=3,
                       gain=12.0)
    x = (np.random.default_rng(4).random((2, 25, 3)) < 0.3).astype(float)
    tr = net.simulate(x)
    assert all(S.sum() > 0 for S in tr.S)
    _, d = losses.sum_over_time_ce(tr.readout, np.array([0, 1]))
    return net, x, tr, d


@pytest.mark.parametrize("reset", RESETS)
def test_dropping_the_reset_term_is_caught(reset):
    """Mutation: the dS terms of the membrane equations omitted. Caught against BPTT unless the
    reset is detached (then the omission is the definition) or absent."""
    for detach in (False, True):
        net, x, tr, d = _small_problem(reset, detach)
        wrong = _rtrl(net, tr, d, drop_reset_term=True)
        report = gradcheck.compare(wrong, bptt(net, tr, d))
        if detach or reset == "none":
            assert report.passed, str(report)
        else:
            assert not report.passed
            assert report.max_rel_error > 1e-3, str(report)
        # the correct RTRL agrees in every case
        assert gradcheck.compare(rtrl(net, tr, d), bptt(net, tr, d)).passed


def test_online_forms_equal_the_trace_form():
    """rtrl(net, x, ...) runs the forward itself; a callable d_readout is read step by step."""
    net, x, tr, _ = _small_problem("zero", False)
    target = np.random.default_rng(0).normal(size=tr.readout.shape)
    _, d = losses.mse(tr.readout, target)
    ref = rtrl(net, tr, d)
    assert gradcheck.compare(rtrl(net, x, d), ref, tol=1e-13).passed
    calls = []

    def d_fn(n, readout_n):
        calls.append(n)
        np.testing.assert_array_equal(readout_n, tr.readout[:, n])
        return 2.0 * (readout_n - target[:, n]) / target.size

    assert gradcheck.compare(rtrl(net, x, d_fn), ref, tol=1e-13).passed
    assert calls == list(range(x.shape[1]))
    soft = net.simulate(x, spike="soft")
    d_soft = losses.mse(soft.readout, target)[1]
    assert gradcheck.compare(rtrl(net, x, d_soft, spike="soft"), rtrl(net, soft, d_soft),
                             tol=1e-13).passed


def test_single_step_gives_zero_gradient():
    net, x, tr, d = _small_problem("subtract", False)
    tr1 = net.simulate(x[:, :1])
    g = rtrl(net, tr1, np.ones_like(tr1.readout))
    assert all(np.all(a == 0.0) for _, a in g.parameters())


def _peak_bytes(fn):
    fn()  # compiled already; warm up caches
    return peak_memory(fn)


@pytest.mark.parametrize("form", ["trace", "online"])
def test_memory_does_not_grow_with_T(form):
    p = LIFParams(alpha=0.8, beta=0.9)
    net = Network.init([6, 10, 8, 3], p, recurrent=True, rng=1)
    peaks = {}
    for T in (20, 400):
        x = (np.random.default_rng(T).random((2, T, 6)) < 0.2).astype(float)
        tr = net.simulate(x)
        d = np.random.default_rng(0).normal(size=tr.readout.shape)
        if form == "trace":
            peaks[T] = _peak_bytes(lambda: rtrl(net, tr, d))
        else:
            peaks[T] = _peak_bytes(lambda: rtrl(net, x, lambda n, r: d[:, min(n, 19)]))
    # the sensitivities alone: 2 B sum_q P_q sum_{l >= m_q} N_l floats (~0.5 MB here); a
    # method that stored them over time would need T times that
    assert peaks[20] > 100_000
    assert peaks[400] <= 1.02 * peaks[20] + 16_384, peaks


def test_moderate_network_agrees_with_bptt():
    """Two recurrent layers of 20: RTRL equals BPTT (its speed is measured by the benchmarks,
    not asserted here: a wall-clock bound depends on the machine and its load)."""
    p = LIFParams(alpha=0.8, beta=0.9)
    net = Network.init([10, 20, 20, 5], p, recurrent=True, rng=0)
    x = (np.random.default_rng(0).random((2, 50, 10)) < 0.2).astype(float)
    tr = net.simulate(x)
    d = losses.sum_over_time_ce(tr.readout, [0, 1])[1]
    g = rtrl(net, tr, d)
    assert np.any(g.W[0] != 0)
    assert gradcheck.compare(g, bptt(net, tr, d)).passed


def test_bad_input_raises_naming_the_argument():
    net, x, tr, d = _small_problem("subtract", False)
    with pytest.raises(ValueError, match="d_readout"):
        rtrl(net, tr, d[:, :-1])
    with pytest.raises(ValueError, match="d_readout"):
        rtrl(net, tr, d[..., :1])
    with pytest.raises(ValueError, match="d_readout"):
        rtrl(net, x, d[:, :-1])
    bad = d.copy()
    bad[0, 3, 1] = np.nan
    with pytest.raises(ValueError, match="d_readout"):
        rtrl(net, tr, bad)
    with pytest.raises(ValueError, match="d_readout"):
        rtrl(net, tr, lambda n, r: np.zeros((1, 2)))
    other = Network.init([3, 6, 4, 2], net.params, rng=0)  # trace from another network
    with pytest.raises(ValueError, match="trace"):
        rtrl(other, tr, d)
    short = type(tr)(x=tr.x, I=tr.I, U=tr.U, S=[tr.S[0][:, :-1], tr.S[1]],
                     readout_I=tr.readout_I, readout=tr.readout)
    with pytest.raises(ValueError, match=r"trace\.S\[0\]"):
        rtrl(net, short, d)
    with pytest.raises(ValueError, match="spike"):
        rtrl(net, tr, d, spike="soft")
    with pytest.raises(ValueError, match="input"):
        rtrl(net, x[..., :2], d)
    with pytest.raises(TypeError, match="net"):
        rtrl("net", tr, d)

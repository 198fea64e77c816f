"""e-prop (refsnn.grad.eprop) for one recurrent LIF layer + readout.

1. Factorisation identity: sum_n L_i[n] e_ij[n], with the local eligibility traces advanced
   forwards and the full learning signal L (derivative w.r.t. the emitted spike, own reset path
   excluded; computed by eprop's own backward pass), equals refsnn.bptt to 1e-10 (measured
   ~1e-13) for W, V and W_o: every reset mode, detach_reset, hard and soft spikes.
   The identity holds in every mode; what changes with the mode is only whether the reset path
   may be counted in both factors: using the total dL/dS (reset path included) breaks it unless
   the reset is detached or absent (mutation test).
2. Truncated e-prop (online): equals its offline form sum_n L^B[n] e[n] (to 1e-10); without
   recurrence and with B = W_o^T it is exact; with recurrence its cosine with the exact gradient
   is reported over random networks.
3. The online form eprop(net, x, d_readout) -- the network advanced here step by step, a
   per-step callable loss gradient -- equals the trace form bit for bit (every seed, reset,
   detach_reset, hard and soft spikes, with and without V), and its peak memory does not
   grow with T.
"""
import numpy as np
import pytest

from benchmarks.costs import peak_memory
from refsnn import LIFParams, Network, bptt, gradcheck, losses
from refsnn.grad.eprop import (_learning_signal, direct_signal, eprop, eprop_exact,
                               factorised_gradient, learning_signal)
from refsnn.grad.superspike import cosine
from conftest import random_problem

RESETS = ("subtract", "zero", "none")
# random_problem(seed, max_layers=1) seeds whose gradients are non-zero in every mode: 8, 9, 10,
# 18, 29 draw a recurrent layer, 0, 4, 17, 21 not; together all five surrogates
SEEDS = (0, 4, 8, 9, 10, 17, 18, 21, 29)


def _recurrent(seed, reset="subtract", detach=False, N=12, n_in=8, n_out=3, T=40, B=2):
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([n_in, N, n_out], p, recurrent=True, rng=seed, gain=10.0)
    rng = np.random.default_rng(seed + 100)
    x = (rng.random((B, T, n_in)) < 0.15).astype(float)
    tr = net.simulate(x)
    _, d = losses.mse(tr.readout, rng.normal(size=tr.readout.shape))
    return net, tr, d


@pytest.mark.parametrize("spike", ["hard", "soft"])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("reset", RESETS)
def test_full_learning_signal_factorisation_equals_bptt(reset, detach, spike):
    worst = 0.0
    for seed in SEEDS:
        net, x, loss, target, spike, info = random_problem(seed, spike=spike, reset=reset,
                                                           detach_reset=detach, max_layers=1)
        tr = net.simulate(x, spike=spike)
        _, d = loss(tr.readout, target)
        g, exact = eprop_exact(net, tr, d), bptt(net, tr, d)
        assert all(np.any(a != 0) for _, a in g.parameters()), f"vacuous {info}"
        report = gradcheck.compare(g, exact, tol=gradcheck.AGREE_TOL, title=f"e-prop {info}")
        assert report.passed, str(report)
        worst = max(worst, report.max_rel_error)
    print(f"reset={reset} detach={detach} spike={spike}: e-prop (full L) vs bptt, "
          f"max rel error {worst:.1e}")


def test_seeds_include_recurrent_layers_and_every_surrogate():
    from conftest import DRAWN_SURROGATES
    infos = [random_problem(s, spike="hard", max_layers=1)[-1] for s in SEEDS]
    rec = [i["recurrent"][0] for i in infos]
    assert any(rec) and not all(rec)
    assert {i["surrogate"] for i in infos} == set(DRAWN_SURROGATES)


@pytest.mark.parametrize("reset", RESETS)
def test_counting_the_reset_path_twice_is_caught(reset):
    """Mutation: the learning signal as the *total* dL/dS_i[n] (own reset path included)."""
    for detach in (False, True):
        net, tr, d = _recurrent(1, reset, detach)
        wrong = factorised_gradient(net, tr, d, _learning_signal(net, tr, d, total=True))
        report = gradcheck.compare(wrong, bptt(net, tr, d))
        if detach or reset == "none":  # no reset path: the two signals coincide
            assert report.passed, str(report)
        else:
            assert report.max_rel_error > 1e-3, str(report)
        assert gradcheck.compare(eprop_exact(net, tr, d), bptt(net, tr, d)).passed


@pytest.mark.parametrize("reset", RESETS)
def test_online_truncated_rule_equals_its_offline_form(reset):
    net, tr, d = _recurrent(2, reset)
    B_rand = np.random.default_rng(0).normal(size=(net.sizes[1], net.sizes[2]))
    for fb in (None, B_rand):
        online = eprop(net, tr, d, feedback=fb)
        offline = factorised_gradient(net, tr, d, direct_signal(net, tr, d, feedback=fb))
        assert gradcheck.compare(online, offline, tol=gradcheck.AGREE_TOL).passed
        # the readout gradient is exact in e-prop
        assert gradcheck.max_rel_error(online.W[1], bptt(net, tr, d).W[1]) < gradcheck.AGREE_TOL


@pytest.mark.parametrize("reset", RESETS)
def test_truncated_rule_is_exact_without_recurrence(reset):
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset)
    net = Network.init([8, 10, 3], p, recurrent=False, rng=4, gain=10.0)
    x = (np.random.default_rng(5).random((2, 40, 8)) < 0.15).astype(float)
    tr = net.simulate(x)
    _, d = losses.sum_over_time_ce(tr.readout, [0, 2])
    report = gradcheck.compare(eprop(net, tr, d), bptt(net, tr, d))
    assert report.passed, str(report)


def test_truncated_rule_cosine_with_exact_gradient():
    """Reported, not asserted as a number: cosine of (W, V) of truncated e-prop with BPTT."""
    rows = []
    for seed in range(6):
        for reset in RESETS:
            net, tr, d = _recurrent(seed, reset)
            exact = bptt(net, tr, d)
            hid = lambda g: {"W": g.W[0], "V": g.V[0]}
            B_rand = np.random.default_rng(seed).normal(0, 1 / np.sqrt(3), size=(12, 3))
            rows.append((cosine(hid(eprop(net, tr, d)), hid(exact)),
                         cosine(hid(eprop(net, tr, d, feedback=B_rand)), hid(exact))))
    rows = np.array(rows)
    print(f"truncated e-prop vs bptt, cosine over {len(rows)} networks: B = W_o^T mean "
          f"{rows[:, 0].mean():.3f} (min {rows[:, 0].min():.3f}, max {rows[:, 0].max():.3f}); "
          f"random B mean {rows[:, 1].mean():.3f} (min {rows[:, 1].min():.3f}, "
          f"max {rows[:, 1].max():.3f})")
    assert np.all(np.isfinite(rows))
    assert rows[:, 0].mean() > 0


def test_learning_signal_shape_and_bad_input():
    net, tr, d = _recurrent(0)
    assert learning_signal(net, tr, d).shape == tr.U[0].shape
    with pytest.raises(ValueError, match="d_readout"):
        eprop(net, tr, d[:, :-1])
    with pytest.raises(ValueError, match="feedback"):
        eprop(net, tr, d, feedback=np.zeros((3, 12)))
    with pytest.raises(TypeError, match="trace"):
        eprop(net, "x", d)
    with pytest.raises(ValueError, match="binary"):
        eprop(net, 0.5 * tr.x, d)
    with pytest.raises(ValueError, match="spike"):
        eprop(net, tr, d, spike="soft")
    with pytest.raises(ValueError, match="d_readout"):
        eprop(net, tr.x, lambda n, r: np.zeros((1, 1)))
    with pytest.raises(ValueError, match="d_readout"):
        eprop(net, tr.x, d[:, :-1])
    with pytest.raises(TypeError, match="net"):
        eprop_exact(None, tr, d)
    with pytest.raises(ValueError, match="signal"):
        factorised_gradient(net, tr, d, np.zeros((1, 2, 3)))
    deep = Network.init([8, 5, 5, 3], net.params, rng=0)
    with pytest.raises(ValueError, match="one"):
        eprop(deep, deep.simulate(tr.x), d)


def _same(a, b):
    for (name, u), (_, v) in zip(a.parameters(), b.parameters()):
        np.testing.assert_array_equal(u, v, err_msg=name)


@pytest.mark.parametrize("spike", ["hard", "soft"])
@pytest.mark.parametrize("detach", [False, True])
@pytest.mark.parametrize("reset", RESETS)
def test_online_form_equals_the_trace_form_bit_for_bit(reset, detach, spike):
    """The same arithmetic on the same values: the online forward (refsnn.rtrl's kernels)
    reproduces net.simulate exactly, so the two forms agree to the last bit."""
    for seed in SEEDS:
        net, x, loss, target, spike, info = random_problem(seed, spike=spike, reset=reset,
                                                           detach_reset=detach, max_layers=1)
        tr = net.simulate(x, spike=spike)
        _, d = loss(tr.readout, target)
        ref = eprop(net, tr, d)
        assert any(np.any(a != 0) for a in (ref.W[0], ref.W[1])), f"vacuous {info}"
        _same(eprop(net, x, d, spike=spike), ref)
        B_rand = np.random.default_rng(seed).normal(size=(net.sizes[1], net.sizes[2]))
        _same(eprop(net, x, d, feedback=B_rand, spike=spike), eprop(net, tr, d, feedback=B_rand))


def test_online_form_reads_a_per_step_loss_gradient():
    for rec in (True, False):
        net, tr, d = _recurrent(3)
        if not rec:
            net = Network([w.copy() for w in net.W], [None], net.params, net.surrogate)
            tr = net.simulate(tr.x)
        target = np.random.default_rng(1).normal(size=tr.readout.shape)
        _, d = losses.mse(tr.readout, target)
        calls = []

        def d_fn(n, readout_n):
            calls.append(n)
            np.testing.assert_array_equal(readout_n, tr.readout[:, n])
            return 2.0 * (readout_n - target[:, n]) / target.size

        ref = eprop(net, tr, d)
        _same(eprop(net, tr.x, d_fn), ref)
        assert calls == list(range(tr.x.shape[1]))
        _same(eprop(net, tr, d_fn), ref)  # the trace form takes the callable too


def test_online_memory_does_not_grow_with_T():
    net = Network.init([6, 10, 3], LIFParams(alpha=0.8, beta=0.9), recurrent=True, rng=1)
    peaks = {}
    for T in (20, 800):
        x = (np.random.default_rng(T).random((2, T, 6)) < 0.2).astype(float)
        fn = lambda: eprop(net, x, lambda n, r: r - 0.5)  # noqa: E731
        fn()
        peaks[T] = peak_memory(fn)
    # eligibility traces 2 x 3 x B N (n_in + N) floats (~10 kB); stored over time: 40 x more
    assert peaks[800] <= 1.05 * peaks[20] + 4096, peaks

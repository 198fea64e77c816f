"""Feedback alignment, DFA and local errors (refsnn.grad.feedback): where each must equal BPTT,
and a layer-at-a-time oracle built from BPTT's public pieces for random feedback matrices."""
import numpy as np
import pytest
from conftest import random_problem

from refsnn import Network, bptt, losses
from refsnn.grad import (alignment, direct_feedback_alignment, feedback_alignment, local_errors,
                         random_feedback, sign_concordant)
from refsnn.grad.bptt import error_to_input, layer_adjoints, readout_adjoints, weight_gradient
from refsnn.grad.random_feedback import angle

SEEDS = range(16)


def problem(seed, **kw):
    net, x, loss, target, spike, info = random_problem(seed, max_T=30, **kw)
    tr = net.simulate(x, spike=spike, binary_input=True)
    _, d = loss(tr.readout, target)
    return net, tr, d, loss, target, info


def layerwise(net, tr, d, down, direct):
    """The rules one layer at a time from BPTT's public building blocks: the readout adjoint,
    then from the top each hidden layer's error ``down[l]^T g[n+1]`` (``g`` the layer above's
    ``gI``, or the readout's for ``direct``) and its own adjoint recursion."""
    gI_o = readout_adjoints(net, tr, d)
    L = net.n_hidden_layers
    gI = [None] * L
    for l in reversed(range(L)):
        above = gI_o if (direct or l == L - 1) else gI[l + 1]
        gS = error_to_input(above, down[l])
        gI[l] = layer_adjoints(tr.I[l], tr.U[l], tr.S[l], net.V[l], net.params, net.surrogate,
                               gS, spike=tr.spike)[0]
    S_pre = [tr.x] + tr.S
    gW = [weight_gradient(g, s) for g, s in zip(gI + [gI_o], S_pre)]
    gV = [None if v is None else weight_gradient(g, s) for v, g, s in zip(net.V, gI, tr.S)]
    return gW, gV


def assert_grads_equal(g, h, which=None, rtol=0.0):
    names = [n for n, _ in g.parameters()]
    for (name, a), (_, b) in zip(g.parameters(), h.parameters()):
        if which is None or name in which:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=0, err_msg=name)
    return names


@pytest.mark.parametrize("seed", SEEDS)
def test_fa_with_the_forward_weights_is_bptt(seed):
    net, tr, d, *_ = problem(seed)
    assert_grads_equal(feedback_alignment(net, tr, d, net.W[1:]), bptt(net, tr, d))


@pytest.mark.parametrize("seed", SEEDS)
def test_dfa_of_one_hidden_layer_through_the_readout_weights_is_bptt(seed):
    net, tr, d, *_ = problem(seed, max_layers=1)
    assert_grads_equal(direct_feedback_alignment(net, tr, d, [net.W[-1]]), bptt(net, tr, d))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_feedback_matches_the_layerwise_oracle(seed):
    net, tr, d, *_ = problem(seed)
    rng = np.random.default_rng(seed)
    for rule, fn, direct in (("fa", feedback_alignment, False),
                             ("dfa", direct_feedback_alignment, True)):
        M = random_feedback(net, rule, rng)
        g = fn(net, tr, d, M)
        gW, gV = layerwise(net, tr, d, M, direct)
        scale = max(np.abs(a).max() for _, a in g.parameters()) or 1.0
        for a, b in zip(g.W, gW):
            np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13 * scale)
        for a, b in zip(g.V, gV):
            if a is not None:
                np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-13 * scale)


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 3 == 0])
def test_fa_layers_above_a_random_matrix_stay_exact(seed):
    """The readout is exact for any B; a layer is exact when every B above it is the forward
    weight; replacing only the lowest B changes only the lowest layer."""
    net, tr, d, *_ = problem(seed + 100, max_layers=3)
    if net.n_hidden_layers < 2:
        net, tr, d, *_ = problem(seed + 7, max_layers=3)
    L = net.n_hidden_layers
    exact = bptt(net, tr, d)
    B = list(net.W[1:])
    B[0] = random_feedback(net, "fa", seed)[0]
    g = feedback_alignment(net, tr, d, B)
    upper = {f"W[{l}]" for l in range(1, L + 1)} | {f"V[{l}]" for l in range(1, L)}
    assert_grads_equal(g, exact, which=upper)
    if L >= 2 and np.abs(exact.W[0]).max() > 0:
        assert not np.allclose(g.W[0], exact.W[0])
    g_any = feedback_alignment(net, tr, d, random_feedback(net, "fa", seed + 1))
    np.testing.assert_array_equal(g_any.W[-1], exact.W[-1])


@pytest.mark.parametrize("seed", [s for s in SEEDS if s % 2 == 0])
def test_dfa_top_layer_through_the_readout_weights_is_bptt(seed):
    net, tr, d, *_ = problem(seed + 200, max_layers=3)
    L = net.n_hidden_layers
    H = random_feedback(net, "dfa", seed)
    H[-1] = net.W[-1]
    top = {f"W[{L - 1}]", f"W[{L}]", f"V[{L - 1}]"}
    assert_grads_equal(direct_feedback_alignment(net, tr, d, H), bptt(net, tr, d), which=top)


def sub_network(net, l, G_l):
    """Hidden layer ``l`` of ``net`` with ``G_l`` as its readout: a one-hidden-layer network."""
    return Network([net.W[l], G_l], [net.V[l]], net.params, net.surrogate, dtype=net.dtype)


@pytest.mark.parametrize("seed", SEEDS)
def test_local_errors_are_bptt_of_each_layer_with_its_own_readout(seed):
    net, tr, d, loss, target, info = problem(seed)
    G = random_feedback(net, "local", seed)
    g, local = local_errors(net, tr, loss, target, G)
    assert len(local) == net.n_hidden_layers
    for l, G_l in enumerate(G):
        sub = sub_network(net, l, G_l)
        x_l = tr.x if l == 0 else tr.S[l - 1]
        sub_tr = sub.simulate(x_l, spike=tr.spike, binary_input=tr.spike == "hard")
        np.testing.assert_array_equal(sub_tr.U[0], tr.U[l])          # the same layer ...
        value, d_sub = loss(sub_tr.readout, target)
        np.testing.assert_array_equal(local[l].readout, sub_tr.readout)  # ... and readout
        assert local[l].loss == float(value)
        exact = bptt(sub, sub_tr, d_sub)
        scale = np.abs(exact.W[0]).max() or 1.0
        np.testing.assert_allclose(g.W[l], exact.W[0], rtol=1e-12, atol=1e-13 * scale)
        if net.V[l] is not None:
            np.testing.assert_allclose(g.V[l], exact.V[0], rtol=1e-12, atol=1e-13 * scale)
    np.testing.assert_allclose(g.W[-1], bptt(net, tr, d).W[-1], rtol=1e-12, atol=0)


def test_sparse_input_gives_the_same_local_errors():
    """An input read through its event list (density < 25%): layer 0's local gradient is
    accumulated over the events, and equals the sub-network's BPTT on the dense input."""
    net = Network.init([30, 12, 8, 3], net_params(), rng=4, gain=10.0)
    x = (np.random.default_rng(4).random((3, 40, 30)) < 0.05).astype(float)
    tr = net.simulate(x)
    assert tr.x_events is not None and tr.S[0].any()
    target = np.array([0, 1, 2])
    G = random_feedback(net, "local", 0)
    g, _ = local_errors(net, tr, losses.sum_over_time_ce, target, G)
    sub = sub_network(net, 0, G[0])
    st = sub.simulate(x, spike="hard")
    exact = bptt(sub, st, losses.sum_over_time_ce(st.readout, target)[1])
    np.testing.assert_allclose(g.W[0], exact.W[0], rtol=1e-12,
                               atol=1e-13 * (np.abs(exact.W[0]).max() or 1))
    assert np.abs(exact.W[0]).max() > 0


def test_sign_concordant_feedback_follows_the_sign_of_w():
    net, tr, d, *_ = problem(5)
    R = random_feedback(net, "fa", 1)
    B = sign_concordant(net, R)
    for b, w, r in zip(B, net.W[1:], R):
        np.testing.assert_array_equal(np.abs(b), np.where(w != 0, np.abs(r), 0.0))
        assert np.all(b * w >= 0)
    # with |R| = |W| sign-concordant feedback is the forward weights, hence BPTT
    B_w = sign_concordant(net, [np.abs(w) for w in net.W[1:]])
    assert_grads_equal(feedback_alignment(net, tr, d, B_w), bptt(net, tr, d))


@pytest.mark.parametrize("distribution", ["gaussian", "uniform"])
def test_random_matrices_have_the_stated_scale(distribution):
    net = Network.init([30, 400, 300, 10], net_params(), rng=0)
    for rule in ("fa", "dfa", "local"):
        M = random_feedback(net, rule, 3, distribution=distribution, gain=2.0)
        for m in M:
            sigma = 2.0 / np.sqrt(m.shape[1])
            # the sample standard deviation of n entries is within 5 / sqrt(2n) of sigma
            assert abs(m.std() / sigma - 1) < 5 / np.sqrt(2 * m.size)
            assert abs(m.mean()) < 5 * sigma / np.sqrt(m.size)
        np.testing.assert_array_equal(M[0], random_feedback(net, rule, 3, distribution, 2.0)[0])
    if distribution == "uniform":
        m = random_feedback(net, "fa", 0, "uniform")[0]
        assert np.abs(m).max() <= np.sqrt(3) / np.sqrt(m.shape[1])


def net_params():
    from refsnn import LIFParams
    return LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)


def test_alignment_angles():
    assert angle([1, 0], [0, 2]) == pytest.approx(90.0)
    assert angle([1, 1], [2, 2]) == pytest.approx(0.0, abs=1e-12)
    assert angle([1, 0], [-1, 0]) == pytest.approx(180.0)
    assert angle([1, 0], [1, 1]) == pytest.approx(45.0)
    assert np.isnan(angle([0, 0], [1, 1]))
    net, tr, d, *_ = problem(1)
    exact = bptt(net, tr, d)
    same = alignment(feedback_alignment(net, tr, d, net.W[1:]), exact)
    assert set(same) == {n for n, _ in exact.parameters()}
    assert all(a == pytest.approx(0.0, abs=1e-10) or np.isnan(a) for a in same.values())
    with pytest.raises(TypeError, match="g_approx"):
        alignment(exact.W, exact)


@pytest.mark.parametrize("call, exc, match", [
    (lambda n, t, d: feedback_alignment(n, t, d, n.W[2:]), ValueError, "B must have"),
    (lambda n, t, d: feedback_alignment(n, t, d, [w.T for w in n.W[1:]]), ValueError, r"B\[0\]"),
    (lambda n, t, d: feedback_alignment(n, t, d, n.W[1]), TypeError, "B must be a list"),
    (lambda n, t, d: direct_feedback_alignment(n, t, d, [np.full(w.shape, np.nan)
                                                        for w in n.W[1:]]),
     ValueError, "H"),
    (lambda n, t, d: feedback_alignment("net", t, d, n.W[1:]), TypeError, "net"),
    (lambda n, t, d: local_errors(n, t, "ce", [0], [np.zeros((3, 4))]), TypeError, "loss"),
    (lambda n, t, d: random_feedback(n, "bp", 0), ValueError, "rule"),
    (lambda n, t, d: random_feedback(n, "fa", 0, distribution="cauchy"), ValueError,
     "distribution"),
    (lambda n, t, d: random_feedback(n, "fa", None), TypeError, "rng"),
    (lambda n, t, d: random_feedback(n, "fa", 0, gain=0.0), ValueError, "gain"),
])
def test_bad_arguments(call, exc, match):
    net = Network.init([4, 5, 6, 3], net_params(), rng=0)
    tr = net.simulate(np.ones((2, 10, 4)))
    _, d = losses.max_over_time_ce(tr.readout, [0, 1])
    with pytest.raises(exc, match=match):
        call(net, tr, d)


def test_seeds_cover_the_configuration_space():
    from conftest import RESETS
    from conftest import DRAWN_SURROGATES as SURROGATES

    infos = [random_problem(s, max_T=30)[-1] for s in SEEDS]
    assert {i["reset"] for i in infos} == set(RESETS)
    assert {i["spike"] for i in infos} == {"hard", "soft"}
    assert {len(i["sizes"]) - 2 for i in infos} == {1, 2, 3}
    assert any(any(i["recurrent"]) for i in infos) and not all(all(i["recurrent"]) for i in infos)
    assert {i["detach_reset"] for i in infos} == {True, False}
    assert len({i["surrogate"] for i in infos}) >= len(SURROGATES) - 1


@pytest.mark.parametrize("seed", [2, 5, 11])
def test_the_checks_catch_the_classic_dfa_mistakes(seed):
    """The layer-wise oracle tells DFA apart from its two classic mistakes: the readout's error
    sent one step late (``gI_o[n]`` to ``S[n]``) and sent through ``W_o`` to a lower layer."""
    net, tr, d, *_ = problem(seed + 300, max_layers=3)
    if net.n_hidden_layers < 2:
        net, tr, d, *_ = problem(seed + 400, max_layers=3)
    H = random_feedback(net, "dfa", seed)
    g = direct_feedback_alignment(net, tr, d, H)
    gI_o = readout_adjoints(net, tr, d)
    late = np.concatenate([np.zeros_like(gI_o[:, :1]), gI_o[:, :-1]], axis=1)  # shifted by one
    gS_late = error_to_input(late, H[0])
    gI_late = layer_adjoints(tr.I[0], tr.U[0], tr.S[0], net.V[0], net.params, net.surrogate,
                             gS_late, spike=tr.spike)[0]
    wrong = weight_gradient(gI_late, tr.x)
    rel = np.linalg.norm(wrong - g.W[0]) / np.linalg.norm(g.W[0])
    assert rel > 1e-3, rel
    if net.sizes[1] == net.sizes[-2]:      # W_o fits the lowest layer only if the sizes match
        return
    with pytest.raises(ValueError, match=r"H\[0\]"):
        direct_feedback_alignment(net, tr, d, [net.W[-1]] * net.n_hidden_layers)

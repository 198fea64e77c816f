"""The shared setting of the Zenke & Vogels reproductions: BPTT with the recurrence detached
(two derivations), the network without hidden layer (its readout and exact gradient), a run
stops on a non-finite gradient, top-k selection."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses
from refsnn.experiments import zenke_vogels as zv
from refsnn.gradcheck import AGREE_TOL, rel_error


def _recurrent_net():
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2, reset="zero",
                            detach_reset=True)
    return Network.init([12, 16, 3], p, recurrent=True, rng=4, gain=9.0)


def _input(B=6, T=40, n=12, seed=5):
    return (np.random.default_rng(seed).random((B, T, n)) < 0.15).astype(float)


def test_detached_recurrence_is_bptt_of_the_network_fed_its_own_spikes():
    """Second derivation: with the recorded hidden spikes S as extra inputs through [W, V],
    the feed-forward network has the same forward pass, and its exact BPTT gradient is the
    detached-recurrence gradient ([dW, dV] and dW_o)."""
    net, x = _recurrent_net(), _input()
    trace = net.simulate(x)
    S = trace.S[0]
    assert S.sum() > 10 and np.abs(net.V[0]).max() > 0
    _, d = losses.max_over_time_ce(trace.readout, np.arange(6) % 3)
    g = zv.bptt_detached_recurrence(net, trace, d)
    ff = Network([np.hstack([net.W[0], net.V[0]]), net.W[1]], [None], net.params)
    ff_trace = ff.simulate(np.concatenate([x, S], axis=2))
    assert np.array_equal(ff_trace.S[0], S)                     # the same forward pass
    g_ff = bptt(ff, ff_trace, losses.max_over_time_ce(ff_trace.readout, np.arange(6) % 3)[1])
    for a, b in ((g.W[0], g_ff.W[0][:, :12]), (g.V[0], g_ff.W[0][:, 12:]), (g.W[1], g_ff.W[1])):
        assert np.max(rel_error(a, b)) < AGREE_TOL
    full = bptt(net, trace, d)                                  # the recurrent path matters
    assert np.max(rel_error(full.W[0], g.W[0])) > 1e-3


def test_detached_recurrence_of_a_feed_forward_network_is_bptt():
    net, x = _recurrent_net(), _input()
    ff = Network(net.W, [None], net.params)
    trace = ff.simulate(x)
    _, d = losses.max_over_time_ce(trace.readout, np.arange(6) % 3)
    a, b = zv.bptt_detached_recurrence(ff, trace, d), bptt(ff, trace, d)
    assert all(np.array_equal(u, v) for u, v in zip(a.W, b.W))


def _config(**kw):
    return dict(dict(zv.BASE, samples_per_class=10, epochs=2), **kw)


def test_the_readout_without_hidden_layer_is_linear_and_its_gradient_exact():
    """The filtered input through W_o is the network's own readout (the readout's time
    constant and input gain): checked on a network's hidden spikes, which drive its readout
    exactly as the inputs drive the network without hidden layer."""
    c = _config(hidden=(20,), n_inputs=12)
    net = zv.network(c, 0)
    trace = net.simulate(_input(4, 30, 12))
    assert trace.S[0].sum() > 0 and net.readout_beta is not None
    U = zv.filtered_input(dict(c, n_inputs=20), trace.S[0]) @ net.W[-1].T
    assert np.max(rel_error(U, trace.readout)) < 1e-12
    c = _config(hidden=())
    x = _input(4, 30, 20)
    W_o = np.random.default_rng(0).normal(size=(10, 20))
    # the gradient of the sum-over-time loss (smooth) by central differences
    xf, y = zv.filtered_input(c, x), np.array([0, 3, 5, 9])
    d = losses.sum_over_time_ce(xf @ W_o.T, y)[1]
    grad = np.einsum("btk,btj->kj", d, xf)
    h = 1e-6
    for k, j in ((0, 0), (3, 7), (9, 19)):
        E = np.zeros_like(W_o)
        E[k, j] = h
        num = (losses.sum_over_time_ce(xf @ (W_o + E).T, y)[0]
               - losses.sum_over_time_ce(xf @ (W_o - E).T, y)[0]) / (2 * h)
        assert abs(num - grad[k, j]) < 1e-6 * max(1.0, abs(grad[k, j]))


def test_a_run_stops_on_a_non_finite_gradient(monkeypatch):
    c = _config(hidden=(20,))
    calls = []

    def broken(net, trace, d_readout, *, gS_ext=None):
        calls.append(1)
        g = bptt(net, trace, d_readout)
        if len(calls) > 1:
            g.W[0][0, 0] = np.inf
        return g
    monkeypatch.setattr(zv, "bptt", broken)
    m = zv.fit(c, 0)
    assert m["diverged"] == 2 and m["epoch"] == [0, 1]
    assert np.isfinite(m["test_loss"])                           # the last finite weights


def test_top_k_ranks_by_mean_validation_accuracy():
    configs = [{"a": i} for i in range(4)]
    val = {0: [0.5, 0.7], 1: [0.9, 0.9], 2: [0.6, 0.6], 3: [0.9, 0.9]}
    runs = [{"config": i, "seed": s, "metrics": {"val_accuracy": [0.0, v],
                                                 "test_accuracy": v - 0.1}}
            for i in range(4) for s, v in enumerate(val[i])]
    top = zv.top_k({"configs": configs, "runs": runs}, lambda c: c["a"] != 2, k=2)
    assert [t[0] for t in top] == [1, 3]                     # a tie keeps the config order
    assert top[0][2] == pytest.approx([0.8, 0.8])


def test_bad_configs_are_named():
    with pytest.raises(ValueError, match="lacks"):
        zv.check_config({"lr": 1.0}, 0)
    with pytest.raises(TypeError, match="seed"):
        zv.check_config(_config(), 1.5)
    with pytest.raises(ValueError, match="loss"):
        zv.check_config(_config(loss="mse"), 0)
    with pytest.raises(ValueError, match="recurrent_gradient"):
        zv.check_config(_config(recurrent_gradient="rtrl"), 0)


def test_the_printed_uniform_initialisation_leaves_the_network_without_gradient():
    """§4.2.3's U(-1/sqrt(n), 1/sqrt(n)) with the input gain 1 - beta: on randman the hidden
    layer is silent, the readout 0 at every step, and every gradient exactly 0 (why the
    experiments start from SpyTorch's normal rule, which gives spikes and a gradient)."""
    c = _config(samples_per_class=20)
    tr = zv.dataset(c).split("train")
    for init, silent in (("uniform", True), ("normal", False)):
        net = zv.network(dict(c, init=init), 0)
        trace = net.simulate(tr.x)
        _, d = losses.max_over_time_ce(trace.readout, tr.y)
        g = bptt(net, trace, d)
        assert (trace.S[0].sum() == 0) == silent
        assert all(not np.any(w) for w in g.W) == silent

"""Losses on spikes, regularisers, the public gS_ext of BPTT and the spiking output layer.

1. Each loss and regulariser: its hand gradient equals finite differences of its value (the
   project's oracle, ``conftest.fd_grad``), with soft spikes in (0, 1) as the input; and its
   value equals the closed form written again here (snnTorch's conventions).
2. The differentiable first spike time is the index of the first spike on binary spikes.
3. Through a whole network (docs/design.md §6.1-6.2): ``check_network`` with an ``Objective``
   on a spiking output layer, on the smooth model and on the frozen-spike model.
4. ``bptt(..., gS_ext=...)``: linear in the loss gradients, and a second derivation (RTRL of
   the readout that integrates the spikes) agrees to AGREE_TOL.
5. Bad input names the argument; the rules written for the readout refuse a spiking output.
"""
from functools import partial

import numpy as np
import pytest

from conftest import fd_grad
from refsnn import LIFParams, Network, bptt, losses, rtrl
from refsnn.gradcheck import AGREE_TOL, FD_TOL, check_network, max_rel_error
from refsnn.grad.feedback import feedback_alignment
from refsnn.grad.superspike import superspike, van_rossum
from refsnn.train import evaluate, train

B, T, K = 3, 9, 4

SPIKE_LOSSES = {
    "count_ce": losses.count_ce,
    "count_mse": losses.count_mse,
    "latency_ce_negate": losses.latency_ce,
    "latency_ce_reciprocal": partial(losses.latency_ce, inverse="reciprocal"),
    "latency_mse": partial(losses.latency_mse, on_target=1, off_target=-2),
    "latency_relative_mse": partial(losses.latency_relative_mse, gamma=3, f0=1),
}
REGULARISERS = {
    "spike_rate_l1": partial(losses.spike_rate_l1, lam=0.3),
    "lower_bound": partial(losses.lower_bound, lam=2.0, v_lower=3.0),
    "upper_bound_L1": partial(losses.upper_bound, lam=0.7, v_upper=1.0, L=1),
    "upper_bound_L2": partial(losses.upper_bound, lam=0.7, v_upper=1.0, L=2),
}


def _soft_spikes(seed):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.05, 0.95, size=(B, T, K)), rng.integers(0, K, size=B)


# ------------------------------------------------------------------- 1. the functions alone
@pytest.mark.parametrize("name", list(SPIKE_LOSSES))
@pytest.mark.parametrize("seed", range(2))
def test_spike_loss_gradient_matches_finite_differences(name, seed):
    S, y = _soft_spikes(seed)
    value, dS = SPIKE_LOSSES[name](S, y)
    assert dS.shape == S.shape and np.all(np.isfinite(dS)) and np.any(dS != 0)
    assert max_rel_error(dS, fd_grad(SPIKE_LOSSES[name], S, y)) < FD_TOL


@pytest.mark.parametrize("name", list(REGULARISERS))
@pytest.mark.parametrize("seed", range(2))
def test_regulariser_gradient_matches_finite_differences(name, seed):
    S, _ = _soft_spikes(seed)
    S = S * (0.3 if name == "lower_bound" else 1.0)  # counts below v_lower: the bound acts
    reg = REGULARISERS[name]
    value, dS = reg(S)
    assert value > 0 and np.any(dS != 0)
    assert max_rel_error(dS, fd_grad(lambda s, _: reg(s), S, None)) < FD_TOL


def test_count_losses_are_snntorch_formulas():
    S, y = _soft_spikes(3)
    c = S.sum(axis=1)
    logp = c - np.log(np.exp(c).sum(axis=1, keepdims=True))
    assert losses.count_ce(S, y)[0] == pytest.approx(-logp[np.arange(B), y].mean(), rel=1e-13)
    target = np.full((B, K), float(int(T * 0.2)))
    target[np.arange(B), y] = int(T * 0.8)       # snnTorch: int(num_steps * rate)
    want = np.mean((c - target) ** 2) / T          # nn.MSELoss, then / num_steps
    assert losses.count_mse(S, y)[0] == pytest.approx(want, rel=1e-13)
    assert losses.spike_rate_l1(S, 0.3)[0] == pytest.approx(0.3 * S.sum(), rel=1e-13)


def test_the_printed_cross_entropy_eq29_has_the_wrong_sign():
    """"lessons" Eq. 29 prints L = sum_i y_i log p_i: minimising it would lower p_y. The
    library's -log p_y is >= 0 and one gradient step on the counts raises p_y."""
    S, y = _soft_spikes(4)
    value, dS = losses.count_ce(S, y)
    c = S.sum(axis=1)
    p = lambda counts: (np.exp(counts) / np.exp(counts).sum(axis=1, keepdims=True))[
        np.arange(B), y]
    printed = np.log(p(c)).sum() / B
    assert value == pytest.approx(-printed, rel=1e-13) and value > 0
    assert np.all(p(c - 0.1 * dS.sum(axis=1) * B) > p(c))


def test_the_printed_upper_bound_has_a_spurious_minus_sign():
    """Zenke & Vogels §4.2.5 print g_upper = -lambda([mean zeta - v_upper]_+)^L: that rewards
    activity above the bound. The library's g is >= 0, zero below the bound and grows above."""
    S = np.ones((1, 10, 4)) * 0.5                  # mean count 5
    assert losses.upper_bound(S, 1.0, 6.0)[0] == 0.0
    low, high = (losses.upper_bound(S * f, 1.0, 4.0, L=2)[0] for f in (1.0, 1.2))
    assert 0 < low < high                          # printed: 0 > -low > -high
    assert np.all(losses.upper_bound(S, 1.0, 4.0)[1] > 0)


def test_lower_bound_acts_only_on_quiet_neurons():
    S = np.zeros((2, 5, 3))
    S[:, :, 0] = 1.0                               # neuron 0 fires 5 times, the others never
    value, dS = losses.lower_bound(S, 4.0, 2.0)
    assert value == pytest.approx(4.0 / 3 * (2 * 2 ** 2))   # (lam/M) sum_i [2 - 0]^2, mean b
    assert np.all(dS[:, :, 0] == 0) and np.all(dS[:, :, 1:] < 0)


# ------------------------------------------------------------------- 2. first spike time
def test_first_spike_time_is_the_first_spike_index_on_binary_spikes():
    rng = np.random.default_rng(5)
    S = (rng.random((4, 12, 6)) < 0.15).astype(float)
    S[0, :, 0] = 0.0                               # a silent neuron
    want = np.array([[np.flatnonzero(S[b, :, k])[0] if S[b, :, k].any() else 11
                      for k in range(6)] for b in range(4)])
    f, df = losses.first_spike_time(S, with_grad=True)
    np.testing.assert_array_equal(f, want)
    assert np.all(df[0, :, 0] == np.arange(12) - 11)   # a silent neuron is pulled to fire
    np.testing.assert_array_equal(losses.predict_first_spike(S), want.argmin(axis=1))


def test_relative_latency_loss_is_zero_inside_the_window():
    S = np.zeros((1, 20, 3))
    S[0, 2, 1] = S[0, 9, 0] = S[0, 15, 2] = 1.0   # label 1 fires at f0 = 2, others >= 2 + 5
    value, dS = losses.latency_relative_mse(S, [1], gamma=5, f0=2)
    assert value == 0.0 and np.all(dS == 0)
    assert losses.latency_relative_mse(S, [1], gamma=10, f0=2)[0] > 0   # output 0 too early


# ------------------------------------------------------------------- 3. through a network
def _spiking_output_problem(seed, reset="subtract", detach=False):
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([4, 4, 3], p, rng=seed, output="spiking", gain=14.0)
    rng = np.random.default_rng(seed + 100)
    x = (rng.random((2, 18, 4)) < 0.35).astype(float)
    return net, x, rng.integers(0, 3, size=2)


OBJECTIVES = {
    "count_ce": losses.Objective(losses.count_ce, "spikes"),
    "count_mse": losses.Objective(losses.count_mse, "spikes"),
    "latency_ce": losses.Objective(losses.latency_ce, "spikes"),
    "latency_mse": losses.Objective(losses.latency_mse, "spikes"),
    "latency_relative_mse": losses.Objective(SPIKE_LOSSES["latency_relative_mse"], "spikes",
                                             predict=losses.predict_first_spike),
    "membrane_and_regularisers": losses.Objective(
        losses.sum_over_time_ce,
        regularisers=[(0, losses.lower_bound, {"lam": 1.0, "v_lower": 3.0}),
                      (0, losses.upper_bound, {"lam": 0.5, "v_upper": 1.0, "L": 2}),
                      (-1, losses.spike_rate_l1, {"lam": 0.01})]),
}


@pytest.mark.parametrize("spike", ["soft", "hard"])
@pytest.mark.parametrize("name", list(OBJECTIVES))
def test_objective_through_a_spiking_output_network(name, spike):
    net, x, y = _spiking_output_problem(1, reset="zero" if spike == "hard" else "subtract")
    tr = net.simulate(x, spike=spike)
    assert all(s.sum() > 0 for s in tr.S)          # not vacuous: every layer fires
    report = check_network(net, x, OBJECTIVES[name], y, spike=spike)
    print(report)
    assert report.passed and report.skipped == 0


def test_regulariser_on_a_hidden_layer_of_a_readout_network():
    p = LIFParams(alpha=0.85, beta=0.9, detach_reset=True)
    net = Network.init([3, 4, 3, 2], p, recurrent=[True, False], rng=3, gain=12.0)
    x = (np.random.default_rng(3).random((2, 15, 3)) < 0.35).astype(float)
    obj = losses.Objective(losses.sum_over_time_ce,
                           regularisers=[(1, losses.lower_bound, {"lam": 1.0, "v_lower": 6.0})])
    report = check_network(net, x, obj, np.array([0, 1]), spike="hard")
    assert report.passed and report.skipped == 0


# ------------------------------------------------------------------- 4. bptt's gS_ext
def test_gS_ext_is_linear_and_equals_rtrl_of_the_integrating_readout():
    """A loss on spikes S of a hidden layer with dL/dS = G, against RTRL of the same network
    whose readout (W_o = identity, the neurons' alpha, beta) integrates S: with d_readout =
    D the readout loss is sum_n D[n] U_o[n], i.e. dL/dS[n] = (eps^T * D)[n]. Choosing D and
    computing G from it by the readout's adjoint makes the two losses identical."""
    p = LIFParams(alpha=0.8, beta=0.9, reset="zero")
    net = Network.init([5, 4, 4], p, rng=2, gain=12.0)
    net.W[1] = np.eye(4)
    rng = np.random.default_rng(2)
    x = (rng.random((2, 30, 5)) < 0.2).astype(float)
    tr = net.simulate(x)
    S_target = (rng.random((2, 30, 4)) < 0.1).astype(float)
    value, G = van_rossum(tr.S[0], S_target, p.alpha, p.beta)   # dL/dS of the van Rossum loss
    from refsnn.grad.superspike import van_rossum_filter
    D = tr.readout - van_rossum_filter(S_target, p.alpha, p.beta)   # dL/dU_o, same loss
    g_spikes = bptt(net, tr, None, gS_ext={0: G})
    g_exact = rtrl(net, tr, D)
    assert max_rel_error(g_spikes.W[0], g_exact.W[0]) < AGREE_TOL
    assert np.all(g_spikes.W[1] == 0)              # the readout is not in this loss
    # SuperSpike with the reset term kept is this exact gradient (docs/design.md §6.4)
    assert max_rel_error(superspike(net, x, S_target, keep_reset=True)[1].W[0],
                         g_spikes.W[0]) < AGREE_TOL
    both = bptt(net, tr, D, gS_ext={-1: G})        # linear: the sum of the two
    np.testing.assert_allclose(both.W[0], 2 * g_exact.W[0], rtol=1e-12, atol=0)


def test_gS_ext_bad_input_names_it():
    net, x, y = _spiking_output_problem(0)
    tr = net.simulate(x)
    G = np.ones_like(tr.S[1])
    with pytest.raises(ValueError, match="d_readout or gS_ext"):
        bptt(net, tr)
    with pytest.raises(TypeError, match="gS_ext must be a dict"):
        bptt(net, tr, None, gS_ext=G)
    with pytest.raises(ValueError, match="gS_ext has layer 2"):
        bptt(net, tr, None, gS_ext={2: G})
    with pytest.raises(ValueError, match="twice"):
        bptt(net, tr, None, gS_ext={1: G, -1: G})
    with pytest.raises(ValueError, match=r"gS_ext\[0\] must have the shape"):
        bptt(net, tr, None, gS_ext={0: G})
    with pytest.raises(ValueError, match="NaN"):
        bptt(net, tr, None, gS_ext={1: G * np.nan})
    with pytest.raises(TypeError, match="layer indices"):
        bptt(net, tr, None, gS_ext={"out": G})
    with pytest.raises(TypeError):
        bptt(net, tr, None, G)                      # gS_ext is keyword-only


def test_spiking_output_layer_trace_and_refusals():
    net, x, y = _spiking_output_problem(0)
    tr = net.simulate(x)
    assert len(tr.S) == 2 and tr.S[-1].shape == (2, 18, 3)
    assert tr.readout is tr.U[-1] and set(np.unique(tr.S[-1])) <= {0.0, 1.0}
    assert "output='spiking'" in repr(net) and net.copy().output == "spiking"
    d = np.zeros_like(tr.readout)
    with pytest.raises(ValueError, match="output"):
        rtrl(net, tr, d)
    with pytest.raises(ValueError, match="output"):
        feedback_alignment(net, tr, d, [np.zeros((3, 5))])
    with pytest.raises(ValueError, match="output must be one of"):
        Network.init([4, 5, 3], net.params, output="spikes")
    with pytest.raises(ValueError, match="reads must be one of"):
        losses.Objective(losses.count_ce, "counts")


def test_a_spiking_output_network_learns_with_count_ce():
    """Two input groups, two spiking outputs: the rate code is learnt from the count loss
    through gS_ext (train and evaluate take the Objective; held-out data)."""
    from refsnn.datasets import two_groups
    from refsnn.optim import Adam
    task = dict(T=50, n_in=20, rate_low=0.03, rate_high=0.07)
    (x, y), (xv, yv) = two_groups(128, rng=21, **task), two_groups(200, rng=22, **task)
    net = Network.init([20, 30, 2], LIFParams.from_taus(1e-3, 5e-3, 1e-2), rng=0, gain=4.0,
                       output="spiking")
    obj = losses.Objective(losses.count_ce, "spikes")
    before = evaluate(net, xv, yv, loss=obj)[1]
    hist = train(net, x, y, loss=obj, optimizer=Adam(lr=5e-3), epochs=8, batch_size=32,
                 progress=False)
    after = evaluate(net, xv, yv, loss=obj)[1]
    print(f"count_ce on two groups: held-out accuracy {before:.2f} -> {after:.2f}, "
          f"loss {hist.loss[0]:.3f} -> {hist.loss[-1]:.3f}")
    assert hist.loss[-1] < hist.loss[0] and after > max(before, 0.5) + 0.2

"""The first-to-spike loss and penalty of refsnn.timing.first_spike_loss (against a longdouble
oracle and finite differences), the training step, and the two experiments and figures built on
Mostafa's network (temporal XOR, Yin-Yang)."""
import json

import numpy as np
import pytest

from refsnn import experiments
from refsnn.experiments import temporal_xor as tx
from refsnn.experiments import yin_yang_timing as yt
from refsnn.figures import temporal_xor as fig_xor
from refsnn.figures import yin_yang_timing as fig_yy
from refsnn.gradcheck import FD_TOL, numerical_gradient, rel_error
from refsnn.optim import Adam
from refsnn.timing import mostafa, mostafa_reference, training
from refsnn.timing.first_spike_loss import first_spike_ce, predict, weight_sum_penalty

LD = np.longdouble


def oracle_ce(t, y, on):
    """The loss written independently, in longdouble: mean of logsumexp(-x) + x_y."""
    t = np.asarray(t, dtype=LD)
    x = np.exp(t) if on == "z" else t
    m = np.min(x, axis=1, keepdims=True)
    lse = -m[:, 0] + np.log(np.sum(np.exp(-(x - m)), axis=1))
    return np.mean(lse + x[np.arange(len(y)), y])


@pytest.mark.parametrize("on", ["z", "t"])
def test_loss_value_and_gradient_against_the_oracle(on):
    rng = np.random.default_rng(0)
    t = rng.uniform(0.5, 3.0, (5, 4))
    y = rng.integers(0, 4, 5)
    value, d = first_spike_ce(t, y, on=on)
    assert value == pytest.approx(float(oracle_ce(t, y, on)), rel=1e-13)
    T = t.copy()
    fd = numerical_gradient(lambda: oracle_ce(T, y, on), T, eps=1e-2, method="ridders")
    assert np.max(rel_error(d.ravel(), fd)) < FD_TOL
    if on == "t":                                           # a common shift changes nothing
        assert np.allclose(d.sum(axis=1), 0.0, atol=1e-15)


def test_silent_outputs():
    t = np.array([[1.0, np.inf, 2.0], [np.inf, 1.0, 1.5]])
    y = np.array([0, 0])
    value, d = first_spike_ce(t, y)
    assert value == np.inf                                  # the second sample's target is silent
    assert d[0, 1] == 0 and d[1, 0] == 0                    # no gradient to a silent output
    # a silent competitor counts as absent: sample 0 equals the loss without that column
    v0, d0 = first_spike_ce(t[:1, [0, 2]], y[:1])
    assert 2 * d[0, [0, 2]] == pytest.approx(d0[0])         # (batch 2 vs 1: the 1/B)
    # the silent target's limit: dL/dt_k = -p_k z_k / B < 0 for the others (pushed later)
    z = np.exp(t[1, 1:])
    p = np.exp(-z) / np.exp(-z).sum()
    assert d[1, 1:] == pytest.approx(-p * z / 2)
    finite, _ = first_spike_ce(t, y, t_silent=5.0)          # a finite stand-in time
    assert np.isfinite(finite)
    assert list(predict(t)) == [0, 1] and predict([[np.inf, np.inf]])[0] == -1


def test_weight_sum_penalty():
    W = [np.array([[0.2, 0.3], [1.0, 0.5]]), np.array([[-1.0, 0.5]])]
    value, grads = weight_sum_penalty(W, K=2.0)
    assert value == pytest.approx(2.0 * (0.5 + 1.5))        # rows below 1: 0.5 and -0.5
    assert np.array_equal(grads[0], [[-2.0, -2.0], [0.0, 0.0]])
    assert np.array_equal(grads[1], [[-2.0, -2.0]])
    with pytest.raises(ValueError, match="K"):
        weight_sum_penalty(W, K=-1.0)


def test_bad_loss_arguments_are_named():
    with pytest.raises(ValueError, match="on"):
        first_spike_ce([[1.0, 2.0]], [0], on="u")
    with pytest.raises(ValueError, match="labels"):
        first_spike_ce([[1.0, 2.0]], [2])
    with pytest.raises(ValueError, match="labels"):
        first_spike_ce([[1.0, 2.0]], [0.5])
    with pytest.raises(ValueError, match="t_out"):
        first_spike_ce([[np.nan, 2.0]], [0])
    with pytest.raises(ValueError, match="t_silent"):
        first_spike_ce([[1.0, 2.0]], [0], t_silent=np.nan)


def test_end_to_end_gradient_of_the_loss():
    net = mostafa.Network.init([5, 12, 3], rng=9)   # every output fires (asserted)
    rng = np.random.default_rng(8)
    t_in = rng.uniform(0.15, 2.0, (4, 5))
    y = rng.integers(0, 3, 4)
    times = net.forward(t_in)
    assert np.isfinite(times[-1]).all()
    _, d = first_spike_ce(times[-1], y)
    grads = net.backward(times, d)

    def f():
        t, sizes = mostafa_reference.forward(net, t_in)
        return oracle_ce(t[-1], y, "z"), np.concatenate([k.ravel() for k in sizes])

    for l, W in enumerate(net.W):
        fd = numerical_gradient(f, W, eps=1e-3, method="ridders")
        assert not np.isnan(fd).any()
        assert np.max(rel_error(grads.W[l].ravel(), fd)) < FD_TOL, l


def test_clip_norm_and_a_step():
    g = [np.array([3.0, 0.0]), np.array([[4.0]])]
    clipped, norm = training.clip_norm(g, 1.0)
    assert norm == 5.0 and np.allclose(clipped[0], [0.6, 0.0]) and np.allclose(clipped[1], 0.8)
    same, _ = training.clip_norm(g, 10.0)
    assert all(np.array_equal(a, b) for a, b in zip(same, g))
    t_in, y = tx.patterns()
    net = mostafa.Network.init([2, 4, 2], rng=100)
    before = [w.copy() for w in net.W]
    ce, penalty, acc = training.step(net, t_in, y, Adam(lr=0.05))
    assert 0 <= acc <= 1 and penalty >= 0
    assert any(not np.array_equal(a, b) for a, b in zip(before, net.W))
    with pytest.raises(ValueError, match="batch_size"):
        training.epoch(net, t_in, y, Adam(lr=0.05), 0, rng=0)
    with pytest.raises(TypeError, match="optimizer"):
        training.epoch(net, t_in, y, "adam", 2, rng=0)


# ---------------------------------------------------------------------- experiments
def test_temporal_xor_run_solves_the_task_and_is_deterministic():
    config, seeds = tx.sweep("quick")
    assert min(seeds) >= 20                                  # the tuning seeds were 0-19
    a, b = tx.run(config[0], seeds[0]), tx.run(config[0], seeds[0])
    a.pop("seconds"), b.pop("seconds")
    assert json.dumps(a) == json.dumps(b)
    assert a["success"] and a["accuracy_final"] == 1.0
    t_out = np.array(a["t_out"], dtype=float)
    assert np.array_equal(np.argmin(t_out, axis=1), tx.patterns()[1])   # first spike = class
    with pytest.raises(ValueError, match="lacks"):
        tx.run({"hidden": 4}, 0)
    with pytest.raises(TypeError, match="seed"):
        tx.run(config[0], 1.5)
    assert set(experiments.EXPERIMENTS) >= {"temporal_xor", "yin_yang_timing"}


def test_temporal_xor_figure_data():
    config, _ = tx.sweep("quick")
    m = tx.run(config[0], 100)
    t_in, _ = tx.patterns()
    grid, times, U = fig_xor.potentials(m["W"], t_in, 6.0)
    net = mostafa.Network([np.array(w) for w in m["W"]])
    for l, w in enumerate(net.W):                            # U = 1 at each spike, Eq. (1)
        fin = np.isfinite(times[l + 1])
        b, i = np.nonzero(fin)
        at = np.array([mostafa.membrane(w[i_:i_ + 1], times[l][b_:b_ + 1],
                                        times[l + 1][b_, i_:i_ + 1])[0, 0, 0]
                       for b_, i_ in zip(b, i)])
        assert np.allclose(at, 1.0, atol=1e-12)
        assert np.all(np.nan_to_num(U[l], nan=0.0) < 1.0 + 1e-9)


def test_yin_yang_run_is_deterministic_and_complete():
    config, seeds = yt.sweep("quick")
    assert min(seeds) >= 3                                   # the tuning seeds were 0-2
    c = dict(config[0], epochs=2)
    a, b = yt.run(c, seeds[0]), yt.run(c, seeds[0])
    a.pop("seconds"), b.pop("seconds")
    assert json.dumps(a) == json.dumps(b)
    assert len(a["epoch"]) == 3 and len(a["val_accuracy"]) == 3
    assert 0.0 <= a["test_accuracy"] <= 1.0
    assert yt.run(c, seeds[1])["val_accuracy"] != a["val_accuracy"]
    xs, regions = fig_yy.decision_regions(a["W"], n=20)
    assert regions.shape == (20, 20) and set(np.unique(regions)) <= {-2, -1, 0, 1, 2}
    with pytest.raises(ValueError, match="size"):
        yt.sweep("huge")

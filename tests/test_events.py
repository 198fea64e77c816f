"""Event lists (refsnn.events) and the event-driven paths of the forward and of BPTT.

The event path and the dense path of a kernel perform the same additions in the same order, so
they must agree *exactly*, not merely to rounding.
"""
import dataclasses

import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, events, lif, losses


def _spikes(shape, density, seed):
    return (np.random.default_rng(seed).random(shape) < density).astype(np.float64)


@pytest.mark.parametrize("density", [0.0, 0.03, 0.5, 1.0])
def test_round_trip(density):
    x = _spikes((3, 7, 11), density, 0) * np.random.default_rng(1).normal(size=(3, 7, 11))
    e = events.to_events(x)
    assert e.shape == x.shape
    assert e.idx.size == np.count_nonzero(x)
    assert np.array_equal(events.to_dense(e), x)
    np.testing.assert_allclose(e.density, np.count_nonzero(x) / x.size)


def test_events_are_ordered_per_step():
    x = _spikes((2, 5, 9), 0.4, 3)
    e = events.to_events(x)
    for r in range(2 * 5):
        js = e.idx[e.ptr[r]:e.ptr[r + 1]]
        assert np.all(np.diff(js) > 0)
        assert np.array_equal(js, np.flatnonzero(x.reshape(10, 9)[r]))


@pytest.mark.parametrize("recurrent", [False, True])
def test_forward_event_path_equals_dense_path(recurrent):
    p = LIFParams(alpha=0.8, beta=0.9)
    net = Network.init([40, 30, 5], p, recurrent=recurrent, rng=2)
    x = _spikes((4, 60, 40), 0.05, 4)
    e = events.to_events(x)
    out = []
    for use_events in (True, False):
        I, U, S = (np.empty((4, 60, 30)) for _ in range(3))
        lif.layer_forward(x, e.ptr, e.idx, e.val, use_events, net.W[0],
                          net.V[0] if recurrent else np.zeros((0, 0)), recurrent,
                          lif.neuron(p, net.surrogate, "hard"), I, U, S)
        out.append((I, U, S))
    assert out[0][2].any()
    for a, b in zip(*out):
        assert np.array_equal(a, b)


def _small_net():
    return Network.init([20, 10, 3], LIFParams(alpha=0.8, beta=0.9), rng=0)


def test_simulate_uses_events_for_sparse_input_only():
    net = _small_net()
    sparse = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    dense = net.simulate(_spikes((2, 30, 20), 0.6, 0))
    assert sparse.x_events is not None and sparse.x_events.density <= events.DENSE_ABOVE
    assert dense.x_events is None


@pytest.mark.parametrize("reset,detach", [("subtract", True), ("zero", False)])
def test_bptt_event_path_equals_dense_path(reset, detach):
    p = LIFParams(alpha=0.85, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([50, 25, 4], p, recurrent=True, rng=5)
    x = _spikes((6, 80, 50), 0.04, 6)
    tr = net.simulate(x)
    assert tr.x_events is not None
    d = losses.max_over_time_ce(tr.readout, np.arange(6) % 4)[1]
    g_ev = bptt(net, tr, d)
    g_dense = bptt(net, dataclasses.replace(tr, x_events=None), d)
    assert np.any(g_ev.W[0] != 0)
    for a, b in zip(g_ev.W + g_ev.V, g_dense.W + g_dense.V):
        assert np.array_equal(a, b)


def test_inconsistent_events_are_refused():
    net = _small_net()
    tr = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    other = events.to_events(_spikes((2, 31, 20), 0.05, 1))
    d = np.zeros_like(tr.readout)
    with pytest.raises(ValueError, match="x_events"):
        bptt(net, dataclasses.replace(tr, x_events=other), d)


@pytest.mark.parametrize("density", [0.05, 0.6])  # the event-list check and the dense check
@pytest.mark.parametrize("bad,match", [(np.nan, "NaN or inf"), (np.inf, "NaN or inf"),
                                       (0.5, "binary")])
def test_input_values_are_checked_on_both_paths(density, bad, match):
    net = _small_net()
    x = _spikes((2, 30, 20), density, 0)
    x[1, 17, 3] = bad
    with pytest.raises(ValueError, match=match):
        net.simulate(x)
    if match == "binary":
        net.simulate(x, binary_input=False)  # analog input is allowed when asked for


def test_bad_arrays_are_refused():
    with pytest.raises(TypeError, match="x must be a float64 or float32"):
        events.to_events(np.zeros((2, 3, 4), dtype=int))
    with pytest.raises(ValueError, match="shape"):
        events.to_events(np.zeros((3, 4)))


def test_forged_event_indices_are_refused():
    net = _small_net()
    tr = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    e = tr.x_events
    forged = events.Events(ptr=e.ptr, idx=e.idx + 20, val=e.val, shape=e.shape)
    with pytest.raises(ValueError, match="x_events"):
        bptt(net, dataclasses.replace(tr, x_events=forged), np.zeros_like(tr.readout))

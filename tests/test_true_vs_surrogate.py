"""The true_vs_surrogate experiment (Zenke & Vogels Fig. 2b): the true gradient is BPTT with
the spike's derivative zero, so only the readout learns; configs, determinism, bad input."""
import json

import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses
from refsnn.experiments import feedback_comparison as fc
from refsnn.experiments import true_vs_surrogate as tvs


@pytest.mark.parametrize("surrogate", ["piecewise_linear", "superspike"])
def test_the_true_gradient_is_bptt_with_a_vanishing_spike_derivative(surrogate):
    """Two derivations: BPTT with a surrogate that is 0 off the threshold (Esser's
    max(0, 1 - scale |x|), SuperSpike, at scale 1e300) and readout_only (zeros by
    construction) agree to the last bit, recurrence and two hidden layers included."""
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([20, 30, 10, 2], p, recurrent=[True, False], rng=0,
                       surrogate=(surrogate, 1e300))
    x = (np.random.default_rng(1).random((8, 50, 20)) < 0.1).astype(float)
    trace = net.simulate(x)
    assert all(s.sum() > 0 for s in trace.S)             # every layer spikes: not vacuous
    _, d = losses.max_over_time_ce(trace.readout, np.arange(8) % 2)
    g, r = bptt(net, trace, d), fc.readout_only(net, trace, d)
    for a, b in zip(g.W + g.V, r.W + r.V):
        assert (a is None and b is None) or np.array_equal(a, b)
    assert all(not np.any(w) for w in g.W[:-1]) and np.abs(g.W[-1]).max() > 0
    surrogate_grad = bptt(Network(net.W, net.V, net.params), trace, d)   # SuperSpike 10
    assert np.abs(surrogate_grad.W[0]).max() > 0          # the default surrogate does not


def test_configs_differ_only_in_gain_and_gradient():
    for size in tvs.SIZES:
        cs = tvs.configs(size)
        assert [(c["gain"], c["gradient"]) for c in cs] == [
            (g, grad) for g in tvs.SIZES[size]["gains"] for grad in tvs.GRADIENTS]
        rest = [{k: v for k, v in c.items() if k not in ("gain", "gradient")} for c in cs]
        assert all(r == rest[0] for r in rest)
        assert rest[0]["n_classes"] == 2 and rest[0]["hidden"] == (100,)
        json.dumps(cs)
    assert len(tvs.SIZES["small"]["seeds"]) >= 3
    assert 7.0 in tvs.SIZES["small"]["gains"]              # the library's default is shown
    with pytest.raises(ValueError, match="size"):
        tvs.configs("huge")


def _tiny(gradient):
    c = dict(tvs.configs("quick")[0], gradient=gradient, hidden=(20,), gain=7.0)
    return c


def test_the_true_gradient_leaves_the_hidden_layer_as_it_was():
    true, sur = tvs.run(_tiny("true"), 3), tvs.run(_tiny("surrogate"), 3)
    # the same initial network; the true gradient never changes the hidden weights, so the
    # hidden activity on the test set is exactly the initial one
    assert true["initial_hidden_spikes"] == sur["initial_hidden_spikes"] > 0
    assert true["hidden_spikes"] == true["initial_hidden_spikes"]
    assert sur["hidden_spikes"] != sur["initial_hidden_spikes"]
    assert true["train_loss"][0] == sur["train_loss"][0]
    assert true["val_loss"][1] != true["val_loss"][0]      # but the readout did learn ...
    assert true["val_loss"][1] != sur["val_loss"][1]       # ... and differently
    again = tvs.run(_tiny("true"), 3)
    again.pop("seconds"), true.pop("seconds")
    assert json.dumps(again) == json.dumps(true)
    rows = tvs.table(_tiny("true"), 3, dict(true, seconds=1.0))
    assert [r["epoch"] for r in rows] == [0, 1] and rows[-1]["test_accuracy"] != ""


def test_run_rejects_bad_configs():
    with pytest.raises(ValueError, match="gradient"):
        tvs.run(dict(_tiny("true"), gradient="exact"), 0)
    with pytest.raises(TypeError, match="config"):
        tvs.run([("gradient", "true")], 0)
    with pytest.raises(TypeError, match="seed"):
        tvs.run(_tiny("true"), 0.5)

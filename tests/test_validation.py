"""Bad input raises ValueError/TypeError naming the argument, before any kernel runs."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, gradcheck, losses


@pytest.fixture
def net():
    return Network.init([3, 4, 2], LIFParams(alpha=0.8, beta=0.9), recurrent=True, rng=0)


@pytest.fixture
def x():
    return (np.random.default_rng(0).random((2, 10, 3)) < 0.3).astype(float)


@pytest.mark.parametrize("kw,exc,word", [
    (dict(alpha=0.0, beta=0.9), ValueError, "alpha"),
    (dict(alpha=1.0, beta=0.9), ValueError, "alpha"),
    (dict(alpha=0.5, beta=1.5), ValueError, "beta"),
    (dict(alpha=np.nan, beta=0.5), ValueError, "alpha"),
    (dict(alpha="0.5", beta=0.5), TypeError, "alpha"),
    (dict(alpha=0.5, beta=0.5, threshold=-1.0), ValueError, "threshold"),
    (dict(alpha=0.5, beta=0.5, reset="soft"), ValueError, "reset"),
    (dict(alpha=0.5, beta=0.5, detach_reset="yes"), TypeError, "detach_reset"),
])
def test_lifparams(kw, exc, word):
    with pytest.raises(exc, match=word):
        LIFParams(**kw)


def test_from_taus_bad():
    with pytest.raises(ValueError, match="tau_syn"):
        LIFParams.from_taus(dt=1e-3, tau_syn=-1.0, tau_mem=1e-2)
    with pytest.raises(ValueError, match="dt"):
        LIFParams.from_taus(dt=0.0, tau_syn=1e-3, tau_mem=1e-2)


def test_network_init_bad():
    p = LIFParams(alpha=0.8, beta=0.9)
    with pytest.raises(ValueError, match="sizes"):
        Network.init([3, 2], p)
    with pytest.raises(ValueError, match="sizes"):
        Network.init([3, 0, 2], p)
    with pytest.raises(ValueError, match="recurrent"):
        Network.init([3, 4, 4, 2], p, recurrent=[True])
    with pytest.raises(TypeError, match="params"):
        Network.init([3, 4, 2], {"alpha": 0.8})
    with pytest.raises(ValueError, match="surrogate name"):
        Network.init([3, 4, 2], p, surrogate=("tanh", 1.0))
    with pytest.raises(TypeError, match="rng"):
        Network.init([3, 4, 2], p, rng="seed")


def test_simulate_bad_input(net, x):
    with pytest.raises(ValueError, match="x must have shape"):
        net.simulate(x[0])
    with pytest.raises(ValueError, match="x has 2 input neurons"):
        net.simulate(x[:, :, :2])
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(ValueError, match="x contains NaN"):
        net.simulate(bad)
    with pytest.raises(ValueError, match="binary"):
        net.simulate(x * 0.5)
    net.simulate(x * 0.5, binary_input=False)  # analog input is allowed when asked for
    with pytest.raises(ValueError, match="spike"):
        net.simulate(x, spike="smooth")
    with pytest.raises(TypeError, match="x must be a numeric array"):
        net.simulate(np.array([[["a"]]]))


def test_reassigned_weights_are_checked(net, x):
    net.W[1] = np.zeros((2, 7))
    with pytest.raises(ValueError, match=r"W\[1\] has shape \(2, 7\), expected \(post, 4\)"):
        net.simulate(x)
    net.W[1] = np.zeros((2, 4))
    net.W[0] = np.zeros((4, 5))  # a different input size is legal: x must then match it
    with pytest.raises(ValueError, match="x has 3 input neurons, the network expects 5"):
        net.simulate(x)
    net.W[0] = np.zeros((4, 3))
    net.V[0] = np.zeros((3, 3))
    with pytest.raises(ValueError, match=r"V\[0\]"):
        net.simulate(x)
    net.V[0] = np.full((4, 4), np.inf)
    with pytest.raises(ValueError, match=r"V\[0\] contains NaN or inf"):
        net.simulate(x)


def test_bptt_bad_input(net, x):
    tr = net.simulate(x)
    _, d = losses.max_over_time_ce(tr.readout, np.array([0, 1]))
    with pytest.raises(ValueError, match="d_readout"):
        bptt(net, tr, d[:, :-1])
    with pytest.raises(ValueError, match="d_readout contains NaN"):
        bptt(net, tr, np.full_like(d, np.nan))
    other = Network.init([3, 5, 2], net.params, rng=1)
    with pytest.raises(ValueError, match="trace"):
        bptt(other, tr, d)


def test_gradcheck_bad_input():
    with pytest.raises(TypeError, match="float64"):
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3, dtype=np.float32))
    with pytest.raises(ValueError, match="eps"):
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3), eps=0.0)
    with pytest.raises(ValueError, match="method"):
        gradcheck.numerical_gradient(lambda: 0.0, np.zeros(3), method="complex")
    with pytest.raises(ValueError, match="shape"):
        gradcheck.rel_error(np.zeros(2), np.zeros(3))


# ---------------------------------------------------------------- issue 9: hostile inputs
def test_recurrent_must_be_bools():
    p = LIFParams(alpha=0.8, beta=0.9)
    with pytest.raises(TypeError, match="recurrent"):
        Network.init([3, 4, 2], p, recurrent="n")  # a str is a sequence, but not of bools
    with pytest.raises(TypeError, match=r"recurrent\[1\]"):
        Network.init([3, 4, 4, 2], p, recurrent=[True, "no"])
    with pytest.raises(TypeError, match="recurrent"):
        Network.init([3, 4, 2], p, recurrent=1)
    net = Network.init([3, 4, 4, 2], p, recurrent=(True, np.bool_(False)))
    assert net.V[0] is not None and net.V[1] is None


def test_binary_input_must_be_a_bool(net, x):
    with pytest.raises(TypeError, match="binary_input"):
        net.simulate(x * 0.5, binary_input="no")  # "no" is truthy: it would mean True
    with pytest.raises(TypeError, match="binary_input"):
        net.simulate(x, binary_input=0)


@pytest.mark.parametrize("bad, exc", [
    (np.array([["a", "b", "c"]] * 4), TypeError),
    (np.array([[object()] * 3] * 4, dtype=object), TypeError),
    (np.ones((4, 3), dtype=complex), TypeError),  # refused, not cast with a warning
])
def test_weight_arrays_must_be_real_numbers(net, x, bad, exc):
    with pytest.raises(exc, match=r"W\[0\]"):
        Network([bad, net.W[1]], net.V, net.params)
    net.W[0] = bad  # reassigned by a user: the next call names it, before any kernel runs
    with pytest.raises(exc, match=r"W\[0\]"):
        net.simulate(x)


def test_complex_recurrent_weights_are_refused(net, x):
    net.V[0] = net.V[0] + 0j
    with pytest.raises(TypeError, match=r"V\[0\]"):
        net.simulate(x)


def test_params_and_surrogate_are_checked_on_assignment(net):
    with pytest.raises(TypeError, match="params"):
        net.params = "P"
    with pytest.raises(TypeError, match="surrogate"):
        net.surrogate = 3
    assert isinstance(net.params, LIFParams)  # the rejected assignments changed nothing
    net.surrogate = ("sigmoid", 4.0)
    assert net.surrogate.name == "sigmoid"


@pytest.mark.parametrize("taus, word", [((1e-3, 1e308, 1e-2), "tau_syn is too large"),
                                        ((1e-3, 1e-2, 1e308), "tau_mem is too large"),
                                        ((1.0, 1e-300, 1e-2), "tau_syn is too small")])
def test_from_taus_names_the_time_constant(taus, word):
    with pytest.raises(ValueError, match=word.replace(" is", r" = \S+ is")):
        LIFParams.from_taus(*taus)


# ---------------------------------------------------------------- issue 9: no aliasing
@pytest.mark.parametrize("density", [0.6, 0.1])  # dense (array) and sparse (event list) input
def test_trace_shares_no_memory_with_the_input(net, density):
    x = (np.random.default_rng(1).random((2, 20, 3)) < density).astype(float)
    tr = net.simulate(x)
    assert (tr.x_events is None) == (density > 0.25)
    d = losses.max_over_time_ce(tr.readout, np.array([0, 1]))[1]
    g = bptt(net, tr, d)
    x_kept = x.copy()
    x[:] = 0.0  # the caller reuses their buffer
    again = bptt(net, tr, d)
    for a, b in zip(g.W + g.V, again.W + again.V):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(tr.x, x_kept)
    assert not np.shares_memory(tr.x, x)
    for w, v in zip(net.W, tr.W):
        assert not np.shares_memory(w, v)


@pytest.mark.parametrize("change, name", [
    (lambda net: net.W[0].__setitem__((0, 0), net.W[0][0, 0] + 1e-3), r"net\.W\[0\]"),
    (lambda net: net.W.__setitem__(1, 2.0 * net.W[1]), r"net\.W\[1\]"),
    (lambda net: net.V[0].__imul__(0.5), r"net\.V\[0\]"),
    (lambda net: net.V.__setitem__(0, None), r"net\.V\[0\]"),
])
def test_weights_changed_after_the_trace_are_refused(net, x, change, name):
    from refsnn import rtrl
    from refsnn.grad import eprop

    tr = net.simulate(x)
    d = losses.max_over_time_ce(tr.readout, np.array([0, 1]))[1]
    bptt(net, tr, d)
    change(net)
    for method in (bptt, rtrl, eprop):
        with pytest.raises(ValueError, match=name + " has changed since the trace"):
            method(net, tr, d)

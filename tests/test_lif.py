"""The forward simulator: closed forms of Eqs. 7-8, reset modes, and agreement with the
independent NumPy simulator (refsnn.reference)."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, reference
from conftest import random_problem


def one_neuron(w, reset="none", alpha=0.8, beta=0.9, threshold=1.0):
    p = LIFParams(alpha=alpha, beta=beta, threshold=threshold, reset=reset)
    return Network([np.array([[w]]), np.array([[1.0]])], [None], p)


def test_from_taus():
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    assert p.alpha == pytest.approx(np.exp(-0.2))
    assert p.beta == pytest.approx(np.exp(-0.1))
    assert p.threshold == 1.0 and p.reset == "subtract" and p.detach_reset is False


def test_single_psp_closed_form():
    """One input spike at n=0: I[n] = w alpha^(n-1), U[n] = w (alpha^(n-1) - beta^(n-1)) / (alpha - beta)."""
    w, alpha, beta, T = 0.3, 0.8, 0.9, 40
    net = one_neuron(w, alpha=alpha, beta=beta)
    x = np.zeros((1, T, 1))
    x[0, 0, 0] = 1
    tr = net.simulate(x)
    n = np.arange(1, T)
    np.testing.assert_allclose(tr.I[0][0, 1:, 0], w * alpha ** (n - 1), rtol=1e-13)
    np.testing.assert_allclose(tr.U[0][0, 1:, 0],
                               w * (alpha ** (n - 1) - beta ** (n - 1)) / (alpha - beta), rtol=1e-12)
    assert tr.I[0][0, 0, 0] == 0 and tr.U[0][0, 0, 0] == 0 and tr.U[0][0, 1, 0] == 0
    assert not tr.S[0].any()  # a PSP of peak ~w * 2.5 stays below threshold


def test_constant_current_steady_state():
    """Input every step: I -> w / (1 - alpha), U -> I / (1 - beta) (no reset)."""
    w, alpha, beta = 0.01, 0.8, 0.9
    net = one_neuron(w, reset="none", alpha=alpha, beta=beta, threshold=1e9)
    tr = net.simulate(np.ones((1, 400, 1)))
    assert tr.I[0][0, -1, 0] == pytest.approx(w / (1 - alpha), rel=1e-10)
    assert tr.U[0][0, -1, 0] == pytest.approx(w / (1 - alpha) / (1 - beta), rel=1e-10)


@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
def test_reset_after_spike(reset):
    net = one_neuron(2.0, reset=reset, alpha=0.5, beta=0.5)
    x = np.zeros((1, 30, 1))
    x[0, 0, 0] = 1
    tr = net.simulate(x)
    U, S, I = tr.U[0][0, :, 0], tr.S[0][0, :, 0], tr.I[0][0, :, 0]
    n = int(np.argmax(S))
    assert S[n] == 1 and U[n] > 1
    expected = {"subtract": 0.5 * U[n] + I[n] - 1.0, "zero": 0.0, "none": 0.5 * U[n] + I[n]}[reset]
    assert U[n + 1] == pytest.approx(expected)


def test_heaviside_convention_at_threshold():
    """S = Theta(U - theta) with Theta(0) = 0: U exactly at threshold does not spike."""
    net = one_neuron(1.0, alpha=0.5, beta=0.5)
    x = np.zeros((1, 5, 1))
    x[0, 0, 0] = 1
    tr = net.simulate(x)  # U[2] = I[1] = 1.0 exactly
    assert tr.U[0][0, 2, 0] == 1.0 and tr.S[0][0, 2, 0] == 0.0


def test_readout_is_nonspiking_filter():
    """U_o is the double-exponential filter of W_o S^(L), whatever its size."""
    p = LIFParams(alpha=0.7, beta=0.8)
    net = Network([np.array([[5.0]]), np.array([[3.0]])], [None], p)
    x = np.zeros((1, 20, 1))
    x[0, 0, 0] = 1
    tr = net.simulate(x)
    assert tr.readout.max() > 1  # far above threshold: the readout never resets
    assert np.all(np.diff(tr.readout[0, :, 0])[tr.readout[0, 1:, 0] > 0][:3] >= 0)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("spike", ["hard", "soft"])
def test_kernel_matches_reference_simulator(seed, spike):
    net, x, *_ = random_problem(seed, spike=spike)
    a = net.simulate(x, spike=spike)
    b = reference.simulate(net, x, spike=spike)
    for l in range(net.n_hidden_layers):
        np.testing.assert_allclose(a.U[l], b.U[l], rtol=0, atol=1e-12)
        np.testing.assert_allclose(a.I[l], b.I[l], rtol=0, atol=1e-12)
        if spike == "soft":
            np.testing.assert_allclose(a.S[l], b.S[l], rtol=0, atol=1e-12)
        else:  # spikes may only differ where U sits within rounding of the threshold
            differ = a.S[l] != b.S[l]
            assert not differ.any() or np.all(np.abs(a.U[l][differ] - 1.0) < 1e-12)
    np.testing.assert_allclose(a.readout, b.readout, rtol=0, atol=1e-12)


def test_reference_simulator_runs_no_kernel_of_the_library(monkeypatch):
    """The oracle is independent down to its input check: with every compiled entry point that
    touches the input or simulates a layer (event lists, the forward kernel) disabled, it still
    runs, and it still refuses bad input by itself."""
    from refsnn import events, lif

    net, x, *_ = random_problem(3, spike="hard")
    expected = reference.simulate(net, x)

    def boom(*args, **kwargs):
        raise AssertionError("reference.simulate ran a kernel of the library")

    for mod, name in ((events, "count"), (events, "from_counts"), (events, "to_events"),
                      (lif, "layer_forward")):
        monkeypatch.setattr(mod, name, boom)
    got = reference.simulate(net, x)
    np.testing.assert_array_equal(got.readout, expected.readout)
    with pytest.raises(ValueError, match="binary"):
        reference.simulate(net, 0.5 * x)


def test_activity_of_default_init():
    """The default initialisation makes hidden neurons spike on sparse input (not silent, not saturated)."""
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([100, 50, 10], p, rng=0)
    x = (np.random.default_rng(1).random((8, 100, 100)) < 0.05).astype(float)
    rate = net.simulate(x).S[0].mean()
    assert 0.005 < rate < 0.3

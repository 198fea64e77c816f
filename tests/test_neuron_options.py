"""The model options of docs/design.md §4 beyond the tutorial's model, under the contract of §6.

Options (Zenke & Vogels 2021, §4.2): the input gain ``1 - beta`` (Eq. 4.1), the readout's own
time constants (§4.2.2), the uniform and the fluctuation-driven initial weights (§4.2.3;
Rossbroich, Gygax & Zenke 2022), the asymptotic SuperSpike surrogate (§4.2.6); and the hybrid
surrogate of "lessons from deep learning" (§4.3, Eq. 8).

1. §6.1/§6.2: over seeded random networks that draw every option (``random_problem(...,
   variants=True)``), BPTT equals finite differences of the independent oracle (the smooth
   model for soft spikes, the frozen-spike model for hard spikes or a detached reset), and
   RTRL equals BPTT to AGREE_TOL.
2. Closed forms: Eq. 4.1 and the readout of §4.2.2 written out for one neuron equal the
   network's trace; the input gain ``1 - beta`` with weights divided by ``1 - beta`` is the
   same network; the PSP moments of the fluctuation-driven rule are the sums of the simulated
   kernel, and its weights give the membrane the mean and spread it was asked for.
   The hybrid surrogate's backward pass needs the spikes only, not the membrane (its note on
   memory), except for the differentiable zero reset.
3. The rules that implement the tutorial's model only refuse the options, naming them.
"""
import dataclasses

import numpy as np
import pytest

from conftest import RESETS, random_problem
from refsnn import LIFParams, Network, bptt, gradcheck, losses, stdp
from refsnn.grad import feedback
from refsnn.grad.eprop import eprop_exact
from refsnn.grad.superspike import superspike
from refsnn.grad.forward import rtrl
from refsnn.initialization import Fluctuation, psp_moments

#: seeds of random_problem(..., variants=True) whose every parameter has a gradient (no layer
#: is silent); together they cover every option value (test_option_seeds_cover_the_options)
OPTION_SEEDS = (1, 2, 10, 12, 13, 15, 19, 21, 35, 36, 41, 42)
SMALL = dict(max_layers=2, max_neurons=8, max_T=24, variants=True)


@pytest.mark.parametrize("seed", OPTION_SEEDS)
def test_options_bptt_vs_finite_differences_and_rtrl(seed):
    net, x, loss, target, spike, info = random_problem(seed, **SMALL)
    report = gradcheck.check_network(net, x, loss, target, spike=spike, n_samples=4, rng=seed)
    assert report.passed, f"{info}\n{report}"
    assert report.skipped == 0, f"{info}\n{report}"
    tr = net.simulate(x, spike=spike)
    d = loss(tr.readout, target)[1]
    g = bptt(net, tr, d)
    assert np.any(g.W[0] != 0), f"vacuous draw: no gradient reaches the first layer {info}"
    agree = gradcheck.compare(rtrl(net, tr, d), g, title=f"rtrl vs bptt {info}")
    assert agree.passed, str(agree)


def test_option_seeds_cover_the_options():
    infos = [random_problem(s, **SMALL)[-1] for s in OPTION_SEEDS]
    opts = [i["options"] for i in infos]
    assert {o.get("input_gain", "one") for o in opts} == {"one", "1-beta"}
    assert any("readout_beta" in o for o in opts) and not all("readout_beta" in o for o in opts)
    assert {type(i["init"]).__name__ if not isinstance(i["init"], str) else i["init"]
            for i in infos} == {"normal", "uniform", "Fluctuation"}
    assert "asymptotic_superspike" in {i["surrogate"] for i in infos}
    hybrid = [(i["spike"], i["subthreshold"] > 0) for i in infos if i["surrogate"] == "hybrid"]
    assert set(hybrid) == {("hard", False), ("hard", True), ("soft", False), ("soft", True)}
    leaky = {(i["spike"], i["reset"]) for i, o in zip(infos, opts) if o.get("neuron") == "leaky"}
    assert {s for s, _ in leaky} == {"hard", "soft"} and {r for _, r in leaky} == set(RESETS)
    adaptive = [(i["spike"], i["reset"], "threshold_jump" in o) for i, o in zip(infos, opts)
                if "threshold_decay" in o]
    assert {a[0] for a in adaptive} == {"hard", "soft"} and {a[2] for a in adaptive} == {True,
                                                                                         False}
    assert "subtract" in {a[1] for a in adaptive}  # the reset that reads theta[n]
    assert any(o.get("neuron") == "leaky" and "threshold_decay" in o for o in opts)
    assert {i["reset"] for i in infos} == set(RESETS)
    assert {i["spike"] for i in infos} == {"hard", "soft"}
    assert {i["detach_reset"] for i in infos} == {True, False}
    assert any(any(i["recurrent"]) for i in infos)


@pytest.mark.parametrize("reset, detach, needs_U", [("subtract", False, False),
                                                    ("subtract", True, False),
                                                    ("none", False, False), ("zero", True, False),
                                                    ("zero", False, True)])
def test_hybrid_surrogate_needs_only_the_spikes(reset, detach, needs_U):
    """"lessons" §4.3: with dS/dU <- S, BPTT reads the membrane only through the spikes. Any
    I and U with the same spikes give the same surrogate gradient, to the last bit, unless the
    reset is the differentiable zero reset, whose partial dU[n+1]/dS[n] = -(beta U + g I) reads
    them."""
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([4, 6, 5, 2], p, recurrent=True, surrogate=("hybrid", 1.0, 0.1), rng=2,
                       gain=12.0)
    x = (np.random.default_rng(3).random((2, 30, 4)) < 0.3).astype(float)
    tr = net.simulate(x)
    assert all(S.sum() > 0 for S in tr.S)
    d = losses.mse(tr.readout, np.random.default_rng(4).normal(size=tr.readout.shape))[1]
    rng = np.random.default_rng(5)
    forged = dataclasses.replace(
        tr, U=[p.threshold + (2 * S - 1) * rng.uniform(0.01, 3.0, S.shape) for S in tr.S],
        I=[rng.normal(size=S.shape) for S in tr.S])
    assert all(np.array_equal((U > p.threshold).astype(float), S)
               for U, S in zip(forged.U, tr.S))
    same = [np.array_equal(a, b) for (_, a), (_, b) in zip(bptt(net, tr, d).parameters(),
                                                             bptt(net, forged, d).parameters())]
    assert all(same) != needs_U, same


def test_equation_4_1_and_the_readout_of_zenke_vogels():
    """Eq. 4.1, ``U[n+1] = (beta U[n] + (1 - beta) I[n]) (1 - S[n])`` with ``S[n] =
    Theta(U[n] - 1)``, the current ``I[n+1] = alpha I[n] + W S_in[n]``, and the readout of
    §4.2.2, ``U_o[n+1] = beta_out U_o[n] + (1 - beta_out) I_o[n]``, written out for one neuron:
    refsnn's reset="zero" with input_gain="1-beta" acts on the same step (the spike at n
    zeroes U[n+1])."""
    dt = 1e-3
    alpha, beta, beta_out = np.exp(-dt / 5e-3), np.exp(-dt / 10e-3), np.exp(-dt / 20e-3)
    p = LIFParams(alpha=alpha, beta=beta, reset="zero", detach_reset=True, input_gain="1-beta")
    w, w_o = 9.0, 2.0
    net = Network([np.array([[w]]), np.array([[w_o]])], [None], p, readout_beta=beta_out)
    x = np.zeros((1, 60, 1))
    x[0, [3, 5, 6, 7, 20, 21, 22, 23, 40], 0] = 1.0
    tr = net.simulate(x)
    I = U = I_o = U_o = 0.0
    for n in range(60):
        S = 1.0 if U - 1.0 > 0 else 0.0
        assert tr.U[0][0, n, 0] == pytest.approx(U, abs=1e-14) and tr.S[0][0, n, 0] == S
        assert tr.readout[0, n, 0] == pytest.approx(U_o, abs=1e-14)
        I, U = alpha * I + w * x[0, n, 0], (beta * U + (1 - beta) * I) * (1 - S)
        I_o, U_o = alpha * I_o + w_o * S, beta_out * U_o + (1 - beta_out) * I_o
    assert tr.S[0].sum() >= 2, "vacuous: the neuron must fire (and be reset)"


@pytest.mark.parametrize("reset", RESETS)
def test_input_gain_is_a_reparametrisation_of_the_weights(reset):
    """``U[n+1] = beta U + (1 - beta) I`` with weights ``W / (1 - beta)`` is ``U[n+1] = beta U
    + I`` with ``W``: the same spikes, and gradients scaled by ``1 - beta``. Network.init draws
    exactly these weights for one seed (its normal rule compensates the gain)."""
    p = LIFParams(alpha=0.8, beta=0.9, reset=reset)
    q = p.replace(input_gain="1-beta")
    kw = dict(recurrent=True, rng=5, gain=10.0, readout_beta=0.95)
    a, b = Network.init([4, 6, 5, 3], p, **kw), Network.init([4, 6, 5, 3], q, **kw)
    c = [1 - p.beta] * 2 + [1 - 0.95]  # each layer's 1 - beta (the readout's own)
    for l in range(3):
        np.testing.assert_allclose(b.W[l] * c[l], a.W[l], rtol=1e-15)
    x = (np.random.default_rng(1).random((2, 40, 4)) < 0.3).astype(float)
    ta, tb = a.simulate(x), b.simulate(x)
    assert all(np.array_equal(sa, sb) for sa, sb in zip(ta.S, tb.S))
    assert all(s.sum() > 0 for s in ta.S)
    np.testing.assert_allclose(tb.readout, ta.readout, rtol=1e-12, atol=1e-13)
    target = np.random.default_rng(2).normal(size=ta.readout.shape)
    ga, gb = (bptt(n, t, losses.mse(t.readout, target)[1]) for n, t in ((a, ta), (b, tb)))
    scaled = dict(W=[g * cl for g, cl in zip(ga.W, c)], V=[g * c[l] for l, g in enumerate(ga.V)])
    report = gradcheck.compare(type(ga)(**scaled), gb, tol=1e-9)
    assert report.passed, str(report)


def test_uniform_init_is_pytorchs_and_zenke_vogels():
    """§4.2.3: ``U(-sqrt(k), sqrt(k))``, ``k = 1 / n_inputs``, for every matrix (its own fan-in),
    whatever the gain or the membrane's gain."""
    p = LIFParams(alpha=0.8, beta=0.9, input_gain="1-beta")
    net = Network.init([300, 200, 100, 10], p, recurrent=True, init="uniform", rng=0, gain=3.0)
    for (name, w), n in zip(net.parameters(), [300, 200, 100, 200, 100]):
        assert np.abs(w).max() <= 1 / np.sqrt(n), name
        # variance 1/(3n), estimated from >= 1000 entries: standard error <= 4.5% of it
        assert np.var(w) == pytest.approx(1 / (3 * n), rel=0.2), name


@pytest.mark.parametrize("alpha, beta, gain", [(0.8, 0.9, "one"), (0.5, 0.95, "1-beta")])
def test_psp_moments_are_the_sums_of_the_simulated_kernel(alpha, beta, gain):
    """The closed forms of psp_moments against the network's own response to one spike."""
    p = LIFParams(alpha=alpha, beta=beta, reset="none", threshold=1e9, input_gain=gain)
    net = Network([np.ones((1, 1)), np.ones((1, 1))], [None], p)
    x = np.zeros((1, 1200, 1))
    x[0, 0, 0] = 1.0
    eps = net.simulate(x).U[0][0, :, 0]  # eps[k] at step 2 + k; beta^1200 < 1e-26
    bar, hat = psp_moments(alpha, beta, p.gain)
    assert eps.sum() == pytest.approx(bar, rel=1e-12)
    assert (eps ** 2).sum() == pytest.approx(hat, rel=1e-12)


def test_fluctuation_init_gives_the_target_membrane_statistics():
    """Rossbroich, Gygax & Zenke 2022: weights N(mu_W, sigma_W) from Campbell's theorem give a
    free membrane (no reset) of mean mu_U and temporal variance sigma_U^2; with Bernoulli
    inputs of nu spikes per step (not Poisson) the variance is sigma_U^2 (1 - nu)."""
    nu, mu_U, sigma_U = 0.05, 0.3, 0.5
    p = LIFParams(alpha=0.8, beta=0.9, reset="none", threshold=1e9)
    init = Fluctuation(nu=nu, sigma_U=sigma_U, mu_U=mu_U)
    net = Network.init([400, 300, 2], p, init=init, rng=3)
    x = (np.random.default_rng(4).random((1, 4000, 400)) < nu).astype(float)
    U = net.simulate(x).U[0][0, 200:]  # after the transient (beta^200 ~ 7e-10)
    m, v = U.mean(axis=0), U.var(axis=0)  # per neuron, over time
    # bounds from the data: 6 standard errors of the mean over the 300 neurons
    se_m, se_v = m.std() / np.sqrt(m.size), v.std() / np.sqrt(v.size)
    assert abs(m.mean() - mu_U) < 6 * se_m + 0.01 * mu_U, (m.mean(), se_m)
    assert abs(v.mean() - sigma_U ** 2 * (1 - nu)) < 6 * se_v, (v.mean(), se_v)
    assert Fluctuation.from_input(x).nu == pytest.approx(x.mean())


def test_fluctuation_init_shares_the_variance_with_the_recurrent_weights():
    p = LIFParams(alpha=0.8, beta=0.9)
    init = Fluctuation(nu=0.1, sigma_U=1.0, ff_share=0.75)
    net = Network.init([200, 300, 2], p, recurrent=True, init=init, rng=0)
    bar, hat = psp_moments(0.8, 0.9, 1.0)
    for w, n, share in ((net.W[0], 200, 0.75), (net.V[0], 300, 0.25)):
        assert np.var(w) == pytest.approx(share / (n * 0.1 * hat), rel=0.05)


def test_the_options_through_feedback_alignment_are_bptt():
    """FA runs BPTT's sweep: with B = W it is BPTT on a network with every option."""
    net, x, loss, target, spike, info = random_problem(15, **SMALL)
    assert net.options(), info
    tr = net.simulate(x, spike=spike)
    d = loss(tr.readout, target)[1]
    fa = feedback.feedback_alignment(net, tr, d, [w.copy() for w in net.W[1:]])
    exact = dict(bptt(net, tr, d).parameters())
    assert all(np.array_equal(g, exact[name]) for name, g in fa.parameters())


@pytest.mark.parametrize("option", [dict(input_gain="1-beta"), dict(readout_beta=0.95),
                                    dict(neuron="leaky", alpha=0.0),
                                    dict(threshold_decay=0.9)])
def test_rules_of_the_tutorial_model_refuse_the_options(option):
    p = LIFParams(**{"alpha": 0.8, "beta": 0.9,
                     **{k: v for k, v in option.items() if k != "readout_beta"}})
    kw = {k: v for k, v in option.items() if k == "readout_beta"}
    name = next(iter(option))
    net = Network.init([3, 4, 2], p, rng=0, **kw)
    x = np.ones((1, 8, 3))
    tr = net.simulate(x)
    d = np.zeros_like(tr.readout)
    with pytest.raises(ValueError, match=f"e-prop does not support .*{name}"):
        eprop_exact(net, tr, d)
    with pytest.raises(ValueError, match=f"superspike does not support .*{name}"):
        superspike(net, x, np.zeros((1, 8, 4)))
    G = [np.zeros((2, 4))]
    with pytest.raises(ValueError, match=f"local_errors does not support .*{name}"):
        feedback.local_errors(net, tr, losses.mse, np.zeros((1, 8, 2)), G)
    with pytest.raises(ValueError, match=f"stdp.simulate does not support .*{name}"):
        stdp.simulate(net, x, stdp.PairSTDP(17e-3, 34e-3, 1e-3, 1e-3), 1e-3)


def test_bad_options():
    with pytest.raises(ValueError, match="input_gain"):
        LIFParams(alpha=0.8, beta=0.9, input_gain="half")
    p = LIFParams(alpha=0.8, beta=0.9)
    for name in ("readout_alpha", "readout_beta"):
        with pytest.raises(ValueError, match=name):
            Network.init([2, 3, 2], p, **{name: 1.0})
        with pytest.raises(TypeError, match=name):
            Network([np.ones((3, 2)), np.ones((2, 3))], [None], p, **{name: "slow"})
    with pytest.raises(ValueError, match="Fluctuation"):
        Network.init([2, 3, 2], p, init="fluctuation")
    with pytest.raises(ValueError, match="init"):
        Network.init([2, 3, 2], p, init="xavier")
    with pytest.raises(ValueError, match="nu"):
        Fluctuation(nu=0.0)
    with pytest.raises(ValueError, match="sigma_U"):
        Network.init([2, 3, 2], p, init=Fluctuation(nu=0.1, sigma_U=1e-3, mu_U=0.9))
    with pytest.raises(ValueError, match="no spikes"):
        Fluctuation.from_input(np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="alpha must be 0 for neuron='leaky'"):
        LIFParams(alpha=0.8, beta=0.9, neuron="leaky")
    with pytest.raises(ValueError, match="neuron"):
        LIFParams(alpha=0.8, beta=0.9, neuron="izhikevich")
    with pytest.raises(ValueError, match="readout_alpha"):
        Network.init([2, 3, 2], LIFParams(0.0, 0.9, neuron="leaky"), readout_alpha=0.5)
    with pytest.raises(ValueError, match="threshold_decay"):
        LIFParams(alpha=0.8, beta=0.9, threshold_decay=1.0)
    with pytest.raises(ValueError, match="threshold_jump needs threshold_decay"):
        LIFParams(alpha=0.8, beta=0.9, threshold_jump=0.1)
    with pytest.raises(ValueError, match="threshold_jump"):
        LIFParams(alpha=0.8, beta=0.9, threshold_decay=0.9, threshold_jump=-0.1)
    assert LIFParams.from_taus(1e-3, None, 1e-2, neuron="leaky").alpha == 0.0
    net = Network.init([2, 3, 2], LIFParams(0.8, 0.9, threshold_decay=0.9), rng=0)
    tr = net.simulate(np.ones((1, 6, 2)))
    with pytest.raises(ValueError, match="trace.b"):
        bptt(net, dataclasses.replace(tr, b=None), np.zeros_like(tr.readout))
    with pytest.raises(ValueError, match="trace.b"):
        bptt(Network(net.W, net.V, LIFParams(0.8, 0.9)), tr, np.zeros_like(tr.readout))


def test_the_leaky_neuron_is_snntorchs_leaky_one_step_late():
    """"lessons" Eq. 4 (snnTorch's Leaky), U[t] = beta U[t-1] + W X[t] - S[t-1] theta with
    S[t] = Theta(U[t] - theta), written out: refsnn's leaky layer is this equation with
    X[t] = S_in[t - 1], an input spike at step n moves U at n + 1 (one step per layer); the
    readout follows the model (U_o[t] = beta U_o[t-1] + W_o S[t-1])."""
    p = LIFParams(alpha=0.0, beta=0.9, threshold=0.7, neuron="leaky")
    w, w_o = 0.45, 1.5
    net = Network([np.array([[w]]), np.array([[w_o]])], [None], p)
    x = np.zeros((1, 40, 1))
    x[0, [2, 3, 4, 10, 11, 12, 13, 30], 0] = 1.0
    tr = net.simulate(x)
    U = S = U_o = 0.0
    for t in range(1, 40):
        X = x[0, t - 1, 0]  # snnTorch's input at t is refsnn's at t - 1
        U_o = 0.9 * U_o + w_o * S
        U = 0.9 * U + w * X - S * 0.7
        S = 1.0 if U - 0.7 > 0 else 0.0
        assert tr.U[0][0, t, 0] == pytest.approx(U, abs=1e-14) and tr.S[0][0, t, 0] == S
        assert tr.readout[0, t, 0] == pytest.approx(U_o, abs=1e-14)
    assert tr.S[0].sum() >= 2
    assert tr.U[0][0, 3, 0] > 0 == tr.U[0][0, 2, 0]  # the spike at step 2 moves U[3]


def test_the_adaptive_threshold_of_lessons_appendix_c3():
    """Eqs. 51-52, theta[t] = theta0 + b[t], b[t+1] = alpha b[t] + (1 - alpha) S[t], written
    out for one neuron (the subtractive reset subtracts theta[t]); trace.b records b."""
    p = LIFParams(alpha=0.8, beta=0.9, threshold_decay=0.9)
    w = 0.3
    net = Network([np.array([[w]]), np.ones((1, 1))], [None], p)
    x = (np.random.default_rng(0).random((1, 80, 1)) < 0.3).astype(float)
    tr = net.simulate(x)
    I = U = b = 0.0
    for n in range(80):
        theta = 1.0 + b                                                   # Eq. 51
        S = 1.0 if U - theta > 0 else 0.0
        assert tr.S[0][0, n, 0] == S and tr.b[0][0, n, 0] == pytest.approx(b, abs=1e-14)
        assert tr.U[0][0, n, 0] == pytest.approx(U, abs=1e-13)
        I, U, b = 0.8 * I + w * x[0, n, 0], 0.9 * U + I - theta * S, 0.9 * b + 0.1 * S
    assert tr.S[0].sum() >= 3 and tr.b[0].max() > 0.1
    fixed = Network(net.W, net.V, p.replace(threshold_decay=None)).simulate(x)
    assert fixed.S[0].sum() > tr.S[0].sum()  # adaptation slows the neuron down


def test_the_check_catches_a_forgotten_adaptation_path():
    """The contract can fail here: BPTT without the threshold's own path (the jump q of Eq. 52
    set to 0 in the backward pass: the spike no longer raises b) disagrees with finite
    differences of the adaptive network."""
    p = LIFParams(alpha=0.8, beta=0.9, threshold_decay=0.8, threshold_jump=0.6)
    net = Network.init([3, 6, 2], p, recurrent=True, rng=1, gain=12.0)
    x = (np.random.default_rng(2).random((2, 25, 3)) < 0.3).astype(float)
    target = np.random.default_rng(3).normal(size=(2, 25, 2))
    net.W[-1] *= 1.0 / np.abs(net.simulate(x, spike="soft").readout).max()

    def without_the_jump(net_, trace, d):
        alt = Network(net_.W, net_.V, p.replace(threshold_jump=0.0), net_.surrogate)
        return bptt(alt, trace, d)

    assert gradcheck.check_network(net, x, losses.mse, target, n_samples=6).passed
    wrong = gradcheck.check_network(net, x, losses.mse, target, grad_fn=without_the_jump,
                                    n_samples=6)
    assert not wrong.passed


@pytest.mark.parametrize("spike", ["soft", "hard"])
def test_the_neuron_variants_with_a_spiking_output_layer(spike):
    """The spiking output layer (output="spiking") is one more spiking layer of the model:
    leaky, adaptive, gain 1 - beta; BPTT against finite differences of the oracle."""
    p = LIFParams(alpha=0.0, beta=0.9, reset="subtract", neuron="leaky", threshold_decay=0.85,
                  input_gain="1-beta")
    net = Network.init([4, 6, 3], p, output="spiking", rng=4, gain=40.0)
    x = (np.random.default_rng(5).random((2, 30, 4)) < 0.3).astype(float)
    tr = net.simulate(x, spike=spike)
    assert all(S.sum() > 0 for S in tr.S) and tr.b is not None and len(tr.b) == 2
    target = np.random.default_rng(6).normal(size=tr.readout.shape)
    report = gradcheck.check_network(net, x, losses.mse, target, spike=spike)
    assert report.passed and report.skipped == 0, str(report)


def test_the_finite_difference_cache_tells_the_readout_time_constants_apart():
    """fd_key (the grader's cache of finite differences) depends on every option: two networks
    that differ only in readout_beta get different keys."""
    from refsnn.finite_differences import fd_key
    p = LIFParams(alpha=0.8, beta=0.9)
    a = Network.init([2, 3, 2], p, rng=0)
    b = Network(a.W, a.V, p, readout_beta=0.95)
    x = np.ones((1, 5, 2))
    keys = {fd_key(n, x, losses.mse, np.zeros((1, 5, 2)), "soft", 1e-2, "ridders",
                   np.longdouble, True, "W[0]", [(0, 0)]) for n in (a, b)}
    assert len(keys) == 2


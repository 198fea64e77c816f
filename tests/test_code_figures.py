"""The data behind the figures of issue 14: reset_modes, bptt_influence, output_codes.

(``tests/test_figures.py`` runs every registered figure's ``make(quick=True)``; this file checks
what they draw.)

1. reset_modes: the three runs get the same current, each membrane follows its own reset's
   equation (written again here), and the paper's claims hold: the two resets give the same
   spikes under a weak current and subtraction fires more under a strong one.
2. bptt_influence: BPTT's per-step contributions sum to ``bptt``'s ``dL/dW``, equal the
   closed-form double exponential, vanish for ``s > t - 2`` and decay as ``beta`` per step far
   back; the reset path (not detached) changes them.
3. output_codes (quick size): each code is learnt: held-out accuracy rises, the correct output
   fires more (rate) or earlier (latency).
"""
import numpy as np
import pytest

from refsnn import bptt
from refsnn.figures import FIGURES, bptt_influence, output_codes, reset_modes
from refsnn.gradcheck import AGREE_TOL, max_rel_error


# ------------------------------------------------------------------- 1. reset_modes
def test_reset_modes_follow_their_equations():
    d = reset_modes.simulate()
    I, theta = d["I"], reset_modes.THETA
    beta = d["params"].beta
    for reset in ("subtract", "zero", "none"):
        m = d[reset]
        np.testing.assert_allclose(m["I"], I, rtol=0, atol=1e-15)   # the same current
        U, S = m["U"], m["S"]
        assert np.array_equal(S, (U > theta).astype(float))           # Theta(0) = 0
        free = beta * U[:-1] + I[:-1]
        want = {"subtract": free - theta * S[:-1], "zero": free * (1 - S[:-1]),
                "none": free}[reset]
        np.testing.assert_allclose(U[1:], want, rtol=1e-14, atol=1e-15)
    assert np.all(d["zero"]["U"][1:][d["zero"]["S"][:-1] > 0] == 0)   # exactly 0 after a spike


def test_reset_modes_weak_current_same_spikes_strong_current_subtraction_fires_more():
    d = reset_modes.simulate()
    (w0, w1, _), (s0, s1, _) = reset_modes.WEAK, reset_modes.STRONG
    weak = {r: d[r]["S"][w0:w1].sum() for r in ("subtract", "zero")}
    strong = {r: d[r]["S"][s0:s1].sum() for r in ("subtract", "zero", "none")}
    assert weak["subtract"] == weak["zero"] >= 2
    assert strong["none"] > strong["subtract"] > 1.3 * strong["zero"]


# ------------------------------------------------------------------- 2. bptt_influence
@pytest.mark.parametrize("detach", [True, False])
def test_per_step_contributions_sum_to_bptt(detach):
    net = bptt_influence.network(detach)
    tr = net.simulate(np.ones((1, bptt_influence.N_STEPS, 1)))
    t = bptt_influence.loss_step(tr)
    c, G = bptt_influence.per_step(net, tr, t)
    total = bptt(net, tr, None, gS_ext={0: G}).W[0][0, 0]
    assert max_rel_error(np.array([c.sum()]), np.array([total])) < AGREE_TOL
    assert np.all(c[t - 1:] == 0) and np.all(c[:t - 1] != 0)


def test_per_step_contributions_are_the_double_exponential():
    d = bptt_influence.data()
    t, c = d["t"], d[True]["dW"]
    assert d["S"][t] == 1 and d["S"].sum() > bptt_influence.LOSS_SPIKE + 1
    assert np.max(np.abs(c - d["closed"])) < 1e-12 * np.max(np.abs(c))
    ratio = c[:5] / c[1:6]                       # far back: one step further = factor beta
    assert np.all(np.abs(ratio - d["beta"]) < 0.01 * d["beta"])
    # the paper's single-state neuron (neuron="leaky"): BPTT is F' beta^(t-1-s), s <= t-1
    lk = d["leaky"]
    assert np.max(np.abs(lk["dW"] - lk["closed"])) < 1e-12 * np.max(np.abs(lk["dW"]))
    assert lk["dW"][lk["t"] - 1] > 0 and np.all(lk["dW"][lk["t"]:] == 0)
    # the reset path (not detached) adds terms at the earlier spikes: a different curve
    assert max_rel_error(d[False]["dW"][: t - 1], c[: t - 1]) > 0.1


def test_bptt_influence_is_deterministic(tmp_path):
    name = "bptt_influence"
    a, b = tmp_path / "a", tmp_path / "b"
    for out in (a, b):
        FIGURES[name].make(out, quick=True)
    for ext in ("png", "pdf"):
        assert (a / f"{name}.{ext}").read_bytes() == (b / f"{name}.{ext}").read_bytes()


# ------------------------------------------------------------------- 3. output_codes
@pytest.mark.parametrize("code", ["rate", "latency"])
def test_output_codes_are_learnt(code):
    d = output_codes.trained(code, quick=True)
    rows = np.arange(len(d["y"]))
    print(f"{code}: held-out accuracy {d['before']:.2f} -> {d['after']:.2f}")
    assert d["after"] > max(d["before"], 0.5) + 0.3
    if code == "rate":
        assert d["counts"][rows, d["y"]].mean() > d["counts"][rows, 1 - d["y"]].mean() + 10
    else:
        assert d["first"][rows, d["y"]].mean() + 10 < d["first"][rows, 1 - d["y"]].mean()
    assert d["S"].shape == (output_codes.N_TEST, output_codes.T, 2)
    assert set(np.unique(d["S"])) <= {0.0, 1.0}

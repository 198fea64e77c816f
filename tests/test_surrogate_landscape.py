"""The data of the surrogate_landscape figure (journal Fig. 4): the path integral of a gradient,
its scaling, the finite-difference and BPTT gradients along the path, and what the figure
claims to show."""
import numpy as np
import pytest

from refsnn import LIFParams, Network
from refsnn.figures import surrogate_landscape as sl


def test_integrate_and_scale_recover_a_known_function():
    a = np.linspace(-0.5, 1.5, 81)
    da = a[1] - a[0]
    f, df = a ** 3 + a, 3 * a ** 2 + 1
    i0, i1 = np.argmin(np.abs(a)), np.argmin(np.abs(a - 1))
    I = sl.integrate(a, df)
    E = (a[-1] - a[0]) * da ** 2 / 12 * 6      # trapezoid: length * da^2 / 12 * max|f^(3)|
    assert I[i0] == 0 and np.max(np.abs(I - (f - f[i0]))) <= E
    loss = 2.0 * f + 1.0                        # the loss is an affine image of f
    scaled, drop = sl.surrogate_loss(a, loss, 5.0 * df)
    assert scaled[i0] == loss[i0] and abs(scaled[i1] - loss[i1]) <= 1e-14
    # scaled = L0 + k (5 (f - f0) + e), |e| <= 5E, k = 2D / (5D + e1): error <= 2E (M + D)/(D - E)
    M, D = np.max(np.abs(f - f[i0])), f[i1] - f[i0]
    assert np.max(np.abs(scaled - loss)) <= 2 * E * (M + D) / (D - E)
    assert abs(drop - 5.0 * D) <= 5 * E
    with pytest.raises(ValueError, match="integrates to 0"):
        sl.surrogate_loss(a, loss, np.zeros_like(a))


def _pair(seed=3, surrogate=("superspike", 10.0)):
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    a, b = (Network.init([2, 2, 2], p, rng=seed + k, gain=9.0, surrogate=surrogate)
            for k in (0, 1))
    for net in (a, b):
        net.W[-1] *= 0.05                               # a loss of order 1
    rng = np.random.default_rng(seed)
    x = (rng.random((6, 40, 2)) < 0.15).astype(float)
    return a, b, x, rng.integers(0, 2, size=6)


def test_on_the_smooth_model_both_gradients_are_the_true_one():
    """Soft spikes: BPTT is the exact gradient, so the finite differences agree with its norm
    and its path integral is the loss itself (up to the trapezoid error). The sigmoid: a
    smooth primitive, so that the trapezoid rule's error bound holds (SuperSpike's ``F'`` has
    a kink)."""
    initial, final, x, y = _pair(surrogate=("sigmoid", 4.0))
    W0 = [w.copy() for w in initial.W]
    a = np.linspace(0.0, 1.0, 41)
    r = sl.along_path(initial, final, x, y, a, spike="soft", fd_step=1e-5)
    assert all(np.array_equal(w, v) for w, v in zip(initial.W, W0))   # inputs untouched
    # central differences: truncation ~h^2, rounding ~1e-16 |L| / h: far below 1e-6
    assert np.allclose(r["fd_norm"], r["sg_norm"], rtol=1e-6, atol=0)
    I = sl.integrate(a, r["directional"])
    # trapezoid error bound from the grid's own second differences of the integrand
    d2 = np.abs(np.diff(r["directional"], 2)).max() / (a[1] - a[0]) ** 2
    bound = 2 * (a[-1] - a[0]) * (a[1] - a[0]) ** 2 / 12 * d2
    assert np.max(np.abs(I - (r["loss"] - r["loss"][0]))) <= bound
    assert bound < 0.05 * np.ptp(r["loss"])             # and the test is not vacuous


def test_on_hard_spikes_the_true_gradient_vanishes_where_no_spike_moves():
    initial, final, x, y = _pair()
    r = sl.along_path(initial, final, x, y, np.linspace(0.0, 1.0, 21), fd_step=1e-10)
    assert np.mean(r["fd_norm"] == 0.0) >= 0.9          # no spike moves within +-1e-10
    active = r["spikes"].sum(axis=1) > 0
    assert active.all() and np.all(r["sg_norm"] > 0)    # the surrogate does not vanish
    with pytest.raises(ValueError, match="increasing"):
        sl.along_path(initial, final, x, y, [0.5, 0.2])


def test_the_figure_shows_a_plateau_that_only_the_surrogate_crosses():
    r = sl.landscape(quick=True)
    a, L = r["alpha"], r["loss"]
    i0, i1 = np.argmin(np.abs(a)), np.argmin(np.abs(a - 1))
    assert r["accuracy"] == {"initial": 0.5, "trained": 1.0}
    assert L[i1] < 0.01 * L[i0]
    plateau = (a >= 0.1) & (a <= 0.6)   # (the quick grid's FD step reaches a jump at 0)
    assert np.ptp(L[plateau]) < 1e-3 * L[i0]                       # nearly flat ...
    assert r["fd_norm"][plateau].max() < 0.01 * r["fd_norm"].max()  # ... no true gradient
    assert r["sg_norm"][plateau].min() > 0.05 * r["sg_norm"].max()  # ... but a surrogate one
    assert np.all(r["spikes"][plateau, 0] == 0)                    # neuron 1 silent there
    S = r["surrogate_loss"]
    assert S[i0] == L[i0] and abs(S[i1] - L[i1]) < 1e-12
    assert np.all(np.diff(S[i0:i1 + 1]) <= 0)                      # monotone on [0, 1]

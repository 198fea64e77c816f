"""SpikeProp (refsnn.timing.spikeprop): the first spike time on the event level, the spike-time
gradient against finite differences of an independent extended-precision forward pass
(refsnn.timing.srm_reference), the printed signs of the lessons paper's Appendix C.1, the dead
hidden unit, the spike-time XOR and bad input."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from scipy.special import lambertw

from refsnn import gradcheck
from refsnn.experiments import spikeprop_xor as sx
from refsnn.timing import spikeprop as sp
from refsnn.timing import srm_reference as ref

LD = np.longdouble
#: a crossing is "away from tangent" when u'(t_j) >= MIN_SLOPE theta / tau
MIN_SLOPE = 0.1


def xor_net(seed=1):
    t_in, target = sx.task()
    return sx.network(sx.configs("quick")[0], seed), t_in, target


def slopes(net, times):
    """``u_j'(t_j)`` of every neuron of every layer above the input (NaN where silent)."""
    out = []
    for l in range(len(net.W)):
        d = np.einsum("jik,bjik->bj", net.W[l], sp.alpha_kernel_derivative(
            net.lags(times, l), net.tau))
        out.append(np.where(np.isfinite(times[l + 1]), d, np.nan))
    return out


def oracle_loss(net, t_in, target, fired):
    """``(E, pieces)`` of the oracle: ``E = 1/2 sum (t - y)^2`` over the outputs that fire at
    the base point (``fired``), in longdouble."""
    times, pieces = ref.forward(net, t_in, grid=1.0)
    diff = np.where(fired, times[-1], LD(0)) - np.where(fired, target, 0).astype(LD)
    return np.sum(diff ** 2) / 2, pieces


#: central differences of 4th order with this step (in ms for times, in weight units for W)
H = 1e-4


def check_fd(net, t_in, target, n_per_layer=12, rng=0, inputs=True):
    """The hand gradient of ``E`` (entries of every layer sampled, and ``dE/dt_in``) against
    central differences (4th order, step ``H``) of the oracle; a stencil that changes a piece
    shrinks. Returns ``(rows, E, grads)``, ``rows``: ``(name, hand, numerical)`` per parameter."""
    times = net.forward(t_in)
    fired = np.isfinite(times[-1])
    E, d = sp.spike_time_error(np.where(fired, times[-1], target), target)
    grads = net.backward(times, d)
    f = lambda: oracle_loss(net, t_in, target, fired)  # noqa: E731
    rng = np.random.default_rng(rng)
    rows = []
    for l, W in enumerate(net.W):
        idx = list(np.ndindex(W.shape))
        idx = [idx[i] for i in sorted(rng.choice(len(idx), min(n_per_layer, len(idx)),
                                                 replace=False))]
        num = gradcheck.numerical_gradient(f, W, idx, eps=H, method="central4")
        rows.append((f"W[{l}]", np.array([grads.W[l][i] for i in idx]), num))
    if inputs:
        x = np.array(t_in, dtype=float)
        idx = [i for i in np.ndindex(x.shape) if np.isfinite(x[i])]
        g = lambda: oracle_loss(net, x, target, fired)  # noqa: E731
        rows.append(("t_in", np.array([grads.t[0][i] for i in idx]),
                     gradcheck.numerical_gradient(g, x, idx, eps=H, method="central4")))
    return rows, E, grads


def assert_fd(rows, E):
    """Every entry within ``FD_TOL`` (rel_error), nothing skipped; an entry whose hand value is
    exactly 0 (a terminal that starts after the spike cannot move it) must have finite
    differences at the oracle's rounding level, ``|FD| <= 64 eps |E| / H`` with ``eps`` the
    machine epsilon of longdouble (1.1e-19): the quotient of values of ``E`` that differ only
    in their last bits through the root finder's path (the bound is 7e-14 |E|; measured up to
    5e-15 |E| over 259 random networks, and nonzero entries within 1.2e-7 of the hand value).
    rel_error alone would hold those entries to 1e-14 absolute, its 1e-8 floor times 1e-6."""
    bound = 64 * np.finfo(LD).eps * max(abs(E), 1.0) / H
    for name, hand, num in rows:
        assert not np.any(np.isnan(num)), f"{name}: a stencil found no smooth piece"
        zero = hand == 0
        assert np.all(np.abs(num[zero]) <= bound), (name, num[zero], bound)
        err = gradcheck.rel_error(hand[~zero], num[~zero])
        assert err.size == 0 or err.max() < gradcheck.FD_TOL, (name, err.max(), hand, num)
    assert sum(np.sum(h != 0) for _, h, _ in rows) >= 3


# ---------------------------------------------------------------------- the forward pass
def test_single_terminal_spike_time_is_the_lambert_w_closed_form():
    """One terminal of weight w > theta: (x/tau) e^(1 - x/tau) = theta/w first holds at
    x = -tau W_0(-theta / (w e)), on the rising flank (x < tau)."""
    for w, tau, theta, s in [(1.5, 7.0, 1.0, 2.0), (4.0, 3.0, 0.7, 0.0), (1.0001, 5.0, 1.0, 1.0)]:
        net = sp.Network([np.full((1, 1, 1), w)], [s], tau=tau, theta=theta, t_max=100.0)
        t = net.forward([[0.0]])[1][0, 0]
        x = -tau * lambertw(-theta / (w * np.e), 0).real
        assert abs(t - (s + x)) <= 1e-12 * (s + x), (w, t, s + x)
        assert x < tau
    net = sp.Network([np.full((1, 1, 1), 0.999)], [1.0], t_max=100.0)  # peak 0.999 < theta
    assert net.forward([[0.0]])[1][0, 0] == np.inf


def test_first_of_two_crossings_and_a_bump_below_threshold():
    """A brief crossing cut off by an inhibitory terminal is found, not the later one; a bump
    that peaks just below threshold is skipped."""
    W = np.array([[[3.0, -6.0], [0.0, 5.0]]])      # input 0: +3 at d=0, -6 at d=2; input 1: +5
    net = sp.Network([W], [0.0, 2.0], tau=2.0, t_max=60.0)
    times = net.forward([[0.0, 20.0]])
    t = times[1][0, 0]
    assert t < 2.0 and abs(net.potential(times, 0, [t])[0, 0, 0] - 1.0) < 1e-13
    W[0, 0, 0] = 0.999  # with tau = 1 the first bump peaks at t = 1 with 0.999
    net = sp.Network([W], [0.0, 2.0], tau=1.0, t_max=60.0)
    grid = np.linspace(0, 19.99, 20000)
    times = net.forward([[0.0, 20.0]])
    assert net.potential(times, 0, grid).max() < 1.0 and times[1][0, 0] > 20.0


@pytest.mark.parametrize("seed", [1, 2])
def test_spike_times_agree_with_the_oracle_and_are_first_crossings(seed):
    net, t_in, _ = xor_net(seed)
    times = net.forward(t_in)
    rtimes, _ = ref.forward(net, t_in, grid=1.0)
    for l in range(1, 3):
        fin = np.isfinite(times[l])
        assert np.array_equal(fin, np.isfinite(rtimes[l]))
        assert np.all(fin)
        err = np.abs(times[l] - rtimes[l].astype(float))
        assert err.max() <= 1e-12 * np.abs(times[l]).max(), err.max()
        u = net.potential(times, l - 1, np.linspace(0, net.t_max, 5001))  # (B, n, G)
        grid = np.linspace(0, net.t_max, 5001)
        before = grid[None, None, :] < times[l][:, :, None] - 1e-9
        assert np.all(np.where(before, u, -np.inf) < net.theta)     # none crossed earlier
        at = np.array([[net.potential(times, l - 1, [times[l][b, j]])[b, j, 0]
                        for j in range(times[l].shape[1])] for b in range(4)])
        assert np.abs(at - net.theta).max() < 1e-12
        assert np.all(slopes(net, times)[l - 1] > 0)


# ---------------------------------------------------------------------- the gradient
def test_xor_network_gradient_matches_finite_differences():
    """Both layers and the input times of Bohte's 3-5-1 network with 16 terminals after 20
    epochs of training (entries sampled)."""
    config = dict(sx.configs("quick")[0], max_epochs=20, stop_sse=0.0)
    _, net, _ = sx.train(config, 1)
    t_in, target = sx.task()
    times = net.forward(t_in)
    assert min(np.nanmin(s) for s in slopes(net, times)) > MIN_SLOPE * net.theta / net.tau
    rows, E, grads = check_fd(net, t_in, target, n_per_layer=8, rng=3)
    assert_fd(rows, E)
    assert all(np.abs(g).max() > 0 for g in grads.W)


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(st.integers(0, 10 ** 6))
def test_gradient_matches_finite_differences_on_random_networks(seed):
    """Random sizes, terminals, delays, tau, theta, signed weights, an inhibitory neuron,
    silent inputs; every crossing away from tangent (u' >= 0.1 theta / tau)."""
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(2, 4)), int(rng.integers(2, 5)), int(rng.integers(1, 3))]
    K = int(rng.integers(1, 5))
    net = sp.Network.init(sizes, rng=seed, delays=np.sort(rng.uniform(0, 6, K)),
                          tau=float(rng.uniform(2, 8)), theta=float(rng.uniform(0.5, 2)),
                          t_max=40.0, low=-0.3, high=1.0, gain=float(rng.uniform(8, 20)),
                          inhibitory=[[0]] if rng.random() < 0.5 else ())
    B = int(rng.integers(1, 4))
    t_in = rng.uniform(0, 6, (B, sizes[0]))
    t_in[rng.random(t_in.shape) < 0.15] = np.inf
    times = net.forward(t_in)
    assume(np.isfinite(times[-1]).any() and np.isfinite(times[1]).any())
    assume(all(np.nanmin(np.append(s.ravel(), np.inf)) >= MIN_SLOPE * net.theta / net.tau
               for s in slopes(net, times)))
    # the grid oracle cannot see an excursion above threshold shorter than its grid step
    # (cut short by an inhibitory terminal, say): such draws are discarded, not compared
    rtimes = ref.forward(net, t_in, grid=1.0)[0]
    assume(all(np.array_equal(np.isfinite(a), np.isfinite(b)) for a, b in zip(times, rtimes)))
    target = np.where(np.isfinite(times[-1]), times[-1], 0.0) + rng.normal(0, 2, times[-1].shape)
    assert_fd(*check_fd(net, t_in, target, n_per_layer=10, rng=seed)[:2])


def test_backward_is_the_chain_of_the_local_derivatives():
    """dt_j/dw = -eps(s)/u' and dt_j/dt_i = sum_k w eps'(s)/u' (the module's equations) on one
    output neuron, entry by entry."""
    net, t_in, target = xor_net(1)
    times = net.forward(t_in[1:2])
    grads = net.backward(times, np.ones((1, 1)))      # dE/dt_out = 1: grads = dt_out/d.
    s = net.lags(times, 1)[0, 0]                      # (n_hidden, K)
    up = np.sum(net.W[1][0] * sp.alpha_kernel_derivative(s, net.tau))
    assert np.allclose(grads.W[1][0], -sp.alpha_kernel(s, net.tau) / up, rtol=1e-14, atol=0)
    dt_dh = np.sum(net.W[1][0] * sp.alpha_kernel_derivative(s, net.tau), axis=1) / up
    assert np.allclose(grads.t[1][0], dt_dh, rtol=1e-14, atol=0)


# ---------------------------------------------------------------------- errata
def test_lessons_eq45_printed_sign_is_wrong():
    """"lessons from deep learning" Eq. 36, L = sum (y - f)^2: Eq. 45 prints dL/df = 2(y - f);
    through the network that gradient is the negative of the finite differences of L (relative
    error 1 on every entry), while 2(f - y) agrees."""
    net, t_in, target = xor_net(1)
    times = net.forward(t_in)
    L, printed = sp.spike_time_error(times[-1], target, _printed=True)
    E, correct = sp.spike_time_error(times[-1], target)
    assert L == pytest.approx(2 * E, rel=1e-14)
    assert np.array_equal(printed, -2 * correct)
    fired = np.isfinite(times[-1])
    f = lambda: tuple(2 * v if k == 0 else v for k, v in  # noqa: E731
                      enumerate(oracle_loss(net, t_in, target, fired)))
    idx = [(0, i, k) for i in range(5) for k in (3, 8, 12)]
    num = gradcheck.numerical_gradient(f, net.W[1], idx, eps=1e-4, method="central4")
    g_printed = np.array([net.backward(times, printed).W[1][i] for i in idx])
    g_correct = np.array([net.backward(times, 2 * correct).W[1][i] for i in idx])
    nz = np.abs(num) > 1e-6
    assert nz.sum() >= 8
    assert np.all(gradcheck.rel_error(g_printed, num)[nz] > 0.999)
    assert gradcheck.rel_error(g_correct, num)[nz].max() < gradcheck.FD_TOL


def test_lessons_eq47_and_eq48_signs():
    """Eq. 47 sets df/dU = (dU/dt)^-1 = (sum W dI/dt)^-1 and then writes dI/dt as
    (f_j - f_i - tau)/tau^2 e^(1 - (f_j - f_i)/tau), which is -eps'(f_j - f_i): the two sign
    errors cancel, the final expression equals the true df/dU = -1/u'(f) (finite differences
    of f under a constant added to U, i.e. -df/dtheta), the intermediate (dU/dt)^-1 is its
    negative. Eq. 48, 2(y - f) sum_k I / sum W dI/dt with the true dI/dt, is right: its own
    sign error (Eq. 45) cancels the dropped minus."""
    net, t_in, target = xor_net(1)
    times = net.forward(t_in)
    s = net.lags(times, 1)[:, 0]                                   # (B, n_hidden, K)
    W = net.W[1][0]
    up = np.einsum("ik,bik->b", W, sp.alpha_kernel_derivative(s, net.tau))   # u'(f)
    pos = s > 0
    printed_dI = np.where(pos, (s - net.tau) / net.tau ** 2 * np.exp(1 - np.where(pos, s, 0)
                                                                     / net.tau), 0.0)
    eq47_final = 1.0 / np.einsum("ik,bik->b", W, printed_dI)
    eq47_first = 1.0 / up                                          # (dU/dt)^-1
    h = LD(1e-6)
    hidden = ref.forward(net, t_in, grid=1.0)[0][1]                # the output's inputs
    tp = [ref.layer(hidden, net.W[1], net.delays, net.tau, LD(net.theta) + dth, net.t_max,
                    grid=1.0)[0][:, 0] for dth in (h, -h)]          # the output's theta only
    df_dU = -((tp[0] - tp[1]) / (2 * h)).astype(float)            # -df/dtheta
    assert gradcheck.rel_error(eq47_final, df_dU).max() < gradcheck.FD_TOL
    assert np.all(gradcheck.rel_error(eq47_first, df_dU) > 0.999)
    # Eq. 48 for the output weights, L = sum (y - f)^2
    y, f = target[:, 0], times[-1][:, 0]
    eq48 = np.einsum("b,bik->ik", 2 * (y - f) / up, sp.alpha_kernel(s, net.tau))
    assert np.allclose(eq48, net.backward(times, 2 * (times[-1] - target)).W[1][0],
                       rtol=1e-12, atol=0)


# ---------------------------------------------------------------------- the failure mode
def test_a_silent_hidden_unit_has_no_gradient_and_training_cannot_revive_it():
    """Hidden neuron 2 with only negative input weights never fires: every weight into it and
    out of it has exactly zero gradient, so 50 epochs of SpikeProp leave them bit for bit
    unchanged and the unit silent (lessons §4.2: "once neurons become inactive, their weights
    become frozen")."""
    net, t_in, target = xor_net(1)
    net.W[0][2] = -np.abs(net.W[0][2])
    times = net.forward(t_in)
    assert np.all(np.isinf(times[1][:, 2])) and np.all(np.isfinite(times[1][:, [0, 1, 3, 4]]))
    grads = net.backward(times, sp.spike_time_error(times[-1], target)[1])
    assert np.all(grads.W[0][2] == 0) and np.all(grads.W[1][:, 2] == 0)
    assert np.abs(grads.W[0]).sum() > 0 and np.abs(grads.W[1]).sum() > 0
    w_in, w_out = net.W[0][2].copy(), net.W[1][:, 2].copy()
    others = net.W[0][0].copy()
    order = np.random.default_rng(0)
    for _ in range(50):
        for p in order.permutation(4):
            tt = net.forward(t_in[p:p + 1])
            net.step(net.backward(tt, sp.spike_time_error(tt[-1], target[p:p + 1])[1]), 0.01)
    assert np.array_equal(net.W[0][2], w_in) and np.array_equal(net.W[1][:, 2], w_out)
    assert not np.array_equal(net.W[0][0], others)            # the others did learn
    assert np.all(np.isinf(net.forward(t_in)[1][:, 2]))


# ---------------------------------------------------------------------- the XOR
def test_xor_converges_for_a_seed_keeps_signs_and_is_deterministic():
    config = sx.configs("quick")[0]
    a, b = sx.run(config, 1), sx.run(config, 1)
    a.pop("seconds"), b.pop("seconds")
    assert a == b
    assert a["converged"] and a["epochs"] <= config["max_epochs"] and a["sse"][-1] < 1.0
    t_in, target = sx.task()
    assert np.all(np.abs(np.array(a["t_out"]) - target[:, 0]) < np.sqrt(2.0))
    assert a["sse"][0] > 10 * a["sse"][-1]
    _, net, _ = sx.train(config, 1)
    assert np.all(net.W[1][:, 4] <= 0) and np.all(net.W[1][:, :4] >= 0)
    assert np.any(net.W[1][:, 4] < 0)
    assert sx.table(config, 1, dict(a, seconds=0.0))[0]["converged"] is True


# ---------------------------------------------------------------------- bad input
def test_bad_input_names_the_argument():
    net, t_in, target = xor_net(1)
    W, d = net.W, net.delays
    cases = [
        (lambda: sp.Network(W, d, tau=0.0), ValueError, "tau"),
        (lambda: sp.Network(W, d, theta=-1.0), ValueError, "theta"),
        (lambda: sp.Network(W, d, t_max=np.inf), ValueError, "t_max"),
        (lambda: sp.Network(W, [-1.0] * 16), ValueError, "delays"),
        (lambda: sp.Network(W, d[:3]), ValueError, "W[0]"),
        (lambda: sp.Network([W[0], W[0]], d), ValueError, "W[1]"),
        (lambda: sp.Network([W[0] * np.nan, W[1]], d), ValueError, "W[0]"),
        (lambda: sp.Network(W[0], d), TypeError, "W must be"),
        (lambda: sp.Network(W, d, sign=[[0, 0, 0], [2, 0, 0, 0, 0]]), ValueError, "sign[1]"),
        (lambda: sp.Network.init([3], 0), ValueError, "sizes"),
        (lambda: sp.Network.init([3, 5, 1], None), TypeError, "rng"),
        (lambda: sp.Network.init([3, 5, 1], 0, inhibitory=[[5]]), ValueError, "inhibitory"),
        (lambda: sp.Network.init([3, 5, 1], 0, high=-1.0), ValueError, "high"),
        (lambda: net.forward(t_in[:, :2]), ValueError, "t_in"),
        (lambda: net.forward(np.where(t_in > 0, np.nan, t_in)), ValueError, "t_in"),
        (lambda: net.forward(-np.inf * np.ones((1, 3))), ValueError, "t_in"),
        (lambda: net.forward([["a", "b", "c"]]), TypeError, "t_in"),
        (lambda: net.backward(net.forward(t_in)[:2], np.zeros((4, 1))), ValueError, "times"),
        (lambda: net.backward(net.forward(t_in), np.zeros((4, 2))), ValueError, "d_t_out"),
        (lambda: net.backward(net.forward(t_in), np.full((4, 1), np.nan)), ValueError,
         "d_t_out"),
        (lambda: net.backward(net.forward(t_in), np.zeros((4, 1)), min_slope=0.0), ValueError,
         "min_slope"),
        (lambda: net.step(net.backward(net.forward(t_in), np.zeros((4, 1))), -1.0), ValueError,
         "lr"),
        (lambda: net.potential(net.forward(t_in), 2, [1.0]), ValueError, "l must"),
        (lambda: sp.spike_time_error(np.zeros((4, 1)), np.zeros(4)), ValueError, "t_target"),
        (lambda: sp.spike_time_error(np.zeros((4, 1)), np.full((4, 1), np.inf)), ValueError,
         "t_target"),
        (lambda: sx.run({}, 0), ValueError, "config"),
        (lambda: sx.configs("huge"), ValueError, "size"),
    ]
    for fn, exc, words in cases:
        with pytest.raises(exc, match=words.replace("[", r"\[").replace("]", r"\]")):
            fn()
    times = net.forward(t_in)
    times[1][0, 0] = np.nan
    with pytest.raises(ValueError, match="times"):
        net.backward(times, np.zeros((4, 1)))


def test_results_share_no_memory_with_the_arguments():
    net, t_in, target = xor_net(1)
    W0 = [w.copy() for w in net.W]
    other = sp.Network(net.W, net.delays)
    other.W[0][:] = 0.0
    assert np.array_equal(net.W[0], W0[0])
    times = net.forward(t_in)
    times[0][:] = 99.0
    assert np.all(t_in != 99.0)
    E, d = sp.spike_time_error(times[-1], target)
    assert E < np.inf and np.isinf(sp.spike_time_error(np.full((4, 1), np.inf), target)[0])

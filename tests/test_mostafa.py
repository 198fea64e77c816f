"""Mostafa's exact spike times (refsnn.timing.mostafa): the closed form against the definition
``t = inf{t : U(t) = 1}``, the causal-set rule and its wrong shortcuts, the exact gradient against
finite differences of the event-based forward (docs/design.md §6.3), the causal-set boundary, and
the time-stepped LIF kernel converging to the analytic times as dt -> 0."""
import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from refsnn.gradcheck import FD_TOL, Report, numerical_gradient, rel_error
from refsnn.timing import mostafa, mostafa_reference, stepped
from refsnn.timing.mostafa import Network

E = np.e


def one_neuron(w, t):
    """Spike time of one neuron with weights ``w`` and input times ``t``."""
    return Network([np.array([w], dtype=float)]).forward(np.array([t], dtype=float))[1][0, 0]


def first_crossing(W, t_in, t_end, n=20001):
    """The definition, by brute force: the first grid point of ``[0, t_end]`` with ``U >= 1``
    (Eq. 1 in closed form, :func:`mostafa.membrane`), refined by bisection; inf if none."""
    grid = np.linspace(0.0, t_end, n)
    U = mostafa.membrane(W, t_in, grid)                   # (batch, n, n_post)
    out = np.full(U.shape[::2], np.inf)
    for b, i in np.ndindex(out.shape):
        above = np.nonzero(U[b, :, i] >= 1.0)[0]
        if above.size == 0:
            continue
        lo, hi = grid[above[0] - 1], grid[above[0]]
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if mostafa.membrane(W[i:i + 1], t_in[b:b + 1], np.array([mid]))[0, 0, 0] >= 1.0:
                hi = mid
            else:
                lo = mid
        out[b, i] = hi
    return out


# ---------------------------------------------------------------------- the forward pass
def test_closed_form_is_the_first_threshold_crossing():
    rng = np.random.default_rng(0)
    W = rng.normal(0.4, 0.8, size=(40, 6))               # excitatory and inhibitory inputs
    t_in = rng.uniform(0.0, 2.0, size=(5, 6))
    t_in[1, 2] = np.inf                                   # a silent input
    t = Network([W]).forward(t_in)[1]
    brute = first_crossing(W, t_in, 12.0)
    assert 0.2 < np.isfinite(t).mean() < 0.95             # both cases occur
    fin = np.isfinite(t) & (t < 11.0)
    assert np.array_equal(np.isfinite(brute[fin]), np.ones(fin.sum(), bool))
    assert np.max(np.abs(t[fin] - brute[fin])) < 1e-9     # bisection to 1e-9 of the grid
    silent = ~np.isfinite(t)
    assert not np.isfinite(brute[silent]).any()           # never reaches 1 on [0, 12]
    U = mostafa.membrane(W, t_in, np.linspace(0, 12, 4001))
    assert np.all(U.max(axis=1)[silent] < 1.0)


def test_causal_set_shortcuts_are_wrong():
    # the docstring's example: the first prefix with S > 1 would cross at log 6 = 1.79, after
    # the second input (t = 0.1); the pair crosses earlier
    w, t = [1.2, 0.5], [0.0, 0.1]
    right = np.log((1.2 + 0.5 * np.exp(0.1)) / 0.7)
    assert one_neuron(w, t) == pytest.approx(right, abs=1e-14)
    assert first_crossing(np.array([w]), np.array([t]), 4.0)[0, 0] == pytest.approx(right, abs=1e-9)

    def first_sum_above_one(w, z):                        # shortcut 1: ignores the timing
        S = np.cumsum(w)
        k = np.argmax(S > 1)
        return np.log(np.cumsum(np.multiply(w, z))[k] / (S[k] - 1))

    def stop_at_first_sum_above_one(w, z):                # shortcut 2: no spike if it fails
        S, A = np.cumsum(w), np.cumsum(np.multiply(w, z))
        k = np.argmax(S > 1)
        z_next = z[k + 1] if k + 1 < len(z) else np.inf
        return np.log(A[k] / (S[k] - 1)) if A[k] / (S[k] - 1) <= z_next else np.inf

    z = np.exp(t)
    assert first_sum_above_one(w, z) == pytest.approx(np.log(6.0))
    assert stop_at_first_sum_above_one(w, z) == np.inf
    # shortcut 3, the timing condition alone: S_1 = 0.5 gives z* = -1 <= z_2
    w, t = [0.5, 0.8], [0.0, 1.0]
    S, A = np.cumsum(w), np.cumsum(np.multiply(w, np.exp(t)))
    assert A[0] / (S[0] - 1) == pytest.approx(-1.0) and A[0] / (S[0] - 1) <= E
    assert one_neuron(w, t) == pytest.approx(np.log((0.5 + 0.8 * E) / 0.3), abs=1e-14)


def test_inhibition_after_the_spike_and_silence():
    # fires on the first input (crossing at log 2 = 0.69) although the weights sum to 0.5 < 1
    assert one_neuron([2.0, -1.5], [0.0, 1.0]) == pytest.approx(np.log(2.0), abs=1e-15)
    # the same inhibition before the crossing keeps it silent
    assert one_neuron([2.0, -1.5], [0.0, 0.5]) == np.inf
    assert one_neuron([0.6, 0.4], [0.0, 1.0]) == np.inf             # S = 1: never above
    assert one_neuron([5.0, 7.0], [np.inf, np.inf]) == np.inf       # no input
    assert one_neuron([1.5, 1.5], [0.3, 0.3]) == pytest.approx(0.3 + np.log(3.0 / 2.0))  # tie


def test_time_shift_and_order_invariance():
    net = Network.init([5, 12, 4], rng=2)
    t = np.random.default_rng(3).uniform(0, 2, (6, 5))
    a = net.forward(t)
    for x, y in zip(a[1:], net.forward(t + 1e3)[1:]):     # z relative to the first input
        fin = np.isfinite(x)
        assert np.array_equal(fin, np.isfinite(y)) and fin.any()
        assert np.max(np.abs(y[fin] - 1e3 - x[fin])) < 1e-9
    perm = np.array([3, 0, 4, 1, 2])                      # relabelling the inputs
    b = Network([net.W[0][:, perm], net.W[1]]).forward(t[:, perm])
    assert np.array_equal(a[-1], b[-1])


def test_kernel_agrees_with_the_numpy_reference():
    net = Network.init([6, 30, 20, 5], rng=4, std=1.5)
    t = np.random.default_rng(5).uniform(0, 3, (16, 6))
    t[t > 2.6] = np.inf
    times = net.forward(t)
    ref, sizes = mostafa_reference.forward(net, t)
    record = [mostafa.layer_forward(w, x)[1]["k"] for w, x in zip(net.W, times)]
    for l, (a, b) in enumerate(zip(times, ref)):
        assert np.array_equal(np.isfinite(a), np.isfinite(b)), l
        fin = np.isfinite(a)
        assert np.max(np.abs(a[fin] - b[fin].astype(float)), initial=0) < 1e-12, l
    assert all(np.array_equal(k, s) for k, s in zip(record, sizes))


# ---------------------------------------------------------------------- the gradient
def fd_report(net, t_in, c):
    """``dL/dW`` of ``L = sum c * t_out`` (over firing outputs): hand vs finite differences of
    the longdouble reference, stencils kept inside every causal set (signature = sizes)."""
    times = net.forward(t_in)
    fires = np.isfinite(times[-1])
    grads = net.backward(times, np.where(fires, c, 0.0))

    def f():
        t, sizes = mostafa_reference.forward(net, t_in)
        return (np.sum(np.where(fires, c * np.where(fires, t[-1], 0), 0)),
                np.concatenate([k.ravel() for k in sizes]))

    report = Report("mostafa backward vs finite differences", FD_TOL)
    for l, W in enumerate(net.W):
        idx = list(np.ndindex(W.shape))
        report.add(f"W[{l}]", grads.W[l].ravel(),
                   numerical_gradient(f, W, idx, eps=1e-3, method="ridders"), idx)
    return report, grads


@settings(max_examples=6, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(seed=st.integers(0, 2**31 - 1), depth=st.integers(1, 3), batch=st.integers(1, 3))
def test_gradient_matches_finite_differences(seed, depth, batch):
    rng = np.random.default_rng(seed)
    sizes = [int(rng.integers(2, 5))] + [int(rng.integers(2, 6)) for _ in range(depth)]
    net = Network.init(sizes, rng=rng, mean=2.0, std=1.5)
    t_in = rng.uniform(0.0, 2.0, (batch, sizes[0]))
    t_in[rng.random(t_in.shape) < 0.15] = np.inf
    c = rng.normal(size=(batch, sizes[-1]))
    times = net.forward(t_in)
    fires = np.isfinite(times[-1])
    assume(fires.any())                                   # not vacuous: an output fires ...
    assume(np.any(net.backward(times, np.where(fires, c, 0.0)).W[0] != 0))   # ... reaching W[0]
    report, _ = fd_report(net, t_in, c)
    assert report.passed and report.skipped == 0, str(report)


def test_gradient_every_layer_of_a_deep_network():
    net = Network.init([4, 7, 6, 5, 3], rng=11, std=1.2)
    t_in = np.random.default_rng(12).uniform(0, 2, (3, 4))
    report, grads = fd_report(net, t_in, np.random.default_rng(13).normal(size=(3, 3)))
    assert report.passed and report.skipped == 0, str(report)
    assert all(np.count_nonzero(g) > g.size // 4 for g in grads.W)


def test_derivatives_in_z_and_their_identities():
    w, t = np.array([0.9, 0.7, -0.2, 0.8]), np.array([0.1, 0.4, 0.5, 3.0])
    z = np.exp(t)
    S = w[:3].sum()                                       # C = first three (crossing < 3)
    z_out = (w[:3] @ z[:3]) / (S - 1)
    assert np.exp(one_neuron(w, t)) == pytest.approx(z_out, rel=1e-14)
    W = w[None, :]
    _, rec = mostafa.layer_forward(W, t[None, :])
    assert rec["k"][0, 0] == 3
    d_W, d_t = mostafa.layer_backward(W, rec, np.array([[1.0]]))
    # dt/dw_i = (dz/dw_i) / z_out with dz/dw_i = (z_i - z_out) / (S - 1); 0 outside C
    assert np.allclose(d_W[0], np.r_[(z[:3] - z_out) / (S - 1) / z_out, 0.0], rtol=1e-13)
    assert np.allclose(d_t[0], np.r_[w[:3] / (S - 1) * z[:3] / z_out, 0.0], rtol=1e-13)
    assert d_t.sum() == pytest.approx(1.0, abs=1e-14)    # a common shift moves the spike alike
    assert np.all(d_W[0, :3] < 0)                         # more weight, earlier spike


def test_causal_set_boundary_is_continuous_with_a_jump_in_the_derivative():
    # inputs at 0 and 1; alone, input 0 crosses at z = w/(w - 1), which meets z_2 = e at
    # w_c = e/(e - 1): above w_c the causal set is {0}, below it {0, 1}
    w2 = 1.0
    w_c = E / (E - 1.0)
    t = lambda w: one_neuron([w, w2], [0.0, 1.0])           # noqa: E731
    for side in (1e-9, -1e-9):                             # both sides cross at t = 1
        assert t(w_c + side) == pytest.approx(1.0, abs=1e-8)
    for h in (1e-4, 1e-6):                                 # continuous: the jump is O(h)
        assert abs(t(w_c + h) - t(w_c - h)) < 10 * h
    right = (1.0 - E) / (w_c - 1.0) / E                    # dt/dw_0 with C = {0}
    left = (1.0 - E) / (w_c + w2 - 1.0) / E                # with C = {0, 1}
    h = 1e-7
    fd_right = (t(w_c + 2 * h) - t(w_c + h)) / h           # one-sided differences
    fd_left = (t(w_c - h) - t(w_c - 2 * h)) / h
    assert fd_right == pytest.approx(right, rel=1e-5) and fd_left == pytest.approx(left, rel=1e-5)
    assert abs(right / left - 1.0) > 1.0                   # the derivative jumps (ratio 2.7)
    # and the oracle refuses a derivative there: every stencil changes a causal set
    net = Network([np.array([[w_c, w2]])])
    t_in = np.array([[0.0, 1.0]])
    f = lambda: (mostafa_reference.forward(net, t_in)[0][-1].sum(),                # noqa: E731
                 mostafa_reference.forward(net, t_in)[1][-1].ravel())
    assert np.isnan(numerical_gradient(f, net.W[0], [(0, 0)], eps=1e-3, method="ridders")[0])


def test_firing_boundary_spike_time_diverges():
    for eps in (1e-2, 1e-4, 1e-8):                         # one input: t = log(w / (w - 1))
        assert one_neuron([1.0 + eps], [0.0]) == pytest.approx(np.log((1 + eps) / eps), rel=1e-7)
    assert one_neuron([1.0], [0.0]) == np.inf


# ---------------------------------------------------------------------- dt -> 0
def test_time_stepped_kernel_converges_with_order_one():
    net = Network.init([4, 8, 6, 3], rng=1)
    t_in = np.random.default_rng(1).uniform(0, 2, (4, 4))
    exact = net.forward(t_in)
    assert all(np.isfinite(x).mean() > 0.7 for x in exact)
    dts = 0.04 / 2.0 ** np.arange(6)
    errors = []
    for dt in dts:
        grid = stepped.simulate(net, t_in, dt, t_max=8.0)
        assert all(np.array_equal(np.isfinite(a), np.isfinite(g)) for a, g in zip(exact, grid))
        errors.append(max(np.max(np.abs(a[np.isfinite(a)] - g[np.isfinite(a)]), initial=0)
                          for a, g in zip(exact[1:], grid[1:])))
    order = np.polyfit(np.log(dts), np.log(errors), 1)[0]
    print(f"dt-convergence: max error {errors[0]:.3g} at dt={dts[0]} to {errors[-1]:.3g} at "
          f"dt={dts[-1]:.4g}; fitted order {order:.3f}")
    assert 0.85 < order < 1.15
    assert np.all(np.array(errors) < 3 * len(net.W) * dts)     # per layer below ~3 dt


def test_eq18_printed_kernel_leaves_every_neuron_silent():
    # printed: I_i = sum_j W_ij sum_r Theta(t - t_i^r) exp(-(t - t_i^r)), the neuron's OWN spikes:
    # on the grid, no feed-forward drive and the recurrent diagonal V_ii = sum_j W_ij. Before its
    # first spike I_i = 0, so U_i = 0 < 1 forever; the corrected t_j form fires, at the closed form
    from refsnn.encoding import times_to_spikes
    from refsnn.lif import layer_forward
    dt, steps = 0.01, 500
    nrn = stepped.kernel_neuron(dt)
    W = np.array([[2.0, 0.5], [1.5, 1.5], [0.8, 0.9]])
    t_in = np.array([[0.0, 0.5]])
    x = times_to_spikes(t_in, steps, dt)
    I, U, S = np.empty((3, 1, steps, 3))
    printed_V = np.diag((1 - nrn.alpha) * W.sum(axis=1))
    layer_forward(x, np.zeros(1, np.int64), np.zeros(0, np.int32), np.zeros(0), False,
                  np.zeros_like(W), printed_V, True, nrn, I, U, S, np.zeros((0, 0, 0)))  # no b
    assert not S.any() and not U.any()
    exact = Network([W]).forward(t_in)[1]
    grid = stepped.simulate(Network([W]), t_in, dt, steps * dt)[1]
    assert np.isfinite(exact).all() and np.all(np.abs(grid - exact) < 2 * dt)


# ---------------------------------------------------------------------- arguments
def test_bad_arguments_are_named():
    net = Network.init([2, 3, 2], rng=0)
    with pytest.raises(ValueError, match="t_in"):
        net.forward(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="t_in"):
        net.forward([[0.0, np.nan]])
    with pytest.raises(ValueError, match="t_in"):
        net.forward([[0.0, -np.inf]])
    with pytest.raises(TypeError, match="t_in"):
        net.forward([["a", "b"]])
    times = net.forward([[0.0, 1.0]])
    with pytest.raises(ValueError, match="d_t_out"):
        net.backward(times, np.zeros((1, 3)))
    with pytest.raises(ValueError, match="d_t_out"):
        net.backward(times, [[np.nan, 0.0]])
    with pytest.raises(TypeError, match="times"):
        net.backward(times[:2], np.zeros((1, 2)))
    net.W[0] += 0.1                                       # weights changed since the forward
    with pytest.raises(ValueError, match="weights"):
        net.backward(times, np.zeros((1, 2)))
    with pytest.raises(ValueError, match="W\\[1\\]"):
        Network([np.ones((3, 2)), np.ones((2, 4))])
    with pytest.raises(ValueError, match="W\\[0\\]"):
        Network([np.full((3, 2), np.inf)])
    with pytest.raises(ValueError, match="sizes"):
        Network.init([3])
    with pytest.raises(ValueError, match="std"):
        Network.init([3, 2], std=-1.0)
    with pytest.raises(TypeError, match="rng"):
        Network.init([3, 2], rng=None)
    with pytest.raises(ValueError, match="dt"):
        stepped.simulate(net, [[0.0, 1.0]], 0.0, 5.0)
    with pytest.raises(ValueError, match="t_in"):
        stepped.simulate(net, [[-1.0, 1.0]], 0.1, 5.0)


def test_no_shared_memory_and_init_statistics():
    W = [np.ones((3, 2)), np.ones((2, 3))]
    net = Network(W)
    W[0][:] = 5.0
    assert net.W[0][0, 0] == 1.0                          # the network keeps its own copy
    t = np.array([[0.0, 1.0]])
    times = net.forward(t)
    t[0, 0] = 9.0
    assert times[0][0, 0] == 0.0
    big = Network.init([50, 4000], rng=0, mean=2.0, std=1.0)
    sums = big.W[0].sum(axis=1)                           # ~ N(2, 1): 4000 draws
    assert abs(sums.mean() - 2.0) < 4 / np.sqrt(4000) and abs(sums.std() - 1.0) < 0.05

"""The Box 1 RNN: Eq. 11 (BPTT) and Eq. 12 (forward gradient) against finite differences and
against each other (docs/design.md §6), and every printed typo of Eqs. 10-12 shown to be wrong
(docs/errata.md points at the tests here by name)."""
import tracemalloc

import numpy as np
import pytest

from refsnn import reference
from refsnn import rnn as R
from refsnn.gradcheck import AGREE_TOL, FD_TOL, Report, compare, numerical_gradient, rel_error
from refsnn.rnn import RNN, bptt_eq11, forward_eq12

# The finite-difference oracle: the 4th-order stencil of gradcheck.numerical_gradient,
# (8 (f(w+h) - f(w-h)) - (f(w+2h) - f(w-2h))) / 12h, of the loss of forward_ext (extended
# precision, u = 5.4e-20 on x86-64). Its error, from the step and the precision:
#   truncation  h^4 |f^(5)| / 30                 3e-18 |f^(5)| at h = 1e-4 (the same everywhere)
#   roundoff    18 kappa u |f| / 12h             kappa ~ T L N ~ 1e2 operations per path:
#                                                ~8e-14 |f|, against ~2e-10 |f| in float64
#                                                (float64 reached 3.3e-7 of the 1e-6 contract)
#   step        18 u64 |w| |g| / 12h             w +- h is rounded to float64: 1.7e-12 |w| |g|
# so the contract's 1e-6 relative error is resolved down to entries |g| ~ 1e-7 |f|, on any
# machine (measured worst over these tests: 2e-10).
EPS = 1e-4

# ------------------------------------------------------------------------------- helpers


def mse(y, target):
    """``0.5 sum (y^L - target)^2`` and its gradient ``dL/dy^L``."""
    r = y - target
    return 0.5 * float(np.sum(r * r)), r


def draw_case(seed, sigma="tanh", surrogate=("superspike", 10.0), threshold=0.0,
              equal_sizes=False, min_layers=1, recurrent=None, gain=1.0, extra_T=0, min_size=1):
    """A seeded random network, input and target: 1-3 layers, sizes 1-4, T >= L + 1."""
    rng = np.random.default_rng(seed)
    L = int(rng.integers(min_layers, 4))
    if equal_sizes:
        n = int(rng.integers(2, 4))
        sizes = [n] * (L + 1)
    else:
        sizes = [int(s) for s in rng.integers(min_size, 5, size=L + 1)]
    rec = [bool(r) for r in rng.integers(0, 2, size=L)] if recurrent is None else recurrent
    T = int(rng.integers(L + 1, L + 5)) + extra_T
    B = int(rng.integers(1, 3))
    net = RNN.init(sizes, recurrent=rec, sigma=sigma, surrogate=surrogate,
                   threshold=threshold, rng=rng, gain=gain)
    x = rng.normal(0.0, 1.0, size=(B, T, sizes[0]))
    target = rng.normal(0.0, 0.5, size=(B, T, sizes[-1]))
    return net, x, target


def forward_ext(net, x):
    """The finite-difference oracle's forward: Box 1, ``a^l[n] = V^l y^l[n-1] + W^l
    y^{l-1}[n-1]``, ``y^l = sigma(a^l)``, ``y^l[-1] = 0``, written out again in extended
    precision (``numpy.longdouble``) from the weights ``net`` holds (which finite differences
    perturb in place). Returns ``y^L`` and the signature of the smooth piece (which side of
    every surrogate kink each ``a - threshold`` lies on, for ``sigma="soft"``)."""
    ld = np.longdouble
    W = [w.astype(ld) for w in net.W]
    V = [None if v is None else v.astype(ld) for v in net.V]
    x = np.asarray(x, dtype=ld)
    kinks, pieces = np.array(net.surrogate.kinks), []

    def sigma(a):
        if net.sigma == "tanh":
            return np.tanh(a)
        if net.sigma == "sigmoid":
            e = np.exp(-np.abs(a))
            return np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        assert net.sigma == "soft", "finite differences need a smooth activation"
        z = a - ld(net.threshold)
        pieces.append(np.searchsorted(kinks, z.ravel()))
        return reference.surrogate_primitive(net.surrogate.name, net.surrogate.scale, z)

    B, T, _ = x.shape
    prev = [np.zeros((B, n), dtype=ld) for n in net.sizes]  # y^0..y^L at step n-1
    out = np.empty((B, T, net.sizes[-1]), dtype=ld)
    for n in range(T):
        new = [x[:, n]]
        for l in range(net.n_layers):
            a = prev[l] @ W[l].T
            if V[l] is not None:
                a = a + prev[l + 1] @ V[l].T
            new.append(sigma(a))
        prev, out[:, n] = new, new[-1]
    return out, (np.concatenate(pieces) if pieces else None)


def oracle_gradient(net, x, loss_of_y, arr, idx=None):
    """Finite differences (4th order, step ``EPS``, kept on one smooth piece) of the loss of
    :func:`forward_ext` with respect to the entries ``idx`` of ``arr``."""
    def f():
        y, signature = forward_ext(net, x)
        value = loss_of_y(y)
        return value if signature is None else (value, signature)

    return numerical_gradient(f, arr, idx, eps=EPS, method="central4")


def fd_report(net, x, target, grads, title):
    """Every entry of every parameter: hand ``grads`` vs the finite-difference oracle."""
    def loss_of_y(y):
        r = y - target
        return np.sum(r * r) / 2

    hand = dict(grads.parameters())
    assert set(hand) == {name for name, _ in net.parameters()}
    report = Report(title, FD_TOL)
    for name, arr in net.parameters():
        idx = list(np.ndindex(arr.shape))
        num = oracle_gradient(net, x, loss_of_y, arr, idx)
        report.add(name, np.array([hand[name][i] for i in idx]), num, idx)
    return report


def grads_of(net, x, target, method="bptt", **kw):
    trace = net.forward(x)
    _, d = mse(trace.y[-1], target)
    if method == "bptt":
        return R._bptt(net, trace, d, **kw)
    return R._forward(net, x, d, **kw)


SEEDS = list(range(12))
SMOOTH = [("tanh", None), ("sigmoid", None), ("soft", ("sigmoid", 4.0)),
          ("soft", ("superspike", 5.0))]


# ------------------------------------------------------------------------------- conventions


def test_box1_state_starts_at_zero_and_delays_one_step_per_layer():
    net = RNN.init([2, 3, 3, 2], recurrent=True, sigma="tanh", rng=1)
    x = np.random.default_rng(2).normal(size=(2, 6, 2))
    tr = net.forward(x)
    for a in tr.a:
        assert np.all(a[:, 0] == 0.0)  # a^l[0] = 0: y^l[-1] = y^0[-1] = 0
    # x[n] first reaches layer l at step n + l: changing x[3] leaves y^3[<= 3] untouched
    x2 = x.copy()
    x2[:, 3] += 1.0
    tr2 = net.forward(x2)
    assert np.array_equal(tr.y[0][:, :4], tr2.y[0][:, :4])
    assert not np.array_equal(tr.y[0][:, 4], tr2.y[0][:, 4])
    assert np.array_equal(tr.y[1][:, :5], tr2.y[1][:, :5])
    assert not np.array_equal(tr.y[1][:, 5], tr2.y[1][:, 5])
    assert np.array_equal(tr.y[2], tr2.y[2])  # would need step 6 = T


def test_forward_matches_explicit_box1_equations():
    net = RNN.init([3, 4, 2], recurrent=[True, False], sigma="sigmoid", rng=3)
    x = np.random.default_rng(4).normal(size=(1, 5, 3))
    tr = net.forward(x)
    y1_prev, y2_prev, x_prev = np.zeros(4), np.zeros(2), np.zeros(3)
    for n in range(5):
        a1 = net.V[0] @ y1_prev + net.W[0] @ x_prev
        a2 = net.W[1] @ y1_prev
        y1, y2 = 1 / (1 + np.exp(-a1)), 1 / (1 + np.exp(-a2))
        np.testing.assert_allclose(tr.a[0][0, n], a1, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(tr.y[1][0, n], y2, rtol=1e-14, atol=1e-15)
        y1_prev, y2_prev, x_prev = y1, y2, x[0, n]


def test_heaviside_forward_is_binary_and_soft_uses_primitive():
    net = RNN.init([3, 5], sigma="heaviside", threshold=0.2, rng=0, gain=2.0)
    tr = net.forward(np.random.default_rng(0).normal(size=(2, 8, 3)))
    y = tr.y[0]
    assert set(np.unique(y)) <= {0.0, 1.0}
    np.testing.assert_array_equal(y, (tr.a[0] > 0.2).astype(float))
    soft = RNN(net.W, net.V, "soft", net.surrogate, 0.2)
    trs = soft.forward(tr.x)
    np.testing.assert_allclose(trs.y[0], net.surrogate.primitive(trs.a[0] - 0.2), rtol=1e-15)


# ------------------------------------------------------------------------------- docs/design.md §6.1


@pytest.mark.parametrize("sigma,surrogate", SMOOTH)
@pytest.mark.parametrize("seed", SEEDS)
def test_bptt_eq11_matches_finite_differences(sigma, surrogate, seed):
    net, x, target = draw_case(seed, sigma, surrogate or ("superspike", 10.0),
                               threshold=0.1 if sigma == "soft" else 0.0)
    rep = fd_report(net, x, target, bptt_eq11(net, net.forward(x), mse(net.forward(x).y[-1],
                                                                        target)[1]),
                    f"bptt_eq11 vs FD ({sigma}, {surrogate}, sizes {net.sizes})")
    assert rep.passed, str(rep)


@pytest.mark.parametrize("sigma,surrogate", SMOOTH)
@pytest.mark.parametrize("seed", SEEDS[:6])
def test_forward_eq12_matches_finite_differences(sigma, surrogate, seed):
    net, x, target = draw_case(100 + seed, sigma, surrogate or ("superspike", 10.0),
                               threshold=0.1 if sigma == "soft" else 0.0)
    d = mse(net.forward(x).y[-1], target)[1]
    rep = fd_report(net, x, target, forward_eq12(net, x, d),
                    f"forward_eq12 vs FD ({sigma}, {surrogate}, sizes {net.sizes})")
    assert rep.passed, str(rep)


def test_all_layers_and_recurrence_are_exercised():
    """The random draws above cover 1-3 layers, with and without V (guards the draw)."""
    seen = set()
    for seed in SEEDS:
        net, _, _ = draw_case(seed)
        seen.add((net.n_layers, any(v is not None for v in net.V)))
        seen.add((net.n_layers, all(v is not None for v in net.V)))
    assert {L for L, _ in seen} == {1, 2, 3}
    assert {r for _, r in seen} == {True, False}


# ------------------------------------------------------------------------------- docs/design.md §6.2


@pytest.mark.parametrize("surrogate", ["superspike", "sigmoid", "piecewise_linear",
                                       "exponential", "boxcar"])
@pytest.mark.parametrize("seed", SEEDS[:8])
def test_heaviside_eq11_and_eq12_agree(surrogate, seed):
    net, x, target = draw_case(200 + seed, "heaviside", (surrogate, 2.0), threshold=0.1,
                               gain=2.0, min_size=2, extra_T=3)
    tr = net.forward(x)
    d = mse(tr.y[-1], target)[1]
    rep = compare(bptt_eq11(net, tr, d), forward_eq12(net, x, d), tol=AGREE_TOL,
                  title=f"Eq. 11 vs Eq. 12 (heaviside, {surrogate}, sizes {net.sizes})")
    assert rep.passed, str(rep)
    assert rep.max_rel_error < AGREE_TOL


def test_heaviside_agreement_is_not_vacuous():
    """Surrogate gradients are non-zero for every layer (so 1e-10 agreement means something)."""
    net = RNN.init([3, 4, 4, 3], recurrent=True, sigma="heaviside",
                   surrogate=("superspike", 2.0), threshold=0.0, rng=6, gain=2.0)
    x = np.random.default_rng(6).normal(size=(2, 8, 3))
    tr = net.forward(x)
    for y in tr.y:  # every layer spikes, none saturates
        assert 0.1 < y.mean() < 0.9
    d = mse(tr.y[-1], np.random.default_rng(7).normal(size=tr.y[-1].shape))[1]
    g = bptt_eq11(net, tr, d)
    for name, arr in g.parameters():
        assert np.abs(arr).max() > 1e-3, name
    rep = compare(g, forward_eq12(net, x, d))
    assert rep.passed, str(rep)


def test_forward_eq12_memory_does_not_grow_with_T():
    """P and Q are propagated, not stored over time: O(N^3) per layer, not O(N^3 T)."""
    net = RNN.init([6, 6, 6], recurrent=True, sigma="tanh", rng=0)
    peaks = []
    for T in (20, 800):
        rng = np.random.default_rng(T)
        x, d = rng.normal(size=(1, T, 6)), rng.normal(size=(1, T, 6))
        forward_eq12(net, x, d)  # warm-up (numba, caches)
        tracemalloc.start()
        forward_eq12(net, x, d)
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
    # one time step of all P/Q is ~4 * 6^3 * 8 bytes ~ 7 kB; a stored history would add MBs
    assert peaks[1] < peaks[0] + 40_000, peaks


# ------------------------------------------------------------------------------- the typos
# Each printed variant is evaluated on networks where it is computable (equal layer sizes) and
# must disagree with finite differences, while the corrected form on the same network agrees.


def _typo_error(method, printed, seeds, sigma="tanh", min_layers=1, recurrent=None, **kw):
    worst_ok, worst_printed = 0.0, 0.0
    for seed in seeds:
        net, x, target = draw_case(seed, sigma, equal_sizes=True, min_layers=min_layers,
                                   recurrent=recurrent)
        if min_layers > 1:
            assert net.n_layers >= min_layers
        ok = fd_report(net, x, target, grads_of(net, x, target, method, **kw), "corrected")
        bad = fd_report(net, x, target,
                        grads_of(net, x, target, method, printed={printed}, **kw), printed)
        worst_ok = max(worst_ok, ok.max_rel_error)
        worst_printed = max(worst_printed, bad.max_rel_error)
    return worst_ok, worst_printed


def test_eq11_printed_feedforward_timing_is_wrong():
    """Printed ``delta^{l+1}_k[n]``; Box 1's one-step delay needs ``delta^{l+1}_k[n+1]``."""
    ok, bad = _typo_error("bptt", "ff_timing", range(300, 304), min_layers=2)
    assert ok < FD_TOL
    assert bad > 1e-2


def test_eq10_printed_transposed_weight_index_is_wrong():
    """Printed ``W^{T,l}_{ik} = W^l_{ki}``; the error reaches layer l through ``W^{l+1}_{ki}``."""
    ok, bad = _typo_error("bptt", "ff_weight", range(310, 314), min_layers=2)
    assert ok < FD_TOL
    assert bad > 1e-2


def test_eq10_printed_output_error_is_wrong():
    """Printed ``delta^L = dL/dy^L``; with ``delta = dL/da`` it is ``sigma'(a^L) dL/dy^L``."""
    ok, bad = _typo_error("bptt", "output_error", range(320, 324))
    assert ok < FD_TOL
    assert bad > 1e-2


def test_eq11_printed_weight_input_timing_is_wrong():
    """Printed ``dL/dW^l_ij = sum_m delta^l_i[m] y^{l-1}_j[m]``; it is ``y^{l-1}_j[m-1]``."""
    ok, bad = _typo_error("bptt", "w_input_timing", range(330, 334))
    assert ok < FD_TOL
    assert bad > 1e-2


def test_eq11_printed_delta_s_is_delta_m():
    """Printed ``sum_m delta^l_i[s] y^l_j[m-1]`` (``s`` undefined; read as the upper limit
    ``t = T-1``) is wrong; ``delta^l_i[m]`` inside the sum matches finite differences."""
    ok, bad = _typo_error("bptt", "delta_s", range(340, 344), recurrent=True)
    assert ok < FD_TOL
    assert bad > 1e-2


@pytest.mark.parametrize("seed", range(350, 354))
def test_eq11_upper_limit_is_the_loss_step(seed):
    """For a single-step loss ``L[n0]`` the sums run over ``m = 0..n0`` (errors vanish after
    ``n0``, so stopping at ``n0`` equals summing to ``T-1``); stopping one step earlier (at
    ``n0 - 1``) drops a non-zero term and disagrees with finite differences."""
    net, x, target = draw_case(seed, "tanh", min_layers=1, recurrent=True, extra_T=3)
    T = x.shape[1]
    n0 = T - 2  # >= L + 2: the loss step is reached by every layer's weights
    mask = np.zeros(x.shape[:2] + (net.sizes[-1],))
    mask[:, n0] = 1.0

    def loss_of_y(y):
        r = (y - target) * mask
        return np.sum(r * r) / 2

    trace = net.forward(x)
    d = mse(trace.y[-1] * mask, target * mask)[1] * mask
    full = R._bptt(net, trace, d)
    at_n0 = R._bptt(net, trace, d, last_step=n0)
    early = R._bptt(net, trace, d, last_step=n0 - 1)
    assert compare(full, at_n0, tol=1e-15).passed
    worst = 0.0
    for name, arr in net.parameters():
        num = oracle_gradient(net, x, loss_of_y, arr).reshape(arr.shape)
        assert rel_error(dict(full.parameters())[name], num).max() < FD_TOL, name
        worst = max(worst, rel_error(dict(early.parameters())[name], num).max())
    assert worst > 1e-2


def test_eq12_printed_weight_index_is_wrong():
    """Printed ``sum_j' V^l_{ij'} P_{ijj'} + sum_j' W^l_{ij'} P^{l-1}_{ijj'}``; the weights
    are indexed by the propagated neuron: ``V^l_{kk'}``, ``W^l_{kk'}``."""
    ok, bad = _typo_error("forward", "weight_index", range(360, 364), min_layers=2,
                          recurrent=True)
    assert ok < FD_TOL
    assert bad > 1e-2


def test_eq12_printed_source_term_is_wrong():
    """Printed ``delta_lm y^{l-1}_i[n-1]``; it is ``delta_lm delta_ik y^{l-1}_j[n-1]``."""
    ok, bad = _typo_error("forward", "source", range(370, 374))
    assert ok < FD_TOL
    assert bad > 1e-2


def test_printed_variants_are_test_only_switches():
    net, x, target = draw_case(0)
    with pytest.raises(ValueError, match="printed"):
        grads_of(net, x, target, "bptt", printed={"nonsense"})
    with pytest.raises(ValueError, match="printed"):
        grads_of(net, x, target, "forward", printed={"ff_timing"})


# ------------------------------------------------------------------------------- bad input


def test_unknown_sigma_is_rejected():
    with pytest.raises(ValueError, match="sigma"):
        RNN.init([2, 3], sigma="relu")
    with pytest.raises(TypeError, match="sigma"):
        RNN.init([2, 3], sigma=3)
    net = RNN.init([2, 3])
    with pytest.raises(ValueError, match="sigma"):
        RNN(net.W, net.V, sigma="Tanh")


def test_bad_construction_arguments():
    with pytest.raises(ValueError, match="sizes"):
        RNN.init([2])
    with pytest.raises(ValueError, match="sizes"):
        RNN.init([2, 0])
    with pytest.raises(TypeError, match="sizes"):
        RNN.init([2, 3.5])
    with pytest.raises(ValueError, match="recurrent"):
        RNN.init([2, 3, 4], recurrent=[True])
    with pytest.raises(ValueError, match="gain"):
        RNN.init([2, 3], gain=np.nan)
    with pytest.raises(TypeError, match="rng"):
        RNN.init([2, 3], rng="seed")
    with pytest.raises(ValueError, match="surrogate"):
        RNN.init([2, 3], sigma="heaviside", surrogate=("nope", 1.0))
    with pytest.raises(ValueError, match="threshold"):
        RNN.init([2, 3], threshold=np.inf)
    with pytest.raises(TypeError, match="threshold"):
        RNN.init([2, 3], threshold="1")


def test_bad_weights_are_rejected():
    w1, w2 = np.ones((3, 2)), np.ones((4, 3))
    with pytest.raises(ValueError, match=r"W\[1\]"):
        RNN([w1, np.ones((4, 2))])  # does not chain
    with pytest.raises(ValueError, match=r"W\[0\]"):
        RNN([np.ones(3)])
    with pytest.raises(ValueError, match=r"W\[0\]"):
        RNN([np.full((3, 2), np.nan)])
    with pytest.raises(TypeError, match=r"W\[0\]"):
        RNN([np.array([["a", "b"]])])
    with pytest.raises(ValueError, match=r"V\[1\]"):
        RNN([w1, w2], [None, np.ones((3, 3))])
    with pytest.raises(ValueError, match="V"):
        RNN([w1, w2], [None])
    net = RNN([w1, w2], [np.eye(3), None])
    net.V[0][0, 0] = np.inf  # arrays may be changed in place; the next call notices
    with pytest.raises(ValueError, match=r"V\[0\]"):
        net.forward(np.zeros((1, 2, 2)))


def test_bad_x_and_dL_dy_are_rejected():
    net = RNN.init([2, 3, 2], recurrent=True, rng=0)
    x = np.zeros((2, 4, 2))
    tr = net.forward(x)
    d = np.zeros((2, 4, 2))
    for bad in (np.zeros((4, 2)), np.zeros((2, 4, 3)), np.zeros((2, 0, 2))):
        with pytest.raises(ValueError, match="x"):
            net.forward(bad)
        with pytest.raises(ValueError, match="x"):
            forward_eq12(net, bad, d)
    with pytest.raises(ValueError, match="x"):
        net.forward(np.full((2, 4, 2), np.nan))
    with pytest.raises(TypeError, match="x"):
        net.forward(np.array([[["a", "b"]]]))
    for bad in (np.zeros((2, 4, 3)), np.zeros((2, 5, 2)), np.zeros((1, 4, 2)), np.zeros(3)):
        with pytest.raises(ValueError, match="dL_dy"):
            bptt_eq11(net, tr, bad)
        with pytest.raises(ValueError, match="dL_dy"):
            forward_eq12(net, x, bad)
    with pytest.raises(ValueError, match="dL_dy"):
        bptt_eq11(net, tr, np.full((2, 4, 2), np.inf))
    with pytest.raises(ValueError, match="dL_dy"):
        forward_eq12(net, x, np.full((2, 4, 2), np.nan))


def test_mismatched_trace_and_wrong_types_are_rejected():
    net = RNN.init([2, 3, 2], recurrent=True, rng=0)
    other = RNN.init([2, 4, 2], recurrent=True, rng=0)
    x, d = np.zeros((1, 3, 2)), np.zeros((1, 3, 2))
    with pytest.raises(ValueError, match="trace"):
        bptt_eq11(net, other.forward(x), d)
    with pytest.raises(ValueError, match="sigma"):
        bptt_eq11(RNN(net.W, net.V, "sigmoid"), net.forward(x), d)
    with pytest.raises(TypeError, match="trace"):
        bptt_eq11(net, {"a": 1}, d)
    with pytest.raises(TypeError, match="rnn"):
        bptt_eq11("net", net.forward(x), d)
    with pytest.raises(TypeError, match="rnn"):
        forward_eq12(None, x, d)


def test_record_is_immutable_and_gradients_have_weight_shapes():
    net = RNN.init([2, 3, 2], recurrent=[True, False], rng=0)
    with pytest.raises(AttributeError):
        net.sigma = "sigmoid"
    x = np.random.default_rng(0).normal(size=(1, 4, 2))
    g = forward_eq12(net, x, np.ones((1, 4, 2)))
    assert [w.shape for w in g.W] == [w.shape for w in net.W]
    assert g.V[1] is None and g.V[0].shape == (3, 3)
    assert [n for n, _ in g.parameters()] == [n for n, _ in net.parameters()]

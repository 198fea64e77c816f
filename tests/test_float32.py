"""The float32 path: the same network, forward and BPTT in single precision.

Oracle: the float64 path of the same network (weights drawn in float64 and rounded). A float32
result carries rounding errors of about ``eps32 = 6e-8`` per operation, accumulated over ``T``
steps and sums of ``N`` terms, so the traces and gradients must agree with float64 to
``TOL = 1e-4`` (normwise), about ``eps32 (T + N)`` with a margin; a wrong constant, a cast that
loses a term or a float64 parameter applied to float32 state is off by far more. Hard spikes
are discontinuous, so the hard-spike comparisons first require identical spike trains (true
for these seeds; a spike flipped by rounding would make the gradients incomparable, not wrong).
"""
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses, rtrl, train
from refsnn.grad import eprop, superspike

TOL = 1e-4


def _problem(seed, recurrent=True, reset="subtract", detach=False):
    p = LIFParams(alpha=0.85, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([60, 40, 30, 5], p, recurrent=recurrent, rng=seed, gain=5.0)
    x = (np.random.default_rng(seed).random((4, 80, 60)) < 0.05).astype(np.float64)
    return net, x, np.arange(4) % 5


def _normwise(a, b):
    return np.linalg.norm(a.astype(np.float64) - b) / np.linalg.norm(b)


def test_weights_are_the_rounded_float64_weights():
    net64, _, _ = _problem(0)
    net32 = Network.init([60, 40, 30, 5], net64.params, recurrent=True, rng=0, gain=5.0,
                         dtype=np.float32)
    assert net32.dtype is np.float32
    for a, b in zip(net32.W + net32.V, net64.W + net64.V):
        assert a.dtype == np.float32
        assert np.array_equal(a, b.astype(np.float32))


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("reset,detach", [("subtract", False), ("zero", True)])
def test_hard_forward_and_bptt_match_float64(seed, reset, detach):
    net64, x, y = _problem(seed, reset=reset, detach=detach)
    net32 = net64.astype(np.float32)
    tr64, tr32 = net64.simulate(x), net32.simulate(x)
    for a in tr32.I + tr32.U + tr32.S + [tr32.readout, tr32.x]:
        assert a.dtype == np.float32
    for s32, s64 in zip(tr32.S, tr64.S):
        assert s64.any() and np.array_equal(s32, s64)
    for u32, u64 in zip(tr32.U + [tr32.readout], tr64.U + [tr64.readout]):
        assert _normwise(u32, u64) < TOL
    d64 = losses.max_over_time_ce(tr64.readout, y)[1]
    d32 = losses.max_over_time_ce(tr32.readout, y)[1]
    assert d32.dtype == np.float32
    g64, g32 = bptt(net64, tr64, d64), bptt(net32, tr32, d32)
    for a, b in zip(g32.W + [v for v in g32.V if v is not None],
                    g64.W + [v for v in g64.V if v is not None]):
        assert a.dtype == np.float32
        assert np.any(b != 0)
        assert _normwise(a, b) < TOL


def test_soft_bptt_matches_float64():
    net64, x, y = _problem(3)
    net32 = net64.astype(np.float32)
    tr64, tr32 = net64.simulate(x, spike="soft"), net32.simulate(x, spike="soft")
    g64 = bptt(net64, tr64, losses.max_over_time_ce(tr64.readout, y)[1])
    g32 = bptt(net32, tr32, losses.max_over_time_ce(tr32.readout, y)[1])
    for a, b in zip(g32.W + [v for v in g32.V if v is not None],
                    g64.W + [v for v in g64.V if v is not None]):
        assert _normwise(a, b) < TOL


def test_float32_training_stays_float32_and_learns():
    from refsnn import datasets, optim
    x, y = datasets.two_groups(n_samples=32, n_in=20, T=40, rng=0)
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([20, 16, 2], p, rng=0, gain=4.0, dtype=np.float32)
    hist = train.train(net, x, y, optimizer=optim.Adam(lr=2e-3), epochs=15, batch_size=16,
                       rng=0, progress=False)
    assert all(w.dtype == np.float32 for w in net.W)
    assert hist.loss[-1] < 0.7 * hist.loss[0]


def test_other_methods_refuse_float32():
    net64, x, y = _problem(0)
    net32 = Network.init([60, 40, 5], net64.params, recurrent=True, rng=0, dtype=np.float32)
    tr = net32.simulate(x)
    d = np.zeros_like(tr.readout)
    with pytest.raises(TypeError, match="float64 network"):
        rtrl(net32, tr, d)
    with pytest.raises(TypeError, match="float64 network"):
        eprop(net32, tr, d)
    ff = Network.init([60, 40, 5], net64.params, rng=0, dtype=np.float32)
    with pytest.raises(TypeError, match="float64 network"):
        superspike(ff, x, np.zeros((4, 80, 40)))


@pytest.mark.parametrize("dtype", [np.float16, np.int32, "complex128"])
def test_unsupported_dtype_is_refused(dtype):
    with pytest.raises(ValueError, match="float64 or float32"):
        Network.init([3, 4, 2], LIFParams(alpha=0.8, beta=0.9), dtype=dtype)


@pytest.mark.parametrize("seed", [0, 4])
def test_float32_backward_alone_on_the_same_trace(seed):
    """The backward pass in isolation: float32 BPTT against float64 BPTT on the float32 trace
    cast up (identical spikes by construction). Only the adjoint recursion's rounding remains,
    ``eps32 (T + N) = 6e-8 * (80 + 40) = 7e-6``, so the bound is 1e-5."""
    from refsnn import Trace
    net64, x, y = _problem(seed)
    net32 = net64.astype(np.float32)
    tr32 = net32.simulate(x)
    up = {k: [a.astype(np.float64) for a in getattr(tr32, k)] for k in ("I", "U", "S")}
    tr_up = Trace(x=tr32.x.astype(np.float64), readout_I=tr32.readout_I.astype(np.float64),
                  readout=tr32.readout.astype(np.float64), spike="hard", **up)
    net_up = net32.astype(np.float64)
    g32 = bptt(net32, tr32, losses.max_over_time_ce(tr32.readout, y)[1])
    g_up = bptt(net_up, tr_up, losses.max_over_time_ce(tr_up.readout, y)[1])
    for a, b in zip(g32.W + [v for v in g32.V if v is not None],
                    g_up.W + [v for v in g_up.V if v is not None]):
        assert _normwise(a, b) < 1e-5

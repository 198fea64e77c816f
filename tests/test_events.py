"""Event lists (refsnn.events) and the event-driven paths of the forward and of BPTT.

The event path and the dense path of a kernel perform the same additions in the same order, so
they must agree *exactly*, not merely to rounding.
"""
import dataclasses
import os
import subprocess
import sys

import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, events, lif, losses


def _spikes(shape, density, seed):
    return (np.random.default_rng(seed).random(shape) < density).astype(np.float64)


@pytest.mark.parametrize("density", [0.0, 0.03, 0.5, 1.0])
def test_round_trip(density):
    x = _spikes((3, 7, 11), density, 0) * np.random.default_rng(1).normal(size=(3, 7, 11))
    e = events.to_events(x)
    assert e.shape == x.shape
    assert e.idx.size == np.count_nonzero(x)
    assert np.array_equal(events.to_dense(e), x)
    np.testing.assert_allclose(e.density, np.count_nonzero(x) / x.size)


def test_events_are_ordered_per_step():
    x = _spikes((2, 5, 9), 0.4, 3)
    e = events.to_events(x)
    for r in range(2 * 5):
        js = e.idx[e.ptr[r]:e.ptr[r + 1]]
        assert np.all(np.diff(js) > 0)
        assert np.array_equal(js, np.flatnonzero(x.reshape(10, 9)[r]))


@pytest.mark.parametrize("recurrent", [False, True])
def test_forward_event_path_equals_dense_path(recurrent):
    p = LIFParams(alpha=0.8, beta=0.9)
    net = Network.init([40, 30, 5], p, recurrent=recurrent, rng=2)
    x = _spikes((4, 60, 40), 0.05, 4)
    e = events.to_events(x)
    out = []
    for use_events in (True, False):
        I, U, S = (np.empty((4, 60, 30)) for _ in range(3))
        lif.layer_forward(x, e.ptr, e.idx, e.val, use_events, net.W[0],
                          net.V[0] if recurrent else np.zeros((0, 0)), recurrent,
                          lif.neuron(p, net.surrogate, "hard"), I, U, S,
                          np.zeros((0, 0, 0)))  # b: no adaptive threshold
        out.append((I, U, S))
    assert out[0][2].any()
    for a, b in zip(*out):
        assert np.array_equal(a, b)


def _small_net():
    return Network.init([20, 10, 3], LIFParams(alpha=0.8, beta=0.9), rng=0)


def test_simulate_uses_events_for_sparse_input_only():
    net = _small_net()
    sparse = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    dense = net.simulate(_spikes((2, 30, 20), 0.6, 0))
    assert sparse.x_events is not None and sparse.x_events.density <= events.DENSE_ABOVE
    assert dense.x_events is None


@pytest.mark.parametrize("reset,detach", [("subtract", True), ("zero", False)])
def test_bptt_event_path_equals_dense_path(reset, detach):
    p = LIFParams(alpha=0.85, beta=0.9, reset=reset, detach_reset=detach)
    net = Network.init([50, 25, 4], p, recurrent=True, rng=5)
    x = _spikes((6, 80, 50), 0.04, 6)
    tr = net.simulate(x)
    assert tr.x_events is not None
    d = losses.max_over_time_ce(tr.readout, np.arange(6) % 4)[1]
    g_ev = bptt(net, tr, d)
    g_dense = bptt(net, dataclasses.replace(tr, x_events=None), d)
    assert np.any(g_ev.W[0] != 0)
    for a, b in zip(g_ev.W + g_ev.V, g_dense.W + g_dense.V):
        assert np.array_equal(a, b)


def test_inconsistent_events_are_refused():
    net = _small_net()
    tr = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    other = events.to_events(_spikes((2, 31, 20), 0.05, 1))
    d = np.zeros_like(tr.readout)
    with pytest.raises(ValueError, match="x_events"):
        bptt(net, dataclasses.replace(tr, x_events=other), d)


@pytest.mark.parametrize("density", [0.05, 0.6])  # the event-list check and the dense check
@pytest.mark.parametrize("bad,match", [(np.nan, "NaN or inf"), (np.inf, "NaN or inf"),
                                       (0.5, "binary")])
def test_input_values_are_checked_on_both_paths(density, bad, match):
    net = _small_net()
    x = _spikes((2, 30, 20), density, 0)
    x[1, 17, 3] = bad
    with pytest.raises(ValueError, match=match):
        net.simulate(x)
    if match == "binary":
        net.simulate(x, binary_input=False)  # analog input is allowed when asked for


def test_bad_arrays_are_refused():
    with pytest.raises(TypeError, match="x must be a float64 or float32"):
        events.to_events(np.zeros((2, 3, 4), dtype=int))
    with pytest.raises(ValueError, match="shape"):
        events.to_events(np.zeros((3, 4)))


def test_forged_event_indices_are_refused():
    net = _small_net()
    tr = net.simulate(_spikes((2, 30, 20), 0.05, 0))
    e = tr.x_events
    forged = events.Events(ptr=e.ptr, idx=e.idx + 20, val=e.val, shape=e.shape)
    with pytest.raises(ValueError, match="x_events"):
        bptt(net, dataclasses.replace(tr, x_events=forged), np.zeros_like(tr.readout))


# ------------------------------------------------------------- wrong counts, forged lists
def _two_steps():
    x = np.zeros((1, 2, 3))
    x[0, 1, :] = 1.0  # counts(x) = [0, 3]
    return x


@pytest.mark.parametrize("counts,exc,match", [
    (np.array([3, 0]), ValueError, r"counts does not match x: step \(b=0, n=0\)"),  # right sum
    (np.array([0, 2]), ValueError, r"counts does not match x: step \(b=0, n=1\)"),  # too few
    (np.array([1, 3]), ValueError, "counts does not match x"),                       # too many
    (np.array([0, 4]), ValueError, r"counts must lie in \[0, 3\]"),                  # > N
    (np.array([-1, 4]), ValueError, r"counts must lie in \[0, 3\]"),
    (np.array([0, 3, 0]), ValueError, r"counts must have shape \(2,\)"),
    (np.array([[0, 3]]), ValueError, r"counts must have shape \(2,\)"),
    (np.array([0.0, 3.0]), TypeError, "counts must be an integer array"),
    (np.array([False, True]), TypeError, "counts must be an integer array"),
])
def test_from_counts_refuses_counts_that_do_not_describe_x(counts, exc, match):
    with pytest.raises(exc, match=match):
        events.from_counts(_two_steps(), counts)


def test_from_counts_accepts_exact_counts_of_any_integer_type():
    x = _two_steps()
    for counts in ([0, 3], np.array([0, 3], dtype=np.int32), events.count(x)):
        assert np.array_equal(events.to_dense(events.from_counts(x, counts)), x)
    with pytest.raises(TypeError, match="x must be a float64 or float32"):
        events.from_counts(x.astype(int), [0, 3])


def _forged(**change):
    e = events.to_events(_two_steps())
    return events.Events(**{**dict(ptr=e.ptr, idx=e.idx, val=e.val, shape=e.shape), **change})


@pytest.mark.parametrize("change,exc,match", [
    (dict(idx=np.array([0, 1, 3], dtype=np.int32)), ValueError, r"events.idx must lie in"),
    (dict(idx=np.array([0, -1, 2], dtype=np.int32)), ValueError, r"events.idx must lie in"),
    (dict(ptr=np.array([0, 3, 0])), ValueError, "events.ptr must be"),      # decreasing
    (dict(ptr=np.array([0, 0, 4])), ValueError, "events.ptr must be"),      # past idx.size
    (dict(ptr=np.array([1, 1, 3])), ValueError, "events.ptr must be"),
    (dict(ptr=np.array([0, 3])), ValueError, "events.ptr must be"),
    (dict(val=np.ones(2)), ValueError, "events.ptr must be"),               # idx.size != val.size
    (dict(shape=(1, 2)), ValueError, r"events.shape must be \(batch, time, neurons\)"),
    (dict(shape=(1, 2, -3)), ValueError, "events.shape"),
    (dict(shape=(2, 2, 3)), ValueError, "events.ptr must be"),
    (dict(idx=np.array([0.0, 1.0, 2.0])), TypeError, "events.idx must be a 1-D integer"),
    (dict(val=[1.0, 1.0, 1.0]), TypeError, "events.val must be a 1-D floating"),
])
def test_forged_event_lists_are_refused(change, exc, match):
    with pytest.raises(exc, match=match):
        events.to_dense(_forged(**change))
    with pytest.raises(exc, match=match):
        events.check(_forged(**change))


def test_check_compares_the_shape_and_names_the_argument():
    e = events.to_events(_two_steps())
    assert events.check(e, (1, 2, 3)) is e
    with pytest.raises(ValueError, match=r"trace.x_events describes an array of shape"):
        events.check(e, (1, 2, 4), name="trace.x_events")
    with pytest.raises(TypeError, match="events must be an events.Events"):
        events.to_dense(_two_steps())


# Every public entry point of events.py on hostile input, in a process compiled with bounds
# checks (NUMBA_BOUNDSCHECK=1, a fresh cache so that no unchecked kernel is loaded): each must
# end in a clean ValueError/TypeError naming the argument, never an IndexError from a kernel
# (with prange, a kernel's IndexError surfaces as SystemError) nor a memory error.
BOUNDSCHECK_SNIPPET = r"""
import numba, numpy as np
from refsnn import events

@numba.njit
def _probe(a):
    return a[a.size]
try:
    _probe(np.zeros(2))
    print("BOUNDSCHECK-OFF")
except IndexError:
    print("BOUNDSCHECK-ON")

x = np.zeros((2, 3, 4)); x[0, 1, :] = 1.0; x[1, 2, 0] = 0.5      # count(x) = [0,4,0, 0,0,1]
good = events.to_events(x)
assert np.array_equal(events.to_dense(good), x)
E = events.Events
cases = {
    "from_counts, right sum, wrong steps": lambda: events.from_counts(x, [4, 0, 0, 0, 0, 1]),
    "from_counts, all in the last step": lambda: events.from_counts(x, [0, 0, 0, 0, 0, 5]),
    "from_counts, too few": lambda: events.from_counts(x, [0, 1, 0, 0, 0, 0]),
    "from_counts, too many": lambda: events.from_counts(x, [4, 4, 4, 4, 4, 4]),
    "from_counts, negative": lambda: events.from_counts(x, [-4, 8, 0, 0, 0, 1]),
    "from_counts, huge": lambda: events.from_counts(x, [2**62, 0, 0, 0, 0, 0]),
    "from_counts, short": lambda: events.from_counts(x, [0, 4]),
    "from_counts, float": lambda: events.from_counts(x, np.zeros(6)),
    "from_counts, bad x": lambda: events.from_counts(np.zeros((2, 3)), [0, 0]),
    "to_events, int x": lambda: events.to_events(np.zeros((2, 3, 4), dtype=int)),
    "count, 2-D x": lambda: events.count(np.zeros((3, 4))),
    "to_dense, idx out of range": lambda: events.to_dense(
        E(good.ptr, good.idx + 4, good.val, good.shape)),
    "to_dense, ptr past the end": lambda: events.to_dense(
        E(good.ptr + 1, good.idx, good.val, good.shape)),
    "to_dense, ptr too short": lambda: events.to_dense(
        E(good.ptr[:-1], good.idx, good.val, good.shape)),
    "to_dense, wrong shape": lambda: events.to_dense(E(good.ptr, good.idx, good.val, (1, 3, 4))),
}
for name, call in cases.items():
    try:
        call()
        print(f"{name}: NO ERROR")
    except (ValueError, TypeError) as exc:
        print(f"{name}: clean {type(exc).__name__}: {exc}")
    except Exception as exc:
        print(f"{name}: UNCLEAN {type(exc).__name__}: {exc}")
"""


def test_event_entry_points_never_index_out_of_bounds(tmp_path):
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ, NUMBA_BOUNDSCHECK="1", NUMBA_CACHE_DIR=str(tmp_path))
    r = subprocess.run([sys.executable, "-c", BOUNDSCHECK_SNIPPET], cwd=root, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr  # a write out of bounds can abort the process
    lines = r.stdout.splitlines()
    assert lines[0] == "BOUNDSCHECK-ON", r.stdout
    assert len(lines) == 16, r.stdout
    bad = [line for line in lines[1:] if ": clean " not in line]
    assert not bad, "\n".join(bad)
    for line in lines[1:]:
        name = line.split(":")[0]
        word = {"from_counts": "counts", "to_events": "x", "count": "x", "to_dense": "events"}[
            name.split(",")[0]]
        if "bad x" in name:
            word = "x"
        assert word in line.split(": clean ")[1], line

"""Thread count per call (refsnn/threads.py): small work on one thread, large work on all.

The kernels' results do not depend on the thread count (tests/test_determinism.py); these tests
check the choice itself, by recording ``numba.get_num_threads()`` where the kernels would run.
"""
import importlib
import os
import subprocess
import sys

import numba
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses, lif, threads

bptt_module = importlib.import_module("refsnn.grad.bptt")

N_MAX = numba.config.NUMBA_NUM_THREADS
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
P = LIFParams(alpha=0.8, beta=0.9)


def test_thread_count_formula():
    w = threads.WORK_PER_THREAD
    assert threads.thread_count(0, 64, 8) == 1
    assert threads.thread_count(w - 1, 64, 8) == 1
    assert threads.thread_count(3 * w, 64, 8) == 3
    assert threads.thread_count(100 * w, 64, 8) == 8     # at most the caller's count
    assert threads.thread_count(100 * w, 2, 8) == 2      # at most the pieces of work
    assert threads.thread_count(100 * w, 0, 8) == 1


def test_threads_for_restores_and_nests():
    before = numba.get_num_threads()
    with threads.threads_for(0, 10) as n:
        assert n == 1 and numba.get_num_threads() == 1
        # a nested large call gets the outermost caller's count, not the current 1
        with threads.threads_for(10**12, 10**6) as m:
            assert m == before and numba.get_num_threads() == before
        assert numba.get_num_threads() == 1
    assert numba.get_num_threads() == before
    with pytest.raises(KeyError):
        with threads.threads_for(0, 10):
            raise KeyError
    assert numba.get_num_threads() == before


def test_user_thread_count_is_the_bound():
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        with threads.threads_for(10**12, 10**6) as n:
            assert n == 1
    finally:
        numba.set_num_threads(before)


def _record(monkeypatch, module, name):
    seen = []
    kernel = getattr(module, name)

    def spy(*args):
        seen.append(numba.get_num_threads())
        return kernel(*args)
    monkeypatch.setattr(module, name, spy)
    return seen


def test_tiny_calls_run_on_one_thread(monkeypatch):
    fwd = _record(monkeypatch, lif, "layer_forward")
    sweep = _record(monkeypatch, bptt_module, "network_adjoints")
    outer = _record(monkeypatch, bptt_module, "outer_sum_kernel")
    net = Network.init([10, 10, 2], P, recurrent=True, rng=0)
    x = (np.random.default_rng(0).random((2, 50, 10)) < 0.1).astype(float)
    tr = net.simulate(x)
    bptt(net, tr, losses.max_over_time_ce(tr.readout, [0, 1])[1])
    assert fwd == [1, 1] and sweep == [1] and outer and set(outer) == {1}


@pytest.mark.skipif(N_MAX < 2, reason="needs NUMBA_NUM_THREADS >= 2")
def test_large_calls_keep_every_thread(monkeypatch):
    fwd = _record(monkeypatch, lif, "layer_forward")
    sweep = _record(monkeypatch, bptt_module, "network_adjoints")
    net = Network.init([700, 200, 20], P, recurrent=True, rng=0)
    x = (np.random.default_rng(0).random((16, 100, 700)) < 0.03).astype(float)
    tr = net.simulate(x)
    bptt(net, tr, losses.max_over_time_ce(tr.readout, np.arange(16) % 20)[1])
    assert fwd[0] == N_MAX and sweep == [N_MAX]
    assert numba.get_num_threads() == N_MAX


def test_bad_input_still_gets_its_own_error():
    """The estimate never validates: a malformed argument reaches the function's own check."""
    net = Network.init([3, 4, 2], P, rng=0)
    with pytest.raises(ValueError, match="x must have shape"):
        net.simulate(np.zeros((2, 3)))
    with pytest.raises((AttributeError, TypeError, ValueError)):
        bptt(net, "not a trace", np.zeros((1, 1, 2)))
    assert numba.get_num_threads() == N_MAX


def test_wrappers_keep_their_signatures():
    import inspect
    assert list(inspect.signature(bptt_module.weight_gradient).parameters) == [
        "g_next", "s_prev", "events"]
    assert list(inspect.signature(bptt_module.error_to_input).parameters) == ["gI", "W"]
    assert list(inspect.signature(Network.simulate).parameters)[:2] == ["self", "x"]
    assert bptt_module.bptt.__doc__.startswith("Exact BPTT")


SPIN = """
import os, time
import numpy as np
import numba
from refsnn import LIFParams, Network
assert "GOMP_SPINCOUNT" not in os.environ  # ours was removed again
net = Network.init([700, 200, 20], LIFParams(alpha=0.8, beta=0.9), recurrent=True, rng=0)
x = (np.random.default_rng(0).random((16, 20, 700)) < 0.03).astype(float)
net.simulate(x)
burnt = []
for _ in range(5):
    net.simulate(x)  # large enough for every thread
    c = time.process_time()
    time.sleep(0.05)
    burnt.append(time.process_time() - c)  # CPU used by the waiting threads
print(numba.threading_layer(), sorted(burnt)[2])
"""


def _burnt(**env):
    e = {k: v for k, v in os.environ.items() if k not in threads.USER_WAIT_SETTINGS}
    r = subprocess.run([sys.executable, "-c", SPIN], env=dict(e, **env), cwd=ROOT, check=True,
                       capture_output=True, text=True)
    layer, cpu = r.stdout.split()
    return layer, float(cpu)


@pytest.mark.skipif(N_MAX < 2, reason="needs NUMBA_NUM_THREADS >= 2")
def test_waiting_threads_sleep_unless_the_user_wants_them_to_spin():
    layer, quiet = _burnt()
    if layer != "omp":
        pytest.skip(f"threading layer {layer}: no OpenMP wait policy")
    _, spinning = _burnt(OMP_WAIT_POLICY="ACTIVE")  # the user's choice is kept
    assert quiet < 0.001 < 0.01 < spinning, (quiet, spinning)  # GNU's default: about 0.008

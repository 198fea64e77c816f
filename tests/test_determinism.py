"""The batch-parallel kernels give bit-identical results whatever the number of Numba threads.

``layer_forward``, ``network_adjoints`` and the event-list builder loop over the batch with
``numba.prange`` (each sample writes only its own rows); ``outer_sum_kernel`` and
``outer_sum_events_kernel`` split the presynaptic index into per-thread blocks, each element
summed by one thread in the serial order. So the forward trace and the BPTT gradients must be *equal* (not merely close) with
``NUMBA_NUM_THREADS=1`` and with several threads. The thread count is fixed when Numba starts,
hence one fresh process per setting, on the SHD-sized benchmark case (700-200r-20, T=100,
B=64, 3% input density), with both reset handlings that change the backward's code path.
"""
import os
import subprocess
import sys

import numpy as np
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SNIPPET = """
import sys
import numpy as np
from refsnn import LIFParams, Network, bptt, losses
from refsnn.grad import direct_feedback_alignment, random_feedback
out = {}
for k, (reset, detach) in enumerate((("subtract", True), ("zero", False))):
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2, reset=reset,
                            detach_reset=detach)
    net = Network.init([700, 200, 20], p, recurrent=True, surrogate=("superspike", 10.0), rng=0)
    x = (np.random.default_rng(0).random((64, 100, 700)) < 0.03).astype(np.float64)
    tr = net.simulate(x)
    d = losses.max_over_time_ce(tr.readout, np.arange(64) % 20)[1]
    g = bptt(net, tr, d)
    g_dfa = direct_feedback_alignment(net, tr, d, random_feedback(net, "dfa", 0))
    for name, a in (("I", tr.I[0]), ("U", tr.U[0]), ("S", tr.S[0]),
                    ("readout", tr.readout), ("gW0", g.W[0]), ("gW1", g.W[1]), ("gV0", g.V[0]),
                    ("dfa_W0", g_dfa.W[0])):
        out[f"{k}_{name}"] = a
np.savez(sys.argv[1], **out)
"""


def _run(threads, path):
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads))
    subprocess.run([sys.executable, "-c", SNIPPET, str(path)], env=env, cwd=ROOT, check=True,
                   capture_output=True, text=True)
    return np.load(path)


@pytest.mark.parametrize("threads", [2, 3])
def test_bit_identical_across_thread_counts(tmp_path, threads):
    serial = _run(1, tmp_path / "serial.npz")
    par = _run(threads, tmp_path / "parallel.npz")
    assert sorted(serial.files) == sorted(par.files)
    assert np.any(serial["0_S"] > 0) and np.any(serial["0_gV0"] != 0)  # non-trivial case
    for name in serial.files:
        assert np.array_equal(serial[name], par[name]), name

"""Shared pieces of the benchmark and of the ``performance`` figure: networks, inputs, timers.

Every implementation runs the same network (superspike surrogate, reset "subtract" with a
detached reset, so snnTorch maps onto it too) on the same input, float64.
"""
from __future__ import annotations


import numpy as np

from refsnn import LIFParams, Network, Trace, bptt, losses
from . import numpy_baseline, torch_reference
from .costs import peak_memory, wall_time  # noqa: F401 (peak_memory re-exported)

PARAMS = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2, reset="subtract",
                             detach_reset=True)


def problem(sizes, T, B, density, recurrent=True, seed=0):
    """``(net, x, labels)``: a random network and Bernoulli input of the given spike density."""
    net = Network.init(sizes, PARAMS, recurrent=recurrent, surrogate=("superspike", 10.0),
                       rng=seed)
    x = (np.random.default_rng(seed).random((B, T, sizes[0])) < density).astype(np.float64)
    return net, x, np.arange(B) % sizes[-1]


def median_time(fn, repeats=5, warmup=1):
    """Median wall time (s) of ``repeats`` calls after ``warmup`` calls."""
    for _ in range(warmup):
        fn()
    return wall_time(fn, repeats)


def trace_bytes(trace):
    """Bytes of every array a Trace stores, the input included: what BPTT must keep. A sparse
    input is stored as its event list only (``trace.x`` would be built from it when read)."""
    arrs = [trace.readout_I, trace.readout] + trace.I + trace.U + trace.S
    e = trace.x_events
    arrs += [trace.x] if e is None else [e.ptr, e.idx, e.val]
    return sum(a.nbytes for a in arrs)


def implementations(net, x, labels, with_torch=True):
    """``{name: (forward_fn, forward_backward_fn)}`` for every available implementation."""
    def d_of(readout):
        return losses.max_over_time_ce(readout, labels)[1]

    def ref_fb():
        tr = net.simulate(x)
        return bptt(net, tr, d_of(tr.readout))

    def np_fb():
        tr = numpy_baseline.forward(net, x)
        return numpy_baseline.backward(net, tr, d_of(tr.readout))

    net32 = net.astype(np.float32)

    def ref32_fb():
        tr = net32.simulate(x)
        return bptt(net32, tr, d_of(tr.readout))

    impls = {"refsnn": (lambda: net.simulate(x), ref_fb),
             "refsnn32": (lambda: net32.simulate(x), ref32_fb),
             "numpy": (lambda: numpy_baseline.forward(net, x), np_fb)}
    if with_torch and torch_reference.available():
        d = d_of(net.simulate(x).readout)
        for name, fwd in (("torch", torch_reference.torch_forward),
                          ("snntorch", torch_reference.snntorch_forward)):
            if name == "snntorch" and not torch_reference.snntorch_available():
                continue
            impls[name] = ((lambda f=fwd: torch_reference.forward_only(f, net, x)),
                           (lambda f=fwd: torch_reference.step(f, net, x, d)))
    return impls


def gradient_errors(net, x, labels):
    """``{name: max relative error}`` of each reference's gradient against ``refsnn.bptt``."""
    tr = net.simulate(x)
    d = losses.max_over_time_ce(tr.readout, labels)[1]
    g = bptt(net, tr, d)
    ours = g.W + [v for v in g.V if v is not None]
    out = {}
    # float32 BPTT against float64 BPTT on the same (float32) trace: hard spikes are
    # discontinuous, so two forwards in different precisions may differ in a spike
    net32 = net.astype(np.float32)
    tr32 = net32.simulate(x)
    g32 = bptt(net32, tr32, losses.max_over_time_ce(tr32.readout, labels)[1])
    up = {k: [a.astype(np.float64) for a in getattr(tr32, k)] for k in ("I", "U", "S")}
    tr_up = Trace(x=tr32.x.astype(np.float64), readout_I=tr32.readout_I.astype(np.float64),
                  readout=tr32.readout.astype(np.float64), spike=tr32.spike, **up)
    net_up = net32.astype(np.float64)
    g_up = bptt(net_up, tr_up, losses.max_over_time_ce(tr_up.readout, labels)[1])
    out["float32 (normwise)"] = max(
        float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-300))
        for a, b in zip(g32.W + [v for v in g32.V if v is not None],
                        g_up.W + [v for v in g_up.V if v is not None]))
    gb = numpy_baseline.backward(net, numpy_baseline.forward(net, x), d)
    out["numpy"] = torch_reference.max_rel_error(ours, gb.W + [v for v in gb.V if v is not None])
    if torch_reference.available():
        refs = [("torch", torch_reference.torch_forward)]
        if torch_reference.snntorch_available():
            refs.append(("snntorch", torch_reference.snntorch_forward))
        for name, fwd in refs:
            _, gW, gV = torch_reference.gradients(fwd, net, x, d)
            out[name] = torch_reference.max_rel_error(ours, gW + [v for v in gV if v is not None])
    return out

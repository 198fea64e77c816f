r"""Measured memory and time of the credit-assignment methods (tutorial, "forward vs backward").

``python -m benchmarks.costs [--quick]`` (``make bench`` runs it) measures, for one recurrent
hidden layer of ``N`` LIF neurons (``n_in`` inputs, ``n_out`` readout neurons, batch ``B``), the peak memory
(:mod:`tracemalloc`, bytes allocated *during* one gradient computation) and the wall time of one
gradient, as ``N`` grows at fixed ``T`` and as ``T`` grows at fixed ``N``:

* ``bptt``: the forward pass that records the trace, the loss gradient on the readout, and
  :func:`refsnn.bptt` (BPTT needs the whole trace: this is what it costs);
* ``rtrl``: exact forward-mode :func:`refsnn.rtrl` in its online form (the input ``x`` and a
  per-step loss gradient ``d_readout(n, readout_n)``: nothing of length ``T`` is stored);
* ``superspike``, ``eprop``: the approximate forward rules, when ``refsnn.grad.superspike`` /
  ``refsnn.grad.eprop`` exist (skipped with a message otherwise), in their online forms: the
  input ``x`` goes in, the network advances inside the measured call one step at a time, the
  loss gradient arrives per step (e-prop: ``d_readout(n, readout_n)`` as for RTRL), and
  nothing is recorded beforehand. SuperSpike is defined for
  feed-forward networks whose last spiking layer is the output: it is measured on the same
  ``W`` without ``V``, the ``N`` hidden neurons being its output (van Rossum loss to an empty
  target), so its memory is its ``O(N n_in)`` eligibility traces, not comparable entry by
  entry with RTRL's ``O(N^3)``;
* ``eprop_exact``: e-prop with the exact learning signal
  (:func:`refsnn.grad.eprop.eprop_exact`, equal to BPTT). Its learning signal ``L_i[n]`` holds
  the effect of ``S_i[n]`` on the *future* loss, so it needs a backward pass over the recorded
  trace: it is measured like BPTT (forward with trace, then the rule) and belongs to the
  :data:`BACKWARD` group, not the :data:`ONLINE` one.

Memory is the smaller peak of two calls after a warm-up call (one-time allocations of the
first calls, such as Numba's dispatch caches, are not a cost of the method).

The loss is the same for every method, ``L = 1/2 sum_{b,n,k} (U_o[n] - y*[n])^2`` with a fixed
target ``y*[n] = 0.5 sin(2 pi n / 50)``, so BPTT and RTRL return the same gradient (checked).

What the tutorial predicts (arXiv text around Eq. 12): BPTT stores the trace, memory
``O(B N T)`` (plus the ``O(N^2)`` gradient of ``V``), time ``O(B N^2 T)``; RTRL stores the
sensitivities ``dI/dV, dU/dV`` of every neuron to every entry of ``V``, memory ``O(B N^3)``
independent of ``T``, time ``O(B N^4 T)``. The log-log slopes are fitted with
:func:`numpy.polyfit` on ``log`` values and printed next to these expectations.

The measured numbers of one run are in README.md (Performance) and in the figure
``credit_assignment_cost`` (:mod:`refsnn.figures.credit_assignment_cost`), which calls
:func:`measure`.
"""
from __future__ import annotations

import argparse
import importlib
import sys
import time
import tracemalloc

import numpy as np

from refsnn import LIFParams, Network, bptt, rtrl

#: the methods measured, in this order (the last three only if their module exists)
METHODS = ("bptt", "rtrl", "superspike", "eprop", "eprop_exact")
#: methods that run online: nothing of length ``T`` is stored (memory independent of ``T``)
ONLINE = ("rtrl", "superspike", "eprop")
#: methods that need the recorded trace and a backward pass (memory ``O(NT)``)
BACKWARD = ("bptt", "eprop_exact")

#: full-run sizes (the whole ``python -m benchmarks.costs`` takes about a minute)
FULL = dict(N_bptt=(16, 32, 64, 128, 256, 512, 1024, 2048), N_rtrl=(8, 16, 32, 48, 64, 96),
            T_values=(25, 50, 100, 200, 400, 800), N_fixed=16, T_fixed=50)
#: the large-N regime (``--extended``, a few minutes): the N sweeps only (one T point), so that
#: per-call overhead no longer hides the leading power: RTRL up to N = 192 at a short T (its
#: time per step does not depend on T), BPTT up to N = 8192
EXTENDED = dict(N_bptt=(1024, 2048, 4096, 8192), N_rtrl=(64, 96, 128, 160, 192),
                T_values=(10,), N_fixed=16, T_fixed=10, methods=("bptt", "rtrl"), repeats=2)
#: the quick figure's stand-in for EXTENDED (seconds)
EXTENDED_QUICK = dict(N_bptt=(64, 128, 256), N_rtrl=(8, 12, 16), T_values=(10,), N_fixed=8,
                      T_fixed=10, methods=("bptt", "rtrl"), repeats=1)
#: tiny sizes (tests, the quick figure, the tutorial): a few seconds
QUICK = dict(N_bptt=(8, 16, 32, 64), N_rtrl=(4, 8, 16), T_values=(20, 40, 80),
             N_fixed=8, T_fixed=20, repeats=1)

#: expected log-log slopes (sweep, quantity, method) -> (slope, the tutorial's order)
EXPECTED = {
    ("T", "memory", "bptt"): (1, "O(NT)"),
    ("T", "memory", "rtrl"): (0, "O(N^3), no T"),
    ("T", "time", "bptt"): (1, "O(N^2 T)"),
    ("T", "time", "rtrl"): (1, "O(N^4 T)"),
    ("N", "memory", "bptt"): (1, "O(NT) (+ N^2 for dV)"),
    ("N", "memory", "rtrl"): (3, "O(N^3)"),
    ("N", "time", "bptt"): (2, "O(N^2 T)"),
    ("N", "time", "rtrl"): (4, "O(N^4 T)"),
    ("T", "memory", "superspike"): (0, "O(N n_in), no T"),
    ("T", "time", "superspike"): (1, "O(N n_in T)"),
    ("N", "memory", "superspike"): (1, "O(N n_in)"),
    ("N", "time", "superspike"): (1, "O(N n_in T)"),
    ("T", "memory", "eprop"): (0, "O(N (n_in + N)), no T"),
    ("T", "time", "eprop"): (1, "O(N^2 T)"),
    ("N", "memory", "eprop"): (2, "O(N (n_in + N))"),
    ("N", "time", "eprop"): (2, "O(N^2 T)"),
    ("T", "memory", "eprop_exact"): (1, "O(NT) (+ N^2 traces)"),
    ("T", "time", "eprop_exact"): (1, "O(N^2 T)"),
}


# ---------------------------------------------------------------------------- the problem
def target(n):
    """The readout target ``y*[n]`` (same for every readout neuron and sample)."""
    return 0.5 * np.sin(2.0 * np.pi * np.asarray(n) / 50.0)


def make_problem(N, T, batch=1, n_in=10, n_out=2, rate=0.1, seed=0):
    """``(net, x)``: one recurrent hidden layer of ``N`` neurons, Poisson-like input ``x``.

    The hidden layer is driven so that it spikes (``gain`` of :meth:`Network.init`); the
    parameters are those of the tutorial (``dt = 1 ms, tau_syn = 5 ms, tau_mem = 10 ms``).
    """
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2, reset="subtract")
    net = Network.init([n_in, N, n_out], p, recurrent=True, rng=seed, gain=7.0)
    x = (np.random.default_rng(seed + 1).random((batch, T, n_in)) < rate).astype(float)
    return net, x


def grad_bptt(net, x):
    """Forward pass with the trace, ``dL/dU_o``, BPTT: everything one BPTT gradient needs."""
    tr = net.simulate(x)
    T = x.shape[1]
    d = tr.readout - target(np.arange(T))[None, :, None]
    return bptt(net, tr, d)


def grad_rtrl(net, x):
    """Online exact RTRL: the forward runs inside, ``dL/dU_o[n]`` is computed at step ``n``."""
    return rtrl(net, x, lambda n, r: r - target(n))


def _prepare_superspike(fn):
    """SuperSpike is defined for feed-forward networks whose last spiking layer is the output
    (:func:`refsnn.grad.superspike.superspike`): the same ``W`` without ``V``, the hidden
    layer of ``N`` neurons as output, an all-zero target spike train (made outside the
    measured call)."""
    def prepare(net, x):
        ff = Network([w.copy() for w in net.W], [None] * len(net.V), net.params, net.surrogate)
        s_target = np.zeros(x.shape[:2] + (net.sizes[-2],))
        return lambda: fn(ff, x, s_target)
    return prepare


def _prepare_eprop(fn):
    """Online e-prop: the input ``x`` and the per-step loss gradient, as :func:`grad_rtrl`."""
    def prepare(net, x):
        return lambda: fn(net, x, lambda n, r: r - target(n))
    return prepare


def _prepare_eprop_exact(fn):
    """e-prop with the exact learning signal: needs the trace (its backward pass reads it)."""
    def prepare(net, x):
        def call():
            tr = net.simulate(x)
            return fn(net, tr, tr.readout - target(np.arange(x.shape[1]))[None, :, None])
        return call
    return prepare


#: method -> (module of refsnn.grad, function, how to call it)
_OPTIONAL = {"superspike": ("superspike", "superspike", _prepare_superspike),
             "eprop": ("eprop", "eprop", _prepare_eprop),
             "eprop_exact": ("eprop", "eprop_exact", _prepare_eprop_exact)}


def _optional(name):
    """``(prepare, None)`` for the rule ``name`` of :data:`_OPTIONAL`, or ``(None, reason)``."""
    module, func, prep = _OPTIONAL[name]
    try:
        mod = importlib.import_module(f"refsnn.grad.{module}")
    except ImportError as exc:
        return None, f"refsnn.grad.{module} not available ({exc})"
    fn = getattr(mod, func, None)
    if not callable(fn):
        return None, f"refsnn.grad.{module} defines no function {func}(...)"
    return prep(fn), None


def gradient_functions(methods=None):
    """``({name: prepare}, {name: reason skipped})`` for ``methods`` (default all).

    ``prepare(net, x)`` does what must not be measured (copies, targets) and returns the
    zero-argument call that computes one gradient.
    """
    methods = METHODS if methods is None else tuple(methods)
    unknown = set(methods) - set(METHODS)
    if unknown:
        raise ValueError(f"unknown methods {sorted(unknown)}; valid: {METHODS}")
    fns, skipped = {}, {}
    for m in methods:
        if m == "bptt":
            fns[m] = lambda net, x: (lambda: grad_bptt(net, x))
        elif m == "rtrl":
            fns[m] = lambda net, x: (lambda: grad_rtrl(net, x))
        else:
            fn, why = _optional(m)
            if fn is None:
                skipped[m] = why
            else:
                fns[m] = fn
    return fns, skipped


# ---------------------------------------------------------------------------- measuring
def peak_memory(fn):
    """Peak bytes traced by :mod:`tracemalloc` while ``fn()`` runs (inputs made before)."""
    if tracemalloc.is_tracing():
        raise RuntimeError("tracemalloc is already tracing; peak_memory needs it for itself")
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def wall_time(fn, repeats=3):
    """Median wall time of ``fn()`` over ``repeats`` calls (after the caller's warm-up)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def fit_slope(x, y):
    """Log-log slope of ``y`` against ``x``: ``np.polyfit(log x, log y, 1)[0]``."""
    x, y = np.asarray(x, float), np.asarray(y, float)
    if x.size < 2:
        return float("nan")
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def measure(N_bptt=FULL["N_bptt"], N_rtrl=FULL["N_rtrl"], T_values=FULL["T_values"],
            N_fixed=FULL["N_fixed"], T_fixed=FULL["T_fixed"], batch=1, n_in=10, n_out=2,
            methods=None, repeats=3, seed=0, verbose=False):
    """Measure peak memory and time per gradient of each method as ``N`` and ``T`` grow.

    Parameters
    ----------
    N_bptt, N_rtrl : sequence of int
        Hidden-layer sizes of the ``N`` sweep (at ``T = T_fixed``) for BPTT, and for the
        forward methods (RTRL, SuperSpike, e-prop; RTRL costs ``O(N^4 T)`` time).
    T_values : sequence of int
        Sequence lengths of the ``T`` sweep (at ``N = N_fixed``), the same for every method.
    N_fixed, T_fixed : int
    batch, n_in, n_out : int
        Batch size, inputs, readout neurons (fixed).
    methods : sequence of str, optional
        Subset of :data:`METHODS` (default: all available).
    repeats : int
        Timed calls per point (the median is kept), after one untimed warm-up call.
    seed : int
    verbose : bool
        Print one line per measured point.

    Returns
    -------
    dict
        ``"N"`` and ``"T"``: ``{method: {"x": int array, "memory": bytes array,
        "time": seconds array}}`` (``x`` is ``N`` resp. ``T``); ``"skipped"``: ``{method:
        reason}``; ``"config"``: the arguments; ``"agreement"``: max relative difference of
        RTRL and BPTT on the first point (when both are measured).
    """
    for name, vals in (("N_bptt", N_bptt), ("N_rtrl", N_rtrl), ("T_values", T_values)):
        if len(vals) < 1 or any(int(v) != v or v < 2 for v in vals):
            raise ValueError(f"{name} must be a non-empty sequence of ints >= 2, got {vals}")
    if int(repeats) != repeats or repeats < 1:
        raise ValueError(f"repeats must be an int >= 1, got {repeats}")
    fns, skipped = gradient_functions(methods)
    config = dict(N_bptt=tuple(N_bptt), N_rtrl=tuple(N_rtrl), T_values=tuple(T_values),
                  N_fixed=N_fixed, T_fixed=T_fixed, batch=batch, n_in=n_in, n_out=n_out,
                  repeats=repeats, seed=seed)
    out = {"N": {}, "T": {}, "skipped": skipped, "config": config}

    def point(method, prepare, N, T):
        net, x = make_problem(N, T, batch, n_in, n_out, seed=seed)
        call = prepare(net, x)
        call()  # warm-up: compilation / cache load, first-call allocations
        mem = min(peak_memory(call) for _ in range(2))
        sec = wall_time(call, repeats)
        if verbose:
            print(f"  {method:<11} N={N:<5} T={T:<5} memory {mem / 1e6:9.3f} MB  "
                  f"time {sec * 1e3:9.2f} ms", flush=True)
        return mem, sec

    for method, prepare in fns.items():
        try:
            for sweep, xs in (("N", N_bptt if method == "bptt" else N_rtrl), ("T", T_values)):
                rows = [point(method, prepare,
                              *((v, T_fixed) if sweep == "N" else (N_fixed, v))) for v in xs]
                out[sweep][method] = {"x": np.array(xs, dtype=np.int64),
                                      "memory": np.array([r[0] for r in rows], dtype=float),
                                      "time": np.array([r[1] for r in rows], dtype=float)}
        except Exception as exc:  # noqa: BLE001 -- an optional rule that does not fit
            if method in ("bptt", "rtrl"):
                raise
            out["N"].pop(method, None)
            out["T"].pop(method, None)
            skipped[method] = f"failed: {type(exc).__name__}: {exc}"
    if "bptt" in fns and "rtrl" in fns:  # the two exact methods compute the same gradient
        net, x = make_problem(N_fixed, T_values[0], batch, n_in, n_out, seed=seed)
        a, b = grad_bptt(net, x), grad_rtrl(net, x)
        out["agreement"] = max(float(np.max(np.abs(ga - gb) / np.maximum(
            1e-8, np.abs(ga) + np.abs(gb)))) for (_, ga), (_, gb)
            in zip(a.parameters(), b.parameters()))
    return out


def slopes(result, last=None):
    """``{(sweep, quantity, method): slope}`` fitted on ``result`` (the last ``last`` points
    of each curve if given, e.g. to see the asymptotic regime)."""
    out = {}
    for sweep in ("N", "T"):
        for method, d in result[sweep].items():
            sl = slice(-last, None) if last else slice(None)
            if len(d["x"]) < 2:  # one point (the --extended T sweep): no slope
                continue
            for q in ("memory", "time"):
                out[(sweep, q, method)] = fit_slope(d["x"][sl], d[q][sl])
    return out


def report(result):
    """The slopes table as text, with the tutorial's expectations."""
    fitted, tail = slopes(result), slopes(result, last=3)
    lines = [f"{'sweep':<6}{'quantity':<9}{'method':<12}{'slope':>7}{'last 3':>8}   expected"]
    for (sweep, q, m), s in fitted.items():
        exp = EXPECTED.get((sweep, q, m))
        exp = f"~{exp[0]}  {exp[1]}" if exp else "-"
        lines.append(f"{sweep:<6}{q:<9}{m:<12}{s:>7.2f}{tail[(sweep, q, m)]:>8.2f}   {exp}")
    for m, why in result["skipped"].items():
        lines.append(f"skipped {m}: {why}")
    if "agreement" in result:
        lines.append(f"RTRL vs BPTT, max relative difference: {result['agreement']:.1e}")
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m benchmarks.costs", description=__doc__
                                     .split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="tiny sizes (a few seconds)")
    parser.add_argument("--extended", action="store_true",
                        help="the large-N sweeps of BPTT and RTRL only (a few minutes)")
    args = parser.parse_args(argv)
    if args.quick and args.extended:
        parser.error("--quick and --extended exclude each other")
    sizes = QUICK if args.quick else EXTENDED if args.extended else FULL
    t0 = time.perf_counter()
    print("peak memory (tracemalloc) and time per gradient, one recurrent hidden layer of N "
          "neurons, batch 1")
    result = measure(**sizes, verbose=True)
    print()
    print(report(result))
    print(f"({time.perf_counter() - t0:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

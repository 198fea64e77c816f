"""Shared test helpers: seeded random networks spanning the configuration space, the
finite-difference oracle of a loss, and an in-process stand-in for the grader's child process."""
import importlib.util
import inspect

import numpy as np
import pytest

from refsnn import SURROGATES, LIFParams, Network, losses
from refsnn.exercises.sandbox import Other, Outcome
from refsnn.gradcheck import numerical_gradient
from refsnn.initialization import Fluctuation

RESETS = ("subtract", "zero", "none")
#: the surrogates random_problem draws by default (those added later are drawn with
#: ``variants=True``, so that the draws of every existing seed stay what they were)
DRAWN_SURROGATES = SURROGATES[:5]


def unique_argmax(readout, gap=1e-9):
    """True if every (sample, output) readout trace has one clear maximum over time."""
    top2 = np.sort(readout, axis=1)[:, -2:, :]
    return bool(np.all(top2[:, 1] - top2[:, 0] > gap))


def is_active(net, trace, l):
    """Layer ``l`` passes gradient (some surrogate slope > 0) and sends some spikes."""
    slope = net.surrogate.derivative(trace.U[l] - net.params.threshold)
    return bool(np.any(slope > 0) and np.any(trace.S[l] > 0))


def draw_variants(seed):
    """The model options of docs/design.md §4 for ``random_problem(seed, variants=True)``,
    from a stream of their own: ``(LIFParams fields, Network.init keywords, surrogate,
    the hybrid surrogate's subthreshold constant)``."""
    rng = np.random.default_rng([seed, 7])
    fields = dict(input_gain=("one", "1-beta")[int(rng.integers(2))])
    init_kw = {}
    if rng.integers(2):
        init_kw.update(readout_alpha=rng.uniform(0.5, 0.95), readout_beta=rng.uniform(0.8, 0.99))
    init_kw["init"] = ("normal", "uniform", Fluctuation(nu=0.1))[int(rng.integers(3))]
    sg = SURROGATES[int(rng.integers(len(SURROGATES)))]
    c = rng.uniform(0.05, 0.3) if rng.integers(2) else 0.0
    # the neuron variants of "lessons from deep learning": the leaky neuron (Eq. 4; alpha = 0
    # and no readout_alpha) and the adaptive threshold (Eqs. 51-52, its jump printed or not)
    if rng.integers(2):
        fields["neuron"] = "leaky"
        init_kw.pop("readout_alpha", None)
    if rng.integers(2):
        fields["threshold_decay"] = rng.uniform(0.5, 0.95)
        if rng.integers(2):
            fields["threshold_jump"] = rng.uniform(0.05, 1.0)
    return fields, init_kw, sg, c


def random_problem(seed, spike=None, reset=None, detach_reset=None, surrogate=None,
                   max_layers=3, max_neurons=20, max_T=50, variants=False):
    """A random network, input and loss, conditioned so that the loss is O(1).

    Draws 1..max_layers hidden layers of 2..max_neurons neurons, recurrence per layer,
    alpha, beta, surrogate and its scale, the init gain, T, batch, input density and one of
    the three losses. The readout weights are rescaled so |readout| <= 2 (or its time sum,
    for the summed loss): finite differences resolve ~1e-14 |L|, so L must not be huge.
    With ``variants`` the model options (:func:`draw_variants`: input gain, readout time
    constants, initial weights, every surrogate, the leaky neuron, the adaptive threshold) are
    drawn too, from a stream of their own.
    Returns ``(net, x, loss, target, spike, info)``.
    """
    fields, init_kw, sg_variant, c = draw_variants(seed) if variants else ({}, {}, None, 0.0)
    surrogate = surrogate or sg_variant
    rng = np.random.default_rng(seed)
    n_layers = int(rng.integers(1, max_layers + 1))
    sizes = ([int(rng.integers(2, max_neurons + 1))]
             + [int(rng.integers(2, max_neurons + 1)) for _ in range(n_layers)]
             + [int(rng.integers(2, 5))])
    reset = reset or RESETS[seed % 3]
    detach = bool(rng.integers(2)) if detach_reset is None else detach_reset
    sg = surrogate or DRAWN_SURROGATES[int(rng.integers(len(DRAWN_SURROGATES)))]
    alpha = rng.uniform(0.5, 0.95)
    p = LIFParams(alpha=0.0 if fields.get("neuron") == "leaky" else alpha,
                  beta=rng.uniform(0.6, 0.97), reset=reset, detach_reset=detach, **fields)
    rec = [bool(r) for r in rng.integers(0, 2, size=n_layers)]
    sg_spec = (sg, rng.uniform(2, 20))
    if sg == "hybrid":  # the spike itself as its derivative, the constant c below threshold
        sg_spec = (sg, 1.0, c)
    net = Network.init(sizes, p, recurrent=rec, surrogate=sg_spec, rng=rng,
                       gain=rng.uniform(3, 10), **init_kw)
    # an input needs 2 steps per layer (I then U) to reach the readout
    T = max(int(rng.integers(5, max_T + 1)), 2 * (n_layers + 1) + 4)
    B = int(rng.integers(1, 4))
    x = (rng.random((B, T, sizes[0])) < rng.uniform(0.05, 0.3)).astype(float)
    spike = spike or ("soft", "hard")[int(rng.integers(2))]
    for _ in range(12):  # a silent layer would make every check vacuous: scale its drive up
        tr = net.simulate(x, spike=spike)
        silent = [l for l in range(n_layers) if not is_active(net, tr, l)]
        if not silent:
            break
        for l in silent:  # (negative drive cannot be scaled into activity)
            net.W[l] = 1.3 * np.abs(net.W[l])
    else:  # still silent (or saturated past a narrow surrogate): a deterministic redraw
        return random_problem(seed + 1000, spike, reset, detach_reset, surrogate, max_layers,
                              max_neurons, max_T, variants)
    peak = np.abs(net.simulate(x, spike=spike).readout).max()
    if peak > 0:
        net.W[-1] *= 2.0 / peak
    kind = ("max", "sum", "mse")[int(rng.integers(3))]
    if kind == "max" and not unique_argmax(net.simulate(x, spike=spike).readout):
        # a tied maximum (e.g. a readout that stays at its initial 0) makes the max loss
        # non-differentiable at this very point: test the derivative where it exists
        kind = "sum"
    if kind == "mse":
        loss, target = losses.mse, rng.normal(size=(B, T, sizes[-1]))
    else:
        loss = losses.max_over_time_ce if kind == "max" else losses.sum_over_time_ce
        target = rng.integers(0, sizes[-1], size=B)
        if kind == "sum":
            net.W[-1] /= T
    info = dict(seed=seed, sizes=sizes, recurrent=rec, reset=reset, detach_reset=detach,
                surrogate=sg, subthreshold=net.surrogate.subthreshold, T=T, B=B, spike=spike, loss=kind, options=net.options(),
                init=init_kw.get("init", "normal"))
    return net, x, loss, target, spike, info


@pytest.fixture
def small_net():
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    return Network.init([4, 5, 3], p, recurrent=True, rng=0)


def fd_grad(loss, readout, target):
    """Finite differences of ``loss(readout, target)[0]`` with respect to ``readout``.

    The project's finite-difference oracle (as in ``gradcheck.check_network``): Ridders'
    extrapolation of central differences of the loss evaluated in extended precision
    (``numpy.longdouble``), with stencils kept on the smooth piece of the loss (``loss.pieces``:
    which step holds each maximum). Plain float64 central differences with a fixed step carry
    a cancellation error ``~eps64 |L| / h`` that is not below the 1e-6 contract for every
    entry on every machine (1.06e-6 was seen)."""
    r = readout.copy()
    pieces = getattr(loss, "pieces", None)

    def f():
        r_ext = r.astype(np.longdouble)
        value = loss(r_ext, target)[0]
        return value if pieces is None else (value, np.ravel(pieces(r_ext)))

    return numerical_gradient(f, r, eps=1e-2, method="ridders").reshape(r.shape)


class InProcess:
    """A stand-in for :class:`refsnn.exercises.sandbox.Sandbox` that imports the (trusted,
    test-written) file in this process and calls the function on copies of the arguments,
    answering with the same :class:`Outcome` records."""

    def __init__(self, path, function, timeout=None, budget=None):
        module_spec = importlib.util.spec_from_file_location("submission", path)
        self.module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(self.module)
        self.fn = getattr(self.module, function, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

    def load(self):
        params = None if self.fn is None else list(inspect.signature(self.fn).parameters)
        return Outcome("ok", info={"parameters": params})

    def call(self, *args):
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            value = self.fn(*args)
        except NotImplementedError:
            return Outcome("not_implemented")
        except Exception as exc:  # noqa: BLE001 -- reported like the child reports it
            return Outcome("raised", message=f"{type(exc).__name__}: {exc}")
        items = value if isinstance(value, tuple) else (value,)
        values = [v.copy() if isinstance(v, np.ndarray) else None if v is None
                  else Other(type(v).__name__) for v in items]
        return Outcome("ok", values=values, info={"tuple": isinstance(value, tuple)})

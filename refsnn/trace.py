"""What a forward pass records and what a gradient method returns, and their checks.

* :class:`Trace` -- the recorded forward pass of a :class:`refsnn.Network` (``I, U, S`` per
  hidden layer, the readout), the input every gradient method reads;
* :class:`Grads` -- a gradient mirroring a network's weights (``W[l]``, ``V[l]``);
* :func:`check_trace`, :func:`check_readout_grad`, :func:`check_spike_grads` -- what every
  gradient method checks before its kernels read a trace, ``dL/dU_o`` and ``dL/dS`` without
  bounds checks.

Read next: refsnn/events.py, how a sparse input is read (then refsnn/losses.py, what is
computed from trace.readout).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import events as ev


@dataclass
class Trace:
    """What a forward pass records (docs/design.md §3: index ``n`` holds the value at step ``n``).

    A trace recorded by :meth:`refsnn.Network.simulate` shares no memory with the caller's
    arrays: a later change to the input or to the weights cannot change a gradient computed
    from it, and :func:`check_trace` refuses the trace for weights changed since.

    Attributes
    ----------
    x : ndarray (B, T, N_0)
        The input spikes ``S^(0)`` (the trace's own array). It may be given as None together with
        ``x_events``: it is then built from the event list when first read (a sparse input is
        stored only as its events, which is all BPTT reads).
    I, U, S : list of ndarray (B, T, N_l)
        Synaptic current, membrane potential and spikes of each hidden layer ``l = 1..L``, and
        of the output layer if it spikes (``Network(..., output="spiking")``).
    readout_I : ndarray (B, T, N_out)
        Readout synaptic current ``I_o``.
    readout : ndarray (B, T, N_out)
        Readout membrane ``U_o`` (what the membrane losses see); for a spiking output layer its
        membrane ``U[-1]`` (``readout_I`` is then ``I[-1]``).
    spike : str
        The spike mode of the forward (``"hard"`` or ``"soft"``).
    x_events : Events or None
        The event list of ``x`` (:mod:`refsnn.events`) when the forward used it (sparse input);
        BPTT then accumulates ``dL/dW^(1)`` over the same events.
    W, V : list of ndarray, or None
        Copies of the network's ``W`` and ``V`` when the forward ran (None entries in ``V``
        where a layer has no recurrence). None for a trace built by hand: the weights are then
        not checked.
    b : list of ndarray (B, T, N_l), or None
        The adaptive threshold's ``b[n]`` of each spiking layer (``theta[n] = theta_0 + b[n]``,
        :mod:`refsnn.lif`) if the network's threshold adapts, else None.
    """

    x: np.ndarray
    I: list
    U: list
    S: list
    readout_I: np.ndarray
    readout: np.ndarray
    spike: str = "hard"
    x_events: ev.Events | None = None
    W: list | None = None
    V: list | None = None
    b: list | None = None

    @property
    def spikes(self):
        """Alias for ``S``: the hidden spike trains, one ``(B, T, N_l)`` array per layer."""
        return self.S

    def _input(self):
        """``(shape, dtype)`` of ``x`` without building it from the events."""
        if self._x is None and self.x_events is not None:
            return tuple(self.x_events.shape), self.x_events.val.dtype
        x = np.asarray(self._x)
        return x.shape, x.dtype


def _get_x(trace):
    if trace._x is None and trace.x_events is not None:
        trace._x = ev.to_dense(trace.x_events, dtype=trace.x_events.val.dtype)
    return trace._x


def _set_x(trace, value):
    trace._x = value


# ``Trace.x`` is a field of the dataclass (its constructor takes ``x``) stored in ``_x``, so that
# a sparse input can stay an event list until someone reads ``trace.x``.
Trace.x = property(_get_x, _set_x, doc="The input spikes ``S^(0)``, ``(B, T, N_0)``.")


@dataclass
class Grads:
    """Gradients mirroring a network: ``W[l]`` like ``net.W[l]``, ``V[l]`` like ``net.V[l]``."""

    W: list
    V: list

    def parameters(self):
        """``[(name, array), ...]`` in the order of :meth:`refsnn.Network.parameters`."""
        out = [(f"W[{l}]", w) for l, w in enumerate(self.W)]
        out += [(f"V[{l}]", v) for l, v in enumerate(self.V) if v is not None]
        return out


def check_trace(net, trace):
    """Raise ValueError unless ``trace`` has every array a network of ``net``'s shape records.

    The kernels read ``x, I, U, S, readout_I, readout`` without bounds checks, so each shape is
    checked here, before any kernel runs; and the weights must be those the trace was recorded
    with (``trace.W``, ``trace.V``), else the ValueError names the changed weight.
    """
    if not isinstance(trace, Trace):
        raise TypeError(f"trace must be a Trace (net.simulate(x)), got {type(trace).__name__}")
    net.check_weights()
    x_shape, x_dtype = trace._input()
    if len(x_shape) != 3 or x_shape[2] != net.sizes[0]:
        raise ValueError(f"trace.x has shape {x_shape}, expected (batch, time, {net.sizes[0]})")
    B, T, _ = x_shape
    for name in ("I", "U", "S"):
        arrs = getattr(trace, name)
        if len(arrs) != net.n_spiking_layers:
            raise ValueError(f"trace.{name} has {len(arrs)} spiking layers, network has "
                             f"{net.n_spiking_layers}")
        for l, a in enumerate(arrs):
            if np.shape(a) != (B, T, net.sizes[l + 1]):
                raise ValueError(f"trace.{name}[{l}] has shape {np.shape(a)}, expected "
                                 f"{(B, T, net.sizes[l + 1])}")
    if x_dtype != net.dtype:
        raise ValueError(f"trace.x is {x_dtype}, the network is {np.dtype(net.dtype).name}: "
                         "simulate with this network")
    _check_threshold_record(net, trace, (B, T))
    for name in ("readout_I", "readout", "I", "U", "S"):
        arrs = getattr(trace, name)
        for a in arrs if isinstance(arrs, list) else [arrs]:
            if np.asarray(a).dtype != net.dtype:
                raise ValueError(f"trace.{name} is {np.asarray(a).dtype}, the network is "
                                 f"{np.dtype(net.dtype).name}: simulate with this network")
    for name in ("readout_I", "readout"):
        if np.shape(getattr(trace, name)) != (B, T, net.sizes[-1]):
            raise ValueError(f"trace.{name} has shape {np.shape(getattr(trace, name))}, "
                             f"expected {(B, T, net.sizes[-1])}")
    if trace.spike not in ("hard", "soft"):
        raise ValueError(f"trace.spike must be 'hard' or 'soft', got {trace.spike!r}")
    e = trace.x_events
    if e is not None and (tuple(e.shape) != x_shape or e.ptr.shape != (B * T + 1,)
                          or e.ptr[0] != 0 or e.ptr[-1] != e.idx.size
                          or e.idx.size != e.val.size or np.any(np.diff(e.ptr) < 0)
                          or (e.idx.size and not 0 <= e.idx.min() <= e.idx.max() < x_shape[2])):
        # the kernels index with these without bounds checks
        raise ValueError("trace.x_events does not describe trace.x")
    _check_weights_unchanged(net, trace)


def _check_threshold_record(net, trace, BT):
    """``trace.b``: one ``(B, T, N_l)`` array of the network's dtype per spiking layer if the
    network's threshold adapts, else None (a trace of another neuron model is refused)."""
    if not net.params.adaptive:
        if trace.b is not None:
            raise ValueError("trace.b is set but the network's threshold does not adapt: "
                             "simulate with this network")
        return
    if not isinstance(trace.b, list) or len(trace.b) != len(trace.U):
        raise ValueError("trace.b must hold the adaptive threshold of every spiking layer "
                         "(the network's threshold adapts): simulate with this network")
    for l, a in enumerate(trace.b):
        if np.shape(a) != BT + (net.sizes[l + 1],) or np.asarray(a).dtype != net.dtype:
            raise ValueError(f"trace.b[{l}] must be {np.dtype(net.dtype).name} of shape "
                             f"{BT + (net.sizes[l + 1],)}")


def _check_weights_unchanged(net, trace):
    """ValueError naming the first weight of ``net`` that differs from the trace's copy."""
    for name, now, then in (("W", net.W, trace.W), ("V", net.V, trace.V)):
        if then is None:
            continue  # a trace built by hand records no weights
        if len(then) != len(now):
            raise ValueError(f"trace.{name} has {len(then)} entries, net.{name} {len(now)}")
        for l, (a, b) in enumerate(zip(now, then)):
            if (a is None) != (b is None) or (a is not None and not np.array_equal(a, b)):
                raise ValueError(f"net.{name}[{l}] has changed since the trace was recorded: "
                                 f"simulate again (a gradient from this trace would mix two "
                                 f"networks)")


def check_readout_grad(d_readout, trace, name="d_readout"):
    """Return ``d_readout`` with ``trace.readout``'s shape and dtype, finite, or raise."""
    d = np.asarray(d_readout)
    if d.shape != trace.readout.shape:
        raise ValueError(f"{name} must have the readout's shape {trace.readout.shape}, "
                         f"got {d.shape}")
    d = np.ascontiguousarray(d, dtype=trace.readout.dtype)
    if not np.all(np.isfinite(d)):
        raise ValueError(f"{name} contains NaN or inf")
    return d


def check_spike_grads(gS_ext, trace, name="gS_ext"):
    """``{layer: dL/dS}`` with each layer index in ``range(len(trace.S))`` (negative ones counted
    from the end) and each array of ``trace.S[layer]``'s shape and dtype, finite; or raise.

    None or ``{}`` give ``{}``. A layer named twice (``-1`` and its positive index) is refused.
    The arrays are copied: a later change to the caller's array changes nothing.
    """
    if gS_ext is None:
        return {}
    if not isinstance(gS_ext, dict):
        raise TypeError(f"{name} must be a dict {{layer: dL/dS}}, got {type(gS_ext).__name__}")
    L = len(trace.S)
    out = {}
    for key, g in gS_ext.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise TypeError(f"{name} keys must be layer indices (int), got {key!r}")
        if not -L <= key < L:
            raise ValueError(f"{name} has layer {key}, the trace has {L} spiking layers "
                             f"(indices 0..{L - 1} or -{L}..-1)")
        l = int(key) % L
        if l in out:
            raise ValueError(f"{name} names spiking layer {l} twice")
        shape = trace.S[l].shape
        a = np.asarray(g)
        if a.shape != shape:
            raise ValueError(f"{name}[{key}] must have the shape of trace.S[{l}], {shape}, "
                             f"got {a.shape}")
        if not (np.issubdtype(a.dtype, np.floating) or np.issubdtype(a.dtype, np.integer)):
            raise TypeError(f"{name}[{key}] must be a real array, got dtype {a.dtype}")
        a = np.array(a, dtype=trace.S[l].dtype, order="C")
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}[{key}] contains NaN or inf")
        out[l] = a
    return out

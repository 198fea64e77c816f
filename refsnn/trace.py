"""What a forward pass records and what a gradient method returns, and their checks.

* :class:`Trace` -- the recorded forward pass of a :class:`refsnn.Network` (``I, U, S`` per
  hidden layer, the readout), the input every gradient method reads;
* :class:`Grads` -- a gradient mirroring a network's weights (``W[l]``, ``V[l]``);
* :func:`check_trace`, :func:`check_readout_grad` -- what every gradient method checks before
  its kernels read a trace and ``dL/dU_o`` without bounds checks.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import events as ev


@dataclass
class Trace:
    """What a forward pass records (DESIGN §3: index ``n`` holds the value at step ``n``).

    Attributes
    ----------
    x : ndarray (B, T, N_0)
        The input spikes ``S^(0)``.
    I, U, S : list of ndarray (B, T, N_l)
        Synaptic current, membrane potential and spikes of each hidden layer ``l = 1..L``.
    readout_I : ndarray (B, T, N_out)
        Readout synaptic current ``I_o``.
    readout : ndarray (B, T, N_out)
        Readout membrane ``U_o`` (what the losses see).
    spike : str
        The spike mode of the forward (``"hard"`` or ``"soft"``).
    x_events : Events or None
        The event list of ``x`` (:mod:`refsnn.events`) when the forward used it (sparse input);
        BPTT then accumulates ``dL/dW^(1)`` over the same events.
    """

    x: np.ndarray
    I: list
    U: list
    S: list
    readout_I: np.ndarray
    readout: np.ndarray
    spike: str = "hard"
    x_events: ev.Events | None = None

    @property
    def spikes(self):
        """Alias for ``S``: the hidden spike trains, one ``(B, T, N_l)`` array per layer."""
        return self.S


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
    checked here, before any kernel runs.
    """
    net.check_weights()
    x = np.asarray(trace.x)
    if x.ndim != 3 or x.shape[2] != net.sizes[0]:
        raise ValueError(f"trace.x has shape {x.shape}, expected (batch, time, {net.sizes[0]})")
    B, T, _ = x.shape
    for name in ("I", "U", "S"):
        arrs = getattr(trace, name)
        if len(arrs) != net.n_hidden_layers:
            raise ValueError(f"trace.{name} has {len(arrs)} hidden layers, network has "
                             f"{net.n_hidden_layers}")
        for l, a in enumerate(arrs):
            if np.shape(a) != (B, T, net.sizes[l + 1]):
                raise ValueError(f"trace.{name}[{l}] has shape {np.shape(a)}, expected "
                                 f"{(B, T, net.sizes[l + 1])}")
    for name in ("x", "readout_I", "readout", "I", "U", "S"):
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
    if e is not None and (tuple(e.shape) != x.shape or e.ptr.shape != (B * T + 1,)
                          or e.ptr[0] != 0 or e.ptr[-1] != e.idx.size
                          or e.idx.size != e.val.size or np.any(np.diff(e.ptr) < 0)
                          or (e.idx.size and not 0 <= e.idx.min() <= e.idx.max() < x.shape[2])):
        # the kernels index with these without bounds checks
        raise ValueError("trace.x_events does not describe trace.x")


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

r"""One objective from a loss and activity regularisers: what a trace is scored by.

.. math::

    L = \ell(\text{what the loss reads}, \text{target}) + \sum_r g_r(S^{(l_r)})

The loss reads the readout membrane (``reads="readout"``: the losses of
:mod:`refsnn.losses.membrane`, or a spiking output layer's membrane) or the output spikes
(``reads="spikes"``: ``trace.S[-1]`` of a ``Network(..., output="spiking")``,
:mod:`refsnn.losses.spikes` and :mod:`refsnn.losses.latency`). Each regulariser acts on the
spikes of one spiking layer. Calling the objective on a trace gives the value and the two
kinds of gradient BPTT takes::

    value, d_readout, gS_ext = objective(trace, labels)
    grads = bptt(net, trace, d_readout, gS_ext=gS_ext)

:func:`refsnn.train`, :func:`refsnn.evaluate` and :func:`refsnn.gradcheck.check_network`
accept an ``Objective`` wherever they accept a loss.

Read next: refsnn/grad/bptt.py, which turns these gradients into weight gradients.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

READS = ("readout", "spikes")


@dataclass(frozen=True)
class Objective:
    """A loss on the readout or the output spikes plus regularisers on spiking layers.

    Parameters
    ----------
    loss : callable (array (B, T, K), target) -> (value, gradient)
        E.g. :func:`refsnn.losses.max_over_time_ce` (``reads="readout"``) or
        :func:`refsnn.losses.count_ce` (``reads="spikes"``).
    reads : {"readout", "spikes"}
        ``trace.readout``, or ``trace.S[-1]`` (the last spiking layer: the output layer of a
        network with ``output="spiking"``).
    regularisers : sequence of (layer, function, kwargs)
        ``function(S, **kwargs) -> (value, dS)`` on ``trace.S[layer]`` (negative layers count
        from the end), e.g. ``(0, losses.upper_bound, {"lam": 0.06, "v_upper": 1.0})``.
    predict : callable, optional
        What the loss reads -> predicted labels ``(B,)``; default the loss's own ``predict``
        attribute (each loss of :mod:`refsnn.losses` has one).
    """

    loss: object
    reads: str = "readout"
    regularisers: tuple = field(default=())
    predict: object = None

    def __post_init__(self):
        if not callable(self.loss):
            raise TypeError(f"loss must be a callable (array, target) -> (value, gradient), "
                            f"got {type(self.loss).__name__}")
        if not isinstance(self.reads, str) or self.reads not in READS:
            raise ValueError(f"reads must be one of {READS}, got {self.reads!r}")
        regs = []
        for k, r in enumerate(self.regularisers):
            if not (isinstance(r, (tuple, list)) and len(r) in (2, 3)):
                raise TypeError(f"regularisers[{k}] must be (layer, function[, kwargs]), got "
                                f"{r!r}")
            layer, fn, kwargs = (tuple(r) + ({},))[:3]
            if isinstance(layer, bool) or not isinstance(layer, (int, np.integer)):
                raise TypeError(f"regularisers[{k}]: the layer must be an int, got {layer!r}")
            if not callable(fn) or not isinstance(kwargs, dict):
                raise TypeError(f"regularisers[{k}] must be (layer, callable, dict)")
            regs.append((int(layer), fn, dict(kwargs)))
        object.__setattr__(self, "regularisers", tuple(regs))
        predict = self.predict if self.predict is not None else getattr(self.loss, "predict",
                                                                          None)
        if predict is None or not callable(predict):
            raise TypeError("predict must be a callable (the loss has no predict attribute)")
        object.__setattr__(self, "predict", predict)

    def read(self, trace):
        """What the loss reads from ``trace``: ``trace.readout`` or ``trace.S[-1]``."""
        return trace.readout if self.reads == "readout" else trace.S[-1]

    def __call__(self, trace, target):
        """``(value, d_readout or None, gS_ext)`` of the objective on ``trace``."""
        L = len(trace.S)
        gS = {}
        if self.reads == "readout":
            value, d_readout = self.loss(trace.readout, target)
        else:
            if L == 0:
                raise ValueError("reads='spikes' needs a trace with a spiking layer")
            value, dS = self.loss(trace.S[-1], target)
            d_readout, gS[L - 1] = None, dS
        for layer, fn, kwargs in self.regularisers:
            if not -L <= layer < L:
                raise ValueError(f"a regulariser acts on layer {layer}, the trace has {L} "
                                 "spiking layers")
            v, dS = fn(trace.S[layer], **kwargs)
            value = value + v
            l = layer % L
            gS[l] = gS[l] + dS if l in gS else dS
        return value, d_readout, gS

    def pieces(self, trace):
        """Which smooth piece the objective lies on (for the finite-difference oracle)."""
        out = []
        loss_pieces = getattr(self.loss, "pieces", None)
        if loss_pieces is not None:
            out.append(np.ravel(loss_pieces(self.read(trace))))
        for layer, fn, kwargs in self.regularisers:
            fp = getattr(fn, "pieces", None)
            if fp is not None:
                out.append(np.ravel(fp(trace.S[layer], **kwargs)))
        return np.concatenate(out) if out else np.zeros(0)

"""The small networks an exercise is graded on, and the groups their failures fall into.

Each :class:`Net` is tiny (every weight entry is checked) and is chosen so that a typical
mistake breaks a recognisable set of them: thresholds other than 1 catch a hard-coded
``theta``, surrogates other than SuperSpike catch a hand-written ``F'``, ``alpha`` far from
``beta`` catches swapped leaks, batches of two and three different samples catch a batch mean,
and the resets, ``detach_reset``, ``V`` and a second hidden layer each have networks of their
own. :data:`GROUPS` names those sets; :func:`pattern` finds the smallest one that holds every
failing network.

Read next: refsnn/exercises/rtrl_step.py, the second exercise's spec.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import losses
from ..lif import LIFParams
from ..network import Network


@dataclass(frozen=True)
class Net:
    """One grading network: the model, its size and the seeded data (``B`` samples, ``T`` steps)."""

    spike: str
    reset: str
    detach: bool
    recurrent: bool
    surrogate: tuple = ("superspike", 5.0)
    threshold: float = 1.0
    alpha: float = 0.8
    beta: float = 0.9
    sizes: tuple = (3, 4, 2)
    B: int = 2
    T: int = 15
    seed: int = 3
    gain: float = 12.0

    @property
    def layers(self) -> int:
        return len(self.sizes) - 2

    def describe(self) -> str:
        """The network's row label in the grading table."""
        reset = self.reset + (" detached" if self.detach and self.reset != "none" else "")
        return (f"{'-'.join(map(str, self.sizes)):<10}{'V' if self.recurrent else '-':<3}"
                f"{self.spike:<6}{reset:<18}{self.surrogate[0]:<17}{self.threshold:<6g}"
                f"{self.alpha:g}/{self.beta:<6g}{self.B:<3}")

    def summary(self) -> str:
        return (f"sizes {'-'.join(map(str, self.sizes))}, {'with' if self.recurrent else 'no'} "
                f"V, {self.spike} spikes, reset={self.reset}, detach_reset={self.detach}, "
                f"{self.surrogate[0]} surrogate, threshold {self.threshold:g}, alpha "
                f"{self.alpha:g}, beta {self.beta:g}, batch {self.B}")

    def problem(self):
        """``(net, x, target)``: the network rescaled so that ``max |U_o| = 1`` on ``x`` (the
        loss is :func:`refsnn.losses.mse` against the random trace ``target``)."""
        p = LIFParams(alpha=self.alpha, beta=self.beta, threshold=self.threshold,
                      reset=self.reset, detach_reset=self.detach)
        net = Network.init(list(self.sizes), p, recurrent=self.recurrent,
                           surrogate=self.surrogate, rng=self.seed, gain=self.gain)
        rng = np.random.default_rng(self.seed + 1)
        rates = 0.2 + 0.2 * rng.random((self.B, 1, self.sizes[0]))  # unequal samples
        x = (rng.random((self.B, self.T, self.sizes[0])) < rates).astype(float)
        readout = net.simulate(x, spike=self.spike).readout
        if not np.abs(readout).max() > 0:
            raise ValueError(f"grading network {self.summary()} has a silent readout")
        net.W[-1] *= 1.0 / np.abs(readout).max()
        return net, x, rng.normal(size=readout.shape)

    def loss_gradient(self, net, x, target):
        """``(trace, dL/dU_o)`` of the network's MSE loss."""
        trace = net.simulate(x, spike=self.spike)
        return trace, losses.mse(trace.readout, target)[1]


#: ``(name, predicate)`` of every group of grading networks, most specific first
GROUPS = (
    ("fails only for the two-layer network", lambda c: c.layers == 2),
    ("fails only for thresholds other than 1", lambda c: c.threshold != 1.0),
    ("fails only for reset=subtract with detach_reset=False",
     lambda c: c.reset == "subtract" and not c.detach),
    ("fails only for reset=zero with detach_reset=False",
     lambda c: c.reset == "zero" and not c.detach),
    ("fails only for detach_reset=True", lambda c: c.detach and c.reset != "none"),
    ("fails only for reset=zero", lambda c: c.reset == "zero"),
    ("fails only for reset=subtract/zero with detach_reset=False",
     lambda c: c.reset != "none" and not c.detach),
    ("fails only for the soft model", lambda c: c.spike == "soft"),
    ("fails only for hard spikes", lambda c: c.spike == "hard"),
    ("fails only for surrogates other than SuperSpike", lambda c: c.surrogate[0] != "superspike"),
    ("fails only for recurrent networks (with V)", lambda c: c.recurrent),
    ("fails across every kind of network", lambda c: True),
)


def pattern(nets, failing, groups=GROUPS):
    """``(name, n_members)`` of the smallest group of ``groups`` holding every failing network.

    ``failing`` is a collection of indices into ``nets``. The all-networks group is named
    "fails for every network" only when every network fails.
    """
    bad = [nets[i] for i in failing]
    size, name = min(((sum(map(pred, nets)), name) for name, pred in groups
                      if all(map(pred, bad))), key=lambda t: t[0])
    if len(bad) == len(nets):
        return "fails for every network", size
    return name, size

"""The parameters of a LIF population, ``LIFParams``, and their options (docs/design.md §3-4).

The equations are in :mod:`refsnn.lif` (its module docstring): the tutorial's Eqs. 7-8 by
default, and as options the input gain ``1 - beta`` (Zenke & Vogels 2021, Eq. 4.1), the
single-state leaky neuron ("lessons from deep learning" Eq. 4, snnTorch's ``Leaky``) and the
adaptive threshold ("lessons" Appendix C.3, Eqs. 51-52). Every field is checked when the
dataclass is built, so a kernel never sees a bad value.

Read next: refsnn/lif.py, the kernels that read these fields through a ``Neuron`` record.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from .checks import check_bool, check_real, check_unit_interval

RESETS = ("subtract", "zero", "none")
RESET_SUBTRACT, RESET_ZERO, RESET_NONE = range(3)

#: the factor ``g`` of ``I[n]`` in the membrane update: 1 (tutorial Eq. 8) or ``1 - beta``
#: (Zenke & Vogels 2021, Eq. 4.1)
INPUT_GAINS = ("one", "1-beta")

#: the neuron model: current-based with synaptic memory (tutorial Eqs. 7-8), or the
#: single-state leaky neuron of "lessons from deep learning" Eq. 4 (snnTorch's ``Leaky``)
NEURONS = ("synaptic", "leaky")

@dataclass(frozen=True)
class LIFParams:
    r"""Parameters of a LIF population (docs/design.md §3).

    Parameters
    ----------
    alpha : float
        Synaptic decay per step, ``alpha = exp(-dt / tau_syn)``, in (0, 1); 0 for
        ``neuron="leaky"``, which has no synaptic current.
    beta : float
        Membrane decay per step, ``beta = exp(-dt / tau_mem)``, in (0, 1).
    threshold : float
        Firing threshold ``theta`` (> 0); default 1 as in the tutorial.
    reset : {"subtract", "zero", "none"}
        How a spike resets the membrane (see module docstring).
    detach_reset : bool
        If True, the reset term carries no gradient (SpyTorch/snnTorch practice); if False,
        gradients follow the exact chain rule through the reset.
    input_gain : {"one", "1-beta"}
        The factor ``g`` of the current in the membrane update ``U[n+1] = beta U[n] + g I[n]
        ...``: ``g = 1`` as in the tutorial's Eq. 8 (default), or ``g = 1 - beta`` as in
        Zenke & Vogels' Eq. 4.1 (and their readout, §4.2.2, with the readout's own ``beta``).
    neuron : {"synaptic", "leaky"}
        The two-state neuron of the tutorial (default) or the single-state leaky neuron of
        "lessons from deep learning" Eq. 4 (module docstring; needs ``alpha = 0``). The readout
        follows: without spikes and reset, the same model.
    threshold_decay : float in (0, 1), optional
        ``alpha_b`` of the adaptive threshold ("lessons" Appendix C.3, Eqs. 51-52); None (the
        default) for a fixed threshold.
    threshold_jump : float >= 0, optional
        The threshold's jump ``q`` per spike, default ``1 - threshold_decay`` (Eq. 52; the
        paper notes the two can be decoupled).
    """

    alpha: float
    beta: float
    threshold: float = 1.0
    reset: str = "subtract"
    detach_reset: bool = False
    input_gain: str = "one"
    neuron: str = "synaptic"
    threshold_decay: float | None = None
    threshold_jump: float | None = None

    def __post_init__(self):
        if not isinstance(self.neuron, str) or self.neuron not in NEURONS:
            raise ValueError(f"neuron must be one of {NEURONS}, got {self.neuron!r}")
        if self.neuron == "leaky":
            if check_real("alpha", self.alpha) != 0.0:
                raise ValueError(f"alpha must be 0 for neuron='leaky' (it has no synaptic "
                                 f"current), got {self.alpha}")
            object.__setattr__(self, "alpha", 0.0)
        else:
            object.__setattr__(self, "alpha", check_unit_interval("alpha", self.alpha))
        object.__setattr__(self, "beta", check_unit_interval("beta", self.beta))
        object.__setattr__(self, "threshold",
                           check_real("threshold", self.threshold, 0.0, low_open=True))
        if not isinstance(self.reset, str) or self.reset not in RESETS:
            raise ValueError(f"reset must be one of {RESETS}, got {self.reset!r}")
        object.__setattr__(self, "detach_reset", check_bool("detach_reset", self.detach_reset))
        if not isinstance(self.input_gain, str) or self.input_gain not in INPUT_GAINS:
            raise ValueError(f"input_gain must be one of {INPUT_GAINS}, got {self.input_gain!r}")
        if self.threshold_decay is not None:
            object.__setattr__(self, "threshold_decay",
                               check_unit_interval("threshold_decay", self.threshold_decay))
        if self.threshold_jump is not None:
            if self.threshold_decay is None:
                raise ValueError("threshold_jump needs threshold_decay (the adaptive threshold)")
            object.__setattr__(self, "threshold_jump",
                               check_real("threshold_jump", self.threshold_jump, 0.0))

    @classmethod
    def from_taus(cls, dt, tau_syn, tau_mem, **kwargs):
        """Build from time constants: ``alpha = exp(-dt/tau_syn)``, ``beta = exp(-dt/tau_mem)``.

        ``tau_syn=None`` with ``neuron="leaky"``: ``alpha = 0`` (no synaptic current).

        ``dt``, ``tau_syn`` and ``tau_mem`` are in the same unit (e.g. seconds) and must be > 0,
        and each decay must be representable in (0, 1): a time constant so large against
        ``dt`` that ``exp(-dt/tau)`` rounds to 1, or so small that it underflows to 0, is
        refused, naming the time constant. Other keyword arguments (``threshold``, ``reset``,
        ``detach_reset``) pass through.
        """
        dt = check_real("dt", dt, 0.0, low_open=True)
        decays = {"tau_syn": 0.0}
        leaky = kwargs.get("neuron") == "leaky" and tau_syn is None
        pairs = [("tau_mem", tau_mem)] if leaky else [("tau_syn", tau_syn), ("tau_mem", tau_mem)]
        for name, tau in pairs:
            tau = check_real(name, tau, 0.0, low_open=True)
            decay = float(np.exp(-dt / tau))
            if decay >= 1.0:
                raise ValueError(f"{name} = {tau:g} is too large for dt = {dt:g}: "
                                 f"exp(-dt/{name}) rounds to 1 (no decay)")
            if decay <= 0.0:
                raise ValueError(f"{name} = {tau:g} is too small for dt = {dt:g}: "
                                 f"exp(-dt/{name}) underflows to 0")
            decays[name] = decay
        return cls(alpha=decays["tau_syn"], beta=decays["tau_mem"], **kwargs)

    def replace(self, **changes) -> "LIFParams":
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    @property
    def reset_code(self) -> int:
        """Integer code of ``reset`` for the kernels."""
        return RESETS.index(self.reset)

    @property
    def gain(self) -> float:
        """The input gain ``g``: 1.0, or ``1 - beta`` for ``input_gain="1-beta"``."""
        return 1.0 if self.input_gain == "one" else 1.0 - self.beta

    @property
    def adaptive(self) -> bool:
        """Whether the threshold adapts (``threshold_decay`` is given)."""
        return self.threshold_decay is not None

    @property
    def jump(self) -> float:
        """The adaptive threshold's jump ``q``: ``threshold_jump``, else ``1 - threshold_decay``
        (0 for a fixed threshold)."""
        if not self.adaptive:
            return 0.0
        return 1.0 - self.threshold_decay if self.threshold_jump is None else self.threshold_jump


def readout_params(params, readout_alpha=None, readout_beta=None, output="readout"):
    """``params`` with the readout's own ``alpha, beta`` where given (checked, named; only for
    the non-spiking readout, ``output="readout"``, and no ``readout_alpha`` for the leaky
    neuron, whose readout has no synaptic current either)."""
    changes = {k: check_unit_interval(name, v) for k, name, v in
               (("alpha", "readout_alpha", readout_alpha), ("beta", "readout_beta", readout_beta))
               if v is not None}
    if changes and output != "readout":
        raise ValueError("readout_alpha and readout_beta belong to the non-spiking readout; a "
                         "spiking output layer (output='spiking') has the hidden layers' params")
    if "alpha" in changes and params.neuron == "leaky":
        raise ValueError("readout_alpha: the readout of a leaky network (neuron='leaky') has "
                         "no synaptic current (alpha = 0)")
    return params.replace(**changes) if changes else params


def model_options(params, readout):
    """``{name: value}`` of the options of ``params`` (and of the readout's ``LIFParams``
    ``readout``) set away from the tutorial's model: what a gradient method derived for that
    model alone refuses (:meth:`refsnn.network.Network.require_options`)."""
    out = {k: getattr(params, k) for k, default in (("input_gain", "one"), ("neuron", "synaptic"),
                                                    ("threshold_decay", None),
                                                    ("threshold_jump", None))
           if getattr(params, k) != default}
    for k in ("alpha", "beta"):
        if getattr(readout, k) != getattr(params, k):
            out[f"readout_{k}"] = getattr(readout, k)
    return out


def refuse_options(options, method, supported=()):
    """ValueError naming every option of ``options`` (:func:`model_options`) that ``method``
    does not support (``supported``: the names it does), before anything runs."""
    bad = {k: v for k, v in options.items() if k not in supported}
    if bad:
        listed = ", ".join(f"{k}={v!r}" for k, v in bad.items())
        raise ValueError(f"{method} does not support the model option(s) {listed}: it "
                         f"implements the tutorial's LIF model (docs/design.md §4) only")

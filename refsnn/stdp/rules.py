r"""The two STDP rules as small immutable records: :class:`PairSTDP` and :class:`TripletSTDP`.

Both are trace rules. Each presynaptic neuron ``j`` keeps traces that jump at its spikes and
decay exponentially in between; so does each postsynaptic neuron ``i``. A postsynaptic spike
potentiates ``W_ij`` by an amount read from the presynaptic traces, a presynaptic spike
depresses it by an amount read from the postsynaptic traces (Morrison, Diesmann & Gerstner
2008; Pfister & Gerstner 2006). Time ``delta_t = t_post - t_pre``
throughout: positive for pre-before-post. ("Lessons from deep learning", Appendix C.2, Eq. 49,
defines the opposite sign, ``t_pre - t_post``.)

**Pair rule** (Song, Miller & Abbott 2000, in the trace form of Morrison et al. 2008), with
a presynaptic trace ``x_j`` (time constant ``tau_plus``) and a postsynaptic trace ``y_i``
(``tau_minus``):

.. math::

    \text{post spike of } i:\quad W_{ij} &\leftarrow W_{ij} + A_+\, x_j\, f_+(W_{ij})\\
    \text{pre spike of } j:\quad  W_{ij} &\leftarrow W_{ij} - A_-\, y_i\, f_-(W_{ij})

An isolated pair therefore changes the weight by the window of "lessons from deep learning"
Eq. 50, ``A_+ exp(-delta_t/tau_plus)`` for ``delta_t > 0`` and ``-A_- exp(delta_t/tau_minus)``
for ``delta_t < 0`` (the printed Eq. 50 lacks the minus sign of the depression branch:
docs/errata.md).

**Triplet rule** (Pfister & Gerstner 2006, the weight updates of their Eqs. 3-4, as E. Muller's
NineML implementation of the rule cites them; the paper is not in ../shared/papers): two
presynaptic traces ``r1`` (``tau_plus``), ``r2`` (``tau_x``) and two postsynaptic traces
``o1`` (``tau_minus``), ``o2`` (``tau_y``):

.. math::

    \text{post spike of } i:\quad W_{ij} &\leftarrow W_{ij}
        + r_{1,j}\,(A_2^+ + A_3^+\, o_{2,i}(t^-))\, f_+(W_{ij})\\
    \text{pre spike of } j:\quad  W_{ij} &\leftarrow W_{ij}
        - o_{1,i}\,(A_2^- + A_3^-\, r_{2,j}(t^-))\, f_-(W_{ij})

``o2(t^-)``, ``r2(t^-)``: the slow traces just before the spike, without its own jump. With
``A3+ = A3- = 0`` it is the pair rule with ``A_+ = A2+``, ``A_- = A2-``.

**Pairing** (Morrison et al. 2008): ``"all-to-all"``, a spike adds 1 to its traces
(every earlier spike of the other side counts); ``"nearest-spike"``, a spike sets its traces to
1 (only the most recent spike counts: Pfister & Gerstner's nearest-spike model, Morrison et
al.'s symmetric nearest-neighbour scheme).

**Weight dependence with hard bounds** ``[w_min, w_max]``: ``"additive"``, ``f_+ = f_- = 1``
(Song et al. 2000); ``"multiplicative"``, ``f_+(w) = (w_max - w)/(w_max - w_min)``,
``f_-(w) = (w - w_min)/(w_max - w_min)`` (Rubin, Lee & Sompolinsky 2001; Guetig et al. 2003
with ``mu = 1`` on the weight normalised to [0, 1], so that ``A`` keeps the units of ``W``). Every
update is clipped to ``[w_min, w_max]``; the additive rule may take ``w_min = -inf`` and
``w_max = inf`` (no bound).

Read next: refsnn/stdp/kernels.py, the Numba kernels that apply these updates.
"""
from __future__ import annotations

from collections import namedtuple
from dataclasses import dataclass, replace

import numpy as np

from ..checks import check_real

PAIRINGS = ("all-to-all", "nearest-spike")
WEIGHT_DEPENDENCES = ("additive", "multiplicative")


def check_choice(name, value, options):
    """``value`` if it is one of the strings ``options``; ValueError naming ``name`` else."""
    if not isinstance(value, str) or value not in options:
        raise ValueError(f"{name} must be one of {options}, got {value!r}")
    return value


def _bounds(w_min, w_max, weight_dependence):
    """``(w_min, w_max)`` as floats with ``w_min < w_max``; infinite only for the additive rule."""
    out = []
    for name, w in (("w_min", w_min), ("w_max", w_max)):
        if isinstance(w, (bool, np.bool_)) or not isinstance(w, (int, float, np.integer,
                                                                  np.floating)):
            raise TypeError(f"{name} must be a real number, got {type(w).__name__}")
        w = float(w)
        if np.isnan(w) or (np.isinf(w) and weight_dependence == "multiplicative"):
            raise ValueError(f"{name} must be finite for the multiplicative rule (and never NaN), "
                             f"got {w}")
        out.append(w)
    if out[0] == np.inf or out[1] == -np.inf or not out[0] < out[1]:
        raise ValueError(f"w_min must be below w_max, got w_min={out[0]}, w_max={out[1]}")
    return tuple(out)


#: What the kernels take of a rule (one record for both rules; the pair rule has ``A3 = 0``):
#: the amplitudes, the bounds and ``inv_range = 1/(w_max - w_min)`` (0 for infinite bounds),
#: ``nearest`` (traces set to 1, not incremented), ``multiplicative``, ``triplet`` (keep the
#: slow traces r2, o2; False for the pair rule).
Plasticity = namedtuple("Plasticity", ["A2p", "A3p", "A2m", "A3m", "w_min", "w_max",
                                       "inv_range", "nearest", "multiplicative", "triplet"])


class _Rule:
    """What both rules share: validation of the common fields, the kernel record, ``replace``."""

    def _check_common(self):
        check_choice("pairing", self.pairing, PAIRINGS)
        check_choice("weight_dependence", self.weight_dependence, WEIGHT_DEPENDENCES)
        w_min, w_max = _bounds(self.w_min, self.w_max, self.weight_dependence)
        object.__setattr__(self, "w_min", w_min)
        object.__setattr__(self, "w_max", w_max)
        for name in self._TAUS:
            object.__setattr__(self, name, check_real(name, getattr(self, name), 0.0,
                                                      low_open=True))
        for name in self._AMPLITUDES:
            object.__setattr__(self, name, check_real(name, getattr(self, name), 0.0))

    def replace(self, **changes):
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def kernel_record(self) -> Plasticity:
        """The :data:`Plasticity` record of this rule, for the kernels."""
        A2p, A3p, A2m, A3m = self.amplitudes
        finite = np.isfinite(self.w_min) and np.isfinite(self.w_max)
        return Plasticity(A2p=A2p, A3p=A3p, A2m=A2m, A3m=A3m, w_min=self.w_min,
                          w_max=self.w_max,
                          inv_range=1.0 / (self.w_max - self.w_min) if finite else 0.0,
                          nearest=self.pairing == "nearest-spike",
                          multiplicative=self.weight_dependence == "multiplicative",
                          triplet=isinstance(self, TripletSTDP))

    def decays(self, dt):
        """Per-step decays ``exp(-dt/tau)`` of the traces ``(r1, r2, o1, o2)``, float64 ``(4,)``.

        ``dt`` (> 0, in the unit of the time constants): the exact factor by which a trace
        decays over one step, so on the grid the traces are exact (no Euler step).
        """
        dt = check_real("dt", dt, 0.0, low_open=True)
        return np.exp(-dt / np.array(self.taus))

    def f_plus(self, w):
        """The weight dependence of potentiation, ``f_+(w)`` (1 for the additive rule)."""
        w = np.asarray(w, dtype=np.float64)
        if self.weight_dependence == "additive":
            return np.ones_like(w)
        return (self.w_max - w) / (self.w_max - self.w_min)

    def f_minus(self, w):
        """The weight dependence of depression, ``f_-(w)`` (1 for the additive rule)."""
        w = np.asarray(w, dtype=np.float64)
        if self.weight_dependence == "additive":
            return np.ones_like(w)
        return (w - self.w_min) / (self.w_max - self.w_min)


@dataclass(frozen=True)
class PairSTDP(_Rule):
    r"""Pair-based STDP with one trace per neuron (module docstring).

    Parameters
    ----------
    tau_plus, tau_minus : float
        Time constants (> 0) of the presynaptic trace ``x`` and the postsynaptic trace ``y``,
        in the unit of ``dt`` (seconds in the figures and tests).
    A_plus, A_minus : float
        Amplitudes (>= 0) of potentiation and depression, in the units of ``W``.
    w_min, w_max : float
        Hard bounds; ``-inf`` / ``inf`` allowed for the additive rule.
    pairing : {"all-to-all", "nearest-spike"}
    weight_dependence : {"additive", "multiplicative"}
    """

    tau_plus: float
    tau_minus: float
    A_plus: float
    A_minus: float
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all-to-all"
    weight_dependence: str = "additive"

    _TAUS = ("tau_plus", "tau_minus")
    _AMPLITUDES = ("A_plus", "A_minus")

    def __post_init__(self):
        self._check_common()

    @property
    def taus(self):
        """The time constants of ``(r1, r2, o1, o2)``; the pair rule has no slow traces, so
        ``r2, o2`` repeat ``tau_plus, tau_minus`` (the kernels never read them)."""
        return (self.tau_plus, self.tau_plus, self.tau_minus, self.tau_minus)

    @property
    def amplitudes(self):
        """``(A2+, A3+, A2-, A3-)`` of the equivalent triplet rule: ``(A_plus, 0, A_minus, 0)``."""
        return (self.A_plus, 0.0, self.A_minus, 0.0)


#: Pfister & Gerstner 2006, fits to the visual-cortex data of Sjostrom, Turrigiano & Nelson 2001
#: (their Table 3; time constants in seconds). tau_plus = 16.8 ms and tau_minus = 33.7 ms are
#: fixed in every fit. The paper is not in ../shared/papers; the rows were checked against two
#: independent transcriptions (see TripletSTDP.preset). "visual_cortex_all_to_all" and
#: "visual_cortex_nearest_spike" are the "full" rows; the issue listed them as "minimal".
PRESETS = {
    "visual_cortex_all_to_all": dict(
        tau_x=101e-3, tau_y=125e-3, A2_plus=5e-10, A3_plus=6.2e-3, A2_minus=7e-3,
        A3_minus=2.3e-4, pairing="all-to-all"),
    "visual_cortex_all_to_all_minimal": dict(
        tau_x=101e-3, tau_y=114e-3, A2_plus=0.0, A3_plus=6.5e-3, A2_minus=7.1e-3,
        A3_minus=0.0, pairing="all-to-all"),
    "visual_cortex_nearest_spike": dict(
        tau_x=714e-3, tau_y=40e-3, A2_plus=8.8e-11, A3_plus=5.3e-2, A2_minus=6.6e-3,
        A3_minus=3.1e-3, pairing="nearest-spike"),
}


@dataclass(frozen=True)
class TripletSTDP(_Rule):
    r"""The triplet rule of Pfister & Gerstner 2006 (module docstring).

    Parameters
    ----------
    tau_plus, tau_minus : float
        Time constants (> 0) of the fast traces ``r1`` (pre) and ``o1`` (post).
    tau_x, tau_y : float
        Time constants (> 0) of the slow traces ``r2`` (pre) and ``o2`` (post).
    A2_plus, A3_plus, A2_minus, A3_minus : float
        Pair and triplet amplitudes (>= 0) of potentiation and depression.
    w_min, w_max, pairing, weight_dependence
        As for :class:`PairSTDP`. The presets use ``w_min = 0``, ``w_max = inf``, additive.
    """

    tau_plus: float
    tau_minus: float
    tau_x: float
    tau_y: float
    A2_plus: float
    A3_plus: float
    A2_minus: float
    A3_minus: float
    w_min: float = 0.0
    w_max: float = 1.0
    pairing: str = "all-to-all"
    weight_dependence: str = "additive"

    _TAUS = ("tau_plus", "tau_minus", "tau_x", "tau_y")
    _AMPLITUDES = ("A2_plus", "A3_plus", "A2_minus", "A3_minus")

    def __post_init__(self):
        self._check_common()

    @property
    def taus(self):
        """The time constants of the traces ``(r1, r2, o1, o2)``."""
        return (self.tau_plus, self.tau_x, self.tau_minus, self.tau_y)

    @property
    def amplitudes(self):
        """``(A2+, A3+, A2-, A3-)``."""
        return (self.A2_plus, self.A3_plus, self.A2_minus, self.A3_minus)

    @classmethod
    def preset(cls, name, **changes) -> "TripletSTDP":
        """A published parameter set: Pfister & Gerstner 2006, Table 3 (visual cortex; the table
        number as the transcriptions below give it).

        ====================================  =====  =====  =======  =======  ======  ======
        name                                  tau_x  tau_y  A2+      A3+      A2-     A3-
        ====================================  =====  =====  =======  =======  ======  ======
        ``visual_cortex_all_to_all``          101    125    5e-10    6.2e-3   7e-3    2.3e-4
        ``visual_cortex_all_to_all_minimal``  (101)  114    0        6.5e-3   7.1e-3  0
        ``visual_cortex_nearest_spike``       714    40     8.8e-11  5.3e-2   6.6e-3  3.1e-3
        ====================================  =====  =====  =======  =======  ======  ======

        Times in ms (stored in seconds); ``tau_plus = 16.8 ms``, ``tau_minus = 33.7 ms`` in every
        row; the first row is all-to-all "full", the third nearest-spike "full". The minimal
        model has ``A3- = 0``, so its ``tau_x`` (blank in the paper) cannot change any result;
        101 ms fills it. Source: the paper itself is not available here; these rows agree with
        the issue's numbers (which called the two full rows "minimal") and with two
        independent public transcriptions of Table 3 (a Rust plasticity library's
        ``TripletStdp`` constructors, and an Igor Pro model's ``makeSTDPminVisConstants``,
        which has ``tau_y = 114 ms``, ``A2- = 7.1e-3``, ``A3+ = 6.5e-3`` for the minimal row).
        The Rust library confirms the nearest-spike row's ``tau_x``, ``tau_y`` only; its
        amplitudes are the issue's. NESTML's ``stdp_triplet`` defaults (``A2+ = 7.5e-10``,
        ``A3+ = 9.3e-3``) match no row of this table. The nearest-spike minimal row could not
        be checked and is not offered. Independent evidence from the data: refitting the
        amplitudes to the ten Sjostrom points (:func:`refsnn.stdp.protocols.fit_amplitudes`,
        time constants kept) returns ``A3+ = 6.502e-3``, ``A2- = 7.106e-3`` for the minimal row
        (the printed values to their two digits), and the nearest-spike row's three non-zero
        amplitudes within 1.5%.

        ``changes`` overrides fields (e.g. ``w_min``, ``w_max``, ``weight_dependence``).
        """
        if not isinstance(name, str) or name not in PRESETS:
            raise ValueError(f"name must be one of {tuple(PRESETS)}, got {name!r}")
        fields = dict(tau_plus=16.8e-3, tau_minus=33.7e-3, w_min=0.0, w_max=np.inf,
                      weight_dependence="additive")
        fields.update(PRESETS[name])
        fields.update(changes)
        return cls(**fields)


def as_rule(rule, name="rule"):
    """``rule`` if it is a :class:`PairSTDP` or :class:`TripletSTDP`; TypeError otherwise."""
    if not isinstance(rule, (PairSTDP, TripletSTDP)):
        raise TypeError(f"{name} must be a PairSTDP or a TripletSTDP, got {type(rule).__name__}")
    return rule

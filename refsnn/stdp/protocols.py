r"""The pairing protocol of Sjostrom et al. 2001, their data, and the triplet rule's fit to them.

**Protocol** (Sjostrom, Turrigiano & Nelson 2001; Pfister & Gerstner 2006, the visual-cortex
data set): 60 pairings at frequency ``f``, a presynaptic spike at ``t_k = k/f`` and a
postsynaptic one at ``t_k + delta_t`` (``delta_t = +10 ms``: pre before post; ``-10 ms``: post
before pre), ``k = 0..59``. The weight starts at 1 and the relative change of the response is
compared with ``Delta w``, as Pfister & Gerstner do. :func:`pairing_protocol` runs it in
continuous time (:func:`refsnn.stdp.run_times`), so no grid enters.

**Data** (:data:`SJOSTROM_2001`): the mean changes at 0.1, 10, 20, 40 and 50 Hz are those of
the issue (refsnn issue 13); the standard errors are from a public transcription of the same
data set (the VH-Lab toolbox's ``sjostrom_freq_stdp``, whose means agree with the issue's to the
last digit). The original figure was not available to check either.

**Fit error** (:func:`fit_error`): with the model's ``Delta w_k``, the data ``y_k`` and errors
``sigma_k`` over the ``p = 10`` points and ``M`` fitted parameters,

.. math::

    E = \sqrt{\frac{1}{p - M} \sum_k \Big(\frac{\Delta w_k - y_k}{\sigma_k}\Big)^2},

the normalised error of the kind Pfister & Gerstner report (their exact normalisation and the
other data they fitted could not be checked here, so their printed ``E`` values are not
compared with).

**Refit** (:func:`fit_amplitudes`): with the additive rule and no bound reached, ``Delta w`` is
*linear* in the four amplitudes, ``Delta w_k = sum_a A_a phi_ka``, where ``phi_ka`` is the change
with amplitude ``a`` set to 1 and the others to 0. The least-squares fit weighted by
``1/sigma_k`` under ``A_a >= 0`` is then a bounded linear problem
(``scipy.optimize.lsq_linear``), solved exactly, with the time constants kept.

Read next: refsnn/stdp/online.py, plasticity while the LIF network runs.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..checks import check_int, check_real
from .rules import TripletSTDP, as_rule
from .run import run_times

Sjostrom = namedtuple("Sjostrom", ["frequency", "delta_t", "dw", "sem"])


def _frozen(a):
    a = np.array(a, dtype=np.float64)
    a.flags.writeable = False
    return a


#: Sjostrom et al. 2001, visual cortex L5: ``frequency`` (Hz, 5), ``delta_t`` (s, 2: +10 ms,
#: -10 ms), ``dw`` and ``sem`` ``(2, 5)``: rows for ``delta_t = +10 ms`` and ``-10 ms``.
SJOSTROM_2001 = Sjostrom(
    frequency=_frozen([0.1, 10.0, 20.0, 40.0, 50.0]),
    delta_t=_frozen([10e-3, -10e-3]),
    dw=_frozen([[-0.04, 0.14, 0.29, 0.53, 0.56], [-0.29, -0.41, -0.34, 0.56, 0.75]]),
    sem=_frozen([[0.05, 0.10, 0.14, 0.11, 0.26], [0.08, 0.11, 0.10, 0.32, 0.19]]))

AMPLITUDES = ("A2_plus", "A3_plus", "A2_minus", "A3_minus")


def pairing_times(delta_t, frequency, n_pairs=60):
    """``(pre, post)``: the protocol's spike times (s), ``pre = k/f``, ``post = pre + delta_t``.

    ``delta_t`` (s, any sign, ``|delta_t| < 1/f``), ``frequency`` (Hz, > 0), ``n_pairs`` >= 1.
    """
    delta_t = check_real("delta_t", delta_t)
    f = check_real("frequency", frequency, 0.0, low_open=True)
    n = check_int("n_pairs", n_pairs, 1)
    if abs(delta_t) >= 1.0 / f:
        raise ValueError(f"|delta_t| = {abs(delta_t):g} s must be below the period 1/f = "
                         f"{1.0 / f:g} s")
    pre = np.arange(n) / f
    return pre, pre + delta_t


def pairing_protocol(rule, delta_t, frequency, n_pairs=60, w0=1.0):
    """``Delta w`` of one synapse after the protocol (module docstring), from weight ``w0``."""
    rule = as_rule(rule)
    pre, post = pairing_times(delta_t, frequency, n_pairs)
    W = run_times(rule, [[w0]], [pre], [post])
    return float(W[0, 0]) - float(w0)


def frequency_dependence(rule, frequencies=None, delta_ts=None, n_pairs=60, w0=1.0):
    """``Delta w`` of the protocol, ``(len(delta_ts), len(frequencies))``; defaults: the data's."""
    freqs = SJOSTROM_2001.frequency if frequencies is None else np.ravel(frequencies)
    dts = SJOSTROM_2001.delta_t if delta_ts is None else np.ravel(delta_ts)
    return np.array([[pairing_protocol(rule, d, f, n_pairs, w0) for f in freqs] for d in dts])


def fit_error(predicted, n_params=0, data=SJOSTROM_2001):
    """``E`` of the module docstring for ``predicted`` ``(2, 5)`` against ``data``."""
    predicted = np.asarray(predicted, dtype=np.float64)
    if predicted.shape != data.dw.shape:
        raise ValueError(f"predicted must have shape {data.dw.shape}, got {predicted.shape}")
    p = data.dw.size
    M = check_int("n_params", n_params, 0)
    if M >= p:
        raise ValueError(f"n_params must be below the {p} data points, got {M}")
    z = (predicted - data.dw) / data.sem
    return float(np.sqrt(np.sum(z * z) / (p - M)))


def fit_amplitudes(rule, free=AMPLITUDES, data=SJOSTROM_2001):
    r"""Least-squares amplitudes of a triplet ``rule`` for ``data`` (module docstring).

    Parameters
    ----------
    rule : TripletSTDP
        Additive; its time constants and pairing are kept, and its amplitudes not in ``free``.
    free : sequence of str
        The amplitudes to fit (names among ``A2_plus, A3_plus, A2_minus, A3_minus``).

    Returns
    -------
    fitted : TripletSTDP
        ``rule`` with the fitted amplitudes.
    E : float
        :func:`fit_error` of the fit, with ``M = len(free)``.
    """
    if not isinstance(rule, TripletSTDP):
        raise TypeError(f"rule must be a TripletSTDP, got {type(rule).__name__}")
    if rule.weight_dependence != "additive":
        raise ValueError("fit_amplitudes needs the additive rule (Delta w linear in A)")
    free = list(free)
    if not free or any(a not in AMPLITUDES for a in free) or len(set(free)) != len(free):
        raise ValueError(f"free must name distinct amplitudes among {AMPLITUDES}, got {free}")
    from scipy.optimize import lsq_linear  # here: scipy.optimize costs 0.4 s at `import refsnn`

    open_rule = rule.replace(w_min=-np.inf, w_max=np.inf)   # no bound: Delta w linear in A
    zero = {a: 0.0 for a in AMPLITUDES}
    fixed = {a: getattr(rule, a) for a in AMPLITUDES if a not in free}
    y = data.dw.ravel() - frequency_dependence(open_rule.replace(**{**zero, **fixed})).ravel()
    phi = np.stack([frequency_dependence(open_rule.replace(**{**zero, a: 1.0})).ravel()
                    for a in free], axis=1)
    s = data.sem.ravel()
    sol = lsq_linear(phi / s[:, None], y / s, bounds=(0.0, np.inf), method="bvls")
    fitted = rule.replace(**dict(zip(free, (float(v) for v in sol.x))))
    return fitted, fit_error(frequency_dependence(fitted), len(free), data)

r"""Closed forms of the STDP rules: the pair window and the drift under Poisson firing.

**The window** (:func:`window`): an isolated pair at ``delta_t = t_post - t_pre`` changes a
weight ``w`` by

.. math::

    \Delta w = \begin{cases} A_+ f_+(w)\, e^{-\Delta t/\tau_+} & \Delta t > 0\\
                             0 & \Delta t = 0\\
                            -A_- f_-(w)\, e^{\Delta t/\tau_-} & \Delta t < 0 \end{cases}

("lessons from deep learning" Appendix C.2, Eq. 50, with its sign convention
``Delta t = t_pre - t_post`` turned round and the minus of the depressing branch restored,
docs/errata.md). For the triplet rule an isolated pair sees no triplet term: ``A_+ = A2+``,
``A_- = A2-``. ``delta_t = 0`` gives 0 because a same-step pair does not interact
(:mod:`refsnn.stdp.kernels`).

**The drift** (:func:`drift`): let ``j`` and ``i`` fire as independent Poisson processes of rates
``rho_x`` (pre) and ``rho_y`` (post). A spike's update reads the other side's traces and its
own side's slow trace, all built from *earlier* spikes. For Poisson trains the past is
independent of a spike now, and the two trains are independent of each other, so each
expectation factorises into mean traces ``m(rho, tau) = E[trace]``:

.. math::

    \frac{d\,E[w]}{dt} = \rho_y\, m(\rho_x, \tau_+)\,\big(A_2^+ + A_3^+\, m(\rho_y, \tau_y)\big)
                       - \rho_x\, m(\rho_y, \tau_-)\,\big(A_2^- + A_3^-\, m(\rho_x, \tau_x)\big)

(additive rule, away from the bounds). All-to-all: ``m = rho tau`` (Campbell's theorem), so the
pair rule gives ``rho_x rho_y (A_+ tau_+ - A_- tau_-)`` and the triplet rule

.. math::

    \frac{d\,E[w]}{dt} = \rho_x \rho_y \big[\tau_+ (A_2^+ + A_3^+ \rho_y \tau_y)
                                          - \tau_- (A_2^- + A_3^- \rho_x \tau_x)\big],

the BCM-like form of Pfister & Gerstner 2006 (potentiation grows with ``rho_y^2``).
Nearest-spike: the trace is ``exp(-a/tau)`` with ``a`` the time since the last spike,
exponential with rate ``rho`` in the stationary state, so ``m = rho tau / (1 + rho tau)``.

On the grid (``dt`` given) the trains are Bernoulli with ``q = rho dt`` per step, the decay per
step is ``d = exp(-dt/tau)`` and a trace is read before the step's own spikes join it, so
exactly ``m = q d / (1 - d)`` (all-to-all) and ``m = q d / (1 - (1 - q) d)`` (nearest-spike).
These tend to the continuous forms as ``dt -> 0`` (``q d/(1-d) = rho (tau - dt/2 + O(dt^2))``).
The forms are stationary: the traces start at zero, so a run must discard the first few
``max(tau)`` before it is compared with them.

**The explicit sums** (:func:`explicit_change`): the same rule written without traces, as a
sum over the pairs and triplets of one synapse's spikes (all-to-all), or over the nearest earlier
spike only (nearest-spike); strict inequalities, so same-time spikes do not interact:

.. math::

    \Delta w = \sum_{t^{post}} \sum_{t^{pre} < t^{post}} e^{-(t^{post} - t^{pre})/\tau_+}
               \Big(A_2^+ + A_3^+ \sum_{t'^{post} < t^{post}}
                     e^{-(t^{post} - t'^{post})/\tau_y}\Big)
             - \sum_{t^{pre}} \sum_{t^{post} < t^{pre}} e^{-(t^{pre} - t^{post})/\tau_-}
               \Big(A_2^- + A_3^- \sum_{t'^{pre} < t^{pre}} e^{-(t^{pre} - t'^{pre})/\tau_x}\Big)

(additive rule, no bound reached). It shares no code with the kernels: the tests hold the
trace implementation to it.

Read next: refsnn/stdp/protocols.py, the pairing protocol and the published data.
"""
from __future__ import annotations

import numpy as np

from ..checks import as_finite_array, check_real
from .rules import PAIRINGS, as_rule, check_choice


def window(rule, delta_t, w=None):
    """The change of weight ``w`` by one isolated pair at ``delta_t = t_post - t_pre``.

    Parameters
    ----------
    rule : PairSTDP or TripletSTDP
    delta_t : float or array
        Pair intervals (any shape), in the unit of the time constants.
    w : float, optional
        The weight before the pair (needed for the multiplicative rule; the bounds are ignored,
        i.e. the pair is assumed not to reach them).

    Returns
    -------
    ndarray
        ``Delta w`` with the shape of ``delta_t`` (module docstring).
    """
    rule = as_rule(rule)
    dt = as_finite_array(delta_t, "delta_t", ndim=np.ndim(delta_t))
    if rule.weight_dependence == "multiplicative":
        if w is None:
            raise ValueError("w is required for the multiplicative rule")
        w = check_real("w", w, rule.w_min, rule.w_max)
    A_plus, _, A_minus, _ = rule.amplitudes
    tau_plus, tau_minus = rule.taus[0], rule.taus[2]
    ltp = A_plus * rule.f_plus(w if w is not None else 0.0) * np.exp(-np.abs(dt) / tau_plus)
    ltd = -A_minus * rule.f_minus(w if w is not None else 0.0) * np.exp(-np.abs(dt) / tau_minus)
    return np.where(dt > 0, ltp, np.where(dt < 0, ltd, 0.0))


def mean_trace(rate, tau, pairing="all-to-all", dt=None):
    r"""The stationary mean ``m`` of a trace driven by a Poisson train (module docstring).

    ``rate`` (>= 0) and ``tau`` (> 0) in reciprocal units; ``dt``: the grid step (Bernoulli
    trains, ``rate * dt <= 1``), or None for continuous time.
    """
    rate = check_real("rate", rate, 0.0)
    tau = check_real("tau", tau, 0.0, low_open=True)
    check_choice("pairing", pairing, PAIRINGS)
    if dt is None:
        m = rate * tau
        return m if pairing == "all-to-all" else m / (1.0 + m)
    dt = check_real("dt", dt, 0.0, low_open=True)
    q = rate * dt
    if q > 1.0:
        raise ValueError(f"rate * dt must be <= 1 (a spike probability per step), got {q:g}")
    d = np.exp(-dt / tau)
    return q * d / (1.0 - d) if pairing == "all-to-all" else q * d / (1.0 - (1.0 - q) * d)


def drift(rule, rate_pre, rate_post, dt=None, w=None):
    r"""The expected rate of change ``d E[w]/dt`` under independent Poisson pre and post firing.

    Parameters
    ----------
    rule : PairSTDP or TripletSTDP
    rate_pre, rate_post : float
        ``rho_x``, ``rho_y`` (>= 0) in reciprocal time units.
    dt : float, optional
        The grid step: the exact drift of :func:`refsnn.stdp.run` for Bernoulli trains
        (``P(spike per step) = rate * dt``); None: continuous time (:func:`run_times`).
    w : float, optional
        The weight at which the multiplicative rule's factors are taken (the instantaneous
        drift); ignored by the additive rule. The bounds are assumed not to be reached.

    Returns
    -------
    float
        ``d E[w]/dt`` in weight units per time unit (module docstring).
    """
    rule = as_rule(rule)
    rx = check_real("rate_pre", rate_pre, 0.0)
    ry = check_real("rate_post", rate_post, 0.0)
    tau_r1, tau_r2, tau_o1, tau_o2 = rule.taus
    A2p, A3p, A2m, A3m = rule.amplitudes
    if rule.weight_dependence == "multiplicative":
        if w is None:
            raise ValueError("w is required for the multiplicative rule")
        w = check_real("w", w, rule.w_min, rule.w_max)
    fp = float(rule.f_plus(0.0 if w is None else w))
    fm = float(rule.f_minus(0.0 if w is None else w))

    def m(rate, tau):
        return mean_trace(rate, tau, rule.pairing, dt)

    ltp = ry * m(rx, tau_r1) * (A2p + A3p * m(ry, tau_o2))
    ltd = rx * m(ry, tau_o1) * (A2m + A3m * m(rx, tau_r2))
    # on the grid: q_y m / dt = rho_y m per unit time, the same expression
    return ltp * fp - ltd * fm


def explicit_change(rule, pre_times, post_times):
    """``Delta w`` of one synapse as the explicit sums of the module docstring (no traces).

    ``pre_times``, ``post_times``: 1-D arrays of spike times (distinct within each train). The
    rule must be additive and is taken without bounds. ``O(n_pre n_post)`` work per spike.
    """
    rule = as_rule(rule)
    if rule.weight_dependence != "additive":
        raise ValueError("explicit_change needs the additive rule")
    pre = np.sort(as_finite_array(pre_times, "pre_times", ndim=1))
    post = np.sort(as_finite_array(post_times, "post_times", ndim=1))
    tau_p, tau_x, tau_m, tau_y = rule.taus
    A2p, A3p, A2m, A3m = rule.amplitudes
    nearest = rule.pairing == "nearest-spike"

    def trace(t, earlier, tau):
        """sum over earlier spikes e^{-(t - t')/tau} (all-to-all) or the last one (nearest)."""
        gaps = t[:, None] - earlier[None, :]
        gaps = np.where(gaps > 0, gaps, np.inf)
        if nearest:
            return np.exp(-gaps.min(axis=1, initial=np.inf) / tau)
        return np.exp(-gaps / tau).sum(axis=1)

    ltp = trace(post, pre, tau_p) * (A2p + A3p * trace(post, post, tau_y))
    ltd = trace(pre, post, tau_m) * (A2m + A3m * trace(pre, pre, tau_x))
    return float(ltp.sum() - ltd.sum())

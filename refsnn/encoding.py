r"""Encoders: real values to spike trains ("lessons from deep learning" §3.1 and Appendix B).

Every encoder returns ``(batch, T, neurons)`` float64 0/1 arrays on the time grid of the
simulator, step ``n`` covering ``[n dt, (n + 1) dt)``.

* :func:`times_to_spikes` -- spike times to the grid: a spike at ``t`` falls into step
  ``floor(t / dt)`` (the one quantisation rule of the package).
* :func:`rate_encode` -- Bernoulli spikes, per-step probability ``max_prob * x`` (App. B.1).
* :func:`latency_encode` -- one spike per input, earlier for larger values (App. B.2, Eq. 25),
  or the linear variant; :func:`latency_times` gives the times, :func:`normalized_tau` the
  time constant that fits the code into the window.
* :func:`delta_encode` -- on/off spikes where a time series changes by a threshold (§3.1.3).

Every function that samples takes ``rng``: a ``numpy.random.Generator`` or an int seed, so the
same call gives the same data.

Read next: refsnn/datasets/__init__.py, the tasks built on these encoders.
"""
from __future__ import annotations

import numpy as np

from .checks import as_real_array, as_rng, check_bool, check_int, check_real

#: times this many steps below a step boundary count as on it (:func:`times_to_spikes`)
GRID_SLACK = 1e-9


def times_to_spikes(times, steps, dt):
    r"""Spike times ``(n, N)`` in seconds to a ``(n, steps, N)`` 0/1 array on the grid ``n dt``.

    A spike at time ``t`` falls into step :math:`\lfloor t / dt \rfloor`, the step whose
    interval ``[n dt, (n + 1) dt)`` contains it; ``inf`` (no spike) and times at or after
    ``steps * dt`` give no spike. At most one spike per entry of ``times``. A time within
    ``1e-9`` steps below a step boundary counts as on it, so that a time written as ``k * dt``
    lands in step ``k`` although ``k * dt / dt`` can round to just below ``k``.

    Parameters
    ----------
    times : array (n, N)
        Spike times in seconds, ``>= 0`` or ``inf``.
    steps : int
        Number of time steps (>= 1).
    dt : float
        Time step in seconds (> 0).

    Returns
    -------
    ndarray (n, steps, N), float64
    """
    t = as_real_array(times, "times")
    if t.ndim != 2:
        raise ValueError(f"times must have shape (samples, neurons), got shape {t.shape}")
    t = t.astype(np.float64)
    if np.any(np.isnan(t)) or np.any(t < 0):
        raise ValueError("times must be >= 0 or inf (no spike), got NaN or a negative time")
    steps = check_int("steps", steps, 1)
    dt = check_real("dt", dt, 0.0, np.inf, low_open=True, high_open=True)
    n, N = t.shape
    k = np.full(t.shape, steps, dtype=np.int64)
    fin = np.isfinite(t)
    k[fin] = np.floor(np.minimum(t[fin] / dt + GRID_SLACK, steps)).astype(np.int64)  # no overflow
    x = np.zeros((n, steps, N))
    b, i = np.nonzero(k < steps)
    x[b, k[b, i], i] = 1.0
    return x


# ---------------------------------------------------------------------- argument checks
def _check_values(values, name="values"):
    """``values`` as float64 ``(B, N)`` with entries in [0, 1]."""
    v = as_real_array(values, name)
    if v.ndim != 2:
        raise ValueError(f"{name} must have shape (batch, n_inputs), got shape {v.shape}; "
                         f"use {name}[None] for a single sample")
    if v.shape[0] < 1 or v.shape[1] < 1:
        raise ValueError(f"{name} needs at least one sample and one input, got shape {v.shape}")
    v = v.astype(np.float64)
    if not np.all(np.isfinite(v)):
        raise ValueError(f"{name} contains NaN or inf")
    if np.any(v < 0.0) or np.any(v > 1.0):
        raise ValueError(f"{name} must lie in [0, 1] (normalise first), got range "
                         f"[{v.min()}, {v.max()}]")
    return v


# ---------------------------------------------------------------------- encoders
def rate_encode(values, T, rng, max_prob=1.0):
    r"""Rate code: independent Bernoulli spikes with ``P(S[b, n, i] = 1) = max_prob * x[b, i]``.

    Appendix B.1 of Eshraghian et al. (Eq. 22) with the intensity scaled by ``max_prob``, so that
    a value of 1 fires at most with probability ``max_prob`` per step (``max_prob = 1`` fires at
    every step, which is rarely wanted in a network with a refractory-free reset).

    Parameters
    ----------
    values : array (B, N)
        Normalised intensities in ``[0, 1]``.
    T : int
        Number of time steps (>= 1).
    rng : numpy Generator or int seed
    max_prob : float
        Spike probability per step of a value 1, in ``(0, 1]``.

    Returns
    -------
    ndarray (B, T, N), float64, entries 0 or 1.
    """
    v = _check_values(values)
    T = check_int("T", T, 1)
    max_prob = check_real("max_prob", max_prob, 0.0, 1.0, low_open=True)
    rng = as_rng(rng)
    p = max_prob * v
    u = rng.random((v.shape[0], T, v.shape[1]))
    return (u < p[:, None, :]).astype(np.float64)


def _check_threshold(threshold, linear):
    """``theta`` in ``(0, 1)`` for the log code, in ``[0, 1)`` for the linear one."""
    return check_real("threshold", threshold, 0.0, 1.0, low_open=not linear, high_open=True)


def latency_times(values, tau=5.0, threshold=0.01, linear=False):
    r"""Continuous spike times of :func:`latency_encode`, in units of steps (``inf``: no spike).

    Eq. 25 of Eshraghian et al. (App. B.2): an RC membrane ``U(t) = x (1 - e^{-t/tau})`` driven
    to the steady state ``x`` crosses the threshold ``theta`` at

    .. math::

        t(x) = \tau \ln\frac{x}{x - \theta} \quad (x > \theta), \qquad t(x) = \infty
        \quad (x \le \theta),

    which decreases strictly with ``x`` (a larger input spikes earlier). With ``linear=True``
    the time falls linearly instead (snnTorch's ``linear=True``),

    .. math::

        t(x) = \tau (1 - x) \quad (x \ge \theta), \qquad t(x) = \infty \quad (x < \theta),

    so ``x = 1`` spikes at ``t = 0`` and ``x = theta`` at ``tau (1 - theta)``.

    Parameters
    ----------
    values : array (B, N)
        Normalised intensities in ``[0, 1]``.
    tau : float
        Time constant, in steps (> 0).
    threshold : float
        ``theta``: in ``(0, 1)`` for the log code, in ``[0, 1)`` for the linear one.
    linear : bool

    Returns
    -------
    ndarray (B, N), float64, times in steps, ``inf`` for no spike.
    """
    v = _check_values(values)
    tau = check_real("tau", tau, 0.0, np.inf, low_open=True, high_open=True)
    linear = check_bool("linear", linear)
    threshold = _check_threshold(threshold, linear)
    t = np.full(v.shape, np.inf)
    if linear:
        fires = v >= threshold
        t[fires] = tau * (1.0 - v[fires])
    else:
        fires = v > threshold
        t[fires] = tau * np.log(v[fires] / (v[fires] - threshold))
    return t


def normalized_tau(T, threshold=0.01, linear=False, ref_value=None):
    r"""The ``tau`` (in steps) that puts the input ``ref_value`` on the last step, ``T - 1``.

    .. math::

        \tau_T = \frac{T - 1}{\ln\bigl(r / (r - \theta)\bigr)} \;\text{(log code)}, \qquad
        \tau_T = \frac{T - 1}{1 - r} \;\text{(linear code)}, \qquad r = \texttt{ref\_value},

    i.e. the solution of :math:`t(r) = T - 1` (:func:`latency_times`). Every input
    ``x >= r`` then spikes within the window, ``x = r`` in its last step.

    Defaults of ``r``: the linear code's ``theta`` itself, so that the range ``[theta, 1]``
    fills the window exactly (``theta`` in step ``T - 1``, ``1`` in step 0). The log code puts
    ``theta`` at ``t = inf``, so it needs ``r > theta``; the default ``r = 2 theta`` is the
    input whose threshold is half its steady state: it crosses at the membrane's half-rise
    time ``tau ln 2``. Pick ``r`` as the faintest input that must still spike (``1/16``
    for the 8x8 digits, :func:`refsnn.datasets.digits`).

    Parameters
    ----------
    T : int
        Number of time steps (>= 2: one step leaves no room for a code).
    threshold : float
        ``theta`` (see :func:`latency_times`).
    linear : bool
    ref_value : float, optional
        ``r``: in ``(theta, 1]`` for the log code, ``[theta, 1)`` for the linear one.

    Returns
    -------
    float
    """
    T = check_int("T", T, 2)
    linear = check_bool("linear", linear)
    theta = _check_threshold(threshold, linear)
    if ref_value is None:
        if not linear and 2.0 * theta > 1.0:
            raise ValueError(f"ref_value must be given when threshold > 0.5 (the default "
                             f"2 * threshold = {2 * theta:g} is above 1)")
        ref_value = theta if linear else 2.0 * theta
    if linear:
        r = check_real("ref_value", ref_value, theta, 1.0, high_open=True)
        return (T - 1) / (1.0 - r)
    r = check_real("ref_value", ref_value, theta, 1.0, low_open=True)
    return (T - 1) / np.log(r / (r - theta))


def latency_encode(values, T, tau=5.0, threshold=0.01, normalize=False, linear=False,
                   ref_value=None):
    r"""Latency (time-to-first-spike) code: at most one spike per input, earlier for larger values.

    Each input ``x`` emits a single spike in step :math:`n(x) = \lfloor t(x) \rfloor`
    (:func:`times_to_spikes` with ``dt = 1`` step) at the RC-circuit crossing time of
    Eshraghian et al. Eq. 25 (:func:`latency_times`),

    .. math::

        t(x) = \tau \ln\frac{x}{x - \theta} \quad \text{for } x > \theta,
        \qquad\text{or, with } \texttt{linear}, \quad t(x) = \tau (1 - x)
        \quad \text{for } x \ge \theta,

    ``tau`` measured in time steps. Inputs below threshold (``x <= theta``; linear:
    ``x < theta``) and inputs whose time is ``>= T`` emit no spike. ``t`` decreases strictly
    with ``x``, so ``n(x)`` is non-increasing (the floor merges close values into one step).
    With the defaults ``tau = 5``, ``theta = 0.01``: ``x = 1`` and ``x = 0.1`` spike in step 0
    (``t = 0.050, 0.527``), ``x = 0.05`` in step 1, ``x = 0.02`` in step 3 (``t = 5 ln 2 =
    3.47``), ``x = 0.011`` in step 11 (``t = 11.99``).

    ``normalize=True`` replaces ``tau`` by :func:`normalized_tau`: the time constant for
    which the input ``ref_value`` spikes in the last step ``T - 1`` (linear default: ``theta``
    there and ``1`` in step 0; log default ``ref_value = 2 theta``). Inputs between
    ``theta`` and ``ref_value`` (log code) spike later still: in step ``T - 1`` while
    ``t(x) < T``, else not at all. The definition depends only on ``T``, ``theta`` and
    ``ref_value``, so one sample's code never depends on the others in its batch. snnTorch's
    ``latency(normalize=True)`` instead divides the times by their maximum over the whole
    tensor (values below threshold clamped to ``theta + 1e-7`` included), so there the code
    of an image changes with the batch it comes in, unless some input of the batch is below
    threshold; it also rounds where this package floors.

    Parameters
    ----------
    values : array (B, N)
        Normalised intensities in ``[0, 1]``.
    T : int
        Number of time steps (>= 1; >= 2 with ``normalize``).
    tau : float
        Time constant of the RC circuit, in steps (> 0); no effect with ``normalize``.
    threshold : float
        ``theta``: in ``(0, 1)``, linear code ``[0, 1)``; values below it never spike.
    normalize : bool
        Fit the code into the window (above).
    linear : bool
        The linear code.
    ref_value : float, optional
        The input that ``normalize`` puts on step ``T - 1`` (:func:`normalized_tau`); only
        with ``normalize``.

    Returns
    -------
    ndarray (B, T, N), float64, entries 0 or 1, at most one 1 per ``(b, i)``.
    """
    T = check_int("T", T, 1)
    tau = check_real("tau", tau, 0.0, np.inf, low_open=True, high_open=True)
    if check_bool("normalize", normalize):
        tau = normalized_tau(T, threshold, linear, ref_value)
    elif ref_value is not None:
        raise ValueError("ref_value is used only with normalize=True")
    return times_to_spikes(latency_times(values, tau, threshold, linear), T, 1.0)


#: the two delta-modulation modes of :func:`delta_encode`
DELTA_MODES = ("diff", "track")
#: what :func:`delta_encode` compares step 0 with
DELTA_PADDING = ("zero", "first")


def delta_encode(series, threshold, mode="diff", padding="zero", off_spikes=True):
    r"""Delta modulation: spikes where a time series changes by ``threshold`` (§3.1.3).

    Each input channel ``x[n]`` gets an *on* and an *off* channel. A spike is emitted when the
    signal has moved at least ``theta`` away from a reference :math:`r[n-1]`:

    .. math::

        S^\mathrm{on}[n] = \Theta\bigl(x[n] - r[n-1] - \theta\bigr), \qquad
        S^\mathrm{off}[n] = \Theta\bigl(r[n-1] - x[n] - \theta\bigr)

    (:math:`\Theta(0) = 1`: a change of exactly ``theta`` spikes, as in snnTorch).

    * ``mode="diff"``: :math:`r[n-1] = x[n-1]`, the previous step (snnTorch's
      ``spikegen.delta``, "a thresholded matrix difference"). A change slower than ``theta``
      per step never spikes, however large it grows.
    * ``mode="track"``: a reference that moves by ``theta`` per emitted spike,
      :math:`r[n] = r[n-1] + \theta (S^\mathrm{on}[n] - S^\mathrm{off}[n])`, so changes
      accumulate over steps ("changes in intensity can be tracked over multiple time steps").
      The spikes decode as :math:`\hat x[n] = r[-1] + \theta \sum_{m \le n} (S^\mathrm{on}[m]
      - S^\mathrm{off}[m]) = r[n]`. If ``|x[0] - r[-1]| < theta`` and ``x`` changes by at
      most ``theta`` per step, then ``|x[n] - r[n]| < theta`` at every step, so on minus off
      counts equal the net change ``(x[T-1] - r[-1]) / theta`` to within one; for a monotone
      ``x`` and ``padding="first"`` they equal its integer part (rounded towards zero). A
      faster change is followed at one ``theta`` per step (slope overload) until the reference
      has caught up. (snnTorch's docstring example,
      ``[1, 2, 2.9, 3, 3.9]`` with threshold 1 giving ``[1, 1, 0, 1, 0]``, is what this mode
      gives; its code, like ``"diff"``, gives ``[1, 1, 0, 0, 0]``.)

    Step 0 (``padding``): ``"zero"`` compares ``x[0]`` with :math:`r[-1] = 0`, so a signal
    that starts at ``x[0] >= theta`` spikes at step 0 (a sensor switched on; snnTorch's
    default ``padding=False``); ``"first"`` uses :math:`r[-1] = x[0]`: nothing spikes at
    step 0 (snnTorch's ``padding=True``).

    Parameters
    ----------
    series : array (B, T, N)
        Real, finite time series (any range).
    threshold : float
        ``theta`` (> 0), in the units of ``series``.
    mode : {"diff", "track"}
    padding : {"zero", "first"}
    off_spikes : bool
        Keep the off channels; ``False`` drops them (the on channels are unchanged).

    Returns
    -------
    ndarray (B, T, 2N) with the on channels ``0 .. N-1`` then the off channels ``N .. 2N-1``,
    or (B, T, N) without off channels; float64 0/1, at most one spike per channel and step.
    """
    x = as_real_array(series, "series")
    if x.ndim != 3 or 0 in x.shape:
        raise ValueError(f"series must have shape (batch, time, n_inputs) with every entry "
                         f">= 1, got shape {x.shape}")
    x = x.astype(np.float64)
    if not np.all(np.isfinite(x)):
        raise ValueError("series contains NaN or inf")
    theta = check_real("threshold", threshold, 0.0, np.inf, low_open=True, high_open=True)
    if mode not in DELTA_MODES:
        raise ValueError(f"mode must be one of {DELTA_MODES}, got {mode!r}")
    if padding not in DELTA_PADDING:
        raise ValueError(f"padding must be one of {DELTA_PADDING}, got {padding!r}")
    off_spikes = check_bool("off_spikes", off_spikes)
    start = np.zeros_like(x[:, 0]) if padding == "zero" else x[:, 0].copy()   # r[-1], (B, N)
    if mode == "diff":
        d = x - np.concatenate([start[:, None], x[:, :-1]], axis=1)
        on, off = d >= theta, d <= -theta
    else:
        on, off = np.zeros(x.shape, bool), np.zeros(x.shape, bool)
        level = np.zeros(start.shape)           # integer count: r = r[-1] + theta * level
        for n in range(x.shape[1]):
            d = x[:, n] - (start + theta * level)
            on[:, n], off[:, n] = d >= theta, d <= -theta
            level += on[:, n].astype(np.float64) - off[:, n]
    out = np.concatenate([on, off], axis=2) if off_spikes else on
    return out.astype(np.float64)

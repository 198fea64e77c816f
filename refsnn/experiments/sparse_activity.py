r"""Accuracy against hidden activity under an activity regulariser (Zenke & Vogels 2021, §2.6
and Fig. 9, the randman column).

Networks are trained on 10-class randman with the supervised loss plus the regularisers of
§4.2.5 on every hidden layer ``l`` (:mod:`refsnn.losses.regularisers`, with the upper bound's
sign corrected, docs/errata.md): a lower bound per neuron and an upper bound on the
population's mean spike count :math:`\bar\zeta^{(l)}`,

.. math::

    \mathcal{L}_\mathrm{tot} = \mathcal{L}_\mathrm{sup} + \frac1N \sum_\mu \sum_l \left(
        \frac{\lambda_\mathrm{lower}}{M} \sum_i \left([v_\mathrm{lower} - \zeta^{(l),\mu}_i]_+
        \right)^2
        + \lambda_\mathrm{upper} \left([\bar\zeta^{(l),\mu} - v_\mathrm{upper}]_+\right)^L
    \right),

with :math:`\lambda_\mathrm{lower} = 100`, :math:`v_\mathrm{lower} = 10^{-3}` (Table 1) and the
upper bound's threshold :math:`v_\mathrm{upper}` swept over a log grid with :math:`L = 1`
(Table 1 sweeps the threshold with :math:`\lambda_\mathrm{upper,1} \in \{1, 100\}`: the small
version uses 100 alone, which holds the activity near the threshold, the full one both; one
setting has no upper bound at all). The learning rate is fixed: 0.1 (small), the best of
Fig. 3's small grid (:mod:`~refsnn.experiments.surrogate_shape_scale`), and 0.05 (full), the
paper's best on randman (Table 1). Every trained network gives one
point: its test accuracy against the mean number of spikes of its hidden layers together per
test input. A sigmoid in the logarithm of the activity :math:`s`,

.. math::

    a(s) = a_\mathrm{low} + \frac{a_\mathrm{high} - a_\mathrm{low}}
        {1 + \exp\left(-(\log_{10} s - \log_{10} s_\ast)/w\right)},

is fitted to the points of each network architecture (:func:`fit_sigmoid`,
``scipy.optimize.curve_fit``); :math:`s_\ast` is the transition point. The paper finds it at
about 36 spikes per input for one hidden layer, 76 for two, 26 for a recurrent layer, the
transition from chance to the best accuracy within less than a decade of :math:`s`.

Model, data and run: :mod:`~refsnn.experiments.zenke_vogels` (20-100-10, zero reset detached,
max-over-time cross-entropy, Adam). ``seed`` draws the initial weights and the batch order.

Read next: refsnn/figures/sparse_activity.py, the figure drawn from these runs.
"""
from __future__ import annotations

import numpy as np

from . import zenke_vogels as zv

NAME = "sparse_activity"
#: the figure drawn from this experiment (refsnn.figures.FIGURES)
FIGURE = "sparse_activity"
#: the config entries the progress bar shows
DESCRIBE = ("hidden", "recurrent", "v_upper")
#: the lower bound of Table 1 (randman): lam_lower = 100, v_lower = 1e-3
LOWER = {"lam": 100.0, "v_lower": 1e-3}

#: per size: data, epochs, learning rate, the upper bound's strengths and thresholds (mean
#: spikes per neuron and input; None: no upper bound), the architectures (hidden sizes,
#: recurrent) and the seeds
SIZES = {
    "quick": dict(samples_per_class=10, epochs=1, lr=1e-1, lams=(100.0,), v_upper=(None, 0.01),
                  architectures=(((100,), False),), seeds=(0,)),
    "small": dict(samples_per_class=100, epochs=10, lr=1e-1, lams=(100.0,),
                  v_upper=(None, 0.01, 0.1, 0.2, 0.3, 0.5, 0.7, 1.0),
                  architectures=(((100,), False), ((100, 100), False)), seeds=(0, 1, 2)),
    "full": dict(samples_per_class=1000, epochs=50, lr=5e-2, lams=(1.0, 100.0),
                 v_upper=(None, 0.003, 0.01, 0.02, 0.03, 0.05, 0.1, 0.2, 0.3, 0.5, 1.0, 2.0),
                 architectures=(((100,), False), ((100, 100), False), ((100,), True),
                                ((100, 100), True)), seeds=(0, 1, 2, 3, 4)),
}


def configs(size="small"):
    """Every run configuration of ``size``: per architecture, every threshold."""
    if size not in SIZES:
        raise ValueError(f"size must be one of {tuple(SIZES)}, got {size!r}")
    s = SIZES[size]
    base = dict(zv.BASE, samples_per_class=s["samples_per_class"], epochs=s["epochs"],
                lr=s["lr"], lower=dict(LOWER), size=size)
    out = []
    for hidden, recurrent in s["architectures"]:
        for v in s["v_upper"]:
            for lam in (s["lams"] if v is not None else s["lams"][:1]):
                upper = None if v is None else {"lam": lam, "v_upper": v, "L": 1}
                out.append(dict(base, hidden=hidden, recurrent=recurrent, upper=upper,
                                v_upper=v))
    return out


def sweep(size="small"):
    """``(configs, seeds)`` of ``size`` (``"quick"``, ``"small"``, ``"full"``)."""
    return configs(size), list(SIZES[size]["seeds"])


def run(config, seed):
    """Train one regularised network; the metrics of
    :func:`refsnn.experiments.zenke_vogels.fit`."""
    zv.check_config(config, seed, extra=("v_upper",))
    return zv.fit(config, seed)


def sigmoid(log_s, low, high, log_s0, width):
    """:math:`a(s)` of the module docstring at ``log_s`` :math:`= \\log_{10} s` (array)."""
    z = np.clip((np.asarray(log_s, dtype=float) - log_s0) / width, -60.0, 60.0)
    return low + (high - low) / (1.0 + np.exp(-z))


def fit_sigmoid(spikes, accuracy):
    """Fit :func:`sigmoid` to ``accuracy`` ``(n,)`` against ``spikes`` ``(n,)`` (> 0; the
    points with 0 spikes are left out, they have no logarithm).

    Returns
    -------
    dict
        ``low``, ``high``, ``s0`` (the transition, in spikes per input), ``width`` (decades),
        ``s0_low``, ``s0_high`` (:math:`\\log_{10} s_\\ast \\pm` one standard error from the
        fit's covariance, as spikes), ``rms`` (of the residuals), ``n`` (points used); None if
        fewer than five points or the fit fails.
    """
    from scipy.optimize import curve_fit

    s = np.asarray(spikes, dtype=float)
    a = np.asarray(accuracy, dtype=float)
    ok = np.isfinite(s) & np.isfinite(a) & (s > 0)
    s, a = s[ok], a[ok]
    if len(s) < 5:
        return None
    x = np.log10(s)
    p0 = (float(a.min()), float(a.max()), float(np.median(x)), 0.2)
    bounds = ([0.0, 0.0, x.min() - 1.0, 0.01], [1.0, 1.0, x.max() + 1.0, 5.0])
    try:
        p, cov = curve_fit(sigmoid, x, a, p0=p0, bounds=bounds, maxfev=20000)
    except (RuntimeError, ValueError):
        return None
    err = float(np.sqrt(cov[2, 2])) if np.all(np.isfinite(cov)) else float("nan")
    rms = float(np.sqrt(np.mean((sigmoid(x, *p) - a) ** 2)))
    return {"low": float(p[0]), "high": float(p[1]), "s0": float(10 ** p[2]),
            "width": float(p[3]), "s0_low": float(10 ** (p[2] - err)),
            "s0_high": float(10 ** (p[2] + err)), "rms": rms, "n": int(len(s))}


def points(results):
    """``{(n_hidden, recurrent): (spikes, test_accuracy)}``, one array entry per run."""
    out = {}
    for r in results["runs"]:
        c = results["configs"][r["config"]]
        key = (len(c["hidden"]), bool(c["recurrent"]))
        s, a = out.setdefault(key, ([], []))
        s.append(r["metrics"]["hidden_spikes"])
        a.append(r["metrics"]["test_accuracy"])
    return {k: (np.array(s), np.array(a)) for k, (s, a) in out.items()}


def transitions(results):
    """``{(n_hidden, recurrent): fit_sigmoid(...)}`` for every architecture of ``results``."""
    return {k: fit_sigmoid(s, a) for k, (s, a) in points(results).items()}


def table(config, seed, metrics):
    """One CSV row per epoch (the end results on the last row)."""
    c = dict(config, hidden_layers=len(config["hidden"]))
    return zv.epoch_rows(c, seed, metrics, ("hidden_layers", "recurrent", "v_upper"))

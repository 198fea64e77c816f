r"""Spike-timing-dependent plasticity: the pair and triplet rules, on spike trains and online.

STDP is not a gradient method: no loss is differentiated, and nothing here is checked against
BPTT. What it is checked against (docs/design.md §12.14): the analytic pair window, the
closed-form drift under Poisson firing, an explicit sum over all spike pairs and triplets, and
the published pairing data of Sjostrom et al. 2001 (Pfister & Gerstner 2006's fits).

>>> from refsnn import stdp
>>> rule = stdp.PairSTDP(tau_plus=20e-3, tau_minus=20e-3, A_plus=0.01, A_minus=0.0105)
>>> W_T, history = stdp.run(rule, W0, pre, post, dt=1e-3)     # doctest: +SKIP
>>> tri = stdp.TripletSTDP.preset("visual_cortex_all_to_all")

* :mod:`.rules` -- :class:`PairSTDP`, :class:`TripletSTDP` (frozen, validated), the presets;
* :mod:`.kernels` -- the Numba kernels (decay, spikes, weight updates; the order in a step);
* :mod:`.run` -- :func:`run` on the grid, :func:`run_times` in continuous time;
* :mod:`.theory` -- :func:`window`, :func:`mean_trace`, :func:`drift` (closed forms);
* :mod:`.protocols` -- the pairing protocol, the Sjostrom data, the fit error and the refit;
* :mod:`.online` -- :func:`simulate`, the LIF network with plasticity applied while it runs.

Read next: refsnn/stdp/rules.py.
"""
from .rules import PAIRINGS, PRESETS, WEIGHT_DEPENDENCES, PairSTDP, TripletSTDP
from .run import History, run, run_times
from .theory import drift, explicit_change, mean_trace, window

__all__ = ["PairSTDP", "TripletSTDP", "PRESETS", "PAIRINGS", "WEIGHT_DEPENDENCES", "run",
           "run_times", "History", "window", "mean_trace", "drift",
           "explicit_change"]
from .online import OnlineResult, OnlineState, simulate  # noqa: E402
from . import protocols  # noqa: E402

__all__ += ["simulate", "OnlineResult", "OnlineState", "protocols"]

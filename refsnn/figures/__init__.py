"""Paper figures, one module per figure (docs/design.md §7).

Each module has a docstring naming the tutorial figure it reproduces and what must be visible,
and one function ``make(out_dir, quick=False)`` that writes ``out_dir/NAME.png`` and
``out_dir/NAME.pdf`` deterministically and returns the written paths. ``quick=True`` is the
small version the tests run.

>>> from refsnn.figures import FIGURES, make_all
>>> list(FIGURES)            # doctest: +SKIP
['lif_dynamics', 'computational_graph', 'surrogates', 'performance', 'credit_assignment_cost',
 'datasets', 'encodings', 'credit_schemes']

From the shell: ``python -m refsnn.figures [NAME ...] [--out DIR] [--quick]``.

Read next: refsnn/figures/lif_dynamics.py, the first figure (then
refsnn/exercises/__init__.py).
"""
from __future__ import annotations

import os
import time
from collections import OrderedDict

from . import (bptt_influence, computational_graph, credit_assignment_cost, credit_schemes,
               datasets, digits_latency, encodings, feedback_alignment, lif_dynamics,
               output_codes, performance, reset_and_scale, reset_modes, sparse_activity,
               spikeprop_xor, stdp_frequency, stdp_learning, stdp_vs_gradient, stdp_window,
               surrogate_landscape, surrogate_shape_scale, surrogates, temporal_xor,
               true_vs_surrogate, yin_yang_timing)

#: registry: figure name -> module with ``make(out_dir, quick=False)``, in paper order
FIGURES = OrderedDict([
    ("lif_dynamics", lif_dynamics),                # Fig. 1
    ("computational_graph", computational_graph),  # Fig. 2
    ("surrogates", surrogates),                    # Fig. 3
    ("surrogate_landscape", surrogate_landscape),  # journal Fig. 4: loss along a path
    ("performance", performance),                  # benchmark (not in the paper)
    ("credit_assignment_cost", credit_assignment_cost),  # forward vs backward cost (Eq. 12 text)
    ("datasets", datasets),                        # the tasks of refsnn.datasets
    ("encodings", encodings),                      # "lessons from deep learning" Fig. 6
    ("credit_schemes", credit_schemes),            # Fig. 5: BP, FA, DFA, local errors
    ("feedback_alignment", feedback_alignment),    # §V-A, V-D: BPTT vs FA, DFA, local errors
    ("true_vs_surrogate", true_vs_surrogate),      # Zenke & Vogels Fig. 2b
    ("surrogate_shape_scale", surrogate_shape_scale),  # Zenke & Vogels Fig. 3
    ("reset_and_scale", reset_and_scale),          # Zenke & Vogels Fig. 5
    ("digits_latency", digits_latency),            # Zenke & Vogels Fig. 6b (8x8 digits)
    ("sparse_activity", sparse_activity),          # Zenke & Vogels Fig. 9, randman column
    ("output_codes", output_codes),                # "lessons" §3.2, Tables 2-3 (no figure)
    ("bptt_influence", bptt_influence),            # "lessons" Fig. 9b, left
    ("reset_modes", reset_modes),                  # "lessons" Fig. S.1 (Appendix A.1)
    ("temporal_xor", temporal_xor),                # Fig. 6: Mostafa's exact spike times
    ("yin_yang_timing", yin_yang_timing),          # §V-C on Yin-Yang: exact spike times
    ("spikeprop_xor", spikeprop_xor),              # SpikeProp (Bohte 2002) on the spike-time XOR
    ("stdp_window", stdp_window),                  # "lessons" App. C.2, Eq. 50, Fig. S.13
    ("stdp_frequency", stdp_frequency),            # Pfister & Gerstner 2006 vs Sjostrom 2001
    ("stdp_learning", stdp_learning),              # Song, Miller & Abbott 2000
    ("stdp_vs_gradient", stdp_vs_gradient),        # "lessons" Fig. 9(b)
])


def resolve(names=None):
    """The list of figure names to make: all registered ones if ``names`` is None.

    Raises ``ValueError`` naming the valid figures if a name is unknown.
    """
    if names is None:
        return list(FIGURES)
    if isinstance(names, str):
        names = [names]
    names = list(names)
    unknown = [n for n in names if n not in FIGURES]
    if unknown:
        raise ValueError(f"unknown figure(s) {', '.join(map(repr, unknown))}; "
                         f"valid names: {', '.join(FIGURES)}")
    return names


def make_all(out_dir="figures", names=None, quick=False, verbose=True):
    """Make the registered figures (or ``names``) into ``out_dir``.

    Parameters
    ----------
    out_dir : str or os.PathLike
        Output directory (created if missing); default ``figures`` relative to the cwd.
    names : sequence of str, optional
        Figure names (keys of :data:`FIGURES`); default all, in registry order.
    quick : bool
        Small/fast versions (what the tests run).
    verbose : bool
        Print one progress line per figure: name, seconds, PNG path.

    Returns
    -------
    OrderedDict
        name -> list of written paths.
    """
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a path, got {type(out_dir).__name__}")
    names = resolve(names)
    width = max(len(n) for n in names) if names else 0
    written = OrderedDict()
    for name in names:
        t0 = time.perf_counter()
        paths = FIGURES[name].make(out_dir, quick=quick)
        written[name] = paths
        if verbose:
            print(f"{name:<{width}}  {time.perf_counter() - t0:6.2f} s  {paths[0]}", flush=True)
    return written


__all__ = ["FIGURES", "make_all", "resolve"]

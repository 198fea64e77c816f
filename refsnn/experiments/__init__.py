"""Experiments: training studies run from one command, their results saved beside a figure.

An experiment is a module with

* ``run(config, seed) -> dict``: one run, a function of a config dict (JSON-ready) and an int
  seed, returning JSON-ready metrics;
* ``sweep(size) -> (configs, seeds)``: the runs of the comparison, for ``size`` one of
  ``"quick"`` (the figure tests), ``"small"`` (``make figures``) and ``"full"`` (``--full``);
* ``table(config, seed, metrics) -> list of dict``: the run's rows of the CSV;
* ``NAME`` and ``FIGURE`` (the name of its figure in :data:`refsnn.figures.FIGURES`);
* optionally ``DESCRIBE``, the config keys the progress bar shows (default task and rule).

:func:`run_sweep` (:mod:`refsnn.experiments.sweep`) runs every config x seed, serially, in
local processes or on a Dask cluster, with a progress bar over runs, and with a ``store``
directory (:mod:`refsnn.experiments.store`) keeps every finished run so that an interrupted
sweep resumes; :func:`write` saves the results as ``NAME.json`` (configs, seeds, metrics per
run, versions, the conditions) and ``NAME.csv`` (the rows of every run). From the shell::

    python -m refsnn.experiments NAME [--full] [--backend {serial,loky,dask}] [--n-jobs N]
                                      [--scheduler ADDRESS] [--out DIR]

writes the figure, the CSV and the JSON into ``DIR`` (default ``figures``) and the run records
into ``DIR/NAME.runs/``.

>>> from refsnn.experiments import EXPERIMENTS, run_sweep   # doctest: +SKIP
>>> results = run_sweep(EXPERIMENTS["feedback_comparison"], "quick")   # doctest: +SKIP

Read next: refsnn/experiments/sweep.py, the runner (then store.py, its result store, and
feedback_comparison.py, the comparison of BPTT with FA, DFA and local errors).
"""
from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
from collections import OrderedDict

import numpy as np

from . import (digits_latency, feedback_comparison, reset_and_scale, sparse_activity,
               spikeprop_xor, surrogate_shape_scale, temporal_xor, true_vs_surrogate,
               yin_yang_timing)
from .store import jsonable, versions
from .sweep import BACKENDS, SweepError, grid, run_sweep

#: registry: experiment name -> module
EXPERIMENTS = OrderedDict([(m.NAME, m) for m in (feedback_comparison, true_vs_surrogate,
                                                  surrogate_shape_scale, reset_and_scale,
                                                  digits_latency, sparse_activity,
                                                  temporal_xor, yin_yang_timing,
                                                  spikeprop_xor)])


def _uptime():
    """The load of the machine as ``uptime`` prints it ('' where there is no ``uptime``)."""
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True,
                              timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def conditions():
    """What the times depend on: the machine's load, cores, Numba threads, versions."""
    import numba

    return {"uptime": _uptime(), "cpu_count": os.cpu_count(),
            "numba_threads": numba.get_num_threads(), "machine": platform.machine(),
            **versions()}


def default_table(config, seed, metrics):
    """One CSV row per run: the config's scalar entries, the seed and the scalar metrics (for
    an experiment without ``table``)."""
    def scalar(v):
        return v is None or isinstance(v, (str, bool, int, float))
    row = {k: v for k, v in config.items() if scalar(v)}
    row["seed"] = int(seed)
    row.update({k: v for k, v in metrics.items() if scalar(v)})
    return [row]


def rows(experiment, results):
    """Every run's CSV rows (``experiment.table``, else :func:`default_table`), in run order."""
    table = getattr(experiment, "table", default_table)
    out = []
    for r in results["runs"]:
        out.extend(table(results["configs"][r["config"]], r["seed"], r["metrics"]))
    return out


def _strict_json(obj):
    """``obj`` for strict JSON: NaN and infinities as None (JSON has no NaN)."""
    if isinstance(obj, dict):
        return {k: _strict_json(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_strict_json(v) for v in obj]
    if isinstance(obj, float) and not np.isfinite(obj):
        return None
    return obj


def write(experiment, results, out_dir, stem=None):
    """Write ``out_dir/STEM.json`` and ``out_dir/STEM.csv`` (``STEM`` defaults to the
    experiment's name); returns ``[csv_path, json_path]``."""
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    stem = stem or experiment.NAME
    table = rows(experiment, results)
    columns = list(OrderedDict.fromkeys(k for row in table for k in row))
    csv_path = os.path.join(out_dir, f"{stem}.csv")
    with open(csv_path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=columns, restval="", lineterminator="\n")
        w.writeheader()
        for row in table:
            w.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    json_path = os.path.join(out_dir, f"{stem}.json")
    with open(json_path, "w") as f:
        json.dump(_strict_json(jsonable(results)), f, indent=1)
        f.write("\n")
    return [csv_path, json_path]


def read(path):
    """The results dict from a ``NAME.json`` written by :func:`write` (``None`` for NaN)."""
    with open(path) as f:
        return json.load(f)


__all__ = ["EXPERIMENTS", "BACKENDS", "SweepError", "grid", "run_sweep", "rows", "default_table",
           "write", "read", "conditions"]

"""Experiments: training studies run from one command, their results saved beside a figure.

An experiment is a module with

* ``run(config, seed) -> dict``: one run, a function of a config dict (JSON-ready) and an int
  seed, returning JSON-ready metrics;
* ``sweep(size) -> (configs, seeds)``: the runs of the comparison, for ``size`` one of
  ``"quick"`` (the figure tests), ``"small"`` (``make figures``) and ``"full"`` (``--full``);
* ``table(config, seed, metrics) -> list of dict``: the run's rows of the CSV;
* ``NAME`` and ``FIGURE`` (the name of its figure in :data:`refsnn.figures.FIGURES`).

:func:`run_sweep` runs every config x seed serially with a progress bar over runs;
:func:`write` saves the results as ``NAME.json`` (configs, seeds, metrics per run, the
conditions) and ``NAME.csv`` (the rows of every run). From the shell::

    python -m refsnn.experiments NAME [--full] [--out DIR]

writes the figure, the CSV and the JSON into ``DIR`` (default ``figures``).

>>> from refsnn.experiments import EXPERIMENTS, run_sweep   # doctest: +SKIP
>>> results = run_sweep(EXPERIMENTS["feedback_comparison"], "quick")   # doctest: +SKIP

Read next: refsnn/experiments/feedback_comparison.py, the comparison of BPTT with FA, DFA and
local errors.
"""
from __future__ import annotations

import csv
import json
import os
import platform
import subprocess
import time
from collections import OrderedDict

import numpy as np

from . import feedback_comparison, spikeprop_xor, temporal_xor, yin_yang_timing

#: registry: experiment name -> module
EXPERIMENTS = OrderedDict([(m.NAME, m) for m in (feedback_comparison, temporal_xor,
                                                  yin_yang_timing, spikeprop_xor)])


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

    from .. import __version__
    return {"uptime": _uptime(), "cpu_count": os.cpu_count(),
            "numba_threads": numba.get_num_threads(), "python": platform.python_version(),
            "numpy": np.__version__, "numba": numba.__version__, "refsnn": __version__,
            "machine": platform.machine()}


def run_sweep(experiment, size="small", progress=True):
    """Run ``experiment.sweep(size)``: every config for every seed, one after another.

    Returns a dict: ``experiment``, ``size``, ``seeds``, ``configs``, ``runs`` (a list of
    ``{"config": index, "seed": s, "metrics": {...}}`` in config-major order), ``conditions``
    at the start and the end (with ``uptime``) and ``seconds`` in total.
    """
    configs, seeds = experiment.sweep(size)
    from tqdm.std import tqdm

    start = conditions()
    t0 = time.perf_counter()
    runs = []
    jobs = [(i, s) for i in range(len(configs)) for s in seeds]
    bar = tqdm(jobs, disable=not progress, desc=experiment.NAME, unit="run")
    for i, s in bar:
        c = configs[i]
        bar.set_postfix_str(" ".join(str(c[k]) for k in ("task", "rule") if k in c)
                            + f" seed {s}")
        runs.append({"config": i, "seed": int(s), "metrics": experiment.run(c, s)})
    bar.close()
    return {"experiment": experiment.NAME, "size": size, "seeds": [int(s) for s in seeds],
            "configs": configs, "runs": runs, "conditions": {"start": start, "end": conditions()},
            "seconds": time.perf_counter() - t0}


def rows(experiment, results):
    """Every run's CSV rows (``experiment.table``), in run order."""
    out = []
    for r in results["runs"]:
        out.extend(experiment.table(results["configs"][r["config"]], r["seed"], r["metrics"]))
    return out


def _jsonable(obj):
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, np.generic):
        return obj.item()
    if isinstance(obj, float) and not np.isfinite(obj):
        return None  # JSON has no NaN
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
        json.dump(_jsonable(results), f, indent=1)
        f.write("\n")
    return [csv_path, json_path]


def read(path):
    """The results dict from a ``NAME.json`` written by :func:`write` (``None`` for NaN)."""
    with open(path) as f:
        return json.load(f)


__all__ = ["EXPERIMENTS", "run_sweep", "rows", "write", "read", "conditions"]

"""``python -m refsnn.experiments NAME [--full] [--backend {serial,loky,dask}] [--n-jobs N]
[--scheduler ADDRESS] [--out DIR]``: run an experiment, save its results (``DIR/NAME.csv``,
``DIR/NAME.json``, one record per run in ``DIR/NAME.runs/``) and draw its figure
(``DIR/FIGURE.png`` and ``.pdf``).

Without ``--full`` the small version runs (the one ``make figures`` draws); ``--full`` runs
the larger one. The runs go to joblib's process pool on this machine by default (``--backend
loky``, one process per core unless ``--n-jobs``), to a Dask cluster with ``--backend dask
--scheduler tcp://HOST:8786``, or one after another in this process with ``--backend serial``
(:mod:`refsnn.experiments.sweep`). A finished run's record is never recomputed: rerunning the
command after an interruption resumes, after completion it only rewrites the CSV, JSON and
figure (``--fresh`` ignores the records and overwrites them).

Bad arguments (an unknown experiment or backend, ``--scheduler`` without ``--backend dask``,
``--n-jobs 0``, a bad ``--out``) are a one-line error with exit code 2, before anything runs.

Read next: refsnn/experiments/__init__.py, the registry, the CSV and the JSON.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import EXPERIMENTS, write
from .sweep import BACKENDS, SweepError, check_backend, run_sweep


def main(argv=None):
    from ..figures import FIGURES
    from ..figures.__main__ import out_dir_problem

    parser = argparse.ArgumentParser(
        prog="python -m refsnn.experiments",
        description="Run an experiment; write its CSV, JSON and figure into DIR and a record "
                    "of every run into DIR/NAME.runs/ (a rerun resumes). "
                    f"Experiments: {', '.join(EXPERIMENTS)}.")
    parser.add_argument("name", metavar="NAME", choices=list(EXPERIMENTS),
                        help=f"one of: {', '.join(EXPERIMENTS)}")
    parser.add_argument("--full", action="store_true",
                        help="the larger version (default: the small one of make figures)")
    parser.add_argument("--backend", default="loky", choices=BACKENDS,
                        help="where the runs execute: serial (this process), loky (local "
                             "processes, the default), dask (a Dask cluster, --scheduler)")
    parser.add_argument("--n-jobs", type=int, default=None, metavar="N",
                        help="parallel runs (default: 1 serial, else every core or Dask "
                             "worker thread, -1)")
    parser.add_argument("--scheduler", default=None, metavar="ADDRESS",
                        help="the Dask scheduler, e.g. tcp://host:8786 (--backend dask only)")
    parser.add_argument("--out", default="figures", metavar="DIR",
                        help="output directory (default: ./figures)")
    parser.add_argument("--store", default=None, metavar="RUNS",
                        help="directory of the run records (default: DIR/NAME.runs)")
    parser.add_argument("--fresh", action="store_true",
                        help="recompute every run (overwrites its record)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    try:
        check_backend(args.backend, args.n_jobs, args.scheduler)
    except (TypeError, ValueError) as exc:
        parser.error(str(exc).replace("scheduler", "--scheduler").replace("n_jobs", "--n-jobs"))
    problem = out_dir_problem(args.out)
    if problem:
        parser.exit(2, f"{parser.prog}: error: --out {args.out!r} {problem}\n")
    experiment = EXPERIMENTS[args.name]
    size = "full" if args.full else "small"
    store = args.store or os.path.join(args.out, f"{experiment.NAME}.runs")
    try:
        results = run_sweep(experiment, size, progress=not args.no_progress,
                            backend=args.backend, n_jobs=args.n_jobs, scheduler=args.scheduler,
                            store=store, resume=not args.fresh)
    except SweepError as exc:
        parser.exit(1, f"{parser.prog}: {exc}\nrerun the command to resume.\n")
    paths = write(experiment, results, args.out)
    paths += FIGURES[experiment.FIGURE].draw(results, args.out)
    print(f"{args.name} ({size}): {results['seconds']:.1f} s, {results['executed']} runs "
          f"executed, {results['stored']} read from {store}; wrote " + ", ".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())

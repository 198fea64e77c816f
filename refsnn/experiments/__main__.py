"""``python -m refsnn.experiments NAME [--full] [--out DIR]``: run an experiment, save its results
(``DIR/NAME.csv``, ``DIR/NAME.json``) and draw its figure (``DIR/FIGURE.png`` and ``.pdf``).

Without ``--full`` the small version runs (the one ``make figures`` draws); ``--full`` runs
the larger one. A bad ``--out`` is a one-line error with exit code 2, before anything runs.

Read next: refsnn/experiments/__init__.py, the registry and the serial runner.
"""
from __future__ import annotations

import argparse
import sys

from . import EXPERIMENTS, run_sweep, write


def main(argv=None):
    from ..figures import FIGURES
    from ..figures.__main__ import out_dir_problem

    parser = argparse.ArgumentParser(
        prog="python -m refsnn.experiments",
        description="Run an experiment; write its CSV, JSON and figure into DIR. "
                    f"Experiments: {', '.join(EXPERIMENTS)}.")
    parser.add_argument("name", metavar="NAME", choices=list(EXPERIMENTS),
                        help=f"one of: {', '.join(EXPERIMENTS)}")
    parser.add_argument("--full", action="store_true",
                        help="the larger version (default: the small one of make figures)")
    parser.add_argument("--out", default="figures", metavar="DIR",
                        help="output directory (default: ./figures)")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    problem = out_dir_problem(args.out)
    if problem:
        parser.exit(2, f"{parser.prog}: error: --out {args.out!r} {problem}\n")
    experiment = EXPERIMENTS[args.name]
    size = "full" if args.full else "small"
    results = run_sweep(experiment, size, progress=not args.no_progress)
    paths = write(experiment, results, args.out)
    paths += FIGURES[experiment.FIGURE].draw(results, args.out)
    print(f"{args.name} ({size}): {results['seconds']:.1f} s; wrote " + ", ".join(paths))
    return 0


if __name__ == "__main__":
    sys.exit(main())

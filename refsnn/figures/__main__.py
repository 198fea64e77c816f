"""``python -m refsnn.figures [NAME ...] [--out DIR] [--quick]``: write the paper figures.

A bad ``--out`` (an existing file, a directory that cannot be created or written) is a
one-line error with exit code 2, as for any other bad argument, before any figure is drawn.

Read next: refsnn/figures/__init__.py, the registry and make_all this command calls.
"""
from __future__ import annotations

import argparse
import os
import sys

from . import FIGURES, make_all


def out_dir_problem(out):
    """Why ``out`` cannot receive figures (creating it if missing), or None if it can."""
    if os.path.exists(out) and not os.path.isdir(out):
        return "exists and is not a directory"
    try:
        os.makedirs(out, exist_ok=True)
    except OSError as exc:
        return f"cannot be created ({exc.strerror or exc})"
    if not os.access(out, os.W_OK | os.X_OK):
        return "is not writable"
    return None


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m refsnn.figures",
        description="Write DIR/NAME.png and DIR/NAME.pdf for each paper figure "
                    f"(default: all). Figures: {', '.join(FIGURES)}.")
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help="figures to make (default: all)")
    parser.add_argument("--out", default="figures", metavar="DIR",
                        help="output directory (default: ./figures)")
    parser.add_argument("--quick", action="store_true",
                        help="small, fast versions (as in the tests)")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure(s): {', '.join(unknown)}; "
                     f"valid names: {', '.join(FIGURES)}")  # exits with code 2
    problem = out_dir_problem(args.out)
    if problem:
        parser.exit(2, f"{parser.prog}: error: --out {args.out!r} {problem}\n")
    try:
        make_all(args.out, names=args.names or None, quick=args.quick)
    except OSError as exc:  # e.g. the disk filled up while writing
        parser.exit(1, f"{parser.prog}: error: writing to --out {args.out!r} failed: {exc}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())

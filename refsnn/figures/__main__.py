"""``python -m refsnn.figures [NAME ...] [--out DIR] [--quick]``: write the paper figures."""
from __future__ import annotations

import argparse
import sys

from . import FIGURES, make_all


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
    make_all(args.out, names=args.names or None, quick=args.quick)
    return 0


if __name__ == "__main__":
    sys.exit(main())

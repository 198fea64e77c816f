"""``python -m refsnn.exercises list | show NAME | check NAME [FILE] [-v]``."""
from __future__ import annotations

import argparse
import sys

from . import EXERCISES


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m refsnn.exercises",
        description="Exercises with a gradient-check grader (DESIGN §8).")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercises")
    show = sub.add_parser("show", help="print an exercise's task and the path of its stub")
    show.add_argument("name", metavar="NAME")
    check = sub.add_parser("check", help="grade your solution (exit code 0 on pass, 1 on fail)")
    check.add_argument("name", metavar="NAME")
    check.add_argument("file", nargs="?", metavar="FILE",
                       help="your .py file with the function (default: the stub itself)")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="print the full gradient-check report of every network")
    args = parser.parse_args(argv)

    if args.command == "list":
        width = max(map(len, EXERCISES))
        for ex in EXERCISES.values():
            print(f"{ex.name:<{width}}  {ex.summary}")
        return 0
    if args.name not in EXERCISES:
        parser.error(f"unknown exercise {args.name!r}; valid names: {', '.join(EXERCISES)}")
    ex = EXERCISES[args.name]
    if args.command == "show":
        print(f"Exercise {ex.name}: {ex.summary}\n")
        print(f"stub: {ex.stub}")
        print(f"copy it, implement {ex.function}(...) between the markers, then run\n"
              f"    python -m refsnn.exercises check {ex.name} YOUR_FILE.py\n")
        print(ex.task())
        return 0
    result = ex.grade(args.file, verbose=args.verbose)
    print(result.text, end="")
    return 0 if result.passed else 1


if __name__ == "__main__":
    sys.exit(main())

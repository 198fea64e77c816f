"""``python -m refsnn.exercises list | show NAME | start NAME [DIR] | check NAME [FILE]``.

Exit codes of ``check``: 0 passed, 1 failed (or not implemented yet), 2 the file could not be
graded (missing, a directory, not Python, does not import, no such function); see
:mod:`refsnn.exercises.core`.

Read next: refsnn/exercises/__init__.py, the exercises this command lists, shows and grades.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys

from . import EXERCISES, grade, spec, task


def _seconds(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m refsnn.exercises",
        description="Exercises with a gradient-check grader. Exit codes of check: 0 passed, "
                    "1 failed, 2 could not be graded.")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="list the exercises, one line each")
    show = sub.add_parser("show", help="print an exercise's task and the path of its stub")
    show.add_argument("name", metavar="NAME")
    start = sub.add_parser("start", help="copy an exercise's stub to a file of your own")
    start.add_argument("name", metavar="NAME")
    start.add_argument("dir", nargs="?", default=".", metavar="DIR",
                       help="folder for the copy (default: the current one)")
    start.add_argument("--force", action="store_true", help="overwrite an existing file")
    check = sub.add_parser("check", help="grade a solution (exit 0 pass, 1 fail, 2 error)")
    check.add_argument("name", metavar="NAME")
    check.add_argument("file", nargs="?", metavar="FILE",
                       help="your .py file with the function (default: the stub itself)")
    check.add_argument("-v", "--verbose", action="store_true",
                       help="print the full gradient-check report of every network")
    check.add_argument("--timeout", type=_seconds, default=30.0, metavar="S",
                       help="seconds allowed for the import and for each call (default 30)")
    check.add_argument("--budget", type=_seconds, default=120.0, metavar="S",
                       help="seconds allowed for all of the student's code (default 120)")
    check.add_argument("--json", action="store_true",
                       help="print the result as one JSON object (for a gradebook)")
    args = parser.parse_args(argv)

    if args.command == "list":
        width = max(map(len, EXERCISES))
        for ex in EXERCISES.values():
            print(f"{ex.NAME:<{width}}  {ex.SUMMARY}")
        return 0
    if args.name not in EXERCISES:
        parser.error(f"unknown exercise {args.name!r}; valid names: {', '.join(EXERCISES)}")
    ex = spec(args.name)
    if args.command == "show":
        print(f"Exercise {ex.NAME}: {ex.SUMMARY}\n\nstub: {ex.STUB}\n"
              f"start with `python -m refsnn.exercises start {ex.NAME}`, implement "
              f"{ex.FUNCTION}(...) between the markers, then run\n"
              f"    python -m refsnn.exercises check {ex.NAME} {ex.NAME}.py\n")
        print(task(ex.NAME))
        return 0
    if args.command == "start":
        if os.path.exists(args.dir) and not os.path.isdir(args.dir):
            parser.error(f"{args.dir} is not a folder")
        os.makedirs(args.dir, exist_ok=True)
        target = os.path.join(args.dir, f"{ex.NAME}.py")
        if os.path.exists(target) and not args.force:
            print(f"{target} exists already; not overwritten (use --force)", file=sys.stderr)
            return 2
        shutil.copyfile(ex.STUB, target)
        print(f"wrote {target}: implement {ex.FUNCTION}(...) between the markers, then run\n"
              f"    python -m refsnn.exercises check {ex.NAME} {target}")
        return 0
    result = grade(ex.NAME, args.file, timeout=args.timeout, budget=args.budget,
                   verbose=args.verbose)
    if args.json:
        print(json.dumps(result.to_json(), indent=1))
    else:
        print(result.text, end="")
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())

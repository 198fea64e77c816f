"""`python -m benchmarks.costs [--quick]`: measured cost of BPTT vs RTRL (see refsnn.costs)."""
import sys

from refsnn.costs import main

if __name__ == "__main__":
    sys.exit(main())

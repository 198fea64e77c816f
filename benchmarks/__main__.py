"""`python -m benchmarks`: time the forward pass and BPTT of refsnn on a few network sizes.

Reports the median of repeated runs after a warm-up call (which includes compilation, reported
separately).
"""
import time

import numpy as np

from refsnn import LIFParams, Network, bptt, losses


def median_time(fn, repeats=5):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return float(np.median(times))


def main():
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    cases = [("small 100-64-10, T=50, B=32", [100, 64, 10], 50, 32, 0.05),
             ("SHD-sized 700-200r-20, T=100, B=64", [700, 200, 20], 100, 64, 0.03)]
    print(f"{'case':<40}{'first call (s)':>16}{'forward (ms)':>14}{'fwd+bptt (ms)':>15}")
    for name, sizes, T, B, density in cases:
        net = Network.init(sizes, p, recurrent=len(sizes) == 3 and sizes[1] == 200, rng=0)
        x = (np.random.default_rng(0).random((B, T, sizes[0])) < density).astype(float)
        labels = np.arange(B) % sizes[-1]

        def step():
            tr = net.simulate(x)
            bptt(net, tr, losses.max_over_time_ce(tr.readout, labels)[1])

        t0 = time.perf_counter()
        step()
        first = time.perf_counter() - t0
        fwd = median_time(lambda: net.simulate(x))
        both = median_time(step)
        print(f"{name:<40}{first:>16.2f}{fwd * 1e3:>14.1f}{both * 1e3:>15.1f}")


if __name__ == "__main__":
    main()

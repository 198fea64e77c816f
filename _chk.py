import numpy as np
from refsnn import LIFParams, Network, losses
from refsnn.grad.eprop import eprop
from benchmarks.costs import peak_memory
p = LIFParams(alpha=0.8, beta=0.9)
net = Network.init([10, 16, 2], p, recurrent=True, rng=1, gain=7.0)
for T in (20, 400, 800, 3200):
    x = (np.random.default_rng(T).random((1, T, 10)) < 0.1).astype(float)
    f = lambda: eprop(net, x, lambda n, r: r - 0.5)
    f()
    print(T, peak_memory(f))

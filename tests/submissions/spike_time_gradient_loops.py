"""A correct spike_time_gradient written with plain Python loops over the inputs in time order
(the grader's tests: a solution written differently from the library's passes)."""
import math

import numpy as np


def spike_time_gradient(t_in, w):
    n = len(t_in)
    chronological = sorted(range(n), key=lambda i: t_in[i])
    w_sum, wz_sum, causal, z_out = 0.0, 0.0, [], None
    for pos, i in enumerate(chronological):
        if math.isinf(t_in[i]):
            break                                  # this input and all later ones never spiked
        w_sum += w[i]
        wz_sum += w[i] * math.exp(t_in[i])
        causal.append(i)
        later = chronological[pos + 1] if pos + 1 < n else None
        z_next = math.inf if later is None else math.exp(t_in[later])
        if w_sum > 1 and wz_sum / (w_sum - 1) < z_next:
            z_out = wz_sum / (w_sum - 1)
            break
    dz_dw, dz_dz_in = np.zeros(n), np.zeros(n)
    for i in causal:
        dz_dw[i] = (math.exp(t_in[i]) - z_out) / (w_sum - 1)
        dz_dz_in[i] = w[i] / (w_sum - 1)
    return dz_dw, dz_dz_in

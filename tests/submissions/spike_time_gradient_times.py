"""A correct spike_time_gradient that finds the causal set in the time domain: for each prefix of
the sorted inputs, the threshold crossing t* = log(sum w e^t / (sum w - 1)), compared with the
next input's time (the grader's tests: a solution written differently passes)."""
import numpy as np


def spike_time_gradient(t_in, w):
    perm = np.argsort(t_in)
    dz_dw, dz_dz_in = np.zeros_like(w), np.zeros_like(w)
    for k in range(1, len(perm) + 1):
        members = perm[:k]
        if not np.isfinite(t_in[members[-1]]):
            break
        w_sum = w[members].sum()
        if w_sum <= 1:
            continue
        s = np.sum(w[members] * np.exp(t_in[members]))
        t_cross = np.log(s / (w_sum - 1))
        t_next = t_in[perm[k]] if k < len(perm) else np.inf
        if t_cross < t_next:
            z_out = np.exp(t_cross)
            dz_dw[members] = (np.exp(t_in[members]) - z_out) / (w_sum - 1)
            dz_dz_in[members] = w[members] / (w_sum - 1)
            break
    return dz_dw, dz_dz_in

"""A correct activity_regulariser solution written differently from the library's: the
derivative of the square written as 2 x x' with x = min(zeta - v_lower, 0) (so x' = 1 where it
acts), the mean over samples and neurons taken by np.mean of a per-entry gradient, and the
broadcast over time by np.broadcast_to."""
import numpy as np


def lower_bound_grad(S, lam, v_lower):
    B, T, M = S.shape
    x = np.minimum(np.sum(S, axis=1) - v_lower, 0.0)       # -[v_lower - zeta]_+, (B, M)
    per_entry = lam * 2.0 * x                              # d/dzeta of lam x^2
    dzeta = per_entry / per_entry.size                     # mean over the B*M terms
    return np.array(np.broadcast_to(dzeta[:, np.newaxis, :], (B, T, M)), dtype=np.float64)

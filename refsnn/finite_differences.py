r"""Finite differences: the numerical derivative the gradient-check contract measures against.

* :func:`numerical_gradient` -- central differences (2nd or 4th order) or Ridders'
  extrapolation (Numerical Recipes §5.7) of a scalar function with respect to chosen entries of
  an array, perturbed in place and restored, with stencils kept on one smooth piece of the
  function (docs/design.md §6.1);
* :func:`as_precision` -- the oracle's float type (at least float64);
* :func:`fd_key` -- a digest of everything a finite-difference gradient of
  :func:`refsnn.gradcheck.check_network` depends on (its ``fd_cache``).

Read next: refsnn/gradcheck.py, which holds the contract's checks built on these.
"""
from __future__ import annotations

import numpy as np


def numerical_gradient(f, x, indices=None, eps=1e-5, method="central4", max_halvings=12):
    """Finite-difference derivative of scalar ``f()`` with respect to entries of array ``x``.

    ``x`` is perturbed in place (``f`` must read it) and restored exactly afterwards.

    Parameters
    ----------
    f : callable () -> float, or () -> (float, signature array)
        The function. If it also returns a *signature* (an integer array naming the smooth
        piece the evaluation lies on, e.g. which side of every surrogate kink each membrane
        potential is), the step is halved (at most ``max_halvings`` times) until every point
        of the stencil lies on the piece of the centre: a difference quotient across a kink is
        not the derivative. If no step is small enough, the kink is at the point itself (a
        tie, e.g. two equal maxima), no derivative exists there and the entry is NaN.
    x : float64 ndarray
    indices : sequence of index tuples, optional
        Entries to differentiate (default: all).
    eps : float
        (Initial) step ``h``.
    method : {"central2", "central4", "ridders"}
        ``central2``: ``(f(x+h) - f(x-h)) / 2h``, error ``O(h^2)``.
        ``central4``: ``(8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h``, error ``O(h^4)``.
        ``ridders``: Ridders' extrapolation of central differences over ``h, h/1.4, ...``
        (Numerical Recipes §5.7), which extrapolates the truncation error away and returns
        the estimate with the smallest error estimate; run from ``eps``, ``eps/100`` and
        ``eps/1e4``, the best of the three is kept (about 30-60 evaluations per entry).
        Differences are always taken before weighting, so an entry with no effect gives 0.

    Returns
    -------
    ndarray of shape ``(len(indices),)``; NaN where the function has a kink at ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 ndarray (finite differences need double precision)")
    _check_fd_args(eps, method, max_halvings)
    if indices is None:
        indices = list(np.ndindex(x.shape))
    reach = 2.0 if method == "central4" else 1.0  # farthest stencil point, in units of h
    out = np.empty(len(indices))
    for k, idx in enumerate(indices):
        old = x[idx]

        def evaluate(value):
            x[idx] = value
            r = f()
            return r if isinstance(r, tuple) else (r, None)

        def diff(h):  # f(x + h) - f(x - h)
            return evaluate(old + h)[0] - evaluate(old - h)[0]

        try:
            if method == "ridders":
                out[k] = _ridders_multistart(evaluate, diff, old, eps, max_halvings)
                continue
            h = _smooth_step(evaluate, old, eps, reach, max_halvings)
            if h is None:
                out[k] = np.nan
            elif method == "central2":
                out[k] = diff(h) / (2.0 * h)
            else:
                out[k] = (8.0 * diff(h) - diff(2.0 * h)) / (12.0 * h)
        finally:
            x[idx] = old
    return out


METHODS = ("central2", "central4", "ridders")


def _positive(name, v):
    """``v`` must be a finite real scalar > 0 (Python or NumPy int or float, not bool)."""
    if not isinstance(v, (int, float, np.integer, np.floating)) or isinstance(v, (bool, np.bool_)):
        raise TypeError(f"{name} must be a real number, got {type(v).__name__}")
    if not (np.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be finite and > 0, got {v}")


def _check_fd_args(eps, method, max_halvings=12):
    """The finite-difference arguments of :func:`numerical_gradient` (and check_network)."""
    _positive("eps", eps)
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"method must be 'central2', 'central4' or 'ridders', got {method!r}")
    if not isinstance(max_halvings, (int, np.integer)) or isinstance(max_halvings, bool) \
            or max_halvings < 0:
        raise ValueError(f"max_halvings must be an int >= 0, got {max_halvings!r}")


def as_precision(precision):
    """The NumPy float type of an oracle ``precision``, or a TypeError/ValueError saying why.

    A difference quotient in a type of unit roundoff ``u`` has a cancellation error ~``u |L| /
    h``: with the oracle's steps (down to ~1e-8) only float64 and longdouble can resolve the
    1e-6 contract. Integer, complex, float16 and float32 precisions are refused.
    """
    try:
        dt = np.dtype(precision)
    except TypeError:
        dt = np.dtype(object)
    if not np.issubdtype(dt, np.floating):
        raise TypeError(f"precision must be a float type (numpy.longdouble or numpy.float64), "
                        f"got {precision!r}")
    if np.finfo(dt).eps > np.finfo(np.float64).eps:
        from .gradcheck import FD_TOL  # the contract's tolerance lives with the contract
        raise ValueError(f"precision {dt.name} is too coarse for a gradient check: its roundoff "
                         f"({np.finfo(dt).eps / 2:.0e}) swamps the {FD_TOL:.0e} contract; use "
                         "numpy.longdouble (default) or numpy.float64")
    return dt.type


def _smooth_step(evaluate, x0, h, reach, max_halvings):
    """Largest ``h / 2^k`` with ``x0 +- reach h`` on the smooth piece of ``x0``; None if none."""
    sig0 = evaluate(x0)[1]
    if sig0 is None:
        return h
    for _ in range(max_halvings + 1):
        if all(np.array_equal(evaluate(x0 + s * reach * h)[1], sig0) for s in (1.0, -1.0)):
            return h
        h = h / 2
    return None


def _ridders_multistart(evaluate, diff, x0, eps, max_halvings, starts=3, spacing=100.0):
    """Ridders from ``eps, eps/100, eps/1e4``; the estimate with the smallest error estimate.

    One start is not enough for these networks: a large step keeps cancellation small for
    entries with tiny gradients, while steep surrogates amplified over many steps need a
    step far below 1e-3 before the function looks polynomial at all.
    """
    f0 = evaluate(x0)[0]
    unit = np.finfo(f0.dtype if isinstance(f0, np.floating) else np.float64).eps
    best, best_err = np.nan, np.inf
    for s in range(starts):
        h = _smooth_step(evaluate, x0, eps / spacing ** s, 1.0, max_halvings)
        if h is None:
            continue
        value, err, h_min = _ridders(diff, h)
        # Ridders' estimate sees truncation only; add the cancellation floor of its
        # smallest step, or a start whose differences all rounded to 0 would look exact
        err = err + 10.0 * unit * max(abs(f0), 1.0) / h_min
        if err < best_err:
            best, best_err = value, err
    return best


def _ridders(diff, h, con=1.4, ntab=10, safe=2.0):
    """Ridders' extrapolation of ``diff(h) / 2h`` to ``h -> 0``: (value, error, last step)."""
    a = [[diff(h) / (2.0 * h)]]
    best, err = a[0][0], np.inf
    for i in range(1, ntab):
        h /= con
        row = [diff(h) / (2.0 * h)]
        fac = con * con
        for j in range(1, i + 1):  # Neville tableau: eliminate h^2, h^4, ...
            row.append((row[j - 1] * fac - a[i - 1][j - 1]) / (fac - 1.0))
            fac *= con * con
            e = max(abs(row[j] - row[j - 1]), abs(row[j] - a[i - 1][j - 1]))
            if e <= err:
                best, err = row[j], e
        a.append(row)
        if abs(row[i] - a[i - 1][i - 1]) >= safe * err:  # higher order got worse: stop
            break
    return best, err, h


def fd_key(net, x, loss, target, spike, eps, method, precision, binary_input, name, idx):
    """A digest of everything a finite-difference gradient of ``check_network`` depends on."""
    import hashlib
    h = hashlib.sha256()
    for a in [w for w in net.W] + [v for v in net.V if v is not None] + [x]:
        h.update(repr((a.shape, a.dtype.str)).encode())
        h.update(np.ascontiguousarray(a).tobytes())
    t = np.asarray(target)
    h.update(repr((t.shape, t.dtype.str)).encode())
    h.update(np.ascontiguousarray(t).tobytes() if t.dtype != object else repr(target).encode())
    h.update(repr((net.params, net.surrogate, net.output, [v is None for v in net.V],
                   net.readout_alpha, net.readout_beta,  # the readout's own time constants
                   getattr(loss, "__module__", ""), getattr(loss, "__qualname__", repr(loss)),
                   id(loss), spike, eps, method, np.dtype(precision).str, binary_input, name,
                   [tuple(int(k) for k in np.atleast_1d(i)) for i in idx])).encode())
    return h.hexdigest()

r"""The gradient-check contract of DESIGN §6, implemented once.

* :func:`rel_error` -- ``|a - b| / max(1e-8, |a| + |b|)`` elementwise.
* :func:`numerical_gradient` -- central finite differences of a scalar function with respect
  to chosen entries of an array (perturbed in place and restored).
* :func:`check_network` -- contract item 1: hand gradient of a network loss versus finite
  differences on the smooth model (``spike="soft"``, ``detach_reset=False``).
* :func:`compare` -- contract item 2: agreement of two independently derived gradients
  (e.g. BPTT and forward-mode) on the surrogate model.

Both return a :class:`Report` whose ``str`` is a readable table (per parameter: max relative
error, entries checked, pass/fail) and whose ``passed`` is the verdict.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: DESIGN §6.1 tolerance (soft model vs finite differences)
FD_TOL = 1e-6
#: DESIGN §6.2 tolerance (two exact derivations on the surrogate model)
AGREE_TOL = 1e-10


def rel_error(a, b):
    """Elementwise relative error ``|a-b| / max(1e-8, |a|+|b|)`` (DESIGN §6)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def max_rel_error(a, b) -> float:
    """Largest entry of :func:`rel_error` (0 for empty arrays)."""
    r = rel_error(a, b)
    return float(r.max()) if r.size else 0.0


def numerical_gradient(f, x, indices=None, eps=1e-5, order=4, max_halvings=12):
    """Finite-difference derivative of scalar ``f()`` with respect to entries of array ``x``.

    ``x`` is perturbed in place (``f`` must read it) and restored exactly afterwards.

    Parameters
    ----------
    f : callable () -> float, or () -> (float, signature array)
        The function. If it also returns a *signature* (an integer array naming the smooth
        piece the evaluation lies on, e.g. which side of every surrogate kink each membrane
        potential is), a stencil whose points do not all share one signature straddles a
        kink, where a difference quotient is not the derivative; the step is then halved
        (at most ``max_halvings`` times) until it does not. If it never does, the kink is at
        the point itself (a tie, e.g. two equal maxima), the derivative does not exist there,
        and the entry is returned as NaN.
    x : float64 ndarray
    indices : sequence of index tuples, optional
        Entries to differentiate (default: all).
    eps : float
        Initial step ``h``.
    order : {2, 4}
        2: ``(f(x+h) - f(x-h)) / 2h``; 4: ``(8 (f(x+h) - f(x-h)) - (f(x+2h) - f(x-2h))) / 12h``.
        Differences are taken before weighting, so an entry ``x`` has no effect on gives
        exactly 0.

    Returns
    -------
    ndarray of shape ``(len(indices),)``; NaN where the function has a kink at ``x``.
    """
    if not isinstance(x, np.ndarray) or x.dtype != np.float64:
        raise TypeError("x must be a float64 ndarray (finite differences need double precision)")
    if not (np.isfinite(eps) and eps > 0):
        raise ValueError(f"eps must be finite and > 0, got {eps}")
    if order not in (2, 4):
        raise ValueError(f"order must be 2 or 4, got {order}")
    if indices is None:
        indices = list(np.ndindex(x.shape))

    def evaluate(idx, value):
        x[idx] = value
        r = f()
        return r if isinstance(r, tuple) else (r, None)

    steps = (1.0,) if order == 2 else (1.0, 2.0)
    out = np.empty(len(indices))
    for k, idx in enumerate(indices):
        old = x[idx]
        h = eps
        try:
            for halving in range(max_halvings + 1):
                vals, sigs = {}, []
                for st in steps:
                    for sign in (1.0, -1.0):
                        vals[sign * st], sig = evaluate(idx, old + sign * st * h)
                        sigs.append(sig)
                smooth = sigs[0] is None or all(np.array_equal(sigs[0], sg) for sg in sigs[1:])
                if smooth or halving == max_halvings:
                    break
                h = h / 2
        finally:
            x[idx] = old
        if not smooth:
            out[k] = np.nan
            continue
        d1 = vals[1.0] - vals[-1.0]
        if order == 2:
            out[k] = d1 / (2.0 * h)
        else:
            out[k] = (8.0 * d1 - (vals[2.0] - vals[-2.0])) / (12.0 * h)
    return out


@dataclass
class Row:
    """One parameter's result: ``name``, ``max_rel_error``, entries ``checked``, ``passed``."""

    name: str
    max_rel_error: float
    checked: int
    passed: bool
    worst_index: tuple = ()
    worst_values: tuple = ()
    skipped: int = 0


@dataclass
class Report:
    """Result of a gradient check; ``str(report)`` is a table, ``report.passed`` the verdict."""

    title: str
    tol: float
    rows: list = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return bool(self.rows) and all(r.passed for r in self.rows)

    @property
    def max_rel_error(self) -> float:
        return max((r.max_rel_error for r in self.rows), default=0.0)

    def failing(self):
        """Names of the parameters that failed."""
        return [r.name for r in self.rows if not r.passed]

    def __str__(self):
        lines = [f"{self.title}  (tolerance {self.tol:.0e})",
                 f"{'parameter':<12}{'max rel error':>15}{'checked':>10}{'skipped':>9}  verdict"]
        for r in self.rows:
            verdict = "ok" if r.passed else "FAIL"
            if not r.passed and r.worst_index:
                a, b = r.worst_values
                verdict += f"  worst at {r.worst_index}: {a:.6e} vs {b:.6e}"
            elif not r.passed:
                verdict += "  (no entry could be checked)"
            lines.append(f"{r.name:<12}{r.max_rel_error:>15.2e}{r.checked:>10}{r.skipped:>9}"
                         f"  {verdict}")
        if self.skipped:
            lines.append(f"skipped: {self.skipped} entries at which the function is not "
                         "differentiable (finite differences straddle a kink at any step)")
        lines.append("PASSED" if self.passed else f"FAILED: {', '.join(self.failing())}")
        return "\n".join(lines)

    @property
    def skipped(self) -> int:
        return sum(r.skipped for r in self.rows)

    def add(self, name, a, b, index_list=None):
        """Append the row comparing arrays ``a`` and ``b`` (same shape, flat or not).

        Entries where ``b`` is NaN (no derivative exists there) are counted as skipped; a row
        with nothing left to compare fails.
        """
        a = np.asarray(a, dtype=np.float64).ravel()
        b = np.asarray(b, dtype=np.float64).ravel()
        keep = ~np.isnan(b)
        skipped = int((~keep).sum())
        if index_list is not None:
            index_list = [i for i, k in zip(index_list, keep) if k]
        a, b = a[keep], b[keep]
        err = rel_error(a, b)
        worst = int(err.argmax()) if err.size else 0
        m = float(err[worst]) if err.size else 0.0
        idx = tuple(int(i) for i in index_list[worst]) if index_list is not None and err.size \
            else ((worst,) if err.size else ())
        self.rows.append(Row(name, m, int(err.size), bool(err.size and m < self.tol), idx,
                             (float(a[worst]), float(b[worst])) if err.size else (), skipped))


def _sample_indices(shape, n_samples, rng):
    all_idx = list(np.ndindex(shape))
    if n_samples is None or n_samples >= len(all_idx):
        return all_idx
    pick = rng.choice(len(all_idx), size=n_samples, replace=False)
    return [all_idx[i] for i in sorted(pick)]


def check_network(net, x, loss, target, grad_fn=None, spike="soft", n_samples=None, eps=1e-5,
                  order=4, tol=FD_TOL, rng=0, binary_input=True, precision=np.longdouble):
    """Contract item 1: a hand gradient of ``loss(net.simulate(x).readout, target)`` vs FD.

    Parameters
    ----------
    net : Network
        Should have ``detach_reset=False`` for the gradient to be the true one.
    x : array (B, T, n_in)
    loss : callable (readout, target) -> (value, d_readout)
        e.g. :func:`refsnn.losses.max_over_time_ce`.
    target : labels or target trace, passed to ``loss``.
    grad_fn : callable (net, trace, d_readout) -> Grads
        The gradient under test; default :func:`refsnn.bptt`.
    spike : str
        ``"soft"`` (default): the smooth model, for which FD is the true derivative.
        ``"hard"`` (or ``detach_reset=True``): FD of the frozen-spike model of
        :func:`refsnn.reference.simulate` (``anchor=``), whose exact derivative at the
        recorded forward is the surrogate gradient with the reset detached as configured.
    n_samples : int, optional
        Entries checked per parameter (default all).
    eps, order : finite-difference step and stencil (see :func:`numerical_gradient`).
    precision : numpy float type
        Precision of the oracle's forward pass, the independent NumPy simulator
        :func:`refsnn.reference.simulate`. The default ``numpy.longdouble`` (extended precision
        on x86-64) keeps cancellation error ~1e-14 |L| at ``eps = 1e-5``; ``numpy.float64``
        gives ~1e-11 |L|, too coarse for small gradient entries at the 1e-6 contract.
        Stencils that cross a kink of the surrogate (``net.surrogate.kinks``) or change which
        step holds a readout maximum are shrunk (see :func:`numerical_gradient`).
    tol : float
        Pass if every checked entry has relative error below ``tol``.
    rng : Generator or int
        For the choice of sampled entries.

    Returns
    -------
    Report
    """
    from . import reference
    from .grad.bptt import bptt

    if grad_fn is None:
        grad_fn = bptt
    rng = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    trace = net.simulate(x, spike=spike, binary_input=binary_input)
    _, d_readout = loss(trace.readout, target)
    grads = grad_fn(net, trace, d_readout)

    kinks = np.array(net.surrogate.kinks)
    loss_pieces = getattr(loss, "pieces", None)
    anchor = trace if (spike == "hard" or net.params.detach_reset) else None

    def f():
        tr = reference.simulate(net, x, spike=spike, dtype=precision, binary_input=binary_input,
                                anchor=anchor)
        # which smooth piece of F each U - theta lies on (and of the loss, if it has pieces)
        pieces = [np.searchsorted(kinks, (U - net.params.threshold).ravel()) for U in tr.U]
        if loss_pieces is not None:
            pieces.append(np.ravel(loss_pieces(tr.readout)))
        return loss(tr.readout, target)[0], np.concatenate(pieces)

    model = "frozen-spike model" if anchor is not None else "smooth model"
    report = Report(f"{getattr(grad_fn, '__name__', 'gradient')} vs finite differences of the {model} "
                    f"(spike={spike}, reset={net.params.reset}, "
                    f"detach_reset={net.params.detach_reset})", tol)
    hand = dict(grads.parameters())
    for name, arr in net.parameters():
        idx = _sample_indices(arr.shape, n_samples, rng)
        num = numerical_gradient(f, arr, idx, eps=eps, order=order)
        ana = np.array([hand[name][i] for i in idx])
        report.add(name, ana, num, idx)
    return report


def compare(grads_a, grads_b, tol=AGREE_TOL, title="agreement"):
    """Contract item 2: every parameter of ``grads_a`` vs ``grads_b`` (``Grads``-like objects
    with a ``parameters()`` method, or dicts ``name -> array``)."""
    da = dict(grads_a.parameters()) if hasattr(grads_a, "parameters") else dict(grads_a)
    db = dict(grads_b.parameters()) if hasattr(grads_b, "parameters") else dict(grads_b)
    if set(da) != set(db):
        raise ValueError(f"the gradients cover different parameters: {sorted(da)} vs {sorted(db)}")
    report = Report(title, tol)
    for name in da:
        a, b = np.asarray(da[name]), np.asarray(db[name])
        if a.shape != b.shape:
            raise ValueError(f"{name}: shapes differ, {a.shape} vs {b.shape}")
        report.add(name, a, b, list(np.ndindex(a.shape)))
    return report

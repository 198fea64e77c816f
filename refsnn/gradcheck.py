r"""The gradient-check contract of docs/design.md §6, implemented once.

* :func:`rel_error` -- ``|a - b| / max(1e-8, |a| + |b|)`` elementwise.
* :func:`numerical_gradient` -- finite differences of a scalar function with respect to
  chosen entries of an array (:mod:`refsnn.finite_differences`, re-exported here).
* :func:`check_network` -- contract item 1: hand gradient of a network loss versus finite
  differences on the smooth model (``spike="soft"``, ``detach_reset=False``).
* :func:`compare` -- contract item 2: agreement of two independently derived gradients
  (e.g. BPTT and forward-mode) on the surrogate model.

Both return a :class:`Report` whose ``str`` is a readable table (per parameter: max relative
error, entries checked, pass/fail) and whose ``passed`` is the verdict.

Read next: refsnn/reference.py, the independent simulator that the finite differences evaluate.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .finite_differences import (METHODS, _check_fd_args, _positive, as_precision, fd_key,
                                 numerical_gradient)

#: docs/design.md §6.1 tolerance (soft model vs finite differences)
FD_TOL = 1e-6
#: docs/design.md §6.2 tolerance (two exact derivations on the surrogate model)
AGREE_TOL = 1e-10


def rel_error(a, b):
    """Elementwise relative error ``|a-b| / max(1e-8, |a|+|b|)`` (docs/design.md §6)."""
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    return np.abs(a - b) / np.maximum(1e-8, np.abs(a) + np.abs(b))


def max_rel_error(a, b) -> float:
    """Largest entry of :func:`rel_error` (0 for empty arrays)."""
    r = rel_error(a, b)
    return float(r.max()) if r.size else 0.0


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


def _no_predict(readout):  # a plain loss wrapped for the check predicts nothing
    raise NotImplementedError


def check_network(net, x, loss, target, grad_fn=None, spike="soft", n_samples=None, eps=1e-2,
                  method="ridders", tol=FD_TOL, rng=0, binary_input=True,
                  precision=np.longdouble, params=None, fd_cache=None):
    """Contract item 1: a hand gradient of ``loss(net.simulate(x).readout, target)`` vs FD.

    Parameters
    ----------
    net : Network
        Should have ``detach_reset=False`` for the gradient to be the true one.
    x : array (B, T, n_in)
    loss : callable (readout, target) -> (value, d_readout), or Objective
        e.g. :func:`refsnn.losses.max_over_time_ce`; a :class:`refsnn.losses.Objective` for a
        loss on spikes or with regularisers (its ``gS_ext`` goes to ``grad_fn`` as a keyword).
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
    eps, method : initial finite-difference step and method (see :func:`numerical_gradient`).
    precision : numpy float type
        At least as precise as float64 (others are refused, :func:`as_precision`).
        Precision of the oracle's forward pass, the independent NumPy simulator
        :func:`refsnn.reference.simulate`. The default ``numpy.longdouble`` (extended precision
        on x86-64) has a unit roundoff 2000 times smaller than float64, so cancellation in
        the difference quotients stays far below the 1e-6 contract even for small entries.
        Stencils that cross a kink of the surrogate (``net.surrogate.kinks``) or change which
        step holds a readout maximum are shrunk (see :func:`numerical_gradient`).
    tol : float
        Pass if every checked entry has relative error below ``tol``.
    rng : Generator or int
        For the choice of sampled entries.
    binary_input : bool
        Passed to ``net.simulate``.
    params : sequence of str, optional
        Names (as in ``net.parameters()``, e.g. ``"W[0]"``) of the parameters to check
        (default all): the exercise grader leaves out what the library computed.
    fd_cache : dict, optional
        Finite differences already computed, keyed by a digest of everything they depend on
        (weights, input, loss, target, spike mode, step, method, precision, entries): the
        exercise grader keeps one, so grading many submissions in one process evaluates the
        oracle once per network. The hand gradient is computed and compared every time.

    Every argument is checked before the forward pass runs (TypeError / ValueError naming it).

    Returns
    -------
    Report
    """
    from . import reference
    from .grad.bptt import bptt
    from .losses import Objective
    from .network import Network, as_rng, validate_input

    if not isinstance(net, Network):  # every argument is checked before anything runs
        raise TypeError(f"net must be a refsnn Network, got {type(net).__name__}")
    net.require_float64("check_network")
    names = [n for n, _ in net.parameters()]
    if params is not None and (isinstance(params, str) or not set(params) <= set(names)):
        raise ValueError(f"params must be a sequence of names among {names}, got {params!r}")
    if not callable(loss):
        raise TypeError(f"loss must be a callable (readout, target) -> (value, d_readout) or "
                        f"a refsnn.losses.Objective, got {type(loss).__name__}")
    if grad_fn is not None and not callable(grad_fn):
        raise TypeError(f"grad_fn must be None or a callable (net, trace, d_readout) -> Grads, "
                        f"got {type(grad_fn).__name__}")
    if not isinstance(spike, str) or spike not in ("hard", "soft"):
        raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
    if n_samples is not None:
        if not isinstance(n_samples, (int, np.integer)) or isinstance(n_samples, bool):
            raise TypeError(f"n_samples must be None or an int, got {type(n_samples).__name__}")
        if n_samples < 1:
            raise ValueError(f"n_samples must be >= 1 (or None for every entry), got {n_samples}")
    _check_fd_args(eps, method)
    _positive("tol", tol)
    if not isinstance(binary_input, (bool, np.bool_)):
        raise TypeError(f"binary_input must be True or False, got {binary_input!r}")
    precision = as_precision(precision)
    rng = as_rng(rng)
    binary_input = bool(binary_input)
    x = validate_input(x, net.sizes[0], binary=binary_input)
    objective = loss if isinstance(loss, Objective) else Objective(loss, predict=_no_predict)
    # a target the loss refuses is refused before the simulation: try it on a zero readout
    objective.loss(np.zeros(x.shape[:2] + (net.sizes[-1],)), target)
    trace = net.simulate(x, spike=spike, binary_input=binary_input)
    _, d_readout, gS_ext = objective(trace, target)
    if grad_fn is None:
        grads = bptt(net, trace, d_readout, gS_ext=gS_ext)
    elif gS_ext:  # a loss on spikes: only a rule that takes gS_ext can be checked on it
        grads = grad_fn(net, trace, d_readout, gS_ext=gS_ext)
    else:
        grads = grad_fn(net, trace, d_readout)

    kinks = np.array(net.surrogate.kinks)
    anchor = trace if (spike == "hard" or net.params.detach_reset) else None

    def f():
        tr = reference.simulate(net, x, spike=spike, dtype=precision, binary_input=binary_input,
                                anchor=anchor)
        # which smooth piece of F each U - theta lies on (and of the objective, if it has any)
        pieces = [np.searchsorted(kinks, (U - net.params.threshold  # U - theta[n]
                                          - (0 if tr.b is None else tr.b[l])).ravel())
                  for l, U in enumerate(tr.U)]
        pieces.append(objective.pieces(tr))
        return objective(tr, target)[0], np.concatenate(pieces)

    model = "frozen-spike model" if anchor is not None else "smooth model"
    report = Report(f"{getattr(grad_fn, '__name__', 'gradient')} vs finite differences of the {model} "
                    f"(spike={spike}, reset={net.params.reset}, "
                    f"detach_reset={net.params.detach_reset})", tol)
    hand = dict(grads.parameters())
    for name, arr in net.parameters():
        if params is not None and name not in params:
            continue
        idx = _sample_indices(arr.shape, n_samples, rng)
        key = num = None
        if fd_cache is not None:
            key = fd_key(net, x, loss, target, spike, eps, method, precision, binary_input,
                          name, idx)
            num = fd_cache.get(key)
        if num is None:
            num = numerical_gradient(f, arr, idx, eps=eps, method=method)
            if key is not None:
                fd_cache[key] = num.copy()
        else:
            num = num.copy()
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

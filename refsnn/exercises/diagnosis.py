"""Why a submission failed: the diagnosis behind the grader's hints.

In order, most specific first:

1. **A named mistake.** Each spec lists its classic mistakes (:class:`Mistake`: a NumPy
   version of the stub's function with exactly that mistake, and the hint that names it). A
   mistake whose network gradient equals the student's on *every* grading network (normwise to
   :data:`MATCH_TOL`) is the diagnosis; one that cannot run on some network (a shape error)
   does not match.
2. **Precision.** The student's gradient agrees with the library's exact one (the spec's
   :func:`reference`) to 1e-5 but not to the tolerance: float32 arithmetic.
3. **A constant factor.** Every differing block is ``c`` times the exact one, the same ``c``
   everywhere (or ``1/B`` on each network: a batch mean).
4. **The smallest group** of grading networks that holds every failure
   (:func:`refsnn.exercises.networks.pattern`), with the spec's hint for that group.

Read next: refsnn/exercises/sandbox.py, where the student's code runs.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..grad.bptt import bptt

#: a named mistake matches when its gradient equals the student's to this (normwise)
MATCH_TOL = 1e-7


@dataclass(frozen=True)
class Mistake:
    """A classic mistake: ``fn`` has the stub's signature and makes exactly this one."""

    name: str
    hint: str
    fn: object


#: hints of the two surrogate mistakes of :func:`mistaken_constants` (the same in every spec)
SURROGATE_HINTS = {
    "fprime_at_U": "F' is taken at the wrong argument: S[n] = Theta(U[n] - theta), so its "
                   "surrogate derivative is surrogate.derivative(U - theta), not "
                   "surrogate.derivative(U).",
    "superspike_fixed": "you wrote SuperSpike's derivative 1/(scale |x| + 1)^2 out by hand; the "
                        "grading networks use other surrogates too: call "
                        "surrogate.derivative(U - theta).",
}


def mistaken_constants(mistake, U, params, surrogate):
    """``(theta, a, b, F')``: the threshold, the current's and the membrane's leak and the
    surrogate slope ``F'(U - theta)`` as a submission with ``mistake`` computes them (the
    mistakes every LIF exercise shares: ``"theta_one"``, ``"swap_leaks"``,
    ``"fprime_at_U"``, ``"no_fprime"``, ``"superspike_fixed"``; anything else: correct)."""
    theta = 1.0 if mistake == "theta_one" else params.threshold
    a, b = (params.beta, params.alpha) if mistake == "swap_leaks" else (params.alpha, params.beta)
    x = U if mistake == "fprime_at_U" else U - theta
    if mistake == "no_fprime":
        return theta, a, b, np.ones_like(U)
    if mistake == "superspike_fixed":
        return theta, a, b, 1.0 / (surrogate.scale * np.abs(x) + 1.0) ** 2
    return theta, a, b, surrogate.derivative(x)


def hints(spec, student, problems, failing, group):
    """Hints for a failed run, most specific first (module docstring).

    ``student``: network index -> the student's Grads; ``problems``: ``(net, x, target)`` of
    every grading network; ``failing``: the indices of the failing ones; ``group``: the name
    of the smallest group of networks holding them (:func:`networks.pattern`).
    """
    order = sorted(failing) + [k for k in range(len(spec.NETWORKS)) if k not in failing]
    exact = {}

    def problem(k):
        net, x, target = problems[k]
        trace, d = spec.NETWORKS[k].loss_gradient(net, x, target)
        return net, trace, d

    for m in spec.MISTAKES:
        if all(matches(student[k], spec, m, problem(k)) for k in order):
            return [f"{m.hint} [{m.name}]"]
    for k in failing:
        exact[k] = reference(spec)(*problem(k))
    errs = [normwise(student[k], exact[k]) for k in failing]
    if max(errs) < 1e-5:
        tol = getattr(spec, "PRECISION_TOL", spec.TOLERANCE)
        return [f"your gradient agrees with the exact one to {max(errs):.0e} (relative, "
                f"normwise) but not to {tol:.0e}, what float64 arithmetic gives: are you "
                "computing in float32 (np.float32 arrays, astype, dtype=...)? Compute in "
                "float64 throughout."]
    factors = [factor(student[k], exact[k]) for k in failing]
    if all(c is not None for c in factors):
        B = [spec.NETWORKS[k].B for k in failing]
        if all(abs(c * b - 1) < 1e-6 for c, b in zip(factors, B)):
            return ["your gradient is exactly 1/B of the expected one (B = the batch size "
                    "of each network): the loss is summed over the batch, so sum the "
                    "weight gradients over samples, do not average them."]
        if max(factors) - min(factors) <= 1e-6 * abs(factors[0]):
            return [f"your gradient is off by a constant factor {factors[0]:.6g} on "
                    "every failing network: look for a stray factor (a sign, a 2, a "
                    "scale) applied to the whole result."]
    return [spec.GROUP_HINTS[group]]


def reference(spec):
    """The exact gradient ``(net, trace, d_readout) -> Grads`` of ``spec``'s exercise:
    ``spec.reference``, or :func:`refsnn.bptt` for a spec that declares none."""
    return getattr(spec, "reference", bptt)


def matches(grads, spec, mistake, problem):
    """``grads`` equals the network gradient of ``mistake`` on ``problem`` ``(net, trace, d)``;
    False if the mistake cannot run there (its shapes do not fit that network)."""
    try:
        theirs = spec.network_gradient(local(mistake.fn), *problem)
    except (ValueError, IndexError):
        return False
    return close(grads, theirs)


def local(fn):
    """``fn`` called in this process on copies of its array arguments (a mistake's function,
    in the place of the student's remote call)."""
    def call(*args, where=""):
        return fn(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    return call


def _pairs(a, b):
    da, db = dict(a.parameters()), dict(b.parameters())
    return [(np.asarray(da[k], dtype=float), np.asarray(db[k], dtype=float)) for k in da]


def close(a, b):
    """Every parameter of Grads ``a`` equals ``b``'s to :data:`MATCH_TOL` (normwise)."""
    return all(np.linalg.norm(x - y) <= MATCH_TOL * max(np.linalg.norm(x), np.linalg.norm(y))
               for x, y in _pairs(a, b))


def normwise(a, b):
    """Largest normwise relative difference ``|a - b| / (|a| + |b|)`` over the parameters."""
    return max(np.linalg.norm(x - y) / max(np.linalg.norm(x) + np.linalg.norm(y), 1e-300)
               for x, y in _pairs(a, b))


def factor(student, exact):
    """``c`` if the student's differing blocks are all ``c`` times the exact ones, else None."""
    cs = []
    for s, r in _pairs(student, exact):
        if np.linalg.norm(s - r) <= MATCH_TOL * np.linalg.norm(r):
            continue
        rr = float(r.ravel() @ r.ravel())
        if rr == 0.0:
            return None
        c = float(s.ravel() @ r.ravel()) / rr
        if np.linalg.norm(s - c * r) > 1e-8 * np.linalg.norm(s):
            return None
        cs.append(c)
    if not cs or max(cs) - min(cs) > 1e-6 * abs(cs[0]):
        return None
    return cs[0]

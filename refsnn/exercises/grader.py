r"""Grader of the exercises: the gradcheck contract (DESIGN §6) run on the student's function.

For ``lif_bptt`` the student's ``layer_backward`` is used for every hidden layer of a set of
small networks (:data:`CONFIGS`: one or two hidden layers, with and without ``V``, every reset
mode, ``detach_reset`` on and off, soft and hard spikes, several surrogates); the readout's
backward pass is the library's. The resulting gradient goes through
:func:`refsnn.gradcheck.check_network`, i.e. finite differences of the smooth model (soft
spikes, exact reset) or of the frozen-spike model (hard spikes or a detached reset), on every
weight entry. The verdict is that contract and nothing else.

When it fails, :func:`diagnose` looks at *which* networks and *which* parameters disagree
and finds the smallest named group of networks (:data:`GROUPS`: "reset subtract/zero with the
exact reset", "recurrent networks", "hard spikes", ...) that contains every failing one; each
group carries the hint for the mistake that breaks exactly that group (a forgotten reset term
breaks exactly the networks with an exact reset, a transposed ``V`` exactly the recurrent
ones, a wrong time index all of them).
"""
from __future__ import annotations

import importlib.util
import io
import os
import time
import traceback
from dataclasses import dataclass, field

import numpy as np

from .. import gradcheck, lif, losses
from ..grad.bptt import Grads, error_to_input, readout_adjoints, weight_gradient
from ..lif import LIFParams
from ..network import Network


START, END = "# ---- YOUR CODE START ----", "# ---- YOUR CODE END ----"


# ---------------------------------------------------------------------- the test networks
@dataclass(frozen=True)
class Config:
    """One network of the check (all tiny: every weight entry is checked)."""

    spike: str
    reset: str
    detach: bool
    recurrent: bool
    sizes: tuple = (3, 4, 2)
    surrogate: tuple = ("superspike", 5.0)
    seed: int = 3
    T: int = 15

    @property
    def layers(self) -> int:
        return len(self.sizes) - 2

    def describe(self) -> str:
        sizes = "-".join(map(str, self.sizes))
        reset = self.reset + (" detached" if self.detach and self.reset != "none" else "")
        return (f"{sizes:<8}{'V' if self.recurrent else '-':<3}{self.spike:<6}"
                f"{reset:<18}{self.surrogate[0]}")

    def summary(self) -> str:
        return (f"sizes {'-'.join(map(str, self.sizes))}, {'with' if self.recurrent else 'no'} "
                f"V, {self.spike} spikes, reset={self.reset}, detach_reset={self.detach}, "
                f"{self.surrogate[0]} surrogate")

    def build(self):
        """``(net, x, target)``: net rescaled so that |readout| <= 1, target an MSE trace."""
        p = LIFParams(alpha=0.8, beta=0.9, reset=self.reset, detach_reset=self.detach)
        net = Network.init(list(self.sizes), p, recurrent=self.recurrent,
                           surrogate=self.surrogate, rng=self.seed, gain=12.0)
        rng = np.random.default_rng(self.seed + 1)
        x = (rng.random((2, self.T, self.sizes[0])) < 0.3).astype(float)
        readout = net.simulate(x, spike=self.spike).readout
        net.W[-1] *= 1.0 / np.abs(readout).max()
        target = rng.normal(size=readout.shape)
        return net, x, target


#: The networks of the ``lif_bptt`` check, chosen so that each typical mistake breaks a
#: recognisable group of them (see GROUPS).
CONFIGS = (
    Config("soft", "subtract", False, False),
    Config("soft", "zero", False, False),
    Config("soft", "none", False, False),
    Config("soft", "subtract", False, True, surrogate=("sigmoid", 4.0)),
    Config("soft", "zero", False, True),
    Config("soft", "zero", True, True),
    Config("hard", "subtract", False, True),
    Config("hard", "subtract", True, True, surrogate=("sigmoid", 4.0)),
    Config("hard", "zero", False, False),
    Config("hard", "none", False, True),
    Config("soft", "subtract", False, True, sizes=(3, 4, 3, 2), seed=5),
)

EXACT_RESET = "fails only for reset=subtract/zero with detach_reset=False"

#: (pattern, predicate on Config) of every group of test networks. diagnose() picks the
#: smallest group that contains every failing network: each typical mistake breaks exactly
#: one of them. Each exercise attaches its own hint to every group (_with_hints).
GROUP_PATTERNS = (
    ("fails only for the two-layer network", lambda c: c.layers == 2),
    ("fails only for reset=subtract with detach_reset=False",
     lambda c: c.reset == "subtract" and not c.detach),
    ("fails only for reset=zero with detach_reset=False",
     lambda c: c.reset == "zero" and not c.detach),
    ("fails only for detach_reset=True", lambda c: c.detach and c.reset != "none"),
    ("fails only for reset=zero", lambda c: c.reset == "zero"),
    (EXACT_RESET, lambda c: c.reset != "none" and not c.detach),
    ("fails only for the soft model", lambda c: c.spike == "soft"),
    ("fails only for hard spikes", lambda c: c.spike == "hard"),
    ("fails only for the sigmoid surrogate", lambda c: c.surrogate[0] != "superspike"),
    ("fails only for recurrent networks (with V)", lambda c: c.recurrent),
    ("fails for every network (every reset mode, soft and hard spikes)",
     lambda c: True),
)


def _with_hints(hints):
    """``(pattern, predicate, hint)`` for every group, with the hints of one exercise."""
    return tuple((pattern, pred, hints[pattern]) for pattern, pred in GROUP_PATTERNS)


#: hints of the ``lif_bptt`` exercise for each group of :data:`GROUP_PATTERNS`
GROUPS = _with_hints({
    "fails only for the two-layer network":
        "only the two-layer network disagrees, so your dW and dV are right but the error you "
        "send down is not: gS_in[n] = W^T gI[n+1] (gI[:, n+1] @ W in batch form) and "
        "gS_in[T-1] = 0. The one-layer networks never use gS_in.",
    "fails only for reset=subtract with detach_reset=False":
        "the subtract reset U[n+1] = ... - theta S[n] puts dU[n+1]/dS[n] gU[n+1] = "
        "-theta gU[n+1] into gS[n]: check it is there, its sign, and that it uses gU[n+1].",
    "fails only for reset=zero with detach_reset=False":
        "the zero reset U[n+1] = (beta U[n] + I[n]) (1 - S[n]) puts the reset term "
        "dU[n+1]/dS[n] gU[n+1] = -(beta U[n] + I[n]) gU[n+1] into gS[n].",
    "fails only for detach_reset=True":
        "with detach_reset=True the reset carries no gradient: leave the dU[n+1]/dS[n] term "
        "out of gS[n] (but keep the (1 - S[n]) factors of the zero reset).",
    "fails only for reset=zero":
        "check the (1 - S[n]) factors of the zero reset: dU[n+1]/dU[n] = beta (1 - S[n]) and "
        "dU[n+1]/dI[n] = 1 - S[n]; they stay with detach_reset=True.",
    EXACT_RESET:
        "the reset term dU[n+1]/dS[n] gU[n+1] of gS[n] is missing or wrong: -theta gU[n+1] "
        "for reset='subtract', -(beta U[n] + I[n]) gU[n+1] for reset='zero', nothing when "
        "params.detach_reset is True.",
    "fails only for the soft model":
        "in the soft model S[n] = F(U[n] - theta) is not 0/1: use S itself (never a "
        "thresholded copy such as S > 0) and take F' from surrogate.derivative(U - theta).",
    "fails only for hard spikes":
        "with hard spikes S is 0/1, so nothing computed from S can stand in for dS/dU: the "
        "surrogate derivative is surrogate.derivative(U[n] - theta).",
    "fails only for the sigmoid surrogate":
        "use surrogate.derivative(U - theta) rather than the formula of one surrogate.",
    "fails only for recurrent networks (with V)":
        "your V gradient disagrees, and W with it: did you include V^T gI[n+1] in gS[n]? In "
        "batch form it is gI[:, n+1] @ V (not @ V.T: V is (post, pre)).",
    "fails for every network (every reset mode, soft and hard spikes)":
        "every entry is off: check the one-step delay: I[n+1] depends on S_in[n] (and S[n]), "
        "so dW = sum_n gI[n+1] S_in[n]^T pairs gI[:, 1:] with S_in[:, :-1]. Then the recursion: "
        "gU[n] needs F'(U[n] - theta) of the same step as gS[n] and gU[n+1] of the next; "
        "gI[n] = alpha gI[n+1] + dU[n+1]/dI[n] gU[n+1] (alpha for the current, beta for the "
        "membrane).",
})

#: hints by which *kind* of weight disagrees (they override the group's hint)
ONLY_DV = ("only your dV disagrees (dW agrees, so your gI recursion is right): "
           "dV = sum_n gI[n+1] S[n]^T, post x pre, the layer's own spikes one step before the "
           "current they drive.")
ONLY_DW = ("only your dW disagrees (dV agrees, so your gI recursion is right): check the "
           "one-step delay: I[n+1] depends on S_in[n], so dW = sum_n gI[n+1] S_in[n]^T pairs "
           "gI[:, 1:] with S_in[:, :-1].")


# ---------------------------------------------------------------------- the student's file
class NotImplementedYet(Exception):
    """The student's function still raises NotImplementedError."""


class StudentError(Exception):
    """The student's function crashed or returned something unusable; ``hints`` explain."""

    def __init__(self, message, hints=()):
        super().__init__(message)
        self.hints = list(hints)


def load_function(path, name):
    """Import ``name`` from the Python file ``path``; StudentError with a readable message."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise StudentError(f"no such file: {path}")
    mod_name = f"_refsnn_student_{abs(hash(path))}"
    spec = importlib.util.spec_from_file_location(mod_name, path)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        raise StudentError(f"{path} does not compile: {exc.msg} (line {exc.lineno})") from None
    except Exception as exc:  # an import in the student's file failed, etc.
        raise StudentError(f"importing {path} failed: {_where(exc, path)}") from None
    fn = getattr(module, name, None)
    if not callable(fn):
        raise StudentError(f"{path} defines no function {name}(...)")
    return fn


def _where(exc, path):
    """``Type: message`` and the last line of the student's file in the traceback."""
    msg = f"{type(exc).__name__}: {exc}"
    frames = [f for f in traceback.extract_tb(exc.__traceback__)
              if os.path.abspath(f.filename) == path]
    if frames:
        f = frames[-1]
        msg += f"\n    at line {f.lineno} of {os.path.basename(path)}: {f.line}"
    return msg


# ---------------------------------------------------------------------- the network gradient
def _check_output(out, name, l, shapes):
    if not isinstance(out, tuple) or len(out) != 3:
        raise StudentError(f"{name} must return the tuple (dW, dV, gS_in), got "
                           f"{type(out).__name__}" + (f" of length {len(out)}"
                                                      if isinstance(out, tuple) else ""))
    result = []
    for label, value, shape in zip(("dW", "dV", "gS_in"), out, shapes):
        where = f"{label} of hidden layer {l + 1}"
        if shape is None:
            if value is not None:
                raise StudentError(f"{where}: V is None (no recurrence), so dV must be None")
            result.append(None)
            continue
        if value is None:
            raise StudentError(f"{where} is None" + (", but the layer has a recurrent V"
                                                     if label == "dV" else ""))
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape:
            hints = []
            if arr.shape == shape[::-1]:
                hints.append(f"{label} is transposed: weights are (post, pre), so "
                             f"d{label[1:]} = sum_n gI[n+1] {'S_in' if label == 'dW' else 'S'}"
                             f"[n]^T has shape {shape}")
            raise StudentError(f"{where} has shape {arr.shape}, expected {shape}", hints)
        if not np.all(np.isfinite(arr)):
            raise StudentError(f"{where} contains NaN or inf")
        result.append(arr)
    return result


def wrap(student_fn, name="layer_backward", path=""):
    """Turn a one-layer ``layer_backward`` into a network gradient ``(net, trace, d) -> Grads``.

    The student's function gets copies of the trace (it may scribble on them) and is called for
    every hidden layer from the top down, each layer's ``gS_in`` becoming the ``gS_ext`` of the
    layer below; the readout's gradient is the library's.
    """
    def grad_fn(net, trace, d_readout):
        L = net.n_hidden_layers
        gW, gV = [None] * (L + 1), [None] * L
        gI_o = readout_adjoints(net, trace, d_readout)
        gW[L] = weight_gradient(gI_o, trace.S[L - 1])
        gS_ext = error_to_input(gI_o, net.W[L])
        for l in range(L - 1, -1, -1):
            S_in = trace.S[l - 1] if l > 0 else trace.x
            V = net.V[l]
            args = [a.copy() for a in (trace.I[l], trace.U[l], trace.S[l], S_in, net.W[l])]
            args += [None if V is None else V.copy(), net.params, net.surrogate, gS_ext.copy()]
            try:
                out = student_fn(*args)
            except NotImplementedError:
                raise NotImplementedYet() from None
            except Exception as exc:
                hints = []
                if isinstance(exc, ValueError) and any(
                        k in str(exc) for k in ("matmul", "shape", "broadcast", "align")):
                    hints.append("a shape error next to a weight usually means a transposed "
                                 "weight. W is (N, N_in) = (post, pre) and V is (N, N); in "
                                 "batch form W^T gI[n+1] is gI[:, n+1] @ W (shape (B, N_in)) "
                                 "and V^T gI[n+1] is gI[:, n+1] @ V.")
                if isinstance(exc, IndexError):
                    hints.append("an index error in the time loop: arrays have T steps "
                                 "0..T-1, and gI[T] = gU[T] = 0 is the value *after* the "
                                 "last step (allocate T + 1 steps or treat n = T-1 apart).")
                raise StudentError(f"{name} raised {_where(exc, path)}", hints) from None
            dW, dV, gS = _check_output(out, name, l, (net.W[l].shape,
                                                      None if V is None else V.shape,
                                                      S_in.shape))
            gW[l], gV[l] = dW, dV
            gS_ext = np.ascontiguousarray(gS)
        return Grads(W=gW, V=gV)

    grad_fn.__name__ = name
    return grad_fn


# ---------------------------------------------------------------------- grading
def param_label(pname, layers):
    """``W[0]`` -> ``W1`` (hidden layer 1), ``W[L]`` -> ``Wout``, ``V[0]`` -> ``V1``."""
    kind, l = pname[0], int(pname[2:-1])
    if kind == "W" and l == layers:
        return "Wout"
    return f"{kind}{l + 1}"


COLUMNS = ("W1", "V1", "W2", "V2", "Wout")
PARAM_NAMES = {"W1": "your dW, hidden layer 1", "V1": "your dV, hidden layer 1",
               "W2": "your dW, hidden layer 2", "V2": "your dV, hidden layer 2",
               "Wout": "readout, the library's"}


@dataclass
class Result:
    """Outcome of a grading run; ``status`` in passed / failed / not_implemented / error."""

    status: str
    text: str
    reports: list = field(default_factory=list)
    failing: dict = field(default_factory=dict)
    hints: list = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"


def diagnose(configs, failing, groups=None, names=None, kind_hints=True):
    """Lines of diagnosis from the pattern of failures.

    ``failing`` maps the index of each failing config to the set of parameter labels
    (``W1``, ``V1``, ...) that disagree there. ``groups`` and ``names`` default to the
    ``lif_bptt`` ones (:data:`GROUPS`, :data:`PARAM_NAMES`); ``kind_hints`` enables the
    "only dV / only dW" hints of ``lif_bptt``.
    """
    groups = GROUPS if groups is None else groups
    names = PARAM_NAMES if names is None else names
    bad = [configs[i] for i in failing]
    counts = {}
    for labels in failing.values():
        for lab in labels:
            counts[lab] = counts.get(lab, 0) + 1
    lines = ["disagreeing parameters: " + ", ".join(
        f"{c} ({names[c]}) in {counts[c]} network(s)" for c in COLUMNS if c in counts)]
    size, pattern, hint = min(((sum(map(pred, configs)), name, hint)
                               for name, pred, hint in groups if all(map(pred, bad))),
                              key=lambda t: t[0])
    if pattern == EXACT_RESET and len(bad) < size:
        pattern = "fails only for some networks with reset=subtract/zero, detach_reset=False"
    kinds = {lab[0] for lab in counts} if kind_hints else set()
    if kinds == {"V"}:
        hint = ONLY_DV
    elif kinds == {"W"} and any(configs[i].recurrent for i in failing):
        hint = ONLY_DW
    lines.append(f"pattern: {pattern} ({len(bad)} of {len(configs)} networks)")
    lines.append(f"hint: {hint}")
    return lines


def _error(out, finish, exc, k, cfg):
    print(f"\nERROR on network {k + 1} ({cfg.summary()}):\n  {exc}",
          file=out)
    for h in exc.hints:
        print(f"hint: {h}", file=out)
    return finish("error", hints=exc.hints)


def _record(out, k, cfg, rep, reports, failing, verbose):
    """Print network ``k``'s row of the grading table; note its failing parameters."""
    reports.append(rep)
    errs = {param_label(r.name, cfg.layers): r for r in rep.rows}
    cells = "".join(f"{errs[c].max_rel_error:>10.1e}" if c in errs else f"{'-':>10}"
                    for c in COLUMNS)
    print(f"{k + 1:>2}  {cfg.describe():<46}{cells}  {'ok' if rep.passed else 'FAIL'}",
          file=out)
    if not rep.passed:
        failing[k] = {param_label(r.name, cfg.layers) for r in rep.rows if not r.passed}
    if verbose:
        print(rep, file=out)


class _Grading:
    """One grading run: the report text (``out``), the student's function loaded from ``path``
    (or given as ``fn``; ``None`` after a load error, which is already printed) and
    ``finish(status)``, which closes the report into a :class:`Result`."""

    def __init__(self, exercise, name, path, fn):
        self.t0 = time.perf_counter()
        self.out = io.StringIO()
        if fn is None:
            self.path = os.path.abspath(path)
            source = self.path
        else:
            self.path = os.path.abspath(getattr(getattr(fn, "__code__", None), "co_filename", ""))
            source = f"{fn.__module__}.{fn.__qualname__}"
        self.source = source
        self.exercise, self.name = exercise, name
        print(f"{exercise}: grading {name} from {source}", file=self.out)
        self.fn = fn
        if fn is None:
            try:
                self.fn = load_function(self.path, name)
            except StudentError as exc:
                print(f"ERROR: {exc}", file=self.out)

    def finish(self, status, **kw):
        res = Result(status, "", **kw)
        res.seconds = time.perf_counter() - self.t0
        print(f"({res.seconds:.1f} s)", file=self.out)
        res.text = self.out.getvalue()
        return res

    def grade(self, configs, first, check, title, footnote, oracle, hints, verbose):
        """The whole run: :meth:`first_call` on ``configs[0]``, the :meth:`table` of
        ``check(k, cfg)`` over ``configs``, and the :meth:`verdict`."""
        stop = self.first_call(first, configs[0])
        if stop is not None:
            return stop
        reports, failing, stop = self.table(title, configs, check, verbose)
        if stop is not None:
            return stop
        return self.verdict(configs, reports, failing, footnote, oracle, hints)

    def first_call(self, call, cfg):
        """Call the student's function once before the table, on network ``cfg``: a stub or a
        crash gets a message, not a half table. Returns the :class:`Result` to stop with, or
        None to go on."""
        try:
            call()
        except NotImplementedYet:
            print(f"NOT IMPLEMENTED YET: {self.name} in {self.source} still raises "
                  f"NotImplementedError.\nWrite your code between the markers\n    {START}\n    "
                  f"{END}\n(the task is in the file's docstring, or run `python -m "
                  f"refsnn.exercises show {self.exercise}`).", file=self.out)
            return self.finish("not_implemented")
        except StudentError as exc:
            return _error(self.out, self.finish, exc, 0, cfg)
        return None

    def table(self, title, configs, check, verbose):
        """Print ``title`` and one row per network, ``check(k, cfg)`` giving the report of
        network ``k``.

        Returns ``(reports, failing, None)``, or ``(None, None, result)`` when the student's
        function raised on a network (the run stops there with ``result``).
        """
        print(title, file=self.out)
        print(f"{'#':>2}  {'sizes':<8}{'V':<3}{'spike':<6}{'reset':<18}{'surrogate':<11}"
              + "".join(f"{c:>10}" for c in COLUMNS) + "  verdict", file=self.out)
        reports, failing = [], {}
        for k, cfg in enumerate(configs):
            try:
                rep = check(k, cfg)
            except (NotImplementedYet, StudentError) as exc:
                if isinstance(exc, NotImplementedYet):  # raised only for some networks
                    exc = StudentError(f"{self.name} raised NotImplementedError")
                return None, None, _error(self.out, self.finish, exc, k, cfg)
            _record(self.out, k, cfg, rep, reports, failing, verbose)
        return reports, failing, None

    def verdict(self, configs, reports, failing, footnote, oracle, hints):
        """Close the run: ``footnote``, then PASSED, or FAILED with ``hints(failing)`` and the first
        failing network's report entry by entry. ``oracle`` names what was compared with."""
        out = self.out
        print(footnote, file=out)
        if not failing:
            worst = max(r.max_rel_error for r in reports)
            print(f"PASSED: all {len(configs)} networks agree with {oracle} (max relative "
                  f"error {worst:.1e}).", file=out)
            return self.finish("passed", reports=reports)
        print(f"FAILED: {len(failing)} of {len(configs)} networks disagree with {oracle}.",
              file=out)
        hints = hints(failing)
        for line in hints:
            print(line, file=out)
        first = min(failing)
        print(f"\nfirst failing network ({first + 1}) entry by entry, in the library's names "
              "(W[0] = W1, V[0] = V1, the last W = Wout):", file=out)
        print(reports[first], file=out)
        return self.finish("failed", reports=reports, failing=failing, hints=hints)


def grade_lif_bptt(path=None, name="layer_backward", configs=CONFIGS, verbose=False, fn=None):
    """Grade the function ``name`` of the file ``path`` (or the callable ``fn``).

    Returns a :class:`Result`; ``result.text`` is what ``python -m refsnn.exercises check``
    prints.
    """
    run = _Grading("lif_bptt", name, path, fn)
    if run.fn is None:
        return run.finish("error")
    grad_fn = wrap(run.fn, name, run.path)

    def first():
        net, x, target = configs[0].build()
        trace = net.simulate(x, spike=configs[0].spike)
        grad_fn(net, trace, losses.mse(trace.readout, target)[1])

    def check(k, cfg):
        net, x, target = cfg.build()
        return gradcheck.check_network(net, x, losses.mse, target, grad_fn=grad_fn,
                                       spike=cfg.spike)

    return run.grade(
        configs, first, check,
        f"Your {name} for every hidden layer (the readout's gradient is the library's) "
        f"vs finite differences,\nevery weight entry, max relative error per parameter "
        f"(tolerance {gradcheck.FD_TOL:.0e}):",
        "(W1, V1 / W2, V2: your dW, dV of hidden layer 1 / 2; Wout: the readout, computed by "
        "the library)", "finite differences", lambda failing: diagnose(configs, failing),
        verbose)


# ====================================================================== rtrl_step
#: The networks of the ``rtrl_step`` check (hard spikes: DESIGN §6.2's contract; two soft).
RTRL_CONFIGS = (
    Config("hard", "subtract", False, True),
    Config("hard", "subtract", True, True, surrogate=("sigmoid", 4.0)),
    Config("hard", "zero", False, False),
    Config("hard", "zero", True, True),
    Config("hard", "none", False, True),
    Config("hard", "none", False, False, surrogate=("sigmoid", 4.0)),
    Config("soft", "subtract", False, False),
    Config("soft", "zero", False, True),
    Config("hard", "subtract", False, True, sizes=(3, 4, 3, 2), seed=5),
)

RTRL_PARAM_NAMES = {"W1": "dW, hidden layer 1", "V1": "dV, hidden layer 1",
                    "W2": "dW, hidden layer 2", "V2": "dV, hidden layer 2",
                    "Wout": "readout W"}

SOURCE_HINT = ("the source term: entry (i, j) of the layer's own W acts directly on neuron i "
               "only, with the presynaptic activity j of the same step: dI_k[n+1] gets "
               "delta_ik source_j[n]. In the (B, A, C, N) layout: for each i, "
               "dI_next[:, i, :, i] += source (not added to every neuron k).")
DELAY_HINT = ("the one-step delay: U[n+1] = beta U[n] + I[n] - ... uses the current of step n, "
              "so dU[n+1] = beta dU[n] + dI[n] + ... takes the *old* dI (your argument dI), "
              "not the dI[n+1] you compute beside it.")
LEAK_HINT = ("the leaks: dI[n+1] = alpha dI[n] + ... (the current decays with alpha) and "
             "dU[n+1] = beta dU[n] + dI[n] + ... (the membrane with beta).")

#: hints of the ``rtrl_step`` exercise for each group of :data:`GROUP_PATTERNS`
RTRL_GROUPS = _with_hints({
    "fails only for the two-layer network":
        "only the two-layer network disagrees, the only one where a block's sensitivity passes "
        "through a layer: the term sum_k' W_kk' dS_in_k'[n] of dI[n+1] is missing or wrong "
        "(dS_in @ W.T in the (B, A, C, N) layout, W is (post, pre)).",
    "fails only for reset=subtract with detach_reset=False":
        "the subtract reset U[n+1] = ... - theta S[n] puts -theta dS[n] into dU[n+1], with "
        "dS[n] = F'(U[n] - theta) dU[n] (the old dU, of step n).",
    "fails only for reset=zero with detach_reset=False":
        "the zero reset U[n+1] = (beta U[n] + I[n]) (1 - S[n]) puts -(beta U[n] + I[n]) dS[n] "
        "into dU[n+1], with dS[n] = F'(U[n] - theta) dU[n].",
    "fails only for detach_reset=True":
        "with detach_reset=True the reset carries no gradient: leave the dS[n] terms out of "
        "dU[n+1] (but keep the (1 - S[n]) factor of the zero reset).",
    "fails only for reset=zero":
        "the zero reset multiplies (beta dU[n] + dI[n]) by (1 - S[n]); the factor stays with "
        "detach_reset=True.",
    EXACT_RESET:
        "the reset term of dU[n+1] is missing or wrong: -theta dS[n] for reset='subtract', "
        "-(beta U[n] + I[n]) dS[n] for reset='zero', nothing when params.detach_reset is True "
        "(dS[n] = F'(U[n] - theta) dU[n]).",
    "fails only for the soft model":
        "in the soft model S[n] = F(U[n] - theta) is not 0/1: use S itself in (1 - S[n]) and "
        "F' = surrogate.derivative(U - theta) for dS.",
    "fails only for hard spikes":
        "with hard spikes S is 0/1, so nothing computed from S can stand in for dS/dU: "
        "dS[n] = surrogate.derivative(U[n] - theta) dU[n].",
    "fails only for the sigmoid surrogate":
        "use surrogate.derivative(U - theta) rather than the formula of one surrogate.",
    "fails only for recurrent networks (with V)":
        "the recurrent term sum_k' V_kk' dS_k'[n] of dI[n+1] is missing or transposed: "
        "ds @ V.T in the (B, A, C, N) layout (V is (post, pre): the sensitivity of neuron k is "
        "propagated through k's own incoming weights V[k, :]).",
    "fails for every network (every reset mode, soft and hard spikes)":
        "every network is off: check the source term delta_ik source_j[n], the one-step delay "
        "(dU[n+1] takes the old dI[n]) and the leaks (alpha for I, beta for U).",
})


def _rtrl_check_output(out, name, shape, where):
    if not isinstance(out, tuple) or len(out) != 2:
        raise StudentError(f"{name} must return the tuple (dI_next, dU_next), got "
                           f"{type(out).__name__}" + (f" of length {len(out)}"
                                                      if isinstance(out, tuple) else ""))
    result = []
    for label, value in zip(("dI_next", "dU_next"), out):
        if value is None:
            raise StudentError(f"{label} is None ({where})")
        arr = np.asarray(value, dtype=np.float64)
        if arr.shape != shape:
            raise StudentError(f"{label} has shape {arr.shape}, expected {shape} = (B, A, C, N)"
                               f" ({where})", ["return arrays of the shape of dI and dU: "
                                               "(batch, block rows, block columns, neurons)"])
        if not np.all(np.isfinite(arr)):
            raise StudentError(f"{label} contains NaN or inf ({where})")
        result.append(arr)
    return result


def _readout_sens_step(dI, dU, dS_in, W, alpha, beta, source):
    """The library's readout (no spikes, no reset) in the (B, A, C, N) layout."""
    dU_next = beta * dU + dI
    dI_next = alpha * dI + dS_in @ W.T
    if source is not None:
        for i in range(dI.shape[1]):
            dI_next[:, i, :, i] += source
    return dI_next, dU_next


def rtrl_wrap(student_fn, name="rtrl_step", path=""):
    """Turn a one-step ``rtrl_step`` into a network gradient ``(net, trace, d) -> Grads``.

    A forward-mode loop over the recorded trace: for every parameter block (``W`` of every
    layer including the readout, ``V`` of every recurrent layer) the sensitivities of every
    layer at or above the block's own layer are advanced step by step, the hidden layers by
    the student's function (with copies of everything), the readout by the library's
    equations; the gradient accumulates ``dL/dU_o[n] . dU_o[n]`` online.
    """
    def grad_fn(net, trace, d_readout):
        p, sg = net.params, net.surrogate
        L = net.n_hidden_layers
        B, T, _ = trace.x.shape
        sizes = net.sizes
        d = np.asarray(d_readout, dtype=np.float64)
        blocks = [("W", m) for m in range(L + 1)]
        blocks += [("V", m) for m in range(L) if net.V[m] is not None]
        sens, grads = {}, {}
        for kind, m in blocks:
            A, C = (net.W[m] if kind == "W" else net.V[m]).shape
            sens[(kind, m)] = {l: (np.zeros((B, A, C, sizes[l + 1])),
                                   np.zeros((B, A, C, sizes[l + 1]))) for l in range(m, L + 1)}
            grads[(kind, m)] = np.zeros((A, C))
        for n in range(T):
            for blk in blocks:  # the loss reads U_o[n]
                grads[blk] += np.einsum("bk,bijk->ij", d[:, n], sens[blk][L][1])
            if n + 1 == T:
                break
            for kind, m in blocks:
                old = sens[(kind, m)]
                new = {}
                for l in range(m, L + 1):
                    dI, dU = old[l]
                    A, C = dI.shape[1:3]
                    if l - 1 >= m:  # the input of layer l depends on the block
                        sp = sg.derivative(trace.U[l - 1][:, n] - p.threshold)
                        dS_in = sp[:, None, None, :] * old[l - 1][1]
                    else:
                        dS_in = np.zeros((B, A, C, sizes[l]))
                    source = None
                    if l == m:
                        if kind == "V":
                            source = trace.S[l][:, n]
                        else:
                            source = trace.S[l - 1][:, n] if l > 0 else trace.x[:, n]
                    if l == L:
                        new[l] = _readout_sens_step(dI, dU, dS_in, net.W[L], p.alpha, p.beta,
                                                    source)
                        continue
                    V = net.V[l]
                    args = [a.copy() for a in (dI, dU, dS_in, trace.I[l][:, n],
                                               trace.U[l][:, n], trace.S[l][:, n], net.W[l])]
                    args += [None if V is None else V.copy(), p, sg,
                             None if source is None else np.array(source, dtype=np.float64)]
                    try:
                        out = student_fn(*args)
                    except NotImplementedError:
                        raise NotImplementedYet() from None
                    except Exception as exc:
                        hints = []
                        if isinstance(exc, ValueError) and any(
                                k in str(exc) for k in ("matmul", "shape", "broadcast",
                                                        "align")):
                            hints.append("a shape error next to a weight usually means a "
                                         "transposed weight: in the (B, A, C, N) layout "
                                         "sum_k' W_kk' dS_in_k' is dS_in @ W.T and "
                                         "sum_k' V_kk' dS_k' is ds @ V.T; the state I, U, S "
                                         "is (B, N): broadcast it as X[:, None, None, :].")
                        raise StudentError(f"{name} raised {_where(exc, path)}", hints) \
                            from None
                    where = (f"hidden layer {l + 1}, block {kind}{m + 1 if m < L else 'out'}"
                             f", step {n}")
                    new[l] = tuple(_rtrl_check_output(out, name, dI.shape, where))
                sens[(kind, m)] = new
        return Grads(W=[grads[("W", m)] for m in range(L + 1)],
                     V=[grads[("V", m)] if net.V[m] is not None else None for m in range(L)])

    grad_fn.__name__ = name
    return grad_fn


def rtrl_probes(fn):
    """Hints from calling ``fn`` on two hand-made single steps with known answers.

    1. Zero sensitivities and a source: the answer is ``dI_next[:, i, j, k] = delta_ik
       source_j``, ``dU_next = 0`` (the source acts on the current only, and on neuron ``i``).
    2. Random ``dI, dU``, nothing else (no ``V``, no reset, no source): ``dI_next = alpha dI``,
       ``dU_next = beta dU + dI`` (the old ``dI``).
    Returns a list of hints (empty if both answers are right or the function crashes).
    """
    from ..lif import LIFParams
    from ..surrogate import Surrogate

    rng = np.random.default_rng(11)
    p = LIFParams(alpha=0.8, beta=0.9, reset="none", detach_reset=False)
    sg = Surrogate("superspike", 5.0)
    B, N, N_in = 2, 3, 2
    I, U = rng.normal(size=(B, N)), 0.5 * rng.random((B, N))
    S = np.zeros((B, N))
    W = rng.normal(size=(N, N_in))
    hints = []
    try:
        src = rng.random((B, N_in)) + 0.5
        zeros = np.zeros((B, N, N_in, N))
        dI1, dU1 = (np.asarray(a, dtype=float) for a in fn(
            zeros.copy(), zeros.copy(), np.zeros((B, N, N_in, N_in)), I.copy(), U.copy(),
            S.copy(), W.copy(), None, p, sg, src.copy()))
        want = np.zeros((B, N, N_in, N))
        for i in range(N):
            want[:, i, :, i] = src
        if dI1.shape != want.shape or not np.allclose(dI1, want):
            hints.append(SOURCE_HINT)
        if dU1.shape == want.shape and not np.allclose(dU1, 0.0):
            hints.append(DELAY_HINT)
        dI, dU = rng.normal(size=(B, N, N_in, N)), rng.normal(size=(B, N, N_in, N))
        dI2, dU2 = (np.asarray(a, dtype=float) for a in fn(
            dI.copy(), dU.copy(), np.zeros((B, N, N_in, N_in)), I.copy(), U.copy(), S.copy(),
            W.copy(), None, p, sg, None))
        if dU2.shape == dU.shape and not np.allclose(dU2, p.beta * dU + dI):
            if np.allclose(dU2, p.beta * dU + p.alpha * dI) and DELAY_HINT not in hints:
                hints.append(DELAY_HINT)
            elif DELAY_HINT not in hints:
                hints.append(LEAK_HINT)
        elif dI2.shape == dI.shape and not np.allclose(dI2, p.alpha * dI):
            hints.append(LEAK_HINT)
    except Exception:  # noqa: BLE001 -- the table already says what is wrong
        pass
    return hints


def grade_rtrl_step(path=None, name="rtrl_step", configs=RTRL_CONFIGS, verbose=False,
                    fn=None):
    """Grade the function ``name`` of the file ``path`` (or the callable ``fn``): its
    forward-mode gradient vs :func:`refsnn.bptt` on every network, to
    :data:`refsnn.gradcheck.AGREE_TOL`. Returns a :class:`Result`."""
    from ..grad.bptt import bptt

    run = _Grading("rtrl_step", name, path, fn)
    if run.fn is None:
        return run.finish("error")
    grad_fn = rtrl_wrap(run.fn, name, run.path)

    def problem(cfg):
        net, x, target = cfg.build()
        trace = net.simulate(x, spike=cfg.spike)
        return net, trace, losses.mse(trace.readout, target)[1]

    def check(k, cfg):
        net, trace, d = problem(cfg)
        return gradcheck.compare(grad_fn(net, trace, d), bptt(net, trace, d),
                                 tol=gradcheck.AGREE_TOL,
                                 title=f"rtrl_step vs bptt, network {k + 1}")

    def hints(failing):
        out = diagnose(configs, failing, groups=RTRL_GROUPS, names=RTRL_PARAM_NAMES,
                       kind_hints=False)
        return out + [f"hint (from a single step with a known answer): {h}"
                      for h in rtrl_probes(run.fn)]

    return run.grade(
        configs, lambda: grad_fn(*problem(configs[0])), check,
        f"Your {name} in a forward-mode (RTRL) loop for every hidden layer and parameter "
        f"block vs refsnn.bptt,\nevery weight entry, max relative error per parameter "
        f"(tolerance {gradcheck.AGREE_TOL:.0e}):",
        "(W1, V1 / W2, V2: the gradient of hidden layer 1 / 2's weights, Wout: the readout's; "
        "all use your step in the hidden layers)", "BPTT", hints, verbose)

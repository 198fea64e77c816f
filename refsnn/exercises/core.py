"""The grading core: load, isolate, run, compare, diagnose, report.

An exercise is a *spec*: a module (:mod:`refsnn.exercises.lif_bptt`,
:mod:`refsnn.exercises.rtrl_step`) that declares

* ``NAME``, ``FUNCTION``, ``SUMMARY``, ``STUB``: what the student writes and where the stub is;
* ``PARAMETERS`` and ``OUTPUTS``: the stub function's signature and what it returns;
* ``NETWORKS``: the grading networks (:class:`refsnn.exercises.networks.Net`);
* ``network_gradient(call, net, trace, d_readout)``: the network's gradient with the student's
  function (``call``) in every place it belongs, and ``expected(args)``: the label and shape
  of each output of one call;
* ``check(grad_fn, cfg, net, x, target)``: the comparison that decides the verdict (finite
  differences or an independent method, :mod:`refsnn.gradcheck`), returning a Report;
* ``MISTAKES`` (:class:`~refsnn.exercises.diagnosis.Mistake`, each a NumPy implementation of one classic mistake with the
  hint that names it), ``GROUP_HINTS`` (a hint per group of :data:`networks.GROUPS`) and
  ``EXCEPTION_HINTS`` (a hint for a shape error, an index error); optionally ``reference``
  (the exact gradient the hints measure against, default :func:`refsnn.bptt`), ``GROUPS``
  (default :data:`networks.GROUPS`), ``COLUMNS`` (default :data:`COLUMNS`) and ``HEADER``
  (default :data:`HEADER`). A grading case need not be a ``Net``: anything with ``problem()``,
  ``loss_gradient()``, ``describe()``, ``summary()``, ``layers`` and ``B`` will do
  (:mod:`refsnn.exercises.spike_time_gradient` grades networks of spike-time neurons).

:class:`Grading` runs a spec on a file. The file is checked without running it
(:func:`static_check`: it exists, is Python, compiles and imports nothing of refsnn's but the
argument types), then imported and called only inside a child process
(:mod:`refsnn.exercises.sandbox`); the reference gradients, the comparison, the diagnosis and
the report are computed here, in the grader's process.

Verdicts and exit codes of ``python -m refsnn.exercises check``:

======================  ====  ==========================================================
status                  exit  meaning
======================  ====  ==========================================================
``passed``              0     every grading network agrees with the oracle
``failed``              1     the function ran and is wrong, returned something unusable,
                              raised, exited, crashed, timed out or borrowed refsnn's code
``not_implemented``     1     the function still raises NotImplementedError
``error``               2     the file could not be graded: missing, a directory, not
                              Python, does not compile or import, no such function
======================  ====  ==========================================================

When a run fails, :func:`refsnn.exercises.diagnosis.hints` says why: a named mistake whose
gradient equals the student's on every network, precision (float32), a constant factor (``1/B``:
a batch mean), then the smallest group of networks that holds every failure.

Read next: refsnn/exercises/diagnosis.py (why a run failed), then sandbox.py (where the code runs).
"""
from __future__ import annotations

import ast
import io
import os
import time
from dataclasses import dataclass, field

import numpy as np

from . import diagnosis, networks
from .sandbox import Sandbox, array_problem, kind

START, END = "# ---- YOUR CODE START ----", "# ---- YOUR CODE END ----"
EXIT_CODES = {"passed": 0, "failed": 1, "not_implemented": 1, "error": 2}
COLUMNS = ("W1", "V1", "W2", "V2", "Wout")
#: the table's header over ``Net.describe()`` (a spec with other grading cases sets its own)
HEADER = f"{'sizes':<10}{'V':<3}{'spike':<6}{'reset':<18}{'surrogate':<17}{'theta':<6}{'a/b':<10}{'B':<3}"
#: what a student file may import from refsnn (the types of the stub's arguments)
ALLOWED_MODULES = ("refsnn.lif", "refsnn.surrogate")
ALLOWED_NAMES = ("LIFParams", "Surrogate", "lif", "surrogate")


class Stop(Exception):
    """Ends a grading run early with ``status`` and one plain sentence."""

    def __init__(self, status, message, line=0, code="", hints=(), output=""):
        super().__init__(message)
        self.status, self.message = status, message
        self.line, self.code, self.hints, self.output = line, code, list(hints), output


@dataclass
class Result:
    """Outcome of a grading run; ``text`` is the report, :meth:`to_json` the gradebook entry."""

    exercise: str
    file: str
    status: str
    text: str = ""
    message: str = ""
    line: int = 0
    hints: list = field(default_factory=list)
    networks: list = field(default_factory=list)
    reports: list = field(default_factory=list)
    failing: dict = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self.status]

    def to_json(self) -> dict:
        return {"exercise": self.exercise, "file": self.file, "status": self.status,
                "exit_code": self.exit_code, "message": self.message, "line": self.line,
                "hints": self.hints, "networks": self.networks,
                "seconds": round(self.seconds, 3)}


def static_check(path, function):
    """Check the file without running it; raise :class:`Stop` if it cannot be graded or
    imports refsnn's own code."""
    name = os.path.basename(path)
    if os.path.isdir(path):
        raise Stop("error", f"{path} is a directory: give the .py file with your {function}")
    if not os.path.isfile(path):
        raise Stop("error", f"there is no file {path}")
    try:
        with open(path, "rb") as fh:
            raw = fh.read()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Stop("error", f"{name} is not a Python file that can be read as text "
                   f"({type(exc).__name__})") from None
    if "\0" in text:
        raise Stop("error", f"{name} is not a Python file (it contains NUL bytes)")
    try:
        tree = ast.parse(text, filename=path)
    except SyntaxError as exc:
        raise Stop("error", f"{name} is not valid Python: {exc.msg}", exc.lineno or 0,
                   (exc.text or "").strip()) from None
    lines = text.splitlines()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            mods = [node.module] if node.module != "refsnn" else [
                f"refsnn.{a.name}" for a in node.names if a.name not in ALLOWED_NAMES]
        else:
            continue
        for mod in mods:
            if (mod == "refsnn" and isinstance(node, ast.Import)) or (
                    mod.startswith("refsnn.") and not mod.startswith(ALLOWED_MODULES)):
                raise Stop("failed", f"BORROWED: your file imports {mod}; an exercise must be "
                           "solved with NumPy and the two objects the function is given "
                           "(params, surrogate), not with refsnn's own implementation",
                           node.lineno, lines[node.lineno - 1].strip())
    return lines


class Grading:
    """One grading run of ``spec`` on the file ``path`` (see the module docstring)."""

    def __init__(self, spec, path, timeout=30.0, budget=120.0, verbose=False):
        self.spec, self.path = spec, os.path.abspath(path)
        self.timeout, self.budget, self.verbose = timeout, budget, verbose
        self.out = io.StringIO()
        self.student = {}     # network index -> the student's Grads
        self.where = ""       # which call is running, for messages

    def say(self, *lines):
        for line in lines:
            print(line, file=self.out)

    # ------------------------------------------------------------------ the run
    def run(self) -> Result:
        t0 = time.perf_counter()
        spec = self.spec
        result = Result(spec.NAME, self.path, "error")
        self.say(f"{spec.NAME}: grading {spec.FUNCTION} from {self.path}")
        try:
            static_check(self.path, spec.FUNCTION)
            with Sandbox(self.path, spec.FUNCTION, self.timeout, self.budget) as box:
                self.box = box
                self.load()
                self.table(result)
            self.verdict(result)
        except Stop as stop:
            self.stopped(result, stop)
        except Exception:  # noqa: BLE001 -- the grader's own fault: say so, never exit 0
            import traceback
            self.stopped(result, Stop("error", "the grader itself failed (please report "
                                      "this):\n" + traceback.format_exc()))
        result.seconds = time.perf_counter() - t0
        self.say(f"({result.seconds:.1f} s)")
        result.text = self.out.getvalue()
        return result

    def load(self):
        spec, name = self.spec, os.path.basename(self.path)
        outcome = self.box.load()
        if outcome.status == "borrowed":
            raise Stop("failed", f"BORROWED: importing your file ran refsnn's own code "
                       f"({outcome.message})")
        if not outcome.ok:
            status = "error" if outcome.status != "tampered" else "failed"
            raise Stop(status, f"importing {name} failed: {outcome.message}", outcome.line,
                       outcome.code, output=outcome.info.get("output", ""))
        params = outcome.info.get("parameters")
        if params is None:
            raise Stop("error", f"{name} defines no function {spec.FUNCTION}(...)")
        if params and len(params) != len(spec.PARAMETERS) and not any(
                p.startswith("*") for p in params):
            raise Stop("error", f"your {spec.FUNCTION} takes {len(params)} arguments "
                       f"({', '.join(params)}); the stub's takes {len(spec.PARAMETERS)} "
                       f"({', '.join(spec.PARAMETERS)})")

    def call(self, *args):
        """The student's function, run in the child on ``args``; its checked outputs."""
        spec = self.spec
        outcome = self.box.call(*args)
        where = f" ({self.where})" if self.where else ""
        if outcome.status == "not_implemented":
            raise Stop("not_implemented", f"NOT IMPLEMENTED YET: {spec.FUNCTION} still raises "
                       f"NotImplementedError. Write your code between the markers\n    "
                       f"{START}\n    {END}\n(the task is in the file's docstring, or run "
                       f"`python -m refsnn.exercises show {spec.NAME}`).", outcome.line,
                       outcome.code)
        if outcome.status == "raised":
            raise Stop("failed", f"{spec.FUNCTION} raised {outcome.message}{where}",
                       outcome.line, outcome.code, _exception_hints(spec, outcome.message))
        if outcome.status == "exit":
            raise Stop("failed", f"{outcome.message} inside {spec.FUNCTION}{where}: a function "
                       "must return its result, not end the program", outcome.line,
                       outcome.code)
        if outcome.status == "borrowed":
            raise Stop("failed", f"BORROWED: your {spec.FUNCTION} called refsnn's own code "
                       f"({outcome.message}); solve it with NumPy and the params and "
                       "surrogate objects it is given", outcome.line, outcome.code)
        if not outcome.ok:
            raise Stop("failed", outcome.message + where, outcome.line, outcome.code,
                       output=outcome.info.get("output", ""))
        values = self.checked_outputs(outcome, spec.expected(args), where)
        return values[0] if len(spec.OUTPUTS) == 1 else values

    def checked_outputs(self, outcome, expected, where):
        """The reply's values if each is real, finite, float64 and of its shape; else Stop."""
        spec, values = self.spec, outcome.values
        n = len(spec.OUTPUTS)
        if (n > 1 and not outcome.info.get("tuple")) or len(values) != n:
            got = (f"a tuple of {len(values)}" if outcome.info.get("tuple") else
                   kind(values[0]) if values else "nothing")
            want = f"the tuple ({', '.join(spec.OUTPUTS)})" if n > 1 else spec.OUTPUTS[0]
            raise Stop("failed", f"{spec.FUNCTION} must return {want}, got {got}{where}")
        out = []
        for (label, shape), value in zip(expected, values):
            if shape is None:
                if value is not None:
                    raise Stop("failed", f"{label} must be None here (the layer has no V), "
                               f"got {kind(value)}{where}")
                out.append(None)
                continue
            problem = array_problem(value, shape)
            if problem:
                hints = []
                if isinstance(value, np.ndarray) and value.shape == shape[::-1] != shape:
                    hints = [f"{label} is transposed: weights are (post, pre), so {label} has "
                             f"shape {shape}"]
                raise Stop("failed", f"{label} {problem}{where}", hints=hints)
            out.append(value)
        return out

    # ------------------------------------------------------------------ the table
    def table(self, result):
        spec = self.spec
        columns = getattr(spec, "COLUMNS", COLUMNS)
        self.problems = []
        for k, cfg in enumerate(spec.NETWORKS):
            net, x, target = cfg.problem()
            self.problems.append((net, x, target))
            self.k = k
            rep = spec.check(self.gradient, cfg, net, x, target)
            if k == 0:  # after the first call: a stub or a crash gets no half table
                self.say(spec.TITLE, f"{'#':>2}  {getattr(spec, 'HEADER', HEADER)}"
                         + "".join(f"{c:>9}" for c in columns) + "  verdict")
            errs = {_label(r.name, cfg.layers): r for r in rep.rows}
            bad = {c for c in errs if not errs[c].passed}
            imprecise = set() if bad else self.imprecise(cfg, net, x, target)
            cells = "".join(f"{errs[c].max_rel_error:>9.1e}" if c in errs else f"{'-':>9}"
                            for c in columns)
            verdict = "FAIL" if bad else "FAIL (not float64)" if imprecise else "ok"
            self.say(f"{k + 1:>2}  {cfg.describe()}{cells}  {verdict}")
            if self.verbose:
                self.say(str(rep))
            result.reports.append(rep)
            result.networks.append({"index": k + 1, "network": cfg.summary(),
                                    "passed": verdict == "ok",
                                    "max_rel_error": {c: errs[c].max_rel_error for c in errs}})
            if bad or imprecise:
                result.failing[k] = bad or imprecise
        self.say(spec.FOOTNOTE)

    def imprecise(self, cfg, net, x, target):
        """Labels of the parameters whose gradient is not float64-accurate: normwise farther
        from the library's than ``spec.PRECISION_TOL`` (a finite-difference tolerance alone
        would let float32 arithmetic pass on some networks and fail on others)."""
        tol = getattr(self.spec, "PRECISION_TOL", None)
        if tol is None:
            return set()
        exact = dict(diagnosis.reference(self.spec)(net, *cfg.loss_gradient(net, x, target))
                     .parameters())
        out = set()
        for name, s in self.student[self.k].parameters():
            a, b = np.asarray(s, dtype=float), np.asarray(exact[name], dtype=float)
            if np.linalg.norm(a - b) > tol * max(np.linalg.norm(b), 1e-300):
                out.add(_label(name, cfg.layers))
        return out

    def gradient(self, net, trace, d_readout):
        """The network gradient with the student's function; kept for the diagnosis."""
        def call(*args, where=""):
            self.where = f"network {self.k + 1}, {where}" if where else f"network {self.k + 1}"
            return self.call(*args)
        grads = self.spec.network_gradient(call, net, trace, d_readout)
        self.student[self.k] = grads
        return grads

    # ------------------------------------------------------------------ verdict
    def verdict(self, result):
        spec, nets = self.spec, self.spec.NETWORKS
        if not result.failing:
            worst = max(r.max_rel_error for r in result.reports)
            self.say(f"PASSED: all {len(nets)} networks agree with {spec.ORACLE} (max "
                     f"relative error {worst:.1e}).")
            result.status = "passed"
            result.message = "passed"
            return
        result.status = "failed"
        wrong = [k for k in result.failing if not result.reports[k].passed]
        result.message = (f"{len(result.failing)} of {len(nets)} networks fail: "
                          f"{len(wrong)} disagree with {spec.ORACLE}")
        if len(wrong) < len(result.failing):
            result.message += (f", {len(result.failing) - len(wrong)} agree with it but not to "
                               "float64 accuracy")
        self.say(f"FAILED: {result.message}.")
        counts = {}
        for labels in result.failing.values():
            for lab in labels:
                counts[lab] = counts.get(lab, 0) + 1
        self.say("disagreeing parameters: " + ", ".join(
            f"{c} ({spec.PARAM_NAMES[c]}) in {counts[c]} network(s)"
            for c in getattr(spec, "COLUMNS", COLUMNS) if c in counts))
        name, size = networks.pattern(nets, result.failing,
                                      getattr(spec, "GROUPS", networks.GROUPS))
        self.say(f"pattern: {name} ({len(result.failing)} of {len(nets)} networks"
                 + (f"; the group has {size}" if size != len(result.failing) else "") + ")")
        result.hints = diagnosis.hints(spec, self.student, self.problems, result.failing, name)
        for h in result.hints:
            self.say(f"hint: {h}")
        if wrong:
            first = min(wrong)
            self.say(f"\nfirst network ({first + 1}) that disagrees, entry by entry, in the "
                     "library's names (W[0] = W1, V[0] = V1, the last W = Wout):",
                     str(result.reports[first]))

    def stopped(self, result, stop):
        result.status, result.message, result.line = stop.status, stop.message, stop.line
        result.hints = stop.hints
        label = {"error": "ERROR", "failed": "FAILED", "not_implemented": ""}[stop.status]
        self.say(f"{label + ': ' if label and not stop.message.startswith(('BORROWED', 'NOT')) else ''}"
                 f"{stop.message}")
        if stop.line:
            self.say(f"    at line {stop.line} of {os.path.basename(self.path)}: {stop.code}")
        if stop.output:
            self.say("what your code printed last:", *("    " + s for s in
                                                         stop.output.splitlines()[-8:]))
        for h in stop.hints:
            self.say(f"hint: {h}")


# ---------------------------------------------------------------------- helpers
def _label(pname, layers):
    """``W[0]`` -> ``W1`` (hidden layer 1), ``W[L]`` -> ``Wout``, ``V[0]`` -> ``V1``."""
    name, l = pname[0], int(pname[2:-1])
    return "Wout" if name == "W" and l == layers else f"{name}{l + 1}"


def _exception_hints(spec, message):
    """The spec's hint for an exception (``message``: ``Type: text``) of the student's function."""
    what = ("shape" if message.startswith("ValueError") and any(
        k in message for k in ("matmul", "shape", "broadcast", "align"))
        else "index" if message.startswith("IndexError") else None)
    return [spec.EXCEPTION_HINTS[what]] if what in spec.EXCEPTION_HINTS else []

"""The exercises and their grader (docs/design.md §8, §11).

Three kinds of submissions, through the real command line (a child process grades the file in
a child process of its own) or, where that path is already proven by another case, through the
same grading core with the file imported in this process (``conftest.InProcess``):

* correct solutions written three ways each (the stub filled with the NumPy solution, and two
  files in ``tests/submissions`` written differently from the library) pass;
* the stub filled with the NumPy solution and mutated by one classic mistake fails, with the
  hint that names that mistake;
* hostile files (exits, endless loops, crashes, borrowed answers, tampering, files that are not
  Python) end in FAILED or ERROR with a sentence and the right exit code, and never hang.
"""
import inspect
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from refsnn import Grads, bptt, gradcheck
from conftest import InProcess
from refsnn.exercises import (EXERCISES, core, dfa_update, diagnosis, grade, lif_bptt,
                              networks, rtrl_step, solutions, spike_time_gradient)

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SUBMISSIONS = os.path.join(ROOT, "tests", "submissions")
NUMPY_SOLUTION = solutions.NUMPY_SOLUTIONS
SPECS = [pytest.param(spec, id=spec.NAME) for spec in (lif_bptt, rtrl_step, dfa_update)]


def run_cli(*args, timeout=600):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "refsnn.exercises", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def filled(tmp_path, name, replacements=(), file="student.py"):
    """The stub of ``name`` with the NumPy solution between the markers (what a student
    submits), each ``(old, new)`` mutation applied exactly once."""
    stub = open(EXERCISES[name].STUB, encoding="utf-8").read()
    sol = inspect.getsource(NUMPY_SOLUTION[name])
    body = sol[sol.index(core.START):sol.index(core.END)]
    text = stub[:stub.index(core.START)] + body + stub[stub.index(core.END):]
    for old, new in replacements:
        assert text.count(old) == 1, f"mutation target not found exactly once: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return str(path)


def hostile(tmp_path, text, file="hostile.py"):
    path = tmp_path / file
    path.write_text(text, encoding="utf-8")
    return str(path)


# ---------------------------------------------------------------------- the specs themselves
@pytest.mark.parametrize("spec", SPECS)
def test_networks_are_not_vacuous(spec):
    """Every hidden layer of every grading network spikes in every sample, but not always;
    the readout is scaled to 1; every threshold, surrogate and reset the issue names occurs."""
    for cfg in spec.NETWORKS:
        net, x, target = cfg.problem()
        tr = net.simulate(x, spike="hard")
        for S in tr.S:
            per_sample = S.sum(axis=(1, 2))
            assert np.all(per_sample > 0) and S.sum() < S.size, cfg
        assert np.abs(net.simulate(x, spike=cfg.spike).readout).max() == pytest.approx(1.0)
        assert cfg.B > 1 and not np.array_equal(x[0], x[1]), cfg
    nets = spec.NETWORKS
    assert {c.threshold for c in nets} >= {0.5, 1.0, 1.7}
    assert {c.surrogate[0] for c in nets} == {"superspike", "sigmoid", "piecewise_linear",
                                              "exponential", "boxcar"}
    assert {(c.reset, c.detach) for c in nets} >= {("subtract", False), ("subtract", True),
                                                   ("zero", False), ("zero", True),
                                                   ("none", False)}
    assert any(c.layers == 2 for c in nets) and any(abs(c.alpha - c.beta) > 0.3 for c in nets)


def test_student_f_prime_is_exercised_by_every_surrogate_in_rtrl_step():
    """rtrl_step uses the student's F' only through V dS[n] and the reset term: every surrogate
    appears in a recurrent network with an exact reset."""
    for name in ("superspike", "sigmoid", "piecewise_linear", "exponential", "boxcar"):
        assert any(c.surrogate[0] == name and c.recurrent and c.reset != "none" and not c.detach
                   for c in rtrl_step.NETWORKS), name


@pytest.mark.parametrize("spec, fn", [
    pytest.param(lif_bptt, lif_bptt.backward_with, id="lif_bptt-numpy"),
    pytest.param(rtrl_step, rtrl_step.step_with, id="rtrl_step-numpy"),
    pytest.param(dfa_update, dfa_update.error_with, id="dfa_update-numpy"),
    pytest.param(lif_bptt, solutions.layer_backward, id="lif_bptt-library"),
    pytest.param(rtrl_step, solutions.rtrl_step, id="rtrl_step-library"),
    pytest.param(dfa_update, solutions.dfa_layer_error, id="dfa_update-library")])
def test_reference_compositions_equal_the_exact_gradient(spec, fn):
    """Each spec's composition with a correct function reproduces its exact gradient
    (refsnn.bptt; for dfa_update the library's direct_feedback_alignment), so a mistake's
    gradient differs from the right one only by its mistake."""
    for cfg in spec.NETWORKS:
        net, x, target = cfg.problem()
        tr, d = cfg.loss_gradient(net, x, target)
        rep = gradcheck.compare(spec.network_gradient(diagnosis.local(fn), net, tr, d),
                                diagnosis.reference(spec)(net, tr, d), tol=1e-11)
        assert rep.passed, f"{cfg}\n{rep}"


def test_dfa_reference_is_not_bptt():
    """dfa_update's oracle is DFA with random H, not BPTT: they differ on every grading network
    (so BPTT's error through W_o cannot pass), and the oracle is the library's DFA with the
    spec's H."""
    for cfg in dfa_update.NETWORKS:
        net, x, target = cfg.problem()
        tr, d = cfg.loss_gradient(net, x, target)
        ref = dfa_update.reference(net, tr, d)
        assert diagnosis.normwise(bptt(net, tr, d), ref) > 0.1, cfg
        H = dfa_update.feedback(net)
        assert [h.shape for h in H] == [(net.sizes[-1], n) for n in net.sizes[1:-1]]
        assert all(h.shape == net.W[-1].shape for h in H), "W_o must fit every layer"
    assert {c.layers for c in dfa_update.NETWORKS} == {1, 2, 3}


def test_dfa_every_mistake_is_named():
    """Each of dfa_update's mistakes, as the student's gradient on every network, gets its own
    hint by name (in this process: the diagnosis alone), and a correct gradient none of them."""
    problems, exact = [], {}
    for k, cfg in enumerate(dfa_update.NETWORKS):
        net, x, target = cfg.problem()
        problems.append((net, x, target))
        tr, d = cfg.loss_gradient(net, x, target)
        exact[k] = dfa_update.reference(net, tr, d)
    every = range(len(problems))
    for m in dfa_update.MISTAKES:
        student = {}
        for k, (net, x, target) in enumerate(problems):
            tr, d = dfa_update.NETWORKS[k].loss_gradient(net, x, target)
            student[k] = dfa_update.network_gradient(diagnosis.local(m.fn), net, tr, d)
        hints = diagnosis.hints(dfa_update, student, problems, every, "fails for every network")
        assert hints == [f"{m.hint} [{m.name}]"], (m.name, hints)
    hints = diagnosis.hints(dfa_update, exact, problems, every, "fails for every network")
    assert not any("[" in h for h in hints), hints


@pytest.mark.parametrize("spec", SPECS)
def test_every_mistake_changes_the_gradient(spec):
    """No named mistake is vacuous: each breaks at least one grading network (normwise
    relative difference > 1e-3), so the table catches it before any hint is chosen."""
    problems = []
    for cfg in spec.NETWORKS:
        net, x, target = cfg.problem()
        tr, d = cfg.loss_gradient(net, x, target)
        problems.append((net, tr, d, diagnosis.reference(spec)(net, tr, d)))
    for m in spec.MISTAKES:
        worst = max(diagnosis.normwise(spec.network_gradient(diagnosis.local(m.fn), net, tr, d), ref)
                    for net, tr, d, ref in problems)
        assert worst > 1e-3, m.name


def test_pattern_count_line_never_contradicts_itself():
    nets = lif_bptt.NETWORKS
    assert networks.pattern(nets, range(len(nets)))[0] == "fails for every network"
    some = [k for k, c in enumerate(nets) if c.reset != "none"][:3] + [2]
    name, _ = networks.pattern(nets, some)
    assert name != "fails for every network"
    theta = [k for k, c in enumerate(nets) if c.threshold != 1.0]
    assert networks.pattern(nets, theta)[0] == "fails only for thresholds other than 1"
    for spec in EXERCISES.values():
        assert set(spec.GROUP_HINTS) == {g for g, _ in getattr(spec, "GROUPS", networks.GROUPS)
                                         } | {"fails for every network"}


# ---------------------------------------------------------------------- correct solutions
@pytest.mark.parametrize("name, file", [
    ("lif_bptt", None), ("lif_bptt", "lif_bptt_loops.py"), ("lif_bptt", "lif_bptt_matrix.py"),
    ("rtrl_step", None), ("rtrl_step", "rtrl_step_loops.py"),
    ("rtrl_step", "rtrl_step_einsum.py"),
    ("dfa_update", None), ("dfa_update", "dfa_update_loops.py"),
    ("dfa_update", "dfa_update_einsum.py")])
def test_correct_solutions_pass(tmp_path, monkeypatch, name, file):
    """The filled stub through the real command line (its child process); the two other
    submissions through the same grading core with the file imported in this process
    (``conftest.InProcess``: the child process is what the first case proves)."""
    path = filled(tmp_path, name) if file is None else os.path.join(SUBMISSIONS, file)
    if file is None:
        proc = run_cli("check", name, path)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        out = proc.stdout
    else:
        monkeypatch.setattr(core, "Sandbox", InProcess)
        result = grade(name, path)
        assert result.passed, result.text
        out = result.text
    n = len(EXERCISES[name].NETWORKS)
    assert f"PASSED: all {n} networks" in out and "FAIL" not in out
    assert out.count(" ok\n") == n
    for col in getattr(EXERCISES[name], "COLUMNS", core.COLUMNS):
        assert col in out


def test_json_output(tmp_path):
    proc = run_cli("check", "rtrl_step", filled(tmp_path, "rtrl_step"), "--json")
    out = json.loads(proc.stdout)
    assert proc.returncode == 0 and out["status"] == "passed" and out["exit_code"] == 0
    assert len(out["networks"]) == len(rtrl_step.NETWORKS)
    assert all(n["passed"] for n in out["networks"])


# ---------------------------------------------------------------------- classic mistakes
LIF_MISTAKES = {
    "batch_mean": ([('gI[:, 1:T], S_in[:, :T - 1])', 'gI[:, 1:T], S_in[:, :T - 1]) / B'),
                    ('gI[:, 1:T], S[:, :T - 1])', 'gI[:, 1:T], S[:, :T - 1]) / B')],
                   "exactly 1/B of the expected one"),
    "printed_form_theta_1": ([("dU_dS = -theta * np.ones_like(U)",
                               "dU_dS = -1.0 * np.ones_like(U)")],
                             "threshold is hard-coded to 1"),
    "theta_1_everywhere": ([("dU_dS = -theta * np.ones_like(U)",
                             "dU_dS = -1.0 * np.ones_like(U)"),
                            ("surrogate.derivative(U - theta)", "surrogate.derivative(U - 1.0)")],
                           "threshold is hard-coded to 1"),
    "no_fprime": ([("sg = surrogate.derivative(U - theta)", "sg = np.ones_like(U)")],
                  "F' is missing"),
    "fprime_at_U": ([("surrogate.derivative(U - theta)", "surrogate.derivative(U)")],
                    "F' is taken at the wrong argument"),
    "superspike_by_hand": ([("sg = surrogate.derivative(U - theta)",
                             "sg = 1.0 / (surrogate.scale * np.abs(U - theta) + 1.0) ** 2")],
                           "SuperSpike's derivative"),
    "no_reset_term": ([('if params.detach_reset or params.reset == "none":', "if True:")],
                      "reset term dU[n+1]/dS[n] gU[n+1] is missing"),
    "reset_when_detached": ([('if params.detach_reset or params.reset == "none":',
                              'if params.reset == "none":')],
                            "with params.detach_reset True the reset carries no gradient"),
    "reset_sign": ([("dU_dS = -theta * np.ones_like(U)", "dU_dS = theta * np.ones_like(U)"),
                    ("dU_dS = -(beta * U + I)", "dU_dS = (beta * U + I)")],
                   "the reset term has the wrong sign"),
    "no_keep": ([("keep = 1.0 - S if zero else", "keep = np.ones_like(S) if zero else")],
                "(1 - S[n]) factors of the zero reset are missing"),
    "V_transposed": ([("gI[:, n + 1] @ V ", "gI[:, n + 1] @ V.T ")], "V is transposed"),
    "no_V_term": ([("gS = gS + gI[:, n + 1] @ V ", "gS = gS + 0.0 * V[0, 0] ")],
                  "recurrent error V^T gI[n+1] is missing"),
    "dW_no_delay": ([('gI[:, 1:T], S_in[:, :T - 1])', 'gI[:, :T - 1], S_in[:, :T - 1])'),
                     ('gI[:, 1:T], S[:, :T - 1])', 'gI[:, :T - 1], S[:, :T - 1])')],
                    "one-step delay is missing in dW and dV"),
    "gS_in_no_delay": ([("= gI[:, 1:T] @ W", "= gI[:, :T - 1] @ W")],
                       "the error sent down has no delay"),
    "swapped_leaks": ([("beta * keep[:, n]", "alpha * keep[:, n]"),
                       ("alpha * gI[:, n + 1]", "beta * gI[:, n + 1]")],
                      "alpha and beta are swapped"),
    "float32_inside": ([("gI = np.zeros((B, T + 1, N))", "gI = np.zeros((B, T + 1, N), np.float32)"),
                        ("gU = np.zeros((B, T + 1, N))", "gU = np.zeros((B, T + 1, N), np.float32)")],
                       "are you computing in float32"),
}

RTRL_MISTAKES = {
    "printed_form_theta_1": ([("dU_next - theta * ds", "dU_next - ds")],
                             "threshold is hard-coded to 1"),
    "no_fprime": ([("ds = surrogate.derivative(U - theta)[:, None, None, :] * dU", "ds = dU")],
                  "F' is missing"),
    "fprime_at_U": ([("surrogate.derivative(U - theta)", "surrogate.derivative(U)")],
                    "F' is taken at the wrong argument"),
    "superspike_by_hand": ([("surrogate.derivative(U - theta)[:, None, None, :]",
                             "(1.0 / (surrogate.scale * np.abs(U - theta) + 1.0) ** 2)"
                             "[:, None, None, :]")],
                           "SuperSpike's derivative"),
    "no_reset_term": ([("        if not params.detach_reset:", "        if False:"),
                       ('elif params.reset == "subtract" and not params.detach_reset:',
                        'elif params.reset == "subtract" and False:')],
                      "reset term of dU[n+1] is missing"),
    "reset_when_detached": ([("        if not params.detach_reset:", "        if True:"),
                             ('elif params.reset == "subtract" and not params.detach_reset:',
                              'elif params.reset == "subtract":')],
                            "with params.detach_reset True the reset carries no gradient"),
    "reset_sign": ([("dU_next - theta * ds", "dU_next + theta * ds"),
                    ("dU_next - (beta * U + I)", "dU_next + (beta * U + I)")],
                   "the reset term has the wrong sign"),
    "V_transposed": ([("ds @ V.T ", "ds @ V ")], "V is transposed"),
    "no_V_term": ([("dI_next = dI_next + ds @ V.T ", "dI_next = dI_next + 0.0 * V[0, 0] ")],
                  "recurrent term sum_k' V_kk' dS_k'[n] of dI[n+1] is missing"),
    "no_dS_in": ([("alpha * dI + dS_in @ W.T", "alpha * dI + 0.0 * W[0, 0]")],
                 "the term sum_k' W_kk' dS_in_k'[n] of dI[n+1] is missing"),
    "source_every_neuron": ([("dI_next[:, i, :, i] += source\n",
                              "dI_next[:, i, :, :] += source[:, :, None]\n")],
                            "the source term is added to every neuron k"),
    "delay": ([("dU_next = beta * dU + dI ", "dU_next = beta * dU + dI_next ")],
              "takes the old dI"),
    "swapped_leaks": ([("alpha * dI + dS_in", "beta * dI + dS_in"),
                       ("dU_next = beta * dU + dI ", "dU_next = alpha * dU + dI ")],
                      "alpha and beta are swapped"),
    "float32_fprime": ([("surrogate.derivative(U - theta)[:, None, None, :]",
                         "surrogate.derivative(U - theta).astype(np.float32)[:, None, None, :]")],
                       "are you computing in float32"),
}


DFA_MISTAKES = {
    "through_W_o": ([("(gI_o[:, 1:] @ H)", "(gI_o[:, 1:] @ W_o)")],
                    "the error is sent through W_o"),
    "wrong_step": ([("(gI_o[:, 1:] @ H)", "(gI_o[:, :T - 1] @ H)")],
                   "the error is sent at the wrong step"),
    "no_delay_loop": ([("    delta[:, :T - 1] = fp * (gI_o[:, 1:] @ H)",
                        "    for n in range(1, T):\n"
                        "        delta[:, n] = surrogate.derivative(U[:, n] - theta) * "
                        "(gI_o[:, n] @ H)")],
                      "the error is sent at the wrong step"),
    "no_fprime": ([("fp = surrogate.derivative(U[:, :T - 1] - theta)", "fp = 1.0")],
                  "F' is missing"),
    "fprime_one_step_late": ([("surrogate.derivative(U[:, :T - 1] - theta)",
                               "surrogate.derivative(U[:, 1:] - theta)")],
                             "F' is taken one step late"),
    "theta_1": ([("surrogate.derivative(U[:, :T - 1] - theta)",
                  "surrogate.derivative(U[:, :T - 1] - 1.0)")], "threshold is hard-coded to 1"),
    "float32_fprime": ([("surrogate.derivative(U[:, :T - 1] - theta)",
                         "surrogate.derivative(U[:, :T - 1] - theta).astype(np.float32)")],
                       "are you computing in float32"),
}


@pytest.mark.parametrize("name, mistake, edits, hint", [
    ("lif_bptt", k, *v) for k, v in LIF_MISTAKES.items()] + [
    ("rtrl_step", k, *v) for k, v in RTRL_MISTAKES.items()] + [
    ("dfa_update", k, *v) for k, v in DFA_MISTAKES.items()])
def test_mistake_fails_with_its_hint(tmp_path, monkeypatch, name, mistake, edits, hint):
    """Each mistake through the grading core, the file imported in this process
    (``conftest.InProcess``); the first mistake of each exercise also goes through the command
    line and its child process (``test_a_mistake_through_the_command_line``)."""
    monkeypatch.setattr(core, "Sandbox", InProcess)
    result = grade(name, filled(tmp_path, name, edits))
    out = result.text
    assert result.status == "failed" and result.exit_code == 1, out
    _check_mistake_output(out, name, mistake, hint)


@pytest.mark.parametrize("name, mistake, edits, hint", [
    (name, k, *v) for name, table in (("lif_bptt", LIF_MISTAKES), ("rtrl_step", RTRL_MISTAKES),
                                      ("dfa_update", DFA_MISTAKES))
    for k, v in list(table.items())[:1]])
def test_a_mistake_through_the_command_line(tmp_path, name, mistake, edits, hint):
    proc = run_cli("check", name, filled(tmp_path, name, edits))
    out = proc.stdout
    assert proc.returncode == 1, out + proc.stderr
    assert "Traceback" not in out + proc.stderr
    _check_mistake_output(out, name, mistake, hint)


def _check_mistake_output(out, name, mistake, hint):
    assert "FAILED:" in out and "Traceback" not in out
    hints = [line for line in out.splitlines() if line.startswith("hint: ")]
    assert len(hints) == 1 and hint in hints[0], (mistake, hints, out)
    n = len(EXERCISES[name].NETWORKS)
    failed = out.count(" FAIL\n") + out.count(" FAIL (not float64)\n")
    assert f"FAILED: {failed} of {n} networks fail" in out
    assert ("fails for every network" in out) == (failed == n)


@pytest.mark.parametrize("name, edits, message", [
    ("lif_bptt", [("gS_in[:, :T - 1] = gI[:, 1:T] @ W ",
                   "dW = dW + 1j\n    gS_in[:, :T - 1] = gI[:, 1:T] @ W ")], "dW is complex"),
    ("lif_bptt", [("gS_in[:, :T - 1] = gI[:, 1:T] @ W ",
                   "dW = dW.astype(np.float32)\n    gS_in[:, :T - 1] = gI[:, 1:T] @ W ")],
     "dW is float32, not float64"),
    ("lif_bptt", [("gS_in[:, :T - 1] = gI[:, 1:T] @ W ",
                   "dW = dW.T\n    gS_in[:, :T - 1] = gI[:, 1:T] @ W ")], "dW has shape (4, 3)"),
    ("lif_bptt", [("gS_in[:, :T - 1] = gI[:, 1:T] @ W ",
                   "dW = dW.tolist()\n    gS_in[:, :T - 1] = gI[:, 1:T] @ W ")],
     "dW must be a float64 numpy array of shape (4, 3), got a list"),
    ("lif_bptt", [("gS_in[:, :T - 1] = gI[:, 1:T] @ W ",
                   "dW = dW * np.nan\n    gS_in[:, :T - 1] = gI[:, 1:T] @ W ")],
     "dW contains NaN or inf"),
    ("rtrl_step", [("    return dI_next, dU_next", "    return dI_next + 1j, dU_next")],
     "dI_next is complex"),
    ("rtrl_step", [("    return dI_next, dU_next", "    return dI_next")],
     "must return the tuple (dI_next, dU_next), got an array"),
    ("dfa_update", [("    return delta", "    return delta, delta")],
     "must return delta, got a tuple of 2"),
])
def test_unusable_outputs_fail_naming_the_output(tmp_path, name, edits, message):
    proc = run_cli("check", name, filled(tmp_path, name, edits))
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert message in proc.stdout and "Traceback" not in proc.stdout + proc.stderr


# ---------------------------------------------------------------------- hostile files
CHEAT_REL_ERROR = """
import numpy as np
import refsnn.gradcheck
refsnn.gradcheck.rel_error = lambda a, b: np.zeros(np.shape(a))
def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    return (np.zeros(W.shape), None if V is None else np.zeros(V.shape), np.zeros(S_in.shape))
"""
ZEROS = """
import numpy as np
def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    return (np.zeros(W.shape), None if V is None else np.zeros(V.shape), np.zeros(S_in.shape))
"""
IMPORTLIB_BORROW = """
import importlib
def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):
    sol = importlib.import_module("refsnn.exercises." + "solutions")
    return sol.layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext)
"""
KERNEL_BORROW = """
import importlib
def rtrl_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source=None):
    fwd = importlib.import_module("refsnn.grad.forward")
    return fwd.block_sensitivity_step(dI, dU, dS_in, I, U, S, W, V, params, surrogate, source)
"""
FN = "def layer_backward(I, U, S, S_in, W, V, params, surrogate, gS_ext):\n"


@pytest.mark.parametrize("text, code, words", [
    (CHEAT_REL_ERROR, 1, "BORROWED: your file imports refsnn.gradcheck"),
    (ZEROS, 1, "FAILED: 14 of 14 networks fail: 14 disagree"),
    ("from refsnn.exercises.solutions import layer_backward\n", 1,
     "BORROWED: your file imports refsnn.exercises.solutions"),
    (IMPORTLIB_BORROW, 1, "BORROWED: your layer_backward called refsnn's own code"),
    ("import sys\nsys.exit(0)\n", 2, "sys.exit(0)"),
    ("import os\nos._exit(0)\n", 2, "exited with code 0"),
    ("import sys\n" + FN + "    sys.exit(0)\n", 1, "sys.exit(0) inside layer_backward"),
    ("import os\n" + FN + "    x = 1\n    os._exit(0)\n", 1, "at line 4 of hostile.py: os._exit(0)"),
    ("while True:\n    pass\n", 2, "longer than the time limit of 3 s"),
    (FN + "    while True:\n        pass\n", 1, "longer than the time limit of 3 s"),
    ("import time\n" + FN + "    time.sleep(10)\n", 1, "longer than the time limit of 3 s"),
    (FN + "    raise KeyboardInterrupt\n", 1, "raised KeyboardInterrupt"),
    (FN + "    return W @ W, None, None\n", 1, "hint: a shape error next to a weight"),
    ("import ctypes\n" + FN + "    ctypes.string_at(0)\n", 1, "killed by signal SIGSEGV"),
    ("import sys\n" + FN + "    sys.settrace(None)\n    return 1, 2, 3\n", 1,
     "replaced the grader's trace function"),
    ("def layer_backward(:\n", 2, "is not valid Python"),
    ("import numpy_that_does_not_exist\n", 2, "ModuleNotFoundError"),
    ("x = 1\n", 2, "defines no function layer_backward"),
    ("def layer_backward(a, b):\n    return a\n", 2, "takes 2 arguments"),
])
def test_hostile_files_get_a_sentence_never_exit_0(tmp_path, text, code, words):
    proc = run_cli("check", "lif_bptt", hostile(tmp_path, text), "--timeout", "3", timeout=900)
    out = proc.stdout
    assert proc.returncode == code, out + proc.stderr
    assert words in out, out
    assert "PASSED" not in out and "Traceback" not in out + proc.stderr


def test_rtrl_kernel_borrowed(tmp_path):
    proc = run_cli("check", "rtrl_step", hostile(tmp_path, KERNEL_BORROW))
    assert proc.returncode == 1 and "BORROWED" in proc.stdout, proc.stdout
    assert "refsnn.grad.forward.block_sensitivity_step" in proc.stdout


def test_time_budget_stops_a_slow_correct_solution(tmp_path):
    path = filled(tmp_path, "lif_bptt", [("    B, T, N = U.shape\n    theta, alpha",
                                          "    import time; time.sleep(1)\n    B, T, N = "
                                          "U.shape\n    theta, alpha")])
    proc = run_cli("check", "lif_bptt", path, "--budget", "4", timeout=120)
    assert proc.returncode == 1, proc.stdout
    assert "time budget of 4 s" in proc.stdout


@pytest.mark.parametrize("kind", ["binary", "directory", "missing"])
def test_files_that_are_not_python(tmp_path, kind):
    if kind == "binary":
        target = tmp_path / "image.py"
        target.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\xff\xfe")
    elif kind == "directory":
        target = tmp_path
    else:
        target = tmp_path / "nope.py"
    proc = run_cli("check", "lif_bptt", str(target))
    assert proc.returncode == 2, proc.stdout
    assert proc.stdout.strip().splitlines()[1].startswith("ERROR: ")
    assert "Traceback" not in proc.stdout + proc.stderr


# ---------------------------------------------------------------------- the classroom commands
@pytest.mark.parametrize("name", list(EXERCISES))
def test_stub_is_not_implemented(name):
    proc = run_cli("check", name)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT IMPLEMENTED YET" in proc.stdout and core.START in proc.stdout
    assert "#  sizes" not in proc.stdout  # no half table


def test_list_show_start(tmp_path):
    proc = run_cli("list")
    lines = proc.stdout.splitlines()
    assert proc.returncode == 0 and [l.split()[0] for l in lines] == list(EXERCISES)
    proc = run_cli("show", "rtrl_step")
    assert proc.returncode == 0 and "dI_k[n+1]" in proc.stdout
    proc = run_cli("start", "lif_bptt", str(tmp_path / "hw"))
    copy = tmp_path / "hw" / "lif_bptt.py"
    assert proc.returncode == 0 and copy.read_text() == open(lif_bptt.STUB).read()
    assert run_cli("start", "lif_bptt", str(tmp_path / "hw")).returncode == 2  # no overwrite
    proc = run_cli("check", "nope", "x.py")
    assert proc.returncode == 2 and f"valid names: {', '.join(EXERCISES)}" in proc.stderr


def test_dfa_update_show_and_start(tmp_path):
    proc = run_cli("show", "dfa_update")
    assert proc.returncode == 0 and "F'(U[n] - theta) * (H^T gI_o[n+1])" in proc.stdout
    proc = run_cli("start", "dfa_update", str(tmp_path))
    assert proc.returncode == 0
    assert (tmp_path / "dfa_update.py").read_text() == open(dfa_update.STUB).read()


def test_stubs_teach_theta_in_the_reset():
    for name in ("lif_bptt", "rtrl_step", "dfa_update"):  # the LIF exercises
        text = open(EXERCISES[name].STUB, encoding="utf-8").read()
        assert "- theta S[n]" in text and "I[n] - S[n]" not in text


# ---------------------------------------------------------------------- spike_time_gradient
STG = spike_time_gradient


def stg_problems():
    """``(cfg, net, t_in, target, record, dL/dz_out)`` of every grading network."""
    out = []
    for cfg in STG.NETWORKS:
        net, t_in, target = cfg.problem()
        out.append((cfg, net, t_in, target, *cfg.loss_gradient(net, t_in, target)))
    return out


def test_spike_time_networks_are_what_they_say():
    """Every output fires in every sample, every hidden neuron in some sample; each network
    has the kinds of neuron its flags declare (``late``: a neuron whose first prefix with
    sum w > 1 is not its causal set; ``inhibitory``: a negative weight inside a causal set;
    ``silent``: an input or hidden neuron that never spikes), and no others."""
    for cfg, net, t_in, target, rec, d in stg_problems():
        assert np.all(np.isfinite(rec.z[-1])), cfg
        assert all(np.isfinite(z).any(axis=0).all() for z in rec.z[1:-1]), cfg
        late = inhibitory = 0
        for l, W in enumerate(net.W):
            for b, j in zip(*np.nonzero(np.isfinite(rec.z[l + 1]))):
                first = np.argmax(np.cumsum(W[j][np.argsort(rec.t[l][b])]) > 1)
                late += int(rec.causal[l][b, j].sum() != first + 1)
                inhibitory += int(np.any(rec.causal[l][b, j] & (W[j] < 0)))
        assert (late >= 2) == cfg.late and (late == 0) == (not cfg.late), (cfg, late)
        assert (inhibitory >= 2) == cfg.inhibitory, cfg
        assert cfg.inhibitory or all(np.all(W >= 0) for W in net.W), cfg
        silent = sum(int((~np.isfinite(z)).sum()) for z in rec.z[:-1])
        assert (silent > 0) == cfg.silent, cfg
    nets = STG.NETWORKS
    assert {c.layers for c in nets} == {0, 1, 2} and min(c.B for c in nets) >= 2
    assert any(np.isinf(rec.z[1]).any() and len(rec.z) > 2 for *_, rec, _ in stg_problems())


def test_spike_time_reference_is_exact():
    """The spec's closed-form gradient equals the composition of the NumPy mistakes' correct
    form and of the NumPy solution (1e-11), and passes the spec's own finite-difference
    check; the two submissions agree with it too."""
    import importlib.util
    subs = []
    for f in ("spike_time_gradient_loops.py", "spike_time_gradient_times.py"):
        spec = importlib.util.spec_from_file_location(f[:-3], os.path.join(SUBMISSIONS, f))
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        subs.append(module.spike_time_gradient)
    for cfg, net, t_in, target, rec, d in stg_problems():
        ref = STG.reference(net, rec, d)
        for fn in [STG.gradient_with, solutions.spike_time_gradient_numpy, *subs]:
            got = STG.network_gradient(diagnosis.local(fn), net, rec, d)
            assert gradcheck.compare(got, ref, tol=1e-11).passed, (cfg, fn)
        rep = STG.check(lambda *a: ref, cfg, net, t_in, target)
        assert rep.passed and rep.skipped == 0 and rep.max_rel_error < 1e-8, rep


def test_spike_time_reference_agrees_with_the_library():
    """The spec's closed form is Mostafa's model of refsnn.timing.mostafa: the same spike times
    (1e-13), the same network gradient through net.backward (dL/dt = z dL/dz, 1e-10 normwise),
    and the library's neuron in the exercise's signature (solutions.spike_time_gradient)
    composes to the spec's reference on every grading network."""
    from refsnn.timing import mostafa
    for cfg, net, t_in, target, rec, d in stg_problems():
        lib = mostafa.Network([w.copy() for w in net.W])
        times = lib.forward(t_in)
        for a, b in zip(times, rec.t):
            assert np.array_equal(np.isinf(a), np.isinf(b))
            fin = np.isfinite(a)
            assert np.abs(a[fin] - b[fin]).max() <= 1e-13 * max(1.0, np.abs(b[fin]).max())
        ref = STG.reference(net, rec, d)
        grads = lib.backward(times, d * rec.z[-1])
        assert diagnosis.normwise(Grads(W=grads.W, V=[None] * len(net.W)), ref) < gradcheck.AGREE_TOL
        got = STG.network_gradient(diagnosis.local(solutions.spike_time_gradient), net, rec, d)
        assert gradcheck.compare(got, ref, tol=1e-10).passed, cfg


STG_EDITS = {
    "causal_first_prefix": ([("k = np.argmax(spiked & (W_k > 1) & (z_k < nxt))",
                              "k = np.argmax(spiked & (W_k > 1))")],
                            "the causal set is wrong by one input"),
    "causal_missing_last": ([("C[order[:k + 1]] = True", "C[order[:k]] = True")],
                            "your C leaves out its last input"),
    "t_not_z": ([("z = np.exp(t_in) ", "z = t_in ")], "the formulas are in z = exp(t)"),
    "no_minus_one": ([("0.0) / (W_k[k] - 1)\n    dz_dz_in", "0.0) / W_k[k]\n    dz_dz_in"),
                      ("np.where(C, w, 0.0) / (W_k[k] - 1)", "np.where(C, w, 0.0) / W_k[k]")],
                     "the denominator is sum_C w - 1"),
    "all_inputs": ([("dz_dw = np.where(C, np.where(C, z, 0.0)",
                     "dz_dw = np.where(np.isfinite(z), np.where(np.isfinite(z), z, 0.0)")],
                   "an input outside the causal set"),
    "dz_dt": ([("dz_dz_in = np.where(C, w, 0.0)", "dz_dz_in = np.where(C, w * z, 0.0)")],
              "derivative by the input's z, not by its t"),
    "float32": ([("z = np.exp(t_in) ", "z = np.exp(t_in).astype(np.float32) ")],
                "are you computing in float32"),
}


@pytest.mark.parametrize("mistake", list(STG_EDITS))
def test_spike_time_mistakes_are_named(tmp_path, mistake):
    """Each classic mistake, as an edit of the filled stub (not the spec's MISTAKES), fails the
    spec's check on some network and gets its hint, in this process (the grader's diagnosis
    without its child process; two edits go through the command line below)."""
    import importlib.util
    edits, hint = STG_EDITS[mistake]
    path = filled(tmp_path, "spike_time_gradient", edits)
    spec = importlib.util.spec_from_file_location("student", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    student, failing, problems = {}, [], []
    for k, (cfg, net, t_in, target, rec, d) in enumerate(stg_problems()):
        problems.append((net, t_in, target))
        student[k] = STG.network_gradient(diagnosis.local(module.spike_time_gradient), net, rec, d)
        wrong = not STG.check(lambda *a: student[k], cfg, net, t_in, target).passed
        if wrong or diagnosis.normwise(student[k], STG.reference(net, rec, d)) > STG.PRECISION_TOL:
            failing.append(k)
    assert failing
    group = networks.pattern(STG.NETWORKS, failing, STG.GROUPS)[0]
    hints = diagnosis.hints(STG, student, problems, failing, group)
    assert len(hints) == 1 and hint in hints[0], (mistake, hints)


@pytest.mark.parametrize("file, edits, words", [
    (None, None, "PASSED: all 8 networks"),
    ("spike_time_gradient_loops.py", None, "PASSED: all 8 networks"),
    ("spike_time_gradient_times.py", None, "PASSED: all 8 networks"),
    (None, STG_EDITS["causal_first_prefix"][0], "[causal_first_prefix]"),
    (None, STG_EDITS["no_minus_one"][0], "[no_minus_one]")])
def test_spike_time_gradient_through_the_command_line(tmp_path, file, edits, words):
    path = (os.path.join(SUBMISSIONS, file) if file else
            filled(tmp_path, "spike_time_gradient", edits or ()))
    proc = run_cli("check", "spike_time_gradient", path)
    assert proc.returncode == (0 if edits is None else 1), proc.stdout + proc.stderr
    assert words in proc.stdout and "Traceback" not in proc.stdout + proc.stderr
    if edits is None:
        assert proc.stdout.count(" ok\n") == len(STG.NETWORKS)
        assert all(c in proc.stdout for c in STG.COLUMNS + ("late", "silent"))


def test_spike_time_every_mistake_changes_the_gradient():
    problems = [(net, rec, d, STG.reference(net, rec, d))
                for _, net, _, _, rec, d in stg_problems()]
    for m in STG.MISTAKES:
        worst = max(diagnosis.normwise(STG.network_gradient(diagnosis.local(m.fn), net, rec, d),
                                       ref) for net, rec, d, ref in problems)
        assert worst > 1e-2, m.name

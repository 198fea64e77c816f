"""The lif_bptt exercise (DESIGN §8): stub, grader, solution, and typical mistakes.

The grader's verdict is the gradcheck contract; these tests check that the library's solution
(and the stub filled in with plain NumPy) passes, the untouched stub is reported as not
implemented, and three typical mistakes fail with the disagreeing parameter named and the
matching hint.
"""
import inspect
import os
import subprocess
import sys

import numpy as np
import pytest

from refsnn import bptt, gradcheck, losses
from refsnn.exercises import EXERCISES, grader, solutions

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STUB = EXERCISES["lif_bptt"].stub


def run_cli(*args):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "refsnn.exercises", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def filled_variant(tmp_path, stub_path, solution, replacements, name):
    """The stub with the NumPy ``solution``'s code between the markers (what a student
    submits), with the ``(old, new)`` mutations applied; written to ``tmp_path / name``."""
    stub = open(stub_path, encoding="utf-8").read()
    sol = inspect.getsource(solution)
    body = sol[sol.index(grader.START):sol.index(grader.END)]
    text = stub[:stub.index(grader.START)] + body + stub[stub.index(grader.END):]
    for old, new in replacements:
        assert text.count(old) == 1, f"mutation target not found exactly once: {old!r}"
        text = text.replace(old, new)
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def write_variant(tmp_path, old=None, new=None, name="student.py"):
    """The lif_bptt stub filled with the NumPy solution, with one optional mutation."""
    return filled_variant(tmp_path, STUB, solutions.layer_backward_numpy,
                          [] if old is None else [(old, new)], name)


# ---------------------------------------------------------------------- the networks themselves
def test_configs_are_not_vacuous():
    for cfg in grader.CONFIGS:
        net, x, target = cfg.build()
        tr = net.simulate(x, spike="hard")
        for S in tr.S:
            assert 0 < S.sum() < S.size, cfg  # every hidden layer spikes, but not always
        assert np.abs(net.simulate(x, spike=cfg.spike).readout).max() == pytest.approx(1.0)


def test_every_group_is_recognised():
    """Each group of networks, failing alone, is diagnosed as itself (the hints are
    distinguishable) and the group's complement is never empty (something passes)."""
    configs = grader.CONFIGS
    for pattern, pred, hint in grader.GROUPS:
        members = {k for k, c in enumerate(configs) if pred(c)}
        assert members, pattern
        lines = grader.diagnose(configs, {k: {"W1", "V1"} if configs[k].recurrent else {"W1"}
                                          for k in members})
        assert lines[1].startswith(f"pattern: {pattern} ("), (pattern, lines)
        assert lines[2] == f"hint: {hint}"
        if pattern.startswith("fails only"):
            assert len(members) < len(configs)


@pytest.mark.parametrize("fn", [solutions.layer_backward, solutions.layer_backward_numpy])
def test_wrapped_solution_equals_bptt(fn):
    """The wrapper plus either solution reproduces refsnn.bptt on every network (no FD)."""
    grad_fn = grader.wrap(fn)
    for cfg in grader.CONFIGS:
        net, x, target = cfg.build()
        tr = net.simulate(x, spike=cfg.spike)
        d = losses.mse(tr.readout, target)[1]
        rep = gradcheck.compare(grad_fn(net, tr, d), bptt(net, tr, d), tol=1e-12)
        assert rep.passed, f"{cfg}\n{rep}"


# ---------------------------------------------------------------------- verdicts
def test_library_solution_passes():
    result = grader.grade_lif_bptt(fn=solutions.layer_backward)
    assert result.passed, result.text
    assert f"PASSED: all {len(grader.CONFIGS)} networks" in result.text
    assert result.seconds < 60, result.seconds  # about 8 s here; generous for a loaded CI box


def test_filled_stub_passes_via_cli(tmp_path):
    proc = run_cli("check", "lif_bptt", write_variant(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert "PASSED" in out and "FAIL" not in out
    for col in grader.COLUMNS:  # the per-parameter table
        assert col in out
    assert out.count(" ok\n") == len(grader.CONFIGS)


def test_stub_fails_as_not_implemented_via_cli(tmp_path):
    copy = tmp_path / "my_lif_bptt.py"
    copy.write_text(open(STUB, encoding="utf-8").read(), encoding="utf-8")
    for args in (("check", "lif_bptt"), ("check", "lif_bptt", str(copy))):
        proc = run_cli(*args)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "NOT IMPLEMENTED YET" in proc.stdout
        assert "Traceback" not in proc.stdout + proc.stderr
        assert grader.START in proc.stdout


def test_list_and_show():
    proc = run_cli("list")
    assert proc.returncode == 0 and proc.stdout.startswith("lif_bptt")
    proc = run_cli("show", "lif_bptt")
    assert proc.returncode == 0
    assert STUB in proc.stdout and "gI[n+1]" in proc.stdout and "check lif_bptt" in proc.stdout
    proc = run_cli("show", "nope")
    assert proc.returncode == 2 and "unknown exercise" in proc.stderr


# ---------------------------------------------------------------------- typical mistakes
MISTAKES = {
    # the reset term dU[n+1]/dS[n] gU[n+1] dropped from gS[n]
    "forgotten reset term": (
        "gS = gS_ext[:, n] + dU_dS[:, n] * gU[:, n + 1]", "gS = gS_ext[:, n]",
        {"W1", "V1"},
        ["fails only for reset=subtract/zero with detach_reset=False",
         "reset term dU[n+1]/dS[n] gU[n+1] of gS[n] is missing"]),
    # V instead of V^T in the recurrent error (in batch form: @ V.T instead of @ V)
    "transposed weight": (
        "gS = gS + gI[:, n + 1] @ V ", "gS = gS + gI[:, n + 1] @ V.T ",
        {"W1", "V1"},
        ["fails only for recurrent networks", "your V gradient disagrees",
         "did you include V^T gI[n+1] in gS[n]?"]),
    # dW pairs gI[n] with S_in[n]: the one-step delay of Eq. 7 forgotten
    "off-by-one time index": (
        'dW = np.einsum("bni,bnj->ij", gI[:, 1:T], S_in[:, :T - 1])',
        'dW = np.einsum("bni,bnj->ij", gI[:, 0:T], S_in[:, 0:T])',
        {"W1"},
        ["fails for every network", "check the one-step delay: I[n+1] depends on S_in[n]"]),
}


@pytest.mark.parametrize("mistake", list(MISTAKES))
def test_typical_mistake_fails_with_diagnosis(tmp_path, mistake):
    old, new, params, phrases = MISTAKES[mistake]
    result = grader.grade_lif_bptt(write_variant(tmp_path, old, new))
    text = result.text
    assert result.status == "failed", text
    assert "FAILED" in text and "Traceback" not in text
    # the disagreeing parameters are named (in every failing network they are these)
    assert set().union(*result.failing.values()) & {"W1", "V1"} == params, result.failing
    line = next(ln for ln in text.splitlines() if ln.startswith("disagreeing parameters:"))
    for p in params:
        assert f"{p} (your d{p[0]}, hidden layer 1)" in line, line
    for phrase in phrases:
        assert phrase in text, (phrase, text)



def test_transposed_W_is_a_shape_error_with_a_hint(tmp_path):
    """W is not square here, so W for W^T breaks the shapes: a message, not a traceback."""
    result = grader.grade_lif_bptt(write_variant(
        tmp_path, "gS_in[:, :T - 1] = gI[:, 1:T] @ W ", "gS_in[:, :T - 1] = gI[:, 1:T] @ W.T "))
    assert result.status == "error"
    assert "raised ValueError" in result.text and "at line" in result.text
    assert "transposed weight" in result.text and "Traceback" not in result.text


@pytest.mark.parametrize("source, message", [
    ("def layer_backward(:\n", "does not compile"),
    ("def other():\n    pass\n", "defines no function layer_backward"),
    ("import numpy as np\ndef layer_backward(I, U, S, S_in, W, V, p, sg, g):\n"
     "    return np.zeros(W.T.shape), None, np.zeros_like(S_in)\n",
     "dW is transposed"),
    ("def layer_backward(*args):\n    return 1\n", "must return the tuple (dW, dV, gS_in)"),
    ("import numpy as np\ndef layer_backward(I, U, S, S_in, W, V, p, sg, g):\n"
     "    return np.zeros_like(W), None, np.zeros_like(S_in)\n",
     "dV of hidden layer 1 is None, but the layer has a recurrent V"),
])
def test_broken_submissions_get_messages(tmp_path, source, message):
    path = tmp_path / "broken.py"
    path.write_text(source, encoding="utf-8")
    result = grader.grade_lif_bptt(str(path))
    assert result.status == "error", result.text
    assert message in result.text and "Traceback" not in result.text


# ====================================================================== rtrl_step
RTRL_STUB = EXERCISES["rtrl_step"].stub


def rtrl_variant(tmp_path, replacements=(), name="student_rtrl.py"):
    """The rtrl_step stub filled with the NumPy solution, with (old, new) mutations."""
    return filled_variant(tmp_path, RTRL_STUB, solutions.rtrl_step_numpy, replacements, name)


def test_rtrl_configs_are_not_vacuous():
    for cfg in grader.RTRL_CONFIGS:
        net, x, target = cfg.build()
        for S in net.simulate(x, spike="hard").S:
            assert 0 < S.sum() < S.size, cfg


def test_rtrl_every_group_is_recognised():
    configs = grader.RTRL_CONFIGS
    for pattern, pred, hint in grader.RTRL_GROUPS:
        members = {k for k, c in enumerate(configs) if pred(c)}
        assert members, pattern
        lines = grader.diagnose(configs, {k: {"W1"} for k in members},
                                groups=grader.RTRL_GROUPS, names=grader.RTRL_PARAM_NAMES,
                                kind_hints=False)
        assert lines[1].startswith(f"pattern: {pattern} ("), (pattern, lines)
        assert lines[2] == f"hint: {hint}"


@pytest.mark.parametrize("fn", [solutions.rtrl_step, solutions.rtrl_step_numpy])
def test_rtrl_solution_passes(fn):
    result = grader.grade_rtrl_step(fn=fn)
    assert result.passed, result.text
    assert f"PASSED: all {len(grader.RTRL_CONFIGS)} networks agree with BPTT" in result.text
    assert grader.rtrl_probes(fn) == []


def test_rtrl_filled_stub_passes_via_cli(tmp_path):
    proc = run_cli("check", "rtrl_step", rtrl_variant(tmp_path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "PASSED" in proc.stdout and "FAIL" not in proc.stdout
    assert proc.stdout.count(" ok\n") == len(grader.RTRL_CONFIGS)


def test_rtrl_stub_fails_as_not_implemented_via_cli():
    proc = run_cli("check", "rtrl_step")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "NOT IMPLEMENTED YET" in proc.stdout and grader.START in proc.stdout
    assert "Traceback" not in proc.stdout + proc.stderr
    proc = run_cli("show", "rtrl_step")
    assert proc.returncode == 0 and RTRL_STUB in proc.stdout and "delta_ik" in proc.stdout
    assert "rtrl_step" in run_cli("list").stdout


RTRL_MISTAKES = {
    # the -theta dS[n] term of the subtract reset forgotten
    "forgotten reset term": (
        [("dU_next = dU_next - theta * ds", "dU_next = dU_next")],
        ["fails only for reset=subtract with detach_reset=False", "-theta dS[n]"]),
    # the source added to every neuron k instead of neuron i only
    "missing Kronecker delta": (
        [("            dI_next[:, i, :, i] += source\n",
          "            dI_next[:, i, :, :] += source[:, :, None]\n")],
        ["fails for every network", "hint (from a single step with a known answer): "
         + grader.SOURCE_HINT]),
    # dU[n+1] computed from the new dI[n+1] instead of the old dI[n]
    "wrong delay": (
        [("dU_next = beta * dU + dI ", "dU_next = beta * dU + dI_next ")],
        ["fails for every network", "hint (from a single step with a known answer): "
         + grader.DELAY_HINT]),
}


@pytest.mark.parametrize("mistake", list(RTRL_MISTAKES))
def test_rtrl_typical_mistake_fails_with_hint(tmp_path, mistake):
    replacements, phrases = RTRL_MISTAKES[mistake]
    result = grader.grade_rtrl_step(rtrl_variant(tmp_path, replacements))
    assert result.status == "failed", result.text
    assert "FAILED" in result.text and "Traceback" not in result.text
    for phrase in phrases:
        assert phrase in result.text, (phrase, result.text)
    if mistake != "wrong delay":
        assert grader.DELAY_HINT not in result.text
    if mistake != "missing Kronecker delta":
        assert grader.SOURCE_HINT not in result.text

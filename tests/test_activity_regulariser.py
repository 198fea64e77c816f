"""The exercise ``activity_regulariser`` (docs/design.md §8, §11): the gradient of Zenke & Vogels'
lower bound on the spike counts, composed into BPTT as ``gS_ext``.

1. The spec: its grading networks are not vacuous (the bound acts on some neurons and not on
   others, in every network; widths differ from batch sizes); its composition with a correct
   function is its reference; the reference is the true gradient of the readout's MSE plus the
   bound (finite differences of the oracle, smooth and frozen-spike model); every named
   mistake changes the gradient and is named by the diagnosis.
2. Correct solutions written three ways pass (the filled stub and two files of
   ``tests/submissions``, through ``refsnn.exercises.grade``, each in the grader's child
   process). The untouched stub's "not implemented" is
   ``tests/test_exercises.py::test_stub_is_not_implemented``, which runs every exercise.
3. Each classic mistake, written as an edit of the filled stub (independently of the spec's
   MISTAKES), fails with its hint. Most of them run the grading core with the child process
   replaced by an in-process stand-in (:class:`InProcess`), because starting the child costs
   about 2.5 s per run here and the core's table, diagnosis and verdict are what is tested;
   one of them runs through the real command line.
"""
import importlib.util
import os

import numpy as np
import pytest

from refsnn import losses
from refsnn.exercises import EXERCISES, activity_regulariser as spec, core, diagnosis, grade
from refsnn.exercises import solutions, task
from refsnn.gradcheck import check_network

from conftest import InProcess
from test_exercises import SUBMISSIONS, filled, run_cli

NAME = spec.NAME


# ---------------------------------------------------------------------- 1. the spec
def _problems():
    out = []
    for cfg in spec.NETWORKS:
        net, x, target = cfg.problem()
        trace, d = cfg.loss_gradient(net, x, target)
        out.append((cfg, net, x, target, trace, d))
    return out


def test_networks_are_not_vacuous():
    """In every grading network and hidden layer: some (sample, neuron) counts lie below
    v_lower and some above (the rectifier matters), the layer fires in every sample, its width
    is not the batch size (1/M and 1/B differ), and soft spikes are not 0/1."""
    kinds = set()
    for cfg, net, x, target, trace, d in _problems():
        assert cfg.B > 1 and not np.array_equal(x[0], x[1])
        for l, S in enumerate(trace.S):
            zeta = S.sum(axis=1)
            lam, v_lower = spec.bound(S, l)
            assert np.any(zeta < v_lower) and np.any(zeta > v_lower), (cfg, l)
            assert np.all(S.sum(axis=(1, 2)) > 0) and S.shape[2] != cfg.B, (cfg, l)
            assert lam != 1.0
            if cfg.spike == "soft":
                assert np.any((S > 0) & (S < 1) & (S != np.round(S)))
        kinds.add((cfg.spike, cfg.layers, cfg.B))
    assert {k[0] for k in kinds} == {"hard", "soft"} and {k[1] for k in kinds} == {1, 2}
    assert {k[2] for k in kinds} == {2, 3}


@pytest.mark.parametrize("fn", [solutions.lower_bound_grad_numpy, solutions.lower_bound_grad,
                                spec.grad_with], ids=["numpy", "library", "grad_with"])
def test_composition_with_a_correct_function_is_the_reference(fn):
    for cfg, net, x, target, trace, d in _problems():
        mine = spec.network_gradient(diagnosis.local(fn), net, trace, d)
        assert diagnosis.close(mine, spec.reference(net, trace, d)), cfg


@pytest.mark.parametrize("k", [2, 0], ids=["soft", "hard-frozen"])
def test_reference_is_the_gradient_of_mse_plus_the_bound(k):
    """Finite differences of the oracle (docs/design.md §6.1, the frozen-spike model of §6.2
    for hard spikes) of the readout's MSE plus the bound on every hidden layer, at the
    recorded v_lower, against the spec's reference."""
    cfg, net, x, target, trace, d = _problems()[k]
    report = check_network(net, x, spec.objective(trace), target, spike=cfg.spike,
                           grad_fn=lambda n, tr, dr, gS_ext=None: spec.reference(n, tr, dr))
    print(report)
    assert report.passed and report.skipped == 0
    # the bound is not negligible: without it the gradient of W1 is different
    no_bound = losses.Objective(losses.mse, predict=lambda r: None)
    assert not check_network(net, x, no_bound, target, spike=cfg.spike, params=["W[0]"],
                             grad_fn=lambda n, tr, dr: spec.reference(n, tr, dr)).passed


def test_every_mistake_changes_the_gradient_and_is_named():
    problems = _problems()
    every = range(len(problems))
    grids = [(net, x, target) for _, net, x, target, _, _ in problems]
    for m in spec.MISTAKES:
        student = {k: spec.network_gradient(diagnosis.local(m.fn), net, tr, d)
                   for k, (_, net, _, _, tr, d) in enumerate(problems)}
        worst = max(diagnosis.normwise(student[k], spec.reference(net, tr, d))
                    for k, (_, net, _, _, tr, d) in enumerate(problems))
        assert worst > 1e-3, m.name
        failing = [k for k, (_, net, _, _, tr, d) in enumerate(problems)
                   if not diagnosis.close(student[k], spec.reference(net, tr, d))]
        assert diagnosis.hints(spec, student, grids, failing, "x") == [f"{m.hint} [{m.name}]"]
    exact = {k: spec.reference(net, tr, d) for k, (_, net, _, _, tr, d) in enumerate(problems)}
    assert not any("[" in h for h in diagnosis.hints(spec, exact, grids, every,
                                                     "fails for every network"))


def test_binarised_spikes_fail_only_on_the_soft_model():
    """The one mistake that depends on the spike mode: on hard spikes S > 0 is S itself."""
    for cfg, net, x, target, trace, d in _problems():
        mine = spec.network_gradient(
            diagnosis.local(lambda *a: spec.grad_with(*a, mistake="binarised_spikes")),
            net, trace, d)
        assert diagnosis.close(mine, spec.reference(net, trace, d)) == (cfg.spike == "hard")


def test_task_and_stub():
    text = task(NAME)
    assert "[v_lower - zeta_bi]_+" in text and "(1 / B) * sum_b g_b" in text
    stub = open(spec.STUB, encoding="utf-8").read()
    assert stub.count(core.START) == stub.count(core.END) == 1
    assert "NotImplementedError" in stub and NAME in EXERCISES


# ---------------------------------------------------------------------- 2. correct solutions
@pytest.mark.parametrize("file", [None, "activity_regulariser_loops.py",
                                  "activity_regulariser_where.py"])
def test_correct_solutions_pass(tmp_path, file):
    path = filled(tmp_path, NAME) if file is None else os.path.join(SUBMISSIONS, file)
    result = grade(NAME, path)
    n = len(spec.NETWORKS)
    assert result.passed and f"PASSED: all {n} networks" in result.text, result.text
    assert result.text.count(" ok\n") == n


# ---------------------------------------------------------------------- 3. classic mistakes
MISTAKE_EDITS = {
    "no_rectifier": ([("np.maximum(v_lower - zeta, 0.0)", "(v_lower - zeta)")],
                     "the rectifier is missing"),
    "no_mean_over_neurons": ([("2.0 * lam / (B * M)", "2.0 * lam / B")], "M times too large"),
    "no_factor_2": ([("-2.0 * lam / (B * M)", "-lam / (B * M)")],
                    "the factor 2 of the square is missing"),
    "sign_flipped": ([("-2.0 * lam / (B * M)", "2.0 * lam / (B * M)")], "the sign is flipped"),
    "batch_sum": ([("2.0 * lam / (B * M)", "2.0 * lam / M")], "B times too large"),
    "mean_over_time": ([("zeta = S.sum(axis=1)", "zeta = S.mean(axis=1)"),
                        ("    dS = np.repeat(d_zeta[:, None, :], T, axis=1)",
                         "    dS = np.repeat(d_zeta[:, None, :], T, axis=1) / T")],
                       "is a sum over time"),
    "last_step_only": ([("    dS = np.repeat(d_zeta[:, None, :], T, axis=1)",
                         "    dS = np.zeros(S.shape)\n    dS[:, T - 1] = d_zeta")],
                       "the gradient is only at one step"),
    "binarised_spikes": ([("zeta = S.sum(axis=1)", "zeta = (S > 0).sum(axis=1)")],
                         "you counted the spikes as S > 0"),
}


def _hint_lines(text):
    return [line for line in text.splitlines() if line.startswith("hint: ")]


@pytest.mark.parametrize("mistake", list(MISTAKE_EDITS))
def test_mistake_fails_with_its_hint(tmp_path, monkeypatch, mistake):
    edits, hint = MISTAKE_EDITS[mistake]
    monkeypatch.setattr(core, "Sandbox", InProcess)
    result = grade(NAME, filled(tmp_path, NAME, edits))
    hints = _hint_lines(result.text)
    assert result.status == "failed" and len(hints) == 1 and hint in hints[0], result.text
    assert f"[{mistake}]" in hints[0]


def test_in_process_stand_in_passes_the_correct_solution(tmp_path, monkeypatch):
    monkeypatch.setattr(core, "Sandbox", InProcess)
    assert grade(NAME, filled(tmp_path, NAME)).passed
    assert grade(NAME).status == "not_implemented"


def test_a_mistake_through_the_command_line(tmp_path):
    """End to end: the command line, the child process, the table, the pattern and the hint
    for a mistake that only the soft networks show."""
    edits, hint = MISTAKE_EDITS["binarised_spikes"]
    proc = run_cli("check", NAME, filled(tmp_path, NAME, edits))
    hints = _hint_lines(proc.stdout)
    assert proc.returncode == 1 and len(hints) == 1 and hint in hints[0], proc.stdout
    n, soft = len(spec.NETWORKS), sum(c.spike == "soft" for c in spec.NETWORKS)
    assert proc.stdout.count(" FAIL\n") == soft < n
    assert f"FAILED: {soft} of {n} networks fail" in proc.stdout
    assert "pattern: fails only for the soft model" in proc.stdout

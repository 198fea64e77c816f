"""Classroom exercises in the CS231n pattern (docs/design.md §8), graded by the gradient-check contract.

``python -m refsnn.exercises list`` names them, ``start NAME [DIR]`` copies a stub to a file the
student owns, ``show NAME`` prints the task, ``check NAME FILE`` grades it (``--json`` for a
gradebook, ``--timeout`` per call). Each exercise is a spec module on one grading core
(:mod:`.core`); the student's code only ever runs in a child process (:mod:`.sandbox`).

===================  =====================================================================
lif_bptt             backward pass (BPTT) of one hidden LIF layer: ``layer_backward``
                     returns ``dW``, ``dV`` and the error sent to the layer below
                     (:mod:`.lif_bptt`)
rtrl_step            one step of exact forward-mode learning (RTRL) of one hidden LIF
                     layer: ``rtrl_step`` advances the sensitivities ``dI, dU`` to a
                     parameter block from step ``n`` to ``n+1`` (:mod:`.rtrl_step`)
dfa_update           direct feedback alignment: ``dfa_layer_error`` returns the DFA error of
                     one hidden layer over all steps, ``F'(U[n] - theta) H^T gI_o[n+1]``
                     (:mod:`.dfa_update`)
spike_time_gradient  the exact spike-time gradient of one neuron of Mostafa's model (tutorial
                     Eq. 18): ``spike_time_gradient`` finds the causal set and returns
                     ``dz_out/dw`` and ``dz_out/dz_in`` (:mod:`.spike_time_gradient`)
===================  =====================================================================

``activity_regulariser``: activity regularisation, ``lower_bound_grad`` returns the gradient
``dg/dS`` of Zenke & Vogels' lower bound on a hidden layer's spike counts, which the grader
composes into BPTT as ``gS_ext`` (:mod:`.activity_regulariser`).

In Python: ``refsnn.exercises.grade("lif_bptt", "my_file.py")`` returns a
:class:`~refsnn.exercises.core.Result` (``.passed``, ``.exit_code``, ``.text``, ``.to_json()``).

Read next: :mod:`refsnn.exercises.core` (how a submission is graded).
"""
from __future__ import annotations

import ast

from . import activity_regulariser, dfa_update, lif_bptt, rtrl_step, spike_time_gradient
from .core import Grading, Result

#: name -> spec module
EXERCISES = {spec.NAME: spec for spec in (lif_bptt, rtrl_step, dfa_update,
                                          activity_regulariser, spike_time_gradient)}


def spec(name):
    """The spec module of exercise ``name``; ValueError naming the valid ones otherwise."""
    if name not in EXERCISES:
        raise ValueError(f"unknown exercise {name!r}; valid names: {', '.join(EXERCISES)}")
    return EXERCISES[name]


def task(name) -> str:
    """The stub's module docstring: the equations the student implements."""
    with open(spec(name).STUB, encoding="utf-8") as fh:
        return ast.get_docstring(ast.parse(fh.read())) or ""


def grade(name, path=None, timeout=30.0, budget=120.0, verbose=False) -> Result:
    """Grade the file ``path`` (default: the untouched stub) for exercise ``name``.

    ``timeout``: seconds allowed for importing the file and for each call of the function;
    ``budget``: seconds allowed for all of the student's code in the run.
    """
    ex = spec(name)
    for label, value in (("timeout", timeout), ("budget", budget)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
            raise ValueError(f"{label} must be a number of seconds > 0, got {value!r}")
    return Grading(ex, ex.STUB if path is None else path, timeout, budget, verbose).run()


__all__ = ["EXERCISES", "grade", "spec", "task", "Result"]

"""Exercises in the CS231n pattern (DESIGN §8): a stub, a grader, the library as the solution.

``python -m refsnn.exercises list`` names them, ``show NAME`` prints the task and the stub's
path, ``check NAME FILE`` grades the function in ``FILE`` (default: the stub itself) with the
gradcheck contract and prints a table of relative errors, a verdict and, on failure, hints.

=========  ==============================================================================
lif_bptt   backward pass (BPTT) of one hidden LIF layer: ``layer_backward`` returns
           ``dW``, ``dV`` and the error sent to the layer below (stub: ``lif_bptt.py``)
rtrl_step  one step of exact forward-mode learning (RTRL) of one hidden LIF layer:
           ``rtrl_step`` advances the sensitivities ``dI, dU`` to a parameter block from
           step ``n`` to ``n+1`` (stub: ``rtrl_step.py``)
=========  ==============================================================================
"""
from __future__ import annotations

import os
from dataclasses import dataclass

_HERE = os.path.dirname(os.path.abspath(__file__))


@dataclass(frozen=True)
class Exercise:
    """An exercise: the stub file (in this package), the function it asks for, its grader."""

    name: str
    function: str
    summary: str

    @property
    def stub(self) -> str:
        """Absolute path of the stub file."""
        return os.path.join(_HERE, f"{self.name}.py")

    def task(self) -> str:
        """The stub's module docstring: the equations the student implements."""
        import ast

        with open(self.stub, encoding="utf-8") as fh:
            return ast.get_docstring(ast.parse(fh.read())) or ""

    def grade(self, path=None, verbose=False):
        """Grade ``path`` (default: the stub); returns a :class:`grader.Result`."""
        from . import grader

        grade = getattr(grader, f"grade_{self.name}")
        return grade(self.stub if path is None else path, name=self.function, verbose=verbose)


EXERCISES = {
    "lif_bptt": Exercise(
        "lif_bptt", "layer_backward",
        "backward pass (BPTT) of one hidden LIF layer: dW, dV and the error sent down"),
    "rtrl_step": Exercise(
        "rtrl_step", "rtrl_step",
        "one step of exact forward-mode learning (RTRL): the sensitivities dI, dU of a layer"),
}

__all__ = ["EXERCISES", "Exercise"]

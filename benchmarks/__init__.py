"""Benchmarks (`make bench`): speed and memory targets live here, never in timed tests.

Measurement code, outside the library: :mod:`benchmarks.timing` (the timed cases, against the
NumPy baseline and PyTorch / snnTorch), :mod:`benchmarks.costs` (memory and time of the
credit-assignment methods as N and T grow). Installed beside ``refsnn`` (``pip install -e .``,
``setup.cfg``), so the measured figures (:mod:`refsnn.figures.performance`,
:mod:`refsnn.figures.credit_assignment_cost`) and the tutorials import it like any package.
"""

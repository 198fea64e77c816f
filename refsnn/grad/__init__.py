"""Gradient methods: each file derives the same derivative of the same network another way.

* :mod:`.bptt` -- backpropagation through time (exact; surrogate gradient for hard spikes)
* :mod:`.forward` -- exact forward-mode / RTRL sensitivities
* :mod:`.superspike` -- SuperSpike eligibility traces with van Rossum loss (tutorial Eqs. 13-17)
* :mod:`.eprop` -- e-prop factorisation: eligibility traces times learning signals

Read next: refsnn/grad/bptt.py, the reference method the others are checked against.
"""
from ..trace import Grads
from .bptt import bptt
from .eprop import eprop, eprop_exact
from .forward import rtrl
from .superspike import superspike, van_rossum

__all__ = ["Grads", "bptt", "rtrl", "superspike", "van_rossum", "eprop", "eprop_exact"]

"""Gradient methods: each file derives the same derivative of the same network another way.

* :mod:`.bptt` -- backpropagation through time (exact; surrogate gradient for hard spikes)
* :mod:`.forward` -- exact forward-mode / RTRL sensitivities
* :mod:`.superspike` -- SuperSpike eligibility traces with van Rossum loss (tutorial Eqs. 13-17)
* :mod:`.eprop` -- e-prop factorisation: eligibility traces times learning signals
* :mod:`.feedback` -- feedback alignment, direct feedback alignment, local errors (§V-A, Eq. 19),
  with the random matrices and the alignment angle in :mod:`.random_feedback`

Read next: refsnn/grad/bptt.py, the reference method the others are checked against.
"""
from ..trace import Grads
from .bptt import bptt
from .eprop import eprop, eprop_exact
from .feedback import direct_feedback_alignment, feedback_alignment, local_errors
from .forward import rtrl
from .random_feedback import alignment, random_feedback, sign_concordant
from .superspike import superspike, van_rossum

__all__ = ["Grads", "bptt", "rtrl", "superspike", "van_rossum", "eprop", "eprop_exact",
           "feedback_alignment", "direct_feedback_alignment", "local_errors", "alignment",
           "random_feedback", "sign_concordant"]

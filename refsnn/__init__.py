"""refsnn: surrogate-gradient learning in spiking neural networks, every derivative by hand.

>>> from refsnn import LIFParams, Network, losses, bptt, gradcheck

Read next: refsnn/surrogate.py, the spike and its surrogate derivatives (the full reading order
is in README.md; the design in docs/design.md).
"""
from . import kernel_cache

with kernel_cache.keyed_by_sources():  # before any kernel is decorated (refsnn.kernel_cache)
    from . import gradcheck, losses, reference, rnn, timing
    from .grad.bptt import bptt
    from .grad.forward import rtrl
    from .lif import LIFParams
    from .network import Network
    from .trace import Grads, Trace
    from .surrogate import SURROGATES, Surrogate
    from . import stdp  # noqa: E402  (its kernels too are keyed by the sources)
    from . import timing  # spike-time models (their kernels too are keyed by the sources)

__all__ = ["LIFParams", "Network", "Trace", "Grads", "bptt", "rtrl", "losses", "gradcheck", "reference", "rnn",
           "Surrogate", "SURROGATES", "stdp", "timing"]
__version__ = "0.1.0"

"""refsnn: surrogate-gradient learning in spiking neural networks, every derivative by hand.

>>> from refsnn import LIFParams, Network, losses, bptt, gradcheck
"""
from . import kernel_cache

with kernel_cache.keyed_by_sources():  # before any kernel is decorated (refsnn.kernel_cache)
    from . import gradcheck, losses, reference, rnn
    from .grad.bptt import Grads, bptt
    from .grad.forward import rtrl
    from .lif import LIFParams
    from .network import Network, Trace
    from .surrogate import SURROGATES, Surrogate

__all__ = ["LIFParams", "Network", "Trace", "Grads", "bptt", "rtrl", "losses", "gradcheck", "reference", "rnn",
           "Surrogate", "SURROGATES"]
__version__ = "0.1.0"

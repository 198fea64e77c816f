"""refsnn: surrogate-gradient learning in spiking neural networks, every derivative by hand.

>>> from refsnn import LIFParams, Network, losses, bptt, gradcheck
"""
from . import gradcheck, losses
from .grad.bptt import Grads, bptt
from .lif import LIFParams
from .network import Network, Trace
from .surrogate import SURROGATES, Surrogate

__all__ = ["LIFParams", "Network", "Trace", "Grads", "bptt", "losses", "gradcheck",
           "Surrogate", "SURROGATES"]
__version__ = "0.1.0"

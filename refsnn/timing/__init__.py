"""Spike-time models: each neuron's (first) spike time is the variable, and the gradient flows
through it (docs/design.md §6.3). One model per module, each with its own event-based forward
and its hand-derived backward:

* :mod:`.spikeprop` -- SpikeProp (Bohte, Kok & La Poutré 2002): spike-response-model neurons
  with alpha kernels and delayed synaptic terminals, the linearised spike-time gradient;
  :mod:`.srm_reference` is its independent extended-precision oracle.

(Note for the merge: the ``mostafa`` branch adds ``from . import mostafa`` here, Mostafa 2018's
exact spike times; both lines belong in the final file.)

Read next: refsnn/timing/spikeprop.py.
"""
from . import spikeprop, srm_reference

__all__ = ["spikeprop", "srm_reference"]

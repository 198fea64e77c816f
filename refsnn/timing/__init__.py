"""Spike-time models: each brings its own event-based forward pass and its exact gradient.

* :mod:`refsnn.timing.mostafa` -- Mostafa 2018 (tutorial §V-C, Eq. 18): non-leaky
  integrate-and-fire neurons that fire once, spike times in closed form, exact gradients;
  :mod:`refsnn.timing.mostafa_reference` the same in NumPy in any precision (the oracle),
  :mod:`refsnn.timing.first_spike_loss` its first-to-spike loss and penalties;
  :mod:`refsnn.timing.stepped` the same model on the time grid of :mod:`refsnn.lif`;
  :mod:`refsnn.timing.training` one gradient step, an epoch, accuracy.
* :mod:`refsnn.timing.spikeprop` -- SpikeProp (Bohte, Kok & La Poutré 2002): spike-response
  neurons with alpha kernels and delayed synaptic terminals, first spike times on the event
  level, the linearised spike-time gradient; :mod:`refsnn.timing.srm_reference` its
  independent extended-precision oracle.

Their gradient checks are those of docs/design.md §6.3: finite differences of the event-based
forward pass where no perturbation changes a causal set (a piece: for SpikeProp, the terminals
that have started before each spike), and convergence of the time-stepped simulator to the
analytic spike times as ``dt -> 0``.

Read next: refsnn/timing/mostafa.py, then refsnn/timing/spikeprop.py.
"""
from . import first_spike_loss, mostafa, mostafa_reference, spikeprop, srm_reference, stepped
from . import training

__all__ = ["mostafa", "mostafa_reference", "first_spike_loss", "stepped", "training",
           "spikeprop", "srm_reference"]

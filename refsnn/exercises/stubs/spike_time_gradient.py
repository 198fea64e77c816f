r"""Exercise spike_time_gradient: the exact spike-time gradient of one neuron (Mostafa 2018).

Copy this file, fill in the code between the markers, then grade it::

    python -m refsnn.exercises check spike_time_gradient my_spike_time_gradient.py

The model (the tutorial's Eq. 18, after Mostafa, "Supervised learning based on temporal coding
in spiking neural networks", 2018): a non-leaky integrate-and-fire neuron with exponentially
decaying synaptic currents, time constant 1, threshold 1, at most one spike. Input ``i`` spikes
once at ``t_i`` (``inf``: never) with weight ``w_i``; the membrane potential is

    U(t) = sum_i w_i (1 - exp(-(t - t_i)))     summed over the inputs with t_i < t,

and the neuron fires at the first ``t_out`` with ``U(t_out) = 1``. In the variable
``z = exp(t)`` this has a closed form. For a set ``C`` of inputs that have arrived,
``U(t) = 1`` gives ``exp(t) (sum_C w_i - 1) = sum_C w_i exp(t_i)``, so

    z_out = sum_{i in C} w_i z_i / (sum_{i in C} w_i - 1),          z_i = exp(t_i),

where ``C``, the **causal set**, is the set of inputs that arrive before the output spike.
Find it by sorting the inputs by time and trying the prefixes ``C_k`` (the ``k`` earliest
inputs) in order: the first ``k`` for which

    sum_{C_k} w_i > 1   and   z_out(C_k) < z of the next input (inf if there is none)

is the causal set. (Both conditions are needed: a prefix whose weights sum above 1 but whose
crossing would come only after the next input has arrived is not causal; the next input
arrives first and changes U.) No such ``k``: the neuron does not fire (the grader calls your
function only for neurons that fire).

Your task: for ONE neuron, the derivatives of its ``z_out`` by its weights and by its inputs'
``z`` (differentiate the closed form, with ``C`` fixed)::

    d z_out / d w_i   = (z_i - z_out) / (sum_C w - 1)     for i in C,   0 otherwise
    d z_out / d z_i   = w_i / (sum_C w - 1)               for i in C,   0 otherwise

The grader plugs your function into every neuron of small networks of these neurons (one or
two layers; inhibitory (negative) weights; inputs that never spike), chains the results
through the layers with the loss ``L = 1/2 sum (z_out - target)^2`` of the output layer (your
``d z_out / d z_in`` carries the error to the layer below), and compares the weight gradients
with finite differences of the network's loss (they must agree to 1e-6). Plain NumPy only.

Pitfalls:

* ``z``, not ``t``: the closed form is in ``z = exp(t)``; the function is given spike times.
* the ``- 1`` in ``sum_C w - 1``: it is the threshold.
* the causal set: check both conditions; an input outside ``C`` (later, or never spiking) has
  zero derivatives.
* ``t_in[i] = inf`` (an input that never spiked) makes ``z_i = inf``; ``inf * 0`` is ``nan``,
  so select with ``np.where``/masks before multiplying, never multiply by a 0/1 mask.
* the second output is the derivative by ``z_i``, not by ``t_i``.
"""
import numpy as np


def spike_time_gradient(t_in, w):
    """``d z_out / d w`` and ``d z_out / d z_in`` of one neuron that fires.

    Parameters
    ----------
    t_in : ndarray (n_in,)
        The input spike times (``inf``: the input never spiked), in no particular order.
    w : ndarray (n_in,)
        The neuron's weights, ``w[i]`` from input ``i``.

    Returns
    -------
    dz_dw : ndarray (n_in,)
        ``dz_dw[i] = (z_i - z_out) / (sum_C w - 1)`` for ``i`` in the causal set ``C``, else 0.
    dz_dz_in : ndarray (n_in,)
        ``dz_dz_in[i] = w_i / (sum_C w - 1)`` for ``i`` in ``C``, else 0.
    """
    n_in = t_in.shape[0]
    # ---- YOUR CODE START ----
    raise NotImplementedError("fill in spike_time_gradient")
    # ---- YOUR CODE END ----
    return dz_dw, dz_dz_in

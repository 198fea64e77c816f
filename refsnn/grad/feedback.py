r"""Feedback alignment, direct feedback alignment and local errors for the LIF network.

The tutorial's §V-A and §V-D replace the *spatial* path of backpropagation by fixed random
matrices; the *temporal* credit assignment (through ``I``, ``U`` and the reset, Eq. 8) stays
exactly BPTT's (:mod:`refsnn.grad.bptt`). In BPTT the error arriving at the spikes of hidden
layer ``l`` is

.. math::

    gS^{(l)}[n] = W^{(l+1)\top} gI^{(l+1)}[n+1] + V^{(l)\top} gI^{(l)}[n+1]
                  + \partial U[n+1]/\partial S[n]\; gU^{(l)}[n+1],

with ``W^(L+1) = W_o`` and ``gI^(L+1) = gI_o`` the readout's. Each rule changes only the first
term (indices: ``l = 0 .. L-1`` the hidden layers, as in ``net.W[l]``):

* **Feedback alignment** (FA; Lillicrap et al. 2016; tutorial
  :math:`\delta^l_i = \sigma'(a^l_i) \sum_k \delta^{l+1}_k G^l_{ki}`):
  :math:`B[l]^\top gI^{(l+1)}[n+1]`, a fixed ``B[l]`` of the shape of ``net.W[l+1]``.
* **Direct feedback alignment** (DFA; Nøkland 2016; tutorial
  :math:`\delta^l_i = \sigma'(a^l_i) \sum_k \delta^L_k H^l_{ki}`):
  :math:`H[l]^\top gI_o[n+1]`, a fixed ``H[l]`` ``(n_out, n_l)`` for every hidden layer, and
  no error passes between hidden layers. Timing: the tutorial's equation is for a network
  without synaptic delays. Here the error of the readout's synapses at step ``n+1`` reaches
  every hidden layer's spikes at step ``n``, as if each layer projected onto the readout
  directly; through the real layers it would arrive ``L - l`` steps later. So for one hidden
  layer and ``H[0] = W_o`` DFA is BPTT, and for deeper networks the top hidden layer's gradient
  is BPTT's when its ``H`` is ``W_o``.
* **Local errors** (DCLL; Kaiser, Mostafa & Neftci 2020; tutorial Eq. 19): hidden layer ``l``
  drives its own fixed random readout ``G[l]`` ``(n_out, n_l)``, a leaky non-spiking readout
  with the network's ``alpha, beta`` (:meth:`refsnn.network.Network.leaky_readout`), with its
  own loss: the network's loss function and target applied to that readout. The layer's update
  is the BPTT gradient of its local loss with its input ``S^(l-1)`` held fixed: no error
  passes to lower layers, and the error at its spikes is
  :math:`G[l]^\top gI_r^{(l)}[n+1]`. The network's readout ``W_o`` gets the gradient of the
  network's loss, as in BPTT.

The fixed matrices are drawn by :mod:`refsnn.grad.random_feedback`, which also measures how
well an update aligns with the exact gradient (:func:`~refsnn.grad.random_feedback.alignment`).

What is easy to get wrong: sending the DFA error through ``W_o`` instead of ``H`` (that is
BPTT's top layer, not DFA); sending it at step ``n+1`` instead of ``n``; forgetting ``F'`` (it
enters through the adjoint recursion, exactly as in BPTT); letting a local loss reach the layer
below.

Read next: refsnn/grad/random_feedback.py, the random matrices and the alignment angle.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np

from ..network import Network
from ..trace import Grads, check_readout_grad, check_trace
from .bptt import (backward_sweep, error_to_input, gradients_from_adjoints, layer_adjoints,
                   readout_adjoints, weight_gradient)

#: what :func:`local_errors` reports per hidden layer: its local loss value, the local
#: readout's membrane ``U_r`` ``(B, T, n_out)`` (for accuracies) and current ``I_r``
LocalReadout = namedtuple("LocalReadout", ["loss", "readout", "readout_I"])


def _check_matrices(name, mats, shapes, dtype):
    """``mats`` as a list of C-contiguous finite arrays of ``dtype`` with the given shapes."""
    if isinstance(mats, np.ndarray) or not hasattr(mats, "__len__"):
        raise TypeError(f"{name} must be a list of {len(shapes)} matrices, one per hidden layer")
    if len(mats) != len(shapes):
        raise ValueError(f"{name} must have {len(shapes)} matrices (one per hidden layer), got "
                         f"{len(mats)}")
    out = []
    for l, (m, shape) in enumerate(zip(mats, shapes)):
        a = np.asarray(m)
        if a.dtype.kind not in "biuf":
            raise TypeError(f"{name}[{l}] must be a real array, got dtype {a.dtype}")
        if a.shape != shape:
            raise ValueError(f"{name}[{l}] must have shape {shape}, got {a.shape}")
        a = np.ascontiguousarray(a, dtype=dtype)
        if not np.all(np.isfinite(a)):
            raise ValueError(f"{name}[{l}] contains NaN or inf")
        out.append(a)
    return out


def _checked(net, trace, d_readout):
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")
    net.require_readout("feedback alignment")
    check_trace(net, trace)
    return check_readout_grad(d_readout, trace)


def feedback_alignment(net, trace, d_readout, B) -> Grads:
    r"""Feedback alignment: BPTT with the error to layer ``l`` sent through ``B[l]``.

    :math:`gS^{(l)}[n] = B[l]^\top gI^{(l+1)}[n+1] + V^\top gI^{(l)}[n+1] + \text{reset}`
    (module docstring); everything else is BPTT's. With ``B[l] = net.W[l+1]`` this is
    :func:`refsnn.bptt`.

    Parameters
    ----------
    net : Network
    trace : Trace
        ``net.simulate(x, spike=...)``.
    d_readout : array (B, T, n_out)
        ``dL/dU_o`` from :mod:`refsnn.losses`.
    B : list of arrays
        ``B[l]`` of the shape of ``net.W[l + 1]``, one per hidden layer (``B[-1]`` replaces
        ``W_o``).

    Returns
    -------
    Grads
        The readout's ``dW_o`` is exact; every hidden layer's update uses ``B``.
    """
    d_readout = _checked(net, trace, d_readout)
    B = _check_matrices("B", B, [w.shape for w in net.W[1:]], d_readout.dtype)
    gI, gI_o = backward_sweep(net, trace, d_readout, [net.W[0]] + B)
    return gradients_from_adjoints(net, trace, gI, gI_o)


def direct_feedback_alignment(net, trace, d_readout, H) -> Grads:
    r"""Direct feedback alignment: every hidden layer gets the readout's error through ``H[l]``.

    :math:`gS^{(l)}[n] = H[l]^\top gI_o[n+1] + V^\top gI^{(l)}[n+1] + \text{reset}`, no error
    between hidden layers (module docstring, with the one-step timing choice).

    Parameters
    ----------
    net, trace, d_readout
        As in :func:`feedback_alignment`.
    H : list of arrays
        ``H[l]`` ``(n_out, n_l)``, one per hidden layer.

    Returns
    -------
    Grads
    """
    d_readout = _checked(net, trace, d_readout)
    n_out = net.sizes[-1]
    H = _check_matrices("H", H, [(n_out, n) for n in net.sizes[1:-1]], d_readout.dtype)
    gI, gI_o = backward_sweep(net, trace, d_readout, [net.W[0]] + H, direct=True)
    return gradients_from_adjoints(net, trace, gI, gI_o)


def local_errors(net, trace, loss, target, G):
    r"""Local errors (DCLL, tutorial Eq. 19): each hidden layer learns from its own readout.

    For hidden layer ``l``: the local readout ``(I_r, U_r) = net.leaky_readout(S^(l), G[l])``,
    its loss ``(L_l, dL_l/dU_r) = loss(U_r, target)``, the readout adjoint ``gI_r``, the error
    :math:`gS^{(l)}[n] = G[l]^\top gI_r[n+1]` at the layer's spikes, the layer's BPTT adjoints
    through ``I, U``, ``V`` and the reset, and

    .. math::

        \Delta W^{(l)} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l-1)}[n]^\top, \qquad
        \Delta V^{(l)} = \sum_{b,n} gI^{(l)}[n+1]\, S^{(l)}[n]^\top

    with ``S^(l-1)`` held fixed. The readout ``W_o`` gets the gradient of
    ``loss(trace.readout, target)``.

    Parameters
    ----------
    net : Network
    trace : Trace
    loss : callable
        ``(readout, target) -> (value, d_readout)``, e.g. :func:`refsnn.losses.max_over_time_ce`.
    target
        What ``loss`` compares with (labels for the cross-entropies).
    G : list of arrays
        ``G[l]`` ``(n_out, n_l)``, the fixed local readouts.

    Returns
    -------
    grads : Grads
    local : list of LocalReadout
        Per hidden layer: its local loss value and readout (``local[l].readout`` gives the local
        classifier's prediction, e.g. with :func:`refsnn.losses.predict_max_over_time`).
    """
    if not callable(loss):
        raise TypeError(f"loss must be a callable (readout, target) -> (value, d_readout), got "
                        f"{type(loss).__name__}")
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")
    net.require_readout("local_errors")
    net.require_options("local_errors")
    check_trace(net, trace)
    n_out = net.sizes[-1]
    G = _check_matrices("G", G, [(n_out, n) for n in net.sizes[1:-1]], net.dtype)
    _, d_out = loss(trace.readout, target)
    d_out = check_readout_grad(d_out, trace)
    gI_o = readout_adjoints(net, trace, d_out)
    gW, gV, local = [], [], []
    for l, G_l in enumerate(G):
        I_r, U_r = net.leaky_readout(trace.S[l], G_l)
        value, dU_r = loss(U_r, target)
        zeros = np.zeros_like(U_r, dtype=np.float64)
        gI_r = layer_adjoints(I_r, U_r, zeros, None, net.params, net.surrogate, zeros, dU_r,
                              spike="none")[0]
        gS = error_to_input(gI_r, G_l)                     # G[l]^T gI_r[n+1]
        gI = layer_adjoints(trace.I[l], trace.U[l], trace.S[l], net.V[l], net.params,
                            net.surrogate, gS, spike=trace.spike)[0]
        events = trace.x_events if l == 0 else None           # a sparse x: its event list
        s_prev = trace.S[l - 1] if l else (None if events is not None else trace.x)
        gW.append(weight_gradient(gI, s_prev, events))
        gV.append(None if net.V[l] is None else weight_gradient(gI, trace.S[l]))
        local.append(LocalReadout(float(value), U_r, I_r))
    gW.append(weight_gradient(gI_o, trace.S[-1]))
    dt = net.dtype
    grads = Grads(W=[g.astype(dt, copy=False) for g in gW],
                  V=[None if g is None else g.astype(dt, copy=False) for g in gV])
    return grads, local

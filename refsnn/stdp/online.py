r"""Plasticity while the LIF network runs: :func:`simulate` steps the network and the rule together.

The network is :class:`refsnn.Network` and its step is the library's: :func:`refsnn.lif.fire`
(``S[n] = Theta(U[n] - theta)``), :func:`refsnn.lif.leak` (Eq. 8 with
:func:`refsnn.lif.membrane_update`, and ``alpha I[n]``) and :func:`refsnn.lif.add_weighted_rows`
(``+ W S_in[n] + V S[n]``, Eq. 7), in the order of :func:`refsnn.lif.layer_forward`, so with the
plasticity switched off the spikes are bit for bit those of :meth:`Network.simulate` (tested).
For each plastic hidden layer ``l`` the synapses ``W^(l)`` learn from the pairs
``(S^(l-1)[n], S^(l)[n])`` (``S^(0) = x``) by one :func:`refsnn.stdp.kernels.step` per time
step. Step ``n`` is, for every layer:

1. ``S^(l)[n]`` from ``U^(l)[n]`` (every layer first, so layer ``l + 1`` sees ``S^(l)[n]``);
2. ``I^(l)[n+1], U^(l)[n+1]`` with the weights ``W_n`` in effect at step ``n``;
3. the rule's step on the spikes of step ``n``: decay, weight updates, traces
   (:mod:`refsnn.stdp.kernels`), which gives ``W_{n+1}``.

So the spike that changes a synapse at step ``n`` was itself transmitted with ``W_n``, and an
input spike at step ``n`` (which reaches ``U`` at ``n + 2``) can only pair causally with a post
spike two or more steps later: ``delta_t >= 2 dt``. The readout's ``W_o`` and the recurrent
``V`` stay fixed.

The samples of ``x`` are presented one after another: the state (``I``, ``U``, the traces)
starts from zero for each (or from ``state`` for the first), and the weights carry over. A
long trial can be cut into pieces: ``simulate(res.net, x2, rule, dt, state=res.state)``
continues exactly where ``res`` stopped (tested bit for bit against one call).

Read next: refsnn/figures/stdp_window.py, the window measured with these runners.
"""
from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from .. import lif
from ..checks import check_int
from ..network import Network, validate_input
from .kernels import step
from .rules import as_rule
from .run import snapshot_steps


@dataclass(frozen=True)
class OnlineState:
    """The state between two steps: ``I``, ``U`` per layer (the readout last), ``(N_l,)`` each,
    and the traces ``R`` ``(2, N_{l-1})``, ``O`` ``(2, N_l)`` per hidden layer."""

    I: list
    U: list
    R: list
    O: list


@dataclass(frozen=True)
class OnlineResult:
    """What :func:`simulate` returns.

    Attributes
    ----------
    net : Network
        A new network with the learned weights (the caller's is not changed).
    S : list of ndarray (B, T, N_l)
        The spikes of every hidden layer.
    steps : ndarray (K,)
        Global steps ``b T + n`` of the weight snapshots (``B T``: the end).
    W : list of (ndarray (K, N_l, N_{l-1}) or None)
        Per hidden layer, the weights in effect at the start of each step of ``steps``; None for
        a layer that is not plastic.
    state : OnlineState
        The state after the last step (to continue with ``state=``).
    """

    net: Network
    S: list
    steps: np.ndarray
    W: list
    state: OnlineState


@numba.njit(cache=True)
def online_kernel(x, W, V, has_V, plastic, hidden, readout, p, d_pre, d_post, I, U, S, R, O,
                  S_rec, snap_steps, snaps, fresh_first):
    """Step the network and the rule (module docstring) over every sample of ``x`` ``(B, T,
    n_in)``. Typed lists: ``W`` (every layer, the readout last), ``V``, ``I``, ``U``, ``S`` (state
    vectors, the readout's ``S`` stays 0), ``R``, ``O`` (traces), ``S_rec`` ``(B, T, N_l)``,
    ``snaps`` ``(K, N_l, N_{l-1})`` of the plastic layers."""
    B, T, _ = x.shape
    L = len(W) - 1
    k = 0
    for b in range(B):
        if b > 0 or fresh_first:
            for l in range(L + 1):
                I[l][:] = 0.0
                U[l][:] = 0.0
            for l in range(L):
                R[l][:] = 0.0
                O[l][:] = 0.0
        for n in range(T):
            g = b * T + n
            for l in range(L):                       # 1. S[n] = Theta(U[n] - theta)
                lif.fire(hidden, U[l], S[l])
                S_rec[l][b, n] = S[l]
            while k < snap_steps.shape[0] and snap_steps[k] == g:
                for l in range(L):
                    if plastic[l]:
                        snaps[l][k] = W[l]
                k += 1
            for l in range(L + 1):                   # 2. Eqs. 7-8 with W_n
                nrn = readout if l == L else hidden
                s_in = x[b, n] if l == 0 else S[l - 1]
                lif.leak(nrn, I[l], U[l], S[l], I[l], U[l])
                lif.add_weighted_rows(I[l], W[l].T, s_in)
                if l < L and has_V[l]:
                    lif.add_weighted_rows(I[l], V[l].T, S[l])
            for l in range(L):                       # 3. the rule: W_n -> W_{n+1}
                if plastic[l]:
                    s_in = x[b, n] if l == 0 else S[l - 1]
                    step(W[l], s_in, S[l], R[l], O[l], p, d_pre, d_post)
    while k < snap_steps.shape[0]:
        for l in range(L):
            if plastic[l]:
                snaps[l][k] = W[l]
        k += 1


def _typed(arrays):
    out = numba.typed.List()
    for a in arrays:
        out.append(a)
    return out


def _plastic_layers(plastic, L):
    if plastic is None:
        return np.ones(L, dtype=np.bool_)
    if isinstance(plastic, (str, bytes)) or not hasattr(plastic, "__iter__"):
        raise TypeError(f"plastic must be a sequence of hidden-layer indices, got "
                        f"{type(plastic).__name__}")
    mask = np.zeros(L, dtype=np.bool_)
    for l in plastic:
        l = check_int("plastic[...]", l, 0)
        if l >= L:
            raise ValueError(f"plastic names hidden layer {l}; the network has {L} (0..{L - 1}; "
                             "the readout cannot learn by STDP: it does not spike)")
        mask[l] = True
    return mask


def _check_state(state, net):
    if not isinstance(state, OnlineState):
        raise TypeError(f"state must be an OnlineState (a result's .state), got "
                        f"{type(state).__name__}")
    sizes = net.sizes
    L = net.n_hidden_layers
    shapes = ([(sizes[l + 1],) for l in range(L + 1)], [(sizes[l + 1],) for l in range(L + 1)],
              [(2, sizes[l]) for l in range(L)], [(2, sizes[l + 1]) for l in range(L)])
    for name, arrays, want in zip("IURO", (state.I, state.U, state.R, state.O), shapes):
        if len(arrays) != len(want) or any(np.shape(a) != w for a, w in zip(arrays, want)):
            raise ValueError(f"state.{name} does not fit this network (expected shapes {want})")
    return [[np.array(a, dtype=np.float64) for a in arrays]
            for arrays in (state.I, state.U, state.R, state.O)]


def simulate(net, x, rule, dt, plastic=None, record_every=None, state=None):
    r"""Run the LIF network on ``x`` with ``rule`` applied online (module docstring).

    Parameters
    ----------
    net : Network
        float64; its ``W^(l)`` of the plastic layers must lie within the rule's bounds.
    x : array (B, T, n_in)
        Binary input spikes; the samples are presented one after another.
    rule : PairSTDP or TripletSTDP
    dt : float
        The network's time step in the unit of the rule's time constants (the network itself
        knows only ``alpha``, ``beta``).
    plastic : sequence of int, optional
        The hidden layers whose input weights ``W^(l)`` learn (default every hidden layer).
    record_every : int, optional
        Snapshot the plastic weights every ``record_every`` steps (global step ``b T + n``)
        and at the end; default only at the start and the end.
    state : OnlineState, optional
        Continue from a previous result's ``state`` (for the first sample).

    Returns
    -------
    OnlineResult
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    net.check_weights()
    net.require_float64("stdp.simulate")
    net.require_options("stdp.simulate")  # it steps the tutorial's neuron (lif.fire, lif.leak)
    rule = as_rule(rule)
    d = rule.decays(dt)
    L = net.n_hidden_layers
    mask = _plastic_layers(plastic, L)
    for l in np.flatnonzero(mask):
        w = net.W[l]
        if w.size and (w.min() < rule.w_min or w.max() > rule.w_max):
            raise ValueError(f"net.W[{l}] must lie within the rule's bounds [{rule.w_min:g}, "
                             f"{rule.w_max:g}]")
    x = validate_input(x, net.sizes[0], binary=True, online=True)
    B, T, _ = x.shape
    steps = snapshot_steps(B * T, record_every)
    sizes = net.sizes
    if state is None:
        I = [np.zeros(sizes[l + 1]) for l in range(L + 1)]
        U = [np.zeros(sizes[l + 1]) for l in range(L + 1)]
        R = [np.zeros((2, sizes[l])) for l in range(L)]
        O = [np.zeros((2, sizes[l + 1])) for l in range(L)]
    else:
        I, U, R, O = _check_state(state, net)
    W = [w.copy() for w in net.W]
    V = [np.zeros((0, 0)) if v is None else v for v in net.V]
    S = [np.zeros(sizes[l + 1]) for l in range(L + 1)]
    S_rec = [np.zeros((B, T, sizes[l + 1])) for l in range(L)]
    snaps = [np.empty((steps.shape[0],) + W[l].shape) if mask[l] else np.empty((0, 0, 0))
             for l in range(L)]
    online_kernel(x, _typed(W), _typed(V), np.array([v is not None for v in net.V]), mask,
                  lif.neuron(net.params, net.surrogate, "hard"),
                  lif.neuron(net.params, net.surrogate, "none"), rule.kernel_record(),
                  d[:2].copy(), d[2:].copy(), _typed(I), _typed(U), _typed(S), _typed(R),
                  _typed(O), _typed(S_rec), steps, _typed(snaps), state is None)
    learned = Network(W, net.V, net.params, net.surrogate)
    return OnlineResult(net=learned, S=S_rec, steps=steps,
                        W=[snaps[l] if mask[l] else None for l in range(L)],
                        state=OnlineState(I=I, U=U, R=R, O=O))

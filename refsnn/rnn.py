r"""The generic RNN of Box 1 with hand-written BPTT (Eq. 11) and forward gradient (Eq. 12).

The model, its conventions (zero initial state, one-step delays, 0-based layer lists) and its
activations are in :mod:`refsnn.rnn_model`; :class:`RNN` and :class:`RNNTrace` are importable from
here too.

For ``"heaviside"`` the gradients below are surrogate gradients: finite differences do not
apply and the proof is the agreement of the backward method (:func:`bptt_eq11`) and the forward method
(:func:`forward_eq12`) to 1e-10 (docs/design.md §6.2). For the three smooth activations both must equal
finite differences to 1e-6 (docs/design.md §6.1).

Loss: any ``L = sum_n L[n](y^L[n])``, given by its gradient ``dL_dy[b, n, k] = dL/dy^L_k[n]``.
The printed equations contain typos; the forms here are the corrected ones, derived below and
tested in ``tests/test_rnn.py`` (see ``docs/errata.md``).

Read next: refsnn/optim.py, the optimisers that consume these gradients.
"""
from __future__ import annotations

import numpy as np

from .checks import as_finite_array
from .rnn_model import RNN, SIGMAS, RNNTrace, check_trace
from .trace import Grads

__all__ = ["RNN", "RNNTrace", "SIGMAS", "bptt_eq11", "forward_eq12", "PRINTED_EQ11",
           "PRINTED_EQ12"]

#: names of the printed typos of Eq. 10-11 that :func:`_bptt` can reproduce (tests only)
PRINTED_EQ11 = frozenset({"ff_timing", "ff_weight", "output_error", "w_input_timing",
                          "delta_s"})
#: names of the printed typos of Eq. 12 that :func:`_forward` can reproduce (tests only)
PRINTED_EQ12 = frozenset({"weight_index", "source"})


# ---------------------------------------------------------------------------- Eq. 11 (BPTT)
def bptt_eq11(rnn, trace, dL_dy) -> Grads:
    r"""Backpropagation through time for the Box 1 RNN (tutorial Box 2, Eqs. 10-11, corrected).

    ``delta^l_i[n] = dL/da^l_i[n]`` (total derivative). ``a^l_i[n]`` acts through ``y^l_i[n]``
    on the loss at step ``n`` (top layer only), on ``a^l_k[n+1]`` (weight ``V^l_ki``) and on
    ``a^{l+1}_k[n+1]`` (weight ``W^{l+1}_ki``; Box 1 delays the feed-forward term by one
    step too). Backwards from ``n = T-1`` with ``delta[T] = 0``:

    .. math::

        \delta^l_i[n] = \sigma'(a^l_i[n]) \Big( \sum_k W^{l+1}_{ki}\, \delta^{l+1}_k[n+1]
            + \sum_k V^l_{ki}\, \delta^l_k[n+1]
            + [l = L]\, \frac{\partial L}{\partial y^L_i[n]} \Big),

    .. math::

        \frac{\partial L}{\partial W^l_{ij}} = \sum_{n=0}^{T-1} \delta^l_i[n]\, y^{l-1}_j[n-1],
        \qquad
        \frac{\partial L}{\partial V^l_{ij}} = \sum_{n=0}^{T-1} \delta^l_i[n]\, y^l_j[n-1]

    (the ``n = 0`` terms vanish: ``y[-1] = 0``), summed over the batch. For a single-step loss
    ``L[n]`` the errors vanish after ``n``, so the sums may stop at ``m = n``.

    Printed (arXiv Eq. 11 / journal Eq. 7): ``delta^l_i[n] = sigma'(a^l_i[n]) (sum_k
    delta^{l+1}_k[n] W^{T,l}_{ik} + sum_k delta^l_k[n+1] V^{T,l}_{ik})``, i.e. the feed-forward
    error taken at ``[n]`` (not ``[n+1]``) and through ``W^l`` (not ``W^{l+1}``);
    ``dL[n]/dW = sum_{m=0}^t delta[m] y^{l-1}_j[m]`` (input at ``[m]``, not ``[m-1]``; ``t``
    undefined), ``dL[n]/dV = sum_{m=1}^t delta[s] y^l_j[m-1]`` (``delta[s]`` is ``delta[m]``),
    and Eq. 10's output error ``delta^L = dL/dy^L`` lacks the factor ``sigma'(a^L)``.

    Parameters
    ----------
    rnn : RNN
    trace : RNNTrace
        ``rnn.forward(x)`` with the current weights.
    dL_dy : array (B, T, N_L)
        ``dL/dy^L_k[n]``.

    Returns
    -------
    Grads
        ``W[l]`` like ``rnn.W[l]``, ``V[l]`` like ``rnn.V[l]`` (``None`` where absent).
    """
    return _bptt(rnn, trace, dL_dy)


def _bptt(rnn, trace, dL_dy, printed=frozenset(), last_step=None):
    """Eq. 11 with optional printed typos switched on (names in :data:`PRINTED_EQ11`; for the
    tests that show each typo is wrong) and the weight sums stopped at ``last_step``."""
    B, T = check_trace(rnn, trace)
    L = rnn.n_layers
    dL_dy = as_finite_array(dL_dy, "dL_dy", (B, T, rnn.sizes[-1]))
    printed = frozenset(printed)
    if not printed <= PRINTED_EQ11:
        raise ValueError(f"unknown printed variants {sorted(printed - PRINTED_EQ11)}")
    W, V = rnn.W, rnn.V
    sp = [rnn.act_grad(trace.a[l], trace.y[l] if rnn.sigma in ("tanh", "sigmoid") else None)
          for l in range(L)]  # sigma'(a^l[n]), (B, T, N_l)
    delta = [np.zeros((B, T + 1, n)) for n in rnn.sizes[1:]]  # delta[:, T] = 0

    for n in range(T - 1, -1, -1):
        for l in range(L - 1, -1, -1):  # top layer first (the printed timing needs [n] above)
            g = np.zeros((B, rnn.sizes[l + 1]))
            if l < L - 1:  # spatial term: the layer above, through W^{l+1}
                m = n if "ff_timing" in printed else n + 1
                Wff = W[l] if "ff_weight" in printed else W[l + 1]  # printed W^{T,l}_ik = W^l_ki
                g += delta[l + 1][:, m] @ Wff  # sum_k W_ki delta_k
            if V[l] is not None:  # temporal term: the same layer, through V^l
                g += delta[l][:, n + 1] @ V[l]
            d = sp[l][:, n] * g
            if l == L - 1:
                if "output_error" in printed:
                    d += dL_dy[:, n]
                else:
                    d += sp[l][:, n] * dL_dy[:, n]
            delta[l][:, n] = d

    stop = T - 1 if last_step is None else int(last_step)
    gW, gV = [], []
    for l in range(L):
        dl = delta[l][:, :stop + 1]
        y_in = trace.layer_input(l - 1)
        if "w_input_timing" in printed:  # printed y^{l-1}_j[m]
            gW.append(np.einsum("bni,bnj->ij", dl, y_in[:, :stop + 1]))
        else:  # y^{l-1}_j[m-1], zero at m = 0
            gW.append(np.einsum("bni,bnj->ij", dl[:, 1:], y_in[:, :stop]))
        if V[l] is None:
            gV.append(None)
        elif "delta_s" in printed:  # delta[s] read as the upper-limit step: delta[T-1]
            gV.append(np.einsum("bi,bj->ij", delta[l][:, stop], trace.y[l][:, :stop].sum(1)))
        else:
            gV.append(np.einsum("bni,bnj->ij", dl[:, 1:], trace.y[l][:, :stop]))
    return Grads(W=gW, V=gV)


# ---------------------------------------------------------------------------- Eq. 12 (forward)
def forward_eq12(rnn, x, dL_dy) -> Grads:
    r"""The forward ("real-time") gradient of tutorial Eq. 12, corrected, for ``W`` and ``V``.

    Runs the network forward and, alongside, the sensitivities
    ``P^{(l,m)}_{ijk}[n] = dy^l_k[n] / dW^m_{ij}`` and ``Q^{(l,m)}_{ijk}[n] = dy^l_k[n] /
    dV^m_{ij}`` (``l >= m``; they vanish for ``l < m`` and for the input ``l = 0``), starting
    from ``P[-1] = Q[-1] = 0``. Differentiating Box 1 gives

    .. math::

        P^{(l,m)}_{ijk}[n] = \sigma'(a^l_k[n]) \Big( \sum_{k'} V^l_{kk'} P^{(l,m)}_{ijk'}[n-1]
            + \sum_{k'} W^l_{kk'} P^{(l-1,m)}_{ijk'}[n-1]
            + \delta_{lm}\, \delta_{ik}\, y^{l-1}_j[n-1] \Big),

    .. math::

        Q^{(l,m)}_{ijk}[n] = \sigma'(a^l_k[n]) \Big( \sum_{k'} V^l_{kk'} Q^{(l,m)}_{ijk'}[n-1]
            + \sum_{k'} W^l_{kk'} Q^{(l-1,m)}_{ijk'}[n-1]
            + \delta_{lm}\, \delta_{ik}\, y^{l}_j[n-1] \Big),

    and the gradient accumulates online, reading ``dL_dy[:, n]`` only at step ``n``:

    .. math::

        \frac{\partial L}{\partial W^m_{ij}} = \sum_n \sum_k \frac{\partial L}{\partial y^L_k[n]}
            P^{(L,m)}_{ijk}[n], \qquad
        \frac{\partial L}{\partial V^m_{ij}} = \sum_n \sum_k \frac{\partial L}{\partial y^L_k[n]}
            Q^{(L,m)}_{ijk}[n].

    Printed (arXiv Eq. 12 / journal Eq. 8): ``P^l_{ijk}[n] = sigma'(a^l_k[n]) (sum_{j'}
    V^l_{ij'} P^l_{ijj'}[n-1] + sum_{j'} W^l_{ij'} P^{l-1}_{ijj'}[n-1] + delta_{lm}
    y^{l-1}_i[n-1])``: the weights are indexed by the parameter's row ``i`` instead of the
    neuron ``k`` whose sensitivity is propagated, and the source term lacks ``delta_{ik}`` and has
    ``y_i`` for ``y_j``. ``Q`` is not printed ("computed in a similar fashion").

    Only the current ``P, Q`` are kept: memory ``O(B N_m N_{m-1} N_l)`` per pair ``(l, m)``,
    i.e. ``O(N^3)`` per layer, independent of ``T``; time ``O(N^4)`` per step and layer pair.

    Parameters
    ----------
    rnn : RNN
    x : array (B, T, N_0)
    dL_dy : array (B, T, N_L)
        ``dL/dy^L_k[n]`` (e.g. from a trace of the same input).

    Returns
    -------
    Grads
        Same layout as :func:`bptt_eq11`.
    """
    return _forward(rnn, x, dL_dy)


def _forward(rnn, x, dL_dy, printed=frozenset()):
    """Eq. 12 with optional printed typos (names in :data:`PRINTED_EQ12`; tests only). The
    printed variants apply to ``P`` (``W``); ``Q`` is always the corrected form."""
    if not isinstance(rnn, RNN):
        raise TypeError(f"rnn must be an RNN, got {type(rnn).__name__}")
    rnn.check_weights()
    printed = frozenset(printed)
    if not printed <= PRINTED_EQ12:
        raise ValueError(f"unknown printed variants {sorted(printed - PRINTED_EQ12)}")
    sizes = rnn.sizes
    x = as_finite_array(x, "x", (None, None, sizes[0]))
    B, T, _ = x.shape
    dL_dy = as_finite_array(dL_dy, "dL_dy", (B, T, sizes[-1]))
    L = rnn.n_layers
    W, V = rnn.W, rnn.V
    # P[m][l]: dy^{l}/dW^{m} (0-based l, m; entries for l >= m), shape (B, N_m_post, N_m_pre, N_l)
    P = [[np.zeros((B, sizes[m + 1], sizes[m], sizes[l + 1])) if l >= m else None
          for l in range(L)] for m in range(L)]
    Q = [[np.zeros((B, sizes[m + 1], sizes[m + 1], sizes[l + 1]))
          if (l >= m and V[m] is not None) else None for l in range(L)] for m in range(L)]
    gW = [np.zeros_like(w) for w in W]
    gV = [None if v is None else np.zeros_like(v) for v in V]
    prev = [np.zeros((B, n)) for n in sizes]  # y^0..y^L at step n-1 (zero at n = 0)

    for n in range(T):
        cur = [x[:, n]]
        sp = []
        for l in range(L):  # the network itself (same arithmetic as RNN.forward)
            a, y = rnn.step(l, prev[l + 1], prev[l])
            cur.append(y)
            sp.append(rnn.act_grad(a, y if rnn.sigma in ("tanh", "sigmoid") else None))
        for m in range(L):
            newP = [None] * L
            newQ = [None] * L
            for l in range(m, L):
                newP[l] = _sens_step(W, V, l, m, P[m], sp[l], prev, "W", printed)
                if Q[m][l] is not None:
                    newQ[l] = _sens_step(W, V, l, m, Q[m], sp[l], prev, "V", frozenset())
            P[m], Q[m] = newP, newQ
            g = dL_dy[:, n]  # (B, N_L)
            gW[m] += np.einsum("bk,bijk->ij", g, P[m][L - 1])
            if gV[m] is not None:
                gV[m] += np.einsum("bk,bijk->ij", g, Q[m][L - 1])
        prev = cur
    return Grads(W=gW, V=gV)


def _sens_step(W, V, l, m, S, sp, prev, which, printed):
    r"""One step of the P (``which="W"``) or Q (``"V"``) recursion for the pair ``(l, m)``.

    ``S[l]`` holds the sensitivities of all layers at ``n-1`` w.r.t. parameter ``m``;
    ``sp = sigma'(a^l[n])`` ``(B, N_l)``; ``prev[l]`` is ``y^{l}[n-1]`` (``prev[0] = x``).
    """
    old_self = S[l]
    old_below = S[l - 1] if l - 1 >= m else None  # P^{(l-1,m)}; zero for l-1 < m (incl. input)
    if "weight_index" in printed:  # printed: V^l_{ij'} P_{ijj'}, W^l_{ij'} P^{l-1}_{ijj'}
        acc = np.zeros_like(old_self)
        n_i = old_self.shape[1]
        if V[l] is not None:
            acc += np.einsum("ip,bijp->bij", V[l][:n_i], old_self)[..., None]
        if old_below is not None:
            acc += np.einsum("ip,bijp->bij", W[l][:n_i], old_below)[..., None]
    else:  # corrected: sum_k' V^l_{kk'} S_{ijk'}, sum_k' W^l_{kk'} S^{(l-1)}_{ijk'}
        acc = old_self @ V[l].T if V[l] is not None else np.zeros_like(old_self)
        if old_below is not None:
            acc += old_below @ W[l].T
    if l == m:  # source term
        src = prev[l] if which == "W" else prev[l + 1]  # y^{l-1}[n-1] for W, y^l[n-1] for V
        if "source" in printed:  # printed: delta_lm y^{l-1}_i[n-1] (no delta_ik, index i)
            acc += src[:, :acc.shape[1], None, None]
        else:  # delta_lm delta_ik y_j[n-1]
            for i in range(acc.shape[1]):
                acc[:, i, :, i] += src
    return sp[:, None, None, :] * acc

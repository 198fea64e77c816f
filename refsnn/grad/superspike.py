r"""SuperSpike (Zenke & Ganguli 2018) as presented in the tutorial, arXiv Eqs. 13-17.

A feed-forward spiking network (the hidden layers ``l = 1..L`` of a :class:`refsnn.Network`;
the spikes ``S^(L)`` of the *last* spiking layer are the network's output, the non-spiking
readout of the ``Network`` is not used) learns to emit target spike trains ``S*``.

van Rossum loss (Eq. 13)
------------------------
The error spike train ``d = S^(L) - S*`` is filtered by a causal double-exponential kernel
``epsilon`` implemented as a dynamical system with the same structure (and the same one-step
delays) as the LIF readout, ``a`` playing the role of ``I`` and ``v`` of ``U``:

.. math::

    a[n+1] = \alpha_v\, a[n] + d[n], \qquad v[n+1] = \beta_v\, v[n] + a[n],
    \qquad a[0] = v[0] = 0, \qquad v = \epsilon * d,

    L = \tfrac12 \sum_{b, n, k} v_k[n]^2 .

Its gradient with respect to a real-valued ``S^(L)`` (:func:`van_rossum`) is the adjoint of the
filter, ``gv[n] = v[n] + beta_v gv[n+1]``, ``ga[n] = alpha_v ga[n+1] + gv[n+1]``,
``dL/dS[n] = ga[n+1]`` (0 at ``n = T-1``), i.e. the error filtered backwards by ``epsilon``.
With ``(alpha_v, beta_v) = (alpha, beta)`` of the neurons, ``v`` is exactly the readout
``U_o`` of a ``Network`` with ``W_o = 1`` driven by ``S^(L) - S*``; the tests use this to obtain
the exact gradient from :func:`refsnn.bptt` / :func:`refsnn.rtrl`.

Eligibility traces (Eqs. 14-16, corrected) and the update (Eq. 17)
------------------------------------------------------------------
For a weight ``W_ij`` of layer ``l`` the sensitivities of the neuron's own state, with the
presynaptic spikes ``S^(l-1)`` held fixed (exact for the output layer, "local" for hidden
layers), are, for ``k = i`` (all other neurons of the layer have zero sensitivity: the input
term of Eq. 16 is ``delta_ki S_j[n]``, not ``S_j[n]``; errata table):

.. math::

    \partial I_{ij}[n+1] &= \alpha\, \partial I_{ij}[n] + S^{(l-1)}_j[n]                 &\text{(Eq. 16)}\\
    \partial U_{ij}[n+1] &= \beta\, \partial U_{ij}[n] + \partial I_{ij}[n]
                           \;[-\,\vartheta\, \sigma'(U_i[n]-\vartheta)\, \partial U_{ij}[n]]
                           &\text{(Eq. 15, subtract)}\\
    e_{ij}[n] &= \sigma'(U_i[n] - \vartheta)\; \partial U_{ij}[n]                     &\text{(Eq. 14)}

The bracket (the reset term) is what SuperSpike drops (``keep_reset=False``, default). For the
zero reset the membrane row is ``(beta dU + dI)(1 - S_i[n]) [- (beta U_i[n] + I_i[n]) e_ij[n]]``
and for ``reset="none"`` there is no bracket. Without the bracket (subtract / none), ``dU_ij``
does not depend on ``i``: it is the presynaptic trace ``epsilon_LIF * S_j`` (the PSP of input
``j``), and ``e_ij = sigma'(U_i) PSP_j`` is a product of a post- and a presynaptic factor.

The update (Eq. 17, ``ΔW = -dL/dW``) is

.. math::

    \frac{\partial L}{\partial W_{ij}} \approx \sum_n \mathrm{err}_i[n]\; (\epsilon * e_{ij})[n],
    \qquad \mathrm{err}_i[n] = v_i[n] = (\epsilon * (S_i - S^*_i))[n] \text{ (output layer)},
    \qquad \mathrm{err}^{(l)}[n] = B^{(l)} v[n] \text{ (hidden layer, feedback alignment)}

with fixed (random) feedback matrices ``B^(l)`` of shape ``(N_l, N_out)``. Everything --
network, traces ``dI, dU``, the filtered eligibility ``epsilon * e`` (two more leaky traces per
synapse), the error ``v`` and the gradient sum -- is advanced together, forward in time, one
step at a time; nothing of length ``T`` is stored (memory ``O(B N_l N_(l-1))`` per layer; the
inputs ``x`` and ``S*`` are checked in fixed-size blocks, so even the checks' temporaries do not
grow with ``T``). :func:`superspike` is therefore online as it stands: it takes the input, not
a recorded trace, and there is no trace-consuming form.

Exactness (tested). ``sum_n v[n] (epsilon * x)[n] = sum_n x[n] (epsilon^T * v)[n]``, so Eq. 17
is ``sum_n dL/dS_i[n] . dS_i[n]/dW_ij``. For the output layer ``dS_i[n]/dW_ij`` is exactly
``e_ij[n]`` when the reset term is kept, so with ``keep_reset=True`` the output layer's update
**is** the exact (surrogate) gradient of the van Rossum loss, as computed by BPTT or RTRL with
``detach_reset=False``; with ``keep_reset=False`` it is the exact gradient of the same network
with ``detach_reset=True`` (dropping the reset term is detaching the reset). For hidden layers
the rule is an approximation twice over: ``B`` replaces the transported error, and the
dependence of the presynaptic spikes on the weights below is ignored.

``net.params.detach_reset`` is not read: ``keep_reset`` decides.

Read next: refsnn/grad/eprop.py, eligibility traces times a learning signal in a recurrent
layer.
"""
from __future__ import annotations

import numba
import numpy as np

from .. import lif
from ..checks import as_finite_array, as_rng, check_bool, check_unit_interval
from ..lif import add_weighted_rows, fire, leak, reset_partials, spike_grad
from ..network import ONLINE_CHECK_BLOCK, Network, validate_input
from ..trace import Grads

def van_rossum_filter(S, alpha, beta):
    r"""``v = epsilon * S``: the double-exponential filter of the module docstring.

    ``S``: ``(B, T, N)``; returns ``v`` of the same shape, ``v[n+1] = beta v[n] + a[n]``,
    ``a[n+1] = alpha a[n] + S[n]``, ``a[0] = v[0] = 0``.
    """
    S = as_finite_array(S, "S", ndim=3)
    alpha, beta = check_unit_interval("alpha", alpha), check_unit_interval("beta", beta)
    return _filter(S, alpha, beta)


def _filter(S, alpha, beta):
    B, T, N = S.shape
    v = np.zeros_like(S)
    a = np.zeros((B, N))
    for n in range(T - 1):
        v[:, n + 1] = beta * v[:, n] + a
        a = alpha * a + S[:, n]
    return v


def van_rossum(S_out, S_target, alpha, beta):
    r"""van Rossum distance ``L = 1/2 sum (epsilon * (S_out - S_target))^2`` and ``dL/dS_out``.

    Parameters
    ----------
    S_out, S_target : array (B, T, N)
        Output and target spike trains (any real values: the loss is a smooth, quadratic
        function of ``S_out``).
    alpha, beta : float in (0, 1)
        Decays of the two leaky traces of the kernel (rise and decay of ``epsilon``).

    Returns
    -------
    value : float
    grad : ndarray (B, T, N)
        ``dL/dS_out[n] = sum_{m > n} epsilon[m - n] v[m]`` (adjoint recursion, docstring).
    """
    S_out = as_finite_array(S_out, "S_out", ndim=3)
    S_target = as_finite_array(S_target, "S_target", S_out.shape)
    alpha, beta = check_unit_interval("alpha", alpha), check_unit_interval("beta", beta)
    v = _filter(S_out - S_target, alpha, beta)
    value = 0.5 * float(np.sum(v * v))
    B, T, N = v.shape
    grad = np.zeros_like(v)
    ga = np.zeros((B, N))  # dL/da[n+1]
    gv = np.zeros((B, N))  # dL/dv[n+1]
    for n in range(T - 1, -1, -1):
        grad[:, n] = ga                # dL/dd[n] = dL/da[n+1]
        ga = alpha * ga + gv           # dL/da[n] = alpha dL/da[n+1] + dL/dv[n+1]
        gv = v[:, n] + beta * gv       # dL/dv[n] = v[n] + beta dL/dv[n+1]
    return value, grad


# ---------------------------------------------------------------------------- kernel
@numba.njit(cache=True)
def _layer_step(S_in, W, I, U, S, dI, dU, fa, fv, err, g, last, nrn, a_v, b_v):
    """One step ``n`` of one layer, in place (module docstring).

    On entry ``I, U`` ``(B, N)`` hold step ``n``, ``dI, dU, fa, fv`` ``(B, N, N_in)`` the traces at
    step ``n``, ``S_in`` ``(B, N_in)`` the presynaptic spikes of step ``n``, ``err`` ``(B, N)`` the
    error of step ``n``; ``nrn``: the layer's :data:`refsnn.lif.Neuron` (``detach_reset`` is
    ``not keep_reset``), ``a_v, b_v``: the van Rossum kernel. Writes ``S[n]`` into ``S``, adds
    ``err[n] (eps * e)[n]`` to ``g`` ``(N, N_in)`` and, unless ``last``, advances ``I, U`` and
    the traces to ``n + 1``.
    """
    B, N, N_in = dU.shape
    for b in range(B):
        fire(nrn, U[b], S[b])                                    # S[n]
        for i in range(N):
            e_i = err[b, i]
            if e_i != 0.0:
                for j in range(N_in):
                    g[i, j] += e_i * fv[b, i, j]
        if last:
            continue
        for i in range(N):
            sp = spike_grad(nrn, U[b, i] - nrn.theta)
            dU_dU, dU_dI, dU_dS = reset_partials(nrn, U[b, i], I[b, i], S[b, i], nrn.theta)
            for j in range(N_in):
                du = dU[b, i, j]
                e = sp * du                                      # e_ij[n] (Eq. 14)
                fv[b, i, j] = b_v * fv[b, i, j] + fa[b, i, j]     # (eps * e)[n+1]
                fa[b, i, j] = a_v * fa[b, i, j] + e
                dU[b, i, j] = dU_dU * du + dU_dI * dI[b, i, j] + dU_dS * e   # Eq. 15
                dI[b, i, j] = nrn.alpha * dI[b, i, j] + S_in[b, j]  # Eq. 16, delta_ki S_j[n]
        # the forward step: the kernels of refsnn.lif.layer_forward, in the same order
        leak(nrn, I[b], U[b], S[b], I[b], U[b])                  # Eq. 8, alpha I[n]
        add_weighted_rows(I[b], W.T, S_in[b])                    # + W S_in[n]


# ---------------------------------------------------------------------------- driver
def random_feedback(net, rng):
    """Fixed random feedback matrices ``B^(l) ~ N(0, 1/N_out)``, one ``(N_l, N_out)`` per hidden
    (non-output) spiking layer of ``net`` (an empty list for a single spiking layer)."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    rng = as_rng(rng)
    n_out = net.sizes[-2]
    return [rng.normal(0.0, 1.0 / np.sqrt(n_out), size=(net.sizes[l + 1], n_out))
            for l in range(net.n_hidden_layers - 1)]


def superspike(net, x, S_target, *, alpha_vr=None, beta_vr=None, feedback=None,
               keep_reset=False, spike="hard", binary_input=True):
    r"""SuperSpike update of a feed-forward spiking network, computed online (module docstring).

    Parameters
    ----------
    net : Network
        Without recurrence (``V`` all ``None``). Its spiking layers are the SuperSpike network;
        the last spiking layer (``net.sizes[-2]`` neurons) is the output; the readout is unused.
    x : array (B, T, n_in)
        Input spikes.
    S_target : array (B, T, net.sizes[-2])
        Target spike trains of the output neurons.
    alpha_vr, beta_vr : float in (0, 1), optional
        The van Rossum kernel (default: the neurons' ``alpha``, ``beta``).
    feedback : list of arrays ``(N_l, N_out)``, or Generator / int seed, optional
        The fixed feedback matrices ``B^(l)`` of the hidden (non-output) spiking layers;
        a seed draws them with :func:`random_feedback`. Required if there are hidden layers.
    keep_reset : bool
        Keep the reset term in the eligibility trace (exact for the output layer) or drop it as
        SuperSpike does (default).
    spike : {"hard", "soft"}
        Heaviside spikes (surrogate ``sigma' = F'``) or the smooth model ``S = F(U - theta)``.
    binary_input : bool
        Require ``x`` to be 0/1.

    Returns
    -------
    value : float
        The van Rossum loss of this forward pass (accumulated online).
    grads : Grads
        ``grads.W[l]`` for each spiking layer (the output layer's: the approximate or, with
        ``keep_reset=True``, exact ``dL/dW``); ``grads.W[-1]`` (the unused readout) is zero,
        ``grads.V`` all ``None``. Descend along it (``W -= lr * grad``).
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a Network, got {type(net).__name__}")
    net.check_weights()
    net.require_float64("superspike")
    net.require_readout("superspike")
    net.require_options("superspike")
    if any(v is not None for v in net.V):
        raise ValueError("superspike is defined for feed-forward networks: net.V must be all None")
    if spike not in ("hard", "soft"):
        raise ValueError(f"spike must be 'hard' or 'soft', got {spike!r}")
    keep_reset = check_bool("keep_reset", keep_reset)
    p, sg = net.params, net.surrogate
    a_v = p.alpha if alpha_vr is None else check_unit_interval("alpha_vr", alpha_vr)
    b_v = p.beta if beta_vr is None else check_unit_interval("beta_vr", beta_vr)
    x = validate_input(x, net.sizes[0], binary=binary_input, online=True)
    B, T, _ = x.shape
    L = net.n_hidden_layers
    n_out = net.sizes[L]
    S_target = as_finite_array(S_target, "S_target", (B, T, n_out), block=ONLINE_CHECK_BLOCK)
    if L > 1:
        if feedback is None:
            raise ValueError(f"feedback is required: the network has {L - 1} hidden spiking "
                             "layer(s) below the output layer (pass matrices or a seed)")
        if not isinstance(feedback, (list, tuple)):
            feedback = random_feedback(net, feedback)
    feedback = [] if feedback is None else list(feedback)
    if len(feedback) != L - 1:
        raise ValueError(f"feedback must hold {L - 1} matrices (one per hidden spiking layer), "
                         f"got {len(feedback)}")
    for l, Bm in enumerate(feedback):
        if np.shape(Bm) != (net.sizes[l + 1], n_out):
            raise ValueError(f"feedback[{l}] must have shape {(net.sizes[l + 1], n_out)}, got "
                             f"{np.shape(Bm)}")
        feedback[l] = np.asarray(Bm, dtype=np.float64)
        if not np.all(np.isfinite(feedback[l])):
            raise ValueError(f"feedback[{l}] contains NaN or inf")

    nrn = lif.neuron(p, sg, spike, detach_reset=not keep_reset)
    sizes = net.sizes
    st = []  # per layer: I, U, S, dI, dU, fa, fv, g
    for l in range(L):
        N, N_in = sizes[l + 1], sizes[l]
        st.append(dict(I=np.zeros((B, N)), U=np.zeros((B, N)), S=np.zeros((B, N)),
                       dI=np.zeros((B, N, N_in)), dU=np.zeros((B, N, N_in)),
                       fa=np.zeros((B, N, N_in)), fv=np.zeros((B, N, N_in)),
                       g=np.zeros((N, N_in))))
    a_err = np.zeros((B, n_out))
    v = np.zeros((B, n_out))  # v[n] = (eps * (S_out - S*))[n], the output error
    value = 0.0
    for n in range(T):
        last = n == T - 1
        value += 0.5 * float(np.sum(v * v))
        for l in range(L):
            s = st[l]
            S_in = x[:, n] if l == 0 else st[l - 1]["S"]
            err = v if l == L - 1 else v @ feedback[l].T
            _layer_step(np.ascontiguousarray(S_in), net.W[l], s["I"], s["U"], s["S"], s["dI"],
                        s["dU"], s["fa"], s["fv"], np.ascontiguousarray(err), s["g"], last,
                        nrn, a_v, b_v)
        d = st[L - 1]["S"] - S_target[:, n]
        v = b_v * v + a_err
        a_err = a_v * a_err + d
    gW = [s["g"] for s in st] + [np.zeros_like(net.W[-1])]
    return value, Grads(W=gW, V=[None] * L)


def cosine(a, b):
    """Cosine similarity of two gradients (``Grads``, dicts, or arrays), over shared entries."""
    def flat(g):
        if hasattr(g, "parameters"):
            return np.concatenate([np.ravel(v) for _, v in g.parameters()])
        if isinstance(g, dict):
            return np.concatenate([np.ravel(g[k]) for k in sorted(g)])
        return np.ravel(np.asarray(g, dtype=np.float64))
    fa, fb = flat(a), flat(b)
    if fa.shape != fb.shape:
        raise ValueError(f"a and b have different sizes, {fa.size} and {fb.size}")
    na, nb = np.linalg.norm(fa), np.linalg.norm(fb)
    if na == 0 or nb == 0:
        return float("nan")
    return float(fa @ fb / (na * nb))

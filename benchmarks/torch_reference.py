r"""PyTorch references for the benchmark: autograd on the same equations, and snnTorch.

Neither is a dependency of refsnn (the library never imports torch); ``pip install
refsnn[compare]`` installs both. :func:`available` says whether torch imports.

* :func:`torch_forward` writes docs/design.md §4 in PyTorch (float64, one loop over time):
  ``S[n] = Theta(U[n] - theta)`` with the SuperSpike surrogate ``1/(scale|x|+1)^2`` in the
  backward, ``I[n+1] = alpha I[n] + W S_in[n] + V S[n]``, ``U[n+1] = beta U[n] + I[n] -
  theta S[n]`` (or the other resets; ``S`` detached in the reset term if ``detach_reset``).
* :func:`snntorch_forward` runs the same network with ``snntorch.Synaptic`` neurons. snnTorch
  orders the update differently (``U[n+1]`` uses ``I[n+1]``, README table), so the input is
  fed one step late: with ``in[t] = W S_in[t-1] + V S[t-1]`` (``in[0] = 0``), Synaptic's
  ``syn[t] = alpha syn[t-1] + in[t]`` is refsnn's ``I[t]``, its ``mem[t] = beta mem[t-1] +
  syn[t] - theta H(mem[t-1] - theta)`` is refsnn's ``U[t+1]`` and its spike ``spk[t]`` is
  ``S[t+1]``. snnTorch always detaches the reset and its "zero" reset also clears ``syn``, so
  only ``reset="subtract"`` or ``"none"`` with ``detach_reset=True`` map onto refsnn.

Both return the readout ``U_o`` as a ``(B, T, n_out)`` tensor and the weight leaves; the
gradient is ``U_o.backward(d_readout)`` with refsnn's ``dL/dU_o``, so it must equal
:func:`refsnn.bptt` to rounding (checked by the benchmark before timing).
"""
from __future__ import annotations

import numpy as np

try:  # optional: the benchmark skips these references when torch is absent
    import torch
except ImportError:  # pragma: no cover - depends on the environment
    torch = None

try:
    import snntorch
    from snntorch import surrogate as _snn_surrogate
except Exception:  # pragma: no cover - ImportError, or a snntorch/torch version clash
    snntorch = None


def available():
    """True if torch imports."""
    return torch is not None


def snntorch_available():
    """True if torch and snntorch import."""
    return torch is not None and snntorch is not None


def _check(net, snn=False):
    if net.surrogate.name != "superspike":
        raise NotImplementedError("the torch references implement the superspike surrogate only")
    if snn and (net.params.reset not in ("subtract", "none") or not net.params.detach_reset):
        raise NotImplementedError("snnTorch matches refsnn only for reset='subtract' or 'none' "
                                  "with detach_reset=True")


if torch is not None:
    class SuperSpike(torch.autograd.Function):
        """``Theta(x)`` forward, ``dS/dx = 1/(scale |x| + 1)^2`` backward."""

        @staticmethod
        def forward(ctx, x, scale):
            ctx.save_for_backward(x)
            ctx.scale = scale
            return (x > 0).to(x.dtype)

        @staticmethod
        def backward(ctx, grad):
            (x,) = ctx.saved_tensors
            return grad / (ctx.scale * x.abs() + 1.0) ** 2, None


def leaves(net):
    """The weights as float64 leaf tensors ``(W list, V list)`` that require grad."""
    W = [torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in net.W]
    V = [None if v is None else torch.tensor(v, dtype=torch.float64, requires_grad=True)
         for v in net.V]
    return W, V


def torch_forward(net, x, W, V):
    """Readout ``U_o`` ``(B, T, n_out)`` of the docs/design.md §4 equations written in PyTorch."""
    _check(net)
    p, scale = net.params, net.surrogate.scale
    alpha, beta, theta = p.alpha, p.beta, p.threshold
    S_in = torch.as_tensor(x, dtype=torch.float64)
    B, T, _ = S_in.shape
    L = net.n_hidden_layers
    for l in range(L + 1):
        readout = l == L
        N = W[l].shape[0]
        I = torch.zeros(B, N, dtype=torch.float64)
        U = torch.zeros(B, N, dtype=torch.float64)
        out = []
        for n in range(T):
            S = None if readout else SuperSpike.apply(U - theta, scale)
            out.append(U if readout else S)
            if n + 1 == T:
                break
            drive = S_in[:, n] @ W[l].T
            if not readout and V[l] is not None:
                drive = drive + S @ V[l].T
            u = beta * U + I                                     # Eq. 8
            if not readout:
                S_r = S.detach() if p.detach_reset else S
                if p.reset == "subtract":
                    u = u - theta * S_r
                elif p.reset == "zero":
                    u = u * (1.0 - S_r)
            I = alpha * I + drive                                # Eq. 7
            U = u
        S_in = torch.stack(out, dim=1)
    return S_in


def snntorch_forward(net, x, W, V):
    """Readout ``U_o`` ``(B, T, n_out)`` of the same network built from ``snntorch.Synaptic``."""
    _check(net, snn=True)
    p = net.params
    f64 = dict(dtype=torch.float64)
    alpha, beta = torch.tensor(p.alpha, **f64), torch.tensor(p.beta, **f64)
    theta = torch.tensor(p.threshold, **f64)
    S_in = torch.as_tensor(x, **f64)
    B, T, _ = S_in.shape
    L = net.n_hidden_layers
    grad = _snn_surrogate.fast_sigmoid(slope=net.surrogate.scale)
    for l in range(L + 1):
        readout = l == L
        N = W[l].shape[0]
        cell = snntorch.Synaptic(alpha=alpha, beta=beta, threshold=theta, spike_grad=grad,
                                 reset_mechanism="none" if readout else p.reset)
        syn = torch.zeros(B, N, **f64)
        mem = torch.zeros(B, N, **f64)
        out = [torch.zeros(B, N, **f64)]                         # S[0] = 0 (U[0] = 0)
        for t in range(T - 1):                                   # mem[t] = U[t+1]
            if t == 0:
                inp = torch.zeros(B, N, **f64)
            else:
                inp = S_in[:, t - 1] @ W[l].T                    # W S_in[t-1]
                if not readout and V[l] is not None:
                    inp = inp + out[t - 1] @ V[l].T              # V S[t-1]
            spk, syn, mem = cell(inp, syn, mem)
            out.append(mem if readout else spk.to(torch.float64))   # U[t+1] or S[t+1]
        S_in = torch.stack(out, dim=1)
    return S_in


def gradients(forward, net, x, d_readout):
    """``(readout, [dL/dW...], [dL/dV...])`` as NumPy arrays, via ``forward`` and autograd."""
    W, V = leaves(net)
    U_o = forward(net, x, W, V)
    U_o.backward(torch.as_tensor(d_readout, dtype=torch.float64))
    return (U_o.detach().numpy(), [w.grad.numpy() for w in W],
            [None if v is None else v.grad.numpy() for v in V])


def step(forward, net, x, d_readout):
    """One timed forward+backward (the gradients are discarded)."""
    W, V = leaves(net)
    forward(net, x, W, V).backward(torch.as_tensor(d_readout, dtype=torch.float64))


def forward_only(forward, net, x):
    """One timed forward without building the graph."""
    W, V = leaves(net)
    with torch.no_grad():
        forward(net, x, W, V)


def max_rel_error(a_list, b_list):
    """Max over parameters of ``max|a-b| / max|a|``."""
    errs = [np.abs(a - b).max() / max(np.abs(a).max(), 1e-300)
            for a, b in zip(a_list, b_list) if a is not None]
    return float(max(errs))

r"""First-order optimisers written out: SGD (with heavy-ball momentum) and Adam.

Both update a list of float ndarrays **in place** from a same-length list of gradients::

    opt = Adam(lr=1e-2)
    trace = net.simulate(x)
    value, d = losses.max_over_time_ce(trace.readout, labels)
    opt.step(net.parameters(), bptt(net, trace, d).parameters())

``params`` and ``grads`` may be plain arrays or ``(name, array)`` pairs as returned by
:meth:`refsnn.Network.parameters` and :meth:`refsnn.trace.Grads.parameters` (then the names
must agree entry by entry); a network or a ``Grads`` itself stands for its ``parameters()``. Optimiser state (momentum buffers, moments) is keyed by *position*
in the list and created on the first :meth:`step`; later steps must pass arrays of the same
shapes. :meth:`reset` forgets the state (and Adam's step counter).

Read next: refsnn/train.py, the loop of simulate, loss, gradient and optimiser step.
"""
from __future__ import annotations

import numpy as np

from .checks import check_real


def _unwrap(items, name):
    """``(names or None, arrays)`` from a list of arrays or of ``(name, array)`` pairs.

    An object with a ``parameters()`` method (a :class:`refsnn.Network` or a ``Grads``) stands
    for the list it returns.
    """
    if callable(getattr(items, "parameters", None)):
        items = items.parameters()
    if isinstance(items, np.ndarray) or not isinstance(items, (list, tuple)):
        raise TypeError(f"{name} must be a list of arrays (or of (name, array) pairs), "
                        f"got {type(items).__name__}")
    names, arrays = [], []
    for k, it in enumerate(items):
        if isinstance(it, tuple) and len(it) == 2 and isinstance(it[0], str):
            names.append(it[0])
            it = it[1]
        else:
            names.append(None)
        if not isinstance(it, np.ndarray):
            raise TypeError(f"{name}[{k}] must be a numpy array, got {type(it).__name__}")
        arrays.append(it)
    return names, arrays


class Optimizer:
    """Common argument checking; subclasses implement :meth:`_update` and :meth:`reset`."""

    def __init__(self, lr):
        self.lr = check_real("lr", lr, 0.0, low_open=True)
        self._shapes = None

    def _check(self, params, grads):
        p_names, params = _unwrap(params, "params")
        g_names, grads = _unwrap(grads, "grads")
        if len(params) != len(grads):
            raise ValueError(f"params and grads must have the same length, got {len(params)} "
                             f"and {len(grads)}")
        for k, (pn, gn, p, g) in enumerate(zip(p_names, g_names, params, grads)):
            if pn is not None and gn is not None and pn != gn:
                raise ValueError(f"params[{k}] is {pn!r} but grads[{k}] is {gn!r}: the lists "
                                 "are not in the same order")
            if not np.issubdtype(p.dtype, np.floating):
                raise TypeError(f"params[{k}] must be a floating-point array (updated in "
                                f"place), got dtype {p.dtype}")
            if not p.flags.writeable:
                raise ValueError(f"params[{k}] is read-only")
            if g.shape != p.shape:
                raise ValueError(f"grads[{k}] has shape {g.shape}, params[{k}] has {p.shape}")
            if not np.issubdtype(g.dtype, np.number) or np.issubdtype(g.dtype, np.complexfloating):
                raise TypeError(f"grads[{k}] must be a real numeric array, got dtype {g.dtype}")
            if not np.all(np.isfinite(g)):
                raise ValueError(f"grads[{k}] contains NaN or inf")
        shapes = [p.shape for p in params]
        if self._shapes is None:
            self._shapes = shapes
        elif shapes != self._shapes:
            raise ValueError(f"params have shapes {shapes} but this optimiser's state was "
                             f"created for {self._shapes}; call reset() to start over")
        return params, grads

    def step(self, params, grads):
        """Update every ``params[k]`` in place from ``grads[k]`` (see the class docstring).

        Raises ``ValueError`` if the lists differ in length, a gradient's shape differs from its
        parameter's, a gradient is not finite, or the shapes differ from the previous steps'.
        """
        params, grads = self._check(params, grads)
        self._update(params, grads)

    def reset(self):
        """Forget all state; the next :meth:`step` starts as the first one."""
        self._shapes = None


class SGD(Optimizer):
    r"""Stochastic gradient descent with optional heavy-ball momentum (PyTorch convention).

    For each parameter ``w`` with gradient ``g`` and velocity ``v`` (``v_0 = 0``):

    .. math::

        v_t = \mu\, v_{t-1} + g_t, \qquad w_t = w_{t-1} - \eta\, v_t .

    With ``momentum = 0`` this is plain ``w_t = w_{t-1} - \eta g_t``.

    Parameters
    ----------
    lr : float
        Learning rate ``eta > 0``.
    momentum : float
        ``mu`` in ``[0, 1)``.
    """

    def __init__(self, lr, momentum=0.0):
        super().__init__(lr)
        self.momentum = check_real("momentum", momentum, 0.0, 1.0, high_open=True)
        self.velocity = None

    def reset(self):
        super().reset()
        self.velocity = None

    def _update(self, params, grads):
        if self.momentum == 0.0:
            for p, g in zip(params, grads):
                p -= self.lr * g
            return
        if self.velocity is None:
            self.velocity = [np.zeros(p.shape) for p in params]
        for p, g, v in zip(params, grads, self.velocity):
            v *= self.momentum
            v += g
            p -= self.lr * v

    def __repr__(self):
        return f"SGD(lr={self.lr}, momentum={self.momentum})"


class Adam(Optimizer):
    r"""Adam (Kingma & Ba 2015, Algorithm 1, with bias correction).

    With ``m_0 = v_0 = 0`` and the step counter ``t = 1, 2, ...`` (shared by all parameters):

    .. math::

        m_t &= \beta_1 m_{t-1} + (1 - \beta_1)\, g_t \\
        v_t &= \beta_2 v_{t-1} + (1 - \beta_2)\, g_t^2 \\
        \hat m_t &= m_t / (1 - \beta_1^t), \qquad \hat v_t = v_t / (1 - \beta_2^t) \\
        w_t &= w_{t-1} - \eta\, \hat m_t / (\sqrt{\hat v_t} + \epsilon)

    At ``t = 1``, ``\hat m_1 = g_1`` and ``\hat v_1 = g_1^2``, so every coordinate with a
    nonzero gradient moves by ``eta |g| / (|g| + eps) ~ eta``: the step size is set by ``lr``,
    not by the gradient's scale.

    Parameters
    ----------
    lr : float
        Step size ``eta > 0``.
    beta1, beta2 : float
        Decay rates of the first and second moment estimates, in ``[0, 1)``.
    eps : float
        ``epsilon >= 0`` added to ``sqrt(v_hat)``.
    """

    def __init__(self, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
        super().__init__(lr)
        self.beta1 = check_real("beta1", beta1, 0.0, 1.0, high_open=True)
        self.beta2 = check_real("beta2", beta2, 0.0, 1.0, high_open=True)
        self.eps = check_real("eps", eps, 0.0)
        self.t = 0
        self.m = None
        self.v = None

    def reset(self):
        super().reset()
        self.t = 0
        self.m = None
        self.v = None

    def _update(self, params, grads):
        if self.m is None:
            self.m = [np.zeros(p.shape) for p in params]
            self.v = [np.zeros(p.shape) for p in params]
        self.t += 1
        b1, b2 = self.beta1, self.beta2
        c1 = 1.0 - b1 ** self.t
        c2 = 1.0 - b2 ** self.t
        for p, g, m, v in zip(params, grads, self.m, self.v):
            m *= b1
            m += (1.0 - b1) * g
            v *= b2
            v += (1.0 - b2) * np.square(g)
            m_hat = m / c1
            v_hat = v / c2
            # denom = 0 only if eps = 0 and v_hat = 0; the step there is taken as 0
            denom = np.sqrt(v_hat) + self.eps
            p -= self.lr * np.divide(m_hat, denom, out=np.zeros_like(m_hat), where=denom > 0)

    def __repr__(self):
        return (f"Adam(lr={self.lr}, beta1={self.beta1}, beta2={self.beta2}, eps={self.eps})")

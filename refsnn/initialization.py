r"""Initial weights of a network: ``Network.init(..., init="normal" | "uniform" | Fluctuation)``.

Three rules, each for one matrix ``W`` of shape ``(n_post, n_pre)`` (feed-forward ``W^(l)``,
the readout's ``W_o`` and the recurrent ``V^(l)`` alike, each with its own fan-in ``n_pre``):

* ``"normal"`` (the default, SpyTorch's): ``W_ij ~ N(0, (gain c)^2 / n_pre)`` with
  ``c = 1 - beta`` when the membrane takes the current with gain 1 (``input_gain="one"``, the
  tutorial's Eq. 8, where a constant current is amplified by ``1 / (1 - beta)``) and ``c = 1``
  when it takes ``(1 - beta) I`` (``input_gain="1-beta"``, Zenke & Vogels' Eq. 4.1). Both give
  the same membrane potentials for the same seed (docs/design.md §12.8).
* ``"uniform"`` (Zenke & Vogels 2021, §4.2.3, PyTorch's default for ``nn.Linear``):
  ``W_ij ~ U(-sqrt(k), sqrt(k))`` with ``k = 1 / n_pre``, the number of afferent connections.
  No gain.
* :class:`Fluctuation` (Rossbroich, Gygax & Zenke 2022, "Fluctuation-driven initialization for
  spiking neural network training", Neuromorph. Comput. Eng. 2, 044016; not in Zenke & Vogels,
  whose §4.2.3 states only the uniform rule): the weights are normal, with mean and spread
  chosen so that a neuron driven by ``n_pre`` independent inputs firing ``nu`` spikes per step
  has a free membrane potential (no spikes, no reset) of mean ``mu_U`` and temporal standard
  deviation ``sigma_U``. With ``eps[k]`` the membrane's response ``k`` steps after a unit input
  spike (its PSP kernel, :func:`psp_moments`), Campbell's theorem gives

  .. math::

      \mu_U = n\,\nu\,\mu_W\,\bar\epsilon, \qquad
      \sigma_U^2 = n\,\nu\,(\sigma_W^2 + \mu_W^2)\,\hat\epsilon, \qquad
      \bar\epsilon = \sum_k \epsilon[k], \quad \hat\epsilon = \sum_k \epsilon[k]^2,

  solved for ``mu_W = mu_U / (n nu eps_bar)`` and
  ``sigma_W^2 = sigma_U^2 / (n nu eps_hat) - mu_W^2``. With a recurrent matrix, ``ff_share``
  of the variance is given to ``W`` and the rest to ``V`` (each with its own ``n``), and
  ``mu_W`` is shared with ``n`` the total fan-in, as in the authors' code (stork,
  ``FluctuationDrivenNormalInitializer``). The distance to threshold in standard deviations is
  ``xi = (theta - mu_U) / sigma_U``.

Read next: refsnn/trace.py, what a forward of the initialised network records.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .checks import check_real

#: the rules named by a string
INITS = ("normal", "uniform", "fluctuation")


def psp_moments(alpha, beta, gain):
    r"""``(eps_bar, eps_hat)``: sum and sum of squares of the membrane's unit-spike response.

    An input spike of weight 1 at step ``n`` raises ``I`` by 1 at ``n + 1`` (Eq. 7), and the
    membrane, free of spikes and resets, answers ``eps[k] = g sum_{j=0}^{k} alpha^j beta^(k-j)``
    at step ``n + 2 + k`` (Eq. 8 with gain ``g``). Summed over ``k``:

    .. math::

        \bar\epsilon = \frac{g}{(1-\alpha)(1-\beta)}, \qquad
        \hat\epsilon = \frac{g^2 (1 + \alpha\beta)}{(1-\alpha^2)(1-\beta^2)(1-\alpha\beta)}.

    (``eps[k] = g (alpha^(k+1) - beta^(k+1)) / (alpha - beta)``; the sum of its squares is three
    geometric series.) ``alpha = 0`` is a neuron without synaptic memory.
    """
    a, b, g = float(alpha), float(beta), float(gain)
    eps_bar = g / ((1.0 - a) * (1.0 - b))
    eps_hat = g * g * (1.0 + a * b) / ((1.0 - a * a) * (1.0 - b * b) * (1.0 - a * b))
    return eps_bar, eps_hat


@dataclass(frozen=True)
class Fluctuation:
    """Fluctuation-driven initialisation (Rossbroich, Gygax & Zenke 2022; module docstring).

    Parameters
    ----------
    nu : float
        Expected spikes per step of each presynaptic neuron, in (0, 1] (a rate times ``dt``).
        One value for every layer: the hidden layers' rates are not known before training, and
        the authors too take one estimate (``from_input`` reads it off the input).
    sigma_U : float
        Target temporal standard deviation of the free membrane potential (> 0; default 1,
        this library's choice: with ``theta = 1`` and ``mu_U = 0`` one standard deviation
        below threshold, ``xi = 1``).
    mu_U : float
        Target mean of the free membrane potential (default 0: a centred, "balanced" init).
    ff_share : float
        Share of the variance carried by the feed-forward ``W`` in a recurrent layer, in
        (0, 1] (default 0.9, the authors' code); 1 without recurrence.
    """

    nu: float
    sigma_U: float = 1.0
    mu_U: float = 0.0
    ff_share: float = 0.9

    def __post_init__(self):
        object.__setattr__(self, "nu", check_real("nu", self.nu, 0.0, 1.0, low_open=True))
        object.__setattr__(self, "sigma_U", check_real("sigma_U", self.sigma_U, 0.0,
                                                       low_open=True))
        object.__setattr__(self, "mu_U", check_real("mu_U", self.mu_U))
        object.__setattr__(self, "ff_share", check_real("ff_share", self.ff_share, 0.0, 1.0,
                                                        low_open=True))

    @classmethod
    def from_input(cls, x, **kwargs):
        """``nu`` from an input ``x`` ``(batch, time, n_in)``: its mean spikes per step."""
        nu = float(np.mean(np.asarray(x, dtype=np.float64)))
        if not nu > 0.0:
            raise ValueError("x has no spikes: the fluctuation-driven init needs a rate nu > 0")
        return cls(nu=nu, **kwargs)

    def moments(self, n, eps_bar, eps_hat, share=1.0, n_total=None):
        """``(mu_W, sigma_W)`` for a matrix of fan-in ``n`` carrying ``share`` of the variance.

        ``n_total`` (default ``n``) is the neuron's whole fan-in, over which ``mu_W`` spreads
        the target mean. ValueError if the target spread is too small for the target mean
        (``sigma_W^2 < 0``).
        """
        n_total = n if n_total is None else n_total
        mu_W = self.mu_U / (n_total * self.nu * eps_bar)
        var = share * self.sigma_U ** 2 / (n * self.nu * eps_hat) - mu_W ** 2
        if var < 0.0:
            raise ValueError(f"sigma_U = {self.sigma_U:g} is too small for mu_U = "
                             f"{self.mu_U:g}: the mean weight alone gives more variance")
        return mu_W, float(np.sqrt(var))


def draw_weights(rule, rng, sizes, recurrent, params, readout_params, gain, rec_gain):
    """``(W, V)`` lists for ``Network.init``: the rule (a name of :data:`INITS` other than
    ``"fluctuation"``, or a :class:`Fluctuation`) applied to every matrix.

    ``sizes`` ``[n_in, n_1, ..., n_L, n_out]``; ``recurrent`` one bool per hidden layer;
    ``params`` the hidden layers' and ``readout_params`` the readout's ``LIFParams``.
    Matrices are drawn in the order ``W^(1), ..., W^(L), W_o``, then the ``V^(l)``.
    """
    L = len(sizes) - 2
    layer_params = [params] * L + [readout_params]

    def ff_then_rec(draw):
        W = [draw(l, sizes[l + 1], sizes[l], False) for l in range(L + 1)]
        V = [draw(l, sizes[l + 1], sizes[l + 1], True) if recurrent[l] else None
             for l in range(L)]
        return W, V

    if isinstance(rule, Fluctuation):
        def draw(l, n_post, n_pre, is_rec):
            p = layer_params[l]
            eps_bar, eps_hat = psp_moments(p.alpha, p.beta, p.gain)
            has_rec = l < L and recurrent[l]
            n_total = sizes[l] + (sizes[l + 1] if has_rec else 0)
            share = 1.0 if not has_rec else (1.0 - rule.ff_share if is_rec else rule.ff_share)
            mu, sigma = rule.moments(n_pre, eps_bar, eps_hat, share, n_total)
            return rng.normal(mu, sigma, size=(n_post, n_pre))
    elif rule == "uniform":
        def draw(l, n_post, n_pre, is_rec):
            bound = 1.0 / np.sqrt(n_pre)
            return rng.uniform(-bound, bound, size=(n_post, n_pre))
    elif rule == "normal":
        def draw(l, n_post, n_pre, is_rec):
            p = layer_params[l]
            c = 1.0 - p.beta if p.input_gain == "one" else 1.0
            return rng.normal(0.0, (rec_gain if is_rec else gain) * c / np.sqrt(n_pre),
                              size=(n_post, n_pre))
    else:
        raise AssertionError(rule)
    return ff_then_rec(draw)


def as_init(init):
    """``init`` checked: one of ``"normal"``, ``"uniform"`` or a :class:`Fluctuation`."""
    if isinstance(init, Fluctuation):
        return init
    if isinstance(init, str) and init in ("normal", "uniform"):
        return init
    if init == "fluctuation":
        raise ValueError("init='fluctuation' needs the presynaptic rate: pass "
                         "init=refsnn.initialization.Fluctuation(nu=...) (or "
                         "Fluctuation.from_input(x))")
    raise ValueError(f"init must be 'normal', 'uniform' or a Fluctuation, got {init!r}")

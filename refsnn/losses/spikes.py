r"""Rate-coded losses on output spikes ("lessons from deep learning" §3.2.1, Appendix B.4-B.5).

The output layer is spiking (``Network(..., output="spiking")``) and its spikes ``S_out``
``(B, T, K)`` are read through their counts ``c_k = sum_n S_out[n, k]`` (Eq. 26). Each loss
returns ``(L, dL/dS_out)``, the gradient that :func:`refsnn.grad.bptt.bptt` takes as
``gS_ext={-1: dS}``. Conventions are snnTorch's functions of the same name (``ce_count_loss``,
``mse_count_loss``): mean over the batch, counts summed over time.

* :func:`count_ce` -- cross-entropy with the counts as logits (Eqs. 28-29, with the minus sign
  that Eq. 29 drops: errata):

  .. math::

      L = -\frac1B \sum_b \log p_{y_b}(c_b), \qquad
      \frac{\partial L}{\partial S_{out}[b, n, k]} = \frac{p_k(c_b) - [k = y_b]}{B}
      \quad\text{for every } n.

* :func:`count_mse` -- squared error of the counts to target counts ``c*_k = floor(T r_k)``,
  ``r_k`` = ``correct_rate`` for the label, ``incorrect_rate`` otherwise (Eq. 30, averaged as
  snnTorch averages it: over the ``B K`` entries, then divided by ``T``):

  .. math::

      L = \frac{1}{T B K} \sum_{b,k} (c_{bk} - c^*_{bk})^2, \qquad
      \frac{\partial L}{\partial S_{out}[b, n, k]} = \frac{2 (c_{bk} - c^*_{bk})}{T B K}.

Both are functions of the counts only, so the gradient is the same at every step ``n``; BPTT
carries it to the membrane through the surrogate ``F'(U[n] - theta)``.

Read next: refsnn/losses/latency.py, the losses on first-spike times.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_real
from .membrane import _check_labels, _check_readout, softmax_ce


def spike_counts(S_out, name="S_out"):
    """``c = sum_n S_out[:, n, :]`` ``(B, K)`` of output spikes ``(B, T, K)`` (Eq. 26)."""
    return _check_readout(S_out, name).sum(axis=1)


def count_ce(S_out, labels):
    """Cross-entropy on the spike counts (module docstring); returns ``(L, dL/dS_out)``.

    Parameters
    ----------
    S_out : array (B, T, K)
        Output spikes (0/1, or soft spikes on the smooth model).
    labels : int array (B,)

    Returns
    -------
    value : float
    dS_out : ndarray (B, T, K), ``(p - onehot) / B`` repeated over time.
    """
    S = _check_readout(S_out, "S_out")
    y = _check_labels(labels, S.shape[0], S.shape[2])
    value, dc = softmax_ce(S.sum(axis=1), y)
    return value, np.repeat(dc[:, None, :], S.shape[1], axis=1)


def count_targets(labels, T, K, correct_rate=0.8, incorrect_rate=0.2):
    """Target counts ``(B, K)``: ``floor(T correct_rate)`` for each label, ``floor(T
    incorrect_rate)`` elsewhere (snnTorch's ``int(num_steps * rate)``)."""
    correct_rate = check_real("correct_rate", correct_rate, 0.0, 1.0)
    incorrect_rate = check_real("incorrect_rate", incorrect_rate, 0.0, 1.0)
    y = np.asarray(labels)
    target = np.full((y.shape[0], K), float(int(T * incorrect_rate)))
    target[np.arange(y.shape[0]), y] = float(int(T * correct_rate))
    return target


def count_mse(S_out, labels, correct_rate=0.8, incorrect_rate=0.2):
    """Mean squared error of the counts to target rates (module docstring).

    Parameters
    ----------
    S_out : array (B, T, K)
    labels : int array (B,)
    correct_rate, incorrect_rate : float in [0, 1]
        Target firing rates (fraction of the ``T`` steps) of the labelled and the other
        outputs; defaults 0.8 / 0.2 as in "lessons from deep learning"'s tutorials (snnTorch's
        own defaults are 1 / 0).

    Returns
    -------
    value : float
    dS_out : ndarray (B, T, K)
    """
    S = _check_readout(S_out, "S_out")
    B, T, K = S.shape
    y = _check_labels(labels, B, K)
    diff = S.sum(axis=1) - count_targets(y, T, K, correct_rate, incorrect_rate)
    value = np.mean(diff ** 2) / T
    return value, np.repeat((2 * diff / (T * B * K))[:, None, :], T, axis=1)


def predict_count(S_out):
    """Rate-code prediction ``argmax_k c_k`` ``(B,)`` (the first output on ties)."""
    return spike_counts(S_out).argmax(axis=1)

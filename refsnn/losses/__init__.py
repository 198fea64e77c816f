r"""Losses and regularisers, each returning ``(value, gradient)`` with a gradient derived by hand.

================================  ==========================  ===================================
what is read                      losses                      module
================================  ==========================  ===================================
readout membrane ``U_o``          ``max_over_time_ce``,       :mod:`refsnn.losses.membrane`
``(B, T, K)``                     ``sum_over_time_ce``,
                                  ``mse``, ``softmax_ce``
output spike counts               ``count_ce``, ``count_mse``  :mod:`refsnn.losses.spikes`
first output spike times          ``latency_ce``,             :mod:`refsnn.losses.latency`
                                  ``latency_mse``,
                                  ``latency_relative_mse``
any layer's spikes                ``spike_rate_l1``,          :mod:`refsnn.losses.regularisers`
                                  ``lower_bound``,
                                  ``upper_bound``
================================  ==========================  ===================================

Each loss has a ``predict`` attribute, the matching class prediction (max-over-time,
sum-over-time, spike count, first spike). :class:`Objective` combines one loss with
regularisers into what :func:`refsnn.train` and :func:`refsnn.gradcheck.check_network` score a
trace by, and returns the gradients :func:`refsnn.grad.bptt.bptt` takes (``d_readout``,
``gS_ext``).

Read next: refsnn/losses/membrane.py, the losses on the readout.
"""
from .latency import (first_spike_time, latency_ce, latency_mse, latency_relative_mse,
                      predict_first_spike)
from .membrane import (max_over_time_ce, mse, predict_max_over_time, predict_sum_over_time,
                       softmax_ce, sum_over_time_ce)
from .objective import Objective
from .regularisers import lower_bound, spike_rate_l1, upper_bound
from .spikes import count_ce, count_mse, count_targets, predict_count, spike_counts

max_over_time_ce.predict = predict_max_over_time
sum_over_time_ce.predict = predict_sum_over_time
count_ce.predict = count_mse.predict = predict_count
latency_ce.predict = latency_mse.predict = latency_relative_mse.predict = predict_first_spike

__all__ = ["Objective", "count_ce", "count_mse", "count_targets", "first_spike_time",
           "latency_ce", "latency_mse", "latency_relative_mse", "lower_bound",
           "max_over_time_ce", "mse", "predict_count", "predict_first_spike",
           "predict_max_over_time", "predict_sum_over_time", "softmax_ce", "spike_counts",
           "spike_rate_l1", "sum_over_time_ce", "upper_bound"]

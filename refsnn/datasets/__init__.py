r"""Tasks as spike trains: generated here, or shipped inside an installed package.

Nothing downloads at run time. Every task is seeded and returns a
:class:`~refsnn.datasets.dataset.SpikeDataset` (``x`` ``(n, steps, n_in)`` 0/1 spikes, ``y``
labels, named splits, seeded mini-batches) unless it says otherwise:

* :func:`randman` -- smooth random manifolds (Zenke & Vogels 2021, §4.1.1), one spike per input;
* :func:`digits` -- scikit-learn's 8x8 handwritten digits, rate or latency coded (needs the
  ``data`` extra);
* :func:`two_groups` -- which of two input groups fires more (returns ``(x, labels)``).

The encoders that turn values into spikes are in :mod:`refsnn.encoding`.

>>> from refsnn import datasets
>>> d = datasets.randman(seed=0, progress=False)           # doctest: +SKIP
>>> d.split("train").x.shape                               # doctest: +SKIP
(8000, 100, 20)

Read next: refsnn/datasets/dataset.py, the dataset object.
"""
from .dataset import SPLITS, SpikeDataset, from_spikes, from_times, minibatch_indices
from .digits import digits
from .randman import randman
from .toy import two_groups

__all__ = ["SpikeDataset", "SPLITS", "from_spikes", "from_times", "minibatch_indices",
           "randman", "two_groups",
           "digits"]

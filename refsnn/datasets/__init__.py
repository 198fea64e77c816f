r"""Tasks as spike trains: generated here, or shipped inside an installed package.

Nothing downloads at run time. Every task is seeded and returns a
:class:`~refsnn.datasets.dataset.SpikeDataset` (``x`` ``(n, steps, n_in)`` 0/1 spikes, ``y``
labels, named splits, seeded mini-batches) unless it says otherwise:

* :func:`randman` -- smooth random manifolds (Zenke & Vogels 2021, §4.1.1), one spike per input;
* :func:`yin_yang` -- the Yin-Yang task (Kriener et al. 2021) as features (returns ``(X, y)``);
  :func:`yin_yang_spikes` -- the same as one spike per feature, train / valid / test sets;
* :func:`temporal_xor` -- two inputs, each early or late (tutorial Fig. 6, Mostafa 2018);
* :func:`spikeprop_xor` -- the spike-time XOR of SpikeProp with desired output times (Bohte 2002);
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
from .images import digits
from .random_manifolds import randman
from .toy import two_groups
from .xor import spikeprop_xor, temporal_xor
from .yinyang import yin_yang, yin_yang_spikes

__all__ = ["SpikeDataset", "SPLITS", "from_spikes", "from_times", "minibatch_indices",
           "randman", "two_groups", "yin_yang", "yin_yang_spikes", "temporal_xor",
           "spikeprop_xor", "digits"]

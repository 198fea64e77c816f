r"""The dataset object every task of :mod:`refsnn.datasets` returns, and its seeded mini-batches.

A :class:`SpikeDataset` holds

* ``x`` -- ``(n, steps, n_in)`` float64 0/1 input spikes on the time grid ``t_n = n dt``,
* ``y`` -- ``(n,)`` int64 labels in ``[0, n_classes)``,
* ``times`` -- for tasks with at most one spike per input neuron, the ``(n, n_in)`` spike
  times in seconds before quantisation (``inf``: no spike), else ``None``,
* ``source`` -- what each sample was made from (randman: its manifold coordinates; Yin-Yang:
  its four features; digits: its pixel intensities),
* ``targets`` -- optional per-sample regression targets (SpikeProp's desired output spike
  times), else ``None``,
* named splits (``"train"``, ``"valid"``, ``"test"``): index arrays into the samples.

All arrays are the dataset's own read-only copies, so nothing done to an array afterwards
changes a dataset (or a result computed from it). Spike times become steps by the one rule of
:func:`refsnn.encoding.times_to_spikes`: a spike at time ``t`` falls into step
``floor(t / dt)``, the step whose interval ``[n dt, (n + 1) dt)`` contains it.

Mini-batches: :func:`minibatch_indices` draws one permutation per epoch from a seeded
generator and cuts it into consecutive batches (the last one may be smaller); it is the loop
:func:`refsnn.train.train` runs, so ``d.batches(...)`` and ``train(net, d, ...)`` visit the
same samples in the same order for the same ``rng``.

Read next: refsnn/datasets/random_manifolds.py, the smooth random manifolds of Zenke & Vogels.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..checks import as_real_array, as_rng, check_bool, check_int, check_real
from ..encoding import times_to_spikes

#: the split names every task uses, in this order
SPLITS = ("train", "valid", "test")


def _frozen(a, dtype=None):
    """A read-only C-contiguous copy of ``a`` (``None`` stays ``None``)."""
    if a is None:
        return None
    a = np.array(a, dtype=dtype, order="C", copy=True)
    a.setflags(write=False)
    return a


@dataclass(frozen=True)
class SpikeDataset:
    """Input spikes, labels and named splits of one task (module docstring).

    Build one with :func:`from_times` or :func:`from_spikes`; the constructor itself only
    stores what it is given (read-only copies, checked for consistent shapes).

    Attributes
    ----------
    x : ndarray (n, steps, n_in), float64, entries 0 or 1
    y : ndarray (n,), int64
    dt : float
        Time step in seconds.
    times : ndarray (n, n_in) or None
        Spike times in seconds (``inf`` for no spike) of one-spike-per-input tasks.
    source : ndarray (n, ...) or None
        What each sample was encoded from.
    targets : ndarray (n, ...) or None
        Per-sample regression targets (e.g. desired output spike times in seconds).
    splits : dict of str -> int64 index array
    classes : tuple of str
        Class names; ``len(classes)`` is the number of classes.
    name : str
    params : dict
        The arguments the task was generated with (its seed included).
    """

    x: np.ndarray
    y: np.ndarray
    dt: float
    times: np.ndarray = None
    source: np.ndarray = None
    targets: np.ndarray = None
    splits: dict = field(default_factory=dict)
    classes: tuple = ()
    name: str = ""
    params: dict = field(default_factory=dict)

    def __post_init__(self):
        x = _frozen(as_real_array(self.x, "x"), np.float64)
        y = as_real_array(self.y, "y")
        if y.dtype.kind not in "iu":
            raise TypeError(f"y must be integer labels, got dtype {y.dtype}")
        y = _frozen(y, np.int64)
        if not np.all((x == 0.0) | (x == 1.0)):
            raise ValueError("x must be binary spikes (0 or 1)")
        if x.ndim != 3:
            raise ValueError(f"x must have shape (samples, steps, n_in), got {x.shape}")
        n = x.shape[0]
        if y.shape != (n,):
            raise ValueError(f"y must have shape ({n},) to match x, got {y.shape}")
        times, source = _frozen(self.times, np.float64), _frozen(self.source)
        targets = _frozen(self.targets)
        for name, a in (("times", times), ("source", source), ("targets", targets)):
            if a is not None and (a.ndim < 1 or a.shape[0] != n):
                raise ValueError(f"{name} must have {n} rows to match x, got {a.shape}")
        classes = tuple(str(c) for c in self.classes) or tuple(
            str(c) for c in range(int(y.max()) + 1 if n else 0))
        if n and (y.min() < 0 or y.max() >= len(classes)):
            raise ValueError(f"y must lie in [0, {len(classes) - 1}], got [{y.min()}, {y.max()}]")
        splits = {}
        for key, idx in dict(self.splits).items():
            idx = _frozen(idx, np.int64)
            if idx.ndim != 1 or (idx.size and (idx.min() < 0 or idx.max() >= n)):
                raise ValueError(f"split {key!r} must be a 1-D index array into {n} samples")
            splits[str(key)] = idx
        for name, value in (("x", x), ("y", y), ("times", times), ("source", source),
                            ("targets", targets), ("splits", splits), ("classes", classes),
                            ("dt", float(self.dt)), ("params", dict(self.params))):
            object.__setattr__(self, name, value)

    # ------------------------------------------------------------------ shape
    def __len__(self):
        return self.x.shape[0]

    @property
    def steps(self) -> int:
        """Number of time steps per sample."""
        return self.x.shape[1]

    @property
    def n_inputs(self) -> int:
        """Number of input neurons."""
        return self.x.shape[2]

    @property
    def n_classes(self) -> int:
        return len(self.classes)

    def __repr__(self):
        sizes = ", ".join(f"{k} {len(v)}" for k, v in self.splits.items())
        return (f"SpikeDataset({self.name!r}: {len(self)} samples x {self.steps} steps x "
                f"{self.n_inputs} inputs, dt {self.dt:g} s, {self.n_classes} classes"
                + (f"; {sizes}" if sizes else "") + ")")

    # ------------------------------------------------------------------ splits
    def split(self, name) -> "SpikeDataset":
        """The samples of split ``name`` as a dataset of their own (its one split: ``name``)."""
        if name not in self.splits:
            raise ValueError(f"split must be one of {sorted(self.splits)}, got {name!r}")
        return self.subset(self.splits[name], name)

    def subset(self, index, split_name="all") -> "SpikeDataset":
        """The samples ``index`` (an int index array or a boolean mask) as a new dataset."""
        idx = np.arange(len(self))[np.asarray(index)]
        take = (lambda a: None if a is None else a[idx])
        return SpikeDataset(x=self.x[idx], y=self.y[idx], dt=self.dt, times=take(self.times),
                            source=take(self.source), targets=take(self.targets),
                            splits={split_name: np.arange(idx.size)},
                            classes=self.classes, name=self.name, params=self.params)

    # ------------------------------------------------------------------ batches
    def batches(self, batch_size, rng, shuffle=True):
        """Iterate ``(x_b, y_b)`` mini-batches once over the dataset (one epoch).

        ``rng`` (a Generator or an int seed) draws the permutation (:func:`minibatch_indices`);
        with ``shuffle=False`` the batches follow the sample order. The batches are copies.
        """
        for idx in minibatch_indices(len(self), batch_size, rng, shuffle=shuffle):
            yield self.x[idx].copy(), self.y[idx].copy()

    def events(self):
        """The spikes as a CSR event list (:class:`refsnn.events.Events`), the sparse form
        the simulator reads an input of at most 25% density through."""
        from ..events import to_events

        return to_events(self.x)

    def class_counts(self) -> np.ndarray:
        """Number of samples per class, ``(n_classes,)``."""
        return np.bincount(self.y, minlength=self.n_classes)


def minibatch_indices(n, batch_size, rng, shuffle=True):
    """Index arrays of one epoch's mini-batches over ``n`` samples.

    One permutation ``rng.permutation(n)`` (the identity if ``shuffle`` is False) cut into
    consecutive pieces of ``batch_size`` (the last one may be smaller). ``rng`` is a
    Generator, advanced by the call, or an int seed.
    """
    n = check_int("n", n, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    if rng is None:
        raise TypeError("rng must be a numpy Generator or an int seed (None would not be "
                        "reproducible)")
    rng = as_rng(rng)
    order = rng.permutation(n) if check_bool("shuffle", shuffle) else np.arange(n)
    return [order[s:s + batch_size] for s in range(0, n, batch_size)]


def stratified_splits(y, fractions, rng):
    """Split indices per class in the proportions ``fractions`` (a dict name -> fraction).

    Within each class the samples are shuffled with ``rng`` and cut in the order of
    ``fractions`` (the last split takes the rounding remainder), so every split has each class
    in the same proportion (Zenke & Vogels §4.1.1: 800 / 100 / 100 of each class's 1000).
    """
    y = np.asarray(y)
    total = sum(fractions.values())
    if not np.isclose(total, 1.0):
        raise ValueError(f"fractions must sum to 1, got {total}")
    out = {k: [] for k in fractions}
    for c in np.unique(y):
        members = rng.permutation(np.flatnonzero(y == c))
        cuts = np.rint(np.cumsum(list(fractions.values())) * members.size).astype(int)
        for key, lo, hi in zip(fractions, np.r_[0, cuts[:-1]], cuts):
            out[key].append(members[lo:hi])
    return {k: np.sort(np.concatenate(v)) for k, v in out.items()}


def check_grid(steps, dt, latest, what):
    """``steps`` and ``dt`` of a time grid on which the time ``latest`` (named ``what``) still
    falls, ``latest < steps * dt``; returns ``(steps, dt)``. ValueError/TypeError otherwise."""
    steps = check_int("steps", steps, 1)
    dt = check_real("dt", dt, 0.0, np.inf, low_open=True, high_open=True)
    if not latest < steps * dt:
        raise ValueError(f"steps * dt ({steps} x {dt:g} s = {steps * dt:g} s) must exceed "
                         f"{what} ({latest:g} s)")
    return steps, dt


def check_window(t_early, t_late, t_bias, steps, dt):
    """An encoding window ``0 <= t_early < t_late`` (seconds), an optional bias time
    ``t_bias >= 0`` (or None) and a grid ``(steps, dt)`` that holds them all (:func:`check_grid`);
    returns ``(t_early, t_late, t_bias, steps, dt)``."""
    t_early = check_real("t_early", t_early, 0.0)
    t_late = check_real("t_late", t_late, 0.0)
    if not t_early < t_late:
        raise ValueError(f"t_early must be < t_late, got {t_early:g} and {t_late:g}")
    if t_bias is not None:
        t_bias = check_real("t_bias", t_bias, 0.0)
    latest = t_late if t_bias is None else max(t_late, t_bias)
    steps, dt = check_grid(steps, dt, latest, "t_late" if latest == t_late else "t_bias")
    return t_early, t_late, t_bias, steps, dt


def from_times(times, y, steps, dt, **fields) -> SpikeDataset:
    """A dataset whose spikes are the spike times ``times`` ``(n, n_in)`` (seconds, ``inf``:
    none) put on the grid of ``steps`` steps of ``dt`` (:func:`refsnn.encoding.times_to_spikes`);
    ``fields`` are the other :class:`SpikeDataset` attributes."""
    x = times_to_spikes(times, steps, dt)
    return SpikeDataset(x=x, y=y, dt=dt, times=times, **fields)


def from_spikes(x, y, dt, **fields) -> SpikeDataset:
    """A dataset of given spike arrays ``x`` ``(n, steps, n_in)``; ``fields`` as in
    :func:`from_times`."""
    return SpikeDataset(x=x, y=y, dt=dt, **fields)

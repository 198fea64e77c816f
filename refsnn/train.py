r"""Mini-batch training loop with a progress bar and a per-epoch history.

One step on a mini-batch ``(x_b, y_b)``::

    trace = net.simulate(x_b, spike="hard")         # Heaviside spikes
    value, d_readout, gS_ext = objective(trace, y_b)  # refsnn.losses, derived by hand
    grads = grad_fn(net, trace, d_readout, gS_ext=gS_ext)  # surrogate gradient, default BPTT
    optimizer.step(net.parameters(), grads.parameters())

The network is trained in place. Shuffling uses the seeded ``rng``, so two calls with the same
arguments (and fresh networks and optimisers) give identical weights and histories.

Read next: refsnn/encoding.py, the encoders, and refsnn/datasets/, the tasks to train on.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import losses as _losses
from .checks import as_rng, check_int
from .datasets.dataset import SpikeDataset, minibatch_indices
from .grad.bptt import bptt
from .network import Network
from .optim import Adam, Optimizer

#: loss name -> (loss function, matching prediction rule)
LOSSES = {
    "max_over_time_ce": (_losses.max_over_time_ce, _losses.predict_max_over_time),
    "sum_over_time_ce": (_losses.sum_over_time_ce, _losses.predict_sum_over_time),
}


@dataclass
class History:
    """What :func:`train` records, one entry per epoch.

    Attributes
    ----------
    loss, accuracy : list of float
        Mean training loss and accuracy over the epoch's mini-batches, each measured on the
        forward pass used for that batch's update (so with the weights *during* the epoch).
    val_loss, val_accuracy : list of float
        Loss and accuracy on the validation set after each epoch (empty without validation
        data).
    """

    loss: list = field(default_factory=list)
    accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)

    @property
    def epochs(self) -> int:
        return len(self.loss)

    def plot(self, ax=None):
        """Draw the loss and accuracy curves; returns the two axes ``(ax_loss, ax_acc)``.

        ``ax`` may be ``None`` (a new figure with two panels), a pair of axes, or a single
        axes (the accuracy then goes on a twin y-axis on the right).
        """
        import matplotlib.pyplot as plt

        if ax is None:
            _, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.2), constrained_layout=True)
        elif isinstance(ax, (list, tuple, np.ndarray)):
            if len(ax) != 2:
                raise ValueError(f"ax must be one axes or a pair of axes, got {len(ax)}")
            ax_loss, ax_acc = ax
        else:
            ax_loss, ax_acc = ax, ax.twinx()
        epochs = np.arange(1, self.epochs + 1)
        ax_loss.plot(epochs, self.loss, "C0-", label="train loss")
        if self.val_loss:
            ax_loss.plot(epochs, self.val_loss, "C0--", label="val loss")
        ax_loss.set_xlabel("epoch")
        ax_loss.set_ylabel("loss")
        ax_acc.plot(epochs, self.accuracy, "C1-", label="train accuracy")
        if self.val_accuracy:
            ax_acc.plot(epochs, self.val_accuracy, "C1--", label="val accuracy")
        ax_acc.set_xlabel("epoch")
        ax_acc.set_ylabel("accuracy")
        ax_acc.set_ylim(-0.02, 1.02)
        if ax_acc is not ax_loss:
            for a in {ax_loss, ax_acc}:
                a.legend(loc="best", fontsize="small")
        return ax_loss, ax_acc


# ---------------------------------------------------------------------- argument checks
def _resolve_loss(loss, predict):
    """The :class:`refsnn.losses.Objective` of a loss name, a callable ``(readout, labels) ->
    (value, d_readout)`` or an Objective (docs/design.md §3), with ``predict`` if given."""
    if isinstance(loss, _losses.Objective):
        obj = loss
    elif isinstance(loss, str):
        if loss not in LOSSES:
            raise ValueError(f"loss must be one of {sorted(LOSSES)}, a callable "
                             f"(readout, labels) -> (value, d_readout) or a "
                             f"refsnn.losses.Objective, got {loss!r}")
        fn, default_predict = LOSSES[loss]
        obj = _losses.Objective(fn, predict=default_predict)
    elif callable(loss):
        obj = _losses.Objective(loss, predict=getattr(loss, "predict",
                                                      _losses.predict_max_over_time))
    else:
        raise TypeError(f"loss must be a name, a callable or an Objective, got "
                        f"{type(loss).__name__}")
    if predict is not None:
        if not callable(predict):
            raise TypeError(f"predict must be a callable readout -> labels, got "
                            f"{type(predict).__name__}")
        obj = _losses.Objective(obj.loss, obj.reads, obj.regularisers, predict)
    return obj


def _check_net(net):
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")


def _check_data(net, x, labels, xname, yname):
    """Validate ``x`` (B, T, n_in) and integer ``labels`` (B,) in ``[0, n_out)``."""
    x = np.asarray(x)
    if x.ndim != 3:
        raise ValueError(f"{xname} must have shape (batch, time, {net.sizes[0]}), got {x.shape}")
    if x.shape[2] != net.sizes[0]:
        raise ValueError(f"{xname} has {x.shape[2]} inputs, the network expects {net.sizes[0]}")
    if x.shape[0] < 1:
        raise ValueError(f"{xname} is empty")
    y = np.asarray(labels)
    if y.shape != (x.shape[0],):
        raise ValueError(f"{yname} must have shape ({x.shape[0]},) to match {xname}, "
                         f"got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{yname} must be integers, got dtype {y.dtype}")
    n_out = net.sizes[-1]
    if np.any(y < 0) or np.any(y >= n_out):
        raise ValueError(f"{yname} must lie in [0, {n_out - 1}] (the network has {n_out} "
                         "outputs)")
    return x, y.astype(np.int64)


def _unpack(x, labels, xname, yname):
    """``(x, labels)`` from arrays, or from a :class:`SpikeDataset` given as ``x`` (then
    ``labels`` must be None: the dataset's own ``y`` are the labels)."""
    if isinstance(x, SpikeDataset):
        if labels is not None:
            raise ValueError(f"{yname} must be None when {xname} is a SpikeDataset (its y are "
                             "the labels)")
        return x.x, x.y
    if labels is None:
        raise TypeError(f"{yname} is required when {xname} is an array (or pass a SpikeDataset "
                        f"as {xname})")
    return x, labels


def _takes_labels(grad_fn):
    """True if ``grad_fn`` takes a fourth positional argument (the mini-batch's labels)."""
    import inspect

    try:
        params = inspect.signature(grad_fn).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the 3-argument form
        return False
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positional = [p for p in params if p.kind in kinds]
    return len(positional) >= 4


def _param_arrays(net, grads):
    """Pair ``net.parameters()`` with ``grads.parameters()`` by name; returns two lists."""
    if not callable(getattr(grads, "parameters", None)):
        raise TypeError(f"grad_fn must return an object with a parameters() method (like "
                        f"refsnn.Grads), got {type(grads).__name__}")
    p, g = net.parameters(), grads.parameters()
    p_names, g_names = [n for n, _ in p], [n for n, _ in g]
    if p_names != g_names:
        raise ValueError(f"grad_fn returned gradients for {g_names}, the network has "
                         f"parameters {p_names}")
    return [a for _, a in p], [a for _, a in g]


# ---------------------------------------------------------------------- evaluation
def evaluate(net, x, labels=None, loss="max_over_time_ce", batch_size=None, predict=None):
    """Loss and accuracy of ``net`` on ``(x, labels)`` with hard spikes.

    Parameters
    ----------
    net : Network
    x : array (B, T, n_in), or a SpikeDataset
    labels : int array (B,)
        Omitted when ``x`` is a :class:`refsnn.datasets.SpikeDataset`.
    loss : str, callable or Objective
        As in :func:`train`.
    batch_size : int, optional
        Simulate in chunks of this size (memory); default all at once.
    predict : callable, optional
        ``readout -> predicted labels``; default matches ``loss``.

    Returns
    -------
    (loss, accuracy) : (float, float)
        The sample-weighted mean loss and the fraction of correct predictions.
    """
    _check_net(net)
    obj = _resolve_loss(loss, predict)
    x, y = _check_data(net, *_unpack(x, labels, "x", "labels"), "x", "labels")
    n = x.shape[0]
    bs = n if batch_size is None else min(check_int("batch_size", batch_size, 1), n)
    total, correct = 0.0, 0
    for start in range(0, n, bs):
        xb, yb = x[start:start + bs], y[start:start + bs]
        trace = net.simulate(xb, spike="hard")
        value = obj(trace, yb)[0]
        total += float(value) * len(yb)
        correct += int(np.sum(np.asarray(obj.predict(obj.read(trace))) == yb))
    return total / n, correct / n


# ---------------------------------------------------------------------- training
def train(net, x, labels=None, loss="max_over_time_ce", optimizer=None, epochs=20, batch_size=32,
          rng=0, progress=True, x_val=None, labels_val=None, grad_fn=None, predict=None):
    r"""Train ``net`` in place by mini-batch surrogate-gradient descent; returns a :class:`History`.

    Each epoch visits the samples in an order drawn from ``rng`` (a permutation per epoch), in
    mini-batches of ``batch_size`` (the last one may be smaller), and makes one optimiser step
    per mini-batch (module docstring).

    Parameters
    ----------
    net : Network
        Trained in place.
    x : array (B, T, n_in), or a SpikeDataset
        Input spikes (0/1), or a :class:`refsnn.datasets.SpikeDataset` (e.g.
        ``d.split("train")``) whose ``x`` and ``y`` are used.
    labels : int array (B,)
        Classes in ``[0, n_out)``; omitted when ``x`` is a dataset.
    loss : str, callable or Objective
        ``"max_over_time_ce"`` or ``"sum_over_time_ce"`` (:mod:`refsnn.losses`), a callable
        ``(readout, labels) -> (value, d_readout)``, or a :class:`refsnn.losses.Objective`
        (a loss on output spikes, regularisers); its ``gS_ext`` reaches ``grad_fn`` as a
        keyword argument.
    optimizer : Optimizer, optional
        Default ``Adam(lr=1e-3)``. Its state carries over if it is reused across calls.
    epochs : int
        Passes over the data (>= 1).
    batch_size : int
        Mini-batch size (>= 1; capped at ``B``).
    rng : numpy Generator or int seed
        Shuffling.
    progress : bool
        Show a tqdm bar over epochs with the current loss and accuracy.
    x_val, labels_val : arrays, optional
        Validation data, evaluated after every epoch (``History.val_loss``, ``val_accuracy``);
        ``x_val`` may be a SpikeDataset (then without ``labels_val``).
    grad_fn : callable, optional
        ``(net, trace, d_readout) -> Grads``; default :func:`refsnn.bptt`. A rule that needs
        the labels (local errors) takes a fourth argument: ``(net, trace, d_readout, labels)``.
    predict : callable, optional
        ``readout -> predicted labels`` for the accuracy; default matches ``loss``
        (:func:`refsnn.losses.predict_max_over_time` for a callable loss).

    Returns
    -------
    History
    """
    _check_net(net)
    obj = _resolve_loss(loss, predict)
    x, y = _check_data(net, *_unpack(x, labels, "x", "labels"), "x", "labels")
    if x_val is None and labels_val is not None:
        raise ValueError("labels_val given without x_val")
    if x_val is not None:
        x_val, y_val = _check_data(net, *_unpack(x_val, labels_val, "x_val", "labels_val"),
                                   "x_val", "labels_val")
    if optimizer is None:
        optimizer = Adam(lr=1e-3)
    elif not isinstance(optimizer, Optimizer):
        raise TypeError(f"optimizer must be a refsnn.optim optimiser, got "
                        f"{type(optimizer).__name__}")
    epochs = check_int("epochs", epochs, 1)
    batch_size = check_int("batch_size", batch_size, 1)
    if grad_fn is None:
        grad_fn = bptt
    elif not callable(grad_fn):
        raise TypeError(f"grad_fn must be callable (net, trace, d_readout) -> Grads, got "
                        f"{type(grad_fn).__name__}")
    with_labels = _takes_labels(grad_fn)
    if rng is None:
        raise TypeError("rng must be a numpy Generator or an int seed (None would not be "
                        "reproducible)")
    rng = as_rng(rng)

    from tqdm.std import tqdm  # plain text bar: no ipywidgets needed in notebooks

    n = x.shape[0]
    history = History()
    bar = tqdm(range(epochs), disable=not progress, desc="train", unit="epoch")
    for _ in bar:
        total, correct = 0.0, 0
        for idx in minibatch_indices(n, batch_size, rng):  # one permutation per epoch
            xb, yb = x[idx], y[idx]
            trace = net.simulate(xb, spike="hard")
            value, d_readout, gS_ext = obj(trace, yb)
            total += float(value) * len(idx)
            correct += int(np.sum(np.asarray(obj.predict(obj.read(trace))) == yb))
            if gS_ext:  # a loss on spikes: the rule must take gS_ext (BPTT does)
                grads = grad_fn(net, trace, d_readout, gS_ext=gS_ext)
            elif with_labels:
                grads = grad_fn(net, trace, d_readout, yb)
            else:
                grads = grad_fn(net, trace, d_readout)
            params, grad_arrays = _param_arrays(net, grads)
            optimizer.step(params, grad_arrays)
        history.loss.append(total / n)
        history.accuracy.append(correct / n)
        postfix = {"loss": f"{history.loss[-1]:.4f}", "acc": f"{history.accuracy[-1]:.3f}"}
        if x_val is not None:
            vl, va = evaluate(net, x_val, y_val, loss=obj)
            history.val_loss.append(vl)
            history.val_accuracy.append(va)
            postfix["val_acc"] = f"{va:.3f}"
        bar.set_postfix(postfix)
    bar.close()
    return history

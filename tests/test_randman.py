"""Random manifolds (refsnn.datasets.randman): the Fourier formula, one spike per input, the
statistics that make it a spike-timing task, and a trained 20-100-10 network well above chance."""
import numpy as np
import pytest

from refsnn import LIFParams, Network, datasets
from refsnn.datasets import random_manifolds as rm
from refsnn.optim import Adam
from refsnn.train import evaluate, train

SMALL = dict(n_classes=3, n_inputs=6, samples_per_class=40, n_cut=50, progress=False)


@pytest.fixture(scope="module")
def default():
    """The paper's default set (10 classes x 1000, 20 inputs, dim 1, alpha 1), seed 0."""
    return datasets.randman(seed=0, progress=False)


def loop_manifold(X, A, B, C, s):
    """The §4.1.1 formula term by term, in plain Python loops (independent of the vectorised
    form)."""
    n, D = X.shape
    M, _, K = A.shape
    f = np.ones((n, M))
    for b in range(n):
        for i in range(M):
            for j in range(D):
                f[b, i] *= sum(s[k - 1] * A[i, j, k - 1]
                               * np.sin(2 * np.pi * (k * X[b, j] * B[i, j, k - 1]
                                                     + C[i, j, k - 1]))
                               for k in range(1, K + 1))
    return f


@pytest.mark.parametrize("dim", [1, 2])
@pytest.mark.parametrize("kind", ["power", "shifted"])
def test_manifold_is_the_printed_fourier_sum(dim, kind):
    g = np.random.default_rng(5)
    A, B, C = g.random((3, 4, dim, 30))
    X = g.random((7, dim))
    s = rm.spectrum(30, 1.5, kind)
    np.testing.assert_allclose(rm.manifold(X, A, B, C, s), loop_manifold(X, A, B, C, s),
                               rtol=1e-12, atol=1e-13)


def test_manifold_blocks_do_not_change_the_result(monkeypatch):
    g = np.random.default_rng(6)
    A, B, C = g.random((3, 5, 2, 40))
    X = g.random((33, 2))
    s = rm.spectrum(40, 1.0)
    whole = rm.manifold(X, A, B, C, s)
    monkeypatch.setattr(rm, "_BLOCK", 5 * 40 * 4)  # 4 samples per block
    np.testing.assert_array_equal(rm.manifold(X, A, B, C, s), whole)


def test_spectra():
    k = np.arange(1, 6)
    np.testing.assert_allclose(rm.spectrum(5, 2.0, "power"), k ** -2.0, rtol=1e-15)
    np.testing.assert_allclose(rm.spectrum(5, 2.0, "shifted"), 1 / (k ** 2.0 + 1), rtol=1e-15)
    with pytest.raises(ValueError, match="spectrum"):
        rm.spectrum(5, 1.0, "pink")


def test_one_spike_per_input_inside_the_window_on_the_floor_step(default):
    d = default
    assert d.x.shape == (10000, 100, 20) and len(d) == 10000
    np.testing.assert_array_equal(d.x.sum(axis=1), 1.0)       # exactly one spike each
    assert set(np.unique(d.x)) == {0.0, 1.0}
    assert d.times.min() >= 0.0 and d.times.max() < 0.05        # [0, spike_window)
    step = np.argmax(d.x, axis=1)                               # (n, n_in)
    np.testing.assert_array_equal(step, np.floor(d.times / 1e-3 + 1e-9).astype(int))
    assert step.max() <= 49                                     # 50 ms window of 1 ms steps


def test_minmax_scaling_per_class_and_input(default):
    d = default
    for c in range(d.n_classes):
        t = d.times[d.y == c]
        np.testing.assert_allclose(t.min(axis=0), 0.0, atol=1e-15)
        np.testing.assert_allclose(t.max(axis=0), 0.05, rtol=1e-5)  # eps = 1e-7 of the range


def test_balanced_stratified_disjoint_splits(default):
    d = default
    np.testing.assert_array_equal(d.class_counts(), 1000)
    sizes = {k: np.bincount(d.y[v], minlength=10) for k, v in d.splits.items()}
    np.testing.assert_array_equal(sizes["train"], 800)
    np.testing.assert_array_equal(sizes["valid"], 100)
    np.testing.assert_array_equal(sizes["test"], 100)
    allidx = np.concatenate(list(d.splits.values()))
    np.testing.assert_array_equal(np.sort(allidx), np.arange(len(d)))
    assert not np.array_equal(d.y[:50], np.sort(d.y[:50]))     # the order is shuffled


def test_spike_count_carries_no_class_information(default):
    counts = default.x.sum(axis=(1, 2))
    assert np.all(counts == default.n_inputs)


def test_nearby_manifold_points_give_nearby_spike_times(default):
    """Within a class, neighbours along the manifold coordinate (gaps ~ 1e-3) differ in spike
    time far less than random pairs do; and a smoother manifold (larger alpha) varies less."""
    d = default
    for c in range(3):
        X, t = d.source[d.y == c, 0], d.times[d.y == c]
        order = np.argsort(X)
        near = np.abs(np.diff(t[order], axis=0)).mean()
        far = np.abs(t[order][np.random.default_rng(c).permutation(len(X))] - t[order]).mean()
        assert near < 0.2 * far, (near, far)
    g = np.random.default_rng(7)
    A, B, C = g.random((3, 20, 1, 1000))
    X = g.random((400, 1))
    incr = {}
    for alpha in (1.0, 2.0):
        s = rm.spectrum(1000, alpha)
        f0, f1 = rm.manifold(X, A, B, C, s), rm.manifold(X + 0.01, A, B, C, s)
        incr[alpha] = np.mean(np.abs(f1 - f0)) / np.mean(np.std(f0, axis=0))
    assert incr[2.0] < 0.5 * incr[1.0], incr


def test_seeded_and_free_of_global_random_state():
    a = datasets.randman(seed=3, **SMALL)
    np.random.seed(1)
    b = datasets.randman(seed=3, **SMALL)
    np.random.seed(2)
    c = datasets.randman(seed=np.random.default_rng(3), **SMALL)
    for other in (b, c):
        np.testing.assert_array_equal(a.x, other.x)
        np.testing.assert_array_equal(a.times, other.times)
        np.testing.assert_array_equal(a.y, other.y)
    assert not np.array_equal(a.times, datasets.randman(seed=4, **SMALL).times)


def test_arrays_are_read_only_copies():
    d = datasets.randman(seed=0, **SMALL)
    for a in (d.x, d.y, d.times, d.source, d.splits["train"]):
        with pytest.raises(ValueError, match="read-only"):
            a[0] = 1
    xb, yb = next(d.batches(4, rng=0))
    xb[:] = 7.0                                                  # a batch is the user's copy
    assert d.x.max() == 1.0


def test_event_list_form_is_the_same_spikes():
    from refsnn.events import to_dense

    d = datasets.randman(seed=0, **SMALL)
    ev = d.events()
    assert ev.val.size == len(d) * d.n_inputs
    np.testing.assert_array_equal(to_dense(ev), d.x)


def test_batches_cover_the_split_once_in_seeded_order():
    d = datasets.randman(seed=0, **SMALL).split("train")
    seen = [y for _, y in d.batches(10, rng=5)]
    assert [len(y) for y in seen] == [10] * 9 + [6]
    order = np.random.default_rng(5).permutation(len(d))
    np.testing.assert_array_equal(np.concatenate(seen), d.y[order])
    np.testing.assert_array_equal(np.concatenate([y for _, y in d.batches(10, 0, False)]), d.y)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n_classes=1), ValueError, "n_classes"),
    (dict(n_inputs=0), ValueError, "n_inputs"),
    (dict(dim=1.0), TypeError, "dim"),
    (dict(alpha=0.0), ValueError, "alpha"),
    (dict(samples_per_class=5), ValueError, "samples_per_class"),
    (dict(spike_window=0.2), ValueError, "spike_window"),
    (dict(dt=-1e-3), ValueError, "dt"),
    (dict(spectrum_kind="pink"), ValueError, "spectrum"),
    (dict(seed=None), TypeError, "seed"),
    (dict(seed="a"), TypeError, "seed"),
    (dict(progress="yes"), TypeError, "progress"),
])
def test_rejects_bad_arguments(kwargs, exc, match):
    args = dict(SMALL)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        datasets.randman(**args)


def test_dataset_rejects_inconsistent_fields():
    x = np.zeros((3, 5, 2))
    with pytest.raises(TypeError, match="y must be integer"):
        datasets.SpikeDataset(x=x, y=[0.0, 1.0, 0.5], dt=1e-3)
    with pytest.raises(ValueError, match="binary"):
        datasets.SpikeDataset(x=x + 0.5, y=[0, 1, 0], dt=1e-3)
    with pytest.raises(ValueError, match="y must have shape"):
        datasets.SpikeDataset(x=x, y=[0, 1], dt=1e-3)
    with pytest.raises(ValueError, match="times must have 3 rows"):
        datasets.SpikeDataset(x=x, y=[0, 1, 0], dt=1e-3, times=np.zeros((2, 2)))
    with pytest.raises(ValueError, match="split 'train'"):
        datasets.SpikeDataset(x=x, y=[0, 1, 0], dt=1e-3, splits={"train": [0, 3]})
    with pytest.raises(ValueError, match="y must lie in"):
        datasets.SpikeDataset(x=x, y=[0, 1, 2], dt=1e-3, classes=("a", "b"))


def test_split_names_are_checked():
    d = datasets.randman(seed=0, **SMALL)
    with pytest.raises(ValueError, match="split must be one of"):
        d.split("validation")


def test_train_consumes_a_dataset_as_it_does_arrays():
    """train(net, d) and train(net, d.x, d.y) are the same run (same batches, same weights)."""
    d = datasets.randman(seed=0, **SMALL)
    params = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    nets = [Network.init([6, 8, 3], params, rng=2) for _ in range(2)]
    tr, va = d.split("train"), d.split("valid")
    h1 = train(nets[0], tr, epochs=2, batch_size=16, rng=4, progress=False, x_val=va)
    h2 = train(nets[1], tr.x, tr.y, epochs=2, batch_size=16, rng=4, progress=False,
               x_val=va.x, labels_val=va.y)
    assert h1.loss == h2.loss and h1.val_accuracy == h2.val_accuracy
    for (_, a), (_, b) in zip(nets[0].parameters(), nets[1].parameters()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="labels must be None"):
        train(nets[0], tr, tr.y, progress=False)
    assert evaluate(nets[0], va) == evaluate(nets[0], va.x, va.y)


@pytest.mark.slow
def test_hidden_layer_network_learns_the_default_randman(default):
    """Issue 10's check: a 20-100-10 LIF network trained with refsnn.train on the paper's
    default set reaches >= 85% test accuracy (4 epochs here; the hyperparameters were the
    first ones tried: gain 7, Adam 2e-3, batch 128)."""
    params = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([20, 100, 10], params, recurrent=False, rng=1, gain=7.0)
    chance = evaluate(net, default.split("test"))[1]
    train(net, default.split("train"), optimizer=Adam(lr=2e-3), epochs=4, batch_size=128,
          rng=0, progress=False)
    _, acc = evaluate(net, default.split("test"))
    assert chance < 0.3 and acc >= 0.85, (chance, acc)

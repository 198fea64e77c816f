"""scikit-learn's 8x8 digits as spike trains (refsnn.datasets.images)."""
import sys

import numpy as np
import pytest

from refsnn import datasets
from refsnn.datasets.images import INSTALL_HINT, load_images
from refsnn.encoding import latency_encode, times_to_spikes

STEPS = 12


@pytest.fixture(scope="module")
def latency():
    return datasets.digits("latency", steps=STEPS, seed=0)


@pytest.fixture(scope="module")
def rate():
    return datasets.digits("rate", steps=STEPS, seed=0, max_prob=0.5)


def test_digits_shapes_labels_source(latency, rate):
    images, labels = load_images()
    assert images.shape == (1797, 8, 8) and labels.shape == (1797,)
    for d in (latency, rate):
        assert d.x.shape == (1797, STEPS, 64) and np.all((d.x == 0) | (d.x == 1))
        np.testing.assert_array_equal(d.y, labels)
        assert d.classes == tuple("0123456789") and d.dt == 1e-3 and d.name == "digits"
        np.testing.assert_array_equal(d.source, images.reshape(1797, 64) / 16)
        assert d.source.min() == 0.0 and d.source.max() == 1.0
        np.testing.assert_array_equal(d.source * 16, np.rint(d.source * 16))
    assert latency.params == dict(encoding="latency", steps=STEPS, dt=1e-3, seed=0,
                                  threshold=0.01, linear=False, ref_value=1 / 16)
    assert rate.params == dict(encoding="rate", steps=STEPS, dt=1e-3, seed=0, max_prob=0.5)


def test_digits_splits_stratified_seeded_shared(latency, rate):
    n = len(latency)
    parts = [latency.splits[k] for k in ("train", "valid", "test")]
    np.testing.assert_array_equal(np.sort(np.concatenate(parts)), np.arange(n))   # a partition
    counts = np.bincount(latency.y, minlength=10)
    for idx, frac in zip(parts, (0.8, 0.1, 0.1)):
        per_class = np.bincount(latency.y[idx], minlength=10)
        assert np.all(np.abs(per_class - frac * counts) <= 1), per_class
    for k in latency.splits:                    # splits drawn first: shared by both codes
        np.testing.assert_array_equal(latency.splits[k], rate.splits[k])
    other = datasets.digits("latency", steps=2, seed=1)
    assert not np.array_equal(other.splits["test"], latency.splits["test"])
    np.testing.assert_array_equal(datasets.digits("latency", steps=2, seed=0).splits["test"],
                                  latency.splits["test"])


def test_digits_latency_is_the_normalised_latency_code(latency):
    v = latency.source
    np.testing.assert_array_equal(
        latency.x, latency_encode(v, STEPS, threshold=0.01, normalize=True, ref_value=1 / 16))
    np.testing.assert_array_equal(latency.x, times_to_spikes(latency.times, STEPS, 1e-3))
    first = np.where(latency.x.any(axis=1), latency.x.argmax(axis=1), -1)
    assert np.all(latency.x.sum(axis=1) == (v > 0))          # one spike per non-blank pixel
    assert np.all(first[v == 1 / 16] == STEPS - 1)           # the faintest: the last step
    # a brighter pixel never spikes later; the brightest (t = 0.634 steps here) in step 0
    for k in range(1, 16):
        assert first[v == (k + 1) / 16].max() <= first[v == k / 16].min()
    assert np.all(first[v == 1.0] == 0)


def test_digits_rate_matches_probability(rate):
    v = rate.source
    counts = rate.x.sum(axis=1)                                # (n, 64)
    assert np.all(counts[v == 0] == 0)
    for k in (1, 4, 8, 12, 16):
        m = v == k / 16
        p, n = 0.5 * k / 16, m.sum() * STEPS
        emp = counts[m].sum() / n
        assert abs(emp - p) <= 4 * np.sqrt(p * (1 - p) / n) + 1e-12, (k, emp, p)
    again = datasets.digits("rate", steps=STEPS, seed=0, max_prob=0.5)
    np.testing.assert_array_equal(again.x, rate.x)
    assert not np.array_equal(datasets.digits("rate", steps=STEPS, seed=2, max_prob=0.5).x,
                              rate.x)


def test_digits_without_scikit_learn_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "sklearn", None)
    monkeypatch.setitem(sys.modules, "sklearn.datasets", None)
    with pytest.raises(ImportError, match='pip install "refsnn\\[data\\]"'):
        datasets.digits(steps=5)
    assert INSTALL_HINT == 'pip install "refsnn[data]"'


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(encoding="delta"), ValueError, "encoding"),
    (dict(steps=1), ValueError, "steps"),
    (dict(steps=5.0), TypeError, "steps"),
    (dict(dt=0.0), ValueError, "dt"),
    (dict(seed=None), TypeError, "seed"),
    (dict(seed="0"), TypeError, "seed"),
    (dict(encoding="rate", max_prob=0.0), ValueError, "max_prob"),
    (dict(threshold=0.1), ValueError, "ref_value"),            # 1/16 would never spike
    (dict(threshold=1.5), ValueError, "threshold"),
    (dict(linear=1), TypeError, "linear"),
    (dict(ref_value=0.0), ValueError, "ref_value"),
])
def test_digits_rejects_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        datasets.digits(**kwargs)

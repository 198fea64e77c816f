"""The two-groups task (refsnn.datasets); the encoders are tested in test_encoding.py."""
import numpy as np
import pytest

from refsnn.datasets import two_groups


def _binary(a):
    return a.dtype == np.float64 and np.all((a == 0.0) | (a == 1.0))


# ---------------------------------------------------------------------- two groups
def test_two_groups_shapes_balance_and_determinism():
    x, y = two_groups(101, T=30, n_in=8, rng=3)
    assert x.shape == (101, 30, 8) and _binary(x)
    assert y.shape == (101,) and y.dtype == np.int64 and set(np.unique(y)) == {0, 1}
    assert np.sum(y == 0) == 51 and np.sum(y == 1) == 50
    assert 0 < np.sum(np.abs(np.diff(y))) < 100       # shuffled, not alternating or sorted
    x2, y2 = two_groups(101, T=30, n_in=8, rng=3)
    np.testing.assert_array_equal(x, x2)
    np.testing.assert_array_equal(y, y2)
    x3, _ = two_groups(101, T=30, n_in=8, rng=np.random.default_rng(4))
    assert not np.array_equal(x, x3)


def test_two_groups_high_group_fires_more_at_the_requested_rates():
    n, T, n_in, lo, hi = 400, 50, 20, 0.03, 0.07
    x, y = two_groups(n, T=T, n_in=n_in, rate_low=lo, rate_high=hi, rng=0)
    half = n_in // 2
    count0 = x[:, :, :half].sum(axis=(1, 2))
    count1 = x[:, :, half:].sum(axis=(1, 2))
    high = np.where(y == 0, count0, count1)
    low = np.where(y == 0, count1, count0)
    # per-class, per-group empirical rates within 4 standard errors of the requested ones
    m = n * T * half / 2  # Bernoulli draws per (class, group) cell
    for c in (0, 1):
        for g, rate in ((c, hi), (1 - c, lo)):
            emp = x[y == c][:, :, g * half:(g + 1) * half].mean()
            assert abs(emp - rate) < 4 * np.sqrt(rate * (1 - rate) / m), (c, g, emp, rate)
    # the high group fires more in nearly every sample (ideal observer: 99.8%)
    assert np.mean(high > low) > 0.97


def test_two_groups_rates_are_per_step_probabilities():
    x, y = two_groups(4, T=10, n_in=4, rate_low=0.0, rate_high=1.0, rng=0)
    for b in range(4):
        c = y[b]
        assert np.all(x[b, :, 2 * c:2 * c + 2] == 1.0)
        assert np.all(x[b, :, 2 * (1 - c):2 * (1 - c) + 2] == 0.0)


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(n_samples=0), ValueError, "n_samples"),
    (dict(n_samples=3.0), TypeError, "n_samples"),
    (dict(n_samples=4, T=0), ValueError, "T"),
    (dict(n_samples=4, n_in=7), ValueError, "n_in"),
    (dict(n_samples=4, n_in=0), ValueError, "n_in"),
    (dict(n_samples=4, rate_low=0.2, rate_high=0.1), ValueError, "rate_low"),
    (dict(n_samples=4, rate_low=0.1, rate_high=0.1), ValueError, "rate_low"),
    (dict(n_samples=4, rate_high=1.5), ValueError, "rate_high"),
    (dict(n_samples=4, rate_low=-0.1), ValueError, "rate_low"),
    (dict(n_samples=4, rate_low=np.nan), ValueError, "rate_low"),
    (dict(n_samples=4, rng=None), TypeError, "rng"),
    (dict(n_samples=4, rng=1.5), TypeError, "rng"),
])
def test_two_groups_rejects_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        two_groups(**kwargs)

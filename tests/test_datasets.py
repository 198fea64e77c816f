"""Encoders and the two-groups task (refsnn.datasets)."""
import numpy as np
import pytest

from refsnn.datasets import two_groups
from refsnn.encoding import latency_encode, latency_times, rate_encode


def _binary(a):
    return a.dtype == np.float64 and np.all((a == 0.0) | (a == 1.0))


# ---------------------------------------------------------------------- rate code
def test_rate_encode_shape_and_values():
    v = np.array([[0.0, 0.5, 1.0], [0.2, 0.3, 0.9]])
    s = rate_encode(v, 40, rng=0)
    assert s.shape == (2, 40, 3) and _binary(s) and s.flags.c_contiguous
    assert np.all(s[0, :, 0] == 0.0)              # value 0 never fires
    assert np.all(s[0, :, 2] == 1.0)              # value 1 with max_prob 1 always fires
    np.testing.assert_array_equal(s, rate_encode(v, 40, rng=0))  # seeded
    assert not np.array_equal(s, rate_encode(v, 40, rng=1))
    g = np.random.default_rng(5)
    assert rate_encode(v, 40, rng=g).shape == (2, 40, 3)


@pytest.mark.parametrize("max_prob", [1.0, 0.3])
def test_rate_encode_empirical_rate(max_prob):
    values = np.linspace(0.0, 1.0, 11)[None, :]
    T = 20000
    s = rate_encode(values, T, rng=123, max_prob=max_prob)
    p = max_prob * values[0]
    emp = s[0].mean(axis=0)
    se = np.sqrt(p * (1 - p) / T)
    # within 4 standard errors (exact for p in {0, 1}); a miscalibrated encoder, e.g. a
    # rate off by two percentage points, is ~5.7 standard errors away at p = 0.5
    assert np.all(np.abs(emp - p) <= 4 * se + 1e-12), (emp, p)


def test_rate_encode_is_independent_over_time():
    s = rate_encode(np.full((1, 1), 0.5), 20000, rng=7)[0, :, 0]
    c = np.corrcoef(s[:-1], s[1:])[0, 1]
    assert abs(c) < 4 / np.sqrt(len(s))


@pytest.mark.parametrize("call, exc, match", [
    (lambda: rate_encode(np.ones(3), 10, 0), ValueError, "values"),          # 1-D
    (lambda: rate_encode(np.full((1, 2), 1.5), 10, 0), ValueError, r"\[0, 1\]"),
    (lambda: rate_encode(np.full((1, 2), -0.1), 10, 0), ValueError, r"\[0, 1\]"),
    (lambda: rate_encode(np.full((1, 2), np.nan), 10, 0), ValueError, "NaN"),
    (lambda: rate_encode(np.array([["a", "b"]]), 10, 0), TypeError, "values"),
    (lambda: rate_encode(np.ones((1, 2)), 0, 0), ValueError, "T"),
    (lambda: rate_encode(np.ones((1, 2)), 2.5, 0), TypeError, "T"),
    (lambda: rate_encode(np.ones((1, 2)), 10, 0, max_prob=0.0), ValueError, "max_prob"),
    (lambda: rate_encode(np.ones((1, 2)), 10, 0, max_prob=1.2), ValueError, "max_prob"),
    (lambda: rate_encode(np.ones((1, 2)), 10, None), TypeError, "rng"),
    (lambda: rate_encode(np.ones((1, 2)), 10, "seed"), TypeError, "rng"),
])
def test_rate_encode_rejects_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# ---------------------------------------------------------------------- latency code
def test_latency_encode_one_spike_per_active_input_and_monotone():
    values = np.linspace(0.0, 1.0, 201)[None, :]
    T, tau, th = 100, 8.0, 0.05
    s = latency_encode(values, T, tau=tau, threshold=th)
    assert s.shape == (1, T, 201) and _binary(s)
    t = latency_times(values, tau=tau, threshold=th)[0]
    active = np.isfinite(t) & (np.rint(np.minimum(t, T)) < T)
    counts = s[0].sum(axis=0)
    np.testing.assert_array_equal(counts[active], 1.0)
    np.testing.assert_array_equal(counts[~active], 0.0)
    assert np.all(~active[values[0] <= th])       # at or below threshold: no spike
    assert active.sum() > 150                      # most inputs do spike here
    steps = s[0].argmax(axis=0)[active]
    v_act = values[0][active]
    assert np.all(np.diff(steps) <= 0)             # larger value -> no later spike
    assert steps[0] > steps[-1] + 10               # and the code actually spans time
    # continuous times decrease strictly and follow Eq. 25
    assert np.all(np.diff(t[np.isfinite(t)]) < 0)
    np.testing.assert_allclose(t[active], tau * np.log(v_act / (v_act - th)), rtol=1e-12)
    np.testing.assert_array_equal(steps, np.rint(t[active]))


def test_latency_encode_documented_examples_and_late_spikes():
    v = np.array([[1.0, 0.1, 0.02, 0.011, 0.01, 0.0]])
    s = latency_encode(v, 50)  # defaults tau=5, threshold=0.01
    steps = [int(np.argmax(s[0, :, i])) if s[0, :, i].any() else None for i in range(6)]
    assert steps == [0, 1, 3, 12, None, None]
    # a spike that would land at or after T is dropped
    s = latency_encode(v, 12)
    assert s[0, :, 3].sum() == 0 and s[0, :, 2].sum() == 1


@pytest.mark.parametrize("kwargs, exc, match", [
    (dict(values=np.ones((1, 2)), T=0), ValueError, "T"),
    (dict(values=np.ones((1, 2)), T=5, tau=0.0), ValueError, "tau"),
    (dict(values=np.ones((1, 2)), T=5, tau=np.inf), ValueError, "tau"),
    (dict(values=np.ones((1, 2)), T=5, threshold=0.0), ValueError, "threshold"),
    (dict(values=np.ones((1, 2)), T=5, threshold=1.0), ValueError, "threshold"),
    (dict(values=np.full((1, 2), 2.0), T=5), ValueError, "values"),
    (dict(values=np.ones((2, 2, 2)), T=5), ValueError, "values"),
])
def test_latency_encode_rejects_bad_input(kwargs, exc, match):
    with pytest.raises(exc, match=match):
        latency_encode(**kwargs)


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

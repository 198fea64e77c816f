"""The Yin-Yang task (refsnn.datasets.yinyang): published geometry, areas, balance, splits."""
import numpy as np
import pytest

from refsnn.datasets import SpikeDataset, yin_yang, yin_yang_spikes
from refsnn.datasets.yinyang import AREAS, CLASSES, OUTSIDE, R_BIG, R_SMALL, yin_yang_class

# Published samples with their published labels: (x, y, label), copied with full float64
# precision from publication_data/{train,validation,test}_samples.npy and *_labels.npy of
# lkriener/yin_yang_data_set (commit e6eef96; the data of Goeltz, Kriener et al. 2021). The first
# 12 are the published points nearest to a dot's rim (within 1.3e-4), the next 12 the nearest
# to the S-curve between labels 0 and 1 (within 9.7e-4), the last 12 four random points per
# class. (All 7000 published points agree with yin_yang_class; checked once against the files,
# not here, so that the test does not depend on them.) A rule with the dot radius or the
# S-curve radius off by 1% misclassifies 3 to 9 of these, the mirror image x -> 1 - x 17.
PUBLISHED = [
    (0.6729823072736482, 0.4362087642226231, 0),  # train 1235
    (0.7827099270346383, 0.594480096346186, 2),  # train 3063
    (0.16194175467117866, 0.45257004528301914, 1),  # train 2961
    (0.34422822075380544, 0.5333884885910126, 2),  # train 4653
    (0.7741346587074271, 0.4029997590536022, 2),  # train 1111
    (0.8150271042508549, 0.575910758368637, 2),  # train 1246
    (0.16786776595535335, 0.5569374865859236, 2),  # test 970
    (0.27109625376406576, 0.5976682827027031, 2),  # train 183
    (0.2692370243740244, 0.5980491353011338, 2),  # test 803
    (0.7585337554774303, 0.5995374110403011, 2),  # train 4107
    (0.3288612924425247, 0.4387017370344164, 2),  # train 2599
    (0.1997418089988966, 0.4133971897670152, 1),  # train 4099
    (0.9724488341223395, 0.6141320277331614, 1),  # train 4584
    (0.07093617944062047, 0.3256828315410176, 1),  # train 2929
    (0.1415427075977641, 0.2745204912790744, 0),  # train 3183
    (0.6305240432786318, 0.7192090877570364, 0),  # train 2645
    (0.30481314464513243, 0.2564875232071543, 1),  # train 642
    (0.2135216284126591, 0.25327902343679753, 1),  # test 972
    (0.06755865131734506, 0.32996495938355574, 1),  # train 2072
    (0.04382537254116059, 0.35980784616451966, 1),  # train 3554
    (0.32616357824831776, 0.2626890675262227, 1),  # train 3059
    (0.4346142504114111, 0.33021722104442464, 0),  # train 3826
    (0.9901696133010136, 0.5662714006063478, 0),  # train 4544
    (0.0838915784701586, 0.3144530904220382, 1),  # train 2936
    (0.4110375660878487, 0.05703440985370578, 0),  # validation 293
    (0.5783489419914388, 0.41308998269092045, 0),  # train 3586
    (0.8019366609685146, 0.7292197517797293, 0),  # test 669
    (0.5483467350630002, 0.466950857947249, 0),  # train 3340
    (0.05456957783475391, 0.4020408189137814, 1),  # train 2189
    (0.40338647506003933, 0.689269672667145, 1),  # test 15
    (0.8816017642428933, 0.7958459990659489, 1),  # test 597
    (0.5571099121041476, 0.6820072712381984, 1),  # train 1782
    (0.18402048314481134, 0.4521925799452975, 2),  # train 4546
    (0.7624560991740125, 0.4311126218030352, 2),  # train 2887
    (0.7762586892496911, 0.4295718643596934, 2),  # train 3906
    (0.2522713787144927, 0.4592112786357787, 2),  # train 1732
]


def _binomial_ok(count, n, p, k=5.0):
    """``count`` successes of ``n`` within ``k`` standard deviations of ``n p``."""
    return abs(count - n * p) <= k * np.sqrt(n * p * (1 - p))


def _uniform_in_disc(n, seed):
    """``n`` points uniform in the disc (by rejection from the unit square)."""
    rng = np.random.default_rng(seed)
    p = rng.random((int(1.4 * n) + 100, 2))
    p = p[np.hypot(p[:, 0] - 0.5, p[:, 1] - 0.5) <= 0.5][:n]
    assert len(p) == n
    return p[:, 0], p[:, 1]


# ---------------------------------------------------------------------- geometry
def test_published_points_get_their_published_labels():
    pts = np.array(PUBLISHED)
    assert pts.shape == (36, 3) and set(pts[:, 2]) == {0, 1, 2}
    label = yin_yang_class(pts[:, 0], pts[:, 1])
    assert label.dtype == np.int64
    np.testing.assert_array_equal(label, pts[:, 2].astype(np.int64))


def test_class_areas_match_monte_carlo_fractions():
    # exact areas: dots pi r^2 each, labels 0 and 1 half of the rest each
    disc = np.pi * R_BIG ** 2
    assert np.isclose(AREAS[2], 2 * np.pi * R_SMALL ** 2)
    assert np.isclose(AREAS[0], AREAS[1]) and np.isclose(sum(AREAS), disc)
    n = 200_000
    x, y = _uniform_in_disc(n, seed=11)
    label = yin_yang_class(x, y)
    assert np.all(label != OUTSIDE)
    counts = np.bincount(label, minlength=3)
    for k in range(3):                 # a dot radius 5% off is ~9 standard deviations away
        assert _binomial_ok(counts[k], n, AREAS[k] / disc), (k, counts[k] / n, AREAS[k] / disc)
    # each dot alone: pi r^2
    left = np.hypot(x - 0.25, y - 0.5) < R_SMALL
    assert _binomial_ok(np.sum(left & (label == 2)), n, np.pi * R_SMALL ** 2 / disc)
    assert np.all(label[left] == 2)


def test_point_reflection_swaps_yin_and_yang_and_keeps_dots():
    x, y = _uniform_in_disc(50_000, seed=12)
    a, b = yin_yang_class(x, y), yin_yang_class(1.0 - x, 1.0 - y)
    swap = np.array([1, 0, 2])
    np.testing.assert_array_equal(b, swap[a])
    assert np.all(np.bincount(a, minlength=3) > 1000)   # every class is exercised


def test_outside_the_disc_and_landmarks():
    # centre of each dot, points of each class, and outside
    x = np.array([0.25, 0.75, 0.5, 0.5, 0.05, 0.95, 0.0, 1.0, 0.02])
    y = np.array([0.5, 0.5, 0.9, 0.1, 0.5, 0.5, 0.0, 1.0, 0.98])
    np.testing.assert_array_equal(yin_yang_class(x, y), [2, 2, 1, 0, 1, 0, -1, -1, -1])
    assert yin_yang_class(0.5, 0.9) == 1 and yin_yang_class([[0.5]], [[0.9]]).shape == (1, 1)
    assert CLASSES == ("yin", "yang", "dot")


# ---------------------------------------------------------------------- sampling
def test_yin_yang_features_labels_and_balance():
    n = 6000
    X, y = yin_yang(n, seed=3)
    assert X.shape == (n, 4) and X.dtype == np.float64 and y.shape == (n,) and y.dtype == np.int64
    np.testing.assert_array_equal(X[:, 2], 1.0 - X[:, 0])
    np.testing.assert_array_equal(X[:, 3], 1.0 - X[:, 1])
    np.testing.assert_array_equal(yin_yang_class(X[:, 0], X[:, 1]), y)
    counts = np.bincount(y, minlength=3)           # multinomial(n, 1/3 each)
    assert all(_binomial_ok(c, n, 1 / 3, k=4) for c in counts), counts
    # within a class the points are uniform over its region: the share of label-0 points in
    # the right half-size disc is its area (pi (R/2)^2 - pi r^2) over the class's area
    x0, y0 = X[y == 0, 0], X[y == 0, 1]
    inner = np.hypot(x0 - 0.75, y0 - 0.5) <= 0.25
    p = (np.pi * 0.25 ** 2 - np.pi * R_SMALL ** 2) / AREAS[0]
    assert _binomial_ok(inner.sum(), inner.size, p, k=4), (inner.mean(), p)
    # and the dots are split evenly between the two eyes
    left = X[y == 2, 0] < 0.5
    assert _binomial_ok(left.sum(), left.size, 0.5, k=4)


def test_yin_yang_class_centroids_are_the_exact_ones():
    # label 1 = upper half-disc - upper half of the right half-size disc + lower half of the
    # left one - the left dot; centroids of half-discs of radius a: 4 a / (3 pi) off the cut
    R, h, r = R_BIG, R_BIG / 2, R_SMALL
    area = np.array([np.pi * R ** 2 / 2, -np.pi * h ** 2 / 2, np.pi * h ** 2 / 2, -np.pi * r ** 2])
    cx = np.array([0.5, 0.75, 0.25, 0.25])
    cy = 0.5 + np.array([4 * R, 4 * h, -4 * h, 0.0]) / (3 * np.pi)
    assert np.isclose(area.sum(), AREAS[1])
    c1 = np.array([area @ cx, area @ cy]) / area.sum()        # (0.38587, 0.67299)
    exact = {0: 1.0 - c1, 1: c1, 2: np.array([0.5, 0.5])}     # label 0: the reflection
    X, y = yin_yang(100_000, seed=4)
    for k, c in exact.items():
        p = X[y == k, :2]
        se = p.std(axis=0) / np.sqrt(len(p))
        assert np.all(np.abs(p.mean(axis=0) - c) < 5 * se), (k, p.mean(axis=0), c, se)


def test_yin_yang_is_deterministic_by_seed():
    X1, y1 = yin_yang(500, seed=7)
    X2, y2 = yin_yang(500, seed=7)
    np.testing.assert_array_equal(X1, X2)
    np.testing.assert_array_equal(y1, y2)
    X3, _ = yin_yang(500, seed=8)
    assert not np.any(np.all(X1 == X3, axis=1))
    X4, y4 = yin_yang(500, seed=np.random.default_rng(7))
    np.testing.assert_array_equal(X1, X4)
    np.testing.assert_array_equal(y1, y4)


# ---------------------------------------------------------------------- spike times
def test_yin_yang_spikes_times_grid_and_splits():
    t_early, t_late, dt = 1e-3, 9e-3, 2e-4
    d = yin_yang_spikes(300, 100, 50, seed=5, t_early=t_early, t_late=t_late, steps=60, dt=dt)
    assert isinstance(d, SpikeDataset) and len(d) == 450 and d.n_inputs == 4 and d.steps == 60
    assert d.classes == CLASSES and d.dt == dt
    np.testing.assert_allclose(d.times, t_early + d.source * (t_late - t_early), rtol=0,
                               atol=1e-15)
    assert np.all((d.times >= t_early) & (d.times <= t_late))
    np.testing.assert_array_equal(yin_yang_class(d.source[:, 0], d.source[:, 1]), d.y)
    # one spike per input, in step floor(t / dt)
    assert np.all(d.x.sum(axis=1) == 1.0)
    np.testing.assert_array_equal(d.x.argmax(axis=1), np.floor(d.times / dt).astype(int))
    # splits: consecutive, of the requested sizes, sharing no sample
    assert {k: len(v) for k, v in d.splits.items()} == {"train": 300, "valid": 100, "test": 50}
    np.testing.assert_array_equal(np.concatenate(list(d.splits.values())), np.arange(450))
    rows = [set(map(tuple, d.source[v])) for v in d.splits.values()]
    assert len(rows[0] | rows[1] | rows[2]) == 450
    # the train set does not depend on the other sets' sizes; the seed decides everything
    d2 = yin_yang_spikes(300, 20, 10, seed=5, t_early=t_early, t_late=t_late, steps=60, dt=dt)
    np.testing.assert_array_equal(d2.split("train").source, d.split("train").source)
    assert not np.array_equal(d2.split("valid").source, d.split("valid").source[:20])
    d3 = yin_yang_spikes(300, 100, 50, seed=6, t_early=t_early, t_late=t_late, steps=60, dt=dt)
    assert not np.array_equal(d3.source, d.source)
    # a Generator seed: its three children, the same as those of the int seed
    d4 = yin_yang_spikes(300, 100, 50, seed=np.random.default_rng(5), t_early=t_early,
                         t_late=t_late, steps=60, dt=dt)
    np.testing.assert_array_equal(d4.source, d.source)


def test_yin_yang_spikes_bias_and_defaults():
    d = yin_yang_spikes(30, 10, 10, seed=0, t_bias=4.5e-3)
    assert d.n_inputs == 5 and np.all(d.times[:, 4] == 4.5e-3)
    assert np.all(d.x[:, 45, 4] == 1.0) and np.all(d.x[:, :, 4].sum(axis=1) == 1.0)
    np.testing.assert_array_equal(d.times[:, :4], yin_yang_spikes(30, 10, 10, seed=0).times)
    # defaults: 0.15 and 2 tau_s with tau_s = 5 ms, 200 steps of 0.1 ms
    assert d.steps == 200 and d.dt == 1e-4 and d.params["tau_s"] == 5e-3
    assert d.times[:, :4].min() >= 0.75e-3 and d.times[:, :4].max() <= 10e-3


@pytest.mark.parametrize("call, exc, match", [
    (lambda: yin_yang(0), ValueError, "n"),
    (lambda: yin_yang(10.0), TypeError, "n"),
    (lambda: yin_yang(10, seed=None), TypeError, "seed"),
    (lambda: yin_yang(10, seed="a"), TypeError, "seed"),
    (lambda: yin_yang_class([0.5, np.nan], [0.5, 0.5]), ValueError, "x"),
    (lambda: yin_yang_class([0.5], ["a"]), TypeError, "y"),
    (lambda: yin_yang_class([0.5, 0.2], [0.5, 0.2, 0.1]), ValueError, "same shape"),
    (lambda: yin_yang_spikes(0, 1, 1), ValueError, "n_train"),
    (lambda: yin_yang_spikes(5, 0, 1), ValueError, "n_valid"),
    (lambda: yin_yang_spikes(5, 1, 1.5), TypeError, "n_test"),
    (lambda: yin_yang_spikes(5, 1, 1, t_early=-1e-3), ValueError, "t_early"),
    (lambda: yin_yang_spikes(5, 1, 1, t_early=5e-3, t_late=5e-3), ValueError, "t_early"),
    (lambda: yin_yang_spikes(5, 1, 1, t_late=np.inf), ValueError, "t_late"),
    (lambda: yin_yang_spikes(5, 1, 1, t_bias=-1.0), ValueError, "t_bias"),
    (lambda: yin_yang_spikes(5, 1, 1, t_bias=0.05), ValueError, "t_bias"),
    (lambda: yin_yang_spikes(5, 1, 1, steps=100, dt=1e-4), ValueError, "steps \\* dt"),
    (lambda: yin_yang_spikes(5, 1, 1, dt=0.0), ValueError, "dt"),
    (lambda: yin_yang_spikes(5, 1, 1, steps=0), ValueError, "steps"),
    (lambda: yin_yang_spikes(5, 1, 1, seed=None), TypeError, "seed"),
])
def test_yin_yang_rejects_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()

"""The temporal XOR and the spike-time XOR of SpikeProp (refsnn.datasets.xor)."""
from fractions import Fraction

import numpy as np
import pytest
from scipy.optimize import linprog

from refsnn.datasets import SpikeDataset, spikeprop_xor, temporal_xor
from refsnn.datasets.xor import CLASSES, PATTERNS

MS = 1e-3


def _exact_step(t, dt):
    """floor(t / dt) for decimal ``t`` and ``dt``, computed exactly (as written in decimal)."""
    return int(Fraction(repr(t)) / Fraction(repr(dt)))


def _spike_steps(d):
    """The step of each input's single spike, ``(n, n_in)``; asserts one spike each."""
    assert np.all(d.x.sum(axis=1) == 1.0)
    return d.x.argmax(axis=1)


def _separable(times, labels):
    """Whether some affine ``w . t + b`` has sign ``2 y - 1`` on every row (LP feasibility)."""
    s = 2.0 * np.asarray(labels) - 1.0
    A = np.column_stack([times, np.ones(len(times))])
    # s_i (w . t_i + b) >= 1  <=>  -s_i [t_i, 1] . [w, b] <= -1; zero objective: feasibility only
    res = linprog(np.zeros(A.shape[1]), A_ub=-s[:, None] * A, b_ub=-np.ones(len(s)),
                  bounds=[(None, None)] * A.shape[1], method="highs")
    assert res.status in (0, 2), res.message          # 0 feasible, 2 infeasible
    return res.status == 0


# ---------------------------------------------------------------------- truth tables
def test_temporal_xor_truth_table():
    e, l = 1 * MS, 7 * MS
    d = temporal_xor(t_early=e, t_late=l)
    assert isinstance(d, SpikeDataset) and len(d) == 4 and d.n_inputs == 2
    np.testing.assert_array_equal(d.times, [[e, e], [e, l], [l, e], [l, l]])
    np.testing.assert_array_equal(d.y, [0, 1, 1, 0])          # 1: different timing
    np.testing.assert_array_equal(d.source, PATTERNS)
    assert d.classes == CLASSES == ("same", "different") and d.targets is None
    assert list(d.splits) == ["train"] and np.array_equal(d.splits["train"], np.arange(4))
    b = temporal_xor(t_early=e, t_late=l, t_bias=3 * MS)
    assert b.n_inputs == 3 and np.all(b.times[:, 2] == 3 * MS)
    np.testing.assert_array_equal(b.times[:, :2], d.times)


def test_temporal_xor_defaults():
    d = temporal_xor()                   # 0.15 and 2 tau_s with tau_s = 5 ms
    np.testing.assert_array_equal(np.unique(d.times), [0.75 * MS, 10 * MS])
    np.testing.assert_allclose(d.times / d.params["tau_s"], [[0.15, 0.15], [0.15, 2.0],
                                                             [2.0, 0.15], [2.0, 2.0]])
    assert d.steps == 200 and d.dt == 1e-4


def test_spikeprop_xor_truth_table():
    d = spikeprop_xor()
    assert d.n_inputs == 3 and len(d) == 4
    # Bohte et al. 2002: (0, 0) -> 16 ms, (0, 6) -> 10 ms, (6, 0) -> 10 ms, (6, 6) -> 16 ms;
    # the third input (bias) always at 0 ms
    table = {(0.0, 0.0): 16.0, (0.0, 6.0): 10.0, (6.0, 0.0): 10.0, (6.0, 6.0): 16.0}
    assert {tuple(t[:2] / MS): tgt[0] / MS for t, tgt in zip(d.times, d.targets)} == table
    assert np.all(d.times[:, 2] == 0.0)
    assert d.targets.shape == (4, 1)
    np.testing.assert_array_equal(d.y, [0, 1, 1, 0])
    # the earlier target means "different"
    assert np.all((d.targets[:, 0] < 12 * MS) == (d.y == 1))


# ---------------------------------------------------------------------- the time grid
@pytest.mark.parametrize("dt", [1e-3, 5e-4, 3e-4, 1e-4, 7e-5, 1e-5])
def test_spikes_land_in_step_floor_t_over_dt(dt):
    steps = int(np.ceil(0.017 / dt)) + 1
    d = spikeprop_xor(steps=steps, dt=dt)
    assert d.x.shape == (4, steps, 3) and d.dt == dt
    k = _spike_steps(d)
    expected = [[_exact_step(t, dt) for t in row] for row in d.times.tolist()]
    np.testing.assert_array_equal(k, expected)
    e, l = 1.25e-3, 8.5e-3
    d = temporal_xor(t_early=e, t_late=l, t_bias=2e-3, steps=steps, dt=dt)
    expected = [[_exact_step(t, dt) for t in row] for row in d.times.tolist()]
    np.testing.assert_array_equal(_spike_steps(d), expected)
    assert len({_exact_step(e, dt), _exact_step(l, dt)}) == 2


def test_dt_must_separate_early_and_late():
    with pytest.raises(ValueError, match="dt .* too coarse"):
        spikeprop_xor(steps=3, dt=7e-3)          # 0 and 6 ms both in step 0
    with pytest.raises(ValueError, match="dt .* too coarse"):
        temporal_xor(t_early=1e-3, t_late=1.5e-3, steps=20, dt=1e-3)
    assert len(spikeprop_xor(steps=3, dt=6e-3)) == 4  # 6 ms starts step 1


# ---------------------------------------------------------------------- repetition
def test_repetition_to_n_samples_in_seeded_order():
    d = temporal_xor(n=10, seed=3)
    assert len(d) == 10 and d.x.shape[0] == 10
    pattern = d.source[:, 0] * 2 + d.source[:, 1]
    np.testing.assert_array_equal(np.bincount(pattern, minlength=4), [3, 3, 2, 2])
    one = temporal_xor()
    np.testing.assert_array_equal(d.times, one.times[pattern])   # rows follow their pattern
    np.testing.assert_array_equal(d.y, one.y[pattern])
    np.testing.assert_array_equal(d.x, one.x[pattern])
    np.testing.assert_array_equal(temporal_xor(n=10, seed=3).times, d.times)
    orders = {tuple(temporal_xor(n=40, seed=s).source[:, 0]) for s in range(4)}
    assert len(orders) == 4                                      # the seed sets the order
    s = spikeprop_xor(n=1000, seed=np.random.default_rng(0))
    assert np.all(np.bincount(s.y) == 500) and s.targets.shape == (1000, 1)
    assert 0 < np.sum(np.diff(s.y) != 0) < 999                   # shuffled
    for i in range(len(s)):                                      # target follows the pattern
        assert s.targets[i, 0] == (10 * MS if s.y[i] else 16 * MS)
    x_b, y_b = next(s.batches(32, rng=0))                        # mini-batches work
    assert x_b.shape == (32, 250, 3) and y_b.shape == (32,)


# ---------------------------------------------------------------------- not linearly separable
def test_xor_labels_are_not_linearly_separable_from_the_spike_times():
    for d in (temporal_xor(), temporal_xor(t_bias=4.5e-3), spikeprop_xor()):
        t = d.times / MS                           # milliseconds: O(1) numbers for the LP
        # the proof: both classes have the same centroid, so every affine function has the
        # same mean over both classes and cannot separate them
        np.testing.assert_allclose(t[d.y == 0].mean(axis=0), t[d.y == 1].mean(axis=0))
        assert not _separable(t, d.y)
        # the LP can say yes: AND (both late) and "input a late" are separable
        a_late = (d.source[:, 0] == 1).astype(int)
        assert _separable(t, d.source[:, 0] & d.source[:, 1])
        assert _separable(t, a_late)


# ---------------------------------------------------------------------- bad input
@pytest.mark.parametrize("call, exc, match", [
    (lambda: temporal_xor(t_early=-1e-3), ValueError, "t_early"),
    (lambda: temporal_xor(t_early=5e-3, t_late=2e-3), ValueError, "t_early"),
    (lambda: temporal_xor(t_late=np.nan), ValueError, "t_late"),
    (lambda: temporal_xor(t_late="late"), TypeError, "t_late"),
    (lambda: temporal_xor(t_bias=-1.0), ValueError, "t_bias"),
    (lambda: temporal_xor(t_bias=0.5), ValueError, "t_bias"),
    (lambda: temporal_xor(steps=50), ValueError, "steps \\* dt"),
    (lambda: temporal_xor(dt=-1e-4), ValueError, "dt"),
    (lambda: temporal_xor(steps=2.0), TypeError, "steps"),
    (lambda: temporal_xor(n=0), ValueError, "n"),
    (lambda: temporal_xor(n=4.0), TypeError, "n"),
    (lambda: temporal_xor(n=8, seed=None), TypeError, "seed"),
    (lambda: spikeprop_xor(n=8, seed="x"), TypeError, "seed"),
    (lambda: spikeprop_xor(steps=160, dt=1e-4), ValueError, "latest target"),
    (lambda: spikeprop_xor(dt=0.0), ValueError, "dt"),
    (lambda: spikeprop_xor(n=True), TypeError, "n"),
])
def test_xor_rejects_bad_input(call, exc, match):
    with pytest.raises(exc, match=match):
        call()

"""The sparse_activity experiment (Zenke & Vogels Fig. 9): the sweep, the sigmoid fit (it
recovers a known transition), and the claim's mechanism in small: the upper bound lowers the
hidden activity."""
import json

import numpy as np
import pytest

from refsnn.experiments import sparse_activity as sa


def test_the_sweep():
    for size, s in sa.SIZES.items():
        cs = sa.configs(size)
        json.dumps(cs)
        n_v = sum(len(s["lams"]) if v is not None else 1 for v in s["v_upper"])
        assert len(cs) == len(s["architectures"]) * n_v
        for c in cs:
            assert c["lower"] == sa.LOWER
            assert (c["upper"] is None) == (c["v_upper"] is None)
            if c["upper"] is not None:
                assert c["upper"]["v_upper"] == c["v_upper"] and c["upper"]["L"] == 1
        assert sum(c["upper"] is None for c in cs) == len(s["architectures"])
    assert len(sa.SIZES["small"]["seeds"]) >= 3
    with pytest.raises(ValueError, match="size"):
        sa.configs("huge")


def test_the_sigmoid_fit_recovers_a_known_transition():
    s = np.logspace(0, 3, 13)
    a = sa.sigmoid(np.log10(s), 0.1, 0.95, np.log10(36.0), 0.15)
    f = sa.fit_sigmoid(np.concatenate([s, [0.0]]), np.concatenate([a, [0.1]]))  # 0: left out
    assert f["n"] == 13
    assert f["s0"] == pytest.approx(36.0, rel=1e-5)
    assert f["low"] == pytest.approx(0.1, abs=1e-6) and f["high"] == pytest.approx(0.95,
                                                                                  abs=1e-6)
    assert f["width"] == pytest.approx(0.15, rel=1e-4) and f["rms"] < 1e-6
    assert f["s0_low"] <= f["s0"] <= f["s0_high"]
    assert sa.fit_sigmoid([1, 2, 3], [0.1, 0.5, 0.9]) is None       # too few points


def test_the_upper_bound_lowers_the_activity_and_runs_are_deterministic():
    base = dict(sa.configs("quick")[0], samples_per_class=10, epochs=3, lr=0.1)
    free = sa.run(base, 0)
    bound = dict(base, upper={"lam": 100.0, "v_upper": 0.01, "L": 1}, v_upper=0.01)
    held = sa.run(bound, 0)
    assert free["initial_hidden_spikes"] == held["initial_hidden_spikes"] > 10
    assert held["hidden_spikes"] < 0.5 * free["hidden_spikes"]
    again = sa.run(bound, 0)
    again.pop("seconds"), held.pop("seconds")
    assert json.dumps(again) == json.dumps(held)


def test_points_and_transitions_group_by_architecture():
    configs = sa.configs("quick") + [dict(sa.configs("quick")[0], hidden=(100, 100))]
    runs = [{"config": i % 3, "seed": i, "metrics": {"hidden_spikes": float(i + 1),
                                                     "test_accuracy": 0.1 * i}}
            for i in range(6)]
    pts = sa.points({"configs": configs, "runs": runs})
    assert sorted(pts) == [(1, False), (2, False)]
    assert list(pts[(2, False)][0]) == [3.0, 6.0]

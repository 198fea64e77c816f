"""The surrogate_shape_scale experiment (Zenke & Vogels Fig. 3): the grid, the controls,
determinism, and the claim in small: a hidden layer trained with a surrogate beats the network
without one, the constant surrogate is exactly 1 where the membranes go."""
import json

import numpy as np
import pytest

from refsnn.experiments import surrogate_shape_scale as sss
from refsnn.figures import surrogate_shape_scale as fig
from refsnn.surrogate import SURROGATES, Surrogate


def test_the_grid_and_the_controls():
    for size, s in sss.SIZES.items():
        cs = sss.configs(size)
        json.dumps(cs)
        shapes = [c for c in cs if c["condition"] == "shape"]
        assert sorted({(c["surrogate"], c["scale"], c["lr"], tuple(c["hidden"]))
                       for c in shapes}) == sorted(
            (sh, sc, lr, h) for sh in sss.SHAPES for sc in s["scales"] for lr in s["lrs"]
            for h in s["hidden"])
        for cond in ("constant", "no_hidden"):
            assert sorted(c["lr"] for c in cs if c["condition"] == cond) == sorted(
                list(s["lrs"]) * (len(s["hidden"]) if cond == "constant" else 1))
        assert all(c["hidden"] == () for c in cs if c["condition"] == "no_hidden")
        varied = ("condition", "surrogate", "scale", "lr", "hidden")
        rest = [{k: v for k, v in c.items() if k not in varied} for c in cs]
        assert all(r == rest[0] for r in rest)
        assert rest[0]["reset"] == "zero" and rest[0]["detach_reset"] is True
        assert set(sss.SHAPES) <= set(SURROGATES)
    assert len(sss.SIZES["small"]["seeds"]) >= 3 and len(sss.SIZES["full"]["seeds"]) >= 3
    with pytest.raises(ValueError, match="size"):
        sss.configs("huge")


def test_the_constant_control_is_exactly_one_where_membranes_go():
    s = Surrogate("boxcar", sss.CONSTANT_SCALE)
    x = np.array([-4e5, -30.0, 0.0, 1.0, 4e5])
    assert np.array_equal(s.derivative(x), np.ones_like(x))


def _tiny(**kw):
    return dict(sss.configs("quick")[0], samples_per_class=80, epochs=12, lr=1e-1, **kw)


def test_runs_are_deterministic_and_a_hidden_layer_beats_none():
    """The claim of Fig. 3c in small (80 samples per class, 12 epochs): the 20-100-10 network
    trained with SuperSpike beats the network without hidden layer by far."""
    hidden = sss.run(_tiny(surrogate="superspike", scale=10.0), 0)
    none = sss.run(_tiny(condition="no_hidden", hidden=(), surrogate=None, scale=None), 0)
    assert hidden["test_accuracy"] > none["test_accuracy"] + 0.15
    assert none["hidden_spikes"] == 0.0 and hidden["hidden_spikes"] > 0
    rows = sss.table(_tiny(), 0, hidden)
    assert [r["epoch"] for r in rows] == list(range(13)) and rows[-1]["test_accuracy"] != ""
    for c in sss.configs("quick")[:1] + sss.configs("quick")[-1:]:   # a shape, no hidden
        a, b = sss.run(c, 3), sss.run(c, 3)
        a.pop("seconds"), b.pop("seconds")
        assert json.dumps(a) == json.dumps(b)


def test_run_rejects_bad_configs():
    with pytest.raises(ValueError, match="condition"):
        sss.run(dict(_tiny(), condition="other"), 0)
    with pytest.raises(ValueError, match="hidden"):
        sss.run(dict(_tiny(), condition="no_hidden"), 0)
    with pytest.raises(TypeError, match="seed"):
        sss.run(_tiny(), "0")


def _results():
    """A synthetic sweep: accuracy rises with the learning rate, SuperSpike best."""
    configs = sss.configs("quick")
    runs = []
    for i, c in enumerate(configs):
        acc = {"superspike": 0.9, "sigmoid": 0.8, "piecewise_linear": 0.7}.get(c["surrogate"],
                                                                            0.3)
        acc += 0.01 * (c["scale"] or 0)
        runs.append({"config": i, "seed": 0, "metrics": {"val_accuracy": [0.1, acc],
                                                         "test_accuracy": acc - 0.05}})
    return {"configs": configs, "runs": runs, "seeds": [0], "size": "quick"}


def test_the_figure_tables():
    res = _results()
    scales, lrs, table = fig.grid_table(res, "superspike")
    assert scales == [1.0, 10.0] and lrs == list(sss.SIZES["quick"]["lrs"])
    assert table[:, 0] == pytest.approx([0.86, 0.95])
    groups = fig.best(res)
    assert [g[0][0] for g in groups] == [*sss.SHAPES, "constant", "no_hidden"]
    assert groups[0][2] == pytest.approx([0.95, 0.86])   # best first

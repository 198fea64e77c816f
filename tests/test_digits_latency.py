"""The digits_latency experiment (Zenke & Vogels Fig. 6b on 8x8 digits): the latency code is
the paper's (§4.1.2), the sweep, determinism, both readouts learn."""
import json

import numpy as np
import pytest

from refsnn.experiments import digits_latency as dl

sklearn = pytest.importorskip("sklearn")


def test_the_latency_code_is_the_papers():
    """T(x) = tau_eff log(x / (x - theta)), theta 0.2, tau_eff 50 ms, 1 ms steps: a white
    pixel fires in step floor(50 ln 1.25) = 11, a pixel of 4/16 in floor(50 ln 5) = 80, a
    pixel of 3/16 (below theta) never; at most one spike per pixel."""
    d = dl.dataset(dl.configs("small")[0])
    assert d.x.shape == (1797, 100, 64) and d.x.sum(axis=1).max() == 1
    first = np.where(d.x.any(axis=1), d.x.argmax(axis=1), -1)
    for value, step in ((1.0, 11), (4 / 16, 80), (3 / 16, -1), (0.0, -1)):
        sel = np.isclose(d.source, value)
        assert sel.any() and np.all(first[sel] == step)
    for k in range(20):                                   # brighter pixels fire no later
        fired = first[k] >= 0
        order = np.argsort(-d.source[k][fired], kind="stable")
        assert np.all(np.diff(first[k][fired][order]) >= 0)
    assert sum(len(d.split(s)) for s in ("train", "valid", "test")) == 1797


def test_the_sweep():
    for size, s in dl.SIZES.items():
        cs = dl.configs(size)
        json.dumps(cs)
        assert [(c["loss"], c["lr"]) for c in cs] == [(l, lr) for l in dl.READOUTS
                                                      for lr in s["lrs"]]
        assert all(c["n_inputs"] == 64 and c["hidden"] == (100,) and c["n_classes"] == 10
                   for c in cs)
        assert {c["readout_scale"] for c in cs if c["loss"] == "sum_over_time_ce"} == {
            dl.SUM_SCALE}
    assert len(dl.SIZES["small"]["seeds"]) >= 3
    with pytest.raises(ValueError, match="task"):
        dl.run(dict(dl.configs("quick")[0], task="randman"), 0)


def test_both_readouts_learn_and_runs_are_deterministic():
    for c in dl.configs("quick"):
        c = dict(c, n_train=300, epochs=2)
        m = dl.run(c, 0)
        assert m["val_accuracy"][-1] > 0.3 > m["val_accuracy"][0]   # chance is 0.1
        again = dl.run(c, 0)
        m.pop("seconds"), again.pop("seconds")
        assert json.dumps(m) == json.dumps(again)

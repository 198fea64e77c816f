"""The reset_and_scale experiment (Zenke & Vogels Fig. 5): the conditions, determinism, and
the mechanism of the claim exactly: the asymptotic surrogate's factor beta is a constant factor
on each gradient (which Adam ignores) unless the reset or the recurrence compounds it."""
import json

import numpy as np
import pytest

from refsnn import bptt, losses
from refsnn.experiments import reset_and_scale as ras
from refsnn.experiments import zenke_vogels as zv
from refsnn.gradcheck import rel_error


def test_the_conditions_and_the_grid():
    for size, s in ras.SIZES.items():
        cs = ras.configs(size)
        json.dumps(cs)
        assert len(cs) == len(ras.CONDITIONS) * len(s["scales"]) * len(s["lrs"]) * len(
            s["hidden"])
        for c in cs:
            letter, detach, recurrent, rec_grad = ras.CONDITIONS[c["condition"]]
            assert c["surrogate"] == ras.SURROGATES[letter] and c["detach_reset"] == detach
            assert c["recurrent"] == recurrent and c["recurrent_gradient"] == rec_grad
            assert c["reset"] == "zero"
            assert detach or not recurrent                 # recurrent: the reset detached
    assert len(ras.SIZES["small"]["seeds"]) >= 3
    with pytest.raises(ValueError, match="contradicts"):
        ras.run(dict(ras.configs("quick")[0], detach_reset=False), 0)
    with pytest.raises(ValueError, match="condition"):
        ras.run(dict(ras.configs("quick")[0], condition="aXY"), 0)


def _gradients(condition, scale=16.0):
    """BPTT of the same network (the same forward pass) with the standard and the asymptotic
    SuperSpike of ``scale`` under ``condition``'s reset and recurrence."""
    out = []
    for letter in ("s", "a"):
        name = condition.replace("s", letter, 1) if condition[0] == "s" else condition
        c = dict(zv.BASE, samples_per_class=10, epochs=1, hidden=(30,),
                 **dict(zip(("surrogate", "detach_reset", "recurrent", "recurrent_gradient"),
                            (ras.SURROGATES[letter], *ras.CONDITIONS[name][1:]))))
        c["scale"] = scale
        net = zv.network(c, 3)
        data = zv.dataset(dict(c, samples_per_class=10)).split("train")
        trace = net.simulate(data.x[:40])
        assert trace.S[0].sum() > 0
        _, d = losses.max_over_time_ce(trace.readout, data.y[:40])
        out.append(zv.gradient_rule(c)(net, trace, d))
    return out


@pytest.mark.parametrize("condition", ["sCtl", "sCtl-RC"])
def test_without_compounding_the_scale_is_a_constant_factor(condition):
    """Reset detached, recurrence absent or detached: h enters every hidden gradient once, so
    the asymptotic surrogate's gradient is exactly 16 times the standard one (16 a power of
    two: no rounding), the readout's is the same; Adam's step does not change."""
    g_s, g_a = _gradients(condition)
    assert np.abs(g_s.W[0]).max() > 0
    assert np.array_equal(g_a.W[0], 16.0 * g_s.W[0])
    assert np.array_equal(g_a.W[-1], g_s.W[-1])
    if g_s.V[0] is not None:
        assert np.array_equal(g_a.V[0], 16.0 * g_s.V[0])


@pytest.mark.parametrize("condition", ["sDR", "sProp"])
def test_the_reset_and_the_recurrence_compound_the_scale(condition):
    g_s, g_a = _gradients(condition)
    assert np.max(rel_error(g_a.W[0] / 16.0, g_s.W[0])) > 1e-2


def test_runs_are_deterministic():
    for c in ras.configs("quick")[::3]:
        a, b = ras.run(c, 1), ras.run(c, 1)
        a.pop("seconds"), b.pop("seconds")
        assert json.dumps(a) == json.dumps(b)
    rows = ras.table(c, 1, dict(a, seconds=1.0))
    assert rows[-1]["condition"] == c["condition"] and rows[-1]["test_accuracy"] != ""

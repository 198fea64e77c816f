"""benchmarks.costs: the measured cost of BPTT vs exact RTRL (memory in T is behavioural)."""

import numpy as np
import pytest

from benchmarks import costs


def test_measure_tiny_sizes_returns_finite_positive_numbers():
    res = costs.measure(N_bptt=(4, 8), N_rtrl=(4, 8), T_values=(10, 20), N_fixed=4, T_fixed=10,
                        methods=("bptt", "rtrl"), repeats=1)
    for sweep in ("N", "T"):
        assert set(res[sweep]) == {"bptt", "rtrl"}
        for d in res[sweep].values():
            assert len(d["x"]) == len(d["memory"]) == len(d["time"]) == 2
            assert np.all(np.isfinite(d["memory"])) and np.all(d["memory"] > 0)
            assert np.all(np.isfinite(d["time"])) and np.all(d["time"] > 0)
    assert res["agreement"] < 1e-10  # the two exact methods compute the same gradient
    for (sweep, q, m), s in costs.slopes(res).items():
        assert np.isfinite(s), (sweep, q, m)
    assert "RTRL vs BPTT" in costs.report(res)


def test_rtrl_memory_does_not_grow_with_T_but_bptt_does():
    res = costs.measure(N_bptt=(8, 16), N_rtrl=(4, 8), T_values=(20, 400), N_fixed=8,
                        T_fixed=20, methods=("bptt", "rtrl"), repeats=1)
    rtrl, bptt = res["T"]["rtrl"]["memory"], res["T"]["bptt"]["memory"]
    assert rtrl[1] <= 1.02 * rtrl[0] + 4096, rtrl
    assert bptt[1] > 5 * bptt[0], bptt  # O(T): about 10 kB + 0.35 kB per step at N = 8


def test_fit_slope_and_validation():
    x = np.array([2.0, 4.0, 8.0])
    assert costs.fit_slope(x, 3 * x ** 3) == pytest.approx(3.0)
    assert np.isnan(costs.fit_slope([2], [1]))
    with pytest.raises(ValueError):
        costs.measure(N_bptt=(), methods=("bptt",))
    with pytest.raises(ValueError, match="unknown methods"):
        costs.gradient_functions(["nope"])


def test_missing_optional_methods_are_skipped_with_a_message():
    fns, skipped = costs.gradient_functions()
    assert {"bptt", "rtrl"} <= set(fns)
    assert set(fns) | set(skipped) == set(costs.METHODS)
    for why in skipped.values():
        assert "refsnn.grad." in why


def test_online_rules_memory_does_not_grow_with_T_but_exact_eprop_does():
    """e-prop and SuperSpike are measured in their online forms (input in, loss gradient per
    step, nothing recorded beforehand); exact e-prop needs the trace for its backward pass."""
    res = costs.measure(N_bptt=(8, 16), N_rtrl=(4, 8), T_values=(20, 400), N_fixed=8,
                        T_fixed=20, methods=("superspike", "eprop", "eprop_exact"), repeats=1)
    assert not res["skipped"], res["skipped"]
    for m in ("superspike", "eprop"):
        mem = res["T"][m]["memory"]
        assert mem[1] <= 1.02 * mem[0] + 4096, (m, mem)
    mem = res["T"]["eprop_exact"]["memory"]
    assert mem[1] > 5 * mem[0], mem
    assert set(costs.ONLINE) | set(costs.BACKWARD) == set(costs.METHODS)
    assert "eprop_exact" in costs.BACKWARD and not set(costs.ONLINE) & set(costs.BACKWARD)

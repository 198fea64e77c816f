"""The sweep runner (refsnn.experiments.sweep) and its store (refsnn.experiments.store): keys,
resume after an interruption, a rerun that runs nothing, and the same results to the last bit
serially, in joblib's process pool and on a real Dask cluster."""
import hashlib
import json
import math
import os
import types

import numba
import numpy as np
import pytest

from refsnn import LIFParams, Network, bptt, losses
from refsnn.experiments import store as st
from refsnn.experiments import sweep as sw
from refsnn.experiments import EXPERIMENTS, write


def tiny_run(config, seed):
    """A run of a few milliseconds through the real kernels: the loss and BPTT's gradient of
    a seeded 3-H-2 network on a seeded input. ``config["log"]``: append one line per
    execution (counts executions across processes); ``config["fail_once"]``: raise on the
    first execution (a marker file remembers it); ``config["interrupt"]``: Ctrl-C."""
    if "log" in config:
        with open(config["log"], "a") as f:
            f.write(f"{config.get('h')} {seed}\n")
    if config.get("fail_once") and not os.path.exists(config["fail_once"]):
        open(config["fail_once"], "w").close()
        raise RuntimeError("first pass fails")
    if config.get("interrupt"):
        raise KeyboardInterrupt
    p = LIFParams.from_taus(dt=1e-3, tau_syn=5e-3, tau_mem=1e-2)
    net = Network.init([3, config["h"], 2], p, rng=seed, recurrent=config.get("rec", False))
    rng = np.random.default_rng([seed, 1])
    x = (rng.random((4, 30, 3)) < 0.3).astype(float)
    trace = net.simulate(x, spike="hard")
    loss, d = losses.sum_over_time_ce(trace.readout, rng.integers(0, 2, size=4))
    g = bptt(net, trace, d)
    return {"loss": loss, "dW": [w.ravel() for w in g.W], "spikes": float(trace.S[0].sum()),
            "nan": math.nan, "threads": numba.get_num_threads()}


TINY = types.SimpleNamespace(NAME="tiny_sweep", run=tiny_run)


def executions(log):
    return open(log).read().splitlines() if os.path.exists(log) else []


def same(a, b):
    """The runs of two results, metrics to the last bit (NaN equal; without 'threads')."""
    def strip(res):
        return [(r["config"], r["seed"], r["key"],
                 json.dumps({k: v for k, v in r["metrics"].items() if k != "threads"}))
                for r in res["runs"]]
    return strip(a) == strip(b)


def test_key_is_the_hash_of_the_canonical_json():
    c = {"b": [1, 2.5, "x"], "a": {"y": True, "x": None}}
    text = '{"config":{"a":{"x":null,"y":true},"b":[1,2.5,"x"]},"experiment":"e","seed":3}'
    assert st.canonical_json({"config": c, "experiment": "e", "seed": 3}) == text
    key = st.run_key("e", c, 3)
    assert key == hashlib.sha256(text.encode()).hexdigest()[:st.KEY_LENGTH]
    # the order of the keys, tuples for lists, NumPy scalars: the same run
    assert st.run_key("e", {"a": {"x": None, "y": True}, "b": (1, 2.5, "x")}, 3) == key
    assert st.run_key("e", {"b": [np.int64(1), np.float64(2.5), "x"],
                            "a": {"y": np.bool_(True), "x": None}}, np.int32(3)) == key
    # anything else is another run: seed, experiment, a value, 1 vs 1.0, True vs 1
    others = [st.run_key("e", c, 4), st.run_key("f", c, 3), st.run_key("e", dict(c, b=[1]), 3),
              st.run_key("e", {"v": 1}, 0), st.run_key("e", {"v": 1.0}, 0),
              st.run_key("e", {"v": True}, 0)]
    assert len(set(others + [key])) == len(others) + 1
    # pinned: a change of the format would orphan every stored result
    assert st.run_key("feedback_comparison", {"lr": 0.001, "rule": "fa"}, 0) == \
        hashlib.sha256(b'{"config":{"lr":0.001,"rule":"fa"},"experiment":"feedback_comparison",'
                       b'"seed":0}').hexdigest()[:16]


def test_keys_refuse_what_json_cannot_hold():
    with pytest.raises(ValueError, match=r"config\['lr'\].*finite"):
        st.run_key("e", {"lr": float("nan")}, 0)
    with pytest.raises(TypeError, match="key 1 of type int"):
        st.run_key("e", {1: "a"}, 0)
    with pytest.raises(TypeError, match=r"config\['w'\] is a ndarray"):
        st.run_key("e", {"w": np.zeros(2)}, 0)
    with pytest.raises(TypeError, match="seed must be an int"):
        st.run_key("e", {}, 1.0)
    with pytest.raises(TypeError, match="seed must be an int"):
        st.run_key("e", {}, True)
    with pytest.raises(TypeError, match="config must be a dict"):
        st.run_key("e", [("a", 1)], 0)


def test_grid_is_the_product_in_dict_order():
    g = sw.grid({"h": [2, 3], "rec": [False, True]}, base={"z": 0})
    assert g == [{"z": 0, "h": 2, "rec": False}, {"z": 0, "h": 2, "rec": True},
                 {"z": 0, "h": 3, "rec": False}, {"z": 0, "h": 3, "rec": True}]
    with pytest.raises(ValueError, match=r"axes\['h'\]"):
        sw.grid({"h": []})
    with pytest.raises(ValueError, match="both"):
        sw.grid({"h": [1]}, base={"h": 2})
    with pytest.raises(TypeError, match="axes"):
        sw.grid([("h", [1])])


def test_resume_after_a_failing_run_and_a_rerun_runs_nothing(tmp_path):
    log, store = str(tmp_path / "log"), tmp_path / "runs"
    configs = [{"h": 2, "log": log}, {"h": 3, "log": log, "fail_once": str(tmp_path / "m")}]
    with pytest.raises(sw.SweepError, match="1 of 4 runs.*config 1 seed 0") as exc:
        sw.run_sweep(TINY, (configs, [0, 1]), progress=False, store=store)
    assert "first pass fails" in str(exc.value) and len(exc.value.failures) == 1
    assert len(executions(log)) == 4 and len(os.listdir(store)) == 3   # the others stored
    again = sw.run_sweep(TINY, (configs, [0, 1]), progress=False, store=store)
    assert executions(log)[4:] == ["3 0"]                               # only the failed run
    assert (again["executed"], again["stored"]) == (1, 3)
    third = sw.run_sweep(TINY, (configs, [0, 1]), progress=False, store=store)
    assert len(executions(log)) == 5 and (third["executed"], third["stored"]) == (0, 4)
    # the resumed and the stored results equal an uninterrupted sweep's, NaN included
    fresh = sw.run_sweep(TINY, ([{"h": c["h"]} for c in configs], [0, 1]), progress=False)
    assert [r["metrics"] for r in third["runs"]] == [r["metrics"] for r in again["runs"]]
    assert json.dumps([r["metrics"] for r in third["runs"]]) == \
        json.dumps([r["metrics"] for r in fresh["runs"]])
    assert [(r["config"], r["seed"]) for r in third["runs"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    rec = json.load(open(store / f"{third['runs'][0]['key']}.json"))
    assert rec["seed"] == 0 and rec["config"] == configs[0] and rec["versions"] == st.versions()
    assert set(st.versions()) == {"refsnn", "numpy", "numba", "python", "git_commit"}
    # resume=False recomputes (and overwrites) every record
    sw.run_sweep(TINY, (configs, [0, 1]), progress=False, store=store, resume=False)
    assert len(executions(log)) == 9


def test_ctrl_c_keeps_the_finished_runs(tmp_path):
    log, store = str(tmp_path / "log"), tmp_path / "runs"
    configs = [{"h": 2, "log": log}, {"h": 3, "log": log, "interrupt": True}]
    with pytest.raises(KeyboardInterrupt):
        sw.run_sweep(TINY, (configs, [5]), progress=False, store=store)
    assert len(os.listdir(store)) == 1                # no temporary file left behind
    configs[1]["interrupt"] = False
    res = sw.run_sweep(TINY, (configs, [5]), progress=False, store=store)
    assert (res["executed"], res["stored"]) == (1, 1)


def test_a_record_of_another_run_is_not_trusted(tmp_path):
    configs, store = [{"h": 2}], st.RunStore(tmp_path)
    res = sw.run_sweep(TINY, (configs, [0]), progress=False, store=tmp_path)
    path = store.path(res["runs"][0]["key"])
    rec = json.load(open(path))
    st.atomic_write_json(path, dict(rec, seed=1))
    with pytest.warns(UserWarning, match="another run"):
        assert sw.run_sweep(TINY, (configs, [0]), progress=False, store=tmp_path)["executed"] == 1
    open(path, "w").write("{")
    with pytest.warns(UserWarning, match="unreadable"):
        assert sw.run_sweep(TINY, (configs, [0]), progress=False, store=tmp_path)["executed"] == 1
    assert json.load(open(path))["seed"] == 0


def test_bad_sweeps_are_refused_before_anything_runs(tmp_path):
    (tmp_path / "log").write_text("a file, not a store")

    def bad(match, exc=ValueError, size=([{"h": 2}], [0]), **kw):
        with pytest.raises(exc, match=match):
            sw.run_sweep(TINY, size, progress=False, **kw)
    bad("backend must be one of", backend="mpi")
    bad("needs a scheduler", backend="dask")
    bad("scheduler is only for backend 'dask'", backend="loky", scheduler="tcp://x:1")
    bad("n_jobs must be >= 1", backend="loky", n_jobs=0)
    bad("n_jobs must be an int", TypeError, backend="loky", n_jobs=1.5)
    bad("serial' runs one job", backend="serial", n_jobs=2)
    bad("numba_threads", numba_threads=0)
    bad("seeds contain duplicates", size=([{"h": 2}], [0, 0]))
    bad(r"configs\[0\] and configs\[1\] are the same", size=([{"h": 2}, {"h": 2}], [0]))
    bad(r"configs\[1\] must be a dict", TypeError, size=([{"h": 2}, 3], [0]))
    bad(r"configs\[0\]\['lr'\]", size=([{"lr": math.inf}], [0]))
    bad("non-empty list of ints", size=([{"h": 2}], []))
    bad("size must be", TypeError, size=3)
    bad("store .* not a directory", store=tmp_path / "log")
    with pytest.raises(ValueError, match="unknown experiment 'nope'"):
        sw.run_sweep("nope", "quick")
    with pytest.raises(TypeError, match="NAME"):
        sw.run_sweep(object(), ([{}], [0]))
    with pytest.raises(TypeError, match="no sweep"):
        sw.run_sweep(TINY, "quick")


@pytest.mark.parametrize("argv, message", [
    (["--backend", "dask"], "needs a --scheduler"),
    (["--scheduler", "tcp://x:1"], "--scheduler is only for backend 'dask'"),
    (["--n-jobs", "0"], "--n-jobs must be >= 1"),
    (["--backend", "serial", "--n-jobs", "2"], "serial' runs one job"),
    (["--backend", "mpi"], "invalid choice: 'mpi'"),
])
def test_cli_refuses_bad_backends(argv, message, tmp_path, capsys):
    from refsnn.experiments.__main__ import main
    with pytest.raises(SystemExit) as exc:
        main(["feedback_comparison", "--out", str(tmp_path), *argv])
    err = capsys.readouterr().err
    assert exc.value.code == 2 and message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())                 # nothing ran, nothing written


def test_write_collects_every_run_into_one_csv(tmp_path):
    res = sw.run_sweep(TINY, ({"h": [2, 3]}, [0, 1]), progress=False)
    csv_path, json_path = write(TINY, res, tmp_path)
    lines = open(csv_path).read().splitlines()
    assert lines[0] == "h,seed,loss,spikes,nan,threads" and len(lines) == 5
    back = json.load(open(json_path))                  # strict JSON: NaN written as null
    assert back["runs"][0]["metrics"]["nan"] is None and back["seeds"] == [0, 1]
    assert back["versions"] == st.versions() and back["configs"] == [{"h": 2}, {"h": 3}]
    assert "feedback_comparison" in EXPERIMENTS


SWEEP = ({"h": [2, 3], "rec": [False, True]}, [0, 1])


@pytest.fixture(scope="module")
def serial():
    return sw.run_sweep(TINY, SWEEP, progress=False)


def test_loky_processes_give_the_serial_results_bit_for_bit(serial, tmp_path):
    res = sw.run_sweep(TINY, SWEEP, progress=False, backend="loky", n_jobs=2, store=tmp_path)
    assert same(res, serial) and res["executed"] == 8
    pids = {json.load(open(tmp_path / f"{r['key']}.json"))["pid"] for r in res["runs"]}
    assert os.getpid() not in pids and len({r["host"] for r in res["runs"]}) == 1
    assert sw.run_sweep(TINY, SWEEP, progress=False, backend="loky", n_jobs=2,
                        store=tmp_path)["executed"] == 0


@pytest.fixture(scope="module")
def cluster():
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0", scheduler_port=0,
                                  silence_logs=40) as c:
        yield c


def test_dask_cluster_gives_the_serial_results_and_resumes(serial, cluster, tmp_path):
    address = cluster.scheduler_address
    res = sw.run_sweep(TINY, SWEEP, progress=False, backend="dask", scheduler=address,
                       store=tmp_path / "runs")
    assert same(res, serial) and (res["executed"], res["n_jobs"]) == (8, -1)
    records = [json.load(open(tmp_path / "runs" / f"{r['key']}.json")) for r in res["runs"]]
    assert {r["pid"] for r in records} - {os.getpid()}, "ran in the worker processes"
    assert all(r["metrics"]["threads"] == 1 for r in records)   # one Numba thread per run
    assert all(r["versions"] == st.versions() for r in records)  # the same refsnn code
    # a run failing on a worker: the others are stored, the rerun does only the failed one
    log = str(tmp_path / "log")
    configs = [{"h": 2, "log": log}, {"h": 2, "log": log, "fail_once": str(tmp_path / "m")}]
    with pytest.raises(sw.SweepError, match="first pass fails"):
        sw.run_sweep(TINY, (configs, [0, 1]), progress=False, backend="dask",
                     scheduler=address, store=tmp_path / "r2")
    again = sw.run_sweep(TINY, (configs, [0, 1]), progress=False, backend="dask",
                         scheduler=address, store=tmp_path / "r2")
    assert (again["executed"], again["stored"]) == (1, 3) and len(executions(log)) == 5


def test_a_cluster_with_other_versions_is_refused(cluster):
    """A scheduler or worker with another refsnn would leave tasks pending or compute other
    numbers: refused before any task, naming the difference."""
    distributed = pytest.importorskip("distributed")
    with distributed.Client(cluster.scheduler_address) as client:
        sw.check_cluster(client)                                  # the same code: accepted
        with pytest.raises(RuntimeError, match="git_commit.*'elsewhere'"):
            sw.check_cluster(client, expected=dict(st.versions(), git_commit="elsewhere"))

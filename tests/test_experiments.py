"""The experiments package (refsnn.experiments): one run is a function of a config and a seed,
deterministic and JSON-ready; the sweep's CSV and JSON; the command line."""
import csv
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from refsnn import experiments
from refsnn.experiments import feedback_comparison as fc

ENV = dict(os.environ, MPLBACKEND="Agg")
#: a run of a few tenths of a second
TINY = dict(samples_per_class=10, epochs=1, align_batch=16, hidden=(20, 20))  # randman's size


def tiny(rule, task="randman"):
    c = fc.configs("quick", tasks=(task,), rules=(rule,))[0]
    c.update(TINY)
    if task == "yin_yang":
        c.update(n_train=32, n_valid=16, n_test=16)
    return c


def test_configs_cover_every_task_and_rule_with_the_same_hyperparameters():
    cs = fc.configs("small")
    assert [(c["task"], c["rule"]) for c in cs] == [(t, r) for t in fc.TASKS for r in fc.RULES]
    for task in fc.TASKS:
        same = [{k: v for k, v in c.items() if k != "rule"} for c in cs if c["task"] == task]
        assert all(s == same[0] for s in same)          # only the rule differs
    assert len(fc.SEEDS["small"]) >= 3 and len(fc.SEEDS["full"]) >= 3
    json.dumps(cs)                                       # JSON-ready (a sweep hashes them)
    with pytest.raises(ValueError, match="size"):
        fc.configs("huge")
    with pytest.raises(ValueError, match="rules"):
        fc.configs("small", rules=("backprop",))


@pytest.mark.parametrize("rule", fc.RULES)
def test_run_is_deterministic_and_complete(rule):
    c = tiny(rule)
    a, b = fc.run(c, 4), fc.run(c, 4)
    a.pop("seconds"), b.pop("seconds")
    assert json.dumps(a) == json.dumps(b)                 # (NaN angles compare equal as text)
    E = c["epochs"] + 1
    for k in ("epoch", "train_loss", "train_accuracy", "val_loss", "val_accuracy"):
        assert len(a[k]) == E, k
    assert len(a["angle"]) == 2 and all(len(x) == E for x in a["angle"])
    if rule == "bptt":
        assert all(v == 0.0 for x in a["angle"] for v in x)
    elif rule == "readout":
        assert all(np.isnan(v) for x in a["angle"] for v in x)   # no hidden update
    else:
        assert all(0.0 < v < 180.0 for x in a["angle"] for v in x)
    assert (a["local_val_accuracy"] is not None) == (rule == "local")
    assert (a["local_test_accuracy"] is not None) == (rule == "local")
    assert 0.0 <= a["test_accuracy"] <= 1.0


def test_seed_changes_the_run():
    c = tiny("fa")
    assert fc.run(c, 0)["val_loss"] != fc.run(c, 1)["val_loss"]


def test_run_rejects_bad_arguments():
    with pytest.raises(TypeError, match="config"):
        fc.run([("rule", "fa")], 0)
    with pytest.raises(TypeError, match="seed"):
        fc.run(tiny("fa"), 1.5)
    with pytest.raises(ValueError, match="rule"):
        fc.run(dict(tiny("fa"), rule="bp"), 0)
    with pytest.raises(ValueError, match="task"):
        fc.run(dict(tiny("fa"), task="mnist"), 0)
    with pytest.raises(ValueError, match="task"):
        fc.dataset(dict(tiny("fa"), task="mnist"))
    with pytest.raises(ValueError, match="lacks.*'lr'"):
        fc.run({k: v for k, v in tiny("fa").items() if k != "lr"}, 0)


def test_sweep_writes_csv_and_json(tmp_path, monkeypatch):
    monkeypatch.setattr(fc, "sweep", lambda size: ([tiny("bptt"), tiny("local", "yin_yang")],
                                                   [0, 1]))
    results = experiments.run_sweep(fc, "quick", progress=False)
    assert [(r["config"], r["seed"]) for r in results["runs"]] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert "load average" in results["conditions"]["start"]["uptime"] or \
        results["conditions"]["start"]["uptime"] == ""
    csv_path, json_path = experiments.write(fc, results, tmp_path)
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 4 * (TINY["epochs"] + 1)
    assert {r["rule"] for r in rows} == {"bptt", "local"}
    last = [r for r in rows if r["epoch"] == str(TINY["epochs"])]
    assert all(r["test_accuracy"] != "" for r in last)
    assert all(r["local_test_accuracy_1"] != "" for r in last if r["rule"] == "local")
    back = experiments.read(json_path)
    assert back["runs"][3]["metrics"]["test_accuracy"] == results["runs"][3]["metrics"][
        "test_accuracy"]


def test_cli_help_and_bad_arguments(tmp_path):
    r = subprocess.run([sys.executable, "-m", "refsnn.experiments", "--help"],
                       capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and "--full" in r.stdout and "feedback_comparison" in r.stdout
    r = subprocess.run([sys.executable, "-m", "refsnn.experiments", "nope", "--out",
                        str(tmp_path)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and "feedback_comparison" in r.stderr
    f = tmp_path / "file"
    f.write_text("x")
    r = subprocess.run([sys.executable, "-m", "refsnn.experiments", "feedback_comparison",
                        "--out", str(f)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2 and "--out" in r.stderr and "Traceback" not in r.stderr

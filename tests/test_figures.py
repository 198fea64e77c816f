"""Tests of the figure framework (refsnn.figures) and the data behind each figure."""
import os
import subprocess
import sys

import matplotlib.image as mpimg
import numpy as np
import pytest

from refsnn import LIFParams, Network
from refsnn.figures import FIGURES, make_all, resolve
from refsnn.figures import computational_graph as cg
from refsnn.figures import lif_dynamics, style, surrogates

ENV = dict(os.environ, MPLBACKEND="Agg")


@pytest.mark.parametrize("name", list(FIGURES))
def test_make_writes_png_and_pdf(name, tmp_path):
    module = FIGURES[name]
    assert module.__doc__ and "Fig." in module.__doc__, "docstring must name the paper figure"
    paths = module.make(tmp_path, quick=True)
    png = tmp_path / f"{name}.png"
    pdf = tmp_path / f"{name}.pdf"
    assert sorted(paths) == sorted([str(png), str(pdf)])
    assert pdf.stat().st_size > 1000
    assert pdf.read_bytes().startswith(b"%PDF")
    img = mpimg.imread(png)
    assert img.ndim == 3 and img.shape[0] >= 150 and img.shape[1] >= 150
    assert img[..., :3].std() > 0.02, "image is a single flat colour"


@pytest.mark.parametrize("name", ["lif_dynamics", "encodings"])
def test_make_is_deterministic(name, tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    for d in (a, b):
        FIGURES[name].make(d, quick=True)
    for ext in ("png", "pdf"):
        assert (a / f"{name}.{ext}").read_bytes() == (b / f"{name}.{ext}").read_bytes()


def test_make_all_and_resolve(tmp_path, capsys):
    out = make_all(tmp_path, names=["surrogates"], quick=True)
    assert list(out) == ["surrogates"]
    assert "surrogates" in capsys.readouterr().out
    assert resolve() == list(FIGURES)
    with pytest.raises(ValueError, match="valid names"):
        resolve(["nope"])
    with pytest.raises(TypeError):
        make_all(3)


def test_bad_out_dir(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    with pytest.raises(ValueError, match="not a directory"):
        surrogates.make(f)
    with pytest.raises(ValueError):
        style.save(None, tmp_path, "a/b")


def test_cli_help_and_unknown_name(tmp_path):
    r = subprocess.run([sys.executable, "-m", "refsnn.figures", "--help"], capture_output=True,
                       text=True, env=ENV)
    assert r.returncode == 0 and "--quick" in r.stdout
    r = subprocess.run([sys.executable, "-m", "refsnn.figures", "no_such_figure",
                        "--out", str(tmp_path)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2
    assert "no_such_figure" in r.stderr and "lif_dynamics" in r.stderr
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("where", ["a file", "below a file"])
def test_cli_bad_out_is_a_one_line_error(tmp_path, capsys, where):
    """A bad ``--out`` ends with one line on stderr and exit code 2, before any figure."""
    from refsnn.figures.__main__ import main
    f = tmp_path / "file"
    f.write_text("x")
    out = f if where == "a file" else f / "sub"
    with pytest.raises(SystemExit) as exc:
        main(["surrogates", "--quick", "--out", str(out)])
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and str(out) in err, err
    assert ("not a directory" if where == "a file" else "cannot be created") in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_cli_bad_out_has_no_traceback(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = subprocess.run([sys.executable, "-m", "refsnn.figures", "lif_dynamics", "--out",
                        str(f)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 2
    assert r.stderr.count("\n") == 1 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.startswith("python -m refsnn.figures: error: --out"), r.stderr


def test_cli_creates_a_missing_out_dir(tmp_path, capsys):
    from refsnn.figures.__main__ import main
    out = tmp_path / "a" / "b"
    assert main(["surrogates", "--quick", "--out", str(out)]) == 0
    assert (out / "surrogates.png").stat().st_size > 0


def test_cli_writes_named_figure(tmp_path):
    r = subprocess.run([sys.executable, "-m", "refsnn.figures", "surrogates", "--quick",
                        "--out", str(tmp_path)], capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    assert "surrogates" in r.stdout
    assert (tmp_path / "surrogates.png").stat().st_size > 0
    assert (tmp_path / "surrogates.pdf").stat().st_size > 0


# ---------------------------------------------------------------- lif_dynamics
def test_lif_dynamics_phases():
    d = lif_dynamics.simulate()
    T = len(d["t"])
    n_early = int(0.4 * T)
    assert d["S"][:n_early].sum() == 0, "early phase must be sub-threshold"
    assert d["U"][:n_early].max() < 0.9 * d["params"].threshold
    assert d["S"][n_early:].sum() >= 2, "later phase must fire several spikes"
    assert d["x"][:n_early].sum() >= 4, "early phase needs visible PSPs"
    # isolated PSPs early: input spikes at least 25 steps apart
    early_times = np.nonzero(d["x"][:n_early].any(axis=1))[0]
    assert np.all(np.diff(early_times) >= 25)
    # denser input later
    assert d["x"][n_early:].sum() > 2 * d["x"][:n_early].sum()


def test_lif_dynamics_input_validation():
    with pytest.raises(ValueError, match="n_steps"):
        lif_dynamics.input_spikes(10)
    x = lif_dynamics.input_spikes()
    assert x.shape == (lif_dynamics.N_STEPS, 4) and set(np.unique(x)) <= {0.0, 1.0}


# ---------------------------------------------------------------- surrogates
def test_surrogate_curves_rescaled():
    U, der, prim, step = surrogates.curves(101)
    assert U[0] == 0.0 and np.isclose(U[-1], 2.0)
    for name in der:
        assert np.isclose(der[name].max(), 1.0)
        assert np.isclose(der[name][np.argmin(abs(U - surrogates.THETA))], 1.0)  # peak at threshold
        assert prim[name][0] < 0.15 and prim[name][-1] > 0.85
    assert step[U <= 1.0].sum() == 0 and np.all(step[U > 1.0] == 1)
    with pytest.raises(ValueError):
        surrogates.curves(100)


# ---------------------------------------------------------------- computational graph
def _net(recurrent, reset, sizes=(2, 3, 2)):
    params = LIFParams.from_taus(1e-3, 5e-3, 1e-2, reset=reset)
    return Network.init(list(sizes), params, recurrent=recurrent, rng=0)


@pytest.mark.parametrize("recurrent", [True, False])
@pytest.mark.parametrize("reset", ["subtract", "zero", "none"])
@pytest.mark.parametrize("n_steps", [1, 3, 5])
def test_graph_edges_follow_network(recurrent, reset, n_steps):
    edges = cg.graph_edges(_net(recurrent, reset), n_steps)
    kinds = [e.kind for e in edges]
    assert set(kinds) <= set(cg.KINDS)
    n_v = kinds.count("recurrent")
    n_reset = kinds.count("reset")
    assert (n_v > 0) == (recurrent and n_steps > 1)
    assert (n_reset > 0) == (reset != "none" and n_steps > 1)
    w1 = [e for e in edges if e.label == "$W^{(1)}$"]
    w2 = [e for e in edges if e.label == "$W^{(2)}$"]
    assert len(w1) == n_steps - 1 and len(w2) == n_steps - 1
    for e in edges:
        # causality: every edge goes forward in time by 0 (threshold) or 1 step
        dt = e.target.step - e.source.step
        assert dt == (0 if e.kind == "threshold" else 1)
        assert 0 <= e.source.step and e.target.step < n_steps
    # I[n+1] depends on S^(0)[n] through W^(1)
    assert all(e.source == cg.Node("S", 0, e.target.step - 1) and e.target.var == "I"
               and e.target.layer == 1 for e in w1)
    # the readout has no spikes and no threshold
    assert not any(e.target.var == "S" and e.target.layer == 2 for e in edges)
    assert kinds.count("threshold") == n_steps  # one hidden layer


def test_graph_edges_counts_and_colours():
    edges = cg.graph_edges(_net(True, "subtract"), 3)
    spike = [e for e in edges if cg.is_spike_caused(e)]
    assert {e.kind for e in spike} == {"reset", "recurrent", "feedforward"}
    assert all(e.source.layer == 1 for e in spike)
    # per transition: alpha, beta, current in 2 layers (6), W1, W2, V, reset (4) = 10; 3 thresholds
    assert len(edges) == 2 * 10 + 3
    deep = cg.graph_edges(_net([True, False], "subtract", sizes=(2, 3, 3, 1)), 2)
    assert sum(e.kind == "recurrent" for e in deep) == 1
    assert {e.target.layer for e in deep if e.kind == "recurrent"} == {1}


def test_graph_edges_validation():
    with pytest.raises(TypeError):
        cg.graph_edges("not a network")
    with pytest.raises(ValueError, match="n_steps"):
        cg.graph_edges(_net(True, "subtract"), 0)


@pytest.mark.parametrize("recurrent,reset", [(False, "none"), (True, "zero")])
def test_graph_draws_any_network(recurrent, reset):
    fig = style.new_figure(4, 4)
    ax = fig.add_axes([0, 0, 1, 1])
    cg.draw(ax, _net(recurrent, reset, sizes=(2, 3, 3, 2)), n_steps=2)
    fig.canvas.draw()


# ---------------------------------------------------------------- encodings
def test_encodings_data_follow_the_codes():
    from refsnn.figures import encodings
    d = encodings.encode()
    k = d["image"].reshape(-1)                                   # pixel values 0 .. 16
    assert d["label"] == 3 and d["rate"].shape == d["latency"].shape == (encodings.T, 64)
    # rate: blank pixels silent, counts grow with brightness (rank correlation over pixels)
    counts = d["rate"].sum(axis=0)
    assert np.all(counts[k == 0] == 0) and np.corrcoef(counts, k)[0, 1] > 0.8
    # latency: one spike per non-blank pixel, the faintest (1/16) in the last step
    first = np.where(d["latency"].any(axis=0), d["latency"].argmax(axis=0), -1)
    assert np.all(d["latency"].sum(axis=0) == (k > 0))
    assert np.all(first[k == 1] == encodings.T - 1) and first[k == k.max()].max() <= 3
    # delta of the image fading in and out: a pixel of value k fires k on spikes while it
    # fades in and k off spikes while it fades out
    on, off = d["delta"][:, :64], d["delta"][:, 64:]
    half = (encodings.T - 1) // 2
    np.testing.assert_array_equal(d["envelope"][[0, half, -1]], [0.0, 1.0, 0.0])
    np.testing.assert_array_equal(on[:half + 1].sum(axis=0), k)
    np.testing.assert_array_equal(off[half + 1:].sum(axis=0), k)
    assert on[half + 1:].sum() == 0 and off[:half + 1].sum() == 0
    assert k.min() == 0 and k.max() >= 15 and len(set(k)) > 8   # a real range of grey levels
    with pytest.raises(ValueError, match="T"):
        encodings.fade(60)



# ---------------------------------------------------------------- feedback_alignment
def _fake_run(config, seed, E=3, local=False):
    g = np.random.default_rng(seed)
    m = {"epoch": list(range(E)), "train_loss": list(g.random(E)), "val_accuracy": list(g.random(E)),
         "angle": [list(90 * g.random(E)), [None] * E],          # None: a NaN read from JSON
         "local_val_accuracy": [list(g.random(E)), list(g.random(E))] if local else None,
         "test_accuracy": float(g.random()),
         "local_test_accuracy": [0.5, 0.75 + seed / 10] if local else None}
    return {"config": config, "seed": seed, "metrics": m}


def test_feedback_alignment_curves_and_drawing_from_json(tmp_path):
    import json

    from refsnn.figures import feedback_alignment as fa
    configs = [dict(task="randman", rule="fa", n_classes=10),
               dict(task="yin_yang", rule="local", n_classes=3)]
    results = {"size": "quick", "seeds": [0, 1], "configs": configs,
               "runs": [_fake_run(0, 0), _fake_run(0, 1), _fake_run(1, 0, local=True),
                        _fake_run(1, 1, local=True)]}
    results = json.loads(json.dumps(results))
    d = fa.curves(results)
    assert set(d) == {"randman", "yin_yang"} and set(d["randman"]) == {"fa"}
    c = d["randman"]["fa"]
    assert c["val_accuracy"].shape == (2, 3) and c["angle"].shape == (2, 2, 3)
    np.testing.assert_array_equal(c["val_accuracy"][1],
                                  results["runs"][1]["metrics"]["val_accuracy"])
    assert np.isnan(c["angle"][1]).all() and c["chance"] == 0.1
    assert c["local_val_accuracy"] is None
    loc = d["yin_yang"]["local"]
    assert loc["local_val_accuracy"].shape == (2, 2, 3)
    np.testing.assert_array_equal(loc["local_test_accuracy"], [[0.5, 0.5], [0.75, 0.85]])
    paths = fa.draw(results, tmp_path, quick=True)
    assert [os.path.basename(p) for p in paths] == ["feedback_alignment.png",
                                                     "feedback_alignment.pdf"]


def test_feedback_alignment_writes_its_data_beside_the_png(tmp_path, monkeypatch):
    from refsnn.experiments import feedback_comparison as fc
    from refsnn.figures import feedback_alignment as fa
    c = dict(fc.configs("quick", tasks=("randman",), rules=("dfa",))[0], samples_per_class=10,
             hidden=(20, 20), align_batch=8)
    monkeypatch.setattr(fc, "sweep", lambda size: ([c], [0, 1]))   # a tiny comparison
    fa.make(tmp_path, quick=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "feedback_alignment.pdf", "feedback_alignment.png", "feedback_comparison.csv",
        "feedback_comparison.json"]

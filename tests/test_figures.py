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


@pytest.mark.parametrize("name", ["lif_dynamics", "encodings", "credit_schemes", "stdp_window"])
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



# ---------------------------------------------------------------- credit schemes (Fig. 5)
from refsnn.figures import credit_schemes as cs  # noqa: E402
from refsnn.grad.random_feedback import feedback_shapes  # noqa: E402

SCHEME_SIZES = [(3, 4, 2), (3, 4, 4, 2), (2, 5, 4, 3, 6)]


def _layer(l):
    return cs.Node("layer", l)


def _between_layers(edges):
    return [e for e in edges if e.kind == "error" and e.source.role == e.target.role == "layer"]


@pytest.mark.parametrize("sizes", SCHEME_SIZES)
@pytest.mark.parametrize("scheme", cs.SCHEMES)
def test_scheme_edges_common_structure(scheme, sizes):
    """Every scheme: the forward weights W^(1)..W_o with the network's shapes, the loss, and
    each matrix edge's shape matches its end points (transposed for an error edge)."""
    edges = cs.scheme_edges(scheme, list(sizes))
    L = len(sizes) - 2
    net = _net(False, "subtract", sizes=sizes)
    fwd = [e for e in edges if e.kind == "forward" and e.target.role == "layer"]
    assert [(e.source, e.target) for e in fwd] == [(_layer(l), _layer(l + 1))
                                                   for l in range(L + 1)]
    assert [e.shape for e in fwd] == [w.shape for w in net.W]
    assert [e.matrix for e in fwd] == [f"W[{l}]" for l in range(L + 1)]
    assert [e.label for e in fwd][-1] == "$W_o$" and fwd[0].label == "$W^{(1)}$"
    assert not any(e.fixed for e in fwd)
    top, loss = _layer(L + 1), cs.Node("loss", L + 1)
    assert cs.Edge(top, loss, "", "loss", False, None, None) in edges
    assert cs.Edge(loss, top, "", "error", False, None, None) in edges
    assert {e.kind for e in edges} <= set(cs.KINDS)
    for e in edges:
        assert {e.source.role, e.target.role} <= set(cs.ROLES)
        assert (e.matrix is None) == (e.shape is None) == (e.label == "")
        if e.shape is not None:
            n_src, n_tgt = cs.node_size(e.source, sizes), cs.node_size(e.target, sizes)
            assert e.shape == ((n_src, n_tgt) if e.kind == "error" else (n_tgt, n_src)), e
        # dashed exactly where the library uses a fixed random matrix
        assert e.fixed == (e.matrix is not None and e.matrix[0] in "BHG"), e
        # errors between layers only go down, and none reaches the input
        if e.kind == "error" and e.source.role == e.target.role == "layer":
            assert e.target.layer < e.source.layer and e.target.layer >= 1, e
    assert not any(e.target.role == "layer" and e.target.layer == 0 for e in edges)


@pytest.mark.parametrize("sizes", SCHEME_SIZES)
def test_scheme_edges_bp_reuses_the_forward_weights(sizes):
    edges = cs.scheme_edges("bp", sizes)
    L = len(sizes) - 2
    fwd = {(e.source, e.target): e for e in edges if e.kind == "forward"}
    back = _between_layers(edges)
    assert [(e.source, e.target) for e in back] == [(_layer(l + 1), _layer(l))
                                                   for l in range(L, 0, -1)]
    for e in back:
        f = fwd[(e.target, e.source)]            # the forward edge it runs against
        assert (e.matrix, e.shape, e.fixed) == (f.matrix, f.shape, False)
        assert e.label == f.label.replace("$W_o$", r"$W_o^\top$").replace(")}$", r")\top}$")
    assert len(edges) == (L + 1) + 2 + L


@pytest.mark.parametrize("sizes", SCHEME_SIZES)
def test_scheme_edges_fa_is_bp_through_fixed_matrices(sizes):
    edges = cs.scheme_edges("fa", sizes)
    L = len(sizes) - 2
    back = _between_layers(edges)
    bp = _between_layers(cs.scheme_edges("bp", sizes))
    assert [(e.source, e.target) for e in back] == [(e.source, e.target) for e in bp]
    assert all(e.fixed for e in back)
    # B[l] for hidden layer l (0-based), of the shape of net.W[l+1]: the library's shapes
    by_index = sorted(back, key=lambda e: e.matrix)
    assert [e.matrix for e in by_index] == [f"B[{l}]" for l in range(L)]
    assert [e.shape for e in by_index] == feedback_shapes(_net(False, "zero", sizes), "fa")
    assert [e.shape for e in by_index] == [e.shape for e in bp][::-1]
    assert all(e.target.layer == int(e.matrix[2:-1]) + 1 for e in back)


@pytest.mark.parametrize("sizes", SCHEME_SIZES)
def test_scheme_edges_dfa_from_the_output_to_every_hidden_layer(sizes):
    edges = cs.scheme_edges("dfa", sizes)
    L = len(sizes) - 2
    back = _between_layers(edges)
    assert all(e.source == _layer(L + 1) for e in back), "DFA: errors come from the output only"
    assert sorted(e.target.layer for e in back) == list(range(1, L + 1))
    by_index = sorted(back, key=lambda e: e.matrix)
    assert [e.matrix for e in by_index] == [f"H[{l}]" for l in range(L)]
    assert [e.shape for e in by_index] == feedback_shapes(_net(False, "zero", sizes), "dfa")
    assert all(e.fixed and e.target.layer == int(e.matrix[2:-1]) + 1 for e in back)
    if L > 1:
        assert cs.fan_out(edges) == {_layer(L + 1)}


@pytest.mark.parametrize("sizes", SCHEME_SIZES)
def test_scheme_edges_local_errors_one_fixed_readout_per_layer(sizes):
    edges = cs.scheme_edges("local", sizes)
    L = len(sizes) - 2
    assert not _between_layers(edges), "local errors: no error edge between layers"
    shapes = feedback_shapes(_net(False, "zero", sizes), "local")
    for l in range(1, L + 1):
        local, local_loss = cs.Node("local", l), cs.Node("local_loss", l)
        out = [e for e in edges if e.source == _layer(l) and e.kind == "forward"
               and e.target.role == "local"]
        assert len(out) == 1 and out[0].target == local
        g = out[0]
        assert (g.matrix, g.shape, g.fixed, g.label) == (f"G[{l - 1}]", shapes[l - 1], True,
                                                         f"$G[{l - 1}]$")
        assert cs.Edge(local, local_loss, "", "loss", False, None, None) in edges
        assert cs.Edge(local_loss, local, "", "error", False, None, None) in edges
        into = [e for e in edges if e.target == _layer(l) and e.kind == "error"]
        assert len(into) == 1 and into[0].source == local
        assert (into[0].matrix, into[0].shape, into[0].fixed) == (g.matrix, g.shape, True)
    # every error edge stays within one layer's own readout loop (or the top's loss)
    for e in edges:
        if e.kind == "error":
            assert e.source.layer == e.target.layer, e


@pytest.mark.parametrize("scheme", cs.SCHEMES)
def test_scheme_layout_and_draw(scheme):
    sizes = (2, 3, 3, 3, 2)
    boxes = cs.layout(scheme, sizes)
    nodes = {nd for e in cs.scheme_edges(scheme, sizes) for nd in (e.source, e.target)}
    assert set(boxes) == nodes
    # boxes do not overlap
    items = list(boxes.values())
    for i, (x, y, w, h) in enumerate(items):
        for x2, y2, w2, h2 in items[i + 1:]:
            assert abs(x - x2) >= w + w2 or abs(y - y2) >= h + h2
    fig = style.new_figure(3, 5)
    ax = fig.add_axes([0, 0, 1, 1])
    x0, x1, y0, y1 = cs.draw(ax, scheme, sizes)
    assert all(x0 <= x - w and x + w <= x1 and y0 <= y - h and y + h <= y1
               for x, y, w, h in boxes.values())
    fig.canvas.draw()


def test_scheme_edges_validation():
    with pytest.raises(ValueError, match="scheme"):
        cs.scheme_edges("backprop")
    with pytest.raises(ValueError, match="sizes"):
        cs.scheme_edges("bp", [3, 2])
    with pytest.raises(ValueError, match=r"sizes\[1\]"):
        cs.scheme_edges("fa", [3, 0, 2])
    with pytest.raises(TypeError, match=r"sizes\[2\]"):
        cs.scheme_edges("dfa", [3, 4, 2.0])
    with pytest.raises(TypeError, match="sizes"):
        cs.scheme_edges("local", 5)
    with pytest.raises(TypeError, match="sizes"):
        cs.layout("bp", "342")
    with pytest.raises(ValueError, match="scheme"):
        cs.draw(None, "nope")


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

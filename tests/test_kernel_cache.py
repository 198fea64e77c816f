"""Kernels follow the source: an edit of any file of the package takes effect in the next process.

Numba's own cache checks only a kernel's defining file (``refsnn/kernel_cache.py``). The main
test works on a copy of the package in a temporary directory: a fresh process computes the
adjoints of one layer with ``grad/bptt.layer_backward`` (a kernel that compiles
``lif.spike_grad`` and ``surrogate.derivative`` into itself) and caches it; then the copy's
``surrogate.py`` and ``lif.py`` are edited to double the surrogate derivative, and new processes
must see the change. With a detached reset and no recurrence the adjoint is linear in ``F'``
(``gU[n] = F'(U[n] - theta) gS[n] + beta gU[n+1]``), and doubling every term is exact in
floating point, so the results must be exactly 2x and 4x the first. Without the keyed cache
the second process loads the stale ``layer_backward`` and returns the first result again.
"""
import importlib
import os
import pkgutil
import re
import shutil
import subprocess
import sys
import time

import numba
import numpy as np
import pytest

import refsnn
from refsnn import kernel_cache

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

SNIPPET = """
import sys
import numpy as np
import refsnn
from refsnn import LIFParams, Surrogate
from refsnn.grad.bptt import layer_adjoints
assert refsnn.__file__.startswith(sys.argv[1]), refsnn.__file__   # the copy, not the original
rng = np.random.default_rng(0)
B, T, N = 2, 30, 5
U = rng.normal(0.8, 0.5, (B, T, N))
I = rng.normal(0.0, 1.0, (B, T, N))
S = (U > 1.0).astype(float)
p = LIFParams(alpha=0.8, beta=0.9, reset="subtract", detach_reset=True)
gI, gU = layer_adjoints(I, U, S, None, p, Surrogate("superspike", 10.0),
                        rng.normal(size=(B, T, N)))
np.save(sys.argv[2], gU)
"""

# (file, text in it, replacement): each doubles the surrogate derivative that BPTT uses
EDITS = [
    ("surrogate.py", "return 1.0 / (d * d)", "return 2.0 / (d * d)"),
    ("lif.py", "return derivative(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)",
     "return 2.0 * derivative(nrn.sg_code, nrn.sg_scale, x, nrn.sg_sub)"),
]


def _run(work, out):
    env = dict(os.environ, NUMBA_CACHE_DIR=str(work / "user_cache"), PYTHONPATH=str(work))
    subprocess.run([sys.executable, "-c", SNIPPET, str(work / "refsnn"), str(out)], cwd=work,
                   env=env, check=True, capture_output=True, text=True)
    return np.load(out)


def _edit(path, old, new):
    text = path.read_text()
    assert text.count(old) == 1, f"{path.name} no longer contains {old!r}: update EDITS"
    path.write_text(text.replace(old, new))


def _keyed_dirs(work):
    return sorted(p.name for p in (work / "user_cache").iterdir())


def test_edits_take_effect_in_the_next_process(tmp_path):
    shutil.copytree(os.path.join(ROOT, "refsnn"), tmp_path / "refsnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    originals = {f: (tmp_path / "refsnn" / f).read_text() for f, _, _ in EDITS}
    g0 = _run(tmp_path, tmp_path / "g0.npy")
    assert np.any(g0 != 0)
    # the user's NUMBA_CACHE_DIR is respected: the keyed directory is made inside it
    assert len(_keyed_dirs(tmp_path)) == 1
    assert re.fullmatch(r"refsnn-[0-9a-f]{16}", _keyed_dirs(tmp_path)[0])

    _edit(tmp_path / "refsnn" / EDITS[0][0], *EDITS[0][1:])
    g1 = _run(tmp_path, tmp_path / "g1.npy")
    assert np.array_equal(g1, 2.0 * g0)

    _edit(tmp_path / "refsnn" / EDITS[1][0], *EDITS[1][1:])
    g2 = _run(tmp_path, tmp_path / "g2.npy")
    assert np.array_equal(g2, 4.0 * g0)
    assert len(_keyed_dirs(tmp_path)) == 3

    for f, text in originals.items():  # back to the first sources: their cache is reused
        (tmp_path / "refsnn" / f).write_text(text)
    g3 = _run(tmp_path, tmp_path / "g3.npy")
    assert np.array_equal(g3, g0)
    assert len(_keyed_dirs(tmp_path)) == 3


def _package_modules():
    names = []
    for info in pkgutil.walk_packages(refsnn.__path__, "refsnn."):
        if not info.name.endswith("__main__"):
            names.append(info.name)
    return names


def test_every_kernel_is_cached_in_the_keyed_directory():
    """Each kernel of the package, in any module, was decorated inside ``keyed_by_sources``
    (a module with kernels that ``import refsnn`` does not import would escape it)."""
    key = "refsnn-" + kernel_cache.source_hash()
    kernels = 0
    for name in _package_modules():
        module = importlib.import_module(name)
        for obj in vars(module).values():
            if isinstance(obj, numba.core.registry.CPUDispatcher) and obj.__module__ == name:
                path = getattr(obj._cache, "_cache_path", None)
                assert path is not None, f"{name}.{obj.__name__} is not cached (cache=True)"
                assert key in path.split(os.sep), f"{name}.{obj.__name__} caches in {path}"
                kernels += 1
    assert kernels >= 20
    assert numba.config.CACHE_DIR == os.environ.get("NUMBA_CACHE_DIR", "")  # restored


KERNEL = re.compile(r"\b(njit|jit|vectorize|guvectorize|stencil|cfunc|generated_jit)\b")


def test_unhashed_subpackages_have_no_kernels_and_no_importers():
    """Editing ``exercises/`` or ``figures/`` recompiles nothing; that is only safe if no kernel
    can depend on them."""
    for root, _, files in os.walk(kernel_cache.PACKAGE):
        rel = os.path.relpath(root, kernel_cache.PACKAGE).split(os.sep)
        for f in files:
            if not f.endswith(".py"):
                continue
            text = open(os.path.join(root, f)).read()
            if rel[0] in kernel_cache.KERNEL_FREE:
                assert not KERNEL.search(text), f"{root}/{f} defines a kernel: hash it (KERNEL_FREE)"
            else:
                for sub in kernel_cache.KERNEL_FREE:
                    assert not re.search(rf"(from|import)\s+(refsnn|\.+)\.?{sub}\b", text), \
                        f"{root}/{f} imports {sub}"


def test_hash_changes_with_any_kernel_file_and_is_cheap(tmp_path):
    shutil.copytree(kernel_cache.PACKAGE, tmp_path / "refsnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    pkg = str(tmp_path / "refsnn")
    h0 = kernel_cache.source_hash(pkg)
    assert h0 == kernel_cache.source_hash(kernel_cache.PACKAGE)  # contents, not location
    (tmp_path / "refsnn" / "exercises" / "lif_bptt.py").write_text("# a student's stub\n")
    assert kernel_cache.source_hash(pkg) == h0
    (tmp_path / "refsnn" / "grad" / "new_rule.py").write_text("X = 1\n")
    assert kernel_cache.source_hash(pkg) != h0
    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        kernel_cache.source_hash()
        times.append(time.perf_counter() - t0)
    assert sorted(times)[2] < 0.05  # measured: about 1 ms for ~200 kB


def test_prune_keeps_the_most_recently_used(tmp_path):
    names = [f"refsnn-{i:016x}" for i in range(6)]
    for i, n in enumerate(names):
        (tmp_path / n).mkdir()
        os.utime(tmp_path / n, (1000.0 + i, 1000.0 + i))
    (tmp_path / "someone-else").mkdir()
    kernel_cache.prune(str(tmp_path), str(tmp_path / names[0]), keep=3)
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == sorted([names[0], names[3], names[4], names[5], "someone-else"])


def test_unwritable_bases_fall_back(tmp_path, monkeypatch):
    shutil.copytree(kernel_cache.PACKAGE, tmp_path / "refsnn",
                    ignore=shutil.ignore_patterns("__pycache__"))
    pkg = tmp_path / "refsnn"
    (pkg / "__pycache__").write_text("not a directory")  # in-tree base cannot be created
    monkeypatch.setattr(numba.config, "CACHE_DIR", "")
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    path = kernel_cache.cache_dir(str(pkg))
    assert path == str(tmp_path / "xdg" / "refsnn" / ("refsnn-" + kernel_cache.source_hash()))
    blocked = tmp_path / "file"
    blocked.write_text("")
    monkeypatch.setattr(numba.config, "CACHE_DIR", str(blocked / "sub"))  # the user's, unusable
    assert kernel_cache.cache_dir(str(pkg)) is None  # Numba's own choice then
    with kernel_cache.keyed_by_sources(str(pkg)) as p:
        assert p is None and numba.config.CACHE_DIR == str(blocked / "sub")

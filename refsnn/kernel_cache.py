r"""Numba's on-disk kernel cache, keyed by a hash of the package's sources.

Numba's ``cache=True`` stamps a compiled kernel with the contents of *its own file* only. A
kernel of ``grad/bptt.py`` compiles ``surrogate.derivative`` and ``lif.spike_grad`` into
itself, so after an edit of ``surrogate.py`` or ``lif.py`` Numba would go on loading the old
machine code of every kernel outside the edited file. Here the whole package shares one cache
directory named after the sources:

.. math::

    \text{dir} = \text{base} / \texttt{refsnn-}h, \qquad
    h = \mathrm{SHA256}\bigl(\text{relative path}_k \,\|\, \text{contents}_k,\ k = 1..K\bigr)
        \text{ (first 16 hex digits)}

over the ``K`` ``.py`` files of the package, in sorted order, except the subpackages in
:data:`KERNEL_FREE`: they define no kernel and no module with kernels imports them
(``tests/test_kernel_cache.py`` checks both), so editing an exercise stub recompiles nothing.
Any other edit changes ``h``: the next process compiles each kernel afresh, once, into the new
directory. Hashing the sources (about 200 kB) and checking the directory take about 1 ms per
import (measured: 0.5-0.9 ms for the hash, 0.9 ms for :func:`cache_dir` on a loaded 2-core
machine), against 0.3-0.6 s for the whole ``import refsnn``.

``base`` is, in this order, the first that can be written to:

1. the user's own ``NUMBA_CACHE_DIR`` (``numba.config.CACHE_DIR``, or the environment), if set;
2. ``refsnn/__pycache__/numba``, beside the sources (removed by ``make clean``);
3. ``$XDG_CACHE_HOME/refsnn`` or ``~/.cache/refsnn`` (a read-only install).

If none is writable, Numba's own choice is left alone. Directories of older sources pile up
after edits, so a newly created one prunes its siblings down to the :data:`KEEP` most recently
used (each import marks its directory as used).

Import order: Numba fixes a kernel's cache directory when its ``@numba.njit`` decorator runs,
so ``refsnn/__init__.py`` imports every module with kernels inside :func:`keyed_by_sources`,
which sets ``numba.config.CACHE_DIR`` on entry and restores the previous value on exit: the
user's own cached functions, defined before or after, are not affected, and it works the same
whether ``numba`` was imported before ``refsnn`` or not.

Read next: :mod:`refsnn.surrogate`.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import tempfile
from contextlib import contextmanager

import numba

#: the package directory (this file's)
PACKAGE = os.path.dirname(os.path.abspath(__file__))

#: subpackages without kernels that no kernel module imports: left out of the hash
KERNEL_FREE = ("exercises", "experiments", "figures")

#: directories of older sources kept besides the current one's
KEEP = 3

_NAME = re.compile(r"refsnn-[0-9a-f]{16}\Z")


def source_hash(package=PACKAGE):
    """First 16 hex digits of the SHA-256 of the package's sources (module docstring)."""
    h = hashlib.sha256()
    for root, dirs, files in os.walk(package):
        if root == package:
            dirs[:] = [d for d in dirs if d not in KERNEL_FREE]
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith(".py"):
                path = os.path.join(root, name)
                h.update(os.path.relpath(path, package).replace(os.sep, "/").encode() + b"\0")
                with open(path, "rb") as f:
                    h.update(f.read())
                h.update(b"\0")
    return h.hexdigest()[:16]


def candidate_bases(package=PACKAGE):
    """The base directories of the module docstring, in order of preference."""
    # the environment too: set after numba's import, Numba itself reads it only at its next
    # configuration reload (its next compilation)
    user = numba.config.CACHE_DIR or os.environ.get("NUMBA_CACHE_DIR", "")
    if user:
        return [user]
    xdg = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return [os.path.join(package, "__pycache__", "numba"), os.path.join(xdg, "refsnn")]


def _writable_dir(path):
    """Create ``path`` if needed; True if a file can be written in it."""
    try:
        os.makedirs(path, exist_ok=True)
        tempfile.TemporaryFile(dir=path).close()
        return True
    except OSError:
        return False


def prune(base, current, keep=KEEP):
    """Remove the ``refsnn-*`` directories of ``base`` but ``current`` and the ``keep`` most
    recently used others. Never fails: another process may be pruning too."""
    try:
        others = [e for e in os.scandir(base)
                  if _NAME.match(e.name) and e.name != os.path.basename(current) and e.is_dir()]
        others.sort(key=lambda e: e.stat().st_mtime, reverse=True)
    except OSError:
        return
    for e in others[keep:]:
        shutil.rmtree(e.path, ignore_errors=True)


def cache_dir(package=PACKAGE):
    """The keyed cache directory (created, marked as used), or None if none is writable."""
    key = "refsnn-" + source_hash(package)
    for base in candidate_bases(package):
        path = os.path.join(base, key)
        new = not os.path.isdir(path)
        if _writable_dir(path):
            try:
                os.utime(path)  # "most recently used", for prune
            except OSError:
                pass
            if new:
                prune(base, path)
            return path
    return None


@contextmanager
def keyed_by_sources(package=PACKAGE):
    """Within the body, kernels decorated with ``cache=True`` use :func:`cache_dir`."""
    previous = numba.config.CACHE_DIR
    path = cache_dir(package)
    if path is not None:
        numba.config.CACHE_DIR = path
    try:
        yield path
    finally:
        numba.config.CACHE_DIR = previous

"""The result store of a sweep: one JSON file per finished run, named by the hash of the run.

A run is identified by its experiment's name, its config and its seed, and by nothing else.
Its **key** is the first :data:`KEY_LENGTH` hex digits of the SHA-256 of the *canonical JSON*
of ``{"config": config, "experiment": name, "seed": seed}``:

* keys sorted at every level, no spaces (``separators=(",", ":")``), ASCII only; so the order
  in which a dict was built does not change the key;
* tuples written as lists (``(100, 100)`` and ``[100, 100]`` are the same config); NumPy
  scalars as the Python numbers they hold; ``1`` and ``1.0`` stay different (an experiment may
  treat an int and a float differently), as do ``True`` and ``1``;
* refused, with an error naming the place: non-string dict keys, NaN and infinities (JSON has
  none), arrays and any other object.

Python's ``hash`` is never used, so the key is the same in every process and on every machine
(``PYTHONHASHSEED`` does not enter). The code of the experiment does not enter the key either:
after a change of an experiment's code, delete its store (or use a new one) to recompute.

:class:`RunStore` keeps ``DIR/KEY.json`` per run: the experiment, config, seed and key, the
metrics, the run's wall time, and where and with what it ran (:func:`versions`, the host).
Every file is written atomically: into a temporary file in ``DIR`` first, flushed to disk, then
renamed over the final name with ``os.replace``, so a sweep killed mid-write leaves either the
complete file or none. A run whose file exists is done; that is how a sweep resumes.

Metrics pass through JSON once (:func:`through_json`) whether they were just computed or read
back, so a resumed sweep returns exactly what an uninterrupted one returns (NaN included: the
store writes it as JSON's common extension ``NaN``; tuples become lists).

Read next: refsnn/experiments/sweep.py, the runner that fills the store.
"""
from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import platform
import subprocess
import tempfile
import warnings

import numpy as np

#: hex digits of the key (64 bits: a collision is not a concern for sweeps of any size, and the
#: stored config and seed are compared on reading anyway)
KEY_LENGTH = 16


def _canonical_value(obj, where):
    """``obj`` as plain JSON types (dict with str keys, list, str, int, float, bool, None)."""
    if isinstance(obj, dict):
        out = {}
        for k, v in obj.items():
            if not isinstance(k, str):
                raise TypeError(f"{where} has a key {k!r} of type {type(k).__name__}; "
                                "config keys must be strings")
            out[k] = _canonical_value(v, f"{where}[{k!r}]")
        return out
    if isinstance(obj, (list, tuple)):
        return [_canonical_value(v, f"{where}[{i}]") for i, v in enumerate(obj)]
    if obj is None or isinstance(obj, (str, bool)):
        return obj
    if isinstance(obj, np.bool_):
        return bool(obj)
    if isinstance(obj, (int, np.integer)):
        return int(obj)
    if isinstance(obj, (float, np.floating)):
        if not math.isfinite(obj):
            raise ValueError(f"{where} is {obj}; a config must be finite (JSON has no NaN)")
        return float(obj)
    raise TypeError(f"{where} is a {type(obj).__name__}; a config holds only dicts, lists, "
                    "strings, numbers, booleans and None")


def canonical_json(obj, name="config"):
    """The canonical JSON text of ``obj`` (module docstring); raises naming ``name``."""
    return json.dumps(_canonical_value(obj, name), sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True, allow_nan=False)


def check_seed(seed):
    """``seed`` as an int; TypeError for anything else (bools, floats, strings)."""
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__} {seed!r}")
    return int(seed)


def run_key(experiment, config, seed):
    """The key of one run: ``sha256(canonical_json({config, experiment, seed}))[:KEY_LENGTH]``.

    Parameters
    ----------
    experiment : str
        The experiment's ``NAME``.
    config : dict
        JSON-ready config (module docstring: what is refused).
    seed : int
    """
    if not isinstance(experiment, str) or not experiment:
        raise TypeError(f"experiment must be a non-empty str (its NAME), got {experiment!r}")
    if not isinstance(config, dict):
        raise TypeError(f"config must be a dict, got {type(config).__name__}")
    config = _canonical_value(config, "config")      # errors name config[...], not the wrapper
    text = canonical_json({"config": config, "experiment": experiment, "seed": check_seed(seed)})
    return hashlib.sha256(text.encode("ascii")).hexdigest()[:KEY_LENGTH]


def jsonable(obj):
    """``obj`` with NumPy scalars and arrays as Python numbers and lists, tuples as lists
    (NaN kept: :func:`through_json` writes it as ``NaN``)."""
    if isinstance(obj, dict):
        return {str(k): jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [jsonable(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return jsonable(obj.tolist())
    if isinstance(obj, np.generic):
        return obj.item()
    return obj


def through_json(obj):
    """``obj`` written to JSON text and read back: what the store returns for it."""
    try:
        return json.loads(json.dumps(jsonable(obj)))
    except TypeError as exc:
        raise TypeError(f"metrics must be JSON-ready (dicts, lists, numbers, strings): {exc}"
                        ) from None


def _git_commit(directory):
    """``git rev-parse HEAD`` of the repository holding ``directory`` (with ``+dirty`` if the
    work tree has changes), or None where there is no git or no repository."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=directory, capture_output=True,
                              text=True, timeout=10)
        if head.returncode != 0:
            return None
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                               cwd=directory, capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return head.stdout.strip() + ("+dirty" if dirty.stdout.strip() else "")


@functools.lru_cache(maxsize=None)
def versions():
    """What a result depends on besides its config and seed: the versions of refsnn, NumPy,
    Numba and Python, and the git commit of refsnn's source tree (None if not in git).
    Computed once per process."""
    import numba

    from .. import __version__
    here = os.path.dirname(os.path.abspath(__file__))
    return {"refsnn": __version__, "numpy": np.__version__, "numba": numba.__version__,
            "python": platform.python_version(), "git_commit": _git_commit(here)}


def atomic_write_json(path, obj):
    """Write ``obj`` as JSON to ``path`` atomically (temporary file, fsync, ``os.replace``)."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(obj, f, indent=1)
            f.write("\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


class RunStore:
    """A directory of finished runs, ``DIR/KEY.json`` each (module docstring).

    Parameters
    ----------
    directory : str or os.PathLike
        Created if missing. Several experiments may share one: the key includes the name.
    """

    def __init__(self, directory):
        if not isinstance(directory, (str, os.PathLike)):
            raise TypeError(f"store must be a path, got {type(directory).__name__}")
        directory = os.fspath(directory)
        if os.path.exists(directory) and not os.path.isdir(directory):
            raise ValueError(f"store {directory!r} exists and is not a directory")
        os.makedirs(directory, exist_ok=True)
        self.directory = directory

    def __repr__(self):
        return f"RunStore({self.directory!r})"

    def path(self, key):
        return os.path.join(self.directory, f"{key}.json")

    def load(self, key, experiment, config, seed):
        """The stored record of the run, or None if it has not finished.

        A file that cannot be read, or whose experiment, config or seed is not the run's (a
        hash collision, or a file copied from elsewhere), is reported with a warning and
        treated as missing: the run is done again and the file replaced.
        """
        path = self.path(key)
        if not os.path.exists(path):
            return None
        try:
            with open(path) as f:
                record = json.load(f)
            same = (record["experiment"] == experiment and record["seed"] == seed
                    and canonical_json(record["config"]) == canonical_json(config))
            record["metrics"]  # noqa: B018 - a record without metrics is unreadable
        except (OSError, ValueError, KeyError, TypeError) as exc:
            warnings.warn(f"unreadable run record {path} ({exc}); the run is done again",
                          stacklevel=2)
            return None
        if not same:
            warnings.warn(f"run record {path} holds another run; the run is done again",
                          stacklevel=2)
            return None
        return record

    def save(self, record):
        """Write one run's record (a dict with ``key``) to ``DIR/KEY.json`` atomically."""
        atomic_write_json(self.path(record["key"]), record)

    def keys(self):
        """Keys of the stored runs (sorted)."""
        return sorted(f[:-5] for f in os.listdir(self.directory)
                      if f.endswith(".json") and not f.startswith("."))


__all__ = ["KEY_LENGTH", "canonical_json", "run_key", "check_seed", "jsonable", "through_json",
           "versions", "atomic_write_json", "RunStore"]

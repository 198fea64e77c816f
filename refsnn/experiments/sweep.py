"""The sweep runner: every config x seed of an experiment, serially, in local processes, or on a
Dask cluster, each run stored as it finishes so that an interrupted sweep resumes.

A **sweep** is a list of configs and a list of seeds; every config runs with every seed. The
configs are a list of dicts, or a grid, a dict of lists whose product they are
(:func:`grid`), or come from the experiment (``experiment.sweep(size)``). One run is
``experiment.run(config, seed) -> metrics``; it must depend on nothing else, so its result
is keyed by the hash of its experiment name, config and seed (:mod:`refsnn.experiments.store`).

Backends (:data:`BACKENDS`), all giving the same metrics to the last bit (the kernels are
deterministic for any thread count, docs/design.md §12.5):

* ``"serial"``: one run after another in this process (the default of :func:`run_sweep`;
  ``make figures`` uses it; a debugger can step into a run);
* ``"loky"``: joblib's process pool on this machine, ``n_jobs`` processes (default: one per
  core; the default of ``python -m refsnn.experiments``);
* ``"dask"``: joblib's Dask backend on the ``distributed`` cluster whose scheduler is at
  ``scheduler`` (``tcp://host:8786``); ``n_jobs`` defaults to every worker thread. The workers
  need refsnn (the same version: each run records the worker's :func:`store.versions`).

In a worker each run is executed with ``numba_threads`` Numba threads (default 1, so that
``n_jobs`` processes on ``n_jobs`` cores do not oversubscribe them; set ``NUMBA_NUM_THREADS=1``
in the workers' environment as well to spare the idle thread pools). The serial backend keeps the
caller's setting.

With a ``store`` directory every run's record is written as its result returns to this process
(atomically), and runs whose record exists are not run again: rerunning a finished sweep runs
nothing, and a sweep stopped by Ctrl-C, a killed job or a failing run resumes where it stopped.
A run that raises does not stop the others; after the rest have finished (and been stored),
:class:`SweepError` names the failed runs with the worker's traceback. Results come back in any
order; the returned ``runs`` are in config-major order regardless.

>>> from refsnn.experiments import sweep   # doctest: +SKIP
>>> res = sweep.run_sweep("feedback_comparison", "quick", backend="loky", n_jobs=2,
...                       store="runs/")   # doctest: +SKIP

Read next: refsnn/experiments/__main__.py, the command line on top of this.
"""
from __future__ import annotations

import itertools
import os
import platform
import time
import traceback

from . import store as _store

BACKENDS = ("serial", "loky", "dask")


class SweepError(RuntimeError):
    """Some runs of a sweep raised; the others finished (and were stored)."""

    def __init__(self, message, failures):
        super().__init__(message)
        #: list of ``{"config": index, "seed": s, "key": k, "error": traceback text}``
        self.failures = failures


def grid(axes, base=None):
    """The configs of a grid: ``base`` updated with every combination of ``axes``' values.

    Parameters
    ----------
    axes : dict of str -> list
        Each value a non-empty list (or tuple) of the values of that key. The product runs in
        the order of the dict, the last key fastest.
    base : dict, optional
        What every config shares; a key may not be both in ``base`` and ``axes``.

    Returns
    -------
    list of dict

    >>> grid({"lr": [1e-3, 1e-2], "rule": ["fa", "bptt"]}, base={"epochs": 3})[1]
    {'epochs': 3, 'lr': 0.001, 'rule': 'bptt'}
    """
    if not isinstance(axes, dict) or not axes:
        raise TypeError(f"axes must be a non-empty dict of lists, got {axes!r}")
    base = {} if base is None else base
    if not isinstance(base, dict):
        raise TypeError(f"base must be a dict, got {type(base).__name__}")
    for k, values in axes.items():
        if not isinstance(values, (list, tuple)) or len(values) == 0:
            raise ValueError(f"axes[{k!r}] must be a non-empty list of values, got {values!r}")
        if k in base:
            raise ValueError(f"key {k!r} is both in base and in axes")
    keys = list(axes)
    return [dict(base, **dict(zip(keys, combo))) for combo in itertools.product(*axes.values())]


def resolve_experiment(experiment):
    """The experiment object: a registered name (:data:`refsnn.experiments.EXPERIMENTS`) or an
    object with ``NAME`` (str) and ``run`` (callable)."""
    if isinstance(experiment, str):
        from . import EXPERIMENTS
        if experiment not in EXPERIMENTS:
            raise ValueError(f"unknown experiment {experiment!r}; registered: "
                             f"{', '.join(EXPERIMENTS)}")
        return EXPERIMENTS[experiment]
    if not isinstance(getattr(experiment, "NAME", None), str) or \
            not callable(getattr(experiment, "run", None)):
        raise TypeError("experiment must be a registered name or an object with NAME (str) and "
                        f"run(config, seed), got {experiment!r}")
    return experiment


def plan(experiment, size):
    """``(size_label, configs, seeds)`` of a sweep: ``size`` is a size name passed to
    ``experiment.sweep`` or a pair ``(configs, seeds)``, configs a list of dicts or a grid
    (dict of lists). Checks every config and seed (their keys must compute) and refuses a
    config x seed that occurs twice."""
    if isinstance(size, str):
        if not callable(getattr(experiment, "sweep", None)):
            raise TypeError(f"experiment {experiment.NAME!r} has no sweep(size); pass "
                            "(configs, seeds)")
        label, (configs, seeds) = size, experiment.sweep(size)
    elif isinstance(size, (tuple, list)) and len(size) == 2:
        label, (configs, seeds) = "custom", size
    else:
        raise TypeError(f"size must be a size name (str) or a pair (configs, seeds), got {size!r}")
    if isinstance(configs, dict):
        configs = grid(configs)
    if not isinstance(configs, (list, tuple)) or not configs:
        raise ValueError("configs must be a non-empty list of dicts or a grid (dict of lists)")
    if not isinstance(seeds, (list, tuple, range)) or len(seeds) == 0:
        raise ValueError(f"seeds must be a non-empty list of ints, got {seeds!r}")
    seeds = [_store.check_seed(s) for s in seeds]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds contain duplicates: {seeds}")
    configs = [_store.through_json(_copy_config(c, i)) for i, c in enumerate(configs)]
    seen = {}
    for i, c in enumerate(configs):
        text = _store.canonical_json(c, f"configs[{i}]")
        if text in seen:
            raise ValueError(f"configs[{seen[text]}] and configs[{i}] are the same config")
        seen[text] = i
    return label, configs, seeds


def _copy_config(config, i):
    if not isinstance(config, dict):
        raise TypeError(f"configs[{i}] must be a dict, got {type(config).__name__}")
    _store.canonical_json(config, f"configs[{i}]")   # refuse what cannot be keyed, naming it
    return config


def execute(run, config, seed, numba_threads=None):
    """One run, as a worker executes it: ``run(config, seed)`` on ``numba_threads`` threads
    (None: the caller's); returns its record without ``key`` (metrics through JSON, wall
    time, host, versions) or, if it raised, ``{"error": traceback text}``."""
    import numba
    before = numba.get_num_threads()
    if numba_threads is not None:
        numba.set_num_threads(max(1, min(int(numba_threads), numba.config.NUMBA_NUM_THREADS)))
    t0 = time.perf_counter()
    try:
        metrics = _store.through_json(run(config, seed))
    except Exception:  # noqa: BLE001 - reported by the runner, which runs the others on
        return {"error": traceback.format_exc()}
    finally:
        numba.set_num_threads(before)
    return {"metrics": metrics, "seconds": time.perf_counter() - t0,
            "host": platform.node(), "pid": os.getpid(), "versions": _store.versions()}


def check_backend(backend, n_jobs=None, scheduler=None):
    """``(backend, n_jobs)`` after checking that they go together; ``n_jobs`` None becomes 1
    (serial) or -1 (every core, every Dask worker thread)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {BACKENDS}, got {backend!r}")
    if backend == "dask":
        if scheduler is None:
            raise ValueError("backend 'dask' needs a scheduler address (tcp://host:8786)")
        if not isinstance(scheduler, str) or not scheduler:
            raise TypeError(f"scheduler must be an address (str), got {scheduler!r}")
    elif scheduler is not None:
        raise ValueError(f"scheduler is only for backend 'dask' (backend is {backend!r})")
    if n_jobs is None:
        return backend, 1 if backend == "serial" else -1
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int):
        raise TypeError(f"n_jobs must be an int, got {type(n_jobs).__name__}")
    if n_jobs == 0 or n_jobs < -1:
        raise ValueError(f"n_jobs must be >= 1, or -1 for all, got {n_jobs}")
    if backend == "serial" and n_jobs != 1:
        raise ValueError(f"backend 'serial' runs one job at a time; n_jobs={n_jobs} needs "
                         "backend 'loky' or 'dask'")
    return backend, n_jobs


def _serial(tasks, run):
    for index, config, seed in tasks:
        yield index, execute(run, config, seed)


def _joblib(tasks, run, backend, n_jobs, scheduler, numba_threads):
    """Yield ``(index, record)`` as joblib returns them (in order of completion)."""
    from joblib import Parallel, delayed, parallel_config

    def jobs():
        return Parallel(return_as="generator_unordered")(
            delayed(_indexed)(index, run, config, seed, numba_threads)
            for index, config, seed in tasks)

    if backend == "loky":
        with parallel_config(backend="loky", n_jobs=n_jobs):
            yield from jobs()
        return
    from distributed import Client
    with Client(scheduler, set_as_default=True) as client:
        check_cluster(client)
        with parallel_config(backend="dask", n_jobs=n_jobs, client=client):
            yield from jobs()


def check_cluster(client, expected=None):
    """Refuse a Dask cluster whose scheduler or workers run another refsnn (or none).

    The scheduler unpickles the task graph and the workers run it, so each needs the same
    refsnn: a scheduler that cannot import the runner leaves the tasks pending forever. Each
    reports :func:`store.versions` (refsnn, NumPy, Numba, Python, git commit), compared with
    ``expected`` (default: this process's). Raises RuntimeError naming the first difference,
    or if no worker is connected.
    """
    expected = _store.versions() if expected is None else expected
    try:
        found = {f"worker {w}": v for w, v in client.run(_store.versions).items()}
        if not found:
            raise RuntimeError(f"the Dask cluster at {client.scheduler.address} has no workers")
        found["the scheduler"] = client.run_on_scheduler(_store.versions)
    except RuntimeError:
        raise
    except Exception as exc:  # noqa: BLE001 - e.g. ModuleNotFoundError on the other side
        raise RuntimeError(f"the Dask cluster cannot run refsnn's sweep code "
                           f"({type(exc).__name__}: {exc}); the scheduler and every worker need "
                           f"the same refsnn as this process ({expected})") from None
    for where, v in found.items():
        if v != expected:
            diff = {k: (v.get(k), expected.get(k)) for k in set(v) | set(expected)
                    if v.get(k) != expected.get(k)}
            raise RuntimeError(f"{where} runs other versions than this process "
                               f"(theirs, ours): {diff}")


def _indexed(index, run, config, seed, numba_threads):
    return index, execute(run, config, seed, numba_threads)


def _describe(config, seed, keys=("task", "rule")):
    shown = " ".join(str(config[k]) for k in keys if k in config)
    return (shown + " " if shown else "") + f"seed {seed}"


def run_sweep(experiment, size="small", progress=True, *, backend="serial", n_jobs=None,
              scheduler=None, store=None, resume=True, numba_threads=1):
    """Run every config x seed of a sweep (module docstring); returns the results.

    Parameters
    ----------
    experiment : str or module
        A registered name or an object with ``NAME`` and ``run`` (and ``sweep`` for a size
        name).
    size : str or (configs, seeds)
        ``"quick"``, ``"small"``, ``"full"`` (``experiment.sweep(size)``), or the sweep itself:
        configs a list of dicts or a grid (dict of lists), seeds a list of ints.
    progress : bool
        A progress bar over the runs, advanced as their results return.
    backend : {"serial", "loky", "dask"}
    n_jobs : int, optional
        Parallel jobs (:func:`check_backend`: 1 for serial, else -1, every core or worker).
    scheduler : str, optional
        The Dask scheduler's address; only, and required, with ``backend="dask"``.
    store : str or os.PathLike, optional
        Directory of run records (:class:`refsnn.experiments.store.RunStore`): finished runs
        are read from it, new ones written to it as they finish. None: nothing stored.
    resume : bool
        Read finished runs from ``store`` (default); False recomputes every run and overwrites
        its record.
    numba_threads : int or None
        Numba threads per run in a worker process (loky, dask); None keeps theirs.

    Returns
    -------
    dict
        ``experiment``, ``size``, ``seeds``, ``configs`` (as stored: through JSON), ``runs``
        (``{"config": index, "seed", "key", "metrics", "seconds", "host"}`` in config-major
        order), ``executed`` (runs done by this call) and ``stored`` (read from the store),
        ``backend``, ``n_jobs``, ``versions`` (this process's), ``conditions`` at the start and
        the end, ``seconds`` in total.

    Raises
    ------
    SweepError
        If runs raised (after every other run finished); they are not stored.
    """
    from tqdm.std import tqdm

    from . import conditions
    experiment = resolve_experiment(experiment)
    label, configs, seeds = plan(experiment, size)
    backend, n_jobs = check_backend(backend, n_jobs, scheduler)
    if numba_threads is not None and (isinstance(numba_threads, bool)
                                      or not isinstance(numba_threads, int)
                                      or numba_threads < 1):
        raise ValueError(f"numba_threads must be an int >= 1 or None, got {numba_threads!r}")
    if not isinstance(resume, bool):
        raise TypeError(f"resume must be a bool, got {type(resume).__name__}")
    runs_store = None if store is None else _store.RunStore(store)
    start, t0 = conditions(), time.perf_counter()
    name = experiment.NAME
    todo = [(i, s) for i in range(len(configs)) for s in seeds]
    keys = [_store.run_key(name, configs[i], s) for i, s in todo]
    records = [None] * len(todo)
    if runs_store is not None and resume:
        for j, (i, s) in enumerate(todo):
            records[j] = runs_store.load(keys[j], name, configs[i], s)
    pending = [(j, configs[todo[j][0]], todo[j][1]) for j, r in enumerate(records) if r is None]
    stored = len(todo) - len(pending)
    bar = tqdm(total=len(todo), initial=stored, disable=not progress, desc=name, unit="run")
    describe = getattr(experiment, "DESCRIBE", ("task", "rule"))   # config keys in the bar
    failures = []
    try:
        if backend == "serial":
            results = _serial(pending, experiment.run)
        else:
            results = _joblib(pending, experiment.run, backend, n_jobs, scheduler, numba_threads)
        for j, record in results:
            i, s = todo[j]
            if "error" in record:
                failures.append({"config": i, "seed": s, "key": keys[j],
                                 "error": record["error"]})
            else:
                record = dict(experiment=name, config=configs[i], seed=s, key=keys[j],
                              **record)
                if runs_store is not None:
                    runs_store.save(record)
                records[j] = record
            bar.set_postfix_str(_describe(configs[i], s, describe))
            bar.update(1)
    finally:
        bar.close()
    if failures:
        first = failures[0]
        raise SweepError(
            f"{len(failures)} of {len(todo)} runs of {name} raised (the others "
            f"{'were stored' if runs_store else 'finished'}): "
            + ", ".join(f"config {f['config']} seed {f['seed']}" for f in failures)
            + f"\nfirst failure (config {first['config']}, seed {first['seed']}):\n"
            + first["error"], failures)
    runs = [{"config": i, "seed": s, "key": keys[j], "metrics": records[j]["metrics"],
             "seconds": records[j].get("seconds"), "host": records[j].get("host")}
            for j, (i, s) in enumerate(todo)]
    return {"experiment": name, "size": label, "seeds": seeds, "configs": configs,
            "runs": runs, "executed": len(pending), "stored": stored, "backend": backend,
            "n_jobs": n_jobs, "versions": _store.versions(),
            "conditions": {"start": start, "end": conditions()},
            "seconds": time.perf_counter() - t0}


__all__ = ["BACKENDS", "SweepError", "grid", "plan", "execute", "check_backend", "check_cluster",
           "run_sweep", "resolve_experiment"]

r"""How the parallel kernels use their threads: quiet when waiting, and as many as the work pays for.

The batch-parallel kernels (``numba.prange`` in :mod:`refsnn.lif`, :mod:`refsnn.events` and
:mod:`refsnn.grad.bptt`) pay a fixed price per parallel region: waking the other threads and
waiting for them at the end. Numba runs them on its OpenMP threading layer here (``numba -s``:
TBB is not installed, so Numba's default order tbb, omp, workqueue picks ``omp``, the system's
GNU ``libgomp``). GNU OpenMP's threads *busy-wait* after each region (``GOMP_SPINCOUNT`` = 300 000
iterations by default, about 8 ms of CPU measured here) before they sleep. In a loop of small
calls the idle thread therefore never sleeps and occupies a core; beside another busy process
the threads, the spinning one and the other program compete for the cores, and every region
waits until the operating system runs a descheduled thread again (300 tiny calls: 0.3 s with
one thread, 2-8 s with two on a loaded machine). Two measures:

1. **Threads that soon sleep when they wait.** On import, unless the user has chosen a policy
   (``OMP_WAIT_POLICY`` or ``GOMP_SPINCOUNT`` is set), :func:`quiet_openmp` starts Numba's
   threading layer with ``GOMP_SPINCOUNT`` = :data:`SPIN_COUNT` (the OpenMP runtime reads its
   environment when it is loaded) and then removes the variable again, so that other programs
   and child processes are unaffected. That is about 0.3 ms of spinning instead of 8 ms: long
   enough to bridge most gaps between the kernels of one call (a thread woken from sleep costs
   50-100 us here; ``OMP_WAIT_POLICY=PASSIVE`` made a 100-64-10, B=32 forward 1.7x slower on
   the idle machine), short enough that a waiting thread does not hold a core for long (beside
   two busy processes that forward+BPTT took 56 ms before this change, 7 ms with it, 3 ms on
   one thread).
   No effect if GNU OpenMP was already loaded (Numba used in parallel before ``import
   refsnn``), nor with another OpenMP runtime (there ``KMP_BLOCKTIME`` or
   ``OMP_WAIT_POLICY=PASSIVE`` would be the user's choice), nor on the TBB or workqueue layers.
2. **As many threads as the work pays for.** Each public entry point that launches such kernels
   (:meth:`refsnn.Network.simulate`, :func:`refsnn.bptt`,
   :func:`refsnn.grad.bptt.weight_gradient`, :func:`refsnn.grad.bptt.error_to_input`) is
   decorated with :func:`sized_by`, which estimates the multiply-adds ``w`` of the call and runs
   it on

   .. math::

       n = \min\bigl(n_{\max},\ u,\ \max(1, \lfloor w / w_{\min} \rfloor)\bigr)

   threads, ``n_max`` being the caller's ``numba.get_num_threads()`` (``NUMBA_NUM_THREADS``, or
   what the user set with ``numba.set_num_threads``), ``u`` the number of independent pieces the
   kernel splits (samples, or presynaptic rows) and ``w_min`` = :data:`WORK_PER_THREAD`. Small
   calls never wake the other threads; large calls keep every thread. Nested entry points
   (``bptt`` calling ``weight_gradient``) each choose for their own work, all bounded by the
   outermost caller's ``n_max``.

The kernels give bit-identical results for any thread count (``tests/test_determinism.py``), so
neither measure changes a result, only the time (``python -m benchmarks.small_calls``).

Read next: :mod:`refsnn.grad.bptt`.
"""
from __future__ import annotations

import functools
import os
import threading
from contextlib import contextmanager

import numba
import numpy as np

#: multiply-adds that make a second thread pay: about 0.3-1 ms of serial work, far above the
#: wake-up and barrier cost of an idle machine (microseconds), and of the order of the delays
#: beside other busy processes (benchmarks/small_calls.py)
WORK_PER_THREAD = 1 << 19

_state = threading.local()  # the outermost caller's thread count, while a sized call runs

#: environment variables with which a user chooses how GNU OpenMP threads wait
USER_WAIT_SETTINGS = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")

#: busy-wait iterations of a GNU OpenMP thread before it sleeps (about 30 ns each here; GNU's
#: default is 300 000, ``OMP_WAIT_POLICY=PASSIVE`` means 0)
SPIN_COUNT = 10000


def quiet_openmp():
    """Start Numba's threads with ``GOMP_SPINCOUNT=SPIN_COUNT`` (measure 1 of the module
    docstring); True if applied, False if the user's own setting is kept."""
    if any(name in os.environ for name in USER_WAIT_SETTINGS):
        return False
    os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
    try:
        numba.get_num_threads()  # loads the threading layer, which reads the environment now
    except Exception:  # noqa: BLE001 - e.g. an unavailable NUMBA_THREADING_LAYER: the first
        pass           # parallel kernel reports it in Numba's words
    finally:
        del os.environ["GOMP_SPINCOUNT"]
    return True


quiet_openmp()  # on import, before any kernel runs


def thread_count(work, units, n_max):
    """``min(n_max, units, max(1, work // WORK_PER_THREAD))`` (module docstring)."""
    return int(max(1, min(n_max, units, work // WORK_PER_THREAD)))


@contextmanager
def threads_for(work, units):
    """Run the body on :func:`thread_count` threads; ``work=None`` keeps the caller's count.

    Yields the thread count used. Restores the previous count on exit (Numba's count is per
    calling thread, so concurrent callers do not see each other's choice).
    """
    outer = getattr(_state, "n_max", None)
    before = numba.get_num_threads()
    n_max = before if outer is None else outer
    n = n_max if work is None else thread_count(work, units, n_max)
    _state.n_max = n_max
    try:
        if n != before:
            numba.set_num_threads(n)
        yield n
    finally:
        if n != before:
            numba.set_num_threads(before)
        _state.n_max = outer


def sized_by(estimate):
    """Decorator: run ``fn(*args)`` inside ``threads_for(*estimate(*args))``.

    ``estimate`` takes the arguments of ``fn`` and returns ``(work, units)``. It must not
    validate: if it raises (a malformed argument), the call runs with the caller's thread
    count and ``fn`` reports the error in its own words.
    """
    def decorate(fn):
        @functools.wraps(fn)
        def sized(*args, **kwargs):
            try:
                work, units = estimate(*args, **kwargs)
            except Exception:  # noqa: BLE001 - fn itself raises the proper error
                work, units = None, 1
            with threads_for(work, units):
                return fn(*args, **kwargs)
        return sized
    return decorate


def _network_work(net, shape):
    """Multiply-adds of one forward (or one backward sweep) of ``net`` on ``(B, T, .)``: per
    step and layer ``N_l (N_{l-1} + N_l)`` (input and recurrent weights), readout
    ``N_o N_L``."""
    B, T = int(shape[0]), int(shape[1])
    sizes = net.sizes
    per_step = 0
    for l in range(1, len(sizes)):
        recurrent = l < len(sizes) - 1 and net.V[l - 1] is not None
        per_step += sizes[l] * (sizes[l - 1] + (sizes[l] if recurrent else 0))
    return B * T * per_step, B


def simulate_work(net, x, *args, **kwargs):
    """``(work, samples)`` of ``net.simulate(x, ...)``."""
    return _network_work(net, np.shape(x))


def bptt_work(net, trace, *args, **kwargs):
    """``(work, samples)`` of ``bptt(net, trace, d_readout)``'s backward sweep."""
    return _network_work(net, np.shape(trace.x))


def outer_sum_work(g_next, s_prev, events=None):
    """``(work, presynaptic rows)`` of ``weight_gradient(g_next, s_prev, events)``."""
    B, T, N_g = np.shape(g_next)
    N_s = np.shape(s_prev)[2]
    if events is not None:
        return events.val.size * N_g, N_s
    return B * T * N_s * N_g, N_s


def matvec_work(gI, W):
    """``(work, samples)`` of ``error_to_input(gI, W)``."""
    B, T, _ = np.shape(gI)
    return B * T * int(np.prod(np.shape(W))), B

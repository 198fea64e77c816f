"""Run a student's function in a child process, with a time limit, and report what it did.

The grader (:mod:`refsnn.exercises.core`) never imports a submission itself. It starts
``python -m refsnn.exercises.child`` (:mod:`refsnn.exercises.child`) as a separate process in a session of its own, sends it
the arguments of each call and reads back the returned arrays. Everything that decides a
verdict (the reference gradients, the comparison, the report) stays in the grader's process,
where the student's code cannot reach it.

What the child does, and how the parent sees it:

* **Isolation.** The child imports the file and calls the function; the parent waits for each
  reply at most ``timeout`` seconds. A reply that does not come (an endless loop, a sleep), a
  process that ends (``sys.exit`` and ``os._exit`` at import or inside the function, a crash)
  and an exception (``KeyboardInterrupt`` included) each become an :class:`Outcome` with a
  plain sentence and the line of the student's file that was running: a trace function keeps
  the current line in a small shared file, so it is known even after ``os._exit`` or a kill.
* **Untrusted replies.** The child sends a JSON header and raw array bytes; the parent builds
  the arrays with :func:`numpy.frombuffer` from a whitelist of dtypes. Nothing the child sends
  is unpickled, so no object of the student's runs code in the grader.
* **Borrowed answers.** While the student's code runs, every call into refsnn's own code other
  than the two argument objects the stub names (``params``, a :class:`refsnn.LIFParams`, and
  ``surrogate``, a :class:`refsnn.Surrogate`: ``refsnn/lif.py`` and ``refsnn/surrogate.py``)
  is recorded: Python functions through the trace function, the compiled kernels (which a
  trace function cannot see) through tripwires put in their place in the child. The grader's
  static check of the file's imports (:func:`refsnn.exercises.core.static_check`) catches the
  same at the import line. A student may import NumPy, ``math`` and the rest of the standard
  library.
* **Tampering.** Replacing the trace function (``sys.settrace``) is reported.

A student who sets out to defeat these checks from inside the child (rewriting refsnn's files
on disk, say) is beyond what a grader can prevent; every other way of passing needs a correct
gradient.

Read next: refsnn/exercises/child.py, the other side, then refsnn/exercises/networks.py and
refsnn/exercises/rtrl_step.py, the second spec.
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field

import numpy as np

#: dtypes the parent accepts in a reply (anything else is reported by its name)
DTYPES = {"float64", "float32", "float16", "longdouble", "complex128", "complex64", "int64",
          "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "bool"}
#: phases written to the shared line file
PHASE_IMPORT, PHASE_CALL = 1, 2
HEADER = struct.Struct("<q")


@dataclass
class Outcome:
    """What one step of the child did.

    ``status``: ``"ok"`` (``values`` holds the reply), ``"raised"``, ``"not_implemented"``,
    ``"exit"``, ``"died"``, ``"timeout"``, ``"borrowed"``, ``"tampered"`` or ``"garbled"``.
    ``message`` is one plain sentence; ``line`` and ``code`` locate it in the student's file.
    """

    status: str
    values: list = field(default_factory=list)
    message: str = ""
    line: int = 0
    code: str = ""
    info: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.status == "ok"


# ====================================================================== parent side
class Sandbox:
    """The child process of one grading run (a context manager)."""

    def __init__(self, path, function, timeout=30.0, budget=None):
        self.path, self.function = os.path.abspath(path), function
        self.timeout = float(timeout)
        self.budget = None if budget is None else float(budget)
        self.used = 0.0
        self.lines = _read_lines(self.path)
        fd, self._line_file = tempfile.mkstemp(prefix="refsnn-grader-", suffix=".line")
        os.write(fd, b"\0" * 16)
        os.close(fd)
        self._log = tempfile.TemporaryFile()
        parent, child = socket.socketpair()
        self._sock = parent
        path_entries = [os.path.dirname(_PKG)] + [p for p in os.environ.get(
            "PYTHONPATH", "").split(os.pathsep) if p]
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(path_entries), OMP_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1",
                   MKL_NUM_THREADS="1", NUMBA_NUM_THREADS="1", PYTHONDONTWRITEBYTECODE="1")
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "refsnn.exercises.child", str(child.fileno()),
             self.path, function, self._line_file],
            pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=env, start_new_session=True)
        child.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def load(self) -> Outcome:
        """Wait for the child to import the file; ``info["parameters"]`` names the function's
        parameters (``None`` if the file defines no such function)."""
        return self._receive(PHASE_IMPORT)

    def call(self, *args) -> Outcome:
        """Call the student's function with ``args`` (the child gets copies)."""
        try:
            data = pickle.dumps(("call", args), protocol=pickle.HIGHEST_PROTOCOL)
            self._sock.sendall(HEADER.pack(len(data)) + data)
        except OSError:
            return self._dead(PHASE_CALL)
        return self._receive(PHASE_CALL)

    def close(self):
        """End the child (and anything it started) and remove the temporary files."""
        if self._proc.poll() is None:
            try:
                os.killpg(self._proc.pid, signal.SIGKILL)
            except OSError:
                pass
        self._proc.wait()
        self._sock.close()
        self._log.close()
        if os.path.exists(self._line_file):
            os.unlink(self._line_file)

    # ------------------------------------------------------------------ replies
    def _receive(self, phase) -> Outcome:
        limit = self.timeout
        if self.budget is not None:
            limit = min(limit, max(self.budget - self.used, 0.0))
        t0 = time.perf_counter()
        try:
            self._sock.settimeout(limit)
            head = recv_exactly(self._sock, HEADER.size)
            if head is None:
                return self._dead(phase)
            (size,) = HEADER.unpack(head)
            payload = recv_exactly(self._sock, size) if 0 <= size < 2 ** 34 else None
            if payload is None:
                return self._dead(phase)
        except (socket.timeout, TimeoutError):
            self.used += time.perf_counter() - t0
            return self._timed_out(phase, limit)
        except OSError:
            return self._dead(phase)
        self.used += time.perf_counter() - t0
        return self._parse(payload)

    def _where(self):
        """``(phase, line)`` last written by the child's trace function."""
        with open(self._line_file, "rb") as fh:
            phase, line = struct.unpack("<qq", fh.read(16))
        return phase, line

    def _located(self, outcome, line):
        outcome.line = int(line)
        if 0 < line <= len(self.lines):
            outcome.code = self.lines[line - 1].strip()
        return outcome

    def _timed_out(self, phase, limit):
        _, line = self._where()
        self.close()
        what = "importing your file" if phase == PHASE_IMPORT else f"one call of {self.function}"
        if self.budget is not None and self.used >= self.budget - 1e-9:
            msg = (f"your code used up the grading run's time budget of {self.budget:g} s "
                   f"(a correct solution needs well under a second); stopped while {what}")
        else:
            msg = f"{what} took longer than the time limit of {limit:g} s and was stopped"
        return self._located(Outcome("timeout", message=msg), line)

    def _dead(self, phase):
        try:
            code = self._proc.wait(timeout=5.0)
        except subprocess.TimeoutExpired:  # it closed the socket but lives on
            os.killpg(self._proc.pid, signal.SIGKILL)
            code = self._proc.wait()
        _, line = self._where()
        when = "while importing your file" if phase == PHASE_IMPORT else \
            f"inside {self.function}"
        if code is not None and code < 0:
            how = f"was killed by signal {signal.Signals(-code).name}"
        else:
            how = f"exited with code {code} (os._exit or a crash)"
        out = Outcome("died", message=f"the process running your code {how} {when}; no "
                      "result came back")
        self._log.seek(0)
        tail = self._log.read()[-2000:].decode("utf-8", "replace").strip()
        if tail:
            out.info["output"] = tail
        return self._located(out, line)

    def _parse(self, payload) -> Outcome:
        try:
            (n,) = struct.unpack("<q", payload[:8])
            header = json.loads(payload[8:8 + n].decode("utf-8"))
            status = str(header["status"])
            out = Outcome(status, message=str(header.get("message", ""))[:2000])
            info = header.get("info", {})
            if isinstance(info, dict):
                out.info = {str(k): v for k, v in info.items()}
            buf, offset = payload[8 + n:], 0
            for item in header.get("values", []):
                value, offset = _decode(item, buf, offset)
                out.values.append(value)
            line = header.get("line", 0)
            return self._located(out, line if isinstance(line, int) else 0)
        except Exception:  # noqa: BLE001 -- anything malformed is the child's doing
            return Outcome("garbled", message="the process running your code sent a reply "
                           "that is not a valid result")


class Other:
    """A returned value that is not an array: only its type name travels."""

    def __init__(self, type_name):
        self.type_name = type_name

    def __repr__(self):
        return f"<{self.type_name}>"


def kind(value):
    """How a returned ``value`` is named in a message: None, a type name, an array's shape."""
    if value is None:
        return "None"
    if isinstance(value, Other):
        return f"a {value.type_name}"
    return f"an array of shape {value.shape}"


def array_problem(value, shape):
    """What is wrong with a returned ``value`` that should be a float64 array of ``shape``."""
    if not isinstance(value, np.ndarray):
        return f"must be a float64 numpy array of shape {shape}, got {kind(value)}"
    if np.iscomplexobj(value):
        return f"is complex ({value.dtype}): a gradient of a real loss is real"
    if value.dtype != np.float64:
        return (f"is {value.dtype}, not float64: compute and return float64 arrays (the "
                "stub's dtype)")
    if value.shape != shape:
        return f"has shape {value.shape}, expected {shape}"
    if not np.all(np.isfinite(value)):
        return "contains NaN or inf"
    return ""


def _decode(item, buf, offset):
    kind = item["t"]
    if kind == "none":
        return None, offset
    if kind == "other":
        return Other(str(item["type"])[:100]), offset
    if kind != "array" or item["dtype"] not in DTYPES:
        return Other(f"array of dtype {str(item.get('dtype'))[:40]}"), offset
    dtype = np.dtype(item["dtype"])
    shape = tuple(int(s) for s in item["shape"])
    size = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if any(s < 0 for s in shape) or offset + size > len(buf):
        raise ValueError("truncated reply")
    arr = np.frombuffer(buf, dtype=dtype, count=size // dtype.itemsize if dtype.itemsize else 0,
                        offset=offset).reshape(shape).copy()
    if item.get("subclass"):
        return Other(f"{item['subclass']} (an ndarray subclass)"), offset + size
    return arr, offset + size


def recv_exactly(sock, n):
    chunks, got = [], 0
    while got < n:
        chunk = sock.recv(min(n - got, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        got += len(chunk)
    return b"".join(chunks)


def _read_lines(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return fh.read().splitlines()
    except OSError:
        return []


_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

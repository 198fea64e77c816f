"""Run a student's function in a child process, with a time limit, and report what it did.

The grader (:mod:`refsnn.exercises.core`) never imports a submission itself. It starts
``python -m refsnn.exercises.sandbox`` as a separate process in a session of its own, sends it
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

Read next: refsnn/exercises/networks.py, the grading networks, then
refsnn/exercises/rtrl_step.py, the second spec.
"""
from __future__ import annotations

import json
import mmap
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
_HEADER = struct.Struct("<q")


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
            [sys.executable, "-m", "refsnn.exercises.sandbox", str(child.fileno()),
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
            self._sock.sendall(_HEADER.pack(len(data)) + data)
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
            head = _recv_exactly(self._sock, _HEADER.size)
            if head is None:
                return self._dead(phase)
            (size,) = _HEADER.unpack(head)
            payload = _recv_exactly(self._sock, size) if 0 <= size < 2 ** 34 else None
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


def _recv_exactly(sock, n):
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


# ====================================================================== child side
_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: refsnn files whose code a student may run: the methods of ``params`` and ``surrogate``
ALLOWED = {os.path.join(_PKG, "lif.py"), os.path.join(_PKG, "surrogate.py")}
_SELF = os.path.abspath(__file__)


class _Child:
    """The child's state: the student's file, the shared line, what was borrowed."""

    def __init__(self, sock, path, function, line_file):
        self.sock, self.path, self.function = sock, path, function
        fh = open(line_file, "r+b")
        self.mm = mmap.mmap(fh.fileno(), 16)
        self.phase = 0
        self.active = False
        self.borrowed = []

    def mark(self, line):
        self.mm[:16] = struct.pack("<qq", self.phase, line)

    # --------------------------------------------------------------- the trace function
    def trace(self, frame, event, arg):
        code = frame.f_code
        if code.co_filename == self.path:
            self.mark(frame.f_lineno)
            return self.trace_lines
        if self.active and _forbidden(code.co_filename):
            caller = frame.f_back
            if caller is None or not caller.f_code.co_filename.startswith(_PKG):
                self.borrow(f"{_module_name(code.co_filename)}.{code.co_name}")
        return None

    def trace_lines(self, frame, event, arg):
        if event == "line":
            self.mark(frame.f_lineno)
        return self.trace_lines

    def borrow(self, what):
        if what not in self.borrowed:
            self.borrowed.append(what)

    def install_tripwires(self):
        """Put a recording wrapper in place of every compiled kernel outside lif/surrogate."""
        import importlib
        import pkgutil

        import numba
        import refsnn

        Dispatcher = numba.core.dispatcher.Dispatcher
        for info in pkgutil.walk_packages(refsnn.__path__, "refsnn."):
            if info.name.startswith(("refsnn.figures", "refsnn.exercises.sandbox")):
                continue
            try:
                module = importlib.import_module(info.name)
            except Exception:  # noqa: BLE001 -- a module that does not import has no kernels
                continue
            if not _forbidden(getattr(module, "__file__", "") or ""):
                continue
            for attr, value in list(vars(module).items()):
                if isinstance(value, Dispatcher):
                    setattr(module, attr, self.tripwire(f"{info.name}.{attr}", value))

    def tripwire(self, what, kernel):
        def wrapper(*args, **kwargs):
            if self.active:
                self.borrow(what)
            return kernel(*args, **kwargs)
        wrapper.__name__ = getattr(kernel, "__name__", "kernel")
        return wrapper

    # --------------------------------------------------------------- running
    def run(self):
        import importlib.util

        self.install_tripwires()
        sys.settrace(self.trace)
        self.phase = PHASE_IMPORT
        spec = importlib.util.spec_from_file_location("student_submission", self.path)
        module = importlib.util.module_from_spec(spec)
        result = self.guarded(lambda: spec.loader.exec_module(module))
        if result is not None:
            return self.send(result)
        fn = getattr(module, self.function, None)
        info = {"parameters": None}
        if callable(fn):
            import inspect
            try:
                info["parameters"] = list(inspect.signature(fn).parameters)
            except (TypeError, ValueError):
                info["parameters"] = []
        self.send(self.checked({"status": "ok", "info": info}))
        self.phase = PHASE_CALL
        while True:
            head = _recv_exactly(self.sock, _HEADER.size)
            if head is None:
                return
            op, args = pickle.loads(_recv_exactly(self.sock, _HEADER.unpack(head)[0]))
            box = []
            result = self.guarded(lambda: box.append(fn(*args)))
            self.send(result if result is not None else self.checked(_encode(box[0])))

    def guarded(self, thunk):
        """Run the student's ``thunk``; None if it returned, else the reply describing why not."""
        self.active = True
        try:
            thunk()
        except SystemExit as exc:
            return self.failure("exit", exc, f"your code called sys.exit({exc.code!r})")
        except NotImplementedError as exc:
            return self.failure("not_implemented", exc, "NotImplementedError")
        except BaseException as exc:  # noqa: BLE001 -- KeyboardInterrupt too: all are reported
            return self.failure("raised", exc, f"{type(exc).__name__}: {exc}"[:500])
        finally:
            self.active = False
        return None

    def failure(self, status, exc, message):
        tb, line = exc.__traceback__, 0
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == self.path:
                line = tb.tb_lineno
            tb = tb.tb_next
        return self.checked({"status": status, "message": message, "line": line,
                             "exception": type(exc).__name__})

    def checked(self, reply):
        """Turn a reply into ``borrowed``/``tampered`` if the student's code did either."""
        if sys.gettrace() != self.trace:
            sys.settrace(self.trace)
            return {"status": "tampered", "message": "your code replaced the grader's trace "
                    "function (sys.settrace)"}
        if self.borrowed:
            return {"status": "borrowed", "message": ", ".join(self.borrowed)}
        return reply

    def send(self, reply):
        header = dict(reply)
        buffers = header.pop("_buffers", [])
        data = json.dumps(header).encode("utf-8")
        payload = struct.pack("<q", len(data)) + data + b"".join(buffers)
        self.sock.sendall(_HEADER.pack(len(payload)) + payload)


def _forbidden(filename):
    return filename.startswith(_PKG) and filename not in ALLOWED and filename != _SELF


def _module_name(filename):
    rel = os.path.relpath(filename, os.path.dirname(_PKG))
    return rel[:-3].replace(os.sep, ".") if rel.endswith(".py") else rel


def _encode(value):
    """The reply for a returned ``value``: a tuple's items one by one, arrays as raw bytes."""
    items = value if isinstance(value, tuple) else (value,)
    header = {"status": "ok", "values": [], "_buffers": [],
              "info": {"tuple": isinstance(value, tuple), "length": len(items)}}
    for v in items:
        if v is None:
            header["values"].append({"t": "none"})
        elif isinstance(v, np.ndarray) and v.dtype.name in DTYPES:
            arr = np.ascontiguousarray(v)
            item = {"t": "array", "dtype": arr.dtype.name, "shape": list(arr.shape)}
            if type(v) is not np.ndarray:
                item["subclass"] = type(v).__name__
            header["values"].append(item)
            header["_buffers"].append(arr.tobytes())
        elif isinstance(v, np.ndarray):
            header["values"].append({"t": "other", "type": f"array of dtype {v.dtype}"})
        else:
            header["values"].append({"t": "other", "type": type(v).__name__})
    return header


def main(argv):
    fd, path, function, line_file = argv
    sock = socket.socket(fileno=int(fd))
    _Child(sock, os.path.abspath(path), function, line_file).run()


if __name__ == "__main__":
    main(sys.argv[1:])

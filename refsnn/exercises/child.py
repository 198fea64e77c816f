"""The child process of the grader: imports the student's file and calls its function.

Started by :class:`refsnn.exercises.sandbox.Sandbox` as ``python -m refsnn.exercises.child FD
PATH FUNCTION LINE_FILE``; the module docstring of :mod:`refsnn.exercises.sandbox` says what
the two sides do. Here: the trace function that keeps the running line of the student's file in
``LINE_FILE`` and records calls into refsnn's own code, the tripwires that do the same for the
compiled kernels, and the encoding of a returned value as a JSON header plus raw array bytes.

Read next: refsnn/exercises/networks.py, the grading networks.
"""
from __future__ import annotations

import json
import mmap
import os
import pickle
import struct
import sys
import socket

import numpy as np

from .sandbox import DTYPES, HEADER, PHASE_CALL, PHASE_IMPORT, recv_exactly

_PKG = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: refsnn files whose code a student may run: the methods of ``params`` (a LIFParams, defined
#: in params.py and exported by lif.py) and ``surrogate``
ALLOWED = {os.path.join(_PKG, f) for f in ("lif.py", "params.py", "surrogate.py")}
_OWN = {os.path.abspath(__file__), os.path.join(_PKG, "exercises", "sandbox.py")}


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
            if info.name.startswith(("refsnn.figures", "refsnn.exercises.child",
                                     "refsnn.exercises.sandbox")):
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
            head = recv_exactly(self.sock, HEADER.size)
            if head is None:
                return
            op, args = pickle.loads(recv_exactly(self.sock, HEADER.unpack(head)[0]))
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
        self.sock.sendall(HEADER.pack(len(payload)) + payload)


def _forbidden(filename):
    return filename.startswith(_PKG) and filename not in ALLOWED and filename not in _OWN


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

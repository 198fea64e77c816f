"""Argument checks shared by the whole package: one place for each rule.

Every public function of refsnn validates its arguments before any kernel runs and raises a
``TypeError`` (wrong kind of object) or a ``ValueError`` (right kind, bad value) whose message
starts with the argument's name. The checks here are the common ones; a module keeps only the
checks that belong to its own objects (a trace's shapes, an encoder's value range).

* :func:`check_bool`, :func:`check_int`, :func:`check_real`, :func:`check_unit_interval` --
  scalars (``bool`` is refused where a number is expected: ``True`` is not a learning rate);
* :func:`as_rng` -- a seeded ``numpy.random.Generator`` (``None`` is refused: every result of
  the package must be reproducible);
* :func:`as_float_dtype` -- float64 or float32, the two precisions of the kernels;
* :func:`as_real_array`, :func:`as_finite_array` -- real, numeric arrays (no object, str or
  complex arrays: NumPy would cast complex to real with only a warning);
* :func:`as_input`, :func:`check_input_values` -- a network input ``(batch, time, n_in)``, in
  plain NumPy (the network checks the values on the input's event list,
  :func:`refsnn.network.validate_input`; the independent simulator :mod:`refsnn.reference`
  on the array itself).

Read next: refsnn/surrogate.py, where the reading order of README.md starts.
"""
from __future__ import annotations

import numbers

import numpy as np

#: the float types of the kernels
FLOATS = (np.float64, np.float32)


def check_bool(name, value):
    """``value`` as a Python bool; TypeError unless it is a ``bool`` or ``numpy.bool_``.

    Strings and numbers are refused: ``"no"`` is truthy, so it would silently mean True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool, got {type(value).__name__} {value!r}")
    return bool(value)


def check_int(name, value, minimum):
    """``value`` as an int ``>= minimum``; TypeError for non-integers (and bools)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Integral,
                                                                     np.integer)):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_real(name, value, low=-np.inf, high=np.inf, low_open=False, high_open=False):
    """``value`` as a finite float in the interval from ``low`` to ``high``; else raise.

    ``low_open`` / ``high_open`` exclude the end points. TypeError for non-real values (and
    bools), ValueError for NaN, inf or a value outside the interval.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {type(value).__name__}")
    value = float(value)
    ok = np.isfinite(value)
    ok = ok and (value > low if low_open else value >= low)
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        if np.isinf(low) and np.isinf(high):
            where = ""
        elif np.isinf(high):
            where = f" and {'>' if low_open else '>='} {low:g}"
        elif np.isinf(low):
            where = f" and {'<' if high_open else '<='} {high:g}"
        else:
            lb, rb = "(" if low_open else "[", ")" if high_open else "]"
            where = f" and lie in {lb}{low:g}, {high:g}{rb}"
        raise ValueError(f"{name} must be finite{where}, got {value}")
    return value


def check_unit_interval(name, value):
    """``value`` in the open interval ``(0, 1)``: a decay per step such as ``alpha``, ``beta``."""
    return check_real(name, value, 0.0, 1.0, low_open=True, high_open=True)


def as_rng(rng, name="rng"):
    """A ``numpy.random.Generator`` from a Generator or an int seed.

    ``None`` is refused: figures, tests and training runs must be reproducible.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if isinstance(rng, (int, np.integer)) and not isinstance(rng, (bool, np.bool_)):
        return np.random.default_rng(rng)
    raise TypeError(f"{name} must be a numpy Generator or an int seed, got {type(rng).__name__}")


def as_float_dtype(dtype, name="dtype"):
    """``numpy.float64`` or ``numpy.float32`` from a dtype-like; TypeError / ValueError else."""
    try:
        dt = np.dtype(dtype).type
    except TypeError:
        raise TypeError(f"{name} must be float64 or float32, got {dtype!r}") from None
    if dt not in FLOATS:
        raise ValueError(f"{name} must be float64 or float32, got {np.dtype(dt).name}")
    return dt


def as_real_array(x, name):
    """``x`` as a numpy array of real numbers (bool, integer or float); TypeError otherwise.

    Object, string and complex arrays are refused (no copy is made of a valid ndarray).
    """
    if not isinstance(x, np.ndarray):
        try:
            x = np.asarray(x)
        except Exception as exc:  # pragma: no cover - numpy's own message is fine here
            raise TypeError(f"{name} must be array-like") from exc
    kind = x.dtype.kind  # b bool, i/u integers, f floats, c complex; anything else is refused
    if kind == "c":
        raise TypeError(f"{name} must be real, got dtype {x.dtype}")
    if kind not in "biuf":
        raise TypeError(f"{name} must be a numeric array, got dtype {x.dtype}")
    return x


def as_finite_array(x, name, shape=None, ndim=None, dtype=np.float64, block=None):
    """``x`` as a C-contiguous, finite array of ``dtype`` (a copy only where needed).

    ``block``: check finiteness that many entries at a time (temporaries of bounded size, for
    the online rules); default all at once.

    ``shape``: required shape, a tuple whose ``None`` entries accept any size >= 1; or
    ``ndim``: only the number of dimensions is fixed. ValueError names ``name`` and the shape.
    """
    arr = as_real_array(x, name)
    if shape is not None:
        if arr.ndim != len(shape) or any(
                (want is None and got < 1) or (want is not None and got != want)
                for got, want in zip(arr.shape, shape)):
            want = ", ".join("any" if s is None else str(s) for s in shape)
            any_ = " with every entry >= 1" if None in shape else ""
            raise ValueError(f"{name} must have shape ({want}){any_}, got shape {arr.shape}")
    elif ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    arr = np.ascontiguousarray(arr, dtype=dtype)
    flat = arr.reshape(-1)
    step = max(flat.size if block is None else int(block), 1)
    if not all(np.all(np.isfinite(flat[k:k + step])) for k in range(0, flat.size, step)):
        raise ValueError(f"{name} contains NaN or inf")
    return arr


def as_input(x, n_in, name="x", dtype=np.float64):
    """``x`` as a C-contiguous ``(B, T, n_in)`` array of ``dtype`` with ``B, T >= 1``.

    The shape and type checks of a network input (no copy of a valid array; its values are
    checked by :func:`check_input_values`, on the array or on its event list).
    """
    x = as_real_array(x, name)
    if x.ndim != 3:
        raise ValueError(f"{name} must have shape (batch, time, {n_in}), got shape {x.shape}")
    if x.shape[2] != n_in:
        raise ValueError(f"{name} has {x.shape[2]} input neurons, the network expects {n_in}")
    if x.shape[0] < 1 or x.shape[1] < 1:
        raise ValueError(f"{name} needs at least one sample and one time step, got {x.shape}")
    return np.ascontiguousarray(x, dtype=dtype)


def check_input_values(values, name="x", binary=True, block=None):
    """Raise ValueError unless every entry of ``values`` is finite, and 0 or 1 if ``binary``.

    ``values``: an input array, or the values of its event list (its nonzero entries).
    ``block``: check that many entries at a time (of the flattened array), so that the
    temporaries of the check do not grow with the input (the online rules, whose memory must
    not grow with ``T``); default all at once.
    """
    binary = check_bool("binary_input", binary)
    flat = np.ravel(values)
    step = flat.size if block is None else int(block)
    for k in range(0, flat.size, max(step, 1)):
        v = flat[k:k + step]
        if not np.all(np.isfinite(v)):
            raise ValueError(f"{name} contains NaN or inf (as {values.dtype.name})")
        if binary and not np.all((v == 1.0) | (v == 0.0)):
            raise ValueError(f"{name} must be binary spikes (0 or 1); pass binary_input=False "
                             "for analog input")

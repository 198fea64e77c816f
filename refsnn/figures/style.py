"""Shared helpers for the figure modules: one house style and byte-stable saving.

Every figure is drawn on a :class:`matplotlib.figure.Figure` created here (no ``pyplot``, so
no global figure state and no dependence on the interactive backend) inside
:func:`house_style`, and written with :func:`save`, which strips the time stamp and version
metadata that would otherwise change the files on every run.

Read next: refsnn/exercises/__init__.py, the exercises.
"""
from __future__ import annotations

import contextlib
import os

import matplotlib
from matplotlib.figure import Figure

#: rcParams shared by all figures (applied only inside :func:`house_style`).
RC = {
    "font.size": 9,
    "axes.titlesize": 9,
    "axes.labelsize": 9,
    "legend.fontsize": 8,
    "xtick.labelsize": 8,
    "ytick.labelsize": 8,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "legend.frameon": False,
    "savefig.bbox": "tight",
    "savefig.pad_inches": 0.05,
    "svg.hashsalt": "refsnn",
}

#: colours used across figures (the tutorial marks spike-caused quantities in red).
SPIKE_RED = "#d62728"
INK = "#222222"

PNG_METADATA = {"Software": None}
PDF_METADATA = {"CreationDate": None, "ModDate": None, "Producer": None, "Creator": None}


@contextlib.contextmanager
def house_style():
    """Context in which the shared :data:`RC` parameters are active."""
    with matplotlib.rc_context(RC):
        yield


def new_figure(width, height):
    """A fresh ``Figure`` of ``width x height`` inches (both > 0), not registered with pyplot."""
    if not (width > 0 and height > 0):
        raise ValueError(f"figure size must be positive, got {width} x {height}")
    return Figure(figsize=(width, height))


def save(fig, out_dir, name, quick=False):
    """Write ``out_dir/name.png`` and ``out_dir/name.pdf`` and return both paths.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    out_dir : str or os.PathLike
        Created if missing.
    name : str
        File stem (no extension, no path separator).
    quick : bool
        Lower PNG resolution (used by the tests).

    Returns
    -------
    list of str
        ``[png_path, pdf_path]``.
    """
    if not isinstance(name, str) or not name or os.sep in name or "/" in name:
        raise ValueError(f"name must be a non-empty file stem without '/', got {name!r}")
    out_dir = os.fspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    png = os.path.join(out_dir, f"{name}.png")
    pdf = os.path.join(out_dir, f"{name}.pdf")
    fig.savefig(png, dpi=80 if quick else 200, metadata=PNG_METADATA)
    fig.savefig(pdf, metadata=PDF_METADATA)
    return [png, pdf]


def check_out_dir(out_dir):
    """Validate the ``out_dir`` argument of a ``make`` function; returns it as ``str``."""
    if not isinstance(out_dir, (str, os.PathLike)):
        raise TypeError(f"out_dir must be a str or os.PathLike, got {type(out_dir).__name__}")
    out_dir = os.fspath(out_dir)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        raise ValueError(f"out_dir {out_dir!r} exists and is not a directory")
    return out_dir


def membrane_panel(ax, t, U, S, theta, top=None, label=None):
    """Draw a membrane trace ``U`` ``(T,)`` against ``t`` with the dashed threshold ``theta``
    and the spikes ``S`` ``(T,)`` as red ticks above the trace; y ticks 0 and theta.

    ``top``: the height the ticks sit at (default ``1.25 theta`` or just above the trace's
    maximum); ``label``: the trace's legend label.
    """
    top = max(1.25 * theta, 1.08 * float(U.max())) if top is None else top
    ax.plot(t, U, color=INK, lw=1.0, label=label)
    ax.axhline(theta, color="0.4", lw=0.8, ls="--")
    ax.vlines(t[S > 0], 1.02 * top, 1.12 * top, color=SPIKE_RED, lw=0.9, clip_on=False)
    ax.set_ylim(min(-0.05, float(U.min()) - 0.05), 1.14 * top)
    ax.set_yticks([0, theta])
    ax.set_yticklabels(["0", r"$\vartheta$"])
    ax.set_ylabel("$U$")

r"""Tutorial Fig. 3: commonly used surrogate derivatives, next to the step function.

The spike is ``S = Theta(U - theta)``; its derivative is zero everywhere except at
``U = theta`` where it is ill defined (a Dirac delta). Surrogate-gradient methods replace it by
the derivative ``F'(U - theta)`` of a smooth primitive ``F`` (docs/design.md §5). All curves come from
:class:`refsnn.surrogate.Surrogate`.

What must be visible:

* (a) derivative vs membrane potential ``U`` (threshold ``theta = 1``, dashed): the step
  function (violet, flat at 0 with an arrow at threshold for the delta), piecewise linear
  (Esser et al., green), fast-sigmoid derivative (SuperSpike, blue) and exponential
  (SLAYER, yellow), each rescaled to peak 1, as in the paper ("axes rescaled per function for
  illustration").
* (b) the primitives ``F`` of all five library surrogates (also sigmoid and boxcar), each
  rescaled to go from 0 to 1, next to the Heaviside step they smooth: ``F`` is what the
  smooth model (``spike="soft"``) emits instead of a spike.

Read next: refsnn/figures/performance.py, the measured speed against the references.
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int
from ..surrogate import Surrogate, heaviside_array
from . import style

NAME = "surrogates"
THETA = 1.0

#: (library name, scale, legend label, colour) of panel (a), in the paper's order
DERIVATIVES = (
    ("piecewise_linear", 2.5, "Esser et al.", "#2ca02c"),
    ("superspike", 4.0, "SuperSpike", "#1f77b4"),
    ("exponential", 10.0, "SLAYER", "#e6b800"),
)
#: extra surrogates shown in panel (b)
EXTRA = (
    ("sigmoid", 8.0, "sigmoid", "#8c564b"),
    ("boxcar", 2.0, "boxcar", "#7f7f7f"),
)
STEP_COLOUR = "#9467bd"


def curves(n_points=801):
    """The plotted data: ``U`` and, per surrogate name, the rescaled ``F'`` and ``F``.

    Parameters
    ----------
    n_points : int
        Grid size on ``U in [0, 2]`` (>= 11, odd so that the threshold is a grid point).

    Returns
    -------
    U : ndarray
    derivative, primitive : dict name -> ndarray
        ``F'(U - theta) / max F'`` and ``F(U - theta) / F(+inf)``.
    step : ndarray
        ``Theta(U - theta)``.
    """
    if check_int("n_points", n_points, 11) % 2 == 0:
        raise ValueError(f"n_points must be an odd integer >= 11, got {n_points!r}")
    U = np.linspace(0.0, 2.0 * THETA, n_points)
    x = U - THETA
    der, prim = {}, {}
    for name, scale, _, _ in DERIVATIVES + EXTRA:
        sg = Surrogate(name, scale)
        d = sg.derivative(x)
        der[name] = d / d.max()
        top = sg.primitive(np.array([1e6]))[0]  # F(+inf): 1/scale or 1
        prim[name] = sg.primitive(x) / top
    return U, der, prim, heaviside_array(x)


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``surrogates.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Coarser grid and lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    U, der, prim, step = curves(201 if quick else 801)
    with style.house_style():
        fig = style.new_figure(7.0, 2.8)
        ax_d, ax_f = fig.subplots(1, 2)
        # (a) derivatives
        ax_d.plot(U, np.zeros_like(U), color=STEP_COLOUR, lw=2.0, label="Step function",
                  zorder=1)
        ax_d.annotate("", xy=(THETA, 1.22), xytext=(THETA, 0.0), zorder=5,
                      arrowprops={"arrowstyle": "-|>", "color": STEP_COLOUR, "lw": 1.5})
        ax_d.text(THETA + 0.05, 1.2, r"$\delta(U-\vartheta)$", color=STEP_COLOUR, va="top")
        for name, _, label, colour in DERIVATIVES:
            ax_d.plot(U, der[name], color=colour, lw=1.6, label=label)
        ax_d.set_ylim(-0.05, 1.3)
        ax_d.set_yticks([0, 1])
        ax_d.set_ylabel("Derivative (rescaled)")
        ax_d.set_title("(a) surrogate derivatives $F'(U-\\vartheta)$", loc="left")
        ax_d.legend(loc="upper left", handlelength=1.5)
        # (b) primitives
        ax_f.plot(U, step, color=STEP_COLOUR, lw=2.0, label=r"Heaviside $\Theta$",
                  drawstyle="steps-post")
        for name, _, label, colour in DERIVATIVES + EXTRA:
            ax_f.plot(U, prim[name], color=colour, lw=1.4, label=label)
        ax_f.set_ylim(-0.05, 1.2)
        ax_f.set_yticks([0, 1])
        ax_f.set_ylabel("Spike $S$ (rescaled)")
        ax_f.set_title("(b) smooth primitives $F(U-\\vartheta)$", loc="left")
        ax_f.legend(loc="upper left", handlelength=1.5)
        for ax in (ax_d, ax_f):
            ax.axvline(THETA, color="0.6", lw=0.8, ls="--", zorder=0)
            ax.set_xlim(U[0], U[-1])
            ax.set_xticks([0, 0.5 * THETA, THETA, 1.5 * THETA, 2 * THETA])
            ax.set_xticklabels(["0", "0.5", r"$\vartheta=1$", "1.5", "2"])
            ax.set_xlabel("Membrane potential $U$")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick)

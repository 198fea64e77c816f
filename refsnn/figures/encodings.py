r"""Fig. 6 of "lessons from deep learning" (§3.1): one digit encoded by rate, latency and delta.

One 8x8 image of scikit-learn's digits (:func:`refsnn.datasets.images.load_images`; needs
the ``data`` extra), its 64 intensities ``x = pixel / 16`` (input ``8 row + col``), and the
three input codes of :mod:`refsnn.encoding` over ``T = 61`` steps of 1 ms:

* rate (:func:`~refsnn.encoding.rate_encode`): Bernoulli spikes with ``P = 0.3 x`` per step
  (seed 0), so brighter pixels fire more densely;
* latency (:func:`~refsnn.encoding.latency_encode`, Eq. 25, ``theta = 0.01``, normalised with
  ``ref_value = 1/16``): one spike per non-blank pixel, the faintest in the last step, the
  brightest within the first few (the log code compresses bright values, ``t ~ 1/x``);
* delta (:func:`~refsnn.encoding.delta_encode`, ``mode="track"``, ``theta = 0.06``): a static
  image has no change, so it is shown *fading in and out*, ``x[n] = x e[n]`` with the
  triangular envelope ``e`` rising linearly from 0 at step 0 to 1 at step 30 and back to 0 at
  step 60. Each pixel of value ``k`` (of 16) fires exactly ``k`` on spikes while the image
  fades in and ``k`` off spikes while it fades out (``floor(k / 16 / 0.06) = k`` for
  ``k <= 16``; the tracking reference follows a monotone ramp to within ``theta``).

What must be visible, left to right: the digit (grey scale, white background); the rate
raster (time on x, input index on y, dense rows for bright pixels, empty rows for blank ones);
the latency raster (at most one spike per row, bright pixels early, faint ones late); the
delta raster with the 64 on channels (red, inputs 0-63) firing during the first half and the
64 off channels (blue, 64-127) during the second.

Read next: refsnn/figures/credit_schemes.py, the tutorial's Fig. 5 (BP, FA, DFA, local errors).
"""
from __future__ import annotations

import numpy as np

from ..checks import check_int
from ..datasets.images import PIXEL_MAX, load_images
from ..encoding import delta_encode, latency_encode, rate_encode
from . import style

NAME = "encodings"

T = 61
DT = 1e-3
#: the sample of scikit-learn's digits that is drawn (a "3")
INDEX = 3
RATE_MAX_PROB = 0.3
RATE_SEED = 0
LATENCY_THRESHOLD = 0.01
LATENCY_REF = 1.0 / PIXEL_MAX
DELTA_THRESHOLD = 0.06

ON_RED = style.SPIKE_RED
OFF_BLUE = "#1f77b4"


def fade(T=T):
    """The triangular envelope ``e[n]``, ``(T,)``: 0 at both ends, 1 at the middle step.

    Parameters
    ----------
    T : int
        Number of steps, odd and >= 3 (so that the middle step is exactly 1).
    """
    T = check_int("T", T, 3)
    if T % 2 == 0:
        raise ValueError(f"T must be odd (a middle step at the peak), got {T}")
    half = (T - 1) // 2
    return 1.0 - np.abs(np.arange(T) - half) / half


def encode(index=INDEX, T=T):
    """The figure's data: one image and its three codes.

    Parameters
    ----------
    index : int
        Sample of the digits set.
    T : int
        Steps (odd, >= 3).

    Returns
    -------
    dict
        ``image`` (8, 8) pixel values 0..16, ``label``, ``x`` (64,) intensities, ``envelope``
        (T,), ``rate`` and ``latency`` (T, 64) spikes, ``delta`` (T, 128) on then off spikes.
    """
    images, labels = load_images()
    index = check_int("index", index, 0)
    if index >= len(labels):
        raise ValueError(f"index must be < {len(labels)}, got {index}")
    x = images[index].reshape(1, -1) / PIXEL_MAX
    env = fade(T)
    return {
        "image": images[index], "label": int(labels[index]), "x": x[0], "envelope": env,
        "rate": rate_encode(x, T, RATE_SEED, max_prob=RATE_MAX_PROB)[0],
        "latency": latency_encode(x, T, threshold=LATENCY_THRESHOLD, normalize=True,
                                  ref_value=LATENCY_REF)[0],
        "delta": delta_encode(x[:, None, :] * env[None, :, None], DELTA_THRESHOLD,
                              mode="track")[0],
    }


def _raster(ax, spikes, colour, offset=0):
    """Spikes ``(T, n)`` as small squares at (time in ms, input index + offset)."""
    n_step, i = np.nonzero(spikes)
    ax.scatter(n_step * DT * 1e3, i + offset, s=2.5, marker="s", lw=0, color=colour)


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``encodings.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    d = encode()
    n_in = d["x"].size
    t_end = T * DT * 1e3
    with style.house_style():
        fig = style.new_figure(7.4, 2.6)
        axes = fig.subplots(1, 4, gridspec_kw={"width_ratios": [0.8, 1, 1, 1]})
        ax_im, ax_r, ax_l, ax_d = axes
        ax_im.imshow(d["image"], cmap="gray_r", vmin=0, vmax=PIXEL_MAX)
        ax_im.set_xticks([0, 7])
        ax_im.set_yticks([0, 7])
        ax_im.set_title(f"(a) digit \"{d['label']}\"\n8x8 pixels, 0-16", loc="left")
        _raster(ax_r, d["rate"], style.INK)
        ax_r.set_title(f"(b) rate\n$P = {RATE_MAX_PROB:g}\\,x$ per step", loc="left")
        _raster(ax_l, d["latency"], style.INK)
        ax_l.set_title("(c) latency, Eq. 25\nnormalised, $x = 1/16$ last", loc="left")
        half = d["delta"].shape[1] // 2
        _raster(ax_d, d["delta"][:, :half], ON_RED)
        _raster(ax_d, d["delta"][:, half:], OFF_BLUE, offset=half)
        ax_d.axhline(half - 0.5, color="0.6", lw=0.5)
        ax_d.text(0.97, 0.75, "on", color=ON_RED, transform=ax_d.transAxes, ha="right")
        ax_d.text(0.03, 0.25, "off", color=OFF_BLUE, transform=ax_d.transAxes)
        ax_d.set_title("(d) delta, tracking: the image\nfading in, then out", loc="left")
        for ax, n in ((ax_r, n_in), (ax_l, n_in), (ax_d, 2 * n_in)):
            ax.set_xlim(-0.5, t_end)
            ax.set_ylim(n - 0.5, -0.5)        # input 0 on top, as the image's first row
            ax.set_xlabel("time (ms)")
        ax_r.set_ylabel("input (8 row + col)")
        ax_d.set_yticks([0, 32, 64, 96, 127])
        fig.tight_layout(w_pad=0.6)
        return style.save(fig, out_dir, NAME, quick)

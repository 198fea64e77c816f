r"""SpikeProp on the spike-time XOR (Bohte, Kok & La Poutré 2002): potentials, targets, errors.

Not a figure of the papers: Bohte et al. give the XOR as a table of spike times (their Table
1, the encoding of :func:`refsnn.datasets.spikeprop_xor`) and the "lessons from deep learning"
paper only sketches SpikeProp (its Fig. 8(b), Appendix C.1); this figure shows what the
training of :mod:`refsnn.experiments.spikeprop_xor` does.

What must be visible:

* (a)-(d), one panel per pattern ``(t_a, t_b)``: the output neuron's potential ``u(t)`` of one
  trained network (the first converged seed; black) and of the same network before training
  (grey), the threshold (dashed), the desired spike time (green dotted vertical: 16 ms for
  equal inputs, 10 ms for different ones), the output spike (black triangle at the top;
  grey for the untrained network) and the input spikes (ticks at the bottom, bias at 0 ms).
  After training the black curve crosses the threshold within a fraction of a millisecond of
  the target in every panel;
* (e) the error :math:`\mathrm{SSE} = \tfrac12\sum_p (t_p - t_p^d)^2` of every seed against
  the epoch (log scale), the stopping criterion SSE = 1 (dashed); a run whose output falls
  silent has no spike time and no gradient, its SSE is infinite and its curve ends (the
  failure the lessons paper names; reported in the caption);
* (f) the epochs each seed needed to reach SSE < 1 (one dot per seed), the median (line), and
  the number of seeds that did not converge within the budget.

``make`` runs the small sweep (20 seeds, at most 2000 epochs; ``quick``: 2 seeds, 60 epochs)
and writes ``spikeprop_xor.csv`` and ``.json`` beside the PNG. Deterministic.

Read next: refsnn/figures/style.py.
"""
from __future__ import annotations

import numpy as np
from matplotlib import ticker

from . import style
from .. import experiments
from ..experiments import spikeprop_xor as sx

NAME = "spikeprop_xor"
GREEN = "#2ca02c"


def potentials(config, seed, t):
    """``(u_start, u_trained, t_start, t_trained)``: the output potential ``(4, G)`` on the
    times ``t`` and the output spike times ``(4,)``, before and after training ``seed``."""
    t_in, _ = sx.task()
    start, net, _ = sx.train(config, seed)
    out = []
    for n in (start, net):
        times = n.forward(t_in)
        out.append((n.potential(times, len(n.W) - 1, t)[:, 0], times[-1][:, 0]))
    return out[0][0], out[1][0], out[0][1], out[1][1]


def draw(results, out_dir, quick=False):
    """Draw the figure from a sweep's ``results`` into ``out_dir``; returns ``[png, pdf]``."""
    out_dir = style.check_out_dir(out_dir)
    config = results["configs"][0]
    runs = results["runs"]
    ok = [r for r in runs if r["metrics"]["converged"]]
    seed = (ok or runs)[0]["seed"]
    t = np.linspace(0.0, 30.0, 601)
    u0, u1, s0, s1 = potentials(config, seed, t)
    t_in, target = sx.task()
    n_ok, n, median = sx.summary(results)
    with style.house_style():
        fig = style.new_figure(11.0, 5.4)
        grid = fig.add_gridspec(2, 4, height_ratios=[1, 1.05])
        for p in range(4):
            ax = fig.add_subplot(grid[0, p])
            ax.plot(t, u0[p], c="0.65", lw=1.0, label="before training")
            ax.plot(t, u1[p], c=style.INK, lw=1.3, label=f"trained (seed {seed})")
            ax.axhline(config["theta"], ls="--", c="0.4", lw=0.8)
            ax.axvline(target[p, 0], ls=":", c=GREEN, lw=1.4, label="target")
            for s, c in ((s0[p], "0.65"), (s1[p], style.INK)):
                if np.isfinite(s):
                    ax.plot([s], [config["theta"]], "v", c=c, ms=7, zorder=5)
            for k, ti in enumerate(t_in[p]):  # inputs a, b and the bias, one row each
                ax.vlines(ti, -0.55 + 0.16 * k, -0.43 + 0.16 * k, color=style.SPIKE_RED, lw=1.5)
            ax.set_title(f"({'abcd'[p]}) inputs {t_in[p, 0]:g}, {t_in[p, 1]:g} ms: "
                         f"target {target[p, 0]:g} ms", loc="left")
            ax.set_xlabel("t (ms)")
            ax.set_xlim(-1.0, t[-1])
            ax.set_ylim(-0.6, 4.0 * config["theta"])
            if p == 0:
                ax.set_ylabel("output potential u(t)")
                ax.legend(loc="upper left", fontsize=7)
        ax = fig.add_subplot(grid[1, :2])
        silent = 0
        for r in runs:
            sse = np.array(r["metrics"]["sse"], dtype=float)
            c = style.INK if r["metrics"]["converged"] else style.SPIKE_RED
            ax.plot(np.arange(len(sse)), np.where(np.isfinite(sse), sse, np.nan), c=c, lw=0.8,
                    alpha=0.6)
            if not np.isfinite(sse[-1]):  # the output fell silent: no spike time, no gradient
                last = int(np.flatnonzero(np.isfinite(sse))[-1])
                ax.plot([last], [sse[last]], "x", c=style.SPIKE_RED, ms=8, mew=1.5)
                silent += 1
        ax.axhline(config["stop_sse"], ls="--", c="0.4", lw=0.8)
        ax.set_yscale("log")
        ax.set_xscale("symlog", linthresh=10)
        ax.set_xlim(0, max(len(r["metrics"]["sse"]) for r in runs))
        ax.set_xlabel("epoch")
        ax.set_ylabel("SSE (ms$^2$)")
        ax.set_title("(e) error of every seed (red: not converged)", loc="left")
        ax = fig.add_subplot(grid[1, 2:])
        epochs = [r["metrics"]["epochs"] for r in ok]
        ax.plot(epochs, np.random.default_rng(0).uniform(-0.2, 0.2, len(epochs)), "o",
                c=style.INK, ms=4, alpha=0.7)
        if median is not None:
            ax.axvline(median, c=GREEN, lw=1.2)
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.ScalarFormatter())
        ax.xaxis.set_minor_formatter(ticker.NullFormatter())
        ax.set_yticks([])
        ax.set_ylim(-1, 1)
        ax.set_xlabel("epochs to SSE < 1")
        ax.set_title(f"(f) {n_ok} of {n} seeds converged within {config['max_epochs']} epochs"
                     + (f", median {median:g}" if median is not None else "")
                     + (f"; x in (e): {silent} output(s) fell silent" if silent else ""),
                     loc="left")
        fig.text(0.5, 0.0, "3-5-1 SpikeProp network, 16 terminals per connection (delays 1-16 "
                 "ms), tau = 7 ms, one inhibitory hidden neuron; online gradient descent on the "
                 "exact spike-time gradient, learning rate 0.01 (refsnn.experiments."
                 "spikeprop_xor)", ha="center", va="top", fontsize=7, color="0.35")
        fig.tight_layout()
        return style.save(fig, out_dir, NAME, quick=quick)


def make(out_dir, quick=False):
    """Run the small sweep (``quick``: two seeds, 60 epochs), write ``spikeprop_xor.csv`` and
    ``.json`` and the figure into ``out_dir``; returns ``[png_path, pdf_path]``."""
    out_dir = style.check_out_dir(out_dir)
    results = experiments.run_sweep(sx, "quick" if quick else "small", progress=not quick)
    experiments.write(sx, results, out_dir)
    return draw(results, out_dir, quick=quick)

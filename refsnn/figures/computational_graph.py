r"""Tutorial Fig. 2: the computational graph of a spiking network unrolled in discrete time.

The graph is *derived from a* :class:`refsnn.Network` (:func:`graph_edges`), so it shows exactly
the dependencies the simulator implements (docs/design.md §4, Eqs. 7-8)::

    S^(l)[n]   = Theta(U^(l)[n] - theta)                                    threshold
    I^(l)[n+1] = alpha I^(l)[n] + W^(l) S^(l-1)[n] + V^(l) S^(l)[n]         alpha, W, V
    U^(l)[n+1] = beta U^(l)[n] + I^(l)[n] - theta S^(l)[n]                  beta, current, reset
    readout:   I^(L+1)[n+1] = alpha I^(L+1)[n] + W^(L+1) S^(L)[n]
               U^(L+1)[n+1] = beta U^(L+1)[n] + I^(L+1)[n]

What must be visible: time flows left to right over three steps; the input spikes ``S^(0)``
enter at the bottom and propagate upwards through ``I^(1)``, ``U^(1)``, ``S^(1)`` to the
readout ``I^(2)``, ``U^(2)`` at the top. Black edges are the state dynamics (alpha, beta,
``I -> U``, the threshold ``U -> S``, the input weights ``W^(1)``); the edges caused by spikes of
the network are red, as in the paper: the reset ``S^(1)[n] -> U^(1)[n+1]``, the recurrent
``V^(1)`` and the feed-forward ``W^(2)`` into the readout. A network without ``V`` or with
``reset="none"`` draws without the corresponding edges.

Read next: refsnn/figures/surrogates.py, the tutorial's Fig. 3.
"""
from __future__ import annotations

from collections import namedtuple

import numpy as np
from matplotlib.patches import Circle, FancyArrowPatch

from .. import LIFParams, Network
from ..checks import check_int
from . import style

NAME = "computational_graph"

#: a graph node: variable ``"S" | "I" | "U"``, layer (0 = input, L+1 = readout), time step
Node = namedtuple("Node", "var layer step")
#: a graph edge; ``kind`` is one of :data:`KINDS`
Edge = namedtuple("Edge", "source target label kind")

KINDS = ("alpha", "beta", "current", "threshold", "feedforward", "recurrent", "reset")


def is_spike_caused(edge):
    """True if ``edge`` starts at a spike of the network itself (drawn red in the paper).

    These are the reset, the recurrent ``V`` and the feed-forward weights from a hidden layer;
    the input weights ``W^(1)`` start at the input ``S^(0)`` and are not.
    """
    return edge.source.var == "S" and edge.source.layer >= 1


def graph_edges(net, n_steps=3):
    """Edges of ``net``'s computational graph unrolled over ``n_steps`` time steps.

    Parameters
    ----------
    net : refsnn.Network
        Layers come from ``net.sizes``, recurrent edges from ``net.V[l] is not None``, reset
        edges from ``net.params.reset != "none"``; the last layer is the non-spiking readout.
    n_steps : int
        Number of time steps ``n = 0..n_steps-1`` (>= 1). Inputs act one step later
        (``I[n+1]`` depends on ``S[n]``), so each inter-step edge appears ``n_steps - 1`` times.

    Returns
    -------
    list of Edge
        ``(source, target, label, kind)`` with :class:`Node` end points, a mathtext label and
        ``kind`` in :data:`KINDS`.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")
    n_steps = check_int("n_steps", n_steps, 1)
    L = net.n_hidden_layers
    has_reset = net.params.reset != "none"
    edges = []
    for l in range(1, L + 2):  # hidden layers 1..L, readout L+1
        spiking = l <= L
        for n in range(n_steps):
            if spiking:
                edges.append(Edge(Node("U", l, n), Node("S", l, n), r"$\Theta$", "threshold"))
            if n + 1 == n_steps:
                continue
            edges.append(Edge(Node("I", l, n), Node("I", l, n + 1), r"$\alpha$", "alpha"))
            edges.append(Edge(Node("U", l, n), Node("U", l, n + 1), r"$\beta$", "beta"))
            edges.append(Edge(Node("I", l, n), Node("U", l, n + 1), "", "current"))
            edges.append(Edge(Node("S", l - 1, n), Node("I", l, n + 1), f"$W^{{({l})}}$",
                              "feedforward"))
            if spiking and net.V[l - 1] is not None:
                edges.append(Edge(Node("S", l, n), Node("I", l, n + 1), f"$V^{{({l})}}$",
                                  "recurrent"))
            if spiking and has_reset:
                edges.append(Edge(Node("S", l, n), Node("U", l, n + 1), "reset", "reset"))
    return edges


def graph_nodes(net, n_steps=3):
    """All nodes of the unrolled graph, bottom (input) to top (readout), step by step."""
    if not isinstance(net, Network):
        raise TypeError(f"net must be a refsnn.Network, got {type(net).__name__}")
    rows = _rows(net.n_hidden_layers)
    return [Node(var, l, n) for n in range(n_steps) for var, l in rows]


def _rows(L):
    """``(var, layer)`` of each row, bottom to top."""
    rows = [("S", 0)]
    for l in range(1, L + 1):
        rows += [("I", l), ("U", l), ("S", l)]
    return rows + [("I", L + 1), ("U", L + 1)]


def default_network():
    """The network drawn by :func:`make`: ``sizes=[2, 3, 2]``, recurrent, subtractive reset."""
    params = LIFParams.from_taus(1e-3, 5e-3, 1e-2, reset="subtract")
    return Network.init([2, 3, 2], params, recurrent=True, rng=0)


# ---------------------------------------------------------------------------- drawing
DX, DY, R = 2.6, 1.15, 0.43  # column spacing, row spacing, node radius (data units)
#: where the step-0 edge labels go: (fraction along the edge, offset, horizontal alignment)
_LABEL_AT = {"alpha": (0.5, (0.0, 0.15), "center"), "beta": (0.5, (0.0, 0.15), "center"),
             "threshold": (0.5, (0.08, 0.0), "left"),
             "feedforward": (0.35, (-0.12, 0.2), "center"),
             "recurrent": (0.5, (-0.3, -0.1), "center"),
             "reset": (0.42, (0.12, -0.2), "center")}


def _tex(node):
    layer = node.layer
    return f"${node.var}^{{({layer})}}[{node.step}]$"


def draw(ax, net, n_steps=3):
    """Draw the graph of ``net`` on ``ax`` (equal aspect, no axis frame)."""
    L = net.n_hidden_layers
    rows = _rows(L)
    y_of = {r: DY * i for i, r in enumerate(rows)}
    pos = {nd: (DX * nd.step, y_of[(nd.var, nd.layer)]) for nd in graph_nodes(net, n_steps)}
    circles = {}
    for nd, (x, y) in pos.items():
        red = nd.var == "S" and nd.layer >= 1
        c = Circle((x, y), R, fc="white", ec=style.SPIKE_RED if red else style.INK, lw=1.2,
                   zorder=3)
        ax.add_patch(c)
        circles[nd] = c
        ax.text(x, y, _tex(nd), ha="center", va="center", fontsize=8, zorder=4)
    for e in graph_edges(net, n_steps):
        colour = style.SPIKE_RED if is_spike_caused(e) else style.INK
        rad = 0.3 if e.kind == "recurrent" else 0.0
        arrow = FancyArrowPatch(pos[e.source], pos[e.target], patchA=circles[e.source],
                                patchB=circles[e.target], arrowstyle="-|>", mutation_scale=9,
                                connectionstyle=f"arc3,rad={rad}", color=colour, lw=1.0,
                                shrinkA=0, shrinkB=1, zorder=2)
        ax.add_patch(arrow)
        if e.kind in _LABEL_AT and e.source.step == 0:
            (x0, y0), (x1, y1) = pos[e.source], pos[e.target]
            f, (ox, oy), ha = _LABEL_AT[e.kind]
            if rad:  # midpoint of matplotlib's arc3 quadratic Bezier
                ox, oy = ox + 0.5 * rad * (y1 - y0), oy - 0.5 * rad * (x1 - x0)
            ax.text(x0 + f * (x1 - x0) + ox, y0 + f * (y1 - y0) + oy, e.label, color=colour,
                    fontsize=8, ha=ha, va="center", zorder=2.5)
    # continuation stubs to the right of the last step
    x_last = DX * (n_steps - 1)
    for y in y_of.values():
        ax.annotate("", xy=(x_last + 0.45 * DX, y), xytext=(x_last + R, y),
                    arrowprops={"arrowstyle": "-|>", "color": "0.65", "lw": 0.8,
                                "linestyle": ":"})
    # row and column labels
    names = {0: "input"}
    names.update({l: f"layer {l}" for l in range(1, L + 1)})
    names[L + 1] = "readout"
    for l, name in names.items():
        ys = [y for (var, ll), y in y_of.items() if ll == l]
        ax.text(-R - 0.35, np.mean(ys), name, rotation=90, ha="center", va="center",
                color="0.35")
        if len(ys) > 1:
            ax.plot([-R - 0.2] * 2, [min(ys) - 0.3, max(ys) + 0.3], color="0.6", lw=0.8)
    y_top = DY * (len(rows) - 1) + R + 0.15
    for n in range(n_steps):
        ax.text(DX * n, y_top, f"$n = {n}$", ha="center", va="bottom")
    ax.annotate("time", xy=(x_last + 0.45 * DX, -R - 0.45), xytext=(-R, -R - 0.45),
                va="center", arrowprops={"arrowstyle": "-|>", "color": "0.35", "lw": 0.9},
                color="0.35")
    ax.text(-R, -R - 0.95, "black: state dynamics;  red: caused by spikes "
            "(reset, recurrent $V$, weights to the next layer)", fontsize=7.5,
            va="center", color="0.35")
    ax.set_xlim(-R - 0.7, x_last + 0.5 * DX)
    ax.set_ylim(-R - 1.15, y_top + 0.45)
    ax.set_aspect("equal")
    ax.axis("off")


def make(out_dir, quick=False):
    """Draw the figure into ``out_dir`` (``computational_graph.png`` / ``.pdf``); return paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    """
    out_dir = style.check_out_dir(out_dir)
    net = default_network()
    with style.house_style():
        fig = style.new_figure(6.0, 6.4)
        ax = fig.add_axes([0, 0, 1, 1])
        draw(ax, net)
        return style.save(fig, out_dir, NAME, quick)

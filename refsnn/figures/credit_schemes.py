r"""Tutorial Fig. 5 (journal version: Figure 5): four ways of assigning credit to hidden layers.

Drawn from a description of the layers, ``sizes = [n_in, n_1, ..., n_L, n_out]``
(:func:`scheme_edges`), with the matrices of :mod:`refsnn.grad.feedback` (indices
``l = 0 .. L-1`` the hidden layers, as in ``net.W[l]``). With :math:`\delta^{(l)}` the error at
hidden layer ``l`` (1-based in the equations, as ``h^(l)`` in the figure):

* (a) **BP**: :math:`\delta^{(l)} = \sigma' \cdot W^{(l+1)\top}\delta^{(l+1)}`, the error
  passes down through the transposes of the forward weights (``W^(L+1) = W_o``);
* (b) **FA** (§V-A): the same path through fixed random ``B[l]`` of the shape of
  ``net.W[l+1]`` (the matrix it stands in for): :math:`B[l-1]^\top\delta^{(l+1)}`;
* (c) **DFA**: the readout's error goes to every hidden layer through its own fixed
  ``H[l]`` ``(n_out, n_l)``; nothing passes between hidden layers;
* (d) **local errors** (DCLL, Eq. 19): every hidden layer drives a fixed random readout
  ``G[l]`` ``(n_out, n_l)`` with its own loss (same loss function and target as the top); its
  error comes back through ``G[l]^T`` only, nothing passes between layers.

What must be visible: four panels side by side, each with the layers as rows of circles (input
``x`` at the bottom, hidden ``h^(l)``, output ``y``, the loss at the top); forward weights as
solid black arrows on the left of each gap, labelled ``W^(l)``, ``W_o``; the error paths in
blue, labelled with the matrix they are multiplied by; the *fixed random* connections dashed
(the caption's convention): all of FA's and DFA's feedback, and local errors' ``G[l]`` in both
directions; BP's feedback solid (it reuses ``W``). DFA's edges fan out from the output on the
right side, one per hidden layer; in (d) each hidden layer has a local readout and loss on its
right, and no blue arrow joins two layers.

Read next: refsnn/figures/feedback_alignment.py, the rules of Fig. 5 trained side by side.
"""
from __future__ import annotations

from collections import namedtuple

from matplotlib.lines import Line2D
from matplotlib.patches import Circle, FancyArrowPatch, FancyBboxPatch
from matplotlib.path import Path

from ..checks import check_int
from . import style

NAME = "credit_schemes"

#: the schemes, in the order of the paper's panels
SCHEMES = ("bp", "fa", "dfa", "local")
TITLES = {"bp": "(a) BP\nbackpropagation", "fa": "(b) FA\nfeedback alignment",
          "dfa": "(c) DFA\ndirect feedback alignment", "local": "(d) local errors\nDCLL, Eq. 19"}
#: the layers drawn by :func:`make`: input, two hidden layers (so that FA and DFA differ), output
SIZES = (3, 4, 4, 2)

#: a node: ``role`` in :data:`ROLES`; ``layer`` 0 = input, 1..L hidden, L+1 output (the top
#: loss has layer L+1, a local readout and its loss the layer they belong to)
Node = namedtuple("Node", "role layer")
ROLES = ("layer", "loss", "local", "local_loss")
#: an edge: ``kind`` in :data:`KINDS`; ``fixed`` for fixed random matrices (dashed);
#: ``matrix`` the library's name (``"W[1]"``, ``"B[0]"``, ... or None for the loss) and
#: ``shape`` its stored shape; an ``"error"`` edge multiplies by its transpose
Edge = namedtuple("Edge", "source target label kind fixed matrix shape")
KINDS = ("forward", "loss", "error")

ERROR_BLUE = "#1f77b4"


def check_sizes(sizes):
    """``sizes`` as a tuple of >= 3 positive ints (input, >= 1 hidden layer, output)."""
    if isinstance(sizes, (str, bytes)) or not hasattr(sizes, "__len__"):
        raise TypeError(f"sizes must be a list of layer sizes, got {type(sizes).__name__}")
    if len(sizes) < 3:
        raise ValueError(f"sizes must have >= 3 entries (input, hidden layers, output), got "
                         f"{len(sizes)}")
    return tuple(check_int(f"sizes[{i}]", n, 1) for i, n in enumerate(sizes))


def node_size(node, sizes):
    """Number of units of ``node``: ``sizes[l]`` for a layer, ``n_out`` for a local readout,
    1 for a loss."""
    if node.role == "layer":
        return sizes[node.layer]
    return sizes[-1] if node.role == "local" else 1


def _w_label(l, L, transposed=False):
    """``W^(l)`` (``W_o`` for ``l = L+1``), optionally transposed, as mathtext."""
    name = "W_o" if l == L + 1 else f"W^{{({l})}}"
    if transposed:
        name = r"W_o^\top" if l == L + 1 else f"W^{{({l})\\top}}"
    return f"${name}$"


def scheme_edges(scheme, sizes=SIZES):
    """The edges of credit-assignment ``scheme`` for a network of layer ``sizes``.

    Parameters
    ----------
    scheme : str
        One of :data:`SCHEMES`.
    sizes : sequence of int
        ``[n_in, n_1, ..., n_L, n_out]``, ``L >= 1``.

    Returns
    -------
    list of Edge
        Forward weights ``W^(l)`` (``net.W[l-1]``), the loss, then the error edges top-down:
        BP ``W^(l+1)T`` and FA ``B[l-1]T`` from layer ``l+1`` to ``l``; DFA ``H[l-1]T`` from
        the output to each hidden layer ``l``; local errors ``G[l-1]`` to a local readout, its
        loss, and ``G[l-1]T`` back (``l`` 1-based; ``B``, ``H``, ``G`` indexed as in
        :mod:`refsnn.grad.feedback`).
    """
    if scheme not in SCHEMES:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    sizes = check_sizes(sizes)
    L = len(sizes) - 2
    layer = [Node("layer", l) for l in range(L + 2)]
    loss = Node("loss", L + 1)
    edges = [Edge(layer[l - 1], layer[l], _w_label(l, L), "forward", False, f"W[{l - 1}]",
                  (sizes[l], sizes[l - 1])) for l in range(1, L + 2)]
    edges += [Edge(layer[-1], loss, "", "loss", False, None, None),
              Edge(loss, layer[-1], "", "error", False, None, None)]
    for l in range(L, 0, -1):                       # hidden layer l (1-based), top-down
        if scheme == "bp":
            edges.append(Edge(layer[l + 1], layer[l], _w_label(l + 1, L, True), "error",
                              False, f"W[{l}]", (sizes[l + 1], sizes[l])))
        elif scheme == "fa":
            edges.append(Edge(layer[l + 1], layer[l], f"$B[{l - 1}]^\\top$", "error", True,
                              f"B[{l - 1}]", (sizes[l + 1], sizes[l])))
        elif scheme == "dfa":
            edges.append(Edge(layer[-1], layer[l], f"$H[{l - 1}]^\\top$", "error", True,
                              f"H[{l - 1}]", (sizes[-1], sizes[l])))
        else:
            local, local_loss = Node("local", l), Node("local_loss", l)
            shape = (sizes[-1], sizes[l])
            edges += [Edge(layer[l], local, f"$G[{l - 1}]$", "forward", True, f"G[{l - 1}]",
                           shape),
                      Edge(local, local_loss, "", "loss", False, None, None),
                      Edge(local_loss, local, "", "error", False, None, None),
                      Edge(local, layer[l], f"$G[{l - 1}]^\\top$", "error", True,
                           f"G[{l - 1}]", shape)]
    return edges


# ---------------------------------------------------------------------------- drawing
SP, R, PAD = 0.5, 0.16, 0.09    # circle spacing, radius, padding of a layer's box (data units)
DY = 1.7                        # row spacing
OFF = 0.2                       # offset of the forward (left) / error (right) arrow of a gap
GAP_LOCAL = 1.0                 # gap between a hidden layer and its local readout
BUS0, BUS_GAP = 0.8, 0.3       # DFA: first bus beyond the widest layer, spacing of buses
LOSS_HW, LOSS_HH = 0.3, 0.18    # half width / height of a loss box
MIN_PANEL = 2.1                 # inches: the narrowest panel (its title's width)


def _half_width(n):
    return (n - 1) / 2 * SP + R + PAD


def layout(scheme, sizes=SIZES):
    """Boxes ``node -> (x, y, half_width, half_height)`` of every node of ``scheme``."""
    sizes = check_sizes(sizes)
    L = len(sizes) - 2
    hh = R + PAD
    boxes = {Node("layer", l): (0.0, DY * l, _half_width(n), hh) for l, n in enumerate(sizes)}
    boxes[Node("loss", L + 1)] = (0.0, DY * (L + 2), LOSS_HW, LOSS_HH)
    x_local = max(_half_width(n) for n in sizes) + GAP_LOCAL + _half_width(sizes[-1])
    for e in scheme_edges(scheme, sizes):
        for nd in (e.source, e.target):
            if nd.role == "local":
                boxes[nd] = (x_local, DY * nd.layer, _half_width(sizes[-1]), hh)
            elif nd.role == "local_loss":
                boxes[nd] = (x_local, DY * (nd.layer + 0.5), LOSS_HW, LOSS_HH)
    return boxes


def fan_out(edges):
    """Sources with more than one error edge into layers (drawn as brackets on the right)."""
    count = {}
    for e in edges:
        if e.kind == "error" and e.target.role == "layer":
            count[e.source] = count.get(e.source, 0) + 1
    return {nd for nd, c in count.items() if c > 1}


def _route(e, boxes, bus_x):
    """Vertices of edge ``e`` and the position / alignment of its label."""
    xs, ys, ws, hs = boxes[e.source]
    xt, yt, wt, ht = boxes[e.target]
    err = e.kind == "error"
    if bus_x is not None:                         # bracket: out right, down the bus, in left
        verts = [(xs + ws, ys), (bus_x, ys), (bus_x, yt), (xt + wt, yt)]
        return verts, ((xt + wt + bus_x) / 2, yt + 0.05, "center", "bottom")
    if ys == yt:                                  # horizontal: forward above, error below
        dy = -0.1 if err else 0.1
        sign = 1 if xt > xs else -1
        verts = [(xs + sign * ws, ys + dy), (xt - sign * wt, yt + dy)]
        return verts, ((xs + xt) / 2 + sign * (ws - wt) / 2, ys + dy + (-0.07 if err else 0.07),
                       "center", "top" if err else "bottom")
    dx = OFF if err else -OFF                     # vertical: forward left, error right
    sign = 1 if yt > ys else -1
    verts = [(xs + dx, ys + sign * hs), (xt + dx, yt - sign * ht)]
    return verts, (xs + dx + (0.07 if err else -0.07), (ys + yt) / 2 + sign * (hs - ht) / 2,
                   "left" if err else "right", "center")


def draw(ax, scheme, sizes=SIZES):
    """Draw ``scheme`` for layer ``sizes`` on ``ax`` (equal aspect, no frame); returns the
    data limits ``(x0, x1, y0, y1)`` it set."""
    edges = scheme_edges(scheme, sizes)
    sizes = check_sizes(sizes)
    boxes = layout(scheme, sizes)
    L = len(sizes) - 2
    for nd, (x, y, hw, hh) in boxes.items():
        if nd.role in ("loss", "local_loss"):
            ax.add_patch(FancyBboxPatch((x - hw, y - hh), 2 * hw, 2 * hh,
                                        boxstyle="round,pad=0,rounding_size=0.08",
                                        fc="0.93", ec=style.INK, lw=0.9))
            sub = "" if nd.role == "loss" else f"^{{({nd.layer})}}"
            ax.text(x, y, f"$\\mathcal{{L}}{sub}$", ha="center", va="center", fontsize=9)
            continue
        ax.add_patch(FancyBboxPatch((x - hw, y - hh), 2 * hw, 2 * hh,
                                    boxstyle="round,pad=0,rounding_size=0.12", fc="0.97",
                                    ec="0.75", lw=0.7))
        n = node_size(nd, sizes)
        for i in range(n):
            ax.add_patch(Circle((x + (i - (n - 1) / 2) * SP, y), R, fc="white", ec=style.INK,
                                lw=0.9, zorder=3))
        if nd.role == "layer":
            name = {0: "$x$", L + 1: "$y$"}.get(nd.layer, f"$h^{{({nd.layer})}}$")
            ax.text(x - hw - 0.08, y, name, ha="right", va="center", fontsize=9)
    fan = fan_out(edges)
    x_max = max(x + hw for x, _, hw, _ in boxes.values())
    n_bus = 0
    for e in edges:
        bus_x = None
        if e.kind == "error" and e.source in fan and e.target.role == "layer":
            bus_x = max(_half_width(n) for n in sizes) + BUS0 + n_bus * BUS_GAP
            n_bus += 1
            x_max = max(x_max, bus_x)
        verts, (lx, ly, ha, va) = _route(e, boxes, bus_x)
        colour = ERROR_BLUE if e.kind == "error" else style.INK
        codes = [Path.MOVETO] + [Path.LINETO] * (len(verts) - 1)
        ax.add_patch(FancyArrowPatch(path=Path(verts, codes), arrowstyle="-|>",
                                     mutation_scale=8, color=colour,
                                     lw=0.8 if e.kind == "loss" else 1.2,
                                     linestyle=(0, (3.5, 2)) if e.fixed else "-", zorder=2))
        if e.label:
            ax.text(lx, ly, e.label, color=colour, ha=ha, va=va, fontsize=8)
    x0 = -max(_half_width(n) for n in sizes) - 0.5
    limits = (x0, x_max + 0.15, -R - PAD - 0.1, DY * (L + 2) + LOSS_HH + 0.1)
    ax.set_xlim(*limits[:2])
    ax.set_ylim(*limits[2:])
    ax.set_aspect("equal")
    ax.axis("off")
    return limits


def make(out_dir, quick=False, sizes=SIZES):
    """Draw the figure into ``out_dir`` (``credit_schemes.png`` / ``.pdf``); return the paths.

    Parameters
    ----------
    out_dir : str or os.PathLike
    quick : bool
        Lower resolution (tests).
    sizes : sequence of int
        The layers drawn (default :data:`SIZES`).
    """
    out_dir = style.check_out_dir(out_dir)
    scale = 0.62                                   # inches per data unit
    margin, top, bottom = 0.2, 0.6, 0.55          # inches
    with style.house_style():
        fig = style.new_figure(1, 1)
        axes = [fig.add_axes([0, 0, 1, 1]) for _ in SCHEMES]
        limits = [draw(ax, s, sizes) for ax, s in zip(axes, SCHEMES)]
        widths = []
        for ax, (x0, x1, _, _) in zip(axes, limits):   # room for the two-line titles
            widths.append(max((x1 - x0) * scale, MIN_PANEL))
            ax.set_xlim(x0, x0 + widths[-1] / scale)
        height = max(y1 - y0 for _, _, y0, y1 in limits) * scale
        W = sum(widths) + margin * (len(widths) + 1)
        H = height + top + bottom
        fig.set_size_inches(W, H)
        x = margin
        for ax, w, s in zip(axes, widths, SCHEMES):
            ax.set_position([x / W, bottom / H, w / W, height / H])
            ax.set_title(TITLES[s], loc="left")
            x += w + margin
        handles = [Line2D([], [], color=style.INK, lw=1.2),
                   Line2D([], [], color=ERROR_BLUE, lw=1.2),
                   Line2D([], [], color=ERROR_BLUE, lw=1.2, ls=(0, (3.5, 2))),
                   Line2D([], [], color=style.INK, lw=1.2, ls=(0, (3.5, 2)))]
        fig.legend(handles, ["forward weights", "error (from the loss; BP: through $W^\\top$)",
                             "error, through a fixed random matrix",
                             "fixed random forward (local readout)"],
                   loc="lower left", bbox_to_anchor=(margin / W, 0.22 / H), ncol=4,
                   handlelength=2.5, borderaxespad=0)
        fig.text(margin / W, 0.06 / H,
                 r"dashed: fixed random connections (the caption's convention).  "
                 r"$W^{(l)}$ = net.W[l-1], $W_o$ = net.W[-1];  $B[l], H[l], G[l]$: the "
                 r"matrices of refsnn.grad.feedback, entry $l$ for hidden layer $h^{(l+1)}$",
                 fontsize=7.5, color="0.35")
        return style.save(fig, out_dir, NAME, quick)

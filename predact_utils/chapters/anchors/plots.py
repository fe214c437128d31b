"""Figures of the section "Implicit blueprints and anchor spans" (the paper's Fig. 1 and n-gram curves).

* Fig. 1 top: the Sankey of a prompt's generations through its anchor spans,
  static (:func:`sankey_static`, an alluvial drawing in matplotlib) and
  interactive (:func:`sankey_plotly`: a dropdown switches between precomputed
  prompts, Base and aligned side by side).
* Fig. 1 bottom: generations aligned with at least k others along the
  position (:func:`position_figure`, :func:`position_plotly`).
* The alignment itself as a picture (:func:`alignment_figure`).
* n-gram coverage curves with the paper's reported values marked
  (:func:`ngram_figure`, :func:`ngram_plotly`).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.colors import ListedColormap, to_rgba
from matplotlib.figure import Figure
from matplotlib.patches import PathPatch, Rectangle
from matplotlib.path import Path

from predact_utils.bootstrap import mean_band as prompt_band
from predact_utils.chapters.anchors.analysis import AnchorSpan, SankeyGraph, aligned_with_others, carries
from predact_utils.chapters.anchors.msa import GAP
from predact_utils.chapters.anchors.ngrams import PAPER_REPORTED

Node = tuple[str, int]
Decode = Callable[[list[int]], str]
ROLE_LABEL = {"base": "Base", "aligned": "aligned"}
FREE_COLOR, OTHER_COLOR, END_COLOR = "#c7c7c7", "#8c8c8c", "#4d4d4d"


def show_text(text: str, width: int | None = 40) -> str:
    """Generated text made visible in a label: newlines as ⏎, runs of spaces kept short, truncated."""
    t = text.replace("\r", "").replace("\n", "⏎").replace("\t", "⇥")
    if not t.strip():
        t = t.replace(" ", "␣")
    if width is not None and len(t) > width:
        t = t[: width - 1] + "…"
    return t


# ---------------------------------------------------------------- Sankey layout


@dataclass
class SankeyLayout:
    """Nodes of a :class:`SankeyGraph` in drawing order, with layer, flow, label and colour."""

    nodes: list[Node]
    layer: dict[Node, int]
    flow: dict[Node, int]
    label: dict[Node, str]
    hover: dict[Node, str]
    color: dict[Node, str]
    links: dict[tuple[Node, Node], int]
    n_layers: int


def _layer(node: Node) -> int:
    kind, k = node
    return {"start": 0, "free": 2 * k + 1, "anchor": 2 * k + 2, "other": 2 * k + 2}.get(kind, -1)


def sankey_layout(graph: SankeyGraph, decode: Decode, color: str, label_width: int = 40) -> SankeyLayout:
    """Label, colour and place the nodes of ``graph`` (anchors carry their decoded text)."""
    flow = graph.node_flow()
    n_layers = 2 * len(graph.spans) + 3
    rank = {"start": 0, "anchor": 1, "free": 2, "other": 3, "end": 4}
    nodes = sorted(flow, key=lambda n: (_layer(n) if n[0] != "end" else n_layers - 1, rank[n[0]]))
    layer = {n: (_layer(n) if n[0] != "end" else n_layers - 1) for n in nodes}
    label, hover, colors = {}, {}, {}
    n_total = flow.get(("start", 0), 0)
    for n in nodes:
        kind, k = n
        if kind == "anchor":
            span = graph.spans[k]
            text = decode(list(span.tokens))
            label[n] = show_text(text, label_width)
            hover[n] = (f"anchor {k + 1}: {span.length} tokens, carried verbatim by {span.support} "
                        f"of {span.n_sequences}<br>{show_text(text, 120)}")
            colors[n] = color
        elif kind == "other":
            label[n] = "other"
            hover[n] = f"text at anchor {k + 1}'s place, but not the anchor"
            colors[n] = OTHER_COLOR
        elif kind == "free":
            stretches = graph.free_text.get(k, [])
            lengths = [len(s) for s in stretches]
            example = show_text(decode(stretches[0]), 80) if stretches else ""
            label[n] = "…"
            hover[n] = (f"divergent text, median {int(np.median(lengths)) if lengths else 0} tokens"
                        f"<br>e.g. {example}")
            colors[n] = FREE_COLOR
        else:
            label[n] = "prompt" if kind == "start" else "end"
            hover[n] = f"{n_total} generations"
            colors[n] = END_COLOR
    return SankeyLayout(nodes, layer, flow, label, hover, colors, graph.links(), n_layers)


def _rgba(color: str, alpha: float) -> str:
    r, g, b, _ = to_rgba(color)
    return f"rgba({int(r * 255)},{int(g * 255)},{int(b * 255)},{alpha})"


def sankey_trace(graph: SankeyGraph, decode: Decode, color: str, domain_x: tuple[float, float],
                 visible: bool = True) -> go.Sankey:
    """One plotly Sankey trace of a prompt's generations (nodes in sequence order, left to right)."""
    lay = sankey_layout(graph, decode, color)
    index = {n: i for i, n in enumerate(lay.nodes)}
    x = [0.001 + 0.998 * lay.layer[n] / max(lay.n_layers - 1, 1) for n in lay.nodes]
    y_of = {"start": 0.5, "end": 0.5, "anchor": 0.25, "free": 0.5, "other": 0.75}
    y = [y_of[n[0]] for n in lay.nodes]
    src, tgt, val = zip(*[(index[s], index[t], v) for (s, t), v in lay.links.items()], strict=True) \
        if lay.links else ((), (), ())
    return go.Sankey(
        domain={"x": list(domain_x), "y": [0.0, 0.92]}, visible=visible, arrangement="snap",
        node={"label": [lay.label[n] for n in lay.nodes], "color": [lay.color[n] for n in lay.nodes],
              "x": x, "y": y, "pad": 8, "thickness": 12, "customdata": [lay.hover[n] for n in lay.nodes],
              "hovertemplate": "%{customdata}<br>%{value} generations<extra></extra>"},
        link={"source": list(src), "target": list(tgt), "value": list(val),
              "color": [_rgba(lay.color[lay.nodes[t]], 0.35) for t in tgt],
              "hovertemplate": "%{value} generations<extra></extra>"},
        textfont={"size": 10},
    )


def sankey_plotly(examples: Sequence[tuple[str, SankeyGraph, SankeyGraph]], decode: Decode,
                  colors: tuple[str, str] = ("#1f77b4", "#d62728"),
                  names: tuple[str, str] = ("Base", "aligned")) -> go.Figure:
    """Base (left) and aligned (right) Sankeys of several prompts; a dropdown picks the prompt.

    ``examples`` holds ``(prompt text, Base graph, aligned graph)``.
    """
    fig = go.Figure()
    for i, (_, base, aligned) in enumerate(examples):
        fig.add_trace(sankey_trace(base, decode, colors[0], (0.0, 0.48), visible=i == 0))
        fig.add_trace(sankey_trace(aligned, decode, colors[1], (0.52, 1.0), visible=i == 0))
    buttons = []
    for i, (prompt, _, _) in enumerate(examples):
        vis = [j // 2 == i for j in range(2 * len(examples))]
        buttons.append({"label": show_text(prompt, 60), "method": "update",
                        "args": [{"visible": vis}, {"title.text": show_text(prompt, 110)}]})
    fig.update_layout(
        title={"text": show_text(examples[0][0], 110) if examples else "", "x": 0.5, "y": 0.9, "font": {"size": 13}},
        height=560, margin={"l": 10, "r": 10, "t": 110, "b": 10}, font={"size": 10},
        updatemenus=[{"buttons": buttons, "direction": "down", "x": 0.0, "xanchor": "left", "y": 1.22,
                      "yanchor": "top", "showactive": True}],
        annotations=[{"text": f"<b>{names[0]}</b>", "x": 0.24, "y": 0.97, "xref": "paper", "yref": "paper",
                      "showarrow": False},
                     {"text": f"<b>{names[1]}</b>", "x": 0.76, "y": 0.97, "xref": "paper", "yref": "paper",
                      "showarrow": False}],
    )
    return fig


def _band(ax: plt.Axes, x0: float, x1: float, y0a: float, y0b: float, y1a: float, y1b: float,
          color: str, alpha: float = 0.35) -> None:
    """A flow band from the left edge [y0a, y0b] at x0 to the right edge [y1a, y1b] at x1 (cubic curves)."""
    xm = (x0 + x1) / 2
    verts = [(x0, y0a), (xm, y0a), (xm, y1a), (x1, y1a), (x1, y1b), (xm, y1b), (xm, y0b), (x0, y0b), (x0, y0a)]
    codes = [Path.MOVETO, Path.CURVE4, Path.CURVE4, Path.CURVE4, Path.LINETO, Path.CURVE4, Path.CURVE4,
             Path.CURVE4, Path.CLOSEPOLY]
    ax.add_patch(PathPatch(Path(verts, codes), facecolor=color, edgecolor="none", alpha=alpha, lw=0))


def sankey_static(ax: plt.Axes, graph: SankeyGraph, decode: Decode, color: str, title: str = "",
                  label_width: int = 18) -> None:
    """Draw the Sankey of one prompt on ``ax`` (an alluvial diagram: node height = generations)."""
    lay = sankey_layout(graph, decode, color, label_width=None)
    total = max(lay.flow.get(("start", 0), 1), 1)
    node_w, gap = 0.22, 0.06 * total
    height = total + 2 * gap
    pos: dict[Node, tuple[float, float]] = {}  # node -> (x, y bottom); y grows upwards, anchors on top
    for layer in range(lay.n_layers):
        members = [n for n in lay.nodes if lay.layer[n] == layer]
        y = height
        for n in members:
            y -= lay.flow[n]
            pos[n] = (float(layer), y)
            y -= gap
    out_off = {n: pos[n][1] + lay.flow[n] for n in lay.nodes}  # fill from the top
    in_off = dict(out_off)
    for (s, t), v in sorted(lay.links.items(), key=lambda kv: (lay.layer[kv[0][0]], -pos[kv[0][0]][1], -pos[kv[0][1]][1])):
        x0, x1 = pos[s][0] + node_w / 2, pos[t][0] - node_w / 2
        _band(ax, x0, x1, out_off[s] - v, out_off[s], in_off[t] - v, in_off[t], lay.color[t])
        out_off[s] -= v
        in_off[t] -= v
    for n in lay.nodes:
        x, y = pos[n]
        ax.add_patch(Rectangle((x - node_w / 2, y), node_w, lay.flow[n], facecolor=lay.color[n], edgecolor="none"))
        if n[0] == "anchor":
            text = "\n".join(textwrap.wrap(show_text(lay.label[n], 3 * label_width), label_width,
                                            drop_whitespace=False)[:3])
            ax.text(x, y + lay.flow[n] + 0.012 * total, text, ha="center", va="bottom", fontsize=8,
                    family="monospace", bbox={"facecolor": "white", "alpha": 0.85, "pad": 1.5, "edgecolor": color,
                                              "lw": 0.6})
            ax.text(x, y + lay.flow[n] / 2, str(lay.flow[n]), ha="center", va="center", fontsize=6, color="white",
                    rotation=90)
        elif n[0] in ("start", "end"):
            ax.text(x, y - 0.02 * total, lay.label[n], ha="center", va="top", fontsize=7)
    ax.set_xlim(-0.5, lay.n_layers - 0.5)
    ax.set_ylim(-0.08 * total, height + 0.3 * total)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10, loc="left")


def sankey_pair_figure(prompt: str, base: SankeyGraph, aligned: SankeyGraph, decode: Decode,
                       colors: tuple[str, str] = ("#1f77b4", "#d62728"), names: tuple[str, str] = ("Base", "aligned"),
                       ) -> Figure:
    """Fig. 1 top, static: Base above, aligned below, for one prompt."""
    widths = [max(2 * len(g.spans) + 3, 3) for g in (base, aligned)]
    fig, axes = plt.subplots(2, 1, figsize=(min(3 + 0.75 * max(widths), 14), 7.5))
    for ax, g, c, name in zip(axes, (base, aligned), colors, names, strict=True):
        n = g.node_flow().get(("start", 0), 0)
        sankey_static(ax, g, decode, c, f"{name}: {n} generations, {len(g.spans)} anchor spans shown")
    fig.suptitle(textwrap.shorten(f"Prompt: {prompt}", 120), fontsize=10)
    legend = [Rectangle((0, 0), 1, 1, color=c) for c in (colors[1], FREE_COLOR, OTHER_COLOR)]
    fig.legend(legend, ["anchor span (coloured by model)", "divergent text", "other text at an anchor's place"],
               loc="lower center", ncol=3, fontsize=8, frameon=False)
    return fig


# ---------------------------------------------------------------- alignment picture


def alignment_figure(items: Sequence[tuple[str, np.ndarray, Sequence[AnchorSpan], str]], min_others: int = 5,
                     max_columns: int | None = None) -> Figure:
    """The alignment matrices side by side: gap, token, token aligned with >= k others, anchor-span token.

    ``items`` holds ``(title, columns, spans, colour)``; rows are sorted by how many spans they carry.
    """
    fig, axes = plt.subplots(1, len(items), figsize=(6.2 * len(items), 4.2), squeeze=False)
    for ax, (title, cols, spans, color) in zip(axes[0], items, strict=True):
        codes = np.where(cols == GAP, 0, 1)
        codes[aligned_with_others(cols, min_others)] = 2
        carried = np.zeros(len(cols), dtype=int)
        for s in spans:
            hit = carries(cols, s)
            carried += hit
            idx = list(s.columns)
            block = cols[:, idx] == np.asarray(s.tokens)[None, :]
            codes[:, idx] = np.where(block, 3, codes[:, idx])
        order = np.lexsort((np.arange(len(cols)), -(cols != GAP).sum(axis=1), -carried))
        view = codes[order][:, :max_columns] if max_columns else codes[order]
        cmap = ListedColormap(["white", "#dcdcdc", to_rgba(color, 0.45), color])
        ax.imshow(view, aspect="auto", interpolation="nearest", cmap=cmap, vmin=0, vmax=3)
        ax.set_title(title, fontsize=10, loc="left")
        ax.set_xlabel("alignment column")
        ax.set_ylabel("generation (sorted)")
        ax.grid(False)
        handles = [Rectangle((0, 0), 1, 1, facecolor=c, edgecolor="#999999", lw=0.4) for c in cmap.colors]
        ax.legend(handles, ["gap", "token", f"aligned with ≥{min_others} others", "anchor span"], fontsize=7,
                  loc="lower right", framealpha=0.9)
    return fig


# ---------------------------------------------------------------- aligned with >= k others


@dataclass
class PositionCurves:
    """Per model: prompt x position matrices of the aligned-with-k-others count (and of running generations)."""

    normalised: dict[str, np.ndarray]
    absolute: dict[str, np.ndarray]
    running: dict[str, np.ndarray]
    points: np.ndarray  # the normalised positions


def position_figure(curves: PositionCurves, colors: dict[str, str], min_others: int = 5, seed: int = 0,
                    n_samples: int | None = None, controls: dict[str, PositionCurves] | None = None) -> Figure:
    """Fig. 1 bottom: mean over prompts with a 95% bootstrap band, normalised (left) and absolute (right);
    ``controls`` (``matched``, ``chance``: curves of the control prompts) are drawn as mean lines on the left."""
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), sharey=True)
    for model, mat in curves.normalised.items():
        mean, lo, hi = prompt_band(mat, seed=seed)
        ax1.plot(curves.points, mean, color=colors[model], label=model, lw=1.8)
        ax1.fill_between(curves.points, lo, hi, color=colors[model], alpha=0.2, lw=0)
    for kind, ctrl in (controls or {}).items():
        ls, what = CONTROL_STYLES[kind]
        for model, mat in ctrl.normalised.items():
            ax1.plot(ctrl.points, mat.mean(axis=0), color=colors[model], ls=ls, lw=1.1, label=f"{model}: {what}")
    for model, mat in curves.absolute.items():
        x = np.arange(mat.shape[1])
        mean, lo, hi = prompt_band(mat, seed=seed)
        ax2.plot(x, mean, color=colors[model], label=model, lw=1.8)
        ax2.fill_between(x, lo, hi, color=colors[model], alpha=0.2, lw=0)
        ax2.plot(x, curves.running[model].mean(axis=0), color=colors[model], ls=":", lw=1.1,
                 label=f"{model}: generations still running")
    ax1.set_xlabel("normalised position in the generation (token index / length)")
    ax2.set_xlabel("token position")
    ax1.set_ylabel(f"generations aligned with ≥{min_others} others")
    if n_samples:
        ax1.set_ylim(0, n_samples * 1.02)
    ax1.legend(fontsize=8, loc="upper center")
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.18), ncol=2, frameon=False)
    return fig


def position_plotly(curves: PositionCurves, colors: dict[str, str], min_others: int = 5,
                    seed: int = 0) -> go.Figure:
    """Interactive Fig. 1 bottom; a dropdown switches between normalised and absolute position."""
    fig = go.Figure()
    views = [("normalised position", curves.normalised, curves.points),
             ("token position", curves.absolute, None)]
    per_view = []
    for vi, (_, mats, xs) in enumerate(views):
        count = 0
        for model, mat in mats.items():
            x = xs if xs is not None else np.arange(mat.shape[1])
            mean, lo, hi = prompt_band(mat, seed=seed)
            fill = _rgba(colors[model], 0.2)
            fig.add_trace(go.Scatter(x=np.concatenate([x, x[::-1]]), y=np.concatenate([hi, lo[::-1]]),
                                     fill="toself", fillcolor=fill, line={"width": 0}, hoverinfo="skip",
                                     showlegend=False, visible=vi == 0))
            fig.add_trace(go.Scatter(x=x, y=mean, name=model, line={"color": colors[model]}, visible=vi == 0,
                                     hovertemplate="%{y:.1f} generations<extra>" + model + "</extra>"))
            count += 2
            if xs is None:
                fig.add_trace(go.Scatter(x=x, y=curves.running[model].mean(axis=0), visible=False,
                                         name=f"{model}: still running", line={"color": colors[model], "dash": "dot"}))
                count += 1
        per_view.append(count)
    buttons = []
    for vi, (label, _, _) in enumerate(views):
        vis = [False] * sum(per_view)
        start = sum(per_view[:vi])
        vis[start:start + per_view[vi]] = [True] * per_view[vi]
        buttons.append({"label": label, "method": "update", "args": [{"visible": vis}, {"xaxis.title.text": label}]})
    fig.update_layout(height=420, xaxis_title=views[0][0], yaxis_title=f"generations aligned with ≥{min_others} others",
                      updatemenus=[{"buttons": buttons, "x": 0.0, "xanchor": "left", "y": 1.18, "yanchor": "top"}],
                      margin={"t": 70})
    return fig


# ---------------------------------------------------------------- n-gram curves


#: Line styles of the controls beside the real curves.
CONTROL_STYLES: dict[str, tuple[str, str]] = {"matched": ("--", "lengths matched"),
                                              "chance": (":", "chance: other prompts' generations")}


def ngram_figure(table: pd.DataFrame, colors: dict[str, str], seed: int = 0, paper_model: str | None = None,
                 controls: dict[str, pd.DataFrame] | None = None) -> Figure:
    """Share of generations containing the prompt's most common n-gram, mean over prompts with a 95% band;
    ``controls`` (``matched``, ``chance``: coverage tables of the same shape) are drawn as mean lines."""
    fig, ax = plt.subplots(figsize=(7, 4))
    for model, t in table.groupby("model", sort=False):
        mat = t.pivot(index="prompt", columns="n", values="coverage").to_numpy()
        n = np.sort(t["n"].unique())
        mean, lo, hi = prompt_band(mat, seed=seed)
        ax.plot(n, 100 * mean, color=colors[model], label=model, lw=1.8)
        ax.fill_between(n, 100 * lo, 100 * hi, color=colors[model], alpha=0.2, lw=0)
    for kind, ctrl in (controls or {}).items():
        ls, what = CONTROL_STYLES[kind]
        for model, t in ctrl.groupby("model", sort=False):
            mean = t.groupby("n")["coverage"].mean()
            ax.plot(mean.index, 100 * mean.to_numpy(), color=colors[model], ls=ls, lw=1.1, label=f"{model}: {what}")
    xs, ys = zip(*PAPER_REPORTED, strict=True)
    ax.scatter(xs, [100 * y for y in ys], marker="X", s=90, color="black", zorder=5,
               label="paper, RLHF model (reported)" + (f"; compare {paper_model}" if paper_model else ""))
    for x, y in PAPER_REPORTED:
        ax.annotate(f"{100 * y:.0f}% at n = {x}", (x, 100 * y), textcoords="offset points", xytext=(6, 6), fontsize=8)
    ax.set_xlabel("n (tokens)")
    ax.set_ylabel("generations containing the most\ncommon n-gram of their prompt (%)")
    ax.set_ylim(0, 102)
    ax.legend(fontsize=8)
    return fig


def ngram_plotly(table: pd.DataFrame, colors: dict[str, str], prompt_labels: dict[str, str] | None = None,
                 seed: int = 0) -> go.Figure:
    """Interactive n-gram curves: the mean with its band, or (dropdown) one prompt at a time."""
    models = list(dict.fromkeys(table["model"]))
    prompts = list(dict.fromkeys(table["prompt"]))
    fig = go.Figure()
    for model in models:
        t = table[table["model"] == model]
        mat = t.pivot(index="prompt", columns="n", values="coverage").reindex(prompts).to_numpy()
        n = np.sort(t["n"].unique())
        mean, lo, hi = prompt_band(mat, seed=seed)
        fig.add_trace(go.Scatter(x=np.concatenate([n, n[::-1]]), y=100 * np.concatenate([hi, lo[::-1]]),
                                 fill="toself", fillcolor=_rgba(colors[model], 0.2), line={"width": 0},
                                 hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=n, y=100 * mean, name=f"{model} (mean)", line={"color": colors[model]},
                                 hovertemplate="n = %{x}: %{y:.1f}%<extra>" + model + "</extra>"))
    xs, ys = zip(*PAPER_REPORTED, strict=True)
    fig.add_trace(go.Scatter(x=xs, y=[100 * y for y in ys], mode="markers", name="paper, RLHF (reported)",
                             marker={"symbol": "x", "size": 12, "color": "black"}))
    n_fixed = len(fig.data)
    for p in prompts:
        for model in models:
            t = table[(table["model"] == model) & (table["prompt"] == p)].sort_values("n")
            fig.add_trace(go.Scatter(x=t["n"], y=100 * t["coverage"], name=f"{model}", visible=False,
                                     line={"color": colors[model]},
                                     hovertemplate="n = %{x}: %{y:.0f}%<extra>" + model + "</extra>"))
    total = len(fig.data)
    buttons = [{"label": "mean over prompts", "method": "update",
                "args": [{"visible": [i < n_fixed for i in range(total)]}]}]
    for pi, p in enumerate(prompts):
        first = n_fixed + pi * len(models)
        vis = [i == n_fixed - 1 or first <= i < first + len(models) for i in range(total)]
        label = show_text((prompt_labels or {}).get(p, p), 50)
        buttons.append({"label": label, "method": "update", "args": [{"visible": vis}]})
    fig.update_layout(height=420, xaxis_title="n (tokens)", yaxis_title="generations containing the most common n-gram (%)",
                      yaxis_range=[0, 102], margin={"t": 70},
                      updatemenus=[{"buttons": buttons, "x": 0.0, "xanchor": "left", "y": 1.18, "yanchor": "top"}])
    return fig


def sankey_explorer(labels: Sequence[str], make: Callable[[int], tuple[SankeyGraph, SankeyGraph]], decode: Decode,
                    colors: tuple[str, str] = ("#1f77b4", "#d62728"), names: tuple[str, str] = ("Base", "aligned")):
    """Live-kernel prompt picker: an ipywidgets dropdown over *all* prompts that re-draws the Sankey pair.

    ``make(i)`` returns the Base and aligned graphs of prompt ``i`` (aligning it on first use). The
    static book uses :func:`sankey_plotly` instead, whose dropdown needs no kernel.
    """
    import ipywidgets as widgets
    from IPython.display import display

    pick = widgets.Dropdown(options=[(show_text(lab, 70), i) for i, lab in enumerate(labels)], value=0,
                            description="prompt", layout={"width": "90%"})
    out = widgets.Output()

    def draw(i: int) -> None:
        base, aligned = make(i)
        with out:
            out.clear_output(wait=True)
            display(sankey_plotly([(labels[i], base, aligned)], decode, colors, names))

    pick.observe(lambda change: draw(change["new"]), names="value")
    draw(0)
    return widgets.VBox([pick, out])

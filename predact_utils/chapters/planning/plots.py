"""Figures of the planning-ahead section: probe accuracy and information gain against the offset k.

Every function takes the long table the notebook builds from
:class:`predact_utils.chapters.planning.probing.ProbeRun` tables, with columns ``role``
(``base``/``aligned``), ``source`` (``own generations``/``gold text``), ``layer``,
``k`` and the scores of :func:`predact_utils.chapters.planning.probing.summarize`.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure
from plotly.subplots import make_subplots

from predact_utils.plotting import ROLE_COLORS

ROLE_LABELS = {"base": "Base", "aligned": "aligned"}


def _sources(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["source"]))


def _roles(table: pd.DataFrame) -> list[str]:
    return [r for r in ("base", "aligned") if r in set(table["role"])]


def curves_figure(table: pd.DataFrame, layer: int, title: str) -> Figure:
    """Top: top-1 accuracy (solid) and the bigram baseline (dashed); bottom: information gain, with 95% CIs."""
    sources = _sources(table)
    fig, axes = plt.subplots(2, len(sources), figsize=(5 * len(sources), 6.5), sharex=True, squeeze=False)
    for j, src in enumerate(sources):
        for role in _roles(table):
            t = table[(table["source"] == src) & (table["role"] == role) & (table["layer"] == layer)].sort_values("k")
            c = ROLE_COLORS[role]
            ax = axes[0, j]
            ax.plot(t["k"], t["acc"], "o-", color=c, label=f"{ROLE_LABELS[role]}: probe")
            ax.fill_between(t["k"], t["acc_lo"], t["acc_hi"], color=c, alpha=0.2, lw=0)
            ax.plot(t["k"], t["base_acc"], "s--", color=c, ms=3, alpha=0.7, label=f"{ROLE_LABELS[role]}: bigram baseline")
            ax = axes[1, j]
            ax.plot(t["k"], t["gain"], "o-", color=c, label=ROLE_LABELS[role])
            ax.fill_between(t["k"], t["gain_lo"], t["gain_hi"], color=c, alpha=0.2, lw=0)
        axes[0, j].set_title(src)
        axes[0, j].set_ylabel("top-1 accuracy (held-out)")
        axes[1, j].axhline(0, color="black", lw=0.7)
        axes[1, j].set_ylabel("information gain over baseline\n(nats / token)")
        axes[1, j].set_xlabel("offset k (predict token t + k from state at t)")
        axes[1, j].set_xscale("log", base=2)
        ks = sorted(table["k"].unique())
        axes[1, j].set_xticks(ks, [str(k) for k in ks])
    axes[0, 0].legend(fontsize=7)
    axes[1, 0].legend(fontsize=8)
    fig.suptitle(title)
    return fig


def heatmap_figure(table: pd.DataFrame, value: str = "gain", title: str = "") -> Figure:
    """Layer x k heatmap of ``value`` per model (columns) and text source (rows), one shared colour scale."""
    sources, roles = _sources(table), _roles(table)
    vmax = float(np.nanmax(np.abs(table[value]))) or 1.0
    diverging = value in ("gain", "acc_gain")
    fig, axes = plt.subplots(len(sources), len(roles), figsize=(4.6 * len(roles), 2.2 + 1.6 * len(sources)),
                             squeeze=False, layout="constrained")
    im = None
    for i, src in enumerate(sources):
        for j, role in enumerate(roles):
            t = table[(table["source"] == src) & (table["role"] == role)]
            grid = t.pivot(index="layer", columns="k", values=value).sort_index(ascending=False)
            ax = axes[i, j]
            im = ax.imshow(grid.to_numpy(), aspect="auto", cmap="RdBu_r" if diverging else "viridis",
                           vmin=-vmax if diverging else float(np.nanmin(table[value])), vmax=vmax)
            ax.set_xticks(range(grid.shape[1]), [str(k) for k in grid.columns])
            ax.set_yticks(range(grid.shape[0]), [str(layer) for layer in grid.index])
            for (r, c), v in np.ndenumerate(grid.to_numpy()):
                ax.text(c, r, f"{v:.2f}", ha="center", va="center", fontsize=6)
            ax.set_title(f"{ROLE_LABELS[role]} — {src}", fontsize=9)
            ax.set_xlabel("offset k")
            ax.set_ylabel("layer (0 = embeddings)")
            ax.grid(False)
    if im is not None:
        fig.colorbar(im, ax=axes, shrink=0.8, label=value)
    if title:
        fig.suptitle(title)
    return fig


def curves_plotly(table: pd.DataFrame, layers: list[int], initial: int) -> go.Figure:
    """Interactive accuracy and information gain against k; a slider chooses the layer (no kernel needed)."""
    sources, roles = _sources(table), _roles(table)
    fig = make_subplots(rows=2, cols=len(sources), shared_xaxes=True, subplot_titles=sources,
                        vertical_spacing=0.08)
    per_layer = 0
    for layer in layers:
        n0 = len(fig.data)
        for j, src in enumerate(sources):
            for role in roles:
                t = table[(table["source"] == src) & (table["role"] == role) & (table["layer"] == layer)].sort_values("k")
                c, name = ROLE_COLORS[role], ROLE_LABELS[role]
                show = layer == initial
                hover = ("k=%{x}<br>%{y:.3f}<br>" + f"{name}, {src}, layer {layer}<extra></extra>")
                for row, col, lo, hi, dash, label in ((1, "acc", "acc_lo", "acc_hi", None, "probe accuracy"),
                                                     (1, "base_acc", None, None, "dash", "bigram baseline"),
                                                     (2, "gain", "gain_lo", "gain_hi", None, "gain (nats)")):
                    err = None if lo is None else dict(type="data", symmetric=False, array=t[hi] - t[col],
                                                       arrayminus=t[col] - t[lo], thickness=1)
                    fig.add_trace(go.Scatter(x=t["k"], y=t[col], mode="lines+markers", name=f"{name}: {label}",
                                             line=dict(color=c, dash=dash), error_y=err, visible=show,
                                             legendgroup=f"{role}{label}", showlegend=j == 0, hovertemplate=hover),
                                  row=row, col=j + 1)
        per_layer = len(fig.data) - n0
    steps = []
    for i, layer in enumerate(layers):
        vis = [False] * len(fig.data)
        vis[i * per_layer:(i + 1) * per_layer] = [True] * per_layer
        steps.append(dict(method="update", label=str(layer), args=[{"visible": vis}]))
    fig.update_layout(sliders=[dict(active=layers.index(initial), steps=steps, currentvalue={"prefix": "layer "},
                                    pad={"t": 40})],
                      title="Forward-predictive probes: held-out accuracy and gain over the bigram baseline",
                      height=620, template="plotly_white")
    for j in range(len(sources)):
        fig.update_xaxes(type="log", title_text="offset k", row=2, col=j + 1)
    fig.update_yaxes(title_text="top-1 accuracy", row=1, col=1)
    fig.update_yaxes(title_text="gain (nats / token)", row=2, col=1)
    return fig

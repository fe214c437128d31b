"""Figures of the collapse chapter: top-k mass (Fig. 3), tokens above a threshold (Fig. 4),
self-perplexity (Fig. 5) and the cross-model perplexity matrix."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from predact_utils.chapters.collapse.analysis import at_threshold, cross_matrix
from predact_utils.chapters.worldmodel.plots import CATEGORY_ORDER
from predact_utils.plotting import ROLE_COLORS

TEXT_STYLE = {"own": "-", "gold": "--"}
TEXT_LABEL = {"own": "own generations", "gold": "gold text"}


def _pairs(table: pd.DataFrame) -> list[str]:
    return list(dict.fromkeys(table["pair"]))


def topk_figure(curves: pd.DataFrame) -> Figure:
    """Fig. 3: mean cumulative mass of the top-k tokens against k (log axis), one panel per pair."""
    pairs = _pairs(curves)
    fig, axes = plt.subplots(1, len(pairs), figsize=(4.6 * len(pairs), 3.8), squeeze=False, sharey=True)
    for ax, pair in zip(axes[0], pairs, strict=True):
        for (model, text), t in curves[curves["pair"] == pair].groupby(["model", "text"], sort=False):
            ax.plot(t["k"], t["mass"], TEXT_STYLE[text], color=ROLE_COLORS[model], label=f"{model}, {TEXT_LABEL[text]}")
            ax.fill_between(t["k"], t["lo"], t["hi"], color=ROLE_COLORS[model], alpha=0.18, lw=0)
        ax.set_xscale("log")
        ax.set_xlabel("k (tokens, sorted by probability)")
        ax.set_title(pair)
    axes[0][0].set_ylabel("cumulative probability of the top k")
    axes[0][-1].legend(fontsize=8, loc="lower right")
    return fig


def topk_plotly(curves: pd.DataFrame) -> go.Figure:
    """Interactive Fig. 3: a dropdown picks the pair; hover shows the mass and its band."""
    pairs = _pairs(curves)
    fig = go.Figure()
    n_per = []
    for pi, pair in enumerate(pairs):
        groups = list(curves[curves["pair"] == pair].groupby(["model", "text"], sort=False))
        n_per.append(len(groups))
        for (model, text), t in groups:
            fig.add_trace(go.Scatter(
                x=t["k"], y=t["mass"], mode="lines+markers", visible=pi == 0, name=f"{model}, {TEXT_LABEL[text]}",
                line={"color": ROLE_COLORS[model], "dash": "solid" if text == "own" else "dash"}, marker={"size": 4},
                customdata=np.stack([t["lo"], t["hi"]], axis=1),
                hovertemplate="k = %{x}<br>mass %{y:.3f} [%{customdata[0]:.3f}, %{customdata[1]:.3f}]<extra></extra>"))
    starts = np.cumsum([0] + n_per)
    buttons = [{"label": pair, "method": "update",
                "args": [{"visible": [starts[i] <= j < starts[i + 1] for j in range(starts[-1])]}]}
               for i, pair in enumerate(pairs)]
    fig.update_layout(template="plotly_white", height=420, xaxis_type="log", xaxis_title="k",
                      yaxis_title="cumulative probability of the top k",
                      title="Mass on the top-k next tokens (Fig. 3)",
                      updatemenus=[{"buttons": buttons, "x": 1.0, "y": 1.18}] if len(pairs) > 1 else [])
    return fig


def above_figure(table: pd.DataFrame, threshold: float) -> Figure:
    """Fig. 4: mean number of tokens with probability above ``threshold``, per pair, model and text, 95% CIs."""
    t = at_threshold(table, threshold)
    pairs = _pairs(t)
    fig, ax = plt.subplots(figsize=(max(5.0, 2.4 * len(pairs) + 1), 3.8))
    combos = [(m, x) for x in ("gold", "own") for m in ("base", "aligned")]
    width = 0.8 / len(combos)
    for i, (model, text) in enumerate(combos):
        sub = t[(t["model"] == model) & (t["text"] == text)].set_index("pair").reindex(pairs)
        xs = np.arange(len(pairs)) + (i - (len(combos) - 1) / 2) * width
        ax.bar(xs, sub["n_above"], width, color=ROLE_COLORS[model], alpha=1.0 if text == "own" else 0.45,
               hatch=None if text == "own" else "//", edgecolor="white",
               yerr=np.vstack([sub["n_above"] - sub["lo"], sub["hi"] - sub["n_above"]]), capsize=2,
               label=f"{model}, {TEXT_LABEL[text]}")
    ax.set_xticks(np.arange(len(pairs)), pairs)
    ax.set_ylabel(f"tokens with p > {threshold:g} (mean per position)")
    ax.legend(fontsize=8, ncol=2)
    return fig


def threshold_figure(table: pd.DataFrame) -> Figure:
    """Fig. 4 robustness: aligned / Base ratio of the mean count against the threshold, per pair and text."""
    fig, ax = plt.subplots(figsize=(5.6, 3.6))
    for (pair, text), t in table.groupby(["pair", "text"], sort=False):
        w = t.pivot_table(index="threshold", columns="model", values="n_above")
        ax.plot(w.index, w["aligned"] / w["base"], TEXT_STYLE[text], marker="o", ms=3, label=f"{pair}, {TEXT_LABEL[text]}")
    ax.set_xscale("log")
    ax.axhline(1, color="black", lw=0.7)
    ax.set_xlabel("probability threshold")
    ax.set_ylabel("aligned / Base count")
    ax.legend(fontsize=7)
    return fig


def _dataset_order(table: pd.DataFrame) -> list[str]:
    cats = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    first = table.drop_duplicates("dataset").set_index("dataset")["category"]
    return sorted(first.index, key=lambda d: (cats.get(first[d], 9), d))


def self_ppl_figure(table: pd.DataFrame) -> Figure:
    """Fig. 5: each model's perplexity on its own continuations, per dataset (grouped by category), 95% CIs."""
    own = table[table["scorer"] == table["generator"]]
    pairs = _pairs(own)
    datasets = _dataset_order(own)
    fig, axes = plt.subplots(len(pairs), 1, figsize=(10, 3.3 * len(pairs)), squeeze=False)
    x = np.arange(len(datasets))
    for ax, pair in zip(axes[:, 0], pairs, strict=True):
        for i, model in enumerate(("base", "aligned")):
            t = own[(own["pair"] == pair) & (own["scorer"] == model)].set_index("dataset").reindex(datasets)
            ax.bar(x + (i - 0.5) * 0.38, t["ppl"], 0.38, color=ROLE_COLORS[model], label=model,
                   yerr=np.vstack([t["ppl"] - t["lo"], t["hi"] - t["ppl"]]), capsize=2)
        cats = own.drop_duplicates("dataset").set_index("dataset").reindex(datasets)["category"].tolist()
        for j in range(1, len(datasets)):
            if cats[j] != cats[j - 1]:
                ax.axvline(j - 0.5, color="grey", lw=0.6, ls=":")
        ax.set_yscale("log")
        ax.set_xticks(x, datasets, rotation=30, ha="right")
        ax.set_ylabel("self-perplexity")
        ax.set_title(pair)
        ax.legend(fontsize=8)
    return fig


def cross_heatmaps(matrices: dict[str, pd.DataFrame]) -> Figure:
    """The 2x2 scorer x generator perplexity matrices (one panel per pair), numbers written in the cells."""
    fig, axes = plt.subplots(1, len(matrices), figsize=(3.6 * len(matrices), 3.2), squeeze=False)
    for ax, (pair, m) in zip(axes[0], matrices.items(), strict=True):
        vals = np.log(m.to_numpy(dtype=float))
        ax.imshow(vals, cmap="viridis")
        for i in range(2):
            for j in range(2):
                ax.text(j, i, f"{m.iloc[i, j]:.2f}", ha="center", va="center",
                        color="white" if vals[i, j] < vals.mean() else "black")
        ax.set_xticks([0, 1], [f"{c} text" for c in m.columns])
        ax.set_yticks([0, 1], [f"{r} scores" for r in m.index])
        ax.set_title(pair, fontsize=10)
        ax.grid(False)
    return fig


def cross_plotly(table: pd.DataFrame, pair: str) -> go.Figure:
    """Interactive cross-model matrix of one pair: a dropdown picks the dataset (or the mean over datasets)."""
    t = table[table["pair"] == pair]
    views = [("all datasets (geometric mean)", cross_matrix(t))] + [(d, cross_matrix(t, d)) for d in _dataset_order(t)]
    fig = go.Figure()
    for i, (_, m) in enumerate(views):
        z = m.to_numpy(dtype=float)
        fig.add_trace(go.Heatmap(z=np.log(z), x=[f"{c} text" for c in m.columns], y=[f"{r} scores" for r in m.index],
                                 text=np.round(z, 2), texttemplate="%{text}", colorscale="Viridis", showscale=False,
                                 visible=i == 0, hovertemplate="%{y} / %{x}: perplexity %{text}<extra></extra>"))
    buttons = [{"label": label, "method": "update", "args": [{"visible": [j == i for j in range(len(views))]}]}
               for i, (label, _) in enumerate(views)]
    fig.update_layout(template="plotly_white", height=380, width=520, yaxis_autorange="reversed",
                      title=f"Cross-model perplexity, {pair}",
                      updatemenus=[{"buttons": buttons, "x": 1.0, "y": 1.22}])
    return fig

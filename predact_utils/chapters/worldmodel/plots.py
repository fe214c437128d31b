"""Figures of the world-modeling chapter (the paper's Fig. 2A and 2B)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

CATEGORY_ORDER = ("literature", "reference", "technical", "dialogue")


def _corpus_order(table: pd.DataFrame) -> list[str]:
    cats = {c: i for i, c in enumerate(CATEGORY_ORDER)}
    first = table.drop_duplicates("corpus")[["corpus", "category"]]
    return sorted(first["corpus"], key=lambda c: (cats.get(first.set_index("corpus").loc[c, "category"], 9), c))


def delta_figure(table: pd.DataFrame, title: str, value: str = "delta_log_ppl") -> Figure:
    """Δ log-perplexity (aligned − Base) per corpus, grouped by category, one series per pair, 95% CIs."""
    corpora = _corpus_order(table)
    pairs = list(dict.fromkeys(table["pair"]))
    fig, ax = plt.subplots(figsize=(10, 4))
    width = 0.8 / max(1, len(pairs))
    x = np.arange(len(corpora))
    for i, p in enumerate(pairs):
        t = table[table["pair"] == p].set_index("corpus").reindex(corpora)
        yerr = np.vstack([t[value] - t["ci_low"], t["ci_high"] - t[value]])
        ax.bar(x + (i - (len(pairs) - 1) / 2) * width, t[value], width, yerr=yerr, capsize=2, label=p)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x, corpora, rotation=30, ha="right")
    cats = table.drop_duplicates("corpus").set_index("corpus").reindex(corpora)["category"].tolist()
    for j in range(1, len(corpora)):
        if cats[j] != cats[j - 1]:
            ax.axvline(j - 0.5, color="grey", lw=0.6, ls=":")
    ax.set_ylabel("Δ log-perplexity (aligned − Base), nats/token")
    ax.set_title(title)
    ax.legend(fontsize=8)
    return fig


def before_after_figure(before: pd.DataFrame, after: pd.DataFrame) -> Figure:
    """Δ log-perplexity before (x) and after (y) fine-tuning on the target corpus, one point per pair × corpus."""
    m = before.merge(after, on=["pair", "corpus"], suffixes=("_before", "_after"))
    fig, ax = plt.subplots(figsize=(5, 4.5))
    for p, t in m.groupby("pair", sort=False):
        ax.errorbar(t["delta_log_ppl_before"], t["delta_log_ppl_after"],
                    yerr=np.vstack([t["delta_log_ppl_after"] - t["ci_low_after"],
                                    t["ci_high_after"] - t["delta_log_ppl_after"]]),
                    fmt="o", ms=4, capsize=2, label=p)
    lim = [min(0, m[["delta_log_ppl_before", "delta_log_ppl_after"]].min().min()) * 1.1,
           max(0.01, m[["delta_log_ppl_before", "delta_log_ppl_after"]].max().max()) * 1.1]
    ax.plot(lim, lim, color="grey", lw=0.7, ls="--")
    ax.axhline(0, color="black", lw=0.7)
    ax.axvline(0, color="black", lw=0.7)
    ax.set_xlabel("Δ before fine-tuning")
    ax.set_ylabel("Δ after fine-tuning on the corpus")
    ax.legend(fontsize=8)
    return fig


def delta_plotly(table: pd.DataFrame, after: pd.DataFrame | None = None) -> go.Figure:
    """Interactive Δ chart; a dropdown switches between before and after fine-tuning when both are given."""
    corpora = _corpus_order(table)
    pairs = list(dict.fromkeys(table["pair"]))
    fig = go.Figure()
    views = [("before fine-tuning", table)] + ([("after fine-tuning", after)] if after is not None else [])
    for vi, (_, t_all) in enumerate(views):
        for p in pairs:
            t = t_all[t_all["pair"] == p].set_index("corpus").reindex(corpora)
            fig.add_trace(go.Bar(
                x=corpora, y=t["delta_log_ppl"], name=p, visible=vi == 0,
                error_y={"type": "data", "symmetric": False, "array": t["ci_high"] - t["delta_log_ppl"],
                         "arrayminus": t["delta_log_ppl"] - t["ci_low"]},
                customdata=np.stack([t["base_ppl"], t["aligned_ppl"], t["category"]], axis=1),
                hovertemplate="%{x} (%{customdata[2]})<br>Δ = %{y:.3f}<br>Base ppl %{customdata[0]:.2f}"
                              "<br>aligned ppl %{customdata[1]:.2f}<extra>" + p + "</extra>"))
    n = len(pairs)
    buttons = [{"label": label, "method": "update",
                "args": [{"visible": [j // n == vi for j in range(n * len(views))]}]} for vi, (label, _) in enumerate(views)]
    fig.update_layout(
        barmode="group", template="plotly_white", height=440,
        title="Perplexity increase of aligned over Base (Δ log-perplexity, nats/token)",
        yaxis_title="Δ log-perplexity", updatemenus=[{"buttons": buttons, "x": 1.0, "y": 1.15}] if len(views) > 1 else [],
    )
    return fig

"""Figures of the frontier section: world-modeling cost against agent behaviour along each path."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from predact_utils.chapters.frontier.measure import AGENT_MEASURES
from predact_utils.chapters.frontier.models import pareto_front

#: +1 where a higher value is more like the aligned end in the paper, -1 where lower is (self-perplexity).
AGENT_SIGN: dict[str, int] = {"top1_mass": 1, "ngram_share": 1, "self_ppl": -1, "reward": 1}
PATH_STYLE = {"interp": ("-", "o"), "mix": ("--", "s")}
PATH_LABEL = {"interp": "weight interpolation", "mix": "log-prob mixing"}


def mark_pareto(table: pd.DataFrame, measure: str) -> pd.Series:
    """Per pair: points of both paths that no other point dominates (lower cost, more agent behaviour)."""
    out = pd.Series(False, index=table.index)
    for _, t in table.groupby("pair"):
        ok = t[measure].notna()
        t = t[ok]
        out.loc[t.index] = pareto_front(t["wm_cost"].to_numpy(), AGENT_SIGN[measure] * t[measure].to_numpy())
    return out


def frontier_figure(table: pd.DataFrame, measures: list[str]) -> Figure:
    """One panel per agent measure: cost (x) against the measure (y), a curve per pair and path, a labelled."""
    fig, axes = plt.subplots(1, len(measures), figsize=(4.4 * len(measures), 4.0), squeeze=False)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, m in zip(axes[0], measures, strict=True):
        front = mark_pareto(table, m)
        for i, ((pair, path), t) in enumerate(table.groupby(["pair", "path"], sort=False)):
            t = t.sort_values("a")
            ls, mk = PATH_STYLE[path]
            c = colors[(i // 2) % len(colors)]
            ax.plot(t["wm_cost"], t[m], ls=ls, marker=mk, ms=4, color=c, label=f"{pair}, {PATH_LABEL[path]}")
            f = front.loc[t.index]
            ax.scatter(t.loc[f, "wm_cost"], t.loc[f, m], s=70, facecolors="none", edgecolors="black", lw=1.0)
            for _, r in t[t["a"].isin([0.0, 0.5, 1.0])].iterrows():
                ax.annotate(f"a={r['a']:g}", (r["wm_cost"], r[m]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xlabel("world-modeling cost (Δ log-ppl vs Base, nats/token)")
        ax.set_ylabel(AGENT_MEASURES[m])
    axes[0][0].legend(fontsize=7)
    return fig


def frontier_plotly(table: pd.DataFrame, measures: list[str]) -> go.Figure:
    """Interactive frontier: a dropdown picks the agent measure; hover shows a and every number."""
    fig = go.Figure()
    groups = list(table.groupby(["pair", "path"], sort=False))
    for mi, m in enumerate(measures):
        for (pair, path), t in groups:
            t = t.sort_values("a")
            fig.add_trace(go.Scatter(
                x=t["wm_cost"], y=t[m], mode="lines+markers+text", text=[f"{a:g}" for a in t["a"]],
                textposition="top center", visible=mi == 0, name=f"{pair}, {PATH_LABEL[path]}",
                line={"dash": "solid" if path == "interp" else "dash"},
                hovertemplate="a = %{text}<br>cost %{x:.4f} nats/token<br>" + m + " %{y:.4f}<extra></extra>"))
    n = len(groups)
    buttons = [{"label": AGENT_MEASURES[m], "method": "update",
                "args": [{"visible": [j // n == mi for j in range(n * len(measures))]}, {"yaxis.title.text": m}]}
               for mi, m in enumerate(measures)]
    fig.update_layout(template="plotly_white", height=460, title="World-modeling cost against agent behaviour",
                      xaxis_title="Δ log-perplexity vs Base (nats/token)", yaxis_title=measures[0],
                      updatemenus=[{"buttons": buttons, "x": 1.0, "y": 1.18}])
    return fig


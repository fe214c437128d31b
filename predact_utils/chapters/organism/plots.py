"""The organism page's figures: the exact frontier, and the collapse measures along it."""

from __future__ import annotations

from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from predact_utils.plotting import ROLE_COLORS

#: The collapse and anchor-span measures drawn against the reward, with their axis labels.
COLLAPSE = (("top1", "mean top-1 probability, own answers"), ("self_nll", "self-perplexity (log), own answers"),
            ("ngram_share", "share holding the request's top n-gram"), ("aligned_k", "answers aligned with >= k others"))


def _err(summary: pd.DataFrame, m: str) -> np.ndarray:
    """Error-bar half-widths of a measure (0 where there is no interval)."""
    lo = np.nan_to_num((summary[m] - summary[f"{m}_lo"]).to_numpy(), nan=0.0)
    hi = np.nan_to_num((summary[f"{m}_hi"] - summary[m]).to_numpy(), nan=0.0)
    return np.vstack([lo, hi])


def frontier_figure(summary: pd.DataFrame) -> Any:
    """Exact KL(world || model) per token (x) against the mean reward (y): Base, SFT, each KL coefficient's RL
    steps (one line each, from SFT), and the SFT-to-RL weight interpolation (dashed); 95% intervals over seeds."""
    fig, ax = plt.subplots(figsize=(7.0, 4.6))
    sft = summary[summary["stage"] == "sft"]
    rl = summary[summary["stage"] == "rl"]
    for i, (beta, g) in enumerate(rl.groupby("beta", sort=True)):
        g = pd.concat([sft, g.sort_values("steps")])
        ax.errorbar(g["kl"], g["reward"], xerr=_err(g, "kl"), yerr=_err(g, "reward"), marker="o", capsize=2,
                    color=plt.cm.Oranges(0.45 + 0.5 * i / max(1, rl["beta"].nunique() - 1)),
                    label=f"RL, KL coefficient {beta:g} (steps {', '.join(str(int(x)) for x in g['steps'][1:])})")
    it = summary[summary["stage"] == "interp"].sort_values("alpha")
    if len(it):
        g = pd.concat([sft, it])
        ax.errorbar(g["kl"], g["reward"], xerr=_err(g, "kl"), yerr=_err(g, "reward"), marker="s", ls="--",
                    capsize=2, color="#2ca02c", label="weight interpolation SFT to RL")
    for stage, marker in (("base", "D"), ("sft", "P")):
        p = summary[summary["stage"] == stage]
        ax.scatter(p["kl"], p["reward"], marker=marker, s=70, zorder=5, color=ROLE_COLORS[stage],
                   label=stage.upper() if stage == "sft" else "Base")
    ax.set_xlabel("exact KL(world || model), nats per token (world modeling: lower is better)")
    ax.set_ylabel("mean programmatic reward (acting)")
    ax.legend(fontsize=8, loc="lower right")
    fig.tight_layout()
    return fig


def collapse_figure(summary: pd.DataFrame) -> Any:
    """The four collapse measures against the reward at every point, one panel each."""
    fig, axes = plt.subplots(1, len(COLLAPSE), figsize=(12.0, 3.2))
    colors = {"base": ROLE_COLORS["base"], "sft": ROLE_COLORS["sft"], "rl": ROLE_COLORS["rlhf"], "interp": "#2ca02c"}
    for ax, (m, label) in zip(axes, COLLAPSE, strict=True):
        for stage, g in summary.groupby("stage", sort=False):
            ax.errorbar(g["reward"], g[m], yerr=_err(g, m), fmt="o", capsize=2, color=colors.get(stage, "grey"),
                        label=stage)
        ax.set_xlabel("mean reward")
        ax.set_title(label, fontsize=9)
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    return fig

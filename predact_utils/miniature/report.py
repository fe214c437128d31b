"""Tables and figures of the miniature family chapter (``notebooks/01_miniature_family.py``).

Everything is read from the checkpoints' ``card.json`` files, which
:mod:`predact_utils.miniature.measure` wrote when the models were built.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from predact_utils import paths
from predact_utils.data.instructions import answer_tokens
from predact_utils.miniature.cards import read_card
from predact_utils.miniature.sanity import ANSWER_TOKENS
from predact_utils.plotting import ROLE_COLORS


def load_cards(names: Sequence[str], models_dir: Path | None = None) -> dict[str, dict[str, Any]]:
    """The cards of the named checkpoints that exist (missing ones are left out, with their names returned by
    :func:`missing`)."""
    root = models_dir or paths.models_dir()
    return {n: read_card(root / n) for n in names if (root / n / "card.json").exists()}


def missing(names: Sequence[str], models_dir: Path | None = None) -> list[str]:
    """Named checkpoints without a card (not built yet)."""
    root = models_dir or paths.models_dir()
    return [n for n in names if not (root / n / "card.json").exists()]


def overview_table(cards: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """One row per checkpoint: role, parent, parameters, steps, tokens, wall time, final training loss, method."""
    rows = []
    for name, c in cards.items():
        rows.append({
            "model": name, "role": c["role"], "parent": c.get("parent") or "-",
            "parameters (M)": c["parameters"] / 1e6, "steps": c.get("steps"),
            "tokens seen (M)": (c["tokens_seen"] / 1e6) if c.get("tokens_seen") else np.nan,
            "wall time (min)": (c["wall_seconds"] or np.nan) / 60 if c.get("wall_seconds") else np.nan,
            "final train loss": c.get("final_train_loss"), "method": c.get("method") or "-",
        })
    return pd.DataFrame(rows).set_index("model")


def validation_table(cards: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Validation perplexity per evaluation corpus of each Base, with the bigram baseline beside it."""
    rows = []
    for name, c in cards.items():
        for corpus, v in (c.get("validation") or {}).items():
            rows.append({"model": name, "corpus": corpus, "perplexity": v["ppl"], "bigram perplexity": v["bigram_ppl"],
                         "ratio to bigram": v["ppl"] / v["bigram_ppl"], "tokens": v["tokens"]})
    return pd.DataFrame(rows)


def behaviour_table(cards: dict[str, dict[str, Any]]) -> pd.DataFrame:
    """Sanity numbers of the aligned models (share ending in role, preference accuracy, reward gain)."""
    rows = []
    for name, c in cards.items():
        if c["role"] not in ("sft", "dpo", "rlhf"):
            continue
        b = c["behaviour"]
        row = {"model": name, "samples": b["samples"], "ends with end-of-text": b["ends_with_eos"],
               "stays in role": b["stays_in_role"], "both": b["ok"], "mean length (tokens)": b["mean_length"]}
        if "preference" in c:
            row["held-out preference accuracy"] = c["preference"]["accuracy"]
        if "reward_vs_sft" in c:
            r = c["reward_vs_sft"]
            row["reward gain over SFT [95% CI]"] = f"{r['mean_diff']:.3f} [{r['ci_low']:.3f}, {r['ci_high']:.3f}]"
        rows.append(row)
    return pd.DataFrame(rows).set_index("model") if rows else pd.DataFrame()


def loss_curves_figure(cards: dict[str, dict[str, Any]]) -> Figure:
    """Training loss against step, one panel for pre-training and one for the alignment stages."""
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for name, c in cards.items():
        log = c.get("loss_log") or []
        if not log:
            continue
        ax = axes[0] if c["role"] == "base" else axes[1]
        steps = [r["step"] for r in log]
        ls = "-" if c.get("size") == "m" else "--"
        ax.plot(steps, [r["loss"] for r in log], ls, color=ROLE_COLORS.get(c["role"], "grey"), label=name, lw=1.2)
    axes[0].set_title("pre-training (Base)")
    axes[1].set_title("alignment stages")
    for ax in axes:
        ax.set_xlabel("optimizer step")
        ax.set_ylabel("training loss")
        if ax.lines:
            ax.legend(fontsize=7)
    return fig


def validation_figure(table: pd.DataFrame) -> Figure:
    """Per-corpus validation perplexity of each Base next to the bigram baseline (log scale)."""
    fig, ax = plt.subplots(figsize=(10, 3.8))
    corpora = sorted(table["corpus"].unique())
    models = list(dict.fromkeys(table["model"]))
    width = 0.8 / (len(models) + 1)
    x = np.arange(len(corpora))
    for i, m in enumerate(models):
        t = table[table["model"] == m].set_index("corpus").reindex(corpora)
        ax.bar(x + i * width, t["perplexity"], width, label=m)
    big = table[table["model"] == models[0]].set_index("corpus").reindex(corpora)
    ax.bar(x + len(models) * width, big["bigram perplexity"], width, label="bigram baseline", color="lightgrey")
    ax.set_xticks(x + width * len(models) / 2, corpora, rotation=30, ha="right")
    ax.set_yscale("log")
    ax.set_ylabel("validation perplexity")
    ax.legend(fontsize=8)
    return fig


def size_table(cards: dict[str, dict[str, Any]], small: str = "mini-s-base", medium: str = "mini-m-base") -> pd.DataFrame:
    """The scaling check of the two Base sizes: validation perplexity per corpus of each, and medium / small.

    Empty when either Base is not built."""
    if small not in cards or medium not in cards:
        return pd.DataFrame()
    vs, vm = cards[small].get("validation") or {}, cards[medium].get("validation") or {}
    rows = [{"corpus": k, small: vs[k]["ppl"], medium: vm[k]["ppl"], "medium / small": vm[k]["ppl"] / vs[k]["ppl"]}
            for k in vs if k in vm]
    return pd.DataFrame(rows).set_index("corpus")


def loss_at_tokens(cards: dict[str, dict[str, Any]], marks: Sequence[float],
                   names: Sequence[str] = ("mini-s-base", "mini-m-base"), window: int = 3) -> pd.DataFrame:
    """Training loss of each pre-trained Base after the same numbers of tokens (mean of the ``window`` logged
    losses nearest each mark; NaN past the end of a run). Tokens per step = tokens seen / steps."""
    rows = []
    for mark in marks:
        row: dict[str, Any] = {"tokens (M)": mark / 1e6}
        for name in names:
            c = cards.get(name)
            if not c or not c.get("loss_log") or not c.get("tokens_seen"):
                continue
            per_step = c["tokens_seen"] / c["steps"]
            log = [(e["step"] * per_step, e["loss"]) for e in c["loss_log"]]
            if mark > log[-1][0] + per_step * 50:
                row[name] = np.nan
                continue
            nearest = sorted(log, key=lambda e: abs(e[0] - mark))[:window]
            row[name] = float(np.mean([loss for _, loss in nearest]))
        rows.append(row)
    return pd.DataFrame(rows).set_index("tokens (M)")


def preference_lengths(pairs: Sequence[dict[str, Any]], tokenizer: Any,
                       max_new_tokens: int = ANSWER_TOKENS) -> pd.DataFrame:
    """Answer lengths in the DPO preference pairs, per rejection kind and over all pairs (why DPO lengthens answers).

    ``pairs`` are rows of ``instructions.load_preferences(..., with_meta=True)``. Lengths are the tokens of the
    answer text alone. An answer of ``max_new_tokens`` tokens or more leaves no room for the end-of-text token
    within the sanity check's ``max_new_tokens``: a model that copied such an answer would fail the check.
    """
    if not len(pairs):
        raise ValueError("no preference pairs given; load them with instructions.load_preferences(with_meta=True)")

    df = pd.DataFrame([{"rejection": r["rejection"], "chosen": answer_tokens(r["chosen"], tokenizer),
                        "rejected": answer_tokens(r["rejected"], tokenizer)} for r in pairs])

    def summary(d: pd.DataFrame) -> dict[str, float]:
        return {"pairs": len(d), "chosen mean tokens": d["chosen"].mean(), "rejected mean tokens": d["rejected"].mean(),
                "chosen longer": (d["chosen"] > d["rejected"]).mean(),
                f"chosen >= {max_new_tokens} tokens": (d["chosen"] >= max_new_tokens).mean()}

    rows = {kind: summary(d) for kind, d in df.groupby("rejection", sort=True)}
    rows["all"] = summary(df)
    out = pd.DataFrame(rows).T
    out["pairs"] = out["pairs"].astype(int)
    out.index.name = "rejection"
    return out


def length_change_text(behaviour: pd.DataFrame, before: str = "sft", after: str = "dpo") -> str:
    """``mini-s: 52.1 -> 70.5 tokens (in role 95.6% -> 91.9%); ...`` for every size with both models in
    :func:`behaviour_table`'s rows (``mini-<size>-<role>``); ``"none"`` when no size has both."""
    parts = []
    for name in behaviour.index:
        prefix, _, role = name.rpartition("-")
        other = f"{prefix}-{after}"
        if role != before or other not in behaviour.index:
            continue
        a, b = behaviour.loc[name], behaviour.loc[other]
        parts.append(f"{prefix}: {a['mean length (tokens)']:.1f} -> {b['mean length (tokens)']:.1f} tokens "
                     f"(in role {a['both']:.1%} -> {b['both']:.1%})")
    return "; ".join(parts) or "none"

"""The organism's frontier read off the measured points: means and intervals over seeds, paired differences,
and the page's three answers (does a knob reach full RL's reward without its world-modeling loss; is the
frontier's reward-for-KL curve of diminishing returns; does interpolation dominate the KL penalty), and the
scoreboard record.

Rules, fixed before the run:

* **Interval over seeds**: mean and 95% t-interval (n - 1 degrees of freedom) of the per-seed values; paired
  differences are taken seed by seed (the SFT model and every RL run of a seed share it). One seed: no
  interval (NaN).
* **Full RL**: the RL point with the weakest KL coefficient at the last RL step (the most reward pressure).
* **Reaches full RL's reward without its loss**: a point whose paired reward difference to full RL has an
  interval reaching 0 or above (not shown worse) *and* whose paired KL difference to SFT has an interval
  reaching 0 or below (no world-modeling loss shown).
* **Diminishing returns**: the points no other point dominates (lower KL and higher reward, by the means),
  ordered by KL: each step to the next buys less reward per nat than the one before.
* **Dominance**: a point dominates another when its mean KL is no higher and its mean reward no lower, one
  of them strictly.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from predact_utils.chapters.organism.points import MEASURES
from predact_utils.verdicts import NOT_TESTABLE, Verdict, decide

KEYS = ["point", "stage", "beta", "steps", "alpha"]


def t_interval(values: np.ndarray) -> tuple[float, float, float]:
    """Mean and 95% t-interval of ``values`` (NaN bounds for fewer than two)."""
    from scipy import stats

    v = np.asarray(values, dtype=float)
    mean = float(v.mean())
    if len(v) < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.975, len(v) - 1) * v.std(ddof=1) / math.sqrt(len(v)))
    return mean, mean - half, mean + half


def summarise(table: pd.DataFrame) -> pd.DataFrame:
    """Per point (in the order measured): seeds, and every measure's mean, ``_lo`` and ``_hi`` over seeds."""
    rows = []
    for _, g in table.groupby("point", sort=False):
        row: dict[str, Any] = {k: g[k].iloc[0] for k in KEYS}
        row["seeds"] = len(g)
        for m in (*MEASURES, "answer_words"):
            row[m], row[f"{m}_lo"], row[f"{m}_hi"] = t_interval(g[m].to_numpy())
        rows.append(row)
    return pd.DataFrame(rows)


def paired(table: pd.DataFrame, point: str, reference: str, measure: str) -> tuple[float, float, float]:
    """Mean and 95% t-interval over seeds of ``measure`` at ``point`` minus ``reference``, seed by seed."""
    a = table[table["point"] == point].set_index("seed")[measure]
    b = table[table["point"] == reference].set_index("seed")[measure]
    common = a.index.intersection(b.index)
    if not len(common):
        raise ValueError(f"no seed measured both {point!r} and {reference!r}")
    return t_interval((a.loc[common] - b.loc[common]).to_numpy())


def full_rl(table: pd.DataFrame) -> str:
    """The full-RL point: the weakest KL coefficient at the last RL step."""
    rl = table[table["stage"] == "rl"]
    if rl.empty:
        raise ValueError("no RL point was measured")
    beta = rl["beta"].min()
    return str(rl[(rl["beta"] == beta) & (rl["steps"] == rl["steps"].max())]["point"].iloc[0])


def reaching(table: pd.DataFrame) -> list[str]:
    """The points other than full RL that reach its reward without its world-modeling loss (module rules)."""
    full = full_rl(table)
    out = []
    for point in table[table["stage"].isin(["rl", "interp"])]["point"].unique():
        if point == full:
            continue
        _, _, r_hi = paired(table, point, full, "reward")
        _, kl_lo, _ = paired(table, point, "SFT", "kl")
        if r_hi >= 0 and kl_lo <= 0:
            out.append(str(point))
    return out


def dominates(a: pd.Series, b: pd.Series) -> bool:
    """Whether point ``a`` dominates ``b`` by the means: KL no higher, reward no lower, one strictly."""
    return bool(a["kl"] <= b["kl"] and a["reward"] >= b["reward"] and (a["kl"] < b["kl"] or a["reward"] > b["reward"]))


def pareto(summary: pd.DataFrame) -> pd.DataFrame:
    """The points no other point dominates, by increasing KL."""
    keep = [i for i, r in summary.iterrows() if not any(dominates(o, r) for j, o in summary.iterrows() if j != i)]
    return summary.loc[keep].sort_values("kl")


def diminishing_returns(summary: pd.DataFrame) -> bool | None:
    """Whether each step along the Pareto points buys less reward per nat of KL than the one before (None:
    fewer than three Pareto points, so no second slope)."""
    p = pareto(summary)
    if len(p) < 3:
        return None
    slopes = np.diff(p["reward"].to_numpy()) / np.maximum(np.diff(p["kl"].to_numpy()), 1e-12)
    return bool(np.all(np.diff(slopes) <= 1e-9))


def dominance_counts(summary: pd.DataFrame) -> dict[str, int]:
    """How many RL points some interpolation point dominates, and the reverse."""
    rl, it = summary[summary["stage"] == "rl"], summary[summary["stage"] == "interp"]
    return {"rl": len(rl), "interp": len(it),
            "rl_dominated": sum(any(dominates(i, r) for _, i in it.iterrows()) for _, r in rl.iterrows()),
            "interp_dominated": sum(any(dominates(r, i) for _, r in rl.iterrows()) for _, i in it.iterrows())}


def band_text(m: tuple[float, float, float], digits: int = 3) -> str:
    mean, lo, hi = m
    if math.isnan(lo):
        return f"{mean:+.{digits}f} (one seed: no interval)"
    return f"{mean:+.{digits}f} [{lo:+.{digits}f}, {hi:+.{digits}f}]"


def tradeoff_verdict(table: pd.DataFrame) -> tuple[Verdict, str]:
    """The rule of ``organism-tradeoff``: full RL's paired gain in reward over SFT must be established (interval
    above 0), else the trade-off is not testable; then the direction is its paired exact-KL increase over SFT,
    95% interval over seeds above 0. No magnitude or shape: the paper states none."""
    full = full_rl(table)
    gain = paired(table, full, "SFT", "reward")
    cost = paired(table, full, "SFT", "kl")
    measured = (f"{full} against SFT, paired by seed: reward {band_text(gain)}, exact KL(world || model) "
                f"{band_text(cost)} nats/token")
    if math.isnan(gain[1]):
        return Verdict(NOT_TESTABLE, "one seed: no interval over seeds"), measured
    if gain[1] <= 0:
        return Verdict(NOT_TESTABLE, "RL did not establish a reward gain over SFT, so the trade-off's premise does "
                       "not hold here"), measured
    return decide(cost[1], cost[2], unit="seed"), measured

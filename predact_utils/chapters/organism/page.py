"""What the organism page shows of the chapter's results: its text glue, figures, table and scoreboard record
(the rules are :mod:`~predact_utils.chapters.organism.frontier`'s)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from predact_utils.chapters.organism.chapter import Results
from predact_utils.chapters.organism.frontier import (
    band_text,
    diminishing_returns,
    dominance_counts,
    full_rl,
    reaching,
    tradeoff_verdict,
)


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    r, s = results, results.settings
    t, summ = r.table, r.summary
    h, h_lo, h_hi = r.entropy
    base = summ[summ["point"] == "Base"].iloc[0]
    sft = summ[summ["point"] == "SFT"].iloc[0]
    full = full_rl(t)
    frow = summ[summ["point"] == full].iloc[0]
    reach = reaching(t)
    dim = diminishing_returns(summ)
    dom = dominance_counts(summ)
    verdict, measured = tradeoff_verdict(t)
    return {
        "org_world": f"{s.n_topics} topics x {s.states} hidden states, {s.vocab} words, documents ending with "
                     f"probability {s.end_prob:g} per word (seed {s.seed})",
        "org_entropy": f"{h:.3f} [{h_lo:.3f}, {h_hi:.3f}]",
        "org_base_loss": f"{r.base_loss:.3f}",
        "org_base_excess": f"{r.base_loss - h:.3f}",
        "org_base_kl": f"{base['kl']:.3f}",
        "org_sft_kl": band_text((sft["kl"], sft["kl_lo"], sft["kl_hi"])),
        "org_base_reward": f"{base['reward']:.3f}",
        "org_sft_reward": band_text((sft["reward"], sft["reward_lo"], sft["reward_hi"])),
        "org_full": full,
        "org_full_reward": band_text((frow["reward"], frow["reward_lo"], frow["reward_hi"])),
        "org_full_kl": band_text((frow["kl"], frow["kl_lo"], frow["kl_hi"])),
        "org_seeds": f"{s.rl_seeds}",
        "org_tradeoff": measured,
        "org_verdict": f"{verdict.word} ({verdict.reason})",
        "org_reach": (", ".join(reach) if reach else "none") + f" (of {dom['rl'] + dom['interp'] - 1} points)",
        "org_convex": {True: "yes: each step along the undominated points buys less reward per nat of KL",
                       False: "no: a later step along the undominated points buys more reward per nat than an "
                              "earlier one",
                       None: "not decidable: fewer than three undominated points"}[dim],
        "org_dominance": f"{dom['rl_dominated']} of {dom['rl']} RL points are dominated by an interpolation point, "
                         f"{dom['interp_dominated']} of {dom['interp']} interpolation points by an RL point",
        "org_params": f"{r.params:,}",
        "org_seconds": f"{r.seconds.get('total', 0.0):.0f}",
        "org_rl_seconds": f"{r.seconds.get('rl', 0.0):.0f}",
    }


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard's record of the chapter (``organism-tradeoff``)."""
    verdict, measured = tradeoff_verdict(results.table)
    s = results.settings
    return [{"claim_id": "organism-tradeoff", "measured": measured, "verdict": verdict.word, "reason": verdict.reason,
            "pair": "organism (Base, SFT, RL)", "scale": s.scale,
            "detail": f"{s.rl_seeds} seed(s); exact KL on {s.test_docs} held-out world documents; reward on "
                      f"{s.n_topics * s.requests_per_topic} requests x {s.answers_per_request} answers; the paper "
                      "gives no number, so no magnitude", "stages": []}]


def figures(results: Results) -> dict[str, Any]:
    """The page's glued figures."""
    from predact_utils.chapters.organism import plots
    from predact_utils.plotting import set_style

    set_style()
    return {"fig_org_frontier": plots.frontier_figure(results.summary),
            "fig_org_collapse": plots.collapse_figure(results.summary)}


def points_table(results: Results) -> pd.DataFrame:
    """The page's table: per point, seeds and the means (with the KL's and the reward's intervals)."""
    summ = results.summary
    cols = ["point", "seeds", "kl", "kl_lo", "kl_hi", "reward", "reward_lo", "reward_hi", "top1", "self_nll",
            "ngram_share", "aligned_k", "answer_words"]
    return summ[cols].round(3)

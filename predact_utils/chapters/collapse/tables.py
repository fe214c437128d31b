"""The displayed tables and interactive charts of chapter 03 (each a function of the chapter's ``Results``)."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from predact_utils.chapters.collapse import plots
from predact_utils.chapters.collapse.analysis import ratio_by_threshold
from predact_utils.chapters.collapse.chapter import Results, claim_records, self_lower, top1


def scored_table(results: Results) -> pd.DataFrame:
    """Per model: the share of answers that ended with end-of-text, and how much own and gold text was scored."""
    s = results.summaries
    return pd.DataFrame([{"pair": p, "model": r, "answers ending with end-of-text": round(v, 3),
                          "own sequences scored": len(s[(p, r, "own")]),
                          "own tokens scored": int(s[(p, r, "own")].tokens.sum()),
                          "gold tokens scored": int(s[(p, r, "gold")].tokens.sum())}
                         for (p, r), v in results.eos_share.items()])


def ratios_table(results: Results) -> pd.DataFrame:
    """Fig. 4's robustness: aligned / Base count per pair and text, one column per threshold."""
    return ratio_by_threshold(results.above).round(3)


def cross_table(results: Results) -> pd.DataFrame:
    """Every cross-model perplexity: rows (pair, category, dataset), columns (scorer, generator)."""
    return results.cross.pivot_table(index=["pair", "category", "dataset"], columns=["scorer", "generator"],
                                     values="ppl").round(2)


def verdicts_table(results: Results) -> pd.DataFrame:
    """The paper's claims of this chapter against this run: the counts, and the verdict of each claim's rule
    (:func:`predact_utils.chapters.collapse.chapter.claim_records`)."""
    thr, n = results.settings.threshold, len(results.pairs)
    own_top1 = top1(results.curves).unstack("model").xs("own", level="text")
    ratios = ratio_by_threshold(results.above)
    lower = self_lower(results.cross)
    verdicts = [r["verdict"] for r in claim_records(results)]
    return pd.DataFrame([
        {"paper's claim": "aligned puts more mass on its top token than Base (own generations)",
         "this run": f"{int((own_top1['aligned'] > own_top1['base']).sum())} of {n} pairs"},
        {"paper's claim": f"on its own generations aligned has fewer tokens above {thr:g} than Base",
         "this run": f"{int((ratios.xs('own', level='text')[thr] < 1).sum())} of {n} pairs"},
        {"paper's claim": f"on gold text aligned has (slightly) more tokens above {thr:g} than Base",
         "this run": f"{int((ratios.xs('gold', level='text')[thr] > 1).sum())} of {n} pairs"},
        {"paper's claim": "aligned has lower self-perplexity than Base",
         "this run": f"{int(lower.sum())} of {len(lower)} pair x dataset combinations"},
    ]).assign(verdict=verdicts)


def topk_plotly(results: Results) -> go.Figure:
    """The interactive Fig. 3."""
    return plots.topk_plotly(results.curves)


def cross_plotly(results: Results) -> go.Figure:
    """The interactive cross-model matrix of the run's first pair (a menu picks the dataset)."""
    return plots.cross_plotly(results.cross, results.main)

"""The tables and interactive figures of the anchor-span page, each one call on the chapter's results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go

from predact_utils.chapters.anchors import tables
from predact_utils.chapters.anchors.plots import ngram_plotly, position_plotly, sankey_explorer, sankey_plotly

if TYPE_CHECKING:
    from predact_utils.chapters.anchors.chapter import Results


def table_shared_ngrams(results: Results) -> pd.DataFrame:
    """The longest shared n-grams of a few prompts, decoded."""
    return results.shared_ngrams


def table_folding(results: Results) -> pd.DataFrame:
    """Per model: distinct tokens and folded overflow tokens of the alignments."""
    return results.fold_summary.round(3)


def table_spans(results: Results) -> pd.DataFrame:
    """Per model: anchor spans and the shares of tokens they and the k-others rule cover."""
    return results.span_summary.round(3)


def table_example_spans(results: Results) -> pd.DataFrame:
    """The anchor spans of the example prompt, decoded."""
    return results.example_spans


def table_overflow_check(results: Results) -> pd.DataFrame:
    """The span measures with fewer and more overflow symbols."""
    return results.overflow_table.round(3)


def table_position_edges(results: Results) -> pd.DataFrame:
    """Per model: the aligned-with-k-others count over all positions, first tenth, middle, last tenth."""
    return results.edges.round(2)


def table_comparison(results: Results) -> pd.DataFrame:
    """The miniature's numbers next to the paper's."""
    s = results.settings
    return tables.comparison_table(results.ngram_mean, results.edges, results.pair_names, s.max_n, s.min_others,
                                   s.samples_used)


def table_stages(results: Results) -> pd.DataFrame:
    """Per stage-table cell and claim: the effect and the verdict the claim's rule gives it (the page's pair
    first, then the other pairs of the list)."""
    from predact_utils.chapters.anchors.chapter import claim_records
    from predact_utils.claims import stage_of

    rows = [{"comparison": stage_of(results.method) or results.method, "pair": results.pair,
             "claim": rec["claim_id"], "effect [95% interval]": rec["stages"][0]["effect"] if rec["stages"] else "",
             "verdict": rec["verdict"]} for rec in claim_records(results)]
    rows += [{"comparison": c.comparison, "pair": c.label, "claim": m.claim_id, "effect [95% interval]": m.effect,
              "verdict": m.verdict.word} for c, measures in results.stage_cells for m in measures]
    order = {c: i for i, c in enumerate(dict.fromkeys(r["claim"] for r in rows))}
    return (pd.DataFrame(rows, columns=["comparison", "pair", "claim", "effect [95% interval]", "verdict"])
            .sort_values("claim", key=lambda c: c.map(order), kind="stable").reset_index(drop=True))


def plotly_ngrams(results: Results) -> go.Figure:
    """The interactive n-gram curves (a menu picks one prompt)."""
    labels = {p["id"]: p["prompt"] for p in results.prompts}
    return ngram_plotly(results.ngram_table, results.colors, labels, seed=results.settings.seed)


def plotly_sankey(results: Results) -> go.Figure:
    """The interactive Sankey of the precomputed prompts."""
    return sankey_plotly(results.sankey_examples, results.decode, results.role_colors, results.pair_names)


def plotly_position(results: Results) -> go.Figure:
    """The interactive Fig. 1 bottom (a menu switches the position axis)."""
    s = results.settings
    return position_plotly(results.curves, results.colors, min_others=s.min_others, seed=s.seed)


def widget_sankey(results: Results) -> Any:
    """With ``live_widgets``, an ipywidgets menu over all prompts that re-draws the Sankey; else ``None``."""
    if not results.settings.live_widgets:
        return None
    return sankey_explorer([p["prompt"] for p in results.prompts], results.sankey_graphs, results.decode,
                           results.role_colors, results.pair_names)

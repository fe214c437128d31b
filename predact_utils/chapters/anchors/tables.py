"""Tables and per-prompt summaries of the anchor-span chapter, built from its runs, alignments and spans.

Every function is pure: it takes the generations (token ids), the decoded alignments
(:class:`~predact_utils.chapters.anchors.msa.Alignment`) or the anchor spans of each model, keyed by the
model's display name in page order, and returns what one section of the page shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from predact_utils.chapters.anchors.analysis import (
    AnchorSpan,
    SankeyGraph,
    alignment_summary,
    normalised_points,
    position_counts,
    position_counts_normalised,
    sankey_graph,
    select_spans,
)
from predact_utils.chapters.anchors.msa import Alignment
from predact_utils.chapters.anchors.ngrams import longest_shared_ngrams
from predact_utils.chapters.anchors.plots import PositionCurves, show_text

Decode = Callable[[list[int]], str]
#: Columns of the per-model span summary (mean over prompts).
SPAN_MEASURES = ["anchor_spans", "mean_span_length", "longest_span", "anchor_token_share", "aligned_token_share"]
#: Columns of the overflow check (mean over its prompts).
CHECK_MEASURES = ["anchor_spans", "longest_span", "anchor_token_share", "aligned_token_share"]
#: The parts of a generation that the position edges table averages over.
EDGE_PARTS = ("first 10%", "middle", "last 10%")


def shown_prompts(example_index: int, n_prompts: int, limit: int) -> list[int]:
    """The example prompt first, then the first ``limit`` prompts, without repeats."""
    return list(dict.fromkeys([example_index, *range(min(n_prompts, limit))]))


def shared_ngrams_table(generations: Mapping[str, Sequence[Sequence[Sequence[int]]]], prompt_ids: Sequence[str],
                        show: Sequence[int], min_share: float, decode: Decode) -> pd.DataFrame:
    """The two longest n-grams shared by at least ``min_share`` of the generations, per shown prompt and model.

    ``generations[model][i]`` are the token ids of the generations of prompt ``prompt_ids[i]``.
    """
    rows = []
    for i in show:
        for model, per_prompt in generations.items():
            top = longest_shared_ngrams(per_prompt[i], min_share, limit=2)
            for g in top or [None]:
                rows.append({"prompt": prompt_ids[i], "model": model, "n": g.n if g else 0,
                             "generations": f"{g.share:.0%}" if g else "-",
                             "n-gram": show_text(decode(list(g.tokens)), 100) if g else "(none)"})
    return pd.DataFrame(rows)


def folding_table(alignments: Mapping[str, Sequence[Alignment]], prompt_ids: Sequence[str]) -> pd.DataFrame:
    """One row per model and prompt: distinct tokens, how many were folded onto overflow symbols, columns."""
    rows = []
    for model, per_prompt in alignments.items():
        for i, a in enumerate(per_prompt):
            m = a.symbols
            rows.append({"model": model, "prompt": prompt_ids[i], "distinct tokens": m.n_types,
                         "folded types": m.folded_types, "folded tokens": m.folded_tokens,
                         "tokens": m.n_tokens, "folded share": m.folded_share, "columns": a.n_columns})
    return pd.DataFrame(rows)


def folding_summary(folding: pd.DataFrame) -> pd.DataFrame:
    """Per model: the mean (and the largest folded share) of :func:`folding_table` over prompts."""
    return folding.groupby("model", sort=False).agg(
        prompts=("prompt", "count"), distinct_tokens=("distinct tokens", "mean"),
        folded_types=("folded types", "mean"), folded_share=("folded share", "mean"),
        max_folded_share=("folded share", "max"), columns=("columns", "mean"))


def span_table(alignments: Mapping[str, Sequence[Alignment]], spans: Mapping[str, Sequence[Sequence[AnchorSpan]]],
               prompt_ids: Sequence[str], min_others: int) -> pd.DataFrame:
    """One row per model and prompt: :func:`~predact_utils.chapters.anchors.analysis.alignment_summary`."""
    rows = []
    for model, per_prompt in alignments.items():
        for i, a in enumerate(per_prompt):
            rows.append({"model": model, "prompt": prompt_ids[i],
                         **alignment_summary(a.columns, spans[model][i], min_others)})
    return pd.DataFrame(rows)


def span_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per model: the mean over prompts of the span measures of :func:`span_table`."""
    return table.groupby("model", sort=False)[SPAN_MEASURES].mean()


def example_spans_table(spans: Mapping[str, Sequence[AnchorSpan]], decode: Decode) -> pd.DataFrame:
    """The anchor spans of one prompt, per model: number, columns, length, support and decoded text."""
    rows = []
    for model, per_model in spans.items():
        for s in per_model:
            rows.append({"model": model, "span": s.order + 1, "columns": f"{s.first}-{s.last}",
                         "tokens": s.length, "verbatim in": f"{s.support} of {s.n_sequences}",
                         "text": show_text(decode(list(s.tokens)), 90)})
    return pd.DataFrame(rows, columns=["model", "span", "columns", "tokens", "verbatim in", "text"])


def overflow_summary(rows: Sequence[dict[str, Any]]) -> pd.DataFrame:
    """Mean span measures per number of overflow symbols and model (rows: ``overflow symbols``, ``model``,
    and the measures of :func:`alignment_summary`)."""
    return pd.DataFrame(rows).groupby(["overflow symbols", "model"], sort=False)[CHECK_MEASURES].mean()


def sankey_pair_graphs(alignments: Mapping[str, Sequence[Alignment]],
                       spans: Mapping[str, Sequence[Sequence[AnchorSpan]]], i: int,
                       max_anchors: int) -> tuple[SankeyGraph, SankeyGraph]:
    """The Base and aligned Sankey graphs of prompt ``i`` through its ``max_anchors`` heaviest spans
    (``alignments`` and ``spans`` keyed by role)."""
    return tuple(sankey_graph(alignments[r][i].columns, select_spans(spans[r][i], max_anchors))
                 for r in ("base", "aligned"))


def full_skeleton(graph: SankeyGraph) -> int:
    """Generations that pass through every kept anchor span of the graph (0 when it keeps none)."""
    return sum(1 for p in graph.paths if sum(n[0] == "anchor" for n in p) == len(graph.spans) and graph.spans)


def position_curves(alignments: Mapping[str, Sequence[Alignment]], min_others: int, n_points: int,
                    max_len: int) -> PositionCurves:
    """Per model, prompt x position counts of generations aligned with at least ``min_others`` others."""
    curves = PositionCurves(normalised={}, absolute={}, running={}, points=normalised_points(n_points))
    for model, per_prompt in alignments.items():
        norm, absolute, running = [], [], []
        for a in per_prompt:
            norm.append(position_counts_normalised(a.columns, min_others, n_points))
            c, run_ = position_counts(a.columns, min_others, max_len)
            absolute.append(c)
            running.append(run_)
        curves.normalised[model] = np.array(norm, dtype=float)
        curves.absolute[model] = np.array(absolute, dtype=float)
        curves.running[model] = np.array(running, dtype=float)
    return curves


def position_edges(curves: PositionCurves, n_points: int) -> pd.DataFrame:
    """Per model: the mean normalised curve over all positions, its first tenth, middle and last tenth."""
    tenth = max(1, n_points // 10)
    rows = []
    for model, mat in curves.normalised.items():
        mean = mat.mean(axis=0)
        parts = {"first 10%": mean[:tenth].mean(), "middle": mean[tenth:-tenth].mean(),
                 "last 10%": mean[-tenth:].mean()}
        rows.append({"model": model, "mean over positions": mean.mean(), **parts})
    return pd.DataFrame(rows).set_index("model")


def comparison_table(ngram_mean: pd.DataFrame, edges: pd.DataFrame, models: Sequence[str], max_n: int,
                     min_others: int, n_samples: int) -> pd.DataFrame:
    """The miniature's numbers next to the paper's (``models``: Base and aligned display names)."""
    base, aligned = models

    def ngram(model: str, n: int) -> str:
        return f"{100 * ngram_mean.loc[model, n]:.0f}%" if max_n >= n else "-"

    return pd.DataFrame([
        {"measure": "generations containing the most common 10-gram", "paper (RLHF, reported)": "about 60%",
         base: ngram(base, 10), aligned: ngram(aligned, 10)},
        {"measure": "generations containing the most common 25-gram", "paper (RLHF, reported)": "about 25%",
         base: ngram(base, 25), aligned: ngram(aligned, 25)},
        {"measure": f"generations aligned with >= {min_others} others (mean over positions)",
         "paper (RLHF, reported)": "RLHF high throughout, Base low (figure)",
         base: f"{edges.loc[base, 'mean over positions']:.1f} of {n_samples}",
         aligned: f"{edges.loc[aligned, 'mean over positions']:.1f} of {n_samples}"},
        {"measure": "... first 10% / middle / last 10% of the generation",
         "paper (RLHF, reported)": "RLHF highest near the beginning and the end (figure)",
         **{m: " / ".join(f"{edges.loc[m, k]:.1f}" for k in EDGE_PARTS) for m in models}},
    ]).set_index("measure")

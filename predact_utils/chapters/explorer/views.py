"""Chapter 08's displays: the grid's table, the static explorer (no kernel) and the live widgets."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from predact_utils.chapters.explorer.analysis import ExplorerGrid, explorer_figure, live_explorer, run_grid
from predact_utils.chapters.explorer.chapter import Results, colors, names
from predact_utils.runs.generations import select_prompts


def grid_display(results: Results) -> pd.DataFrame:
    """The grid's table as the page shows it: readable column names, rounded."""
    ngram, k = results.ngram, results.config.min_others
    table = results.table
    return (table.assign(role=table["role"].map(names(results))).rename(columns={
        "coverage": f"most common {ngram}-gram coverage", "aligned_share": f"tokens aligned with >= {k}",
        "anchor_share": "anchor-span tokens", "length": "mean length (tokens)"})
        .set_index(["role", "temperature", "top_p"]).round(3))


def decoder(results: Results):
    """Token ids -> text, with the aligned model's tokenizer."""
    tokenizer = results.models.aligned.tokenizer

    def decode(tokens: list[int]) -> str:
        return tokenizer.decode(tokens)

    return decode


def explorer_plotly(results: Results) -> go.Figure:
    """Every precomputed cell of the grid in one figure with its four controls, at the initial setting."""
    s = results.settings
    return explorer_figure(results.grid, decoder(results), colors(results), names(results),
                           initial=(s.initial_temperature, s.initial_top_p))


def live_widget(results: Results) -> Any:
    """The ipywidgets explorer that samples again for any prompt of the book (needs a live kernel)."""
    s, rows = results.settings, results.prompts
    prompt_rows = rows + [r for r in select_prompts(None, s.prompt_rows()) if r not in rows]
    decode, model_colors, model_names = decoder(results), colors(results), names(results)

    def compute(i: int, t: float, p: float, n: int, m: int) -> ExplorerGrid:
        cfg = replace(results.config, max_n=min(s.max_n, m), min_others=min(s.min_others, n - 1))
        return run_grid(results.models, [prompt_rows[i]], [t], [p], n=n, max_new_tokens=m, seed=s.seed, config=cfg)

    def draw(g: ExplorerGrid, model: str) -> go.Figure:
        return explorer_figure(g, decode, model_colors, model_names, model=model)

    return live_explorer([r["prompt"] for r in prompt_rows], compute, draw, temperature=s.initial_temperature,
                         top_p=s.initial_top_p, n=s.n_samples, max_new_tokens=s.tokens_used)

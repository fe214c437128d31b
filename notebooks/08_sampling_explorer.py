# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Sampling explorer: anchor spans under temperature and top-p
#
# The anchor-span chapter samples with the paper's setting, nucleus
# $p = 0.9$ at temperature 1 {cite:p}`li2024predicting`. How much of the
# aligned model's "implicit blueprint" is a property of the model, and how much
# of the sampling setting? Lower temperature and smaller top-p cut the tail of
# every next-token distribution, so any model's generations become more alike;
# the question is whether the aligned model stays more alike than its Base
# model across settings.
#
# This page lets you look for yourself. For a few prompts it samples the
# generations of both models of a pair on a grid of temperatures and top-p
# values, aligns each prompt's generations with MAFFT, and draws the three
# views of the anchor-span chapter, with exactly its rules: the coverage of the
# most common n-gram, the number of generations aligned with at least $k$
# others along the normalised position, and the Sankey of the generations
# through their heaviest anchor spans.

# %% tags=["parameters"]
scale = "full"
seed = 0
pair = "mini-m-rlhf;mini-m-dpo;mini-s-dpo"
smoke_pair = "mini-s-dpo"
prompt_ids = "comparison-01;word_meaning-01;command_line-01"
n_samples = 30
max_new_tokens = 96
temperatures = "0.7;1.0;1.3"
top_ps = "0.8;0.9;0.95;1.0"
initial_temperature = 1.0
initial_top_p = 0.9
max_n = 24
ngram_n = 10
min_others = 5
anchor_threshold = 0.5
max_anchors = 8
n_points = 40
mafft_options = "--retree 2 --maxiterate 0"
mafft_timeout = 300
mafft_overflow = 32
live_widgets = False

# %%
import time
from dataclasses import replace

import pandas as pd
from IPython.display import display
from myst_nb import glue

from predact_utils import seed_everything
from predact_utils.chapters.anchors.msa import mafft_version, parse_options
from predact_utils.chapters.explorer.analysis import (
    ROLES,
    ExplorerConfig,
    explorer_figure,
    grid_heatmaps,
    grid_table,
    live_explorer,
    run_grid,
    show_explorer,
)
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import first_available_pair, not_built_note
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import ROLE_COLORS, close_all, set_style
from predact_utils.runs.generations import select_prompts

validate_parameters(globals(), {
    **COMMON, "pair": PAIRS, "smoke_pair": PAIRS, "prompt_ids": Param(str),
    "n_samples": Param(int, minimum=2), "max_new_tokens": Param(int, minimum=1),
    "temperatures": Param(str), "top_ps": Param(str),
    "initial_temperature": Param(float, minimum=0.0), "initial_top_p": Param(float, minimum=0.0, maximum=1.0),
    "max_n": Param(int, minimum=1), "ngram_n": Param(int, minimum=1), "min_others": Param(int, minimum=1),
    "anchor_threshold": Param(float, minimum=0.0, maximum=1.0), "max_anchors": Param(int, minimum=1),
    "n_points": Param(int, minimum=2), "mafft_options": Param(str), "mafft_timeout": Param(int, minimum=1),
    "mafft_overflow": Param(int, minimum=1, maximum=247), "live_widgets": Param(bool),
})
seed_everything(seed)
set_style()
smoke = scale == "smoke"


def floats(text: str, name: str) -> list[float]:
    """A ';'-separated list of numbers from a string parameter."""
    try:
        values = [float(v) for v in text.split(";") if v.strip()]
    except ValueError as exc:
        raise ValueError(f"{name} must be numbers separated by ';', e.g. '0.7;1.0', got {text!r}") from exc
    if not values:
        raise ValueError(f"{name} is empty; give at least one value, e.g. '1.0'")
    return values


def ends(values: list[float]) -> list[float]:
    """The smallest and largest value of a list (the smoke grid)."""
    return sorted({min(values), max(values)})


grid_t, grid_p = floats(temperatures, "temperatures"), floats(top_ps, "top_ps")
if smoke:
    grid_t, grid_p = ends(grid_t), ends(grid_p)
all_rows = select_prompts()
wanted = [p.strip() for p in prompt_ids.split(";") if p.strip()]
unknown = sorted(set(wanted) - {r["id"] for r in all_rows})
if unknown or not wanted:
    raise ValueError(f"prompt_ids: unknown or no ids {unknown}; ids look like 'comparison-01' (data/prompts.jsonl)")
rows = [next(r for r in all_rows if r["id"] == pid) for pid in wanted][: 1 if smoke else None]
samples_used = 6 if smoke else n_samples
tokens_used = min(max_new_tokens, 24) if smoke else max_new_tokens
others_used = min(min_others, samples_used - 1)
config = ExplorerConfig(max_n=min(max_n, tokens_used), min_others=others_used, n_points=n_points,
                        anchor_threshold=anchor_threshold, max_anchors=max_anchors,
                        mafft_options=parse_options(mafft_options), mafft_timeout=mafft_timeout,
                        mafft_overflow=mafft_overflow)
ngram_used = min(ngram_n, config.max_n)

pair_name = smoke_pair if smoke else pair
spec, not_built = first_available_pair(pair_name)
models = load_pair(spec)
names = {"base": f"Base ({models.base.name})", "aligned": f"{spec.method.upper()} ({models.aligned.name})"}
colors = {"base": ROLE_COLORS["base"], "aligned": ROLE_COLORS.get(spec.method, ROLE_COLORS["aligned"])}


def decode(tokens: list[int]) -> str:
    return models.aligned.tokenizer.decode(tokens)


n_cells = len(grid_t) * len(grid_p)
glue("ex_pair", f"{spec.name} ({models.base.name} and {models.aligned.name}, {spec.method})"
     + not_built_note(not_built), display=False)
glue("ex_prompts", f"{len(rows)} prompt" + ("s" if len(rows) != 1 else ""), display=False)
glue("ex_samples", f"{samples_used}", display=False)
glue("ex_tokens", f"{tokens_used}", display=False)
glue("ex_temperatures", ", ".join(f"{t:g}" for t in grid_t), display=False)
glue("ex_top_ps", ", ".join(f"{p:g}" for p in grid_p), display=False)
glue("ex_cells", f"{n_cells}", display=False)
glue("ex_total", f"{2 * n_cells * len(rows) * samples_used:,}", display=False)
glue("ex_k", f"{others_used}", display=False)
glue("ex_ngram", f"{ngram_used}", display=False)
glue("ex_threshold", f"{100 * anchor_threshold:.0f}%", display=False)
glue("ex_anchors", f"{max_anchors}", display=False)
glue("ex_points", f"{n_points}", display=False)
glue("ex_mafft", f"MAFFT {mafft_version()}, options {' '.join(config.mafft_options) or '(none)'}, "
     f"{mafft_overflow} overflow symbols", display=False)

# %% [markdown]
# **This run.** The pair {glue:text}`ex_pair`; {glue:text}`ex_samples`
# generations of at most {glue:text}`ex_tokens` new tokens for each of
# {glue:text}`ex_prompts`, from each model, at every combination of
# temperature ({glue:text}`ex_temperatures`) and top-p
# ({glue:text}`ex_top_ps`): {glue:text}`ex_cells` settings,
# {glue:text}`ex_total` generations in all. That is far fewer than the
# anchor-span chapter's, so that the whole grid can be sampled on two CPU cores
# while the book builds; the rules are the chapter's:
#
# * *n-gram coverage*: the share of a prompt's generations containing its most
#   common $n$-gram, for each $n$;
# * *aligned with at least {glue:text}`ex_k` others*: at each of
#   {glue:text}`ex_points` normalised positions, the generations whose token
#   there is carried by at least {glue:text}`ex_k` other generations in the same
#   MAFFT alignment column ({glue:text}`ex_mafft`);
# * *Sankey*: the paths of the generations through the
#   {glue:text}`ex_anchors` heaviest anchor spans (runs of columns whose
#   consensus token at least {glue:text}`ex_threshold` of the generations carry).
#
# Every setting uses the same seed, and generations come from (and go to) the
# book's artifact cache, so the cell at top-p 0.9 and temperature 1 reuses any
# generations another chapter made with the same settings and counts.

# %%
t0 = time.perf_counter()
grid = run_grid(models, rows, grid_t, grid_p, n=samples_used, max_new_tokens=tokens_used, seed=seed, config=config)
glue("ex_seconds", f"{time.perf_counter() - t0:.0f}", display=False)
table = grid_table(grid, ngram_used)
fig = grid_heatmaps(table, names, ngram_used, others_used)
glue("fig_ex_grid", fig, display=False)
close_all()


def setting(row: pd.Series) -> str:
    return f"{100 * row['coverage']:.0f}% at temperature {row['temperature']:g}, top-p {row['top_p']:g}"


for role in ROLES:
    part = table[table["role"] == role]
    glue(f"ex_cov_lo_{role}", setting(part.loc[part["coverage"].idxmin()]), display=False)
    glue(f"ex_cov_hi_{role}", setting(part.loc[part["coverage"].idxmax()]), display=False)
    glue(f"ex_aligned_range_{role}", f"{100 * part['aligned_share'].min():.0f}% to "
         f"{100 * part['aligned_share'].max():.0f}%", display=False)
paired = table.pivot_table(index=["temperature", "top_p"], columns="role", values=["coverage", "aligned_share"])
glue("ex_more_ngram", f"{int((paired['coverage']['aligned'] > paired['coverage']['base']).sum())} of {n_cells}",
     display=False)
glue("ex_more_aligned", f"{int((paired['aligned_share']['aligned'] > paired['aligned_share']['base']).sum())} "
     f"of {n_cells}", display=False)
(table.assign(role=table["role"].map(names)).rename(columns={
    "coverage": f"most common {ngram_used}-gram coverage", "aligned_share": f"tokens aligned with >= {others_used}",
    "anchor_share": "anchor-span tokens", "length": "mean length (tokens)"})
 .set_index(["role", "temperature", "top_p"]).round(3))

# %% [markdown]
# ```{glue:figure} fig_ex_grid
# :name: fig-ex-grid
#
# Across the sampling grid, means over the prompts: the share of generations
# that contain their prompt's most common {glue:text}`ex_ngram`-gram (top) and
# the share of tokens aligned with at least {glue:text}`ex_k` other generations
# (bottom), Base (left) and aligned (right).
# ```
#
# Sampling, aligning and analysing the grid took {glue:text}`ex_seconds` s in
# this run (close to nothing when the artifact cache already held the
# generations and alignments). The aligned model's
# most common {glue:text}`ex_ngram`-gram coverage runs from
# {glue:text}`ex_cov_lo_aligned` to {glue:text}`ex_cov_hi_aligned`; the Base
# model's from {glue:text}`ex_cov_lo_base` to {glue:text}`ex_cov_hi_base`. The
# share of tokens aligned with at least {glue:text}`ex_k` others ranges over
# {glue:text}`ex_aligned_range_aligned` for the aligned model and
# {glue:text}`ex_aligned_range_base` for Base. The aligned model shares more
# n-grams than Base in {glue:text}`ex_more_ngram` settings and has more aligned
# tokens in {glue:text}`ex_more_aligned`. These are a few prompts with few
# generations each: read them as an illustration, not a measurement with an
# error bar (the anchor-span chapter gives those, at the paper's setting).
#
# ## Explore
#
# Pick a prompt, and show both models or one; move the temperature and top-p
# sliders. Top left: the share of generations that contain the most common
# $n$-gram, for each $n$; top right: the generations aligned with at least
# {glue:text}`ex_k` others along the normalised position; bottom: the Sankey
# (hover over a node for its text and support). Every combination was
# precomputed when the book was built, so the controls work in the static page
# without a kernel; the number of generations and their maximum length are the
# ones stated above.

# %%
show_explorer(explorer_figure(grid, decode, colors, names, initial=(initial_temperature, initial_top_p)),
              div_id="ex-explorer")

# %% [markdown]
# **With a live kernel** (open this notebook in Jupyter and set
# `live_widgets = True` in the parameters cell), the controls below sample
# again for any prompt of the book, temperature, top-p, number of generations
# and maximum length, then align and draw the same three views; a new setting
# takes seconds to minutes on a CPU, and lands in the artifact cache. The
# static book, which has no kernel, shows the precomputed grid above instead.

# %%
if live_widgets:
    prompt_rows = rows + [r for r in all_rows if r not in rows]

    def compute_live(i: int, t: float, p: float, n: int, m: int):
        cfg = replace(config, max_n=min(max_n, m), min_others=min(min_others, n - 1))
        return run_grid(models, [prompt_rows[i]], [t], [p], n=n, max_new_tokens=m, seed=seed, config=cfg)

    def draw_live(g, model: str):
        return explorer_figure(g, decode, colors, names, model=model)

    display(live_explorer([r["prompt"] for r in prompt_rows], compute_live, draw_live,
                          temperature=initial_temperature, top_p=initial_top_p, n=samples_used,
                          max_new_tokens=tokens_used))

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
prompt_ids = "comparison-01;howto-01;explanation-01"
prompts_file = ""
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

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import explorer as chapter

settings, results = run_chapter(chapter, globals())

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

# %% tags=["remove-input"]
chapter.grid_display(results)

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

# %% tags=["remove-input"]
chapter.show_explorer(chapter.explorer_plotly(results), div_id="ex-explorer")

# %% [markdown]
# **With a live kernel** (open this notebook in Jupyter and set
# `live_widgets = True` in the parameters cell), the controls below sample
# again for any prompt of the book, temperature, top-p, number of generations
# and maximum length, then align and draw the same three views; a new setting
# takes seconds to minutes on a CPU, and lands in the artifact cache. The
# static book, which has no kernel, shows the precomputed grid above instead.

# %%
chapter.live_widget(results) if settings.live_widgets else None

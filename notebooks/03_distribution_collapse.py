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
# # Distribution collapse and self-predictability (the paper's Figs. 3, 4, 5)
#
# **What the paper reports** {cite:p}`li2024predicting`: the next-token
# distributions of RLHF models put nearly all their mass on the top token,
# more than Base models do (Fig. 3); on its own generations an RLHF model
# gives non-negligible probability (above $10^{-8}$) to far fewer vocabulary
# tokens than its Base model, while on gold text it gives slightly more
# (Fig. 4); and each RLHF model predicts its own completions of document
# prefixes better than the Base model predicts its own (lower
# self-perplexity, Fig. 5). The paper also names the cross-model comparison:
# each model scoring the other's text.
#
# **Provenance.** Figs. 3, 4 and 5 are the paper's figures. The cross-model
# perplexity appears only in the paper's summary of its methods: no figure or
# caption we have shows how the paper ran it, so the matrix below is this
# book's design, not a reproduction of a published result.
#
# **What this chapter measures**, for every Base / aligned pair of the run:
#
# * **Own generations** (Figs. 3 and 4): each model answers the 80 prompts
#   with nucleus sampling (aligned models through their chat template, Base
#   models on the raw prompt), and is scored on the generated tokens in the
#   context it generated them from. The stop token is not scored. Only the
#   first few samples of each prompt are scored, so only the run's first pair
#   samples the full set per prompt: that is the book's shared set, which the
#   anchor-span chapter reads from the artifact cache instead of sampling it
#   again. The other pairs sample just the scored ones; each sample has its own
#   seed, so they are the same first samples a full run would give.
# * **Gold text** (Figs. 3 and 4): a seeded random sample of the documents of the test split of
#   each of the 9 evaluation corpora, raw text, cut to a fixed number of
#   tokens, scored by both models on the same tokens.
# * At every scored position the scorer keeps a few numbers of the full
#   next-token distribution (see `predact_utils.lm.diststats`): the cumulative
#   mass of the $k$ most probable tokens for $k = 1..K$, the number of tokens
#   with probability above each threshold, and the entropy. They are averaged
#   over the positions of each sequence; curves and means then weight
#   sequences equally, and the bands are percentile bootstrap 95% intervals
#   over the independent unit: the prompt (all its answers together) for own
#   answers, the document for gold text.
# * **Self-perplexity** (Fig. 5) and **cross-model perplexity**: both models
#   continue the prefixes of the 11 prefix sets (4 categories) as raw text, no
#   chat template, with nucleus sampling; every model scores every model's
#   continuations in the same context (the prefix), so the 2 × 2 matrix of
#   scorer × generator compares like with like. Perplexity is token-weighted,
#   $\exp(\sum \mathrm{NLL} / \sum \text{tokens})$, with an interval from
#   resampling whole prefixes (all continuations of a prefix together).

# %% tags=["parameters"]
scale = "full"
seed = 0
pairs = "mini-m-rlhf;mini-m-sft;mini-s-dpo"
smoke_pairs = "mini-s-dpo"
n_prompts = 0
prompts_file = ""
n_samples = 100
max_new_tokens = 128
top_p = 0.9
temperature = 1.0
stats_samples = 10
gold_docs = 20
gold_tokens = 256
top_k = 32
threshold = 1e-8
n_prefixes = 32
prefix_samples = 2
prefix_tokens = 128

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import collapse as chapter
from predact_utils.plotting import show_plotly

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Pairs in this run: {glue:text}`col_pairs` (not built, hence left out:
# {glue:text}`col_skipped`). Sampling: {glue:text}`col_sampling`; the first
# {glue:text}`col_stats_samples` samples of each prompt are scored for
# Figs. 3 and 4. Gold text: {glue:text}`col_gold`.

# %% tags=["remove-input"]
chapter.scored_table(results)

# %% [markdown]
# ## Fig. 3: mass on the top tokens

# %% [markdown]
# ```{glue:figure} fig_col_topk
# :name: fig-col-topk
#
# Cumulative probability of the $k$ most probable next tokens, averaged over
# positions and then over sequences, for the Base (blue) and aligned (red)
# model of each pair; solid: the model's own answers to the prompts, dashed:
# gold text. Bands: bootstrap 95% intervals over prompts (own answers) and
# documents (gold text).
# ```
#
# For {glue:text}`col_main`, the top token carries on average
# {glue:text}`col_top1_aligned_own` of the aligned model's next-token mass on
# its own answers against {glue:text}`col_top1_base_own` for the Base model on
# its own; on gold text {glue:text}`col_top1_aligned_gold` against
# {glue:text}`col_top1_base_gold`. Over all pairs and both kinds of text the
# aligned model puts more mass on its top token in
# {glue:text}`col_top1_higher` cases.

# %% tags=["remove-input"]
show_plotly(chapter.topk_plotly(results), div_id="col-topk-plotly")

# %% [markdown]
# ## Fig. 4: how many tokens are not negligible

# %% [markdown]
# ```{glue:figure} fig_col_above
# :name: fig-col-above
#
# Mean number of vocabulary tokens with probability above the threshold
# {glue:text}`col_threshold` at a position, for Base and aligned, on gold text
# (hatched) and on the model's own answers (solid), one group per pair; error
# bars are bootstrap 95% intervals over prompts (own answers) and documents
# (gold text).
# ```
#
# At threshold {glue:text}`col_threshold`, for {glue:text}`col_main`, the
# aligned model gives non-negligible probability to
# {glue:text}`col_above_aligned_own` tokens per position on its own answers,
# the Base model to {glue:text}`col_above_base_own` on its own; on gold text
# {glue:text}`col_above_aligned_gold` against {glue:text}`col_above_base_gold`.
#
# **Is the conclusion stable in the threshold?** {numref}`fig-col-thresholds`
# repeats the comparison for thresholds from {glue:text}`col_thr_range`. The
# aligned model counts fewer tokens than Base on its own text at every
# threshold for {glue:text}`col_own_lower_all` pairs, and more on gold text at
# every threshold for {glue:text}`col_gold_higher_all` pairs.
#
# ```{glue:figure} fig_col_thresholds
# :name: fig-col-thresholds
#
# Ratio of the aligned model's mean count to the Base model's against the
# probability threshold (log axis), per pair; solid: own answers, dashed:
# gold text. Below 1: the aligned model spreads non-negligible mass over
# fewer tokens.
# ```

# %% tags=["remove-input"]
chapter.ratios_table(results)

# %% [markdown]
# ## Fig. 5: self-perplexity, and the cross-model matrix

# %% [markdown]
# Setup: {glue:text}`col_prefix_setup`.
#
# ```{glue:figure} fig_col_self
# :name: fig-col-self
#
# Each model's perplexity on its own continuations of the prefixes of each
# dataset (log axis), grouped by category (dotted lines); error bars are
# bootstrap 95% intervals over prefixes (each with all its continuations). Lower: the model finds its own
# text more predictable.
# ```
#
# The aligned model's self-perplexity is below the Base model's on
# {glue:text}`col_self_lower` pair × dataset combinations. For
# {glue:text}`col_main`, the geometric mean over datasets is
# {glue:text}`col_self_gmean_aligned` for the aligned model against
# {glue:text}`col_self_gmean_base` for Base.
#
# ```{glue:figure} fig_col_cross
# :name: fig-col-cross
#
# Cross-model perplexity: rows are the scoring model, columns the model that
# generated the continuations; each cell is the geometric mean over datasets
# of the token-weighted perplexity. The diagonal is the self-perplexity of
# {numref}`fig-col-self`.
# ```
#
# For {glue:text}`col_main` (geometric means over datasets): Base scores its
# own text at {glue:text}`col_x_base_base` and the aligned model's text at
# {glue:text}`col_x_base_aligned`; the aligned model scores its own text at
# {glue:text}`col_x_aligned_aligned` and the Base model's text at
# {glue:text}`col_x_aligned_base`. Pick a dataset in the interactive version:

# %% tags=["remove-input"]
show_plotly(chapter.cross_plotly(results), div_id="col-cross-plotly")

# %% tags=["remove-input"]
chapter.cross_table(results)

# %% [markdown]
# ## Where the miniature agrees with the paper, and where it does not

# %% tags=["remove-input"]
chapter.verdicts_table(results)

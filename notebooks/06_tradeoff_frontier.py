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
# # Beyond the paper: the world-model / agent-model frontier
#
# The paper ends by asking whether the trade-off between predicting text and
# acting as an agent is inevitable, and calls for models that do both
# {cite:p}`li2024predicting`. This chapter measures, for a miniature pair,
# what lies *between* the two ends: is there a model that keeps most of the
# aligned model's agent behaviour at little cost to world modeling, or is the
# trade-off steep?
#
# **Two paths from Base ($a = 0$) to aligned ($a = 1$).**
#
# 1. *Weight interpolation*: $\theta(a) = (1-a)\,\theta_\text{Base} + a\,\theta_\text{aligned}$,
#    parameter by parameter (the two checkpoints share architecture and tokenizer).
# 2. *Log-probability mixing* at decoding time:
#    $\log p_a(v \mid x) = (1-a) \log p_\text{Base}(v \mid x) + a \log p_\text{aligned}(v \mid x) - \log Z_a(x)$,
#    a normalised geometric mixture of the two next-token distributions.
#
# **Measures at each point** (exact definitions in `predact_utils.chapters.frontier.measure`):
# world modeling is the mean log-perplexity on gold text of the evaluation
# corpora, averaged per category and then over categories; its *cost* is
# the difference to the Base model in nats per token. Agent behaviour is
# measured on the point's own answers to the prompts, sampled through the
# chat template at every point (so at $a = 0$ the Base model is also asked
# in chat format, unlike in the other chapters): self-perplexity, mean
# top-1 probability, the share of answers containing the prompt's most
# common 10-gram, and for the RLHF pair the reward model's mean score.

# %% tags=["parameters"]
scale = "full"
seed = 0
pairs = "mini-m-rlhf;mini-m-dpo"
smoke_pairs = "mini-s-dpo"
grid_step = 0.1
n_prompts = 20
prompts_file = ""
n_samples = 5
max_new_tokens = 128
top_p = 0.9
temperature = 1.0
gold_docs = 8
gold_tokens = 256
ngram = 10
reward_per_prompt = 2

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import frontier as chapter

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Pairs: {glue:text}`fr_pairs` (not built, left out: {glue:text}`fr_skipped`);
# grid of $a$: {glue:text}`fr_grid`; at each point {glue:text}`fr_setup`.

# %% [markdown]
# ## The frontier

# %% [markdown]
# ```{glue:figure} fig_fr_frontier
# :name: fig-fr-frontier
#
# World-modeling cost (x: mean log-perplexity on gold text minus the Base
# model's) against each agent measure (y), along weight interpolation (solid)
# and log-probability mixing (dashed), one colour per pair; points at
# $a = 0, 0.5, 1$ are labelled. Circled: points that no other point of the
# same pair dominates (no other point has lower cost and more agent behaviour,
# where "more" means lower for self-perplexity, as the paper's aligned models
# show).
# ```
#
# For {glue:text}`fr_main`, the aligned end costs {glue:text}`fr_cost_end`
# nats per token of gold text and raises the mean top-1 probability on its
# own answers from {glue:text}`fr_top1_base` to {glue:text}`fr_top1_end`. At
# $a =$ {glue:text}`fr_half_a`, weight interpolation reaches
# {glue:text}`fr_interp_kept` of that change of top-1 mass while paying
# {glue:text}`fr_interp_paid` of the cost; log-probability mixing reaches
# {glue:text}`fr_mix_kept` for {glue:text}`fr_mix_paid` of the cost. (Shares
# are relative to the two ends of each path; a negative or above-100% value
# means the path is not monotone there.) On the top-1 measure,
# {glue:text}`fr_front_top1` points of this pair are not dominated.

# %% tags=["remove-input"]
from predact_utils.plotting import show_plotly

show_plotly(chapter.frontier_plotly(results), div_id="fr-plotly")

# %% tags=["remove-input"]
chapter.points_table(results)

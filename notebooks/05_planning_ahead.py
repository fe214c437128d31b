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
# # Planning ahead in hidden states (forward-predictive probes)
#
# **What the paper reports** {cite:p}`li2024predicting`: the RLHF model's
# hidden states are more *forward-predictive* than the Base model's: a probe
# reading the state at position $t$ can tell more about tokens several
# positions later, as if the model held a plan (the implicit blueprint behind
# its anchor spans) rather than only the next token.
#
# **Provenance.** Hidden-state probing appears only in the paper's summary of
# its methods: no figure, caption or number we have shows how the paper ran
# it. The probes below are this book's design; the scoreboard marks the claim
# "summary only" and compares no magnitude with the paper.
#
# **What this chapter measures.** For each model of the pair, on its own
# generations (answers to the book's prompts, sampled with the shared settings)
# and on gold text from the evaluation corpora, a linear probe is trained on the
# hidden state at position $t$ of one layer to predict the token at $t + k$, for
# each offset $k$. The probe is a multinomial logistic regression (softmax,
# L2-penalised, standardised features) over a label space of the most frequent
# target tokens of the training sequences plus one "other" class for every
# remaining token. Sequences, never positions, are split into train and test;
# for generations the split is by prompt, so sibling generations of one
# prompt (which share anchor spans) never sit on both sides. Every number is
# measured on held-out sequences, with 95% bootstrap intervals over the
# held-out prompts (generations) or documents (gold text).
#
# What the state adds is measured against a baseline that predicts the token at
# $t + k$ from the token at $t$ alone (a bigram-style count model on the same
# training positions and label space, smoothed towards the label frequencies).
# The *information gain* is the baseline's cross-entropy minus the probe's, in
# nats per token. A high accuracy is evidence that the information is
# *decodable* from the state by a linear map; it does not show that the model
# *uses* it to choose its tokens.

# %% tags=["parameters"]
scale = "full"
seed = 0
pair = "mini-m-rlhf;mini-m-sft;mini-s-dpo"
smoke_pair = "mini-s-dpo"
layers = "all"
offsets = "1,2,3,4,6,8,12,16"
curve_layer = -1
probe_top_n = 127
probe_l2 = 0.001
probe_max_iter = 50
max_train_positions = 10000
test_fraction = 0.2
split_by = "prompt"
n_prompts = 80
prompts_file = ""
n_samples = 100
n_probe_samples = 8
max_new_tokens = 128
top_p = 0.9
temperature = 1.0
gold_docs = 20
gold_tokens = 128
plan_spans = "anchor"
anchor_threshold = 0.5
plan_min_tokens = 2
mafft_options = "--retree 2 --maxiterate 0"
mafft_timeout = 300
mafft_overflow = 32
plan_ngram = 4
plan_min_share = 0.2
plan_max_share = 0.8
plan_max_spans = 20
n_boot = 1000

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import planning as chapter

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Pair of this run: {glue:text}`pl_pair`; probed layers
# {glue:text}`pl_layers` (0 is the embedding output, the last the final
# block's output after the final norm); label space: the
# {glue:text}`pl_top_n` most frequent target tokens plus "other". Of the
# {glue:text}`pl_samples` shared generations per prompt, the first
# {glue:text}`pl_probe_samples` of each prompt are probed, which keeps the
# cost of the probes moderate.
#
# ## Probe data: own generations and gold text
#
# A generation's hidden states are taken on the prompt followed by the
# generation, as the model saw them while sampling (the aligned model's prompt
# in its chat template, the Base model's as raw text). Probing starts at the
# last prompt position, whose state precedes the first generated token. Gold
# text is the start of test documents of every evaluation corpus, as raw text
# for both models, so both are probed on exactly the same tokens.

# %% tags=["remove-input"]
chapter.sizes_table(results)

# %% [markdown]
# ## Accuracy and information gain against the offset

# %% [markdown]
# ```{glue:figure} fig_pl_curves
# :name: fig-pl-curves
#
# Probes on the state of one layer predicting the token $k$ positions ahead,
# on held-out sequences. Top: top-1 accuracy of the probe (solid, with 95%
# bootstrap band) and of the bigram baseline that sees only the token at $t$
# (dashed). Bottom: information gain of the probe over that baseline, nats per
# token. Left: each model on its own generations (different text for the two
# models); right: both models on the same gold text.
# ```
#
# At layer {glue:text}`pl_curve_layer` and $k$ = {glue:text}`pl_k_show`, on
# its own generations the Base model's probe reaches a top-1 accuracy of
# {glue:text}`pl_own_base_acc` (bigram baseline
# {glue:text}`pl_own_base_base_acc`) and the aligned model's
# {glue:text}`pl_own_aligned_acc` (baseline
# {glue:text}`pl_own_aligned_base_acc`); the information gains over the
# baseline are {glue:text}`pl_own_base_gain` and
# {glue:text}`pl_own_aligned_gain` nats per token. On gold text the
# accuracies are {glue:text}`pl_gold_base_acc` (Base) and
# {glue:text}`pl_gold_aligned_acc` (aligned), with gains
# {glue:text}`pl_gold_base_gain` and {glue:text}`pl_gold_aligned_gain`.
#
# Averaged over the offsets $k \ge 2$ ({glue:text}`pl_ks_ahead`), the gain on
# own generations is {glue:text}`pl_own_mean_base` (Base) against
# {glue:text}`pl_own_mean_aligned` (aligned), a difference (aligned − Base) of
# {glue:text}`pl_own_diff` nats per token (95% paired bootstrap interval over
# held-out prompts): in this miniature, states are
# {glue:text}`pl_own_verdict`. On gold text the difference is
# {glue:text}`pl_gold_diff`: {glue:text}`pl_gold_verdict`. Over all probed
# layers and the offsets $k \ge 2$ of both text sources, the aligned model's
# gain is the larger in {glue:text}`pl_cells_aligned_ahead` layer × offset
# cells ({numref}`fig-pl-heatmap`).
#
# Two cautions for reading these numbers. On its own generations each model is
# probed on different text, and the aligned model's text is more repetitive, so
# its raw accuracy and its baseline both rise: the gain over the baseline is
# the fairer comparison, and gold text, where both models read the same
# tokens, is the controlled one, so the scoreboard's verdict uses gold text.
# And a probe's accuracy shows that the information is linearly decodable from
# the state, not that the model uses it to plan: a state can carry the future
# because the past determines it.
#
# **Which layer.** The verdict reads one layer, fixed before the run: the
# curve layer {glue:text}`pl_curve_layer` (the last one unless `curve_layer`
# says otherwise). Choosing the best layer after looking at the held-out
# scores would bias the test, so the table below reports every probed layer
# instead: on gold text the interval of the difference lies above zero at
# {glue:text}`pl_gold_layers_above` layers, on own generations at
# {glue:text}`pl_own_layers_above`.

# %% tags=["remove-input"]
chapter.layers_table(results)

# %% [markdown]
# **Which training stage.** The other built pairs of this page's list fill the
# scoreboard's stage table with the same gold-text comparison at each model's
# curve layer, judged by the same rule: each stage against the model it
# starts from (the Base, or for RLHF vs SFT the SFT model the RLHF model was
# trained from).

# %% tags=["remove-input"]
chapter.stages_table(results)

# %% [markdown]
# ```{glue:figure} fig_pl_heatmap
# :name: fig-pl-heatmap
#
# Information gain of the probe over the bigram baseline (nats per token,
# held-out sequences) for every probed layer (rows; 0 = embeddings) and offset
# $k$ (columns), per model (columns of panels) and text source (rows of
# panels). Red: the state adds information about the token $k$ ahead beyond
# the current token; blue: the probe does worse than the baseline.
# ```
#
# The interactive version: the slider switches the layer, hover for values.

# %% tags=["remove-input"]
from predact_utils.plotting import show_plotly

show_plotly(chapter.curves_interactive(results), div_id="pl-curves-plotly")

# %% [markdown]
# The full table of scores (accuracy, cross-entropy in nats, baseline, gain,
# each with its 95% interval):

# %% tags=["remove-input"]
chapter.scores_table(results)

# %% [markdown]
# ## A sequence-level plan: does the state after the prompt foretell the spans?
#
# If a model plans its answer, its state after the prompt, before it samples
# the first token, should already say which spans the answer will contain.
# That state is the same for every generation of a prompt, so what it can
# foretell is *how many* of the prompt's generations contain a span. A ridge
# probe, fitted across prompts, maps the state after the prompt to the share
# of the prompt's generations that contain each token of the spans'
# vocabulary; a span's score is the mean predicted share of its tokens. For a
# held-out prompt (5-fold cross-validation over prompts), its own spans,
# contained in at least {glue:text}`pl_plan_min_share` of its generations,
# should score above the spans of other prompts that none of its generations
# contain: the ROC AUC per prompt, 0.5 for chance, compared with the same
# score computed from the training prompts' average shares without the state.
#
# **Spans.** {glue:text}`pl_plan_targets` (at most
# {glue:text}`pl_plan_max_spans` per prompt, the most widespread first; a span
# that nearly every generation contains leaves nothing to foretell).
# `plan_spans="ngram"` swaps in the token {glue:text}`pl_plan_n`-grams found in
# the same share of generations, which needs no alignment.

# %% tags=["remove-input"]
chapter.plan_table(results)

# %% [markdown]
# From the state after the prompt (layer {glue:text}`pl_curve_layer`), the
# probe ranks a held-out prompt's spans with
# {glue:text}`pl_plan_base_result` for the Base model and with
# {glue:text}`pl_plan_aligned_result` for the aligned model; intervals are
# 95% bootstrap intervals over prompts. Much of what such a probe reads is the
# prompt's topic, which any model that understood the prompt encodes: the
# comparison with the no-state score and between the two models is what
# speaks to planning, and, as above, decodable is not the same as used.

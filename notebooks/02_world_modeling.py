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
# # Worse world models (the paper's Fig. 2)
#
# **What the paper reports** {cite:p}`li2024predicting`: across model
# families and sizes, the RLHF version of a model predicts arbitrary text
# worse than the Base model it was tuned from, on 9 corpora in 4 categories,
# including text like the preference-tuning data (Fig. 2A); and after both
# models are fine-tuned on the target corpus, the RLHF model stays worse
# (Fig. 2B).
#
# **What this chapter measures.** For every Base / aligned pair of the run, the
# perplexity of both models on the test split of each evaluation corpus
# ({glue:text}`wm_sample`; the whole splits hold about 200,000 tokens each,
# too many for every model of a two-core build), on
# exactly the same tokens (the two models share a tokenizer). The perplexity of
# a corpus is $\exp\big(\sum_i -\log p(x_i \mid x_{<i}) / N\big)$ over its $N$
# scored tokens, each document prefixed with the end-of-text token and scored
# with a sliding window. Gold text reaches both models as raw text, without
# the chat template: the question is how well each model predicts documents,
# and the paper gives no detail here. The increase is reported as
# $\Delta = \log \mathrm{ppl}_\text{aligned} - \log \mathrm{ppl}_\text{Base}$,
# the extra negative log-likelihood per token in nats: it adds up over
# documents, so a paired bootstrap over documents gives its 95% confidence
# interval, and $e^\Delta$ is the perplexity ratio.

# %% tags=["parameters"]
scale = "full"
seed = 0
pairs = "mini-s-sft;mini-s-dpo;mini-m-sft;mini-m-dpo;mini-m-rlhf"
corpus_names = ""
max_docs = 0
max_corpus_chars = 100000
max_doc_chars = 4000
window = 512
stride = 256
finetune_pairs = "mini-m-rlhf;mini-m-sft;mini-s-dpo"
finetune_steps = 30
finetune_lr = 0.0003
finetune_batch = 8
finetune_block = 256
finetune_test_docs = 40
finetune_method = "auto"
finetune_lora_above = 1000000000
finetune_lora_rank = 16

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import worldmodel as chapter
from predact_utils.plotting import show_plotly

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Pairs in this run: {glue:text}`wm_pairs` (not built yet, hence left out:
# {glue:text}`wm_skipped`), on {glue:text}`wm_corpora` evaluation corpora.
#
# ## Fig. 2A: perplexity on gold text

# %% [markdown]
# ```{glue:figure} fig_wm_2a
# :name: fig-wm-2a
#
# Perplexity increase of each aligned model over its Base model,
# $\Delta \log \mathrm{ppl}$ in nats per token, on the test split of each
# evaluation corpus, grouped by category (dotted lines); error bars are paired
# bootstrap 95% intervals over documents. Above zero: the aligned model is the
# worse predictor.
# ```
#
# The aligned model is the worse predictor on {glue:text}`wm_a_worse`
# pair × corpus combinations, with the whole 95% interval above zero on
# {glue:text}`wm_a_sig` of them; the mean perplexity ratio (aligned / Base) is
# {glue:text}`wm_a_mean_ratio`. The raw perplexities:

# %% tags=["remove-input"]
chapter.table_a(results)

# %% tags=["remove-input"]
chapter.summary_a(results)

# %% [markdown]
# ## Fig. 2B: after fine-tuning on the target corpus
#
# Each model of the pairs {glue:text}`wm_ft_pairs` (the Base models once,
# shared by their pairs; fine-tuning every model of Fig. 2A on every corpus
# would take most of the book's build time) is fine-tuned on each evaluation
# corpus with the same budget: the same packed
# blocks of the corpus' validation split (committed with the book, so this
# runs on a fresh clone; the large training splits are not) in the same order,
# the same steps, learning rate and batch ({glue:text}`wm_budget`), then scored
# again on the first {glue:text}`wm_ft_docs` documents of Fig. 2A's sample of the test split, which
# fine-tuning never sees. Method: {glue:text}`wm_ft_method` (`finetune_method`:
# LoRA by default above {glue:text}`wm_lora_above` parameters, so that a 7B
# pair fits one 80 GB GPU). The paper's fine-tuning was larger; this budget keeps
# the book's full build within its time budget on two CPU cores (the README
# lists the measured build times).

# %% [markdown]
# ```{glue:figure} fig_wm_2b
# :name: fig-wm-2b
#
# As {numref}`fig-wm-2a`, after both models of each pair were fine-tuned on
# the corpus' validation split with the same budget.
# ```
#
# After fine-tuning, the aligned model is the worse predictor on
# {glue:text}`wm_b_worse` pair × corpus combinations ({glue:text}`wm_b_sig`
# with the whole interval above zero). {numref}`fig-wm-2b-scatter` sets each
# combination's gap after fine-tuning against its gap before: points below the
# diagonal are gaps that fine-tuning narrowed.
#
# ```{glue:figure} fig_wm_2b_scatter
# :name: fig-wm-2b-scatter
#
# $\Delta \log \mathrm{ppl}$ after fine-tuning against before, one point per
# pair and corpus, with 95% intervals of the after-value.
# ```

# %% tags=["remove-input"]
chapter.table_b(results)

# %% [markdown]
# The interactive version of both panels (hover for the raw perplexities; the
# menu switches between before and after fine-tuning):

# %% tags=["remove-input"]
show_plotly(chapter.delta_plotly(results), div_id="wm-delta-plotly")

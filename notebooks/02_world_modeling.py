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
finetune_pairs = "mini-m-rlhf;mini-s-dpo"
finetune_steps = 30
finetune_lr = 0.0003
finetune_batch = 8
finetune_block = 256
finetune_test_docs = 40

# %%
from myst_nb import glue

import predact_utils.data.corpora as corpora
from predact_utils import claims, seed_everything
from predact_utils.chapters.worldmodel.analysis import (
    DocScores,
    document_scores,
    pair_table,
    summary_by_category,
)
from predact_utils.chapters.worldmodel.finetune import FinetuneBudget, finetuned_test_scores
from predact_utils.chapters.worldmodel.plots import before_after_figure, delta_figure, delta_plotly
from predact_utils.lm.models import load_model
from predact_utils.lm.registry import available_pairs, pair_entries
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import close_all, set_style, show_plotly

validate_parameters(globals(), {
    **COMMON, "pairs": PAIRS, "corpus_names": Param((str, list)),
    "max_docs": Param(int, minimum=0), "max_corpus_chars": Param(int, minimum=0),
    "max_doc_chars": Param(int, minimum=0), "window": Param(int, minimum=16), "stride": Param(int, minimum=1),
    "finetune_pairs": PAIRS, "finetune_steps": Param(int, minimum=1), "finetune_lr": Param(float, minimum=0.0),
    "finetune_batch": Param(int, minimum=1), "finetune_block": Param(int, minimum=8),
    "finetune_test_docs": Param(int, minimum=1),
})
seed_everything(seed)
set_style()
smoke = scale == "smoke"
if smoke:
    max_docs, max_corpus_chars = 3, 0
budget = FinetuneBudget(steps=2 if smoke else finetune_steps, block=finetune_block, batch=finetune_batch,
                        lr=finetune_lr, max_train_tokens=20_000 if smoke else 400_000)

available, skipped = available_pairs(pairs)
if smoke:
    available = available[:1]
eval_corpora = corpora.select_eval(corpus_names, smoke=smoke)
glue("wm_pairs", ", ".join(s.name for s in available), display=False)
glue("wm_skipped", ", ".join(skipped) if skipped else "none", display=False)
glue("wm_corpora", f"{len(eval_corpora)}", display=False)

# %% [markdown]
# Pairs in this run: {glue:text}`wm_pairs` (not built yet, hence left out:
# {glue:text}`wm_skipped`), on {glue:text}`wm_corpora` evaluation corpora.
#
# ## Fig. 2A: perplexity on gold text

# %%
texts = {c: corpora.sample_texts(c, "test", max_docs=max_docs, max_chars=max_corpus_chars,
                                  max_doc_chars=max_doc_chars, seed=seed) for c in eval_corpora}
glue("wm_sample", "the whole test split" if not (max_docs or max_corpus_chars or max_doc_chars) else
     f"a random subset of each test split (seed {seed}): documents cut to {max_doc_chars or 'any'} characters, "
     f"taken until {max_corpus_chars or 'any number of'} characters"
     + (f" or {max_docs} documents" if max_docs else ""), display=False)
scores: dict[tuple[str, str], DocScores] = {}
loaded = {}
for spec in available:
    for role, ident in (("base", spec.base_location()), ("aligned", spec.aligned_location())):
        if ident not in loaded:
            loaded[ident] = load_model(ident, role=role)
        for c in eval_corpora:
            if (ident, c) not in scores:
                scores[(ident, c)] = document_scores(loaded[ident], texts[c], window=window, stride=stride)

table_a = pair_table(available, scores, eval_corpora, corpora.category_of, seed=seed)
summary_a = summary_by_category(table_a)
n_worse = int((table_a["delta_log_ppl"] > 0).sum())
n_sig = int((table_a["ci_low"] > 0).sum())
glue("wm_a_worse", f"{n_worse} of {len(table_a)}", display=False)
glue("wm_a_sig", f"{n_sig}", display=False)
glue("wm_a_mean_ratio", f"{float((table_a['ppl_ratio']).mean()):.3f}", display=False)
fig = delta_figure(table_a, "Fig. 2A (miniature): aligned vs Base on gold text")
glue("fig_wm_2a", fig, display=False)
close_all()

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

# %%
table_a[["pair", "category", "corpus", "documents", "tokens", "base_ppl", "aligned_ppl", "ppl_ratio",
         "delta_log_ppl", "ci_low", "ci_high"]].round(4)

# %%
summary_a.round(4)

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
# fine-tuning never sees. The paper's fine-tuning was larger; this budget keeps
# the book's full build within its time budget on two CPU cores (the README
# lists the measured build times).

# %%
glue("wm_budget", f"{budget.steps} steps of {budget.batch} x {budget.block} tokens, peak learning rate "
     f"{budget.lr:g}, cosine schedule", display=False)
ft_docs = 2 if smoke else finetune_test_docs
glue("wm_ft_docs", f"{ft_docs}", display=False)
ft_pairs = [s for s in available if s.name in pair_entries(finetune_pairs)] or available[:1]
glue("wm_ft_pairs", ", ".join(s.name for s in ft_pairs), display=False)
ft_models = {i: loaded[i] for s in ft_pairs for i in (s.base_location(), s.aligned_location())}
ft_scores: dict[tuple[str, str], DocScores] = {}
for c in eval_corpora:
    train_texts = [r["text"] for r in corpora.load_texts(c, "validation")]
    test_texts = texts[c][:ft_docs]
    for ident, lm in ft_models.items():
        nll, ntok = finetuned_test_scores(lm, train_texts, test_texts, budget, seed=seed, window=window, stride=stride)
        ft_scores[(ident, c)] = DocScores(nll, ntok)
table_b = pair_table(ft_pairs, ft_scores, eval_corpora, corpora.category_of, seed=seed)
n_worse_b = int((table_b["delta_log_ppl"] > 0).sum())
glue("wm_b_worse", f"{n_worse_b} of {len(table_b)}", display=False)
glue("wm_b_sig", f"{int((table_b['ci_low'] > 0).sum())}", display=False)
fig = delta_figure(table_b, "Fig. 2B (miniature): after fine-tuning both models on the corpus")
glue("fig_wm_2b", fig, display=False)
fig = before_after_figure(table_a, table_b)
glue("fig_wm_2b_scatter", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_wm_2b
# :name: fig-wm-2b
#
# As {numref}`fig-wm-2a`, after both models of each pair were fine-tuned on
# the corpus' validation split with the same budget.
# ```
#
# After fine-tuning, the aligned model is still the worse predictor on
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

# %%
table_b[["pair", "category", "corpus", "documents", "base_ppl", "aligned_ppl", "delta_log_ppl", "ci_low",
         "ci_high"]].round(4)

# %% [markdown]
# The interactive version of both panels (hover for the raw perplexities; the
# menu switches between before and after fine-tuning):

# %%
show_plotly(delta_plotly(table_a, table_b), div_id="wm-delta-plotly")

# %% tags=["remove-cell"]
# the book's scoreboard (see the scoreboard chapter)
pair_names = ", ".join(s.name for s in available)
n_all = len(table_a)
claims.record("fig2a-worse", f"aligned worse on {n_worse} of {n_all} pair x corpus combinations ({n_sig} with the "
              f"95% interval above 0); mean perplexity ratio {float(table_a['ppl_ratio'].mean()):.3f}",
              claims.share_verdict(n_sig, n_all), pair=pair_names, scale=scale)
claims.record("fig2b-finetune", f"after fine-tuning, aligned worse on {n_worse_b} of {len(table_b)} "
              f"({int((table_b['ci_low'] > 0).sum())} with the 95% interval above 0)",
              claims.share_verdict(int((table_b["ci_low"] > 0).sum()), len(table_b)),
              pair=", ".join(s.name for s in ft_pairs), scale=scale)

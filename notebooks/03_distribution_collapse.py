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
#   over sequences.
# * **Self-perplexity** (Fig. 5) and **cross-model perplexity**: both models
#   continue the prefixes of the 11 prefix sets (4 categories) as raw text, no
#   chat template, with nucleus sampling; every model scores every model's
#   continuations in the same context (the prefix), so the 2 × 2 matrix of
#   scorer × generator compares like with like. Perplexity is token-weighted,
#   $\exp(\sum \mathrm{NLL} / \sum \text{tokens})$, with an interval from
#   resampling whole continuations.

# %% tags=["parameters"]
scale = "full"
seed = 0
pairs = "mini-m-rlhf;mini-s-dpo"
smoke_pairs = "mini-s-dpo"
n_prompts = 0
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

# %%
import numpy as np
import pandas as pd
from myst_nb import glue

import predact_utils.data.corpora as corpora
from predact_utils import claims, seed_everything
from predact_utils.chapters.collapse.analysis import (
    THRESHOLDS,
    above_table,
    at_threshold,
    cross_matrix,
    generation_text_set,
    gold_text_set,
    perplexity_rows,
    ratio_by_threshold,
    summarize,
    topk_curves,
)
from predact_utils.chapters.collapse.plots import (
    above_figure,
    cross_heatmaps,
    cross_plotly,
    self_ppl_figure,
    threshold_figure,
    topk_figure,
    topk_plotly,
)
from predact_utils.data import prompts as prompt_data
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.models import load_model
from predact_utils.lm.registry import available_pairs
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import close_all, set_style, show_plotly
from predact_utils.runs.artifacts import cached_token_logprobs
from predact_utils.runs.generations import prefix_generations, prompt_generations, sampling_params

validate_parameters(globals(), {
    **COMMON, "pairs": PAIRS, "smoke_pairs": PAIRS,
    "n_prompts": Param(int, minimum=0), "n_samples": Param(int, minimum=1),
    "max_new_tokens": Param(int, minimum=1), "top_p": Param(float, minimum=0.0, maximum=1.0),
    "temperature": Param(float, minimum=0.0), "stats_samples": Param(int, minimum=1),
    "gold_docs": Param(int, minimum=1), "gold_tokens": Param(int, minimum=8), "top_k": Param(int, minimum=1),
    "threshold": Param(float, minimum=0.0, maximum=1.0), "n_prefixes": Param(int, minimum=1),
    "prefix_samples": Param(int, minimum=1), "prefix_tokens": Param(int, minimum=1),
})
seed_everything(seed)
set_style()
smoke = scale == "smoke"
if smoke:
    n_prompts, n_samples, stats_samples, gold_docs, gold_tokens = 2, 4, 4, 2, 64
    n_prefixes, prefix_samples, prefix_tokens, max_new_tokens = 2, 1, 32, 48

available, skipped = available_pairs(smoke_pairs if smoke else pairs)
thresholds = tuple(sorted(set(THRESHOLDS) | {threshold}, reverse=True))
stats = DistStatsConfig(top_k=top_k, thresholds=thresholds)
stats_samples = min(stats_samples, n_samples)
prompt_params = {n: sampling_params(top_p=top_p, temperature=temperature, max_new_tokens=max_new_tokens, n=n,
                                    seed=seed) for n in (n_samples, stats_samples)}
prefix_params = sampling_params(top_p=top_p, temperature=temperature, max_new_tokens=prefix_tokens,
                                n=prefix_samples, seed=seed)
glue("col_pairs", ", ".join(s.name for s in available), display=False)
glue("col_skipped", ", ".join(skipped) if skipped else "none", display=False)
glue("col_sampling", f"top-p {top_p:g}, temperature {temperature:g}, at most {max_new_tokens} new tokens, "
     f"{n_samples} samples per prompt for the first pair and {stats_samples} for the others", display=False)
glue("col_stats_samples", f"{stats_samples}", display=False)
glue("col_gold", f"{gold_docs} documents per corpus, each cut to {gold_tokens} tokens", display=False)

# %% [markdown]
# Pairs in this run: {glue:text}`col_pairs` (not built, hence left out:
# {glue:text}`col_skipped`). Sampling: {glue:text}`col_sampling`; the first
# {glue:text}`col_stats_samples` samples of each prompt are scored for
# Figs. 3 and 4. Gold text: {glue:text}`col_gold`.

# %%
eval_corpora = corpora.names(role="eval")
gold_rows = [(c, t) for c in eval_corpora for t in corpora.sample_texts(c, "test", max_docs=gold_docs, seed=seed)]
models: dict[str, object] = {}


def get_model(ident: str, role: str):
    """Load each checkpoint once, shared by the pairs that use it."""
    if ident not in models:
        models[ident] = load_model(ident, role=role)
    return models[ident]


summaries = {}
eos_share = {}
for spec in available:
    n_run = n_samples if spec is available[0] else stats_samples  # the first pair's set is the anchor chapter's
    for role, ident in (("base", spec.base_location()), ("aligned", spec.aligned_location())):
        lm = get_model(ident, role)
        run = prompt_generations(lm, prompt_params[n_run], n_prompts=n_prompts or None)
        eos_share[(spec.name, role)] = run.eos_share()
        own = generation_text_set(lm.tokenizer, run, max_per_prompt=stats_samples)
        gold = gold_text_set(lm.tokenizer, [t for _, t in gold_rows], [c for c, _ in gold_rows], gold_tokens)
        for text, ts in (("own", own), ("gold", gold)):
            sc = cached_token_logprobs(lm, ts.sequences, score_from=ts.score_from, stats=stats, progress=False)
            summaries[(spec.name, role, text)] = summarize(sc, ts.groups)

curves = topk_curves(summaries, seed=seed)
above = above_table(summaries, seed=seed)
pd.DataFrame([{"pair": p, "model": r, "answers ending with end-of-text": round(v, 3),
               "own sequences scored": len(summaries[(p, r, "own")]),
               "own tokens scored": int(summaries[(p, r, "own")].tokens.sum()),
               "gold tokens scored": int(summaries[(p, r, "gold")].tokens.sum())}
              for (p, r), v in eos_share.items()])

# %% [markdown]
# ## Fig. 3: mass on the top tokens

# %%
top1 = curves[curves["k"] == 1].set_index(["pair", "model", "text"])["mass"]
main = available[0].name
glue("col_main", main, display=False)
for text in ("own", "gold"):
    for model in ("base", "aligned"):
        glue(f"col_top1_{model}_{text}", f"{top1[(main, model, text)]:.3f}", display=False)
top1_wide = top1.unstack("model")
glue("col_top1_higher", f"{int((top1_wide['aligned'] > top1_wide['base']).sum())} of {len(top1_wide)}",
     display=False)
fig = topk_figure(curves)
glue("fig_col_topk", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_col_topk
# :name: fig-col-topk
#
# Cumulative probability of the $k$ most probable next tokens, averaged over
# positions and then over sequences, for the Base (blue) and aligned (red)
# model of each pair; solid: the model's own answers to the prompts, dashed:
# gold text. Bands: bootstrap 95% intervals over sequences.
# ```
#
# For {glue:text}`col_main`, the top token carries on average
# {glue:text}`col_top1_aligned_own` of the aligned model's next-token mass on
# its own answers against {glue:text}`col_top1_base_own` for the Base model on
# its own; on gold text {glue:text}`col_top1_aligned_gold` against
# {glue:text}`col_top1_base_gold`. Over all pairs and both kinds of text the
# aligned model puts more mass on its top token in
# {glue:text}`col_top1_higher` cases.

# %%
show_plotly(topk_plotly(curves), div_id="col-topk-plotly")

# %% [markdown]
# ## Fig. 4: how many tokens are not negligible

# %%
at = at_threshold(above, threshold).set_index(["pair", "model", "text"])["n_above"]
for text in ("own", "gold"):
    for model in ("base", "aligned"):
        glue(f"col_above_{model}_{text}", f"{at[(main, model, text)]:.0f}", display=False)
glue("col_threshold", f"{threshold:g}", display=False)
ratios = ratio_by_threshold(above)
own_lower = (ratios.xs("own", level="text") < 1).all(axis=1)
gold_higher = (ratios.xs("gold", level="text") > 1).all(axis=1)
glue("col_own_lower_all", f"{int(own_lower.sum())} of {len(own_lower)}", display=False)
glue("col_gold_higher_all", f"{int(gold_higher.sum())} of {len(gold_higher)}", display=False)
glue("col_thr_range", f"{min(thresholds):g} to {max(thresholds):g}", display=False)
fig = above_figure(above, threshold)
glue("fig_col_above", fig, display=False)
fig = threshold_figure(above)
glue("fig_col_thresholds", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_col_above
# :name: fig-col-above
#
# Mean number of vocabulary tokens with probability above the threshold
# {glue:text}`col_threshold` at a position, for Base and aligned, on gold text
# (hatched) and on the model's own answers (solid), one group per pair; error
# bars are bootstrap 95% intervals over sequences.
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

# %%
ratios.round(3)

# %% [markdown]
# ## Fig. 5: self-perplexity, and the cross-model matrix

# %%
prefix_sets = prompt_data.prefix_sets()
cross_rows = []
for spec in available:
    pair_models = {"base": get_model(spec.base_location(), "base"),
                   "aligned": get_model(spec.aligned_location(), "aligned")}
    for ds in prefix_sets:
        sets = {g: generation_text_set(lm.tokenizer, prefix_generations(lm, ds, prefix_params, n_prefixes=n_prefixes))
                for g, lm in pair_models.items()}
        for gen_role, ts in sets.items():
            for scorer_role, scorer in pair_models.items():
                sc = cached_token_logprobs(scorer, ts.sequences, score_from=ts.score_from, progress=False)
                labels = {"pair": spec.name, "scorer": scorer_role, "generator": gen_role,
                          "category": corpora.category_of(ds)}
                cross_rows += perplexity_rows(summarize(sc, ts.groups), labels, seed=seed)
cross = pd.DataFrame(cross_rows)
self_ppl = cross[cross["scorer"] == cross["generator"]].pivot_table(index=["pair", "dataset"], columns="scorer",
                                                                     values="ppl")
lower = self_ppl["aligned"] < self_ppl["base"]
glue("col_self_lower", f"{int(lower.sum())} of {len(lower)}", display=False)
main_self = self_ppl.loc[main]
glue("col_self_gmean_base", f"{float(np.exp(np.log(main_self['base']).mean())):.2f}", display=False)
glue("col_self_gmean_aligned", f"{float(np.exp(np.log(main_self['aligned']).mean())):.2f}", display=False)
glue("col_prefix_setup", f"{len(prefix_sets)} prefix sets, the first {n_prefixes} prefixes of each, "
     f"{prefix_samples} continuation(s) of at most {prefix_tokens} tokens per prefix", display=False)
fig = self_ppl_figure(cross)
glue("fig_col_self", fig, display=False)
matrices = {s.name: cross_matrix(cross[cross["pair"] == s.name]) for s in available}
m = matrices[main]
for scorer in ("base", "aligned"):
    for gen in ("base", "aligned"):
        glue(f"col_x_{scorer}_{gen}", f"{m.loc[scorer, gen]:.2f}", display=False)
fig = cross_heatmaps(matrices)
glue("fig_col_cross", fig, display=False)
close_all()

# %% [markdown]
# Setup: {glue:text}`col_prefix_setup`.
#
# ```{glue:figure} fig_col_self
# :name: fig-col-self
#
# Each model's perplexity on its own continuations of the prefixes of each
# dataset (log axis), grouped by category (dotted lines); error bars are
# bootstrap 95% intervals over continuations. Lower: the model finds its own
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

# %%
show_plotly(cross_plotly(cross, main), div_id="col-cross-plotly")

# %%
cross.pivot_table(index=["pair", "category", "dataset"], columns=["scorer", "generator"], values="ppl").round(2)

# %% [markdown]
# ## Where the miniature agrees with the paper, and where it does not

# %%
verdicts = pd.DataFrame([
    {"paper's claim": "aligned puts more mass on its top token than Base (own generations)",
     "this run": f"{int((top1_wide.xs('own', level='text')['aligned'] > top1_wide.xs('own', level='text')['base']).sum())}"
                 f" of {len(available)} pairs"},
    {"paper's claim": f"on its own generations aligned has fewer tokens above {threshold:g} than Base",
     "this run": f"{int((ratios.xs('own', level='text')[threshold] < 1).sum())} of {len(available)} pairs"},
    {"paper's claim": f"on gold text aligned has (slightly) more tokens above {threshold:g} than Base",
     "this run": f"{int((ratios.xs('gold', level='text')[threshold] > 1).sum())} of {len(available)} pairs"},
    {"paper's claim": "aligned has lower self-perplexity than Base",
     "this run": f"{int(lower.sum())} of {len(lower)} pair x dataset combinations"},
])
verdicts

# %% tags=["remove-cell"]
# the book's scoreboard (see the scoreboard chapter)
pair_names = ", ".join(s.name for s in available)
own_top1 = top1_wide.xs("own", level="text")
k_top1 = int((own_top1["aligned"] > own_top1["base"]).sum())
claims.record("fig3-top1", f"own answers: mean top-1 mass aligned {top1[(main, 'aligned', 'own')]:.3f} vs Base "
              f"{top1[(main, 'base', 'own')]:.3f} ({main}); aligned higher for {k_top1} of {len(own_top1)} pairs",
              claims.share_verdict(k_top1, len(own_top1)), pair=pair_names, scale=scale)
r_own, r_gold = ratios.xs("own", level="text")[threshold], ratios.xs("gold", level="text")[threshold]
claims.record("fig4-own", f"own answers, p > {threshold:g}: aligned / Base count {r_own[main]:.3f} ({main}); "
              f"below 1 for {int((r_own < 1).sum())} of {len(r_own)} pairs",
              claims.share_verdict(int((r_own < 1).sum()), len(r_own)), pair=pair_names, scale=scale)
claims.record("fig4-gold", f"gold text, p > {threshold:g}: aligned / Base count {r_gold[main]:.3f} ({main}); "
              f"above 1 for {int((r_gold > 1).sum())} of {len(r_gold)} pairs",
              claims.share_verdict(int((r_gold > 1).sum()), len(r_gold)), pair=pair_names, scale=scale)
claims.record("fig5-self", f"aligned self-perplexity lower on {int(lower.sum())} of {len(lower)} pair x dataset "
              "combinations", claims.share_verdict(int(lower.sum()), len(lower)), pair=pair_names, scale=scale)

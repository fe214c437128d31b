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
pair = "mini-m-rlhf;mini-m-dpo;mini-s-dpo"
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

# %%
import numpy as np
import pandas as pd
import transformers
from myst_nb import glue

import predact_utils.data.corpora as corpora
from predact_utils import claims, seed_everything
from predact_utils.chapters.anchors.msa import align_prompts, parse_options
from predact_utils.chapters.planning.plan_probe import anchor_plan_spans, frequent_ngram_spans, plan_probe
from predact_utils.chapters.planning.plots import curves_figure, curves_plotly, heatmap_figure
from predact_utils.chapters.planning.probing import (
    gain_difference,
    generation_sequences,
    parse_ints,
    run_probes,
)
from predact_utils.lm.chat import encode_prompts
from predact_utils.lm.hidden import n_hidden_layers, resolve_layers
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import first_available_pair, not_built_note
from predact_utils.lm.scoring import encode_documents
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import close_all, set_style, show_plotly
from predact_utils.runs.artifacts import cached_hidden_states
from predact_utils.runs.generations import prompt_generations, sampling_params

validate_parameters(globals(), {
    **COMMON, "pair": PAIRS, "smoke_pair": PAIRS, "layers": Param(str), "offsets": Param(str),
    "curve_layer": Param(int), "probe_top_n": Param(int, minimum=1), "probe_l2": Param(float, minimum=0.0),
    "probe_max_iter": Param(int, minimum=1), "max_train_positions": Param(int, minimum=100),
    "test_fraction": Param(float, minimum=0.01, maximum=0.9), "split_by": Param(str, choices=("prompt", "sequence")),
    "n_prompts": Param(int, minimum=3), "n_samples": Param(int, minimum=1), "n_probe_samples": Param(int, minimum=1),
    "max_new_tokens": Param(int, minimum=1), "top_p": Param(float, minimum=0.0, maximum=1.0),
    "temperature": Param(float, minimum=0.0), "gold_docs": Param(int, minimum=1), "gold_tokens": Param(int, minimum=8),
    "plan_spans": Param(str, choices=("anchor", "ngram")),
    "anchor_threshold": Param(float, minimum=0.01, maximum=1.0), "plan_min_tokens": Param(int, minimum=1),
    "mafft_options": Param(str), "mafft_timeout": Param(float, minimum=1.0), "mafft_overflow": Param(int, minimum=0),
    "plan_ngram": Param(int, minimum=1), "plan_min_share": Param(float, minimum=0.0, maximum=1.0),
    "plan_max_share": Param(float, minimum=0.0, maximum=1.0), "plan_max_spans": Param(int, minimum=1),
    "n_boot": Param(int, minimum=10),
})
seed_everything(seed)
set_style()
transformers.logging.disable_progress_bar()  # no widgets in the book's output
smoke = scale == "smoke"
if smoke:
    pair, n_prompts, n_samples, n_probe_samples, max_new_tokens = smoke_pair, 4, 4, 4, 24
    gold_docs, gold_tokens, probe_max_iter, n_boot, max_train_positions = 1, 32, 15, 100, 2000
    layers = "0,-1"
offset_list = parse_ints(offsets, "offsets")
spec, not_built = first_available_pair(pair)
models = load_pair(spec)
n_entries = n_hidden_layers(models.base.model)
layer_list = resolve_layers(models.base.model, list(range(n_entries)) if layers == "all" else parse_ints(layers, "layers"))
curve = resolve_layers(models.base.model, [curve_layer])[0]
if curve not in layer_list:
    raise ValueError(f"curve_layer {curve_layer} is not among the probed layers {layer_list}; add it to `layers`")
params = sampling_params(top_p=top_p, temperature=temperature, max_new_tokens=max_new_tokens, n=n_samples, seed=seed)
probe_kw = dict(offsets=offset_list, top_n=probe_top_n, test_fraction=test_fraction,
                max_train_positions=max_train_positions, l2=probe_l2, max_iter=probe_max_iter, n_boot=n_boot, seed=seed)
glue("pl_pair", f"{models.base.name} / {models.aligned.name}"
     + not_built_note(not_built), display=False)
glue("pl_layers", ", ".join(map(str, layer_list)), display=False)
glue("pl_curve_layer", f"{curve}", display=False)
glue("pl_top_n", f"{probe_top_n}", display=False)
glue("pl_probe_samples", f"{min(n_probe_samples, n_samples)}", display=False)
glue("pl_samples", f"{n_samples}", display=False)

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

# %%
# 16 characters per token is far above the average token length, so this keeps gold_tokens tokens
gold_texts = [t for c in corpora.names(role="eval")
              for t in corpora.sample_texts(c, "test", max_docs=gold_docs, max_doc_chars=16 * gold_tokens, seed=seed)]
gold_seqs = [s[: gold_tokens + 1] for s in encode_documents(models.base.tokenizer, gold_texts)]
runs, prompt_runs, prompt_ids = {}, {}, {}
for lm in models:
    run = prompt_generations(lm, params, n_prompts=n_prompts, progress=False)
    prompt_runs[lm.role] = run
    prompt_ids[lm.role] = encode_prompts(lm.tokenizer, [r["prompt"] for r in run.prompts], lm.role)
    seqs, starts, groups = generation_sequences(prompt_ids[lm.role], [run.token_ids(i) for i in range(len(run.prompts))],
                                                n_probe_samples)
    if split_by == "sequence":
        groups = None
    hidden = cached_hidden_states(lm, seqs, layer_list, progress=False)
    runs[(lm.role, "own generations")] = run_probes(hidden, seqs, starts, layer_list, groups=groups, **probe_kw)
    hidden = cached_hidden_states(lm, gold_seqs, layer_list, progress=False)
    runs[(lm.role, "gold text")] = run_probes(hidden, gold_seqs, [0] * len(gold_seqs), layer_list, **probe_kw)
    del hidden

table = pd.concat([r.table.assign(role=role, source=src) for (role, src), r in runs.items()], ignore_index=True)
sizes = pd.DataFrame([{"role": role, "source": src, "train sequences": r.n_train_sequences,
                       "train positions": r.n_train_positions, "test sequences": r.n_test_sequences,
                       "test positions (k=1)": int(r.table[r.table["k"] == offset_list[0]]["n_positions"].iloc[0])}
                      for (role, src), r in runs.items()])
sizes

# %% [markdown]
# ## Accuracy and information gain against the offset

# %%
ks_ahead = [k for k in offset_list if k >= 2] or offset_list
comparisons = {}
for src in ("own generations", "gold text"):
    comparisons[src] = gain_difference(runs[("base", src)], runs[("aligned", src)], curve, offset_list, ks_ahead,
                                       n_boot=n_boot, seed=seed)


def row(role: str, src: str, k: int) -> pd.Series:
    t = table[(table["role"] == role) & (table["source"] == src) & (table["layer"] == curve) & (table["k"] == k)]
    return t.iloc[0]


def verdict(c: dict) -> str:
    if c["lo"] > 0:
        return "more forward-predictive in the aligned model (the whole interval of the difference is above zero)"
    if c["hi"] < 0:
        return "more forward-predictive in the Base model (the whole interval of the difference is below zero)"
    return "not clearly different between the two models (the interval of the difference includes zero)"


k_show = 4 if 4 in offset_list else offset_list[-1]
glue("pl_k_show", f"{k_show}", display=False)
glue("pl_ks_ahead", ", ".join(map(str, ks_ahead)), display=False)
for src, tag in (("own generations", "own"), ("gold text", "gold")):
    for role in ("base", "aligned"):
        r = row(role, src, k_show)
        glue(f"pl_{tag}_{role}_acc", f"{r['acc']:.3f} [{r['acc_lo']:.3f}, {r['acc_hi']:.3f}]", display=False)
        glue(f"pl_{tag}_{role}_base_acc", f"{r['base_acc']:.3f}", display=False)
        glue(f"pl_{tag}_{role}_gain", f"{r['gain']:.3f} [{r['gain_lo']:.3f}, {r['gain_hi']:.3f}]", display=False)
    c = comparisons[src]
    glue(f"pl_{tag}_mean_base", f"{c['a']:.3f}", display=False)
    glue(f"pl_{tag}_mean_aligned", f"{c['b']:.3f}", display=False)
    glue(f"pl_{tag}_diff", f"{c['diff']:+.3f} [{c['lo']:+.3f}, {c['hi']:+.3f}]", display=False)
    glue(f"pl_{tag}_verdict", verdict(c), display=False)
cells = table[table["k"].isin(ks_ahead)].pivot_table(index=["source", "layer", "k"], columns="role", values="gain")
glue("pl_cells_aligned_ahead", f"{int((cells['aligned'] > cells['base']).sum())} of {len(cells)}", display=False)

fig = curves_figure(table, curve, f"Forward-predictive probes, layer {curve} ({models.base.name} vs "
                    f"{models.aligned.name})")
glue("fig_pl_curves", fig, display=False)
close_all()

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
# tokens, is the controlled one. And a probe's accuracy shows that the
# information is linearly decodable from the state, not that the model uses it
# to plan: a state can carry the future because the past determines it.

# %%
fig = heatmap_figure(table, "gain", "Information gain over the bigram baseline (nats / token), by layer and k")
glue("fig_pl_heatmap", fig, display=False)
close_all()

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

# %%
show_plotly(curves_plotly(table, layer_list, curve), div_id="pl-curves-plotly")

# %% [markdown]
# The full table of scores (accuracy, cross-entropy in nats, baseline, gain,
# each with its 95% interval):

# %%
table[["role", "source", "layer", "k", "n_positions", "acc", "acc_lo", "acc_hi", "base_acc", "ce", "base_ce",
       "gain", "gain_lo", "gain_hi"]].round(4)

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

# %%
glue("pl_plan_n", f"{plan_ngram}", display=False)
glue("pl_plan_targets", (
    f"The targets are the prompt's anchor spans of the anchor-span chapter: the MAFFT alignment of its "
    f"{n_samples} generations (options `{mafft_options}`, shared with that chapter through the artifact cache), "
    f"anchor columns at threshold {anchor_threshold:g}, spans of at least {plan_min_tokens} tokens that "
    f"{plan_min_share:.0%} to {plan_max_share:.0%} of the generations contain verbatim"
    if plan_spans == "anchor" else
    f"The targets are the token {plan_ngram}-grams of the prompt present in {plan_min_share:.0%} to "
    f"{plan_max_share:.0%} of its {n_samples} generations (no alignment)"), display=False)
glue("pl_plan_min_share", f"{plan_min_share:.0%}", display=False)
glue("pl_plan_max_share", f"{plan_max_share:.0%}", display=False)
glue("pl_plan_max_spans", f"{plan_max_spans}", display=False)
plan_rows = []
for lm in models:
    run = prompt_runs[lm.role]
    gens = [run.token_ids(i) for i in range(len(run.prompts))]
    if plan_spans == "anchor":
        aligned = align_prompts(gens, parse_options(mafft_options), timeout=mafft_timeout, n_overflow=mafft_overflow)
        spans = [anchor_plan_spans(a.columns, g, threshold=anchor_threshold, min_tokens=plan_min_tokens,
                                   min_share=plan_min_share, max_share=plan_max_share, max_spans=plan_max_spans)
                 for a, g in zip(aligned, gens, strict=True)]
    else:
        spans = [frequent_ngram_spans(g, n=plan_ngram, min_share=plan_min_share, max_share=plan_max_share,
                                      max_spans=plan_max_spans) for g in gens]
    states = cached_hidden_states(lm, prompt_ids[lm.role], [curve], progress=False)
    after_prompt = np.stack([h[-1, 0].astype(np.float32) for h in states])
    # no span in any prompt (e.g. very diverse generations): nothing to probe, reported as such
    s = plan_probe(after_prompt, spans, gens, min_share=plan_min_share, n_boot=n_boot, seed=seed).summary \
        if any(spans) else {"prompts": 0.0}
    plan_rows.append({"role": lm.role, "model": lm.name, "prompts with spans": sum(bool(x) for x in spans),
                      "spans per prompt": float(np.mean([len(x) for x in spans])),
                      "prompts scored": int(s["prompts"]), "AUC probe": s.get("auc_probe", np.nan),
                      "AUC probe lo": s.get("auc_probe_lo", np.nan), "AUC probe hi": s.get("auc_probe_hi", np.nan),
                      "AUC no state": s.get("auc_prior", np.nan), "AUC gain": s.get("auc_gain", np.nan),
                      "AUC gain lo": s.get("auc_gain_lo", np.nan), "AUC gain hi": s.get("auc_gain_hi", np.nan)})
plan = pd.DataFrame(plan_rows)
for r in plan_rows:
    glue(f"pl_plan_{r['role']}_result", (
        f"a mean AUC of {r['AUC probe']:.3f} [{r['AUC probe lo']:.3f}, {r['AUC probe hi']:.3f}] "
        f"({r['AUC no state']:.3f} without the state; {r['spans per prompt']:.1f} spans per prompt)"
        if np.isfinite(r["AUC probe"]) else
        f"no measurable AUC ({r['spans per prompt']:.1f} spans per prompt: no held-out prompt has both spans "
        "of its own and spans of other prompts that none of its generations contain)"), display=False)
plan.round(3)

# %% [markdown]
# From the state after the prompt (layer {glue:text}`pl_curve_layer`), the
# probe ranks a held-out prompt's spans with
# {glue:text}`pl_plan_base_result` for the Base model and with
# {glue:text}`pl_plan_aligned_result` for the aligned model; intervals are
# 95% bootstrap intervals over prompts. Much of what such a probe reads is the
# prompt's topic, which any model that understood the prompt encodes: the
# comparison with the no-state score and between the two models is what
# speaks to planning, and, as above, decodable is not the same as used.

# %% tags=["remove-cell"]
# the book's scoreboard (see the scoreboard chapter)
c = comparisons["own generations"]
claims.record("probe-ahead", f"own generations, layer {curve}: information gain over the token-only baseline, mean "
              f"over k >= 2, aligned {c['b']:.3f} vs Base {c['a']:.3f} nats/token (difference {c['diff']:+.3f}, 95% "
              f"interval {c['lo']:+.3f} to {c['hi']:+.3f})", bool(c["lo"] > 0),
              pair=f"{models.base.name} / {models.aligned.name}", scale=scale)

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
# # Implicit blueprints and anchor spans (the paper's Fig. 1)
#
# **What the paper reports** {cite:p}`li2024predicting`: ask an RLHF model the
# same question 100 times with nucleus sampling ($p = 0.9$) and the answers are
# alike far beyond their topic. Long *anchor spans* recur verbatim, and in the
# same order, across most of the generations: an implicit blueprint that the
# model fills in. The paper shows it three ways:
#
# * **Fig. 1, top**: a Sankey diagram of the 100 RLHF answers to one prompt
#   ("What are the main differences between Python and JavaScript programming
#   languages?"): nearly all generations flow through one skeleton of shared
#   spans.
# * **Fig. 1, bottom**: along the position in the generation, the number of
#   generations whose text there is aligned with at least 5 other generations,
#   averaged over 80 prompts. The Base model stays low; the RLHF model is high
#   throughout, and highest near the beginning and the end.
# * **n-grams**: for RLHF models the most common 10-gram of a prompt appears in
#   about 60% of its generations on average, and about 25% of the outputs share
#   a 25-gram.
#
# **What this chapter measures.** The same three things on a Base / aligned
# pair, with every rule written out below, from the generations that the whole
# book shares (one artifact cache: the collapse chapter analyses the very same
# samples).

# %% tags=["parameters"]
scale = "full"
seed = 0
pair = "mini-m-rlhf;mini-m-dpo;mini-s-dpo"
smoke_pair = "mini-s-dpo"
n_prompts = 0
n_samples = 100
max_new_tokens = 128
top_p = 0.9
temperature = 1.0
max_n = 32
shared_min_share = 0.2
anchor_threshold = 0.5
min_others = 5
n_points = 50
mafft_options = "--retree 2 --maxiterate 0"
mafft_timeout = 300
mafft_overflow = 32
overflow_check = "8,128"
overflow_check_prompts = 4
example_prompt = "comparison-01"
sankey_prompts = 6
max_anchors = 10
live_widgets = False

# %%
import time

import numpy as np
import pandas as pd
from IPython.display import display
from myst_nb import glue

from predact_utils import claims, seed_everything
from predact_utils.bootstrap import mean_band as prompt_band
from predact_utils.chapters.anchors.analysis import (
    alignment_summary,
    anchor_spans,
    normalised_points,
    position_counts,
    position_counts_normalised,
    sankey_graph,
    select_spans,
)
from predact_utils.chapters.anchors.msa import align_prompts, mafft_version, parse_options
from predact_utils.chapters.anchors.ngrams import PAPER_REPORTED, coverage_table, longest_shared_ngrams
from predact_utils.chapters.anchors.plots import (
    PositionCurves,
    alignment_figure,
    ngram_figure,
    ngram_plotly,
    position_figure,
    position_plotly,
    sankey_explorer,
    sankey_pair_figure,
    sankey_plotly,
    show_text,
)
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import first_available_pair, not_built_note
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import ROLE_COLORS, close_all, set_style, show_plotly
from predact_utils.runs.generations import prompt_generations, prompt_index, sampling_params

validate_parameters(globals(), {
    **COMMON, "pair": PAIRS, "smoke_pair": PAIRS,
    "n_prompts": Param(int, minimum=0), "n_samples": Param(int, minimum=2), "max_new_tokens": Param(int, minimum=1),
    "top_p": Param(float, minimum=0.0, maximum=1.0), "temperature": Param(float, minimum=0.0),
    "max_n": Param(int, minimum=1), "shared_min_share": Param(float, minimum=0.0, maximum=1.0),
    "anchor_threshold": Param(float, minimum=0.0, maximum=1.0), "min_others": Param(int, minimum=1),
    "n_points": Param(int, minimum=2), "mafft_options": Param(str), "mafft_timeout": Param(int, minimum=1),
    "mafft_overflow": Param(int, minimum=1, maximum=247), "overflow_check": Param(str),
    "overflow_check_prompts": Param(int, minimum=0), "example_prompt": Param(str),
    "sankey_prompts": Param(int, minimum=1), "max_anchors": Param(int, minimum=1), "live_widgets": Param(bool),
})
seed_everything(seed)
set_style()
smoke = scale == "smoke"
pair_name = smoke_pair if smoke else pair
prompts_used = 3 if smoke else (n_prompts or None)
samples_used = min(n_samples, 12) if smoke else n_samples
spec, not_built = first_available_pair(pair_name)
models = load_pair(spec)
params = sampling_params(top_p=top_p, temperature=temperature, max_new_tokens=max_new_tokens, n=samples_used,
                         seed=seed)
runs = {lm.role: prompt_generations(lm, params, n_prompts=prompts_used, progress=False) for lm in models}
prompts = runs["base"].prompts
names = {"base": f"Base ({models.base.name})", "aligned": f"{spec.method.upper()} ({models.aligned.name})"}
colors = {names["base"]: ROLE_COLORS["base"], names["aligned"]: ROLE_COLORS.get(spec.method, ROLE_COLORS["aligned"])}
role_colors = (colors[names["base"]], colors[names["aligned"]])


def decode(tokens: list[int]) -> str:
    return models.aligned.tokenizer.decode(tokens)


glue("an_pair", f"{spec.name} ({models.base.name} and {models.aligned.name}, {spec.method})"
     + not_built_note(not_built), display=False)
glue("an_prompts", f"{len(prompts)}", display=False)
glue("an_samples", f"{samples_used}", display=False)
glue("an_sampling", f"nucleus p = {top_p:g}, temperature {temperature:g}, at most {max_new_tokens} new tokens, "
     f"seed {seed}", display=False)
lengths = {r: np.array([len(t) for t in run.all_token_ids()]) for r, run in runs.items()}
for r in runs:
    glue(f"an_len_{r}", f"{lengths[r].mean():.1f}", display=False)
    glue(f"an_eos_{r}", f"{100 * runs[r].eos_share():.0f}%", display=False)

# %% [markdown]
# This run: the pair {glue:text}`an_pair`, {glue:text}`an_samples` generations
# for each of {glue:text}`an_prompts` prompts from each model
# ({glue:text}`an_sampling`). The aligned model answers through its chat
# template; the Base model continues the raw prompt. Mean length: Base
# {glue:text}`an_len_base` tokens ({glue:text}`an_eos_base` ended with the
# end-of-text token), aligned {glue:text}`an_len_aligned` tokens
# ({glue:text}`an_eos_aligned`). Everything below compares token ids of the
# shared tokenizer; text is decoded only for display.
#
# ## Anchor spans by n-grams
#
# **Definitions.** An *n-gram* is a run of $n$ consecutive tokens inside one
# generation. Its *coverage* is the share of the prompt's generations that
# contain it at least once (the denominator counts every generation, also those
# shorter than $n$). The prompt's *most common n-gram* is the one with the
# highest coverage. The curve below is, for each $n = 1, \dots,$
# {glue:text}`an_max_n`, the coverage of the most common $n$-gram averaged
# over prompts, with a 95% percentile-bootstrap band over prompts. The crosses
# are the paper's reported values for RLHF models. The floor of the curve is
# one generation in {glue:text}`an_samples`, {glue:text}`an_floor`: any
# n-gram of a generation with at least $n$ tokens is contained in that one.

# %%
glue("an_max_n", f"{max_n}", display=False)
glue("an_floor", f"{100 / samples_used:.0f}%", display=False)
prompt_ids = [p["id"] for p in prompts]
ngram_table = coverage_table({names[r]: [runs[r].token_ids(i) for i in range(len(prompts))] for r in runs},
                             prompt_ids, max_n=max_n)
ngram_mean = ngram_table.groupby(["model", "n"], sort=False)["coverage"].mean().unstack("n")
for r in runs:
    for n_rep, _ in PAPER_REPORTED:
        value = ngram_mean.loc[names[r], n_rep] if n_rep <= max_n else float("nan")
        glue(f"an_ng{n_rep}_{r}", f"{100 * value:.0f}%", display=False)
fig = ngram_figure(ngram_table, colors, seed=seed)
glue("fig_an_ngrams", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_an_ngrams
# :name: fig-an-ngrams
#
# Share of a prompt's generations that contain the prompt's most common
# n-gram, against n; mean over prompts with a 95% bootstrap band. Crosses: the
# paper's values for RLHF models (most common 10-gram in about 60% of
# generations, a 25-gram shared by about 25%).
# ```
#
# In this run the most common 10-gram of a prompt appears in
# {glue:text}`an_ng10_aligned` of the aligned model's generations and in
# {glue:text}`an_ng10_base` of the Base model's (paper, RLHF: about 60%); the
# most common 25-gram in {glue:text}`an_ng25_aligned` and
# {glue:text}`an_ng25_base` (paper: about 25%). Hover over the interactive
# version, or pick a single prompt from its menu:

# %%
show_plotly(ngram_plotly(ngram_table, colors, {p["id"]: p["prompt"] for p in prompts}, seed=seed),
            div_id="an-ngrams-plotly")

# %% [markdown]
# **The longest shared n-grams.** For a few prompts, the longest n-grams
# contained in at least {glue:text}`an_shared_pct` of the generations (the
# largest such $n$; coverage of the most common n-gram never grows with $n$,
# so the largest $n$ is well defined), decoded, with ⏎ for a line break:

# %%
glue("an_shared_pct", f"{100 * shared_min_share:.0f}%", display=False)
example_index = prompt_index(prompts, example_prompt)
show_prompts = list(dict.fromkeys([example_index, *range(min(len(prompts), 4))]))
shared_rows = []
for i in show_prompts:
    for r in runs:
        top = longest_shared_ngrams(runs[r].token_ids(i), shared_min_share, limit=2)
        for g in top or [None]:
            shared_rows.append({"prompt": prompts[i]["id"], "model": names[r], "n": g.n if g else 0,
                                "generations": f"{g.share:.0%}" if g else "-",
                                "n-gram": show_text(decode(list(g.tokens)), 100) if g else "(none)"})
pd.DataFrame(shared_rows)

# %% [markdown]
# ## Multiple sequence alignment with MAFFT
#
# n-grams see only verbatim runs at any offset. To see where in the answers
# the shared text sits, the paper aligns the generations of a prompt to each
# other with MAFFT, a multiple-sequence aligner from biology. MAFFT's text
# mode (`mafft --text`) aligns strings of 8-bit symbols; 248 byte values are
# allowed (all but `>`, `=`, `<`, `-`, space, CR and LF). The rule used here:
#
# * **Symbols, per prompt.** The tokens of the prompt's generations (both
#   models separately) are ranked by frequency (ties: smaller id). With at most
#   248 distinct tokens each gets its own symbol. Otherwise the
#   $248 - k$ most frequent get their own symbol and every rarer token is
#   *folded* onto one of $k$ = {glue:text}`an_overflow` shared overflow
#   symbols (token id modulo $k$).
# * **Folding changes only MAFFT's scoring**: two different rare tokens on the
#   same overflow symbol may be placed in one column. Every count below
#   compares the *real* token ids, read back from the aligned rows, so a folded
#   pair never counts as shared.
# * **Alignment**: `mafft --text --quiet` with the options
#   {glue:text}`an_mafft_opts` (MAFFT {glue:text}`an_mafft_version`), one
#   alignment per prompt and model, cached; an empty generation becomes a row of
#   gaps. MAFFT missing or failing is an error naming the package to install;
#   there is no fallback aligner.

# %%
options = parse_options(mafft_options)
glue("an_overflow", f"{mafft_overflow}", display=False)
glue("an_mafft_opts", " ".join(options) or "(none)", display=False)
glue("an_mafft_version", mafft_version(), display=False)
t0 = time.perf_counter()
alignments = {r: align_prompts([runs[r].token_ids(i) for i in range(len(prompts))], options, timeout=mafft_timeout,
                               n_overflow=mafft_overflow) for r in runs}
glue("an_mafft_seconds", f"{time.perf_counter() - t0:.0f}", display=False)
fold_rows = []
for r in runs:
    for i, a in enumerate(alignments[r]):
        m = a.symbols
        fold_rows.append({"model": names[r], "prompt": prompts[i]["id"], "distinct tokens": m.n_types,
                          "folded types": m.folded_types, "folded tokens": m.folded_tokens,
                          "tokens": m.n_tokens, "folded share": m.folded_share, "columns": a.n_columns})
folding = pd.DataFrame(fold_rows)
fold_summary = folding.groupby("model", sort=False).agg(
    prompts=("prompt", "count"), distinct_tokens=("distinct tokens", "mean"), folded_types=("folded types", "mean"),
    folded_share=("folded share", "mean"), max_folded_share=("folded share", "max"), columns=("columns", "mean"))
for r in runs:
    row = fold_summary.loc[names[r]]
    glue(f"an_types_{r}", f"{row['distinct_tokens']:.0f}", display=False)
    glue(f"an_folded_{r}", f"{100 * row['folded_share']:.1f}%", display=False)
fold_summary.round(3)

# %% [markdown]
# A prompt's generations use on average {glue:text}`an_types_base` distinct
# tokens (Base) and {glue:text}`an_types_aligned` (aligned); the folded
# overflow symbols carry {glue:text}`an_folded_base` and
# {glue:text}`an_folded_aligned` of all tokens respectively (the table gives
# the per-model mean and maximum over prompts; the per-prompt counts are in
# `folding`). The alignments took {glue:text}`an_mafft_seconds` s in this run
# (zero when they came from the cache).
#
# ## Anchor spans in the alignment
#
# **Definitions.** In each alignment column the *consensus* is the most common
# token (ties: smaller id). A column is an *anchor column* when at least
# {glue:text}`an_threshold` of the prompt's generations carry its consensus
# token. An *anchor span* is a maximal run of anchor columns; a column in which
# at least that share of generations has a gap (an insertion by a minority)
# does not break a run, since for the majority the tokens on both sides are
# adjacent. A span's *support* is the number of generations that carry all of
# its consensus tokens (the span verbatim); spans are numbered left to right.

# %%
glue("an_threshold", f"{100 * anchor_threshold:.0f}%", display=False)
spans = {r: [anchor_spans(a.columns, anchor_threshold) for a in alignments[r]] for r in runs}
summary_rows = []
for r in runs:
    for i, a in enumerate(alignments[r]):
        summary_rows.append({"model": names[r], "prompt": prompts[i]["id"],
                             **alignment_summary(a.columns, spans[r][i], min_others)})
span_table = pd.DataFrame(summary_rows)
span_summary = span_table.groupby("model", sort=False)[
    ["anchor_spans", "mean_span_length", "longest_span", "anchor_token_share", "aligned_token_share"]].mean()
for r in runs:
    row = span_summary.loc[names[r]]
    glue(f"an_spans_{r}", f"{row['anchor_spans']:.1f}", display=False)
    glue(f"an_longest_{r}", f"{row['longest_span']:.1f}", display=False)
    glue(f"an_anchor_share_{r}", f"{100 * row['anchor_token_share']:.0f}%", display=False)
    glue(f"an_aligned_share_{r}", f"{100 * row['aligned_token_share']:.0f}%", display=False)
span_summary.round(3)

# %% [markdown]
# Per prompt, the aligned model's generations have on average
# {glue:text}`an_spans_aligned` anchor spans (the longest
# {glue:text}`an_longest_aligned` tokens), against
# {glue:text}`an_spans_base` (longest {glue:text}`an_longest_base`) for Base;
# anchor-span tokens make up {glue:text}`an_anchor_share_aligned` of the
# aligned model's tokens and {glue:text}`an_anchor_share_base` of Base's. The
# anchor spans of the example prompt, "{glue:text}`an_example_text`":

# %%
glue("an_example_text", prompts[example_index]["prompt"], display=False)
example_rows = []
for r in runs:
    for s in spans[r][example_index]:
        example_rows.append({"model": names[r], "span": s.order + 1, "columns": f"{s.first}-{s.last}",
                             "tokens": s.length, "verbatim in": f"{s.support} of {s.n_sequences}",
                             "text": show_text(decode(list(s.tokens)), 90)})
pd.DataFrame(example_rows, columns=["model", "span", "columns", "tokens", "verbatim in", "text"])

# %% [markdown]
# **Does folding drive these numbers?** The same measures on the first
# {glue:text}`an_check_prompts` prompts, aligned again with fewer and with more
# overflow symbols (more overflow symbols: fewer false matches between folded
# tokens, but fewer tokens with a symbol of their own):

# %%
check_k = [mafft_overflow] + [int(k) for k in overflow_check.split(",") if k.strip()]
check_n = min(1 if smoke else overflow_check_prompts, len(prompts))
glue("an_check_prompts", f"{check_n}", display=False)
check_rows = []
for k in dict.fromkeys(check_k):
    for r in runs:
        for i in range(check_n):
            a = (alignments[r][i] if k == mafft_overflow else
                 align_prompts([runs[r].token_ids(i)], options, timeout=mafft_timeout, n_overflow=k)[0])
            check_rows.append({"overflow symbols": k, "model": names[r],
                               **alignment_summary(a.columns, anchor_spans(a.columns, anchor_threshold), min_others)})
overflow_table = pd.DataFrame(check_rows).groupby(["overflow symbols", "model"], sort=False)[
    ["anchor_spans", "longest_span", "anchor_token_share", "aligned_token_share"]].mean()
overflow_table.round(3)

# %% [markdown]
# ## Fig. 1, top: the Sankey of one prompt
#
# **How it is drawn.** The {glue:text}`an_max_anchors` anchor spans of the
# prompt that carry the most tokens (support × length) are kept, in sequence
# order. Every generation then takes one path from left to right: through
# anchor span $k$ when it carries the span verbatim, through "other" when it
# has text at or after the span but not the span itself, through a grey
# *divergent-text* node when it has tokens between two kept spans, and to
# "end" once its tokens are used up. Node and flow widths count generations, so
# every column of the diagram adds up to the number of generations.

# %%
glue("an_max_anchors", f"{max_anchors}", display=False)


def graphs_for(i: int) -> tuple:
    """The Base and aligned Sankey graphs of prompt ``i``, through its ``max_anchors`` heaviest spans."""
    return tuple(sankey_graph(alignments[r][i].columns, select_spans(spans[r][i], max_anchors))
                 for r in ("base", "aligned"))


base_graph, aligned_graph = graphs_for(example_index)
fig = sankey_pair_figure(prompts[example_index]["prompt"], base_graph, aligned_graph, decode, role_colors,
                         (names["base"], names["aligned"]))
glue("fig_an_sankey", fig, display=False)
for r, g in (("base", base_graph), ("aligned", aligned_graph)):
    full = sum(1 for p in g.paths if sum(n[0] == "anchor" for n in p) == len(g.spans) and g.spans)
    glue(f"an_skeleton_{r}", f"{full} of {len(g.paths)}", display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_an_sankey
# :name: fig-an-sankey
#
# The generations of the example prompt, Base (top) and aligned (bottom),
# flowing through their anchor spans (coloured, with their text; the number is
# the generations carrying the span verbatim), divergent text (light grey) and
# "other" text in an anchor's place (dark grey), left to right in sequence
# order.
# ```
#
# In the example, {glue:text}`an_skeleton_aligned` aligned generations pass
# through every kept anchor span of their model ({glue:text}`an_skeleton_base`
# for Base). The alignment behind it, one row per generation, with the tokens
# that at least {glue:text}`an_min_others_text` other generations share in their
# column and the anchor-span tokens marked:

# %%
glue("an_min_others_text", f"{min_others}", display=False)
fig = alignment_figure([(names[r], alignments[r][example_index].columns, spans[r][example_index],
                         colors[names[r]]) for r in runs], min_others=min_others)
glue("fig_an_alignment", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_an_alignment
# :name: fig-an-alignment
#
# MAFFT alignment of the example prompt's generations: white = gap, grey =
# token, light colour = token aligned with at least {glue:text}`an_min_others_text`
# other generations, full colour = token of an anchor span. Rows are sorted by
# the number of anchor spans they carry.
# ```
#
# The interactive Sankey: the menu switches between {glue:text}`an_n_sankey`
# precomputed prompts, Base on the left and aligned on the right; hover over a
# node for its full text and support, or over a divergent node for an example
# of the text that varies there.

# %%
sankey_idx = list(dict.fromkeys([example_index, *range(min(len(prompts), sankey_prompts))]))[:sankey_prompts]
glue("an_n_sankey", f"{len(sankey_idx)}", display=False)
examples = [(prompts[i]["prompt"], *graphs_for(i)) for i in sankey_idx]
show_plotly(sankey_plotly(examples, decode, role_colors, (names["base"], names["aligned"])), div_id="an-sankey-plotly")

# %% [markdown]
# In a live kernel, set `live_widgets = True` in the parameters cell to get an
# ipywidgets menu over *all* prompts of the run that re-draws the diagram (the
# static book has no kernel to call back, hence the precomputed menu above).

# %%
if live_widgets:
    display(sankey_explorer([p["prompt"] for p in prompts], graphs_for, decode, role_colors,
                            (names["base"], names["aligned"])))

# %% [markdown]
# ## Fig. 1, bottom: generations aligned with at least 5 others
#
# **The rule.** A token of a generation is *aligned with at least
# {glue:text}`an_min_others_text` others* when at least that many *other*
# generations of the same prompt carry the same token id in the same alignment
# column. For each prompt:
#
# * *absolute position* $i$: the number of generations whose $i$-th token is so
#   aligned (a generation shorter than $i + 1$ tokens does not count; the dotted
#   line is the number of generations still running);
# * *normalised position* $q$: each generation of length $L \ge 1$ is read at
#   $B$ = {glue:text}`an_points` evenly spaced positions $q_j = (j + 1/2)/B$,
#   $j = 0, \dots, B - 1$, at its token number $\lfloor q_j L \rfloor$
#   (counting from 0), and the generations whose token there is so aligned are
#   counted.
#
# The curves are the mean over prompts, with 95% percentile-bootstrap bands
# over prompts.

# %%
glue("an_points", f"{n_points}", display=False)
curves = PositionCurves(normalised={}, absolute={}, running={}, points=normalised_points(n_points))
for r in runs:
    norm, absolute, running = [], [], []
    for a in alignments[r]:
        norm.append(position_counts_normalised(a.columns, min_others, n_points))
        c, run_ = position_counts(a.columns, min_others, max_new_tokens)
        absolute.append(c)
        running.append(run_)
    curves.normalised[names[r]] = np.array(norm, dtype=float)
    curves.absolute[names[r]] = np.array(absolute, dtype=float)
    curves.running[names[r]] = np.array(running, dtype=float)
fig = position_figure(curves, colors, min_others=min_others, seed=seed, n_samples=samples_used)
glue("fig_an_position", fig, display=False)
close_all()

tenth = max(1, n_points // 10)
edge_rows = []
for r in runs:
    mat = curves.normalised[names[r]]
    mean = mat.mean(axis=0)
    parts = {"first 10%": mean[:tenth].mean(), "middle": mean[tenth:-tenth].mean(), "last 10%": mean[-tenth:].mean()}
    edge_rows.append({"model": names[r], "mean over positions": mean.mean(), **parts})
    glue(f"an_pos_mean_{r}", f"{mean.mean():.1f}", display=False)
    for key, v in parts.items():
        glue(f"an_pos_{key.split()[0]}_{r}", f"{v:.1f}", display=False)
edges = pd.DataFrame(edge_rows).set_index("model")
diff = curves.normalised[names["aligned"]].mean(axis=1) - curves.normalised[names["base"]].mean(axis=1)
_, lo, hi = prompt_band(diff[:, None], seed=seed)
glue("an_pos_diff", f"{diff.mean():.1f} [{lo[0]:.1f}, {hi[0]:.1f}]", display=False)
aligned_edge = edges.loc[names["aligned"]]
glue("an_pos_shape", "higher at both ends than in the middle"
     if min(aligned_edge["first 10%"], aligned_edge["last 10%"]) > aligned_edge["middle"]
     else "not higher at both ends than in the middle", display=False)
glue("an_pos_verdict", "above" if lo[0] > 0 else ("below" if hi[0] < 0 else "not distinguishable from"),
     display=False)
edges.round(2)

# %% [markdown]
# ```{glue:figure} fig_an_position
# :name: fig-an-position
#
# Generations whose token is aligned with at least
# {glue:text}`an_min_others_text` other generations of the same prompt, by
# normalised position (left) and token position (right); mean over prompts with
# 95% bootstrap bands. Right, dotted: generations still running at that
# position.
# ```
#
# Averaged over positions, {glue:text}`an_pos_mean_aligned` of the
# {glue:text}`an_samples` aligned generations are aligned with at least
# {glue:text}`an_min_others_text` others, against {glue:text}`an_pos_mean_base`
# for Base: a difference of {glue:text}`an_pos_diff` generations (mean over
# prompts, 95% bootstrap interval), so the aligned curve is
# {glue:text}`an_pos_verdict` the Base curve. The aligned curve averages
# {glue:text}`an_pos_first_aligned` in the first tenth of the generation,
# {glue:text}`an_pos_middle_aligned` in the middle and
# {glue:text}`an_pos_last_aligned` in the last tenth: it is
# {glue:text}`an_pos_shape` (Base: {glue:text}`an_pos_first_base`,
# {glue:text}`an_pos_middle_base`, {glue:text}`an_pos_last_base`). Interactive
# version (the menu switches the position axis):

# %%
show_plotly(position_plotly(curves, colors, min_others=min_others, seed=seed), div_id="an-position-plotly")

# %% [markdown]
# ## The miniature next to the paper
#
# The paper's numbers come from 7B and 70B models with 100 generations for each
# of 80 prompts; this run's come from the pair and sample counts stated at the
# top of the page, with exactly the rules above. Nothing here was tuned to
# agree with the paper.

# %%
comparison = pd.DataFrame([
    {"measure": "generations containing the most common 10-gram", "paper (RLHF, reported)": "about 60%",
     names["base"]: f"{100 * ngram_mean.loc[names['base'], 10]:.0f}%" if max_n >= 10 else "-",
     names["aligned"]: f"{100 * ngram_mean.loc[names['aligned'], 10]:.0f}%" if max_n >= 10 else "-"},
    {"measure": "generations containing the most common 25-gram", "paper (RLHF, reported)": "about 25%",
     names["base"]: f"{100 * ngram_mean.loc[names['base'], 25]:.0f}%" if max_n >= 25 else "-",
     names["aligned"]: f"{100 * ngram_mean.loc[names['aligned'], 25]:.0f}%" if max_n >= 25 else "-"},
    {"measure": f"generations aligned with >= {min_others} others (mean over positions)",
     "paper (RLHF, reported)": "RLHF high throughout, Base low (figure)",
     names["base"]: f"{edges.loc[names['base'], 'mean over positions']:.1f} of {samples_used}",
     names["aligned"]: f"{edges.loc[names['aligned'], 'mean over positions']:.1f} of {samples_used}"},
    {"measure": "... first 10% / middle / last 10% of the generation",
     "paper (RLHF, reported)": "RLHF highest near the beginning and the end (figure)",
     **{names[r]: " / ".join(f"{edges.loc[names[r], k]:.1f}" for k in ("first 10%", "middle", "last 10%"))
        for r in runs}},
]).set_index("measure")


def _ngram_diff(n: int) -> tuple[float, float, float]:
    """Mean over prompts of (aligned - Base) coverage of the most common n-gram, with its 95% bootstrap interval."""
    per = ngram_table[ngram_table["n"] == n].pivot(index="prompt", columns="model", values="coverage")
    d = (per[names["aligned"]] - per[names["base"]]).to_numpy()[:, None]
    mean, lo, hi = prompt_band(d, seed=seed)
    return float(mean[0]), float(lo[0]), float(hi[0])


def _verdict(lo: float, hi: float, more: str, less: str) -> str:
    return more if lo > 0 else (less if hi < 0 else "no clear difference from")


verdicts = []
for n_rep, paper_value in PAPER_REPORTED:
    if n_rep > max_n:
        continue
    d, lo, hi = _ngram_diff(n_rep)
    value = ngram_mean.loc[names["aligned"], n_rep]
    verdicts.append(f"at n = {n_rep} the aligned model shows {_verdict(lo, hi, 'more sharing than', 'less sharing than')} "
                    f"Base ({100 * d:+.1f} points, 95% interval {100 * lo:+.1f} to {100 * hi:+.1f}), and its "
                    f"{100 * value:.0f}% is {value / paper_value:.2f} times the paper's about {100 * paper_value:.0f}%")
glue("an_ng_verdict", "; ".join(verdicts) if verdicts else "(max_n below 10: not measured)", display=False)
comparison

# %% [markdown]
# **What the miniature shows.** By the n-gram measure,
# {glue:text}`an_ng_verdict`. By the alignment measure the aligned curve is
# {glue:text}`an_pos_verdict` the Base curve, and it is
# {glue:text}`an_pos_shape`.
# Where an interval includes zero, this miniature does not show the paper's
# effect; where the aligned numbers are a small fraction of the paper's, it
# shows the direction of the effect but not its size: the paper's models are
# three orders of magnitude larger and their preference tuning far longer.

# %% tags=["remove-cell"]
# the book's scoreboard (see the scoreboard chapter)
_, pos_lo, pos_hi = prompt_band(diff[:, None], seed=seed)
claims.record("fig1-anchors", f"generations aligned with >= {min_others} others, mean over positions: aligned "
              f"{edges.loc[names['aligned'], 'mean over positions']:.1f} vs Base "
              f"{edges.loc[names['base'], 'mean over positions']:.1f} of {samples_used} (difference "
              f"{diff.mean():.1f}, 95% interval {pos_lo[0]:.1f} to {pos_hi[0]:.1f})", bool(pos_lo[0] > 0), pair=spec.name,
              scale=scale)
for n_rep, claim_id in ((10, "ngram-10"), (25, "ngram-25")):
    if n_rep <= max_n:
        d, d_lo, d_hi = _ngram_diff(n_rep)
        claims.record(claim_id, f"most common {n_rep}-gram in {100 * ngram_mean.loc[names['aligned'], n_rep]:.0f}% "
                      f"of aligned and {100 * ngram_mean.loc[names['base'], n_rep]:.0f}% of Base generations "
                      f"(difference {100 * d:+.1f} points, 95% interval {100 * d_lo:+.1f} to {100 * d_hi:+.1f})",
                      bool(d_lo > 0), pair=spec.name, scale=scale)

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
pair = "mini-m-rlhf;mini-m-sft;mini-s-dpo"
smoke_pair = "mini-s-dpo"
n_prompts = 0
prompts_file = ""
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
control_prompts = 20

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import anchors as chapter
from predact_utils.plotting import show_plotly

settings, results = run_chapter(chapter, globals())

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

# %% [markdown]
# ```{glue:figure} fig_an_ngrams
# :name: fig-an-ngrams
#
# Share of a prompt's generations that contain the prompt's most common
# n-gram, against n; mean over prompts with a 95% bootstrap band. Dashed: both
# models with lengths matched; dotted: chance (the same measure on answers to
# other prompts). Crosses: the paper's values for RLHF models (most common
# 10-gram in about 60% of generations, a 25-gram shared by about 25%).
# ```
#
# In this run the most common 10-gram of a prompt appears in
# {glue:text}`an_ng10_aligned` of the aligned model's generations and in
# {glue:text}`an_ng10_base` of the Base model's (paper, RLHF: about 60%); the
# most common 25-gram in {glue:text}`an_ng25_aligned` and
# {glue:text}`an_ng25_base` (paper: about 25%).
#
# **Controls.** Two things other than prompt-specific anchors raise these
# numbers. *Length*: a longer answer holds more n-grams, and the two models'
# answers differ in length; the dashed curves cut the $j$-th Base and the
# $j$-th aligned answer of each prompt to the shorter of the two. *Habit*: a
# model that opens or closes every answer the same way shares n-grams across
# prompts; the dotted curves are the same measure on groups of the model's
# answers to *other* prompts (member $j$ of prompt $i$'s group answers prompt
# $i + 1 + (j \bmod (P - 1))$ of the $P$ prompts), which is what chance gives. In this run,
# {glue:text}`an_ng_controls`. The scoreboard counts the n-gram claims only
# when both controls hold. Hover over the interactive version, or pick a single
# prompt from its menu:

# %% tags=["remove-input"]
show_plotly(chapter.plotly_ngrams(results), div_id="an-ngrams-plotly")

# %% [markdown]
# **The longest shared n-grams.** For a few prompts, the longest n-grams
# contained in at least {glue:text}`an_shared_pct` of the generations (the
# largest such $n$; coverage of the most common n-gram never grows with $n$,
# so the largest $n$ is well defined), decoded, with ⏎ for a line break:

# %% tags=["remove-input"]
chapter.table_shared_ngrams(results)

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

# %% tags=["remove-input"]
folding = results.folding  # per prompt and model
chapter.table_folding(results)

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

# %% tags=["remove-input"]
chapter.table_spans(results)

# %% [markdown]
# Per prompt, the aligned model's generations have on average
# {glue:text}`an_spans_aligned` anchor spans (the longest
# {glue:text}`an_longest_aligned` tokens), against
# {glue:text}`an_spans_base` (longest {glue:text}`an_longest_base`) for Base;
# anchor-span tokens make up {glue:text}`an_anchor_share_aligned` of the
# aligned model's tokens and {glue:text}`an_anchor_share_base` of Base's. The
# anchor spans of the example prompt, "{glue:text}`an_example_text`":

# %% tags=["remove-input"]
chapter.table_example_spans(results)

# %% [markdown]
# **Does folding drive these numbers?** The same measures on the first
# {glue:text}`an_check_prompts` prompts, aligned again with fewer and with more
# overflow symbols (more overflow symbols: fewer false matches between folded
# tokens, but fewer tokens with a symbol of their own):

# %% tags=["remove-input"]
chapter.table_overflow_check(results)

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

# %% tags=["remove-input"]
show_plotly(chapter.plotly_sankey(results), div_id="an-sankey-plotly")

# %% [markdown]
# In a live kernel, set `live_widgets = True` in the parameters cell to get an
# ipywidgets menu over *all* prompts of the run that re-draws the diagram (the
# static book has no kernel to call back, hence the precomputed menu above).

# %% tags=["remove-input"]
chapter.widget_sankey(results)  # None unless live_widgets

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

# %% tags=["remove-input"]
chapter.table_position_edges(results)

# %% [markdown]
# ```{glue:figure} fig_an_position
# :name: fig-an-position
#
# Generations whose token is aligned with at least
# {glue:text}`an_min_others_text` other generations of the same prompt, by
# normalised position (left) and token position (right); mean over prompts with
# 95% bootstrap bands. Left, dashed: lengths matched; dotted: chance (answers
# to other prompts aligned together); both on the control prompts. Right,
# dotted: generations still running at that position.
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
# {glue:text}`an_pos_middle_base`, {glue:text}`an_pos_last_base`).
#
# **Controls.** The same two controls as for the n-grams, aligned again with
# MAFFT on {glue:text}`an_ctrl_prompts` prompts spread evenly over the list
# (`control_prompts`; each alignment costs as much as a real one): the Base and
# aligned answers cut to equal lengths, and each model's answers to other
# prompts aligned together. In this run, {glue:text}`an_pos_controls`. The
# scoreboard counts Fig. 1 only when both controls hold. Interactive version
# (the menu switches the position axis):

# %% tags=["remove-input"]
show_plotly(chapter.plotly_position(results), div_id="an-position-plotly")

# %% [markdown]
# ## Which training stage carries the effect
#
# The paper's claims are about RLHF models. The other built pairs of this
# page's list fill the rest of the scoreboard's stage table: each cell applies
# the same rules, with both controls, to one stage (the Base against its SFT,
# DPO or RLHF model, and the RLHF model against the SFT model it was trained
# from). For the pairs other than the page's own, the alignment measure runs
# on the {glue:text}`an_ctrl_prompts` control prompts only, so its interval
# there is wider. Intervals resample prompts.

# %% tags=["remove-input"]
chapter.table_stages(results)

# %% [markdown]
# ## The miniature next to the paper
#
# The paper's numbers come from 7B and 70B models with 100 generations for each
# of 80 prompts; this run's come from the pair and sample counts stated at the
# top of the page, with exactly the rules above. Nothing here was tuned to
# agree with the paper.

# %% tags=["remove-input"]
chapter.table_comparison(results)

# %% [markdown]
# **What the miniature shows.** By the n-gram measure,
# {glue:text}`an_ng_verdict`. By the alignment measure the aligned curve is
# {glue:text}`an_pos_verdict` the Base curve, and it is
# {glue:text}`an_pos_shape`.
# Where an interval includes zero, this miniature does not show the paper's
# effect; where the aligned numbers are a small fraction of the paper's, it
# shows the direction of the effect but not its size: the paper's models are
# three orders of magnitude larger and their preference tuning far longer.

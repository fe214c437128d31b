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
# # The scoreboard: which claims reproduce
#
# Each row is a claim of the paper {cite:p}`li2024predicting`, what the paper
# reports, and what this build of the book measured, as written by the
# chapter that tests it while it ran (so the table is true for this build and
# no other; a chapter that was not executed shows "not run"). A verdict
# states what was measured and no more. Direction, size beside the paper's,
# and shape are separate questions:
#
# - **reproduces**: the paper's direction holds (the 95% interval of the
#   effect, resampled over the independent unit, lies on the paper's side of
#   zero; for a family of comparisons, a one-sided sign test at 5%), and so
#   do the magnitude (within a factor of 2 of the paper's number) and the
#   shape wherever the paper gives them;
# - **direction only**: the direction holds, the magnitude or the shape does not;
# - **does not reproduce**: the direction is not established;
# - **not testable here**: there is no direction to test, or nothing could be measured.
#
# The column "why" gives the reason the rule gave; the table of rules below
# states each claim's rule, fixed before the book was run. The column
# "source" says where in the paper a claim comes from: its figures, or only
# its summary (hidden-state probing and cross-model perplexity: the book
# designs those analyses itself).

# %% tags=["parameters"]
scale = "full"
seed = 0

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import scoreboard as chapter

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# Of {glue:text}`sb_total` claims, {glue:text}`sb_reproduces` reproduce,
# {glue:text}`sb_direction` reproduce in direction only,
# {glue:text}`sb_not` do not reproduce and {glue:text}`sb_untestable` are not
# testable here ({glue:text}`sb_notrun` were not run in this build). Pairs
# and scale per chapter: {glue:text}`sb_runs`.

# %% tags=["remove-input"]
chapter.styled_board(results)

# %% [markdown]
# ## Which stage carries each effect
#
# A claim about RLHF is judged on the RLHF pairs; the same measure on the
# other stages says where an effect comes from: SFT against Base, DPO against
# Base, RLHF against Base, and RLHF against the SFT model it started from. In
# this build {glue:text}`sb_stages`; a cell says whether the effect holds by
# the claim's rule, the effect, and the pair it was measured on ("not
# measured": the chapter did not run that stage).

# %% tags=["remove-input"]
chapter.stages_table(results)

# %% [markdown]
# The rule behind each verdict:

# %% tags=["remove-input"]
chapter.rules_table(results)

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
# no other; a chapter that was not executed shows "not run"). The verdict
# says whether the paper's direction holds: in every comparison of the
# chapter ("reproduces"), in some ("partly"), or in none ("does not
# reproduce"); "see text" marks results with no direction to check. The
# chapters give the confidence intervals behind each number and say where the
# miniature models differ from the paper's 7B and 70B models.

# %% tags=["parameters"]
scale = "full"
seed = 0

# %% tags=["remove-cell"]
from predact_utils.book.pages import glue_all
from predact_utils.chapters import scoreboard as chapter

settings = chapter.Settings.from_globals(globals())
results = chapter.run(settings)
glue_all(chapter.numbers(results))
glue_all(chapter.figures(results))

# %% [markdown]
# Of {glue:text}`sb_total` claims with a direction to check,
# {glue:text}`sb_reproduces` reproduce in every comparison,
# {glue:text}`sb_partly` partly and {glue:text}`sb_not` not at all
# ({glue:text}`sb_notrun` were not run in this build). Pairs and scale per
# chapter: {glue:text}`sb_runs`.

# %% tags=["remove-input"]
chapter.styled_board(results)

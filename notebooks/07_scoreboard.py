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

# %%
from myst_nb import glue

from predact_utils.claims import claims_dir, scoreboard
from predact_utils.params import COMMON, validate_parameters

validate_parameters(globals(), COMMON)
board = scoreboard()
counts = board["verdict"].value_counts()
glue("sb_reproduces", f"{int(counts.get('reproduces', 0))}", display=False)
glue("sb_partly", f"{int(counts.get('partly', 0))}", display=False)
glue("sb_not", f"{int(counts.get('does not reproduce', 0))}", display=False)
glue("sb_total", f"{int((board['verdict'] != 'see text').sum())}", display=False)
glue("sb_notrun", f"{int(counts.get('not run', 0))}", display=False)
glue("sb_dir", str(claims_dir()), display=False)
ran = board[board["verdict"] != "not run"]
glue("sb_runs", "; ".join(f"{ch}: {pr} ({sc})" for ch, pr, sc in ran[["chapter", "pair", "scale"]]
                          .drop_duplicates().itertuples(index=False)) or "none", display=False)

# %% [markdown]
# Of {glue:text}`sb_total` claims with a direction to check,
# {glue:text}`sb_reproduces` reproduce in every comparison,
# {glue:text}`sb_partly` partly and {glue:text}`sb_not` not at all
# ({glue:text}`sb_notrun` were not run in this build). Pairs and scale per
# chapter: {glue:text}`sb_runs`.

# %% tags=["hide-input"]
colors = {"reproduces": "#d9f2d9", "partly": "#fff2cc", "does not reproduce": "#f8d7da", "not run": "#eeeeee"}
styled = (board.drop(columns=["pair", "scale"]).style.set_uuid("scoreboard").hide(axis="index")
          .map(lambda v: f"background-color: {colors.get(v, 'white')}", subset=["verdict"])
          .set_properties(**{"text-align": "left", "white-space": "normal"}))
glue("sb_table", styled, display=False)  # the introduction shows the same table
styled

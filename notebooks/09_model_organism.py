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
# # Beyond the paper: a model organism where the trade-off is exact
#
# The paper conjectures that predicting text and acting as an agent may trade
# off fundamentally, and calls for systems that do both
# {cite:p}`li2024predicting`. On natural text that cannot be measured
# exactly: nobody knows the true distribution, so "a worse world model" is
# only relative to another model. This chapter builds a small world whose
# distribution *is* known, gives it its own Base / SFT / RL family, and
# measures the frontier between world modeling and reward exactly.
#
# **The world.** A hidden-Markov source with topics
# (`predact_utils.organism.world`): a document draws a topic, which never
# changes (the long-range structure), then walks the topic's own hidden
# states, one word per step, until a state ends it. The forward algorithm
# gives the exact probability of any document and the exact next-word
# distribution after any prefix.
#
# **The task and its reward.** A request is one token asking for a document
# of a topic; the reward of an answer is the exact posterior probability of
# the requested topic given the answer, when the answer ends and has an
# allowed length (else 0). It is checkable: there is no learned reward model
# to hack. A full reward needs text that only the requested topic would
# write, so reward pressure pulls answers towards the topic's most telling
# words and away from the world's own distribution.
#
# **The family.** A tiny Llama Base trained on world samples; per seed, an
# SFT model (the Base fine-tuned on the topic's own documents after each
# request); then RL from the SFT model with trl's RLOO against the
# programmatic reward, with a KL penalty towards the SFT model.
#
# **The knobs and the frontier.** Each point is one model. World modeling is
# the exact KL from the world to the model, in nats per token, on held-out
# world documents (0 is a perfect world model). Acting is the mean reward of
# the model's own answers. The knobs: the RL steps (the policy is measured at
# several checkpoints of each run), the KL coefficient, and one *integration*
# method that keeps world modeling during RL: interpolating the weights of
# the SFT model and the RL model. Along the frontier the page measures the
# paper's collapse and anchor-span measures on the same answers.
#
# **Budgets, by compute.** World, model size and the training steps of every
# stage were fixed before any result was read, by one rule: the whole chapter
# runs within 10 minutes on two CPU cores (its smoke version within one). None
# of them was changed to move a result.

# %% tags=["parameters"]
scale = "full"
seed = 0
n_topics = 3
states = 4
vocab = 24
concentration = 0.3
end_prob = 0.08
min_words = 4
max_words = 16
train_docs = 4000
base_steps = 400
layers = 2
hidden = 64
sft_docs = 800
sft_steps = 100
rl_seeds = 3
betas = "0.0;0.1"
rl_steps = "10;20;40"
rl_lr = 0.003
rl_batch = 16
num_generations = 8
interp = "0.25;0.5;0.75"
interp_beta = 0.1
test_docs = 200
requests_per_topic = 4
answers_per_request = 16
ngram = 4
min_others = 5
n_points = 20

# %% tags=["remove-cell"]
from predact_utils.book.pages import run_chapter
from predact_utils.chapters import organism as chapter

settings, results = run_chapter(chapter, globals())

# %% [markdown]
# This run: a world of {glue:text}`org_world`. Its exact entropy is
# {glue:text}`org_entropy` nats per token (mean over held-out documents,
# 95% interval over documents): the floor of any model's loss. The Base's
# held-out loss is {glue:text}`org_base_loss` nats per token, an excess of
# {glue:text}`org_base_excess` over the floor; its exact KL from the world is
# {glue:text}`org_base_kl`. SFT and RL ran over {glue:text}`org_seeds`
# seeds; every interval below is a 95% t-interval over seeds (paired by seed
# where two points are compared). The whole chapter took
# {glue:text}`org_seconds` s, of which RL {glue:text}`org_rl_seconds` s.
#
# ## The frontier

# %% [markdown]
# ```{glue:figure} fig_org_frontier
# :name: fig-org-frontier
#
# Exact KL from the world to each model (x, nats per token: lower is a
# better world model) against its mean programmatic reward (y). Lines from
# the SFT model: each KL coefficient's RL run at its step checkpoints
# (solid), and the interpolation of weights between the SFT model and the RL
# model (dashed). Bars: 95% intervals over seeds.
# ```
#
# SFT: reward {glue:text}`org_sft_reward`, KL {glue:text}`org_sft_kl`
# (Base: reward {glue:text}`org_base_reward`). Full RL (the weakest KL
# coefficient at the last step, {glue:text}`org_full`): reward
# {glue:text}`org_full_reward`, KL {glue:text}`org_full_kl`.

# %% tags=["remove-input"]
chapter.points_table(results)

# %% [markdown]
# ## What this world shows
#
# The rules that read the frontier are fixed in
# `predact_utils.chapters.organism.frontier` before the run.
#
# * **Is there a trade-off?** {glue:text}`org_tradeoff`. By the scoreboard's
#   rule: {glue:text}`org_verdict`.
# * **Does any knob reach the reward of full RL without its world-modeling
#   loss?** (Its reward not shown below full RL's, and its KL not shown above
#   SFT's, paired by seed.) {glue:text}`org_reach`.
# * **Diminishing returns?** {glue:text}`org_convex`.
# * **Does the integration method dominate the KL penalty?**
#   {glue:text}`org_dominance`.
#
# ## Collapse along the frontier

# %% [markdown]
# ```{glue:figure} fig_org_collapse
# :name: fig-org-collapse
#
# The paper's collapse and anchor-span measures on each point's own answers,
# against its reward: mean top-1 probability, self-perplexity (log, nats per
# token), the share of a request's answers that hold its most common n-gram,
# and the number of answers aligned (MAFFT) with at least k others, averaged
# over normalised positions. Bars: 95% intervals over seeds.
# ```
#
# **What this world cannot say.** The organism's models have
# {glue:text}`org_params` parameters and learn a world of a few dozen words;
# its RL runs are tens of steps. It
# shows what the measures do when everything is exact and the reward cannot
# be hacked, not what happens in a 70B model: there, the world is natural
# text, the reward is a learned proxy, and the trade-off can only be
# measured relative to another model, as the paper's chapters do.

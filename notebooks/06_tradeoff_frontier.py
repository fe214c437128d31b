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
# # Beyond the paper: the world-model / agent-model frontier
#
# The paper ends by asking whether the trade-off between predicting text and
# acting as an agent is inevitable, and calls for models that do both
# {cite:p}`li2024predicting`. This chapter measures, for a miniature pair,
# what lies *between* the two ends: is there a model that keeps most of the
# aligned model's agent behaviour at little cost to world modeling, or is the
# trade-off steep?
#
# **Two paths from Base ($a = 0$) to aligned ($a = 1$).**
#
# 1. *Weight interpolation*: $\theta(a) = (1-a)\,\theta_\text{Base} + a\,\theta_\text{aligned}$,
#    parameter by parameter (the two checkpoints share architecture and tokenizer).
# 2. *Log-probability mixing* at decoding time:
#    $\log p_a(v \mid x) = (1-a) \log p_\text{Base}(v \mid x) + a \log p_\text{aligned}(v \mid x) - \log Z_a(x)$,
#    a normalised geometric mixture of the two next-token distributions.
#
# **Measures at each point** (exact definitions in `predact_utils.chapters.frontier.measure`):
# world modeling is the mean log-perplexity on gold text of the evaluation
# corpora, averaged per category and then over categories; its *cost* is
# the difference to the Base model in nats per token. Agent behaviour is
# measured on the point's own answers to the prompts, sampled through the
# chat template at every point (so at $a = 0$ the Base model is also asked
# in chat format, unlike in the other chapters): self-perplexity, mean
# top-1 probability, the share of answers containing the prompt's most
# common 10-gram, and for the RLHF pair the reward model's mean score.

# %% tags=["parameters"]
scale = "full"
seed = 0
pairs = "mini-m-rlhf;mini-m-dpo"
smoke_pairs = "mini-s-dpo"
grid_step = 0.1
n_prompts = 20
n_samples = 5
max_new_tokens = 128
top_p = 0.9
temperature = 1.0
gold_docs = 8
gold_tokens = 256
ngram = 10
reward_per_prompt = 2

# %%
import pandas as pd
from myst_nb import glue

import predact_utils.data.corpora as corpora
from predact_utils import claims, seed_everything
from predact_utils.chapters.frontier.measure import (
    AGENT_MEASURES,
    GoldSet,
    agent_behaviour,
    with_costs,
    world_modeling,
)
from predact_utils.chapters.frontier.models import grid_points, interpolated_model, mixture_model
from predact_utils.chapters.frontier.plots import frontier_figure, frontier_plotly, mark_pareto
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import available_pairs
from predact_utils.lm.reward import load_reward_model
from predact_utils.params import COMMON, PAIRS, Param, validate_parameters
from predact_utils.plotting import close_all, set_style, show_plotly
from predact_utils.runs.generations import sampling_params, select_prompts

validate_parameters(globals(), {
    **COMMON, "pairs": PAIRS, "smoke_pairs": PAIRS, "grid_step": Param(float, minimum=0.01, maximum=1.0),
    "n_prompts": Param(int, minimum=1), "n_samples": Param(int, minimum=1), "max_new_tokens": Param(int, minimum=1),
    "top_p": Param(float, minimum=0.0, maximum=1.0), "temperature": Param(float, minimum=0.0),
    "gold_docs": Param(int, minimum=1), "gold_tokens": Param(int, minimum=8), "ngram": Param(int, minimum=1),
    "reward_per_prompt": Param(int, minimum=1),
})
seed_everything(seed)
set_style()
smoke = scale == "smoke"
if smoke:
    grid_step, n_prompts, n_samples, max_new_tokens, gold_docs, gold_tokens = 0.5, 2, 3, 24, 1, 48

available, skipped = available_pairs(smoke_pairs if smoke else pairs)
grid = grid_points(grid_step)
params = sampling_params(top_p=top_p, temperature=temperature, max_new_tokens=max_new_tokens, n=n_samples, seed=seed)
rows = select_prompts(n_prompts)
eval_corpora = corpora.names(role="eval")
gold_pairs = [(c, t) for c in eval_corpora for t in corpora.sample_texts(c, "test", max_docs=gold_docs, seed=seed)]
gold = GoldSet([t for _, t in gold_pairs], [c for c, _ in gold_pairs], {c: corpora.category_of(c) for c in eval_corpora},
               gold_tokens)
glue("fr_pairs", ", ".join(s.name for s in available), display=False)
glue("fr_skipped", ", ".join(skipped) if skipped else "none", display=False)
glue("fr_grid", ", ".join(f"{a:g}" for a in grid), display=False)
glue("fr_setup", f"{len(rows)} prompts x {n_samples} answers of at most {max_new_tokens} tokens (top-p {top_p:g}), "
     f"{gold_docs} gold documents per corpus cut to {gold_tokens} tokens", display=False)

# %% [markdown]
# Pairs: {glue:text}`fr_pairs` (not built, left out: {glue:text}`fr_skipped`);
# grid of $a$: {glue:text}`fr_grid`; at each point {glue:text}`fr_setup`.

# %%
records = []
for spec in available:
    pair = load_pair(spec)
    reward = load_reward_model(spec.reward_location()) if spec.reward else None
    ends: dict[float, dict] = {}
    for path, make in (("interp", interpolated_model), ("mix", mixture_model)):
        for a in grid:
            rec = {"pair": spec.name, "path": path, "a": a}
            if a in ends:  # both paths start at the Base model and end at the aligned one (tested): measure once
                rec.update(ends[a])
            else:
                point = make(pair.base, pair.aligned, a)
                m = world_modeling(point, gold)
                m.update(agent_behaviour(point, params, rows, ngram=ngram, reward=reward,
                                         reward_per_prompt=reward_per_prompt))
                rec.update(m)
                if a in (0.0, 1.0):
                    ends[a] = m
            records.append(rec)
table = with_costs(pd.DataFrame(records))
measures = [m for m in AGENT_MEASURES if m in table and table[m].notna().any()]

# %% [markdown]
# ## The frontier

# %%
main = available[0].name
t_main = table[table["pair"] == main]
end = t_main[(t_main["path"] == "interp") & (t_main["a"] == 1.0)].iloc[0]
half = t_main[(t_main["path"] == "interp") & (t_main["a"] == 0.5)]
glue("fr_main", main, display=False)
glue("fr_cost_end", f"{end['wm_cost']:.4f}", display=False)
glue("fr_top1_end", f"{end['top1_mass']:.3f}", display=False)
glue("fr_top1_base", f"{t_main[t_main['a'] == 0.0]['top1_mass'].iloc[0]:.3f}", display=False)


def kept_share(t: pd.DataFrame, measure: str, a: float) -> tuple[float, float]:
    """Share of the Base-to-aligned change of ``measure`` reached at ``a``, and the share of the cost paid."""
    lo, hi = t[t["a"] == 0.0].iloc[0], t[t["a"] == 1.0].iloc[0]
    pt = t[t["a"] == a].iloc[0]
    span = hi[measure] - lo[measure]
    cost = hi["wm_cost"] - lo["wm_cost"]
    return ((pt[measure] - lo[measure]) / span if span else float("nan"),
            (pt["wm_cost"] - lo["wm_cost"]) / cost if cost else float("nan"))


half_a = 0.5 if 0.5 in grid else grid[len(grid) // 2]
for path in ("interp", "mix"):
    got, paid = kept_share(t_main[t_main["path"] == path].set_index("a", drop=False), "top1_mass", half_a)
    glue(f"fr_{path}_kept", f"{got:.0%}", display=False)
    glue(f"fr_{path}_paid", f"{paid:.0%}", display=False)
glue("fr_half_a", f"{half_a:g}", display=False)
n_front = {m: int(mark_pareto(t_main, m).sum()) for m in measures}
glue("fr_front_top1", f"{n_front['top1_mass']} of {len(t_main)}", display=False)
fig = frontier_figure(table, measures)
glue("fig_fr_frontier", fig, display=False)
close_all()

# %% [markdown]
# ```{glue:figure} fig_fr_frontier
# :name: fig-fr-frontier
#
# World-modeling cost (x: mean log-perplexity on gold text minus the Base
# model's) against each agent measure (y), along weight interpolation (solid)
# and log-probability mixing (dashed), one colour per pair; points at
# $a = 0, 0.5, 1$ are labelled. Circled: points that no other point of the
# same pair dominates (no other point has lower cost and more agent behaviour,
# where "more" means lower for self-perplexity, as the paper's aligned models
# show).
# ```
#
# For {glue:text}`fr_main`, the aligned end costs {glue:text}`fr_cost_end`
# nats per token of gold text and raises the mean top-1 probability on its
# own answers from {glue:text}`fr_top1_base` to {glue:text}`fr_top1_end`. At
# $a =$ {glue:text}`fr_half_a`, weight interpolation reaches
# {glue:text}`fr_interp_kept` of that change of top-1 mass while paying
# {glue:text}`fr_interp_paid` of the cost; log-probability mixing reaches
# {glue:text}`fr_mix_kept` for {glue:text}`fr_mix_paid` of the cost. (Shares
# are relative to the two ends of each path; a negative or above-100% value
# means the path is not monotone there.) On the top-1 measure,
# {glue:text}`fr_front_top1` points of this pair are not dominated.

# %%
show_plotly(frontier_plotly(table, measures), div_id="fr-plotly")

# %%
cols = ["pair", "path", "a", "wm_log_ppl", "wm_cost"] + measures + ["answer_tokens", "eos_share"]
table[cols].round(4)

# %% tags=["remove-cell"]
# the book's scoreboard (see the scoreboard chapter)
got_i, paid_i = kept_share(t_main[t_main["path"] == "interp"].set_index("a", drop=False), "top1_mass", half_a)
claims.record("frontier", f"{main}, weight interpolation at a = {half_a:g}: {got_i:.0%} of the top-1 mass change "
              f"for {paid_i:.0%} of the world-modeling cost", None, pair=main, scale=scale)

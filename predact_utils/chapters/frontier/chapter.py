"""Chapter 06, the trade-off frontier: settings, the measured grid, the page's numbers and scoreboard record.

``run`` walks both paths from Base (``a = 0``) to aligned (``a = 1``) for every pair
(:mod:`~predact_utils.chapters.frontier.models`), measures world modeling and agent behaviour at each
point (:mod:`~predact_utils.chapters.frontier.measure`) and returns one table; ``numbers``, ``figures``
and ``claim_records`` read that table only.
"""

from __future__ import annotations

from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any

import pandas as pd
import plotly.graph_objects as go

import predact_utils.data.corpora as corpora
from predact_utils.chapters.frontier import plots
from predact_utils.chapters.frontier.measure import (
    AGENT_MEASURES,
    GoldSet,
    agent_behaviour,
    with_costs,
    world_modeling,
)
from predact_utils.chapters.frontier.models import (
    MixtureLM,
    ParentLogprobs,
    grid_points,
    interpolated_model,
    mixture_model,
)
from predact_utils.lm.models import load_pair
from predact_utils.lm.registry import PairSpec, available_pairs
from predact_utils.lm.reward import load_reward_model
from predact_utils.lm.sampling import SamplingParams
from predact_utils.plotting import set_style
from predact_utils.runs.generations import PromptChapterSettings, sampling_params, select_prompts
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, param
from predact_utils.verdicts import NOT_TESTABLE, Verdict

#: The two paths from Base to aligned and how to build a point of each.
PATHS = (("interp", interpolated_model), ("mix", mixture_model))
#: The agent measure of the page's prose, its shares and the scoreboard record.
MAIN_MEASURE = "top1_mass"


@dataclass(frozen=True)
class Settings(PromptChapterSettings):
    """Parameters of the frontier chapter."""

    pairs: str = param("mini-m-rlhf;mini-m-dpo", PAIRS_KIND, doc="pairs measured at full scale (the first is "
                       "the page's main pair)")
    smoke_pairs: str = param("mini-s-dpo", PAIRS_KIND, doc="pairs measured at smoke scale")
    grid_step: float = param(0.1, minimum=0.01, maximum=1.0, smoke=0.5, doc="step of the grid of a in [0, 1]")
    n_prompts: int = param(20, minimum=1, smoke=2, doc="prompts answered at every point")

    n_samples: int = param(5, minimum=1, smoke=3, doc="answers per prompt at every point")
    max_new_tokens: int = param(128, minimum=1, smoke=24, doc="longest answer, in tokens")
    top_p: float = param(0.9, minimum=0.0, maximum=1.0, doc="nucleus mass of the sampler")
    temperature: float = param(1.0, minimum=0.0, doc="sampling temperature")
    gold_docs: int = param(8, minimum=1, smoke=1, doc="gold documents per evaluation corpus")
    gold_tokens: int = param(256, minimum=8, smoke=48, doc="gold documents are cut to this many tokens")
    ngram: int = param(10, minimum=1, doc="length of the most common n-gram of a prompt's answers")
    reward_per_prompt: int = param(2, minimum=1, doc="answers per prompt scored by the reward model")


    def pair_list(self) -> str | list[str]:
        """The pairs of this scale: ``smoke_pairs`` at smoke scale, ``pairs`` otherwise."""
        return self.smoke_pairs if self.smoke else self.pairs

    def grid(self) -> list[float]:
        """The grid of the mixing weight ``a``."""
        return grid_points(self.grid_step)

    def sampling(self) -> SamplingParams:
        """The sampler's settings at every point."""
        return sampling_params(top_p=self.top_p, temperature=self.temperature, max_new_tokens=self.max_new_tokens,
                               n=self.n_samples, seed=self.seed)


@dataclass
class Results:
    """The measured grid of every pair and what the page says about it."""

    settings: Settings
    pairs: list[str]
    skipped: list[str]
    grid: list[float]
    n_prompt_rows: int
    table: pd.DataFrame
    measures: list[str]

    @property
    def main(self) -> str:
        """The page's main pair (the first one measured)."""
        return self.pairs[0]

    @property
    def main_table(self) -> pd.DataFrame:
        """The rows of the main pair."""
        return self.table[self.table["pair"] == self.main]

    @property
    def half_a(self) -> float:
        """The midpoint of the grid where the shares are read (0.5 when on the grid)."""
        return 0.5 if 0.5 in self.grid else self.grid[len(self.grid) // 2]


def gold_set(settings: Settings) -> GoldSet:
    """The first ``gold_docs`` test documents of every evaluation corpus, cut to ``gold_tokens`` tokens."""
    eval_corpora = corpora.names(role="eval")
    gold_pairs = [(c, t) for c in eval_corpora
                  for t in corpora.sample_texts(c, "test", max_docs=settings.gold_docs, seed=settings.seed)]
    return GoldSet([t for _, t in gold_pairs], [c for c, _ in gold_pairs],
                   {c: corpora.category_of(c) for c in eval_corpora}, settings.gold_tokens)


def measure_pair(spec: PairSpec, grid: list[float], gold: GoldSet, params: SamplingParams,
                 rows: list[dict[str, Any]], settings: Settings) -> list[dict[str, Any]]:
    """One record per path and ``a``; both paths start at Base and end at aligned (tested), so the two ends
    are measured once and shared, and the mixing path's points score the gold text with one forward pass of
    each parent in all (:class:`~predact_utils.chapters.frontier.models.ParentLogprobs`)."""
    pair = load_pair(spec)
    reward = load_reward_model(spec.reward_location()) if spec.reward else None
    gold_parents = ParentLogprobs()
    ends: dict[float, dict[str, float]] = {}
    records = []
    for path, make in PATHS:
        for a in grid:
            rec: dict[str, Any] = {"pair": spec.name, "path": path, "a": a}
            if a in ends:
                rec.update(ends[a])
            else:
                point = make(pair.base, pair.aligned, a)
                with point.model.reusing(gold_parents) if isinstance(point.model, MixtureLM) else nullcontext():
                    m = world_modeling(point, gold)
                m.update(agent_behaviour(point, params, rows, ngram=settings.ngram, reward=reward,
                                         reward_per_prompt=settings.reward_per_prompt))
                rec.update(m)
                if a in (0.0, 1.0):
                    ends[a] = m
            records.append(rec)
    return records


def run(settings: Settings) -> Results:
    """Measure both paths of every available pair on the grid of ``settings``."""
    seed_everything(settings.seed)
    available, skipped = available_pairs(settings.pair_list())
    grid = settings.grid()
    params = settings.sampling()
    rows = select_prompts(settings.n_prompts, settings.prompt_rows())
    gold = gold_set(settings)
    records = [r for spec in available for r in measure_pair(spec, grid, gold, params, rows, settings)]
    table = with_costs(pd.DataFrame(records))
    measures = [m for m in AGENT_MEASURES if m in table and table[m].notna().any()]
    return Results(settings, [s.name for s in available], list(skipped), grid, len(rows), table, measures)


def kept_share(t: pd.DataFrame, measure: str, a: float) -> tuple[float, float]:
    """Share of the Base-to-aligned change of ``measure`` reached at ``a`` on one path ``t``, and the share of
    the world-modeling cost paid (NaN where the two ends do not differ)."""
    lo, hi = t[t["a"] == 0.0].iloc[0], t[t["a"] == 1.0].iloc[0]
    pt = t[t["a"] == a].iloc[0]
    span = hi[measure] - lo[measure]
    cost = hi["wm_cost"] - lo["wm_cost"]
    return ((pt[measure] - lo[measure]) / span if span else float("nan"),
            (pt["wm_cost"] - lo["wm_cost"]) / cost if cost else float("nan"))


def path_share(results: Results, path: str) -> tuple[float, float]:
    """:func:`kept_share` of the top-1 mass at the grid's midpoint along ``path`` of the main pair."""
    t = results.main_table
    return kept_share(t[t["path"] == path].set_index("a", drop=False), MAIN_MEASURE, results.half_a)


def numbers(results: Results) -> dict[str, str]:
    """The page's glued text."""
    s, t = results.settings, results.main_table
    end = t[(t["path"] == "interp") & (t["a"] == 1.0)].iloc[0]
    out = {
        "fr_pairs": ", ".join(results.pairs),
        "fr_skipped": ", ".join(results.skipped) if results.skipped else "none",
        "fr_grid": ", ".join(f"{a:g}" for a in results.grid),
        "fr_setup": f"{results.n_prompt_rows} prompts x {s.n_samples} answers of at most {s.max_new_tokens} "
                    f"tokens (top-p {s.top_p:g}), {s.gold_docs} gold documents per corpus cut to "
                    f"{s.gold_tokens} tokens",
        "fr_main": results.main,
        "fr_cost_end": f"{end['wm_cost']:.4f}",
        "fr_top1_end": f"{end['top1_mass']:.3f}",
        "fr_top1_base": f"{t[t['a'] == 0.0]['top1_mass'].iloc[0]:.3f}",
    }
    for path in ("interp", "mix"):
        got, paid = path_share(results, path)
        out[f"fr_{path}_kept"] = f"{got:.0%}"
        out[f"fr_{path}_paid"] = f"{paid:.0%}"
    out["fr_half_a"] = f"{results.half_a:g}"
    out["fr_front_top1"] = f"{int(plots.mark_pareto(t, MAIN_MEASURE).sum())} of {len(t)}"
    return out


def figures(results: Results) -> dict[str, Any]:
    """The static frontier figure (a panel per agent measure)."""
    set_style()
    return {"fig_fr_frontier": plots.frontier_figure(results.table, results.measures)}


def frontier_plotly(results: Results) -> go.Figure:
    """The interactive frontier (a dropdown picks the agent measure)."""
    return plots.frontier_plotly(results.table, results.measures)


def points_table(results: Results) -> pd.DataFrame:
    """Every measured point: cost, agent measures, answer length and share of answers that ended."""
    cols = ["pair", "path", "a", "wm_log_ppl", "wm_cost"] + results.measures + ["answer_tokens", "eos_share"]
    return results.table[cols].round(4)


#: Why the frontier has no verdict: the words of the claim's rule (:data:`predact_utils.claims.CLAIMS`).
FRONTIER_REASON = "the paper states no result to reproduce; the chapter reports the frontier"


def frontier_measured(main: str, half_a: float, got: float, paid: float) -> str:
    """The scoreboard's text: what weight interpolation keeps at the midpoint, and what it pays."""
    return (f"{main}, weight interpolation at a = {half_a:g}: {got:.0%} of the top-1 mass change "
            f"for {paid:.0%} of the world-modeling cost")


def frontier_verdict(got: float, paid: float) -> Verdict:
    """The rule of ``frontier``: the paper leaves the frontier open, so whatever was measured the verdict is
    "not testable here"."""
    return Verdict(NOT_TESTABLE, FRONTIER_REASON)


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard record of the frontier (an open question: "not testable here", with the rule's reason)."""
    got, paid = path_share(results, "interp")
    v = frontier_verdict(got, paid)
    return [{"claim_id": "frontier", "measured": frontier_measured(results.main, results.half_a, got, paid),
             "verdict": v.word, "reason": v.reason, "pair": results.main, "scale": results.settings.scale,
             "detail": f"a description, not a test: point values on {_count(results.n_prompt_rows, 'prompt')} "
                       f"and {_count(results.settings.gold_docs, 'gold document')} per corpus, no interval and "
                       "nothing compared with the paper"}]


def _count(n: int, noun: str) -> str:
    """``"1 prompt"``, ``"2 prompts"``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"

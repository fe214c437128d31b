"""Measurements at each point of a path from Base to aligned (frontier section).

World modeling: the perplexity of the point on gold text (the first documents
of each evaluation corpus' test split, cut to a fixed length), averaged per
category in log space, then over categories; the *cost* of a point is that
mean log-perplexity minus the Base model's, in nats per token.

Agent behaviour, on the point's own answers to the prompts (sampled through
the chat template at every point, so the whole path is asked in the same
way): self-perplexity, the mean top-1 probability mass at the generated
positions, the mean over prompts of the share of answers containing the
prompt's most common 10-gram, and, where the pair names a reward model, the
mean reward-model score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from predact_utils.chapters.anchors.ngrams import most_common_ngram
from predact_utils.chapters.collapse.analysis import TextSet, generation_text_set, gold_text_set, summarize
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.models import LoadedModel
from predact_utils.lm.reward import reward_scores
from predact_utils.lm.sampling import SamplingParams
from predact_utils.runs.artifacts import cached_token_logprobs
from predact_utils.runs.generations import prompt_generations

#: Agent-behaviour columns and whether a higher value means more "agent-like" (as the aligned end).
AGENT_MEASURES: dict[str, str] = {
    "top1_mass": "mean top-1 probability on own answers",
    "ngram_share": "share of answers with the prompt's most common n-gram",
    "self_ppl": "self-perplexity on own answers",
    "reward": "mean reward-model score",
}


@dataclass(frozen=True)
class GoldSet:
    """Gold documents for the world-modeling cost: texts with their corpus and category."""

    texts: list[str]
    corpora: list[str]
    categories: dict[str, str]
    max_tokens: int
    #: the token sequences, made once per tokenizer object (every point of a path shares its pair's)
    _encoded: list[tuple[Any, TextSet]] = field(default_factory=list, init=False, compare=False, repr=False)

    def text_set(self, tokenizer: Any) -> TextSet:
        """The documents encoded by ``tokenizer`` and cut to ``max_tokens`` (:func:`gold_text_set`)."""
        for tok, ts in self._encoded:
            if tok is tokenizer:
                return ts
        ts = gold_text_set(tokenizer, self.texts, self.corpora, self.max_tokens)
        self._encoded.append((tokenizer, ts))
        return ts


def world_modeling(lm: LoadedModel, gold: GoldSet) -> dict[str, float]:
    """Per-category mean log-perplexity of ``lm`` on the gold set, and their mean (``wm_log_ppl``)."""
    ts = gold.text_set(lm.tokenizer)
    s = summarize(cached_token_logprobs(lm, ts.sequences, score_from=ts.score_from, progress=False), ts.groups)
    per_corpus = {}
    for c in dict.fromkeys(s.groups):
        sub = s.by_group(c)
        per_corpus[c] = float(sub.nll.sum() / sub.tokens.sum())
    cats: dict[str, list[float]] = {}
    for c, v in per_corpus.items():
        cats.setdefault(gold.categories[c], []).append(v)
    out = {f"log_ppl_{k}": float(np.mean(v)) for k, v in sorted(cats.items())}
    out["wm_log_ppl"] = float(np.mean([np.mean(v) for v in cats.values()]))
    return out


def agent_behaviour(lm: LoadedModel, params: SamplingParams, rows: Sequence[dict[str, Any]], ngram: int = 10,
                    reward: tuple[Any, Any] | None = None, reward_per_prompt: int = 2) -> dict[str, float]:
    """Self-perplexity, top-1 mass, most-common-n-gram share and (optionally) reward of ``lm``'s answers."""
    run = prompt_generations(lm, params, rows=rows)
    ts = generation_text_set(lm.tokenizer, run)
    sc = cached_token_logprobs(lm, ts.sequences, score_from=ts.score_from,
                               stats=DistStatsConfig(top_k=1, thresholds=(1e-8,)), progress=False)
    s = summarize(sc, ts.groups)
    out = {
        "self_ppl": float(np.exp(s.nll.sum() / s.tokens.sum())),
        "top1_mass": float(s.topk_mass[:, 0].mean()),
        "ngram_share": float(np.mean([most_common_ngram(run.token_ids(i), ngram)[1]
                                      for i in range(len(run.prompts))])),
        "answer_tokens": float(np.mean([len(g.token_ids) for per in run.generations for g in per])),
        "eos_share": run.eos_share(),
    }
    if reward is not None:
        rm, rtok = reward
        qs = [r["prompt"] for r, per in zip(run.prompts, run.generations, strict=True) for _ in per[:reward_per_prompt]]
        ans = [g.text for per in run.generations for g in per[:reward_per_prompt]]
        out["reward"] = float(reward_scores(rm, rtok, qs, ans).mean())
    return out


def with_costs(table: pd.DataFrame) -> pd.DataFrame:
    """Add ``wm_cost``: each point's mean log-perplexity minus that of the Base end (``a == 0``) of its pair."""
    base = table[table["a"] == 0.0].groupby("pair")["wm_log_ppl"].first()
    if set(table["pair"]) - set(base.index):
        raise ValueError("every pair needs its a = 0 (Base) point to compute costs")
    return table.assign(wm_cost=table["wm_log_ppl"] - table["pair"].map(base))

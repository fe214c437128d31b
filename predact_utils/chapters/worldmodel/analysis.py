"""Worse world models (the paper's Fig. 2A and 2B): perplexity of Base and aligned models on gold text.

Definitions used by the world-modeling chapter:

* A model's **perplexity** on a corpus is ``exp(sum NLL / sum tokens)`` over every
  scored token of every document (documents prefixed by BOS/EOS, sliding window;
  see :mod:`predact_utils.lm.scoring`). Both models of a pair score the same tokens:
  they share a tokenizer (checked when the pair is loaded).
* The **perplexity increase** of aligned over Base is reported as the difference
  of log-perplexities, ``Δ = log ppl_aligned − log ppl_base``, the mean extra
  negative log-likelihood per token in nats. It is additive over documents, so a
  paired bootstrap over documents gives its confidence interval, and ``exp(Δ)``
  is the perplexity ratio.
* Gold text reaches both models as raw text, without the chat template: the
  question is how well each predicts documents, not chats.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from predact_utils.lm.scoring import encode_documents
from predact_utils.runs.artifacts import cached_token_logprobs


@dataclass(frozen=True)
class DocScores:
    """Per-document negative log-likelihood sums (nats) and scored-token counts of one model on one corpus."""

    nll: np.ndarray
    tokens: np.ndarray

    @property
    def perplexity(self) -> float:
        return perplexity(self.nll, self.tokens)


def perplexity(nll: np.ndarray, tokens: np.ndarray) -> float:
    """``exp(sum nll / sum tokens)``: the token-weighted perplexity of a set of documents."""
    n = float(np.sum(tokens))
    if n <= 0:
        raise ValueError("no scored tokens: give at least one non-empty document")
    return math.exp(float(np.sum(nll)) / n)


def document_scores(lm: Any, texts: Sequence[str], window: int = 512, stride: int = 256,
                    progress: bool = False) -> DocScores:
    """Score gold documents with a loaded model (cached in the artifact cache)."""
    seqs = encode_documents(lm.tokenizer, texts)
    scores = cached_token_logprobs(lm, seqs, window=window, stride=stride, progress=progress)
    return DocScores(np.array([s.nll_sum for s in scores]), np.array([s.n_scored for s in scores]))


def paired_log_ppl_diff(a: DocScores, b: DocScores, n_boot: int = 2000, seed: int = 0) -> dict[str, float]:
    """``Δ = log ppl(a) − log ppl(b)`` on the same documents, with a percentile bootstrap 95% interval.

    Documents are resampled with replacement; each replicate recomputes both
    token-weighted log-perplexities on the same resampled documents.
    """
    if a.tokens.shape != b.tokens.shape or not np.array_equal(a.tokens, b.tokens):
        raise ValueError("the two models did not score the same tokens; they must share a tokenizer")
    d = a.nll - b.nll
    n = a.tokens.astype(np.float64)
    delta = float(d.sum() / n.sum())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    boots = d[idx].sum(axis=1) / n[idx].sum(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"delta": delta, "ci_low": float(lo), "ci_high": float(hi), "ratio": math.exp(delta)}


def comparison_rows(pair_label: dict[str, Any], corpus: str, category: str, base: DocScores,
                    aligned: DocScores, seed: int = 0) -> dict[str, Any]:
    """One row of the Fig. 2 table: both perplexities and the paired difference."""
    diff = paired_log_ppl_diff(aligned, base, seed=seed)
    return {**pair_label, "corpus": corpus, "category": category, "documents": int(base.tokens.size),
            "tokens": int(base.tokens.sum()), "base_ppl": base.perplexity, "aligned_ppl": aligned.perplexity,
            "delta_log_ppl": diff["delta"], "ci_low": diff["ci_low"], "ci_high": diff["ci_high"],
            "ppl_ratio": diff["ratio"]}


def pair_table(specs: Sequence[Any], scores: dict[tuple[str, str], DocScores], corpus_names: Sequence[str],
               category_of: Any, seed: int = 0) -> pd.DataFrame:
    """The Fig. 2 table: one row per pair × corpus, from scores keyed by (checkpoint location, corpus)."""
    rows = []
    for spec in specs:
        label = {"pair": spec.name, "family": spec.family, "size": spec.size, "method": spec.method}
        for c in corpus_names:
            rows.append(comparison_rows(label, c, category_of(c), scores[(spec.base_location(), c)],
                                        scores[(spec.aligned_location(), c)], seed=seed))
    return pd.DataFrame(rows)


def summary_by_category(table: pd.DataFrame) -> pd.DataFrame:
    """Mean Δ log-perplexity per pair and category, and the share of corpora where aligned is worse."""
    g = table.groupby(["pair", "category"], sort=False)
    return pd.DataFrame({"mean_delta_log_ppl": g["delta_log_ppl"].mean(),
                         "share_aligned_worse": g["delta_log_ppl"].apply(lambda s: float((s > 0).mean())),
                         "corpora": g.size()}).reset_index()

"""Distribution collapse and self-predictability: the statistics behind Figs. 3, 4, 5 and cross-model perplexity.

Everything here is a pure function of token ids and of the per-position
statistics that :func:`predact_utils.lm.scoring.token_logprobs` returns, so it is
tested on hand-made numbers without a model.

Definitions used by the collapse chapter:

* A **text set** is a list of token sequences with the position from which
  each is scored: gold documents (scored from their first token after BOS,
  cut to ``max_tokens``), or a model's own generations, scored on the
  generated tokens only, in the context the model generated them from (the
  prompt, chat-templated for aligned models, or the raw prefix). The stop
  token that ended a generation is not scored, so a generation's length and
  its perplexity count content tokens only.
* Per sequence, the **top-k mass** curve, the **count above a threshold** and
  the entropy are averaged over its scored positions; curves and means over a
  text set then weight every sequence equally, and their 95% bands are
  percentile bootstrap intervals over the independent unit: the sequences'
  groups (the prompt of a model's answers, the document of gold text), so the
  several answers to one prompt are resampled together.
* **Perplexity** of a text set is token-weighted,
  ``exp(sum NLL / sum tokens)``, with a bootstrap interval that resamples
  whole units (the prefix of several continuations; one sequence each when no
  units are given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predact_utils.bootstrap import cluster_mean_band
from predact_utils.lm.chat import encode_prompts
from predact_utils.lm.scoring import SequenceScores, encode_documents
from predact_utils.runs.generations import PromptRun

#: The paper's threshold and the range over which the chapter checks its conclusion.
THRESHOLDS: tuple[float, ...] = (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)


@dataclass
class TextSet:
    """Token sequences to score and the first scored position of each (see module doc)."""

    sequences: list[list[int]]
    score_from: list[int]
    source: str  # "gold", or the name of the model that generated the text
    groups: list[str]  # one label per sequence (prompt id, corpus or dataset)


@dataclass
class SequenceSummary:
    """Per-sequence summaries of one scorer on one text set (rows = sequences with at least one scored token)."""

    topk_mass: np.ndarray  # [n, K] mean over positions of the cumulative mass of the top k tokens
    n_above: np.ndarray  # [n, T] mean over positions of the number of tokens above each threshold
    entropy: np.ndarray  # [n] mean entropy (nats)
    nll: np.ndarray  # [n] summed negative log-likelihood of the scored tokens (nats)
    tokens: np.ndarray  # [n] number of scored tokens
    groups: list[str]
    thresholds: tuple[float, ...]
    dropped: int = 0  # sequences with no scored token (e.g. a generation that stopped at once)

    def __len__(self) -> int:
        return int(self.tokens.size)

    def select(self, mask: np.ndarray) -> SequenceSummary:
        """The rows where ``mask`` is true."""
        return SequenceSummary(self.topk_mass[mask], self.n_above[mask], self.entropy[mask], self.nll[mask],
                               self.tokens[mask], [g for g, m in zip(self.groups, mask, strict=True) if m],
                               self.thresholds, 0)

    def by_group(self, group: str) -> SequenceSummary:
        """The rows of one group (corpus, dataset or prompt)."""
        return self.select(np.array([g == group for g in self.groups], dtype=bool))


def generation_text_set(tokenizer: object, run: PromptRun, max_per_prompt: int | None = None) -> TextSet:
    """The generations of ``run`` in their generation context: ``context + generated tokens``, scored from the
    first generated token. ``max_per_prompt`` keeps the first samples of each prompt (all when ``None``)."""
    contexts = encode_prompts(tokenizer, [r["prompt"] for r in run.prompts], run.role)
    seqs, starts, groups = [], [], []
    for row, ctx, gens in zip(run.prompts, contexts, run.generations, strict=True):
        for g in gens[:max_per_prompt] if max_per_prompt else gens:
            seqs.append(list(ctx) + list(g.token_ids))
            starts.append(len(ctx))
            groups.append(str(row.get("dataset") or row.get("id")))
    return TextSet(seqs, starts, run.model, groups)


def gold_text_set(tokenizer: object, texts: Sequence[str], groups: Sequence[str], max_tokens: int) -> TextSet:
    """Gold documents, BOS/EOS-prefixed (:func:`encode_documents`), cut to ``max_tokens`` scored tokens."""
    if max_tokens < 1:
        raise ValueError(f"max_tokens must be >= 1, got {max_tokens}")
    if len(texts) != len(groups):
        raise ValueError(f"{len(texts)} texts but {len(groups)} group labels")
    seqs = [s[: max_tokens + 1] for s in encode_documents(tokenizer, texts)]
    return TextSet(seqs, [1] * len(seqs), "gold", list(groups))


def summarize(scores: Sequence[SequenceScores], groups: Sequence[str]) -> SequenceSummary:
    """Average each sequence's per-position statistics; sequences with no scored token are dropped.

    Scores without ``stats`` (scored for perplexity only) give empty ``topk_mass`` / ``n_above``
    columns and NaN entropies; a mix of both is an error.
    """
    if len(scores) != len(groups):
        raise ValueError(f"{len(scores)} scored sequences but {len(groups)} group labels")
    keep = [i for i, s in enumerate(scores) if s.n_scored > 0]
    if not keep:
        raise ValueError("no sequence has a scored token")
    with_stats = [scores[i].stats is not None for i in keep]
    if any(with_stats) and not all(with_stats):
        raise ValueError("some scores carry distribution statistics and some do not; score them alike")
    n = len(keep)
    if all(with_stats):
        st = [scores[i].stats for i in keep]
        topk = np.stack([s.topk_mass.mean(axis=0) for s in st]).astype(np.float64)
        above = np.stack([s.n_above.mean(axis=0) for s in st]).astype(np.float64)
        entropy = np.array([float(s.entropy.mean()) for s in st])
        thresholds = tuple(st[0].thresholds)
    else:
        topk, above, entropy, thresholds = np.zeros((n, 0)), np.zeros((n, 0)), np.full(n, np.nan), ()
    return SequenceSummary(
        topk_mass=topk, n_above=above, entropy=entropy,
        nll=np.array([scores[i].nll_sum for i in keep]),
        tokens=np.array([scores[i].n_scored for i in keep], dtype=np.int64),
        groups=[groups[i] for i in keep], thresholds=thresholds, dropped=len(scores) - n,
    )


def bootstrap_perplexity(nll: np.ndarray, tokens: np.ndarray, n_boot: int = 1000, seed: int = 0,
                         units: Sequence[str] | None = None) -> tuple[float, float, float]:
    """Token-weighted perplexity ``exp(sum nll / sum tokens)`` and a 95% interval resampling whole units
    (one label per sequence, e.g. its prefix; each sequence its own unit when ``units`` is None)."""
    nll, tok = np.asarray(nll, dtype=np.float64), np.asarray(tokens, dtype=np.float64)
    if tok.size == 0 or tok.sum() <= 0:
        raise ValueError("no scored tokens")
    if units is not None:
        if len(units) != tok.size:
            raise ValueError(f"{tok.size} sequences but {len(units)} unit labels")
        _, inverse = np.unique(np.asarray(units, dtype=str), return_inverse=True)
        nll, tok = np.bincount(inverse, weights=nll), np.bincount(inverse, weights=tok)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, tok.size, size=(n_boot, tok.size))
    boots = np.exp(nll[idx].sum(axis=1) / tok[idx].sum(axis=1))
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return float(np.exp(nll.sum() / tok.sum())), float(lo), float(hi)


def topk_curves(summaries: dict[tuple[str, str, str], SequenceSummary], seed: int = 0) -> pd.DataFrame:
    """Fig. 3 data: one row per (pair, model, text, k) with the mean top-k mass and its 95% band (resampling
    the summaries' groups: prompts, documents)."""
    rows = []
    for (pair, model, text), s in summaries.items():
        mean, lo, hi = cluster_mean_band(s.topk_mass, s.groups, seed=seed)
        for k in range(mean.size):
            rows.append({"pair": pair, "model": model, "text": text, "k": k + 1, "mass": mean[k],
                         "lo": lo[k], "hi": hi[k], "sequences": len(s)})
    return pd.DataFrame(rows)


def above_table(summaries: dict[tuple[str, str, str], SequenceSummary], seed: int = 0) -> pd.DataFrame:
    """Fig. 4 data: one row per (pair, model, text, threshold): mean count of tokens above it, 95% band
    (resampling the summaries' groups: prompts, documents)."""
    rows = []
    for (pair, model, text), s in summaries.items():
        mean, lo, hi = cluster_mean_band(s.n_above, s.groups, seed=seed)
        for j, t in enumerate(s.thresholds):
            rows.append({"pair": pair, "model": model, "text": text, "threshold": t, "n_above": mean[j],
                         "lo": lo[j], "hi": hi[j], "sequences": len(s)})
    return pd.DataFrame(rows)


def at_threshold(table: pd.DataFrame, threshold: float) -> pd.DataFrame:
    """Rows of an :func:`above_table` for one threshold (relative match: thresholds are tiny numbers)."""
    rows = table[np.isclose(table["threshold"], threshold, rtol=1e-6, atol=0.0)]
    if rows.empty:
        raise ValueError(f"threshold {threshold:g} was not computed; computed: {sorted(set(table['threshold']))}")
    return rows


def ratio_by_threshold(table: pd.DataFrame) -> pd.DataFrame:
    """Fig. 4 robustness: aligned / Base mean count per (pair, text, threshold), wide by threshold."""
    wide = table.pivot_table(index=["pair", "text", "threshold"], columns="model", values="n_above")
    if not {"base", "aligned"} <= set(wide.columns):
        raise ValueError("the table needs rows for both model='base' and model='aligned'")
    out = (wide["aligned"] / wide["base"]).rename("aligned_over_base").reset_index()
    return out.pivot_table(index=["pair", "text"], columns="threshold", values="aligned_over_base")


def perplexity_rows(summary: SequenceSummary, labels: dict[str, str], seed: int = 0,
                    units: Sequence[str] | None = None) -> list[dict[str, object]]:
    """Fig. 5 / cross-model rows: token-weighted perplexity with a 95% interval, per group of ``summary``;
    ``units`` (one label per row of ``summary``, e.g. the prefix) are what the interval resamples."""
    if units is not None and len(units) != len(summary):
        raise ValueError(f"{len(summary)} summarized sequences but {len(units)} unit labels")
    rows = []
    for g in dict.fromkeys(summary.groups):
        mask = np.array([x == g for x in summary.groups], dtype=bool)
        s = summary.select(mask)
        mine = None if units is None else [u for u, m in zip(units, mask, strict=True) if m]
        ppl, lo, hi = bootstrap_perplexity(s.nll, s.tokens, seed=seed, units=mine)
        rows.append({**labels, "dataset": g, "ppl": ppl, "lo": lo, "hi": hi, "sequences": len(s),
                     "units": len(set(mine)) if mine is not None else len(s), "tokens": int(s.tokens.sum())})
    return rows


def cross_matrix(table: pd.DataFrame, dataset: str | None = None) -> pd.DataFrame:
    """The 2x2 matrix scorer x generator of perplexities, for one dataset, or the geometric mean over datasets."""
    sub = table if dataset is None else table[table["dataset"] == dataset]
    if sub.empty:
        raise ValueError(f"no cross-model rows for dataset {dataset!r}")
    m = sub.assign(log_ppl=np.log(sub["ppl"])).pivot_table(index="scorer", columns="generator", values="log_ppl",
                                                            aggfunc="mean")
    return np.exp(m).reindex(index=["base", "aligned"], columns=["base", "aligned"])

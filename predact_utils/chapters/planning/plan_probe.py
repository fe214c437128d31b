"""The sequence-level plan probe (book section: Planning ahead in hidden states).

Sequence-level plan probe (:func:`plan_probe`). The state after the prompt, before
the first generated token, is the same for every generation of that prompt, so
what it can predict about one generation is the *share* of the prompt's
generations that contain a span. A ridge probe, fitted across prompts, maps the
state to the share of generations containing each token of the spans'
vocabulary; a span's score is the mean predicted share of its tokens. On
held-out prompts (cross-validated by prompt) the score must rank the prompt's
spans (present in at least ``min_share`` of its generations) above spans of the
other prompts that it does not use: the ROC AUC per prompt, against 0.5 for
chance and against the same score computed from the training prompts' average
shares alone (no state).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from predact_utils.chapters.anchors.ngrams import ngram_document_counts
from predact_utils.chapters.planning.probing import bootstrap_weights


def _ngram_set(ids: Sequence[int], n: int) -> set[tuple[int, ...]]:
    return {tuple(int(x) for x in ids[i:i + n]) for i in range(len(ids) - n + 1)}


def span_containment(generations: Sequence[Sequence[int]], spans: Sequence[tuple[int, ...]]) -> np.ndarray:
    """``[len(generations), len(spans)]`` booleans: generation ``g`` contains span ``s`` verbatim."""
    out = np.zeros((len(generations), len(spans)), dtype=bool)
    by_len: dict[int, list[int]] = {}
    for j, s in enumerate(spans):
        if len(s) == 0:
            raise ValueError(f"span {j} is empty; give spans of at least one token")
        by_len.setdefault(len(s), []).append(j)
    for g, ids in enumerate(generations):
        for n, js in by_len.items():
            grams = _ngram_set(ids, n)
            for j in js:
                out[g, j] = tuple(int(x) for x in spans[j]) in grams
    return out


def anchor_plan_spans(columns: np.ndarray, generations: Sequence[Sequence[int]], *, threshold: float = 0.5,
                      min_tokens: int = 2, min_share: float = 0.2, max_share: float = 0.8,
                      max_spans: int = 20) -> list[tuple[int, ...]]:
    """Plan targets from the anchor-span section: a prompt's anchor spans in its generations' alignment.

    ``columns`` is the prompt's alignment (``[generations, columns]`` token ids, ``GAP`` for gaps,
    rows in the order of ``generations``). The anchor spans at ``threshold`` with at least
    ``min_tokens`` tokens are kept when the share of generations that contain the span's tokens
    verbatim (contiguously) lies in ``min_share``..``max_share``: a span that every generation
    contains leaves nothing to foretell. The most widespread first (ties by token ids), at most
    ``max_spans``.
    """
    from predact_utils.chapters.anchors.analysis import anchor_spans

    if len(columns) != len(generations):
        raise ValueError(f"the alignment has {len(columns)} rows for {len(generations)} generations; "
                         "align exactly the generations given, in the same order")
    cands = sorted({sp.tokens for sp in anchor_spans(np.asarray(columns), threshold) if sp.length >= min_tokens})
    if not cands:
        return []
    share = span_containment(generations, cands).mean(0)
    keep = [(float(sh), t) for sh, t in zip(share, cands, strict=True) if min_share <= sh <= max_share]
    keep.sort(key=lambda st: (-st[0], st[1]))
    return [t for _, t in keep[:max_spans]]


def frequent_ngram_spans(generations: Sequence[Sequence[int]], *, n: int = 4, min_share: float = 0.2,
                         max_share: float = 0.8, max_spans: int = 20) -> list[tuple[int, ...]]:
    """Alignment-free plan targets: the ``n``-grams present in ``min_share``..``max_share`` of the generations.

    The most widespread first (ties by token ids), at most ``max_spans``. The book uses the anchor
    spans of :func:`anchor_plan_spans` by default (``plan_spans="anchor"``); these need no MAFFT.
    """
    counts = ngram_document_counts(generations, n)
    G = max(len(generations), 1)
    keep = [(c, gram) for gram, c in counts.items() if min_share <= c / G <= max_share]
    keep.sort(key=lambda cg: (-cg[0], cg[1]))
    return [gram for _, gram in keep[:max_spans]]


def _auc(scores: np.ndarray, positive: np.ndarray) -> float:
    """ROC AUC (ties count half); NaN when one class is empty."""
    pos, neg = scores[positive], scores[~positive]
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    diff = pos[:, None] - neg[None, :]
    return float(((diff > 0).sum() + 0.5 * (diff == 0).sum()) / diff.size)


@dataclass
class PlanProbeResult:
    """Per held-out prompt: AUC of the state probe and of the no-state prior; and their mean with CIs."""

    per_prompt: pd.DataFrame
    summary: dict[str, float]


def plan_probe(prompt_states: np.ndarray, spans: Sequence[Sequence[tuple[int, ...]]],
               generations: Sequence[Sequence[Sequence[int]]], *, min_share: float = 0.2, n_folds: int = 5,
               n_boot: int = 1000, seed: int = 0) -> PlanProbeResult:
    """Sequence-level plan probe: from the state after prompt ``p`` (``prompt_states[p]``, ``[d]``), rank spans.

    ``spans[p]`` are prompt ``p``'s target spans (tuples of token ids), ``generations[p]`` its
    generations (token ids); containment is computed here. Prompts are split into ``n_folds``
    folds; each fold's prompts are scored by a ridge probe (``RidgeCV``, penalty chosen on the
    training prompts only) fitted on the other folds.
    """
    from sklearn.linear_model import RidgeCV

    P = len(prompt_states)
    if not (len(spans) == len(generations) == P) or P < 3:
        raise ValueError("give one state, span list and generation list per prompt, for at least 3 prompts")
    candidates = sorted({tuple(int(x) for x in s) for per in spans for s in per})
    if not candidates:
        raise ValueError("no spans to probe; lower min_share or give longer generations")
    vocab = np.array(sorted({t for s in candidates for t in s}), dtype=np.int64)
    col = {int(t): i for i, t in enumerate(vocab)}
    token_share = np.zeros((P, len(vocab)))
    for p, gens in enumerate(generations):
        for ids in gens:
            for t in set(int(x) for x in ids) & col.keys():
                token_share[p, col[t]] += 1
        token_share[p] /= max(len(gens), 1)
    span_cols = [np.array([col[t] for t in set(s)]) for s in candidates]
    X = np.asarray(prompt_states, dtype=np.float64)
    folds = np.random.default_rng(seed).permutation(P) % min(n_folds, P)
    rows = []
    for f in np.unique(folds):
        tr, te = np.flatnonzero(folds != f), np.flatnonzero(folds == f)
        mu, sd = X[tr].mean(0), X[tr].std(0) + 1e-6
        model = RidgeCV(alphas=np.logspace(-2, 4, 13)).fit((X[tr] - mu) / sd, token_share[tr])
        pred = model.predict((X[te] - mu) / sd)
        prior = token_share[tr].mean(0)
        for r, p in enumerate(te):
            share = span_containment(generations[p], candidates).mean(0)
            positive = share >= min_share
            negative = share == 0
            use = positive | negative
            probe_s = np.array([pred[r, c].mean() for c in span_cols])
            prior_s = np.array([prior[c].mean() for c in span_cols])
            rows.append({"prompt": int(p), "n_positive": int(positive.sum()), "n_negative": int(negative.sum()),
                         "auc_probe": _auc(probe_s[use], positive[use]), "auc_prior": _auc(prior_s[use], positive[use])})
    table = pd.DataFrame(rows).sort_values("prompt", ignore_index=True)
    ok = table.dropna()
    summary: dict[str, float] = {"prompts": float(len(ok)), "candidates": float(len(candidates))}
    if len(ok):
        w = bootstrap_weights(len(ok), n_boot, seed)
        for name in ("auc_probe", "auc_prior"):
            v = ok[name].to_numpy()
            b = (w @ v) / len(ok)
            summary[name], summary[f"{name}_lo"], summary[f"{name}_hi"] = (
                float(v.mean()), float(np.quantile(b, 0.025)), float(np.quantile(b, 0.975)))
        d = ok["auc_probe"].to_numpy() - ok["auc_prior"].to_numpy()
        b = (w @ d) / len(ok)
        summary["auc_gain"], summary["auc_gain_lo"], summary["auc_gain_hi"] = (
            float(d.mean()), float(np.quantile(b, 0.025)), float(np.quantile(b, 0.975)))
    return PlanProbeResult(table, summary)

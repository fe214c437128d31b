"""Anchor spans by n-grams (section "Implicit blueprints and anchor spans", the paper's n-gram analysis).

For the generations of one prompt, an n-gram is a run of ``n`` consecutive
token ids inside one generation. Its *coverage* is the share of the prompt's
generations that contain it at least once (document frequency divided by the
number of generations, empty and short generations included in the
denominator). The *most common n-gram* of a prompt is the one with the highest
coverage (ties: the smallest token-id tuple, so the choice is deterministic).

* :func:`coverage_curve`: coverage of the most common n-gram for n = 1..N.
  The paper reports, for RLHF models, about 60% at n = 10 and about 25% at
  n = 25, averaged over prompts.
* :func:`longest_shared_ngrams`: the largest n for which some n-gram is
  contained in at least ``min_share`` of the generations, and those n-grams.
  Coverage of the most common n-gram never increases with n (every generation
  containing an (n+1)-gram contains its n-gram prefix), so a binary search
  over n finds it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: The paper's reported values for RLHF models (n, share of generations containing the most common n-gram).
PAPER_REPORTED: tuple[tuple[int, float], ...] = ((10, 0.60), (25, 0.25))


def ngram_document_counts(sequences: Sequence[Sequence[int]], n: int) -> Counter[tuple[int, ...]]:
    """For every n-gram, the number of sequences that contain it at least once."""
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}")
    counts: Counter[tuple[int, ...]] = Counter()
    for s in sequences:
        s = tuple(int(t) for t in s)
        counts.update({s[i:i + n] for i in range(len(s) - n + 1)})
    return counts


def most_common_ngram(sequences: Sequence[Sequence[int]], n: int) -> tuple[tuple[int, ...] | None, float]:
    """The most common n-gram of ``sequences`` and its coverage; ``(None, 0.0)`` when no sequence has n tokens."""
    if not sequences:
        raise ValueError("no sequences")
    counts = ngram_document_counts(sequences, n)
    if not counts:
        return None, 0.0
    best = min(counts, key=lambda g: (-counts[g], g))
    return best, counts[best] / len(sequences)


def coverage_curve(sequences: Sequence[Sequence[int]], max_n: int = 32) -> np.ndarray:
    """Coverage of the most common n-gram for n = 1..max_n (index n - 1).

    The same values as :func:`most_common_ngram` for each n, computed for all n at once on integer arrays:
    an n-gram is its (n-1)-gram prefix followed by one token, so ranking the pairs (prefix rank, token rank)
    with one :func:`numpy.unique` ranks the distinct n-grams without hashing any tuple. An n-gram in two
    sequences has a prefix in two sequences, so only occurrences whose prefix is shared are carried to the
    next n; once no n-gram is shared, the coverage is one sequence's share for every n up to the longest
    sequence. ``tests/test_ngrams.py`` checks it against :func:`most_common_ngram` on random and crafted sets;
    ``benchmarks/bench_ngrams.py`` times the two.
    """
    if not sequences:
        raise ValueError("no sequences")
    lengths = np.array([len(s) for s in sequences], dtype=np.int64)
    out = np.zeros(max_n)
    out[:min(max_n, int(lengths.max()))] = 1.0 / len(sequences)  # some sequence holds an n-gram
    if lengths.sum() == 0:
        return out
    tokens = np.concatenate([np.asarray(s, dtype=np.int64).reshape(-1) for s in sequences if len(s)])
    doc = np.repeat(np.arange(len(sequences), dtype=np.int64), lengths)
    remaining = np.repeat(np.cumsum(lengths), lengths) - np.arange(len(tokens), dtype=np.int64)
    token_values, token_rank = np.unique(tokens, return_inverse=True)
    n_tokens = len(token_values)
    starts = np.arange(len(tokens), dtype=np.int64)  # where the carried occurrences start
    rank = token_rank.reshape(-1).astype(np.int64)  # their n-gram's rank among the carried n-grams
    n_ranks = n_tokens
    for n in range(1, max_n + 1):
        if n > 1:
            fits = remaining[starts] >= n
            starts = starts[fits]
            if not len(starts):
                break
            pairs = rank[fits] * n_tokens + token_rank[starts + n - 1]
            uniq, rank = np.unique(pairs, return_inverse=True)
            rank = rank.reshape(-1)
            n_ranks = len(uniq)
        frequency = np.bincount(np.unique(doc[starts] * n_ranks + rank) % n_ranks, minlength=n_ranks)
        best = int(frequency.max())
        if best < 2:
            break
        out[n - 1] = best / len(sequences)
        shared = frequency[rank] >= 2
        starts, rank = starts[shared], rank[shared]
    return out


@dataclass(frozen=True)
class SharedNgram:
    """An n-gram contained in a share of a prompt's generations."""

    tokens: tuple[int, ...]
    count: int
    share: float

    @property
    def n(self) -> int:
        return len(self.tokens)


def _shared_at(sequences: Sequence[Sequence[int]], n: int, need: int) -> list[SharedNgram]:
    counts = ngram_document_counts(sequences, n)
    hits = [g for g, c in counts.items() if c >= need]
    hits.sort(key=lambda g: (-counts[g], g))
    return [SharedNgram(g, counts[g], counts[g] / len(sequences)) for g in hits]


def longest_shared_ngrams(sequences: Sequence[Sequence[int]], min_share: float = 0.2,
                          limit: int = 5) -> list[SharedNgram]:
    """The longest n-grams contained in at least ``min_share`` of the generations (up to ``limit``, most shared first)."""
    if not 0 < min_share <= 1:
        raise ValueError(f"min_share must be in (0, 1], got {min_share}")
    if not sequences:
        return []
    need = max(1, int(np.ceil(min_share * len(sequences) - 1e-9)))
    lo, hi = 0, max(len(s) for s in sequences)  # invariant: some lo-gram qualifies (lo = 0 trivially)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _shared_at(sequences, mid, need):
            lo = mid
        else:
            hi = mid - 1
    return _shared_at(sequences, lo, need)[:limit] if lo else []


def coverage_table(runs: dict[str, Sequence[Sequence[Sequence[int]]]], prompt_ids: Sequence[str],
                   max_n: int = 32) -> pd.DataFrame:
    """Long table (model, prompt, n, coverage) of :func:`coverage_curve` for each model's prompts.

    ``runs[model][i]`` are the generations (token-id lists) of prompt ``prompt_ids[i]``.
    """
    rows = []
    for model, per_prompt in runs.items():
        if len(per_prompt) != len(prompt_ids):
            raise ValueError(f"{model}: {len(per_prompt)} prompts of generations for {len(prompt_ids)} prompt ids")
        for pid, seqs in zip(prompt_ids, per_prompt, strict=True):
            for n, c in enumerate(coverage_curve(seqs, max_n), start=1):
                rows.append({"model": model, "prompt": pid, "n": n, "coverage": float(c)})
    return pd.DataFrame(rows)

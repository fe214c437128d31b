"""An interpolated bigram baseline for the miniature Base LMs' sanity check (miniature family section).

``p(b | a) = lam * c(a, b) / c(a) + (1 - lam) * p_uni(b)`` with an add-one
unigram ``p_uni(b) = (c(b) + 1) / (N + V)``; when ``a`` was never seen, the
bigram term is dropped (``p = p_uni(b)``). A document's first token is scored
by the unigram alone. Counts are kept sparse (``a * V + b`` codes), so the
8k-vocabulary model fits in a few MB.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np


class BigramLM:
    """Counts from token streams; scores sequences with the interpolated probability above."""

    def __init__(self, vocab_size: int, lam: float = 0.8) -> None:
        if not 0.0 <= lam < 1.0:
            raise ValueError(f"lam must be in [0, 1), got {lam}")
        self.V = int(vocab_size)
        self.lam = lam
        self.unigram = np.zeros(self.V, dtype=np.int64)
        self.codes = np.zeros(0, dtype=np.int64)
        self.counts = np.zeros(0, dtype=np.int64)

    def fit(self, sequences: Iterable[Sequence[int]]) -> BigramLM:
        """Count unigrams and within-sequence bigrams of every sequence."""
        uni = np.zeros(self.V, dtype=np.int64)
        codes = []
        for seq in sequences:
            a = np.asarray(seq, dtype=np.int64)
            if a.size == 0:
                continue
            if a.min() < 0 or a.max() >= self.V:
                raise ValueError(f"token ids must lie in [0, {self.V}); got {a.min()}..{a.max()}")
            uni += np.bincount(a, minlength=self.V)
            if a.size > 1:
                codes.append(a[:-1] * self.V + a[1:])
        self.unigram = uni
        if codes:
            self.codes, self.counts = np.unique(np.concatenate(codes), return_counts=True)
        self._context = np.bincount(self.codes // self.V, weights=self.counts, minlength=self.V) if codes else \
            np.zeros(self.V)
        return self

    def unigram_prob(self, b: np.ndarray) -> np.ndarray:
        """Add-one unigram probability of tokens ``b``."""
        return (self.unigram[b] + 1.0) / (self.unigram.sum() + self.V)

    def logprobs(self, seq: Sequence[int]) -> np.ndarray:
        """Natural-log probability of every token of ``seq`` (the first one by the unigram)."""
        s = np.asarray(seq, dtype=np.int64)
        out = np.log(self.unigram_prob(s))
        if s.size < 2:
            return out
        a, b = s[:-1], s[1:]
        idx = np.searchsorted(self.codes, a * self.V + b)
        idx = np.clip(idx, 0, max(0, self.codes.size - 1))
        found = (self.codes.size > 0) & (self.codes[idx] == a * self.V + b) if self.codes.size else np.zeros_like(a, bool)
        cab = np.where(found, self.counts[idx] if self.codes.size else 0, 0).astype(np.float64)
        ca = self._context[a]
        p_uni = self.unigram_prob(b)
        p = np.where(ca > 0, self.lam * cab / np.maximum(ca, 1) + (1 - self.lam) * p_uni, p_uni)
        out[1:] = np.log(p)
        return out

    def perplexity(self, sequences: Iterable[Sequence[int]]) -> float:
        """exp of the mean negative log-probability over every token of every sequence."""
        total, n = 0.0, 0
        for seq in sequences:
            lp = self.logprobs(seq)
            total -= float(lp.sum())
            n += lp.size
        if n == 0:
            raise ValueError("no tokens to score")
        return math.exp(total / n)

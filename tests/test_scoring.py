"""Per-token log-probabilities and perplexity against hand computations."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.scoring import (
    encode_documents,
    perplexity,
    plan_windows,
    sequence_perplexities,
    token_logprobs,
)

# p(next | previous) of a 3-token bigram "model": rows = previous token
BIGRAM = np.array([[0.5, 0.25, 0.25], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]])


class BigramLM(torch.nn.Module):
    """A causal LM whose next-token distribution is BIGRAM[previous token]: log-probs known by hand."""

    def __init__(self) -> None:
        super().__init__()
        self.emb = torch.nn.Embedding(3, 3)
        self.emb.weight.data = torch.log(torch.tensor(BIGRAM, dtype=torch.float32)) + 1.7  # logits, unnormalised
        self.config = SimpleNamespace(max_position_embeddings=64)

    def get_input_embeddings(self):
        return self.emb

    def forward(self, input_ids, attention_mask=None, position_ids=None, logits_to_keep=0, use_cache=False):
        logits = self.emb(input_ids)
        return SimpleNamespace(logits=logits[:, -logits_to_keep:] if logits_to_keep else logits)


def test_bigram_logprobs_and_perplexity_by_hand():
    seq = [0, 1, 1, 2, 2, 0, 1]
    hand = [math.log(BIGRAM[a, b]) for a, b in zip(seq, seq[1:], strict=False)]
    for window, stride in [(64, 32), (3, 1), (2, 2), (1, 1)]:  # context-free model: windows must not matter
        (sc,) = token_logprobs(BigramLM(), [seq], window=window, stride=stride, progress=False)
        assert np.isnan(sc.logprobs[0])
        np.testing.assert_allclose(sc.logprobs[1:], hand, rtol=1e-6)
    ppl = perplexity([sc])
    assert ppl == pytest.approx(math.exp(-sum(hand) / len(hand)), rel=1e-6)
    # exp(mean NLL) over the scored tokens of several sequences together, not a mean of perplexities
    scores = token_logprobs(BigramLM(), [seq, [2, 2]], progress=False)
    both = hand + [math.log(0.6)]
    assert perplexity(scores) == pytest.approx(math.exp(-sum(both) / 7), rel=1e-6)
    np.testing.assert_allclose(sequence_perplexities(scores), [ppl, 1 / 0.6], rtol=1e-6)


def test_batches_compute_the_head_only_where_windows_score():
    """Three documents of 40 tokens, window 16, stride 8: each has windows with 16, 8, 8 and 7 targets,
    all of 16 input tokens. Batches of 64 tokens (4 windows) sorted by targets keep the last 8, 8 and 16
    positions: 4 * 8 + 4 * 8 + 4 * 16 = 128 language-model rows for 117 scored tokens (grouped by
    document instead, every batch would need 16: 192). The log-probabilities are those of one window
    per batch."""
    calls: list[tuple[int, int]] = []

    class Recording(BigramLM):
        def forward(self, input_ids, **kw):
            calls.append((input_ids.shape[0], kw["logits_to_keep"]))
            return super().forward(input_ids, **kw)

    g = np.random.default_rng(0)
    seqs = [g.integers(0, 3, 40).tolist() for _ in range(3)]
    batched = token_logprobs(Recording(), seqs, window=16, stride=8, batch_tokens=64, progress=False)
    assert sum(n * keep for n, keep in calls) == 128 and sum(s.n_scored for s in batched) == 117
    single = token_logprobs(BigramLM(), seqs, window=16, stride=8, batch_tokens=16, progress=False)
    for a, b in zip(batched, single, strict=True):
        np.testing.assert_array_equal(a.logprobs, b.logprobs)


def test_score_from_skips_the_prompt():
    seq = [0, 1, 1, 2, 2, 0, 1]
    (sc,) = token_logprobs(BigramLM(), [seq], score_from=4, progress=False)
    assert sc.n_scored == 3 and np.isnan(sc.logprobs[:4]).all()
    assert sc.nll_sum == pytest.approx(-sum(math.log(BIGRAM[a, b]) for a, b in zip(seq[3:], seq[4:], strict=False)), rel=1e-6)
    with pytest.raises(ValueError, match="no scored tokens"):
        perplexity(token_logprobs(BigramLM(), [[1]], progress=False))


def _manual(model, seq, window, stride):
    """log p(x_i | x_c..x_{i-1}) by one explicit forward + log_softmax per window."""
    out = np.full(len(seq), np.nan)
    for a, b, f in plan_windows(len(seq), 1, window, stride):
        with torch.no_grad():
            lp = torch.log_softmax(model(torch.tensor([seq[a : b - 1]])).logits[0].double(), -1)
        for i in range(f, b):
            out[i] = lp[i - 1 - a, seq[i]].item()
    return out


def test_llama_matches_explicit_log_softmax_and_sliding_equals_full(tiny_model):
    g = torch.Generator().manual_seed(0)
    seqs = [torch.randint(0, 300, (n,), generator=g).tolist() for n in (40, 17, 33, 2)]
    full = token_logprobs(tiny_model, seqs, window=64, stride=7, progress=False)
    for sc, seq in zip(full, seqs, strict=True):
        with torch.no_grad():
            lp = torch.log_softmax(tiny_model(torch.tensor([seq])).logits[0].double(), -1)
        hand = [lp[i - 1, seq[i]].item() for i in range(1, len(seq))]
        np.testing.assert_allclose(sc.logprobs[1:], hand, atol=2e-5)
    # a window covering each document gives the full-context perplexity whatever the stride
    for stride in (1, 13, 39):
        same = token_logprobs(tiny_model, seqs, window=39, stride=stride, batch_tokens=50, progress=False)
        assert perplexity(same) == pytest.approx(perplexity(full), rel=1e-5)
    # a shorter window: each token scored once, with the context the window plan promises (batched + padded)
    short = token_logprobs(tiny_model, seqs, window=8, stride=3, batch_tokens=40, progress=False)
    for sc, seq in zip(short, seqs, strict=True):
        np.testing.assert_allclose(sc.logprobs, _manual(tiny_model, seq, 8, 3), atol=2e-5)


def test_window_plan_scores_each_token_once_with_enough_context():
    for length, window, stride, start in [(100, 16, 5, 1), (100, 16, 16, 1), (50, 8, 1, 30), (9, 8, 4, 1)]:
        targets = []
        for a, b, f in plan_windows(length, start, window, stride):
            assert b - 1 - a <= window and a < f
            for i in range(f, b):
                targets.append(i)
                if a > 0:
                    assert i - a >= window - stride + 1
        assert targets == list(range(start, length))
    with pytest.raises(ValueError):
        plan_windows(10, 1, 4, 5)


def test_stats_rows_follow_scored_tokens(tiny_model):
    seq = torch.randint(0, 300, (30,), generator=torch.Generator().manual_seed(1)).tolist()
    (sc,) = token_logprobs(tiny_model, [seq], window=10, stride=4, stats=DistStatsConfig(top_k=3), progress=False)
    assert len(sc.stats) == sc.n_scored == 29
    with torch.no_grad():
        lp = torch.log_softmax(tiny_model(torch.tensor([seq])).logits[0], -1)
    i = 5  # position 5's context in the window plan is the full prefix (5 < window)
    rank = int((lp[i - 1] > lp[i - 1, seq[i]]).sum()) + 1
    assert sc.stats.rank[i - 1] == rank
    np.testing.assert_allclose(sc.stats.topk_mass[i - 1, 0], lp[i - 1].exp().max().item(), rtol=1e-5)


def test_encode_documents_prefixes_eos(tiny_tokenizer):
    (ids,) = encode_documents(tiny_tokenizer, ["The quick brown fox"])
    assert ids[0] == tiny_tokenizer.eos_token_id
    assert ids[1:] == tiny_tokenizer("The quick brown fox", add_special_tokens=False)["input_ids"]

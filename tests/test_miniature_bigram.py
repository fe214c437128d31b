"""The bigram baseline against probabilities worked out by hand (predact_utils.miniature.bigram)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predact_utils.miniature.bigram import BigramLM


def test_hand_computed_probabilities() -> None:
    # vocabulary {0,1,2}; one sequence 0 1 0 1 2
    lm = BigramLM(vocab_size=3, lam=0.5).fit([[0, 1, 0, 1, 2]])
    # unigram counts: c0=2, c1=2, c2=1, N=5 -> add-one: (c+1)/(5+3)
    assert lm.unigram_prob(np.array([0, 1, 2])).tolist() == [3 / 8, 3 / 8, 2 / 8]
    lp = lm.logprobs([0, 1, 2])
    # first token: unigram 3/8
    assert lp[0] == pytest.approx(math.log(3 / 8))
    # p(1|0): c(0,1)=2, c(0)=2 as a context -> 0.5*1 + 0.5*3/8
    assert lp[1] == pytest.approx(math.log(0.5 * 1.0 + 0.5 * 3 / 8))
    # p(2|1): c(1,2)=1, c(1 as context)=2 -> 0.5*0.5 + 0.5*2/8
    assert lp[2] == pytest.approx(math.log(0.5 * 0.5 + 0.5 * 2 / 8))


def test_unseen_context_falls_back_to_unigram() -> None:
    lm = BigramLM(vocab_size=4, lam=0.9).fit([[0, 1]])
    # token 3 never appears as a context
    assert lm.logprobs([3, 0])[1] == pytest.approx(math.log(lm.unigram_prob(np.array([0]))[0]))


def test_perplexity_is_exp_mean_nll() -> None:
    lm = BigramLM(vocab_size=3, lam=0.5).fit([[0, 1, 0, 1, 2]])
    seqs = [[0, 1, 2], [1, 0]]
    lps = np.concatenate([lm.logprobs(s) for s in seqs])
    assert lm.perplexity(seqs) == pytest.approx(math.exp(-lps.mean()))


def test_probabilities_sum_to_one_over_the_vocabulary() -> None:
    lm = BigramLM(vocab_size=5, lam=0.7).fit([[0, 1, 2, 1, 0, 4, 4, 1]])
    for a in range(5):
        total = sum(math.exp(lm.logprobs([a, b])[1]) for b in range(5))
        assert total == pytest.approx(1.0)


def test_bad_ids_are_refused() -> None:
    with pytest.raises(ValueError, match="token ids must lie in"):
        BigramLM(vocab_size=3).fit([[0, 3]])

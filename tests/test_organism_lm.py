"""The organism's Base learns its world: the exact KL falls from the untrained model's towards zero."""

from __future__ import annotations

import numpy as np
import pytest

from predact_utils.organism.lm import BaseBudget, bos_token, make_model, next_token_logprobs, pretrain
from predact_utils.organism.measure import kl_to_world
from predact_utils.organism.world import random_world


@pytest.mark.slow
def test_training_brings_the_model_close_to_the_world() -> None:
    w = random_world(n_topics=2, states=3, vocab=8, seed=2, end_prob=0.1)
    n_tokens = w.vocab + 1
    budget = BaseBudget(layers=1, hidden=32, heads=2, steps=150, batch=16, lr=1e-2, max_len=40)
    train, test = w.sample(800, seed=0, max_len=40), w.sample(40, seed=1, max_len=40)
    model = make_model(n_tokens, budget, seed=0)
    before = kl_to_world(w, test, [t[:, :n_tokens] for t in next_token_logprobs(model, test, bos_token(n_tokens))])
    losses = pretrain(model, train, budget, seed=0, bos=bos_token(n_tokens))
    after = kl_to_world(w, test, [t[:, :n_tokens] for t in next_token_logprobs(model, test, bos_token(n_tokens))])
    assert np.mean(losses[-20:]) < np.mean(losses[:20])
    assert after[2] < before[1]  # intervals over documents do not overlap
    assert after[0] < 0.25 * before[0]


def test_a_bad_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of heads"):
        BaseBudget(hidden=30, heads=4)
    with pytest.raises(ValueError, match="must be positive"):
        BaseBudget(steps=0)


@pytest.mark.slow
def test_sft_on_demonstrations_raises_the_programmatic_reward() -> None:
    from predact_utils.organism.lm import finetune, sample_answers
    from predact_utils.organism.task import Task

    w = random_world(n_topics=2, states=3, vocab=8, seed=2, end_prob=0.1)
    task = Task(w, min_words=3, max_words=30)
    n_tokens, bos = task.n_tokens, bos_token(task.n_tokens)
    budget = BaseBudget(layers=1, hidden=32, heads=2, steps=150, batch=16, lr=1e-2, max_len=40)
    model = make_model(n_tokens, budget, seed=0)
    pretrain(model, w.sample(800, seed=0, max_len=40), budget, seed=0, bos=bos)
    topics = [k % 2 for k in range(40)]
    prompts = [[task.request_token(k)] for k in topics]

    def mean_reward() -> float:
        answers = sample_answers(model, prompts, bos, max_new=31, seed=3, n_tokens=n_tokens)
        return float(np.mean([task.reward(k, a) for k, a in zip(topics, answers, strict=True)]))

    base = mean_reward()
    demos = [([task.request_token(k)], doc) for k, doc in task.demonstrations(400, seed=1)]
    finetune(model, demos, BaseBudget(layers=1, hidden=32, heads=2, steps=100, batch=16, lr=3e-3, max_len=40),
             seed=0, bos=bos)
    assert mean_reward() > base + 0.1  # the Base ignores the (unseen) request; SFT follows it


def test_a_rows_sample_does_not_depend_on_the_other_rows() -> None:
    from predact_utils.organism.lm import sample_answers

    w = random_world(n_topics=2, states=3, vocab=8, seed=2, end_prob=0.1)
    n_tokens = w.vocab + 1
    model = make_model(n_tokens, BaseBudget(layers=1, hidden=32, heads=2), seed=0).eval()
    prompts = [[1], [2, 3], [1], [4]]
    together = sample_answers(model, prompts, bos_token(n_tokens), max_new=12, seed=5, n_tokens=n_tokens)
    # row 2 alone must draw what it drew beside the others: the generator is seeded by (seed, row index)
    alone = [sample_answers(model, [p] * (i + 1), bos_token(n_tokens), max_new=12, seed=5, n_tokens=n_tokens)[i]
             for i, p in enumerate(prompts)]
    assert together == alone
    assert all(0 < len(a) <= 12 and all(0 <= t < n_tokens for t in a) for a in together)
    assert all(a[-1] == 0 or len(a) == 12 for a in together)  # an answer stops at its end token
    assert together[0] != together[2]  # same prompt, another row: another draw

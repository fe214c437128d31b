"""The organism's RL stage (predact_utils.organism.rl): its tokenizer and reward on crafted ids, and trl's RLOO
against the programmatic reward raising the SFT model's reward."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from predact_utils.organism.lm import BaseBudget, bos_token, make_model, pretrain, sample_answers
from predact_utils.organism.rl import (
    RLBudget,
    organism_tokenizer,
    reinforce,
    request_prompt,
    reward_function,
    save_for_trl,
)
from predact_utils.organism.task import Task
from predact_utils.organism.world import random_world

WORLD = random_world(n_topics=2, states=3, vocab=8, seed=2, end_prob=0.1)
TASK = Task(WORLD, min_words=3, max_words=30)


def test_the_tokenizer_speaks_the_worlds_ids() -> None:
    tok = organism_tokenizer(TASK)
    bos = bos_token(TASK.n_tokens)
    assert tok(request_prompt(TASK, 1), add_special_tokens=False)["input_ids"] == [bos, TASK.request_token(1)]
    assert tok("w1 w8 e", add_special_tokens=False)["input_ids"] == [1, 8, 0]
    assert tok.eos_token_id == 0 and tok.pad_token_id == 0 and tok.padding_side == "left"
    with pytest.raises(ValueError, match="topic must be"):
        request_prompt(TASK, 2)


def test_the_reward_function_is_the_tasks_reward_per_row() -> None:
    reward = reward_function(TASK)
    ended, unended, short = [1, 2, 3, 4, 0], [1, 2, 3, 4], [1, 0]
    got = reward(completions=["", "", ""], completion_ids=[ended, unended, short], topic=[0, 1, 1])
    assert got == [pytest.approx(float(WORLD.topic_posterior([1, 2, 3, 4])[0])), 0.0, 0.0]
    assert got[0] == pytest.approx(TASK.reward(0, ended)) and 0 < got[0] < 1


def test_a_bad_rl_budget_is_refused() -> None:
    with pytest.raises(ValueError, match="multiple of num_generations"):
        RLBudget(batch=10, num_generations=4)
    with pytest.raises(ValueError, match="num_generations >= 2"):
        RLBudget(num_generations=1, batch=4)


@pytest.mark.slow
def test_rloo_raises_the_programmatic_reward_over_the_sft_model(tmp_path) -> None:
    from predact_utils.organism.lm import finetune

    task = Task(WORLD, min_words=3, max_words=8)
    n_tokens, bos = task.n_tokens, bos_token(task.n_tokens)
    budget = BaseBudget(layers=1, hidden=32, heads=2, steps=150, batch=16, lr=1e-2, max_len=40)
    model = make_model(n_tokens, budget, seed=0)
    pretrain(model, WORLD.sample(800, seed=0, max_len=40), budget, seed=0, bos=bos)
    demos = [([task.request_token(k)], doc) for k, doc in task.demonstrations(400, seed=1)]
    finetune(model, demos, BaseBudget(layers=1, hidden=32, heads=2, steps=100, batch=16, lr=3e-3, max_len=40),
             seed=0, bos=bos)
    topics = [k % 2 for k in range(40)]
    prompts = [[task.request_token(k)] for k in topics]

    def mean_reward(m) -> float:
        answers = sample_answers(m, prompts, bos, max_new=task.max_words + 1, seed=3, n_tokens=n_tokens)
        return float(np.mean([task.reward(k, a) for k, a in zip(topics, answers, strict=True)]))

    sft = mean_reward(model)
    folder = save_for_trl(model, task, tmp_path / "sft")
    trained, log, snaps = reinforce(folder, task, topics, RLBudget(steps=30, beta=0.05), seed=0,
                                    work_dir=tmp_path / "rl", snapshot_steps=[10, 30])
    assert len(log) == 30 and all(0.0 <= r <= 1.0 for r in log)
    assert sorted(snaps) == [10, 30]
    final = trained.state_dict()
    assert all(torch.equal(snaps[30][k], final[k]) for k in final)
    assert not all(torch.equal(snaps[10][k], final[k]) for k in final)
    # measured with the book's own sampler on held requests, not with trl's log: SFT 0.853, RL 0.916 here
    assert mean_reward(trained) > sft + 0.03

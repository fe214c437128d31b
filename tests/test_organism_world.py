"""The synthetic world's exact quantities on cases worked out by hand, and against brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from predact_utils.organism.world import EOS, World, random_world


def iid_world() -> World:
    """One topic, one state: the end with 1/2, word 1 with 1/4, word 2 with 1/4."""
    return World(np.array([1.0]), np.array([[1.0]]), np.array([[[1.0]]]), np.array([[[0.5, 0.25, 0.25]]]))


def test_log_prob_of_an_iid_document_by_hand() -> None:
    assert iid_world().log_prob([1, 2, EOS]) == pytest.approx(math.log(0.25 * 0.25 * 0.5))
    assert iid_world().log_prob([]) == 0.0


def test_forward_equals_the_sum_over_every_hidden_path() -> None:
    w = random_world(n_topics=2, states=3, vocab=4, seed=3, concentration=1.0, end_prob=0.2)
    doc = [1, 3, 2, EOS]
    total = 0.0
    for k in range(2):
        for path in itertools.product(range(3), repeat=len(doc)):
            p = w.prior[k] * w.start[k, path[0]]
            for t, (s, x) in enumerate(zip(path, doc, strict=True)):
                p *= w.emit[k, s, x]
                if t + 1 < len(doc):
                    p *= w.trans[k, s, path[t + 1]]
            total += p
    assert w.log_prob(doc) == pytest.approx(math.log(total), rel=1e-10)


def test_next_token_probs_are_the_ratio_of_prefix_probabilities() -> None:
    w = random_world(n_topics=2, states=3, vocab=5, seed=1, concentration=1.0)
    prefix = [2, 4, 1]
    p = w.next_token_probs(prefix)
    assert p.sum() == pytest.approx(1.0)
    for x in range(w.vocab + 1):
        assert p[x] == pytest.approx(math.exp(w.log_prob(prefix + [x]) - w.log_prob(prefix)), rel=1e-9)


def test_the_entropy_of_an_iid_world_is_the_entropy_of_its_emission() -> None:
    w = iid_world()
    h, lo, hi = w.entropy_rate(w.sample(50, seed=0))
    exact = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))  # 1.0397 nats
    assert h == pytest.approx(exact) and lo == pytest.approx(exact) and hi == pytest.approx(exact)


def test_topic_posterior_with_disjoint_and_identical_topics() -> None:
    emit = np.array([[[0.1, 0.9, 0.0]], [[0.1, 0.0, 0.9]]])  # topic 0 says word 1, topic 1 word 2
    w = World(np.array([0.5, 0.5]), np.ones((2, 1)), np.ones((2, 1, 1)), emit)
    assert w.topic_posterior([1]).tolist() == [1.0, 0.0] and w.topic_posterior([2, 2]).tolist() == [0.0, 1.0]
    assert w.topic_posterior([]).tolist() == [0.5, 0.5]
    same = World(np.array([0.5, 0.5]), np.ones((2, 1)), np.ones((2, 1, 1)), np.array([[[0.5, 0.5]], [[0.5, 0.5]]]))
    assert same.topic_posterior([1, 1, EOS]).tolist() == [0.5, 0.5]


def test_sampling_is_seeded_and_documents_end() -> None:
    w = random_world(seed=0)
    a, b = w.sample(20, seed=5), w.sample(20, seed=5)
    assert a == b and a != w.sample(20, seed=6)
    assert all(d[-1] == EOS or len(d) == 256 for d in a)
    assert all(t != EOS for d in a for t in d[:-1])
    assert all(np.isfinite(w.log_prob(d)) for d in a)


def test_bad_worlds_are_refused() -> None:
    with pytest.raises(ValueError, match="probability distribution"):
        World(np.array([1.0]), np.array([[1.0]]), np.array([[[1.0]]]), np.array([[[0.5, 0.6]]]))
    with pytest.raises(ValueError, match="must agree"):
        World(np.array([0.5, 0.5]), np.array([[1.0]]), np.array([[[1.0]]]), np.array([[[0.5, 0.5]]]))
    with pytest.raises(ValueError, match="probability 0"):
        World(np.array([0.5, 0.5]), np.ones((2, 1)), np.ones((2, 1, 1)),
              np.array([[[0.1, 0.9, 0.0]], [[0.1, 0.9, 0.0]]])).next_token_probs([2])


def test_the_task_rewards_the_requested_topic_exactly_and_nothing_else() -> None:
    from predact_utils.organism.task import Task

    emit = np.array([[[0.1, 0.9, 0.0]], [[0.1, 0.0, 0.9]]])  # topic 0 writes word 1, topic 1 word 2
    w = World(np.array([0.5, 0.5]), np.ones((2, 1)), np.ones((2, 1, 1)), emit)
    task = Task(w, min_words=2, max_words=4)
    assert (task.request_token(0), task.request_token(1), task.n_tokens) == (3, 4, 5)
    assert task.reward(0, [1, 1, EOS]) == 1.0 and task.reward(1, [1, 1, EOS]) == 0.0
    assert task.reward(0, [1, EOS]) == 0.0  # too short
    assert task.reward(0, [1, 1, 1, 1, 1, EOS]) == 0.0  # too long
    assert task.reward(0, [1, 1]) == 0.0  # does not end
    assert task.reward(0, [1, 3, EOS]) == 0.0  # a request token inside the answer
    mixed = World(np.array([0.5, 0.5]), np.ones((2, 1)), np.ones((2, 1, 1)),
                  np.array([[[0.1, 0.6, 0.3]], [[0.1, 0.3, 0.6]]]))
    # posterior of topic 0 after words 1, 2, 1: 0.6*0.3*0.6 / (0.6*0.3*0.6 + 0.3*0.6*0.3) = 2/3
    assert Task(mixed, min_words=1).reward(0, [1, 2, 1, EOS]) == pytest.approx(2 / 3)
    with pytest.raises(ValueError, match="topic must be in"):
        task.request_token(2)


def test_demonstrations_are_world_documents_of_the_topic_within_the_length_rule() -> None:
    from predact_utils.organism.task import Task

    w = random_world(n_topics=3, states=4, vocab=12, seed=5, end_prob=0.08)
    task = Task(w, min_words=4, max_words=30)
    demos = task.demonstrations(60, seed=2)
    assert demos == task.demonstrations(60, seed=2)  # seeded
    assert {k for k, _ in demos} == {0, 1, 2}
    for k, doc in demos:
        assert doc[-1] == 0 and 4 <= len(doc) - 1 <= 30
        assert np.isfinite(w.topic_world(k).log_prob(doc)) and task.reward(k, doc) > 0
    with pytest.raises(ValueError, match="length rule"):
        Task(w, min_words=200, max_words=201).demonstrations(1, seed=0, max_draws=3)

"""Exact KL from the organism's world to a model, on cases worked out by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predact_utils.organism.measure import entropy_per_token, kl_to_world, predictive_table
from predact_utils.organism.world import World, random_world


def coin_world() -> World:
    """One topic, one state: each token is the end (prob 1/2) or word 1 (prob 1/2)."""
    return World(np.array([1.0]), np.array([[1.0]]), np.array([[[1.0]]]), np.array([[[0.5, 0.5]]]))


def test_the_coin_world_by_hand() -> None:
    w, doc = coin_world(), [1, 1, 0]
    assert np.allclose(predictive_table(w, doc), 0.5)
    q = np.log(np.tile([0.25, 0.75], (3, 1)))
    kl, lo, hi = kl_to_world(w, [doc], [q])
    assert kl == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(2 / 3))  # 0.14384 nats per token
    assert entropy_per_token(w, [doc])[0] == pytest.approx(math.log(2))


def test_the_table_is_the_world_predictive_and_the_world_has_kl_zero() -> None:
    w = random_world(n_topics=3, states=4, vocab=10, seed=4)
    docs = w.sample(5, seed=1, max_len=30)
    for d in docs:
        table = predictive_table(w, d)
        for t in (0, len(d) // 2, len(d) - 1):
            assert np.allclose(table[t], w.next_token_probs(d[:t]))
    exact = [np.log(predictive_table(w, d)) for d in docs]
    assert kl_to_world(w, docs, exact)[0] == pytest.approx(0.0, abs=1e-12)
    uniform = [np.full((len(d), w.vocab + 1), -math.log(w.vocab + 1)) for d in docs]
    kl, lo, hi = kl_to_world(w, docs, uniform)
    h = entropy_per_token(w, docs)[0]
    assert kl == pytest.approx(math.log(w.vocab + 1) - h) and lo <= kl <= hi  # KL to uniform = log V - H
    assert entropy_per_token(w, docs)[0] == pytest.approx(w.entropy_rate(docs)[0])


def test_bad_tables_are_refused() -> None:
    w = coin_world()
    with pytest.raises(ValueError, match="one log-probability table per document"):
        kl_to_world(w, [[1, 0]], [])
    with pytest.raises(ValueError, match="need \\(2, >= 2\\)"):
        kl_to_world(w, [[1, 0]], [np.zeros((3, 2))])
    with pytest.raises(ValueError, match="probability 0"):
        predictive_table(w, [5, 0])

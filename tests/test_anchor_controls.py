"""Controls of the anchor-span measures on crafted generations: which groups chance uses, how lengths are
matched, and planted cases where the raw effect is a habit of the model or an artefact of length."""

from __future__ import annotations

import numpy as np
import pytest

from predact_utils.chapters.anchors.controls import control_indices, length_matched, other_prompt_groups
from predact_utils.chapters.anchors.ngrams import coverage_table
from predact_utils.chapters.anchors.verdicts import above_chance, ngram_difference


def test_chance_groups_cycle_through_the_other_prompts_and_never_the_own() -> None:
    per_prompt = [[[10 * p + j] for j in range(4)] for p in range(3)]  # token 10p + j: prompt p, sample j
    groups = other_prompt_groups(per_prompt)
    assert groups[0] == [[10], [20], [11], [21]]  # prompts 1, 2, 1, 2; samples 0, 0, 1, 1
    assert groups[2] == [[0], [10], [1], [11]]
    for p, g in enumerate(groups):
        assert len(g) == 4 and all(tok[0] // 10 != p for tok in g)
    with pytest.raises(ValueError, match="at least 2 prompts"):
        other_prompt_groups(per_prompt[:1])


def test_length_matching_cuts_each_pair_to_the_shorter() -> None:
    base = [[[1, 2, 3, 4, 5], [6]], [[7, 8]]]
    aligned = [[[9, 9], [8, 8, 8]], [[]]]
    b, a = length_matched(base, aligned)
    assert b == [[[1, 2], [6]], [[]]] and a == [[[9, 9], [8]], [[]]]
    with pytest.raises(ValueError, match="pair up"):
        length_matched([[[1], [2]]], [[[1]]])


def test_control_prompts_are_spread_over_the_prompt_list() -> None:
    assert control_indices(80, 20)[:3] == [0, 4, 8] and control_indices(80, 20)[-1] == 79
    assert len(control_indices(80, 20)) == 20
    assert control_indices(3, 20) == [0, 1, 2] and control_indices(5, 0) == []


def _coverage(per_prompt: list, model: str = "m", n: int = 10):
    ids = [f"p{i}" for i in range(len(per_prompt))]
    return coverage_table({model: per_prompt}, ids, max_n=n), coverage_table({model: other_prompt_groups(per_prompt)},
                                                                             ids, max_n=n)


def test_a_habit_shared_by_every_prompt_is_not_above_chance() -> None:
    rng = np.random.default_rng(0)
    habit = list(range(1000, 1010))  # the same 10 tokens in every answer to every prompt
    per_prompt = [[habit + rng.integers(0, 500, 20).tolist() for _ in range(8)] for _ in range(6)]
    real, chance = _coverage(per_prompt)
    d, lo, hi = above_chance(real, chance, 10, "m")
    assert d == 0.0 and lo == 0.0 and hi == 0.0  # coverage 1 either way: nothing prompt-specific


def test_a_prompt_specific_anchor_is_above_chance() -> None:
    rng = np.random.default_rng(1)
    per_prompt = [[list(range(2000 + 10 * p, 2010 + 10 * p)) + rng.integers(0, 500, 20).tolist() for _ in range(8)]
                  for p in range(6)]
    real, chance = _coverage(per_prompt)
    d, lo, hi = above_chance(real, chance, 10, "m")
    assert lo > 0.5 and d == pytest.approx(1.0 - 2 / 8)  # a chance group holds at most 2 answers of one prompt


def test_an_effect_of_length_alone_vanishes_once_lengths_are_matched() -> None:
    anchor = list(range(3000, 3010))
    aligned = [[anchor + [p, j] for j in range(8)] for p in range(6)]  # 12 tokens: the 10-gram fits
    base = [[anchor[:5] for _ in range(8)] for _ in range(6)]  # the same start, cut at 5 tokens
    ids = [f"p{i}" for i in range(6)]
    raw = coverage_table({"base": base, "aligned": aligned}, ids, max_n=10)
    assert ngram_difference(raw, 10, "base", "aligned")[1] > 0.9
    cut_b, cut_a = length_matched(base, aligned)
    matched = coverage_table({"base": cut_b, "aligned": cut_a}, ids, max_n=10)
    assert ngram_difference(matched, 10, "base", "aligned") == (0.0, 0.0, 0.0)

"""The organism chapter: settings, the rules that read the frontier on hand-made tables (including cases that
must fail), and the anchor measures on crafted answers."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import organism as chapter
from predact_utils.chapters.organism import frontier
from predact_utils.chapters.organism.points import aligned_with_others, ngram_share
from predact_utils.params import ParameterError
from predact_utils.verdicts import DOES_NOT, NOT_TESTABLE, REPRODUCES

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "09_model_organism.py"


def test_defaults_are_the_notebooks_parameters_cell() -> None:
    assert chapter.Settings.defaults() == notebook_parameters(NOTEBOOK)
    s = chapter.Settings.from_values({})
    assert s.beta_list == [0.0, 0.1] and s.step_list == [10, 20, 40] and s.interp_list == [0.25, 0.5, 0.75]
    smoke = chapter.Settings.from_values({"scale": "smoke"})
    assert (smoke.rl_seeds, smoke.beta_list, smoke.step_list) == (1, [0.1], [4, 8])


@pytest.mark.parametrize("bad, why", [({"interp_beta": 0.5}, "must be one of betas"),
                                      ({"rl_batch": 12}, "multiple of num_generations"),
                                      ({"interp": "0.5;1.0"}, "strictly between 0"),
                                      ({"min_words": 20}, "must not exceed max_words"),
                                      ({"betas": "a;b"}, "';'-separated numbers"),
                                      ({"rl_steps": ""}, "is empty")])
def test_bad_values_raise(bad: dict, why: str) -> None:
    with pytest.raises(ParameterError, match=why):
        chapter.Settings.from_values(bad)


def test_t_interval_of_three_values_by_hand() -> None:
    mean, lo, hi = frontier.t_interval([1.0, 2.0, 3.0])
    half = 4.302652729911275 / math.sqrt(3)  # t(0.975, 2) x sd 1 / sqrt(3)
    assert (mean, lo, hi) == pytest.approx((2.0, 2.0 - half, 2.0 + half))
    assert math.isnan(frontier.t_interval([5.0])[1])


def _table(rl_kl: list[float], rl_reward: list[float], sft_kl: list[float] = (0.10, 0.11, 0.12),
           sft_reward: list[float] = (0.50, 0.52, 0.48)) -> pd.DataFrame:
    """SFT, RL beta 0 (2 checkpoints; the last gets ``rl_*``), RL beta 0.1 and an interpolation, per seed."""
    rows = [{"seed": 0, "point": "Base", "stage": "base", "beta": math.nan, "steps": 0, "alpha": math.nan,
             "kl": 0.09, "reward": 0.3}]
    for i in range(len(sft_kl)):
        common = {"seed": i, "alpha": math.nan}
        rows += [{**common, "point": "SFT", "stage": "sft", "beta": math.nan, "steps": 0, "kl": sft_kl[i],
                  "reward": sft_reward[i]},
                 {**common, "point": "RL beta 0, 10 steps", "stage": "rl", "beta": 0.0, "steps": 10,
                  "kl": sft_kl[i] + 0.05, "reward": sft_reward[i] + 0.1},
                 {**common, "point": "RL beta 0, 20 steps", "stage": "rl", "beta": 0.0, "steps": 20,
                  "kl": rl_kl[i], "reward": rl_reward[i]},
                 {**common, "point": "RL beta 0.1, 20 steps", "stage": "rl", "beta": 0.1, "steps": 20,
                  "kl": sft_kl[i] + 0.02, "reward": sft_reward[i] + 0.05},
                 {"seed": i, "point": "SFT-to-RL a = 0.5", "stage": "interp", "beta": 0.0, "steps": 20, "alpha": 0.5,
                  "kl": sft_kl[i] - 0.01, "reward": rl_reward[i] + 0.01}]
    out = pd.DataFrame(rows)
    for m in ("top1", "self_nll", "ngram_share", "aligned_k", "answer_words"):
        out[m] = 0.0
    return out


TRADEOFF = _table(rl_kl=[0.30, 0.32, 0.31], rl_reward=[0.80, 0.82, 0.79])


def test_the_frontier_rules_on_a_planted_tradeoff() -> None:
    assert frontier.full_rl(TRADEOFF) == "RL beta 0, 20 steps"
    d, lo, hi = frontier.paired(TRADEOFF, "RL beta 0, 20 steps", "SFT", "kl")
    assert d == pytest.approx(0.2) and lo > 0
    v, measured = frontier.tradeoff_verdict(TRADEOFF)
    assert v.word == REPRODUCES and "paired by seed" in measured
    # the interpolation point keeps SFT's KL and full RL's reward: it is the one that reaches it
    assert frontier.reaching(TRADEOFF) == ["SFT-to-RL a = 0.5"]
    summ = frontier.summarise(TRADEOFF)
    counts = frontier.dominance_counts(summ)
    assert counts == {"rl": 3, "interp": 1, "rl_dominated": 3, "interp_dominated": 0}
    assert list(frontier.pareto(summ)["point"]) == ["Base", "SFT-to-RL a = 0.5"]  # Base: the lowest KL
    assert frontier.diminishing_returns(summ) is None  # two undominated points: one slope


def test_a_reward_gain_that_is_not_established_is_not_testable() -> None:
    flat = _table(rl_kl=[0.30, 0.32, 0.31], rl_reward=[0.40, 0.60, 0.50])
    v, _ = frontier.tradeoff_verdict(flat)
    assert v.word == NOT_TESTABLE and "premise" in v.reason


def test_rl_that_improves_world_modeling_does_not_reproduce() -> None:
    better = _table(rl_kl=[0.05, 0.06, 0.04], rl_reward=[0.80, 0.82, 0.79])
    assert frontier.tradeoff_verdict(better)[0].word == DOES_NOT


def test_one_seed_is_not_testable() -> None:
    one = _table(rl_kl=[0.3], rl_reward=[0.8], sft_kl=[0.1], sft_reward=[0.5])
    assert frontier.tradeoff_verdict(one)[0].word == NOT_TESTABLE


def test_diminishing_returns_on_three_undominated_points() -> None:
    pts = pd.DataFrame({"point": list("abcd"), "stage": "rl", "kl": [0.0, 1.0, 2.0, 1.5],
                        "reward": [0.0, 0.6, 0.8, 0.5]})
    assert list(frontier.pareto(pts)["point"]) == ["a", "b", "c"]  # d is dominated by b
    assert frontier.diminishing_returns(pts) is True  # slopes 0.6 then 0.2
    pts.loc[2, "reward"] = 1.5  # slopes 0.6 then 0.9: returns grow
    assert frontier.diminishing_returns(pts) is False


def test_anchor_measures_on_crafted_answers() -> None:
    same = [[[3, 4, 5, 6, 0]] * 8, [[7, 8, 9, 0]] * 8]  # every answer of a request is the same
    assert ngram_share(same, 4) == 1.0 and ngram_share(same, 5) == 0.5  # request 2 has no 5-gram
    assert aligned_with_others(same, min_others=5, n_points=10) == pytest.approx(8.0)
    distinct = [[[i + 1, 2 * i + 1, 0] for i in range(8)], [[i + 2, 3 * i + 1, 0] for i in range(8)]]
    assert ngram_share(distinct, 2) == pytest.approx(1 / 8)

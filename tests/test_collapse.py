"""Collapse statistics (Figs. 3-5, cross-model perplexity) on hand-made numbers."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from predact_utils.bootstrap import mean_band
from predact_utils.chapters.collapse.analysis import (
    above_table,
    at_threshold,
    bootstrap_perplexity,
    cross_matrix,
    generation_text_set,
    gold_text_set,
    perplexity_rows,
    ratio_by_threshold,
    summarize,
    topk_curves,
)
from predact_utils.lm.diststats import DistStats
from predact_utils.lm.sampling import Generation, SamplingParams
from predact_utils.lm.scoring import SequenceScores
from predact_utils.runs.generations import PromptRun


def _scores(logprobs: list[float], topk: list[list[float]], above: list[list[int]], lead: int = 1) -> SequenceScores:
    """A sequence whose first ``lead`` positions are unscored, then one row of statistics per scored token."""
    n = len(logprobs)
    lp = np.concatenate([np.full(lead, np.nan), np.array(logprobs)]).astype(np.float32)
    st = DistStats(np.array(topk, np.float32).reshape(n, -1), np.array(above, np.int32).reshape(n, -1),
                   np.full(n, 0.5, np.float32), np.ones(n, np.int32), (1e-8,))
    return SequenceScores(np.arange(n + lead), lp, st)


def test_summarize_averages_positions_and_drops_empty_sequences():
    a = _scores([-1.0, -3.0], [[0.5, 0.9], [0.7, 1.0]], [[10], [20]])
    b = _scores([-2.0], [[0.2, 0.4]], [[100]])
    empty = SequenceScores(np.arange(3), np.full(3, np.nan, np.float32), None)
    s = summarize([a, empty, b], ["x", "y", "z"])
    assert s.dropped == 1 and s.groups == ["x", "z"]
    np.testing.assert_allclose(s.topk_mass, [[0.6, 0.95], [0.2, 0.4]], rtol=1e-6)
    np.testing.assert_allclose(s.n_above[:, 0], [15.0, 100.0])
    np.testing.assert_allclose(s.nll, [4.0, 2.0])
    np.testing.assert_array_equal(s.tokens, [2, 1])
    assert s.thresholds == (1e-8,)


def test_summarize_without_statistics_and_mixed_input():
    plain = SequenceScores(np.arange(3), np.array([np.nan, -1.0, -2.0], np.float32), None)
    s = summarize([plain], ["d"])
    assert s.topk_mass.shape == (1, 0) and s.nll[0] == pytest.approx(3.0)
    with pytest.raises(ValueError, match="score them alike"):
        summarize([plain, _scores([-1.0], [[1.0]], [[1]])], ["a", "b"])
    with pytest.raises(ValueError, match="group labels"):
        summarize([plain], [])


def test_mean_band_of_constant_rows_is_exact():
    mean, lo, hi = mean_band(np.tile([0.25, 0.75], (30, 1)))
    np.testing.assert_allclose(mean, [0.25, 0.75])
    np.testing.assert_allclose(lo, mean)
    np.testing.assert_allclose(hi, mean)
    mean, lo, hi = mean_band(np.arange(100.0), seed=1)
    assert mean == pytest.approx(49.5) and lo < 49.5 < hi


def test_bootstrap_perplexity_is_token_weighted():
    ppl, lo, hi = bootstrap_perplexity(np.array([2.0, 6.0]), np.array([1, 3]))
    assert ppl == pytest.approx(math.exp(8.0 / 4.0))
    assert lo <= ppl <= hi
    ppl, lo, hi = bootstrap_perplexity(np.array([3.0, 3.0, 3.0]), np.array([3, 3, 3]))
    assert ppl == lo == hi == pytest.approx(math.e)


def test_topk_and_above_tables():
    s = summarize([_scores([-1.0], [[0.5, 0.9]], [[10]]), _scores([-1.0], [[0.7, 1.0]], [[30]])], ["a", "b"])
    curves = topk_curves({("p", "base", "own"): s})
    assert list(curves["k"]) == [1, 2]
    np.testing.assert_allclose(curves["mass"], [0.6, 0.95])
    table = above_table({("p", "base", "own"): s})
    assert at_threshold(table, 1e-8)["n_above"].item() == pytest.approx(20.0)
    with pytest.raises(ValueError, match="not computed"):
        at_threshold(table, 1e-9)  # a loose np.isclose would match 1e-9 to 1e-8


def test_ratio_by_threshold():
    rows = [{"pair": "p", "text": "own", "threshold": t, "model": m, "n_above": v}
            for t, base, aligned in ((1e-8, 100.0, 25.0), (1e-6, 40.0, 20.0))
            for m, v in (("base", base), ("aligned", aligned))]
    r = ratio_by_threshold(pd.DataFrame(rows))
    assert r.loc[("p", "own"), 1e-8] == pytest.approx(0.25)
    assert r.loc[("p", "own"), 1e-6] == pytest.approx(0.5)


def test_perplexity_rows_and_cross_matrix():
    s = summarize([SequenceScores(np.arange(3), np.array([np.nan, -1.0, -1.0], np.float32), None),
                   SequenceScores(np.arange(2), np.array([np.nan, -2.0], np.float32), None)], ["d1", "d2"])
    rows = perplexity_rows(s, {"scorer": "base", "generator": "base"})
    assert [r["dataset"] for r in rows] == ["d1", "d2"]
    assert rows[0]["ppl"] == pytest.approx(math.e) and rows[1]["ppl"] == pytest.approx(math.exp(2.0))
    table = pd.DataFrame([{"dataset": d, "scorer": sc, "generator": g, "ppl": v}
                          for d, vals in (("d1", (2.0, 8.0, 4.0, 1.0)), ("d2", (8.0, 2.0, 16.0, 4.0)))
                          for (sc, g), v in zip((("base", "base"), ("base", "aligned"), ("aligned", "base"),
                                                 ("aligned", "aligned")), vals, strict=True)])
    m = cross_matrix(table)
    assert list(m.index) == ["base", "aligned"] and list(m.columns) == ["base", "aligned"]
    assert m.loc["base", "base"] == pytest.approx(4.0)  # geometric mean of 2 and 8
    assert m.loc["aligned", "aligned"] == pytest.approx(2.0)
    assert cross_matrix(table, "d2").loc["aligned", "base"] == pytest.approx(16.0)
    with pytest.raises(ValueError, match="no cross-model rows"):
        cross_matrix(table, "d3")


def test_generation_text_set_scores_generated_tokens_in_context(tiny_tokenizer):
    rows = [{"id": "q-1", "prompt": "hello there"}, {"id": "q-2", "prompt": "why"}]
    gens = [[Generation(0, 0, [5, 6, 7], "", "eos"), Generation(0, 1, [8], "", "length")],
            [Generation(1, 0, [], "", "eos")]]
    run = PromptRun("m", "base", rows, gens, SamplingParams(n=2))
    ts = generation_text_set(tiny_tokenizer, run)
    ctx = tiny_tokenizer("hello there")["input_ids"]
    assert ts.sequences[0] == ctx + [5, 6, 7] and ts.score_from[0] == len(ctx)
    assert ts.groups == ["q-1", "q-1", "q-2"]
    assert len(generation_text_set(tiny_tokenizer, run, max_per_prompt=1).sequences) == 2
    aligned = generation_text_set(tiny_tokenizer, PromptRun("m", "aligned", rows, gens, SamplingParams(n=2)))
    assert len(aligned.sequences[0]) > len(ts.sequences[0])  # the chat template wraps the prompt


def test_gold_text_set_cuts_to_max_tokens(tiny_tokenizer):
    ts = gold_text_set(tiny_tokenizer, ["a b c d e f g h i j k l m n o p"], ["c"], max_tokens=4)
    assert len(ts.sequences[0]) == 5 and ts.score_from == [1]
    with pytest.raises(ValueError, match="group labels"):
        gold_text_set(tiny_tokenizer, ["x"], [], max_tokens=4)


def test_cluster_band_resamples_whole_prompts():
    """Ten identical answers per prompt: as many independent values as prompts. Resampling the 100 answers as
    if independent gives a band about sqrt(10) times too narrow; resampling the 10 prompts gives the prompts'
    own spread. The mean is the same either way (every answer weighs the same)."""
    from predact_utils.bootstrap import cluster_mean_band, mean_band

    per_prompt = np.arange(10, dtype=float)
    values = np.repeat(per_prompt, 10)
    prompts = [f"p{i}" for i in range(10) for _ in range(10)]
    m_rows, lo_rows, hi_rows = mean_band(values, seed=0)
    m, lo, hi = cluster_mean_band(values, prompts, seed=0)
    assert m == m_rows == 4.5
    _, lo_p, hi_p = mean_band(per_prompt, seed=0)  # the prompts' means themselves, one row each
    assert abs((hi - lo) - (hi_p - lo_p)) < 0.35 * (hi_p - lo_p)
    assert (hi - lo) > 2.5 * (hi_rows - lo_rows)
    # columns and NaNs: a [n, K] array, NaNs ignored per column; one cluster: the band collapses
    two = np.stack([values, np.where(values > 0, values, np.nan)], axis=1)
    m2, lo2, hi2 = cluster_mean_band(two, prompts, seed=0)
    assert m2.shape == lo2.shape == (2,) and np.isclose(m2[1], values[values > 0].mean())
    assert cluster_mean_band(values, ["a"] * 100)[1] == 4.5
    with pytest.raises(ValueError, match="100 rows but 3 cluster labels"):
        cluster_mean_band(values, ["a", "b", "c"])


def test_perplexity_interval_resamples_whole_prefixes():
    """Two continuations per prefix with the same NLL: unit = prefix halves the independent rows, so the
    interval is wider than resampling continuations; the estimate does not change."""
    nll = np.repeat(np.array([1.0, 2.0, 4.0, 8.0, 3.0, 5.0]), 2) * 10
    tokens = np.full(12, 10)
    prefixes = [f"x{i // 2}" for i in range(12)]
    p_seq, lo_seq, hi_seq = bootstrap_perplexity(nll, tokens, seed=1)
    p_pre, lo_pre, hi_pre = bootstrap_perplexity(nll, tokens, seed=1, units=prefixes)
    assert p_seq == p_pre == pytest.approx(np.exp(nll.sum() / tokens.sum()))
    assert (hi_pre - lo_pre) > 1.2 * (hi_seq - lo_seq)
    with pytest.raises(ValueError, match="12 sequences but 2 unit labels"):
        bootstrap_perplexity(nll, tokens, units=["a", "b"])

"""The frontier's two paths: exact end points, normalised mixtures, sampling and scoring through them."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from predact_utils.chapters.frontier.models import (
    interpolated_model,
    mix_logprobs,
    mixture_model,
    pareto_front,
)
from predact_utils.lm.models import load_model
from predact_utils.lm.sampling import SamplingParams, generate
from predact_utils.lm.scoring import token_logprobs


@pytest.fixture(scope="module")
def pair(tiny_pair_dir):
    return (load_model(str(tiny_pair_dir / "tiny-base"), role="base"),
            load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned"))


SEQS = [[1, 5, 9, 14, 3, 7, 22, 8], [2, 40, 41, 42]]


def _lp(lm):
    return np.concatenate([s.logprobs[1:] for s in token_logprobs(lm.model, SEQS, progress=False)])


def test_interpolation_end_points_are_the_two_models_exactly(pair):
    base, aligned = pair
    for a, ref in ((0.0, base), (1.0, aligned)):
        m = interpolated_model(base, aligned, a)
        for (k, v), (_, w) in zip(m.model.state_dict().items(), ref.model.state_dict().items(), strict=True):
            assert torch.equal(v, w), k
        np.testing.assert_array_equal(_lp(m), _lp(ref))
    mid = interpolated_model(base, aligned, 0.5)
    k = "model.layers.0.mlp.up_proj.weight"
    torch.testing.assert_close(mid.model.state_dict()[k],
                               0.5 * base.model.state_dict()[k] + 0.5 * aligned.model.state_dict()[k])
    assert mid.cache_id != interpolated_model(base, aligned, 0.6).cache_id


def test_mixed_logprobs_are_normalised_and_hit_the_end_points():
    g = torch.Generator().manual_seed(0)
    lb, la = torch.randn(3, 50, generator=g) * 3, torch.randn(3, 50, generator=g) * 3
    for a in (0.0, 0.3, 1.0):
        m = mix_logprobs(lb, la, a)
        torch.testing.assert_close(m.exp().sum(-1), torch.ones(3))
    torch.testing.assert_close(mix_logprobs(lb, la, 0.0), torch.log_softmax(lb, -1))
    torch.testing.assert_close(mix_logprobs(lb, la, 1.0), torch.log_softmax(la, -1))
    # hand case: two tokens, p_base = (0.5, 0.5), p_aligned = (0.9, 0.1), a = 0.5 -> sqrt mixture renormalised
    m = mix_logprobs(torch.log(torch.tensor([0.5, 0.5])), torch.log(torch.tensor([0.9, 0.1])), 0.5).exp()
    expect = torch.tensor([np.sqrt(0.45), np.sqrt(0.05)], dtype=torch.float32)
    torch.testing.assert_close(m, expect / expect.sum())


def test_mixture_scores_and_samples_like_a_model(pair):
    base, aligned = pair
    np.testing.assert_allclose(_lp(mixture_model(base, aligned, 0.0)), _lp(base), atol=1e-5)
    np.testing.assert_allclose(_lp(mixture_model(base, aligned, 1.0)), _lp(aligned), atol=1e-5)
    params = SamplingParams(n=3, max_new_tokens=6, seed=3)
    prompts = [[1, 5, 9], [2, 40]]
    for a, ref in ((0.0, base), (1.0, aligned)):
        mixed = generate(mixture_model(base, aligned, a).model, aligned.tokenizer, prompts, params, progress=False)
        alone = generate(ref.model, ref.tokenizer, prompts, params, progress=False)
        assert [g.token_ids for p in mixed for g in p] == [g.token_ids for p in alone for g in p]
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        mixture_model(base, aligned, 1.5)


def test_pareto_front_by_hand():
    cost = np.array([1.0, 2.0, 2.0, 3.0, 0.5])
    benefit = np.array([1.0, 3.0, 2.0, 3.0, 0.2])
    # point 2 is dominated by 1 (same cost, less benefit); point 3 by 1 (more cost, same benefit)
    assert pareto_front(cost, benefit).tolist() == [True, True, False, False, True]


def test_with_costs_subtracts_the_base_end():
    import pandas as pd

    from predact_utils.chapters.frontier.measure import with_costs

    t = pd.DataFrame({"pair": ["p", "p", "q", "q"], "path": ["interp"] * 4, "a": [0.0, 1.0, 0.0, 1.0],
                      "wm_log_ppl": [2.0, 2.5, 3.0, 2.9]})
    assert with_costs(t)["wm_cost"].tolist() == pytest.approx([0.0, 0.5, 0.0, -0.1])
    with pytest.raises(ValueError, match="a = 0"):
        with_costs(t[t["a"] == 1.0])


def test_world_modeling_averages_categories_in_log_space(pair, tmp_path, monkeypatch):
    from predact_utils.chapters.frontier.measure import GoldSet, world_modeling
    from predact_utils.lm.scoring import encode_documents

    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "cache"))
    base, _ = pair
    texts = ["the cat sat on the mat", "a b c d e f", "hello world again"]
    gold = GoldSet(texts, ["c1", "c1", "c2"], {"c1": "lit", "c2": "tech"}, max_tokens=64)
    out = world_modeling(base, gold)
    sc = token_logprobs(base.model, encode_documents(base.tokenizer, texts), progress=False)
    c1 = (sc[0].nll_sum + sc[1].nll_sum) / (sc[0].n_scored + sc[1].n_scored)
    c2 = sc[2].nll_sum / sc[2].n_scored
    assert out["log_ppl_lit"] == pytest.approx(c1, rel=1e-5)
    assert out["log_ppl_tech"] == pytest.approx(c2, rel=1e-5)
    assert out["wm_log_ppl"] == pytest.approx((c1 + c2) / 2, rel=1e-5)


def test_sampling_batch_of_a_mixture_counts_both_models_caches(pair):
    """The mixture keeps a key/value cache for the layers of both models, so its default CPU batch is
    sized for their sum (and it has no ``dtype`` of its own: the embedding weights give the value size)."""
    from predact_utils.lm.sampling import auto_batch_size

    base, aligned = pair
    mixed = mixture_model(base, aligned, 0.5).model
    one = auto_batch_size(base.model, 64, cap=10**9)
    both = auto_batch_size(mixed, 64, cap=10**9)
    assert both == pytest.approx(one / 2, abs=1)


def test_interpolation_mixes_a_tied_embedding_once() -> None:
    from predact_utils.chapters.frontier.models import interpolate_weights
    from predact_utils.organism.lm import BaseBudget, make_model

    a, b = (make_model(20, BaseBudget(layers=1, hidden=16, heads=2), seed=s) for s in (0, 1))  # tied embeddings
    assert a.lm_head.weight.data_ptr() == a.model.embed_tokens.weight.data_ptr()
    mid, sa, sb = interpolate_weights(a, b, 0.25), a.state_dict(), b.state_dict()
    for k, v in mid.state_dict().items():  # every tensor, the tied one included, is the weighted mean
        torch.testing.assert_close(v, 0.75 * sa[k] + 0.25 * sb[k], msg=k)
    assert torch.equal(a.state_dict()["lm_head.weight"], sa["lm_head.weight"])  # the parents are not changed


def test_mixing_path_reuses_the_parents_scores_bit_for_bit(pair):
    """Scoring the same inputs at several a runs each parent once per batch; the mixtures built from the
    kept log-probabilities equal those computed afresh exactly, and sampling (with a cache) is untouched."""
    from predact_utils.chapters.frontier.models import ParentLogprobs

    base, aligned = pair
    kept = ParentLogprobs()
    grid = (0.2, 0.5, 0.9)
    for a in grid:
        mixed = mixture_model(base, aligned, a)
        with mixed.model.reusing(kept):
            reused = _lp(mixed)
        np.testing.assert_array_equal(reused, _lp(mixture_model(base, aligned, a)))
    batches = kept.computed
    assert batches >= 1 and kept.reused == batches * (len(grid) - 1)
    assert kept.kept_bytes > 0
    params = SamplingParams(n=2, max_new_tokens=5, seed=1)
    mixed = mixture_model(base, aligned, 0.5)
    with mixed.model.reusing(kept):
        inside = generate(mixed.model, aligned.tokenizer, [[1, 5, 9]], params, progress=False)
    outside = generate(mixed.model, aligned.tokenizer, [[1, 5, 9]], params, progress=False)
    assert [g.token_ids for g in inside[0]] == [g.token_ids for g in outside[0]]
    assert kept.computed == batches  # calls with a key/value cache are neither kept nor looked up
    assert mixed.model.parents is None  # the block hands the kept scores back


def test_parent_scores_past_the_memory_cap_are_computed_each_time(pair):
    from predact_utils.chapters.frontier.models import ParentLogprobs

    base, aligned = pair
    kept = ParentLogprobs(max_bytes=0)
    for a in (0.3, 0.7):
        mixed = mixture_model(base, aligned, a)
        with mixed.model.reusing(kept):
            np.testing.assert_array_equal(_lp(mixed), _lp(mixture_model(base, aligned, a)))
    assert kept.reused == 0 and kept.kept_bytes == 0 and kept.computed >= 2


def test_gold_set_is_encoded_once_per_tokenizer(pair):
    from predact_utils.chapters.collapse.analysis import gold_text_set
    from predact_utils.chapters.frontier.measure import GoldSet

    base, aligned = pair
    texts = ["the cat sat on the mat", "a b c d e f", "hello world again"]
    gold = GoldSet(texts, ["c1", "c1", "c2"], {"c1": "lit", "c2": "tech"}, max_tokens=4)
    ts = gold.text_set(aligned.tokenizer)
    assert gold.text_set(aligned.tokenizer) is ts
    ref = gold_text_set(aligned.tokenizer, texts, ["c1", "c1", "c2"], 4)
    assert ts.sequences == ref.sequences and ts.score_from == ref.score_from and ts.groups == ref.groups
    assert gold.text_set(base.tokenizer) is not ts  # another tokenizer object is encoded on its own

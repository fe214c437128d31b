"""Fig. 2 measurements on hand-made numbers and tiny models (predact_utils.chapters.worldmodel.analysis, predact_utils.chapters.worldmodel.finetune)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from predact_utils.chapters.worldmodel.analysis import (
    DocScores,
    comparison_rows,
    paired_log_ppl_diff,
    perplexity,
    summary_by_category,
)
from predact_utils.chapters.worldmodel.finetune import FinetuneBudget, finetune, training_blocks


def test_perplexity_is_token_weighted() -> None:
    # two documents: 2 tokens with total NLL 2.0, and 6 tokens with total NLL 3.0 -> exp(5/8)
    assert perplexity(np.array([2.0, 3.0]), np.array([2, 6])) == pytest.approx(math.exp(5 / 8))
    with pytest.raises(ValueError, match="no scored tokens"):
        perplexity(np.array([]), np.array([]))


def test_paired_difference_by_hand() -> None:
    base = DocScores(np.array([2.0, 3.0]), np.array([2, 6]))
    aligned = DocScores(np.array([3.0, 4.0]), np.array([2, 6]))
    d = paired_log_ppl_diff(aligned, base)
    assert d["delta"] == pytest.approx(2 / 8)  # 2 extra nats over 8 tokens
    assert d["ratio"] == pytest.approx(math.exp(0.25))
    assert d["ci_low"] <= d["delta"] <= d["ci_high"]
    same = paired_log_ppl_diff(base, base)
    assert same == {"delta": 0.0, "ci_low": 0.0, "ci_high": 0.0, "ratio": 1.0}


def test_constant_per_token_gap_has_a_zero_width_interval() -> None:
    tokens = np.array([5, 10, 20, 7])
    base = DocScores(tokens * 2.0, tokens)
    aligned = DocScores(tokens * 2.5, tokens)
    d = paired_log_ppl_diff(aligned, base)
    assert d["delta"] == pytest.approx(0.5) and d["ci_low"] == pytest.approx(0.5) and d["ci_high"] == pytest.approx(0.5)


def test_different_tokens_are_refused() -> None:
    with pytest.raises(ValueError, match="share a tokenizer"):
        paired_log_ppl_diff(DocScores(np.ones(2), np.array([2, 3])), DocScores(np.ones(2), np.array([2, 4])))


def test_rows_and_category_summary() -> None:
    base = DocScores(np.array([2.0, 3.0]), np.array([2, 6]))
    worse = DocScores(np.array([3.0, 4.0]), np.array([2, 6]))
    better = DocScores(np.array([1.0, 2.0]), np.array([2, 6]))
    rows = [comparison_rows({"pair": "p"}, "a", "literature", base, worse),
            comparison_rows({"pair": "p"}, "b", "literature", base, better)]
    assert rows[0]["base_ppl"] == pytest.approx(math.exp(5 / 8)) and rows[0]["aligned_ppl"] == pytest.approx(math.exp(7 / 8))
    s = summary_by_category(pd.DataFrame(rows))
    assert s.loc[0, "share_aligned_worse"] == 0.5 and s.loc[0, "mean_delta_log_ppl"] == pytest.approx(0.0)


def test_finetuning_lowers_the_loss_on_its_data_and_leaves_the_original(tiny_tokenizer, tiny_model) -> None:
    import torch

    text = ["the quick brown fox jumps over the lazy dog. " * 8] * 6
    budget = FinetuneBudget(steps=8, block=32, batch=4, lr=3e-3)
    blocks = training_blocks(tiny_tokenizer, text, budget, seed=0)
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    tuned = finetune(tiny_model, blocks, budget, seed=0)
    x = torch.from_numpy(blocks[:2].astype(np.int64))
    with torch.no_grad():
        assert tuned(input_ids=x, labels=x).loss < tiny_model(input_ids=x, labels=x).loss
    for k, v in tiny_model.state_dict().items():
        assert torch.equal(v, before[k])
    with pytest.raises(ValueError, match="bad fine-tuning budget"):
        FinetuneBudget(steps=0)


def test_a_bf16_model_fine_tunes_with_mixed_precision_and_comes_back_in_bf16(tiny_tokenizer, tiny_model) -> None:
    """The book's default on a CPU with AMX: float32 master weights, bf16 autocast, the tuned copy in bf16."""
    import copy

    import torch

    model = copy.deepcopy(tiny_model).to(torch.bfloat16)
    text = ["the quick brown fox jumps over the lazy dog. " * 8] * 6
    budget = FinetuneBudget(steps=8, block=32, batch=4, lr=3e-3)
    blocks = training_blocks(tiny_tokenizer, text, budget, seed=0)
    tuned = finetune(model, blocks, budget, seed=0)
    assert tuned.dtype == torch.bfloat16 and model.dtype == torch.bfloat16
    x = torch.from_numpy(blocks[:2].astype(np.int64))
    with torch.no_grad():
        assert tuned(input_ids=x, labels=x).loss < model(input_ids=x, labels=x).loss
    again = finetune(model, blocks, budget, seed=0)  # same seed, same result
    assert all(torch.equal(a, b) for a, b in zip(tuned.state_dict().values(), again.state_dict().values(), strict=True))


def test_lora_lowers_the_loss_trains_only_adapters_and_restores_the_model(tiny_tokenizer, tiny_model) -> None:
    """LoRA (the auto rule above a parameter count): the loss on the training data falls, the loaded model is
    its original self again afterwards, even when the block raises, and the same seed trains the same."""
    import torch

    from predact_utils.chapters.worldmodel.finetune import lora_tuned, tuned_model

    text = ["the quick brown fox jumps over the lazy dog. " * 8] * 6
    budget = FinetuneBudget(steps=8, block=32, batch=4, lr=3e-2, method="lora", lora_rank=4)
    blocks = training_blocks(tiny_tokenizer, text, budget, seed=0)
    before = {k: v.clone() for k, v in tiny_model.state_dict().items()}
    x = torch.from_numpy(blocks[:2].astype(np.int64))
    with torch.no_grad():
        loss0 = float(tiny_model(input_ids=x, labels=x).loss)
    losses = []
    for _ in range(2):
        with tuned_model(tiny_model, blocks, budget, seed=0) as tuned, torch.no_grad():
            assert sum(p.numel() for p in tuned.parameters() if p.requires_grad) < 0.5 * sum(before[k].numel()
                                                                                           for k in before)
            losses.append(float(tuned(input_ids=x, labels=x).loss))
    assert losses[0] < loss0 and losses[0] == pytest.approx(losses[1], abs=1e-6)
    assert set(tiny_model.state_dict()) == set(before)
    assert all(torch.equal(v, before[k]) for k, v in tiny_model.state_dict().items())
    with pytest.raises(RuntimeError, match="boom"):
        with lora_tuned(tiny_model, blocks, budget, seed=0):
            raise RuntimeError("boom")
    assert set(tiny_model.state_dict()) == set(before)


def test_the_auto_rule_picks_lora_above_the_threshold() -> None:
    b = FinetuneBudget(lora_above=1000)
    assert (b.method_for(999), b.method_for(1000), b.method_for(1001)) == ("full", "full", "lora")
    assert FinetuneBudget(method="full").method_for(10**12) == "full"
    with pytest.raises(ValueError, match="method must be one of"):
        FinetuneBudget(method="qlora")


def test_a_corpus_is_tokenized_once_per_tokenizer_for_fig_2b(tiny_tokenizer, tiny_pair_dir, tmp_path,
                                                             monkeypatch) -> None:
    """Two models loaded from two folders carry two tokenizer objects that encode alike: the corpus is
    tokenized once, and the blocks are those of ``training_blocks``; a tokenizer of another vocabulary gets
    its own."""
    from conftest import make_tokenizer

    from predact_utils.chapters.worldmodel.finetune import CorpusBlocks, finetuned_test_scores
    from predact_utils.lm.models import load_model

    text = ["the cat sat on the mat. " * 20, "a dog ran in the park. " * 20]
    budget = FinetuneBudget(steps=1, block=16, batch=2, lr=1e-3, max_train_tokens=400)
    shared = CorpusBlocks(text, budget, seed=0)
    first = load_model(str(tiny_pair_dir / "tiny-base"), role="base")
    second = load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned")
    assert first.tokenizer is not second.tokenizer
    a, b = shared.for_tokenizer(first.tokenizer), shared.for_tokenizer(second.tokenizer)
    assert shared.made == 1 and a is b
    np.testing.assert_array_equal(a, training_blocks(first.tokenizer, text, budget, seed=0))
    other = make_tokenizer(vocab_size=280)
    np.testing.assert_array_equal(shared.for_tokenizer(other), training_blocks(other, text, budget, seed=0))
    assert shared.made == 2
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match="other texts, budget or seed"):
        finetuned_test_scores(first, text[:1], ["a test"], budget, seed=0, blocks=shared)
    with pytest.raises(ValueError, match="other texts, budget or seed"):
        finetuned_test_scores(first, text, ["a test"], budget, seed=1, blocks=shared)

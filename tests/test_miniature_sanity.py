"""Sanity measurements of the miniature family on tiny models with known answers (predact_utils.miniature.sanity)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from transformers import LlamaConfig, LlamaForCausalLM

from predact_utils.miniature import sanity
from predact_utils.miniature.bigram import BigramLM
from predact_utils.miniature.cards import read_card, render, write_card
from predact_utils.miniature.tokenizer import train_tokenizer

TEXTS = ["What does grep do? It prints matching lines.", "What is a dog? A domestic animal.",
         "The sun is a star.", "def f(x):\n    return x\n"] * 25


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer(TEXTS, vocab_size=300)


def _model(tok, seed: int) -> LlamaForCausalLM:
    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=64, num_hidden_layers=2,
                      num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=512,
                      eos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id, bos_token_id=tok.eos_token_id)
    return LlamaForCausalLM(cfg).eval()


def test_answer_logprob_equals_a_manual_forward(tok) -> None:
    m = _model(tok, 0)
    prompt = [{"role": "user", "content": "What does grep do?"}]
    answer = [{"role": "assistant", "content": "It prints."}]
    p_ids = tok.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    a_ids = tok("It prints.", add_special_tokens=False)["input_ids"] + [tok.eos_token_id]
    x = torch.tensor([p_ids + a_ids])
    with torch.no_grad():
        logp = torch.log_softmax(m(input_ids=x).logits[0], dim=-1)
    want = sum(float(logp[len(p_ids) - 1 + i, t]) for i, t in enumerate(a_ids))
    assert sanity._answer_logprob(m, tok, prompt, answer) == pytest.approx(want, rel=1e-5)


def test_preference_accuracy_is_zero_against_itself(tok) -> None:
    m = _model(tok, 0)
    pairs = [{"prompt": [{"role": "user", "content": "What is a dog?"}],
              "chosen": [{"role": "assistant", "content": "A domestic animal."}],
              "rejected": [{"role": "assistant", "content": "A star."}]}] * 3
    res = sanity.preference_accuracy(m, m, tok, pairs)
    assert res == {"pairs": 3, "accuracy": 0.0, "mean_margin": 0.0}  # identical models: every margin is 0


def test_bootstrap_of_a_constant_difference() -> None:
    res = sanity.bootstrap_diff(np.full(20, 3.0), np.full(20, 1.0))
    assert res == {"mean_diff": 2.0, "ci_low": 2.0, "ci_high": 2.0}
    noisy = sanity.bootstrap_diff(np.arange(50.0), np.zeros(50))
    assert noisy["ci_low"] < noisy["mean_diff"] == 24.5 < noisy["ci_high"]


def test_bigram_perplexity_scores_the_same_tokens_as_the_model(tok) -> None:
    docs = TEXTS[:4]
    lm = BigramLM(len(tok)).fit(tok(TEXTS, add_special_tokens=False)["input_ids"])
    seqs = [[tok.eos_token_id] + tok(t, add_special_tokens=False)["input_ids"] for t in docs]
    lps = np.concatenate([lm.logprobs(s)[1:] for s in seqs])
    assert sanity.bigram_perplexity(lm, tok, docs) == pytest.approx(math.exp(-lps.mean()))
    _, n = sanity.corpus_perplexity(_model(tok, 1), tok, docs)
    assert n == lps.size


def test_assistant_behaviour_counts_stops_and_role_breaks(tok) -> None:
    res = sanity.assistant_behaviour(_model(tok, 2), tok, ["What is a dog?", "What does grep do?"], n=3,
                                     max_new_tokens=12)
    assert res["samples"] == 6
    for k in ("ends_with_eos", "stays_in_role", "ok"):
        assert 0.0 <= res[k] <= 1.0
    assert res["ok"] <= min(res["ends_with_eos"], res["stays_in_role"])
    again = sanity.assistant_behaviour(_model(tok, 2), tok, ["What is a dog?", "What does grep do?"], n=3,
                                       max_new_tokens=12)
    assert again == res  # seeded: the same numbers on a re-run


def test_card_round_trip(tmp_path) -> None:
    card = {"name": "mini-x-base", "parent": None, "steps": 3, "validation": {"kjv": {"ppl": 12.5, "tokens": 9,
            "bigram_ppl": 40.0}}, "behaviour": {"ok": 0.95, "examples": [{"prompt": "Q?", "answer": "A."}]},
            "limitations": "Tiny."}
    write_card(tmp_path, card)
    assert read_card(tmp_path) == card
    text = (tmp_path / "README.md").read_text()
    assert "| kjv | 12.5 | 40 | 9 |" in text and "**Prompt:** Q?" in text and "## What it can and cannot do" in text
    assert render(card) == text
    with pytest.raises(FileNotFoundError, match="make miniature"):
        read_card(tmp_path / "nothing")


def test_check_pairs_spread_over_the_whole_heldout_file():
    from predact_utils.miniature.measure import check_pairs

    pairs = [{"id": f"{kind}-{i}"} for kind in ("a", "b", "c", "d") for i in range(25)]  # sorted by kind, like the file
    picked = check_pairs(pairs, 8)
    assert [p["id"] for p in picked] == ["a-0", "a-12", "b-0", "b-12", "c-0", "c-12", "d-0", "d-12"]
    assert check_pairs(pairs[:5], 8) == pairs[:5]

"""Pre-training code path of the miniature Base LMs on a tiny config (predact_utils.miniature.pretrain)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM, AutoTokenizer

from predact_utils.miniature import pretrain as pt
from predact_utils.miniature.configs import BUDGETS, PretrainBudget
from predact_utils.miniature.tokenizer import CHAT_TEMPLATE, EOS, PAD, train_tokenizer

TEXTS = [
    "In the beginning was the word, and the word was with the dictionary.",
    "grep searches files for lines that match a pattern and prints them.",
    "def add(a, b):\n    return a + b\n",
    "User: hello\nBot: hello, how are you?",
] * 30


@pytest.fixture(scope="module")
def tok():
    return train_tokenizer(TEXTS, vocab_size=300)


def test_tokenizer_specials_and_chat_template(tok) -> None:
    assert tok.eos_token == EOS and tok.pad_token == PAD and tok.pad_token_id != tok.eos_token_id
    assert tok.chat_template == CHAT_TEMPLATE
    msgs = [{"role": "user", "content": "What does grep do?"}, {"role": "assistant", "content": "It searches."}]
    text = tok.apply_chat_template(msgs, tokenize=False)
    assert text == "<|user|>\nWhat does grep do?\n<|assistant|>\nIt searches.<|endoftext|>\n"
    enc = tok.apply_chat_template(msgs, tokenize=True, return_dict=True, return_assistant_tokens_mask=True)
    marked = [i for i, m in zip(enc["input_ids"], enc["assistant_masks"], strict=True) if m]
    assert tok.decode(marked) == "It searches.<|endoftext|>"
    # a round trip through bytes is lossless
    s = "naïve café — ünïcödé\n\ttabs"
    assert tok.decode(tok(s)["input_ids"]) == s


def test_tokenize_corpus_appends_eos_and_caps(tok) -> None:
    ids = pt.tokenize_corpus(tok, ["ab", "cd"], cap_tokens=10_000)
    assert (ids == tok.eos_token_id).sum() == 2 and ids[-1] == tok.eos_token_id
    assert pt.tokenize_corpus(tok, TEXTS, cap_tokens=17).size == 17
    assert pt.tokenize_corpus(tok, TEXTS, cap_tokens=100).dtype == np.uint16


def test_tokenize_corpus_keeps_ids_of_a_large_vocabulary() -> None:
    """A vocabulary past 65,536 tokens (Llama-3's 128k) is stored as uint32, every id intact."""

    class Large:
        eos_token_id = 128_001

        def __len__(self) -> int:
            return 128_256

        def __call__(self, docs, add_special_tokens=False):  # noqa: ANN001, ANN204
            return {"input_ids": [[70_000 + len(d), 5] for d in docs]}

    ids = pt.tokenize_corpus(Large(), ["ab", "cde"], cap_tokens=100)
    assert ids.dtype == np.uint32 and ids.tolist() == [70_002, 5, 128_001, 70_003, 5, 128_001]


def test_blocks_are_a_seeded_permutation() -> None:
    stream = np.arange(103, dtype=np.uint16)
    a, b = pt.blocks_of(stream, 10, seed=1), pt.blocks_of(stream, 10, seed=1)
    assert a.shape == (10, 10) and np.array_equal(a, b)
    assert sorted(a[:, 0].tolist()) == list(range(0, 100, 10))
    assert not np.array_equal(a, pt.blocks_of(stream, 10, seed=2))


@pytest.mark.slow
def test_interrupted_training_resumes_to_the_same_weights(tok, tmp_path: Path) -> None:
    stream, _ = pt.token_pool(tok, {"a": TEXTS[:60], "b": TEXTS[60:]}, cap_tokens_per_corpus=100_000)
    blocks = pt.blocks_of(stream, 64, seed=0)
    budget = PretrainBudget(tokens=6 * 4 * 64, block=64, batch=4, lr=3e-3)
    assert budget.steps == 6
    full = pt.pretrain("tiny", tok, blocks, tmp_path / "full", tmp_path / "w_full", budget=budget, save_every=2)
    assert full["finished"] and full["steps"] == 6
    part = pt.pretrain("tiny", tok, blocks, tmp_path / "res", tmp_path / "w_res", budget=budget, save_every=2,
                       max_minutes=1e-9)
    assert not part["finished"] and part["steps"] < 6
    done = pt.pretrain("tiny", tok, blocks, tmp_path / "res", tmp_path / "w_res", budget=budget, save_every=2)
    assert done["finished"] and done["steps"] == 6
    a, b = load_file(tmp_path / "full" / "model.safetensors"), load_file(tmp_path / "res" / "model.safetensors")
    assert a.keys() == b.keys()
    for k in a:
        assert a[k].dtype == torch.float16
        torch.testing.assert_close(a[k], b[k], rtol=0, atol=0)
    model = AutoModelForCausalLM.from_pretrained(tmp_path / "full", local_files_only=True)
    t2 = AutoTokenizer.from_pretrained(tmp_path / "full")
    assert t2.chat_template == CHAT_TEMPLATE and model.config.vocab_size == len(tok)


def test_budget_steps() -> None:
    assert BUDGETS["m"].steps == 12_000_000 // (512 * 8)

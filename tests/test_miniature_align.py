"""Every alignment stage (SFT, DPO, reward model, RLOO) trains a few steps on a tiny config (predact_utils.miniature.align).

This keeps the code path of ``make miniature`` honest in CI; the real family is trained by ``make miniature``.
"""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import numpy as np
import pytest
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification, AutoTokenizer

from predact_utils.miniature import align
from predact_utils.miniature import pretrain as pt
from predact_utils.miniature.configs import PretrainBudget
from predact_utils.miniature.tokenizer import train_tokenizer

QA = [
    ("What does grep do?", "grep prints lines that match a pattern."),
    ("What does the word dog mean?", "A domesticated carnivorous mammal."),
    ("What does ls do?", "ls lists the files of a directory."),
    ("What is Python?", "Python is a programming language."),
    ("What does cat do?", "cat concatenates files and prints them."),
    ("What does the word sun mean?", "The star around which the earth orbits."),
    ("What does rm do?", "rm removes files."),
    ("What is Perl?", "Perl is a programming language."),
]


@pytest.fixture(scope="module")
def tiny_base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("align")
    texts = [f"{q} {a}" for q, a in QA] * 20
    tok = train_tokenizer(texts, vocab_size=320)
    stream, _ = pt.token_pool(tok, {"qa": texts}, 100_000)
    blocks = pt.blocks_of(stream, 64, seed=0)
    budget = PretrainBudget(tokens=2 * 4 * 64, block=64, batch=4)
    out = root / "base"
    assert pt.pretrain("tiny", tok, blocks, out, root / "work-base", budget=budget)["finished"]
    return out


def _chats() -> datasets.Dataset:
    return datasets.Dataset.from_list(
        [{"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": a}]} for q, a in QA]
    )


def _pairs() -> datasets.Dataset:
    rows = []
    for i, (q, a) in enumerate(QA):
        rows.append({"prompt": [{"role": "user", "content": q}], "chosen": [{"role": "assistant", "content": a}],
                     "rejected": [{"role": "assistant", "content": QA[(i + 1) % len(QA)][1]}]})
    return datasets.Dataset.from_list(rows)


@pytest.mark.slow
def test_every_stage_trains_and_saves_a_loadable_checkpoint(tiny_base: Path, tmp_path: Path) -> None:
    t = align.TINY
    s = align.sft(tiny_base, tmp_path / "sft", tmp_path / "w-sft", _chats(), budget=t["sft"])
    assert s["finished"] and s["steps"] == 2
    d = align.dpo(tmp_path / "sft", tmp_path / "dpo", tmp_path / "w-dpo", _pairs(), budget=t["dpo"])
    assert d["finished"]
    r = align.reward(tiny_base, tmp_path / "rm", tmp_path / "w-rm", _pairs(), budget=t["reward"])
    assert r["finished"]
    prompts = _pairs().select_columns(["prompt"])
    h = align.rlhf(tmp_path / "sft", tmp_path / "rm", tmp_path / "rlhf", tmp_path / "w-rlhf", prompts,
                   budget=t["rlhf"])
    assert h["finished"]
    for name in ("sft", "dpo", "rlhf"):
        m = AutoModelForCausalLM.from_pretrained(tmp_path / name, local_files_only=True)
        tok = AutoTokenizer.from_pretrained(tmp_path / name)
        assert tok.chat_template and m.config.vocab_size == len(tok)
        assert json.loads((tmp_path / f"w-{name}" / "summary.json").read_text())["steps"] == 2
    rm = AutoModelForSequenceClassification.from_pretrained(tmp_path / "rm", local_files_only=True)
    assert rm.config.num_labels == 1
    # fine-tuning changed the weights
    a = AutoModelForCausalLM.from_pretrained(tiny_base).model.embed_tokens.weight.detach().numpy()
    b = AutoModelForCausalLM.from_pretrained(tmp_path / "sft").model.embed_tokens.weight.detach().numpy()
    assert not np.array_equal(a, b)


@pytest.mark.slow
def test_dpo_with_an_nll_term_on_chosen_trains_differently_from_plain_dpo(tiny_base: Path, tmp_path: Path) -> None:
    """The medium model's DPO budget adds an NLL loss on the chosen answers (RPO); same seed, other weights."""
    t = align.TINY
    assert align.budget_for("dpo-m").sft_weight > 0 and align.budget_for("dpo-s") is align.BUDGETS["dpo"]
    assert align.sft(tiny_base, tmp_path / "sft", tmp_path / "w-sft", _chats(), budget=t["sft"])["finished"]
    plain = align.dpo(tmp_path / "sft", tmp_path / "plain", tmp_path / "w-plain", _pairs(), budget=t["dpo"])
    rpo = align.dpo(tmp_path / "sft", tmp_path / "rpo", tmp_path / "w-rpo", _pairs(), budget=t["dpo-m"])
    assert plain["finished"] and rpo["finished"]
    assert "NLL" not in plain["method"] and "NLL loss on the chosen answer with weight 1" in rpo["method"]
    w = [AutoModelForCausalLM.from_pretrained(tmp_path / n).lm_head.weight.detach().numpy() for n in ("plain", "rpo")]
    assert not np.array_equal(w[0], w[1])


def test_preference_pairs_leave_out_the_dropped_rejection_kinds() -> None:
    from predact_utils.data import instructions
    meta = instructions.load_preferences("train", with_meta=True)
    n_truncated = sum(1 for k in meta["rejection"] if k == "truncated")
    assert 0 < n_truncated < len(meta)
    kept = align.preference_pairs("train", align.AlignBudget(epochs=1, lr=1e-4, batch=4, drop_rejections=("truncated",)))
    assert len(kept) == len(meta) - n_truncated
    assert kept.column_names == ["prompt", "chosen", "rejected"]
    # the kept pairs are the non-truncated ones, in order
    first = next(r for r in meta if r["rejection"] != "truncated")
    assert kept[0]["chosen"] == first["chosen"] and kept[0]["rejected"] == first["rejected"]
    assert len(align.preference_pairs("train", align.AlignBudget(epochs=1, lr=1e-4, batch=4))) == len(meta)
    with pytest.raises(ValueError, match="no train pair has"):
        align.preference_pairs("train", align.AlignBudget(epochs=1, lr=1e-4, batch=4, drop_rejections=("shuffled",)))
    assert "truncated left out" in align.AlignBudget(epochs=1, lr=1e-4, batch=4, drop_rejections=("truncated",)).dpo_method()


def test_preference_pairs_leave_out_chosen_answers_that_cannot_end_in_time() -> None:
    from predact_utils.data import instructions
    def words(text: str, add_special_tokens: bool = False) -> dict[str, list[str]]:  # one token per word
        return {"input_ids": text.split()}

    meta = instructions.load_preferences("train", with_meta=True)
    n_words = [len(r["chosen"][0]["content"].split()) for r in meta]
    limit = sorted(n_words)[len(n_words) // 2] + 1  # the median answer and its end-of-text token just fit
    budget = align.AlignBudget(epochs=1, lr=1e-4, batch=4, max_chosen_tokens=limit)
    kept = align.preference_pairs("train", budget, words)
    assert 0 < len(kept) < len(meta)
    assert len(kept) == sum(1 for n in n_words if n + 1 <= limit)
    assert all(len(r["chosen"][0]["content"].split()) + 1 <= limit for r in kept)
    both = align.preference_pairs("train", align.AlignBudget(epochs=1, lr=1e-4, batch=4, max_chosen_tokens=limit,
                                                             drop_rejections=("truncated",)), words)
    assert len(both) == sum(1 for n, r in zip(n_words, meta["rejection"], strict=True)
                            if n + 1 <= limit and r != "truncated")
    with pytest.raises(ValueError, match="pass the policy's tokenizer"):
        align.preference_pairs("train", budget)
    assert "does not end within" in budget.dpo_method()
    assert align.BUDGETS["dpo-m"].max_chosen_tokens == align.ANSWER_TOKENS


def test_sft_chats_leave_out_answers_that_cannot_end_in_time() -> None:
    from predact_utils.data import instructions
    def words(text: str, add_special_tokens: bool = False) -> dict[str, list[str]]:  # one token per word
        return {"input_ids": text.split()}

    chats = instructions.load("train")
    n_words = [len(r["messages"][-1]["content"].split()) for r in chats]
    limit = sorted(n_words)[len(n_words) // 2] + 1  # the median answer and its end-of-text token just fit
    budget = align.AlignBudget(epochs=1, lr=1e-4, batch=4, max_answer_tokens=limit)
    kept = align.sft_chats("train", budget, words)
    assert len(kept) == sum(1 for n in n_words if n + 1 <= limit) and 0 < len(kept) < len(chats)
    assert all(len(r["messages"][-1]["content"].split()) + 1 <= limit for r in kept)
    assert len(align.sft_chats("train", align.AlignBudget(epochs=1, lr=1e-4, batch=4))) == len(chats)
    with pytest.raises(ValueError, match="pass the model's tokenizer"):
        align.sft_chats("train", budget)
    assert "does not end within" in budget.sft_method()
    assert align.BUDGETS["sft"].max_answer_tokens == align.ANSWER_TOKENS
    assert "had not risen by more than 0.02 for 10 logs" in align.BUDGETS["rlhf"].rlhf_method()

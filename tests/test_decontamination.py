"""No training text of the miniature's aligned stages shares a 13-word run with an evaluation split
(predact_utils.data.decontam), checked on crafted strings and on the committed files."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest

from predact_utils.data.corpora.io import read_jsonl
from predact_utils.data.decontam import RUN_WORDS, EvalIndex, runs, words

ROOT = Path(__file__).resolve().parent.parent
TEXT = "the quick brown fox jumps over the lazy dog while the cat sleeps on the warm mat"


def test_words_are_lower_cased_and_punctuation_collapsed() -> None:
    assert words("Python's list -- a TUPLE, (really)!") == ["python", "s", "list", "a", "tuple", "really"]


def test_a_13_word_run_is_found_through_case_and_punctuation() -> None:
    index = EvalIndex().add([TEXT])
    shifted = "Unrelated words first. " + " ".join(TEXT.split()[2:15]).upper().replace(" ", ", ") + "!"
    assert index.shares_run(shifted)  # 13 words of the evaluation text, in order


def test_12_shared_words_or_another_order_are_not_contamination() -> None:
    index = EvalIndex().add([TEXT])
    assert not index.shares_run(" ".join(TEXT.split()[:12]) + " elephant")
    assert not index.shares_run(" ".join(reversed(TEXT.split())))
    assert len(runs(" ".join(TEXT.split()[:RUN_WORDS]))) == 1 and runs("too short") == set()


@cache
def _committed_eval_index() -> EvalIndex:
    index = EvalIndex()
    for split in sorted((ROOT / "data" / "corpora" / "eval").glob("*/*.jsonl")):
        index.add(r["text"] for r in read_jsonl(split))
    for prefixes in sorted((ROOT / "data" / "prefixes").glob("*.jsonl")):
        index.add(r["prefix"] + r["continuation"] for r in read_jsonl(prefixes))
    return index


def _texts(rows, keys) -> list[str]:
    return ["\n".join(m["content"] for k in keys for m in r[k]) for r in rows]


@pytest.mark.slow
def test_committed_training_text_shares_no_run_with_any_evaluation_split() -> None:
    """SFT chats (prompts and answers, which are also the RL prompts) and DPO / reward pairs."""
    index = _committed_eval_index()
    assert index.texts > 1000
    sft = list(read_jsonl(ROOT / "data" / "instructions" / "train.jsonl"))
    pairs = list(read_jsonl(ROOT / "data" / "instructions" / "preferences_train.jsonl"))
    bad_sft = [t[:80] for t in _texts(sft, ["messages"]) if index.shares_run(t)]
    bad_pairs = [t[:80] for t in _texts(pairs, ["prompt", "chosen", "rejected"]) if index.shares_run(t)]
    assert not bad_sft, f"{len(bad_sft)} SFT chats share a {RUN_WORDS}-word run with an evaluation split: {bad_sft[:3]}"
    assert not bad_pairs, f"{len(bad_pairs)} preference pairs share a run: {bad_pairs[:3]}"


METADATA = re.compile(r"\(\d{4}-\d{2}-\d{2}\)|\[\d{4} Webster\]|\[WordNet [\d.]+\]|\[Jargon File\]|\[PJC\]")


def test_committed_answers_carry_no_source_metadata() -> None:
    rows = list(read_jsonl(ROOT / "data" / "instructions" / "train.jsonl"))
    rows += list(read_jsonl(ROOT / "data" / "instructions" / "heldout.jsonl"))
    stamped = [r["id"] for r in rows if METADATA.search(r["messages"][-1]["content"])]
    assert not stamped, f"{len(stamped)} answers carry date stamps or source tags, e.g. {stamped[:3]}"


def test_manifest_records_the_rows_each_filter_dropped() -> None:
    import json

    manifest = json.loads((ROOT / "data" / "corpora" / "manifest.json").read_text())
    filters = manifest["instruction_filters"]
    assert set(filters["dropped_rows"]) >= {"train_chats_sharing_a_13_word_run",
                                           "preference_pairs_sharing_a_13_word_run", "generation_prompts"}
    assert filters["answer_words"]["all"]["chats"] == sum(1 for _ in read_jsonl(
        ROOT / "data" / "instructions" / "train.jsonl"))


def test_shared_documents_counts_word_for_word_copies() -> None:
    from predact_utils.data.decontam import shared_documents

    assert shared_documents(["A b, c.", "other text", "a B c"], ["a b c", "unrelated"]) == 2
    assert shared_documents(["a b c d"], ["a b c"]) == 0


@pytest.mark.sources
def test_no_pretraining_document_is_in_an_evaluation_split() -> None:
    """What the Base models are pre-trained on (the training splits built by `make data`, less any document
    that is word for word an evaluation document) holds no evaluation document."""
    from predact_utils.data import decontam
    from predact_utils.data.corpora.build import heldout_rows, split_path
    from predact_utils.data.corpora.registry import SPECS
    from predact_utils.miniature.build import pretraining_texts

    if not all(split_path(s, "train").is_file() for s in SPECS if s.has_train):
        pytest.skip("the training splits are not built (run `make data`)")
    evaluation = [r["text"] for s in SPECS if s.role in ("eval", "prefix") for r in heldout_rows(s)]
    texts = [t for docs in pretraining_texts().values() for t in docs]
    assert len(texts) > 10_000 and decontam.shared_documents(texts, evaluation) == 0

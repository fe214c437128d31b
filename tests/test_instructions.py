"""Instruction chats and DPO preference pairs: construction on fixtures and the committed files."""

from __future__ import annotations

from pathlib import Path

from predact_utils.data import instructions as ins
from predact_utils.data.corpora import extract_dictd
from predact_utils.data.corpora.extract_dialogue import QA

FIX = Path(__file__).parent / "fixtures" / "corpora"
RENDERED = (FIX / "frob.1.rendered").read_text()


def _fixture_chats() -> list[dict]:
    entries = extract_dictd.read_dictd(FIX / "tiny.dict.dz", FIX / "tiny.index", "dict-tiny")
    chats = ins.templated_dictionary(entries, "foldoc", 10, word_question=False, min_words=0)
    chats += ins.templated_man([("pkg/man1/frob.1.gz", RENDERED), ("pkg/man3/frob.3.gz", RENDERED)], 5, min_words=0)
    chats += ins.templated_docstrings([("json.dumps", "Serialize obj to a JSON formatted str using the encoder."),
                                       ("json._private", "Not public, never asked about.")], 5, min_words=0)
    chats += ins.faq_chats([QA("perl-doc/perlfaq4", "How do I reverse a string?",
                               "Use reverse() in scalar context, for example: scalar reverse($s). " * 3)])
    chats += ins.chatterbot_chats([("food", ["Do you eat?", "No, I am a program.", "ok"])])
    return chats


def test_templates_on_fixtures():
    chats = _fixture_chats()
    qs = [c["messages"][0]["content"] for c in chats]
    assert "What does gizmo mean?" in qs and "What does frobnicate mean?" not in qs  # first headword only
    assert "What does the frob command do?" in qs and qs.count("What does the frob command do?") == 1
    assert "What does `json.dumps` do?" in qs and not any("_private" in q for q in qs)
    man = next(c for c in chats if c["kind"] == "man")["messages"][1]["content"]
    assert man.startswith("frob - tweak a file until it works\n\nfrob adjusts each FILE")
    for c in chats:
        assert [m["role"] for m in c["messages"]] == ["user", "assistant"] and c["messages"][1]["content"]


def test_short_templated_answers_are_left_out():
    entries = extract_dictd.read_dictd(FIX / "tiny.dict.dz", FIX / "tiny.index", "dict-tiny")
    assert ins.templated_dictionary(entries, "foldoc", 10, word_question=False, min_words=0)
    assert ins.templated_dictionary(entries, "foldoc", 10, word_question=False, min_words=10_000) == []
    doc = [("json.dumps", "Serialize obj to a JSON formatted str using the encoder.")]  # 10 words
    assert len(ins.templated_docstrings(doc, 5, min_words=10)) == 1 and ins.templated_docstrings(doc, 5, min_words=11) == []


def test_decontaminate_drops_rows_that_share_a_run():
    from predact_utils.data.decontam import EvalIndex

    text = "one two three four five six seven eight nine ten eleven twelve thirteen"
    index = EvalIndex().add([text])
    rows = [{"t": "Intro: " + text.upper()}, {"t": "one two three"}]
    kept, dropped = ins.decontaminate(rows, index, lambda r: r["t"])
    assert kept == [{"t": "one two three"}] and dropped == 1


def test_prompt_exclusion():
    chats = _fixture_chats()
    kept = ins.exclude_prompts(chats, ["What does the word 'gizmo' mean?", "Do you eat?"])
    qs = {c["messages"][0]["content"] for c in kept}
    assert "What does gizmo mean?" not in qs and "Do you eat?" not in qs and len(kept) == len(chats) - 2


def test_cap_answer():
    text = "First paragraph. " * 20 + "\n\n" + "Second. " * 400
    capped = ins.cap_answer(text, 500)
    assert len(capped) <= 500 and capped.endswith("paragraph.")


def test_preference_pairs_on_fixtures():
    chats = ins.dedup_chats(_fixture_chats())
    pairs = ins.preference_pairs(chats)
    assert len(pairs) == len(chats) and pairs == ins.preference_pairs(chats)
    assert len(ins.preference_pairs(chats, 2)) == 2
    for p, c in zip(pairs, chats, strict=True):
        assert p["prompt"] == [c["messages"][0]] and p["chosen"] == [c["messages"][1]]
        assert p["rejected"][0]["role"] == "assistant" and p["rejected"] != p["chosen"]
        assert p["rejection"] in ins.REJECTIONS
        if p["rejection"] == "truncated":
            assert c["messages"][1]["content"].startswith(p["rejected"][0]["content"])


def test_split_is_stable():
    chats = ins.dedup_chats(_fixture_chats())
    train, held = ins.split(chats)
    rtrain, rheld = ins.split(list(reversed(chats)))
    assert {c["id"] for c in train} == {c["id"] for c in rtrain} and {c["id"] for c in held} == {c["id"] for c in rheld}
    assert len(train) + len(held) == len(chats)


def test_committed_instruction_data():
    train, held = ins.load("train"), ins.load("heldout")
    assert len(train) > 2000 and len(held) > 1000
    assert set(train["kind"]) == {"faq", "chatterbot", "gcide", "foldoc", "jargon", "man", "docstring"}
    assert not set(train["id"]) & set(held["id"])
    prefs = ins.load_preferences("train")
    assert prefs.column_names == ["prompt", "chosen", "rejected"] and len(prefs) == ins.N_PAIRS["train"]
    train_ids = set(train["id"])
    assert all(i in train_ids for i in ins.load_preferences("train", with_meta=True)["id"])
    meta = ins.load_preferences("heldout", with_meta=True)
    assert set(meta["rejection"]) == set(ins.REJECTIONS)

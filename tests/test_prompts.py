"""The 80 generation prompts: validation, content, no overlap with instruction training data."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from predact_utils.data import instructions, prompts


def test_committed_prompts_are_valid():
    rows = prompts.load()
    assert len(rows) == 80
    assert prompts.PAPER_EXAMPLE in {r["prompt"] for r in rows}
    cats = prompts.categories(rows)
    assert len(cats) >= 4 and all(sum(r["category"] == c for r in rows) >= 8 for c in cats)
    assert all(r["id"].startswith(r["category"]) and len(r["prompt"]) < 120 for r in rows)


def _line(i: int) -> str:
    return json.dumps({"id": f"c-{i}", "category": "c", "prompt": f"What is {i}?"})


@pytest.mark.parametrize(("bad", "match"), [
    ("{not json", "not valid JSON"),
    ('["a list"]', "expected a JSON object"),
    ('{"id": "x", "category": "c"}', "missing \\['prompt'\\]"),
    ('{"id": "x", "category": "c", "prompt": ""}', "non-empty string"),
    ('{"id": "c-1", "category": "c", "prompt": "Other?"}', "duplicate id 'c-1' \\(first on line 1\\)"),
    ('{"id": "y", "category": "c", "prompt": "what is 2"}', "duplicate prompt \\(same as line 2\\)"),
])
def test_malformed_line_names_line_number(tmp_path, bad, match):
    p = tmp_path / "prompts.jsonl"
    p.write_text("\n".join([_line(1), _line(2), "", bad]) + "\n")
    with pytest.raises(prompts.PromptFileError, match=rf"prompts\.jsonl:4: .*{match}"):
        prompts.load(p, expect=None)


def test_wrong_count(tmp_path):
    p = tmp_path / "prompts.jsonl"
    p.write_text(_line(1) + "\n")
    with pytest.raises(prompts.PromptFileError, match="expected 80 prompts, found 1"):
        prompts.load(p)


def test_no_prompt_in_instruction_training_data():
    qs = {prompts.normalize_question(r["prompt"]) for r in prompts.load()}
    for split in ("train", "heldout"):
        for row in instructions.load(split):
            assert prompts.normalize_question(row["messages"][0]["content"]) not in qs


def test_prefix_sets():
    sets = prompts.prefix_sets()
    assert len(sets) >= 11
    cats = set()
    for name in sets:
        rows = prompts.load_prefixes(name)
        assert len(rows) >= 64 and len({r["id"] for r in rows}) == len(rows)
        assert all(r["prefix"] and r["continuation"] and r["dataset"] == name for r in rows)
        cats.add(rows[0]["category"])
    assert cats == {"literature", "reference", "technical", "dialogue"}
    with pytest.raises(FileNotFoundError, match="available"):
        prompts.load_prefixes("nope")


def test_no_prompt_opens_like_20_or_more_sft_prompts() -> None:
    """The generation prompts do not invite a memorised template: none opens with the first four words of 20 or
    more SFT questions."""
    from collections import Counter

    from predact_utils.data.corpora.io import read_jsonl
    from predact_utils.data.prompts import load, normalize_question

    root = Path(__file__).resolve().parent.parent
    openings = Counter(" ".join(normalize_question(r["messages"][0]["content"]).split()[:4])
                       for r in read_jsonl(root / "data" / "instructions" / "train.jsonl"))
    templated = {o: n for o, n in openings.items() if n >= 20}
    bad = [p["prompt"] for p in load() if " ".join(normalize_question(p["prompt"]).split()[:4]) in templated]
    assert not bad, f"prompts that open like a template of the SFT data ({templated}): {bad}"


def test_prompts_file_parameter_reads_a_users_file_and_refuses_a_bad_one(tmp_path) -> None:
    import pytest

    from predact_utils.params import ParameterError
    from predact_utils.runs.generations import prompt_rows

    good = tmp_path / "mine.jsonl"
    good.write_text('{"id": "q-1", "category": "howto", "prompt": "How do I bake bread?"}\n')
    assert prompt_rows(str(good)) == [{"id": "q-1", "category": "howto", "prompt": "How do I bake bread?"}]
    assert len(prompt_rows("")) == 80
    with pytest.raises(ParameterError, match="is not a file"):
        prompt_rows(str(tmp_path / "missing.jsonl"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "q-1", "prompt": "no category"}\n')
    with pytest.raises(ParameterError, match=r"prompts_file: .*bad.jsonl:1: keys must be exactly"):
        prompt_rows(str(bad))


def test_chapters_that_sample_prompts_refuse_a_bad_prompts_file(tmp_path) -> None:
    import pytest

    from predact_utils.chapters import anchors, collapse, explorer, frontier, planning
    from predact_utils.params import ParameterError

    for chapter in (collapse, anchors, planning, frontier, explorer):
        with pytest.raises(ParameterError, match="prompts_file"):
            chapter.Settings.from_values({"prompts_file": str(tmp_path / "nope.jsonl")})

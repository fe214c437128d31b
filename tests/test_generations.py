"""The shared generation runs: prompt selection, caching across calls, prefix continuations as raw text."""

from __future__ import annotations

import pytest

from predact_utils.data import prompts as prompt_data
from predact_utils.lm.chat import encode_prompts
from predact_utils.lm.models import load_model
from predact_utils.lm.sampling import generate
from predact_utils.runs.cache import ArtifactCache
from predact_utils.runs.generations import (
    BOOK_SAMPLING,
    prefix_generations,
    prompt_generations,
    sampling_params,
    select_prompts,
)


def test_select_prompts():
    assert len(select_prompts()) == prompt_data.N_PROMPTS
    assert len(select_prompts(0)) == prompt_data.N_PROMPTS
    assert [r["id"] for r in select_prompts(3)] == [r["id"] for r in prompt_data.load()[:3]]
    with pytest.raises(ValueError, match="n_prompts"):
        select_prompts(-1)


def test_prompt_index_finds_known_ids_and_refuses_unknown_ones():
    from predact_utils.runs.generations import prompt_index

    rows = prompt_data.load()
    assert prompt_index(rows, rows[5]["id"]) == 5
    assert prompt_index(rows[:2], rows[5]["id"]) == 0  # known, but not in a smoke-sized selection
    with pytest.raises(ValueError, match=r"unknown prompt id 'comparison-99'; ids look like"):
        prompt_index(rows, "comparison-99")


def test_empty_or_textless_prompt_list_is_refused_with_the_fix():
    with pytest.raises(ValueError, match=r"prompt list is empty: nothing to sample.*data/prompts.jsonl"):
        select_prompts(rows=[])
    with pytest.raises(ValueError, match=r"prompt rows \[1\] have no non-empty 'prompt'"):
        select_prompts(rows=[{"id": "a", "prompt": "Hi"}, {"id": "b", "prompt": "  "}])


def test_book_sampling_defaults_match_the_paper():
    assert BOOK_SAMPLING.top_p == 0.9 and BOOK_SAMPLING.n == 100
    assert sampling_params() == BOOK_SAMPLING
    with pytest.raises(ValueError, match="top_p"):
        sampling_params(top_p=0.0)


def test_prompt_generations_are_cached_and_shared(tiny_pair_dir, tmp_path):
    lm = load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned")
    params = sampling_params(n=3, max_new_tokens=5, seed=7)
    cache = ArtifactCache(tmp_path / "cache")
    rows = [{"id": "a", "prompt": "hello"}, {"id": "b", "prompt": "why is it so"}]
    first = prompt_generations(lm, params, rows=rows, cache=cache)
    entries = sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file())
    again = prompt_generations(lm, params, rows=rows, cache=cache)
    assert sorted(p.name for p in (tmp_path / "cache").rglob("*") if p.is_file()) == entries  # nothing recomputed
    assert [g.token_ids for per in first.generations for g in per] == again.all_token_ids()
    assert len(first.generations) == 2 and all(len(per) == 3 for per in first.generations)
    assert first.role == "aligned" and 0.0 <= first.eos_share() <= 1.0
    assert first.token_ids(1) == [g.token_ids for g in first.generations[1]]


def test_prefix_generations_continue_raw_text(tiny_pair_dir, tmp_path, monkeypatch):
    lm = load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned")
    name = prompt_data.prefix_sets()[0]
    run = prefix_generations(lm, name, sampling_params(n=1, max_new_tokens=3), n_prefixes=2,
                             cache=ArtifactCache(tmp_path / "cache"))
    assert run.role == "base" and len(run.prompts) == 2
    assert run.prompts[0]["prompt"] == run.prompts[0]["prefix"]
    # the aligned model continued the prefix as plain text: sampling from the raw prefix ids gives the same tokens
    raw = encode_prompts(lm.tokenizer, [r["prefix"] for r in run.prompts], "base")
    direct = generate(lm.model, lm.tokenizer, raw, run.params, progress=False)
    assert [g.token_ids for per in direct for g in per] == run.all_token_ids()


def test_chunks_hold_whole_prompts_of_about_rows_per_chunk_samples(tiny_pair_dir, tmp_path):
    """Few samples per prompt: many prompts per saved chunk; the samples do not depend on the chunking."""
    import json

    from predact_utils.runs.artifacts import cached_generations

    lm = load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned")
    params = sampling_params(n=2, max_new_tokens=4, seed=3)
    texts = [f"prompt number {i}" for i in range(10)]
    small = cached_generations(lm, texts, params, cache=ArtifactCache(tmp_path / "a"), rows_per_chunk=8,
                               progress=False)
    whole = cached_generations(lm, texts, params, cache=ArtifactCache(tmp_path / "b"), progress=False)
    meta = {d: json.loads(next((tmp_path / d).rglob("meta.json")).read_text()) for d in ("a", "b")}
    assert meta["a"]["n_chunks"] == 3 and meta["b"]["n_chunks"] == 1  # 4 + 4 + 2 prompts; all 10 in one
    assert [[g.token_ids for g in per] for per in small] == [[g.token_ids for g in per] for per in whole]

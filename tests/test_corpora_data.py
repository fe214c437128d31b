"""The committed data: manifest hashes, loader, evaluation-suite shape; rebuild reproducibility (sources)."""

from __future__ import annotations

import hashlib

import datasets
import pytest

import predact_utils.data.corpora as corpora
from predact_utils.data.corpora import manifest as mf
from predact_utils.data.corpora.sources import MissingSourceError


@pytest.fixture(scope="module")
def manifest():
    return mf.load_manifest()


def test_committed_files_match_manifest(manifest):
    assert mf.verify_committed(manifest) == []
    assert len(mf.committed_files(manifest)) >= 9 * 2 + 11 + 4 + 1


def test_evaluation_suite_shape(manifest):
    evals = corpora.names(role="eval")
    assert len(evals) >= 9
    assert {corpora.category_of(n) for n in evals} == set(corpora.categories())
    for n in evals:
        for split in ("validation", "test"):
            s = manifest["corpora"][n]["splits"][split]
            assert s["committed"] and s["path"] == f"corpora/eval/{n}/{split}.jsonl"
            assert 0.1e6 <= s["est_tokens"] <= 0.5e6, (n, split, s["est_tokens"])
        assert manifest["corpora"][n]["license"] and manifest["corpora"][n]["sources"]
    assert "bytes/4" in manifest["token_proxy"]


def test_load_kjv_validation_offline(monkeypatch):
    monkeypatch.setenv("HF_DATASETS_OFFLINE", "1")
    ds = corpora.load("kjv_bible", "validation")
    assert isinstance(ds, datasets.Dataset) and ds.column_names == ["id", "source", "text"]
    assert len(ds) > 100 and all(t.strip() for t in ds["text"][:10])


def test_loader_errors():
    with pytest.raises(KeyError, match="known corpora"):
        corpora.load("nope", "train")
    with pytest.raises(ValueError, match="no split 'dev'"):
        corpora.split_path("kjv_bible", "dev")
    with pytest.raises(ValueError, match="no split 'train'"):
        corpora.split_path("instruct_heldout", "train")


def test_committed_splits_are_disjoint_from_each_other():
    for n in corpora.names(role="eval"):
        v = {r["id"] for r in corpora.load_texts(n, "validation")}
        t = {r["id"] for r in corpora.load_texts(n, "test")}
        assert v and t and not v & t


@pytest.mark.sources
@pytest.mark.slow
@pytest.mark.parametrize("name", [n for n in corpora.names(role="eval") if n != "instruct_heldout"])
def test_rebuild_reproduces_committed_splits(manifest, name):
    """Rebuilding from the installed sources gives the committed files byte for byte."""
    from predact_utils.data.corpora.build import rebuild_bytes, source_versions
    from predact_utils.data.corpora.registry import spec

    entry = manifest["corpora"][name]
    try:
        versions = source_versions(spec(name))
    except MissingSourceError as e:
        pytest.skip(f"sources of {name} not installed (run `make data`): {str(e).splitlines()[0]}")
    if versions != entry["sources"]:
        pytest.skip(f"installed source versions {versions} differ from the manifest's {entry['sources']}")
    built = rebuild_bytes(name)
    for split in ("validation", "test"):
        assert hashlib.sha256(built[split]).hexdigest() == entry["splits"][split]["sha256"], (name, split)


@pytest.mark.sources
def test_man_rendering_matches_cache():
    """Fresh renderings of a few man pages equal the cached ones the corpus was built from."""
    from predact_utils.data.corpora import extract_man
    from predact_utils.data.corpora.sources import sources_dir

    try:
        files = extract_man.page_files(("grep", "sed", "coreutils"))[:8]
        key = extract_man._renderer_key()
    except MissingSourceError as e:
        pytest.skip(f"man page sources not installed (run `make data`): {str(e).splitlines()[0]}")
    cache = sources_dir() / "man-rendered"
    for _, f in files:
        cached = cache / f"{hashlib.sha256(f.read_bytes()).hexdigest()[:24]}-{key}.txt"
        if not cached.exists():
            pytest.skip("no man-page rendering cache yet (run `make data`)")
        assert extract_man.render(f) == cached.read_text(encoding="utf-8"), f


@pytest.mark.sources
@pytest.mark.slow
def test_rebuild_reproduces_instruction_data(manifest, tmp_path):
    """Rebuilding the instruction chats and pairs from the sources gives the committed files."""
    from predact_utils.data import prompts
    from predact_utils.data.build import build_instructions, heldout_docs
    from predact_utils.data.corpora.build import rebuild_bytes

    try:
        info = build_instructions([p["prompt"] for p in prompts.load()], out_dir=tmp_path)
    except MissingSourceError as e:
        pytest.skip(f"instruction sources not installed (run `make data`): {str(e).splitlines()[0]}")
    got = {f"instructions/{k}": v["sha256"] for k, v in info["files"].items()}
    if got != manifest["instructions"]:
        pytest.fail("instruction files differ from the manifest (or source versions changed: compare "
                    "manifest['corpora']['instruct_heldout']['sources'] with the installed packages)")
    built = rebuild_bytes("instruct_heldout", heldout_docs(info["heldout"]))
    for split in ("validation", "test"):
        want = manifest["corpora"]["instruct_heldout"]["splits"][split]["sha256"]
        assert hashlib.sha256(built[split]).hexdigest() == want


def test_sample_texts_limits_cuts_and_seeds(monkeypatch, tmp_path):
    """A crafted split of 10 documents of 100 characters: the limits, the word-boundary cut and the seed."""
    import json

    import predact_utils.data.corpora as c

    rows = [{"id": str(i), "source": "s", "text": (f"doc{i} " + "word " * 40)[:100]} for i in range(10)]
    f = tmp_path / "test.jsonl"
    f.write_text("".join(json.dumps(r) + "\n" for r in rows))
    monkeypatch.setattr(c, "split_path", lambda name, split: f)
    assert c.sample_texts("x") == [r["text"] for r in rows]  # no limit: the split in its own order
    three = c.sample_texts("x", max_docs=3, seed=0)
    assert len(three) == 3 and three == c.sample_texts("x", max_docs=3, seed=0)
    assert three != [r["text"] for r in rows[:3]] and three != c.sample_texts("x", max_docs=3, seed=1)
    assert len(c.sample_texts("x", max_chars=250)) == 3  # 100 + 100 < 250 <= 300: the third crosses the limit
    cut = c.sample_texts("x", max_doc_chars=23)
    assert cut[0] == "doc0 word word word" and all(len(t) <= 23 for t in cut)  # cut at the last space
    assert sum(map(len, c.sample_texts("x", max_chars=200, max_doc_chars=50))) >= 200
    with pytest.raises(ValueError, match="max_chars must be >= 0"):
        c.sample_texts("x", max_chars=-1)


def test_select_eval_corpora():
    import predact_utils.data.corpora as c

    assert c.select_eval() == c.names(role="eval") and len(c.select_eval()) == 9
    smoke = c.select_eval(smoke=True)
    assert len(smoke) == 2 and len({c.category_of(x) for x in smoke}) == 2
    assert c.select_eval("kjv_bible; gcide") == ["kjv_bible", "gcide"] == c.select_eval(["kjv_bible", "gcide"])
    with pytest.raises(ValueError, match="unknown evaluation corpus.*choose from"):
        c.select_eval("kjv")

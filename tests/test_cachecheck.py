"""The whole-cache integrity check: a cache written by the cache code passes; each kind of damage is named."""

from __future__ import annotations

import json

from predact_utils.runs.cache import ArtifactCache
from predact_utils.runs.cachecheck import check, main


def _filled(tmp_path):
    cache = ArtifactCache(tmp_path / "cache")
    one = cache.save("scores", {"x": 1}, [1.0, 2.0])
    cache.get_or_compute_chunks("generations", {"p": "a"}, 3, lambda i: list(range(i + 1)), progress=False)
    chunked = next((tmp_path / "cache" / "generations").glob("*/*"))
    return cache, one, chunked


def test_a_cache_written_by_the_cache_code_is_consistent(tmp_path, capsys):
    _filled(tmp_path)
    report = check(tmp_path / "cache")
    assert report.ok and report.entries == {"generations": 1, "scores": 1}
    assert main([str(tmp_path / "cache")]) == 0
    assert "consistent" in capsys.readouterr().out


def test_every_kind_of_damage_is_named(tmp_path, capsys):
    _, one, chunked = _filled(tmp_path)
    (chunked / "chunk-000001.pkl").write_bytes(b"cut")            # a truncated chunk
    (chunked / "chunk-000002.pkl").unlink()                        # a missing chunk
    (one / ".data.pkl.abc.tmp").write_bytes(b"half")               # an interrupted write
    other = one.parent / ("0" * 64)                                # a folder whose meta names another key
    other.mkdir()
    (other / "meta.json").write_text(json.dumps({"key": one.name, "sha256": "x"}))
    problems = check(tmp_path / "cache").problems
    text = "\n".join(problems)
    assert "chunk-000001.pkl: bytes do not match" in text
    assert "2 chunk files for n_chunks = 3" in text
    assert "leftover temporary file .data.pkl.abc.tmp" in text
    assert f"meta.json names key {one.name!r}, not the folder's" in text
    assert main([str(tmp_path / "cache")]) == 1
    assert "problem(s)" in capsys.readouterr().out


def test_a_missing_folder_is_a_clear_problem(tmp_path):
    report = check(tmp_path / "nowhere")
    assert not report.ok and "is not a folder" in report.problems[0]

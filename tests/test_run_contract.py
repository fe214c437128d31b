"""What a book run promises about shared things: one build per output folder, cache notices on the console,
cache files readable as the user's umask says."""

from __future__ import annotations

import json
import os
import stat

import pytest

from predact_utils.book import build
from predact_utils.runs.cache import NOTICES, ArtifactCache


def test_an_output_folder_holds_one_build_and_names_the_other(tmp_path) -> None:
    with build.output_lock(tmp_path):
        owner = json.loads((tmp_path / build.OWNER_FILE).read_text())
        assert owner["pid"] == os.getpid()
        with pytest.raises(build.BookBuildError, match=rf"another build is writing to {tmp_path} \(pid {os.getpid()}"):
            with build.output_lock(tmp_path):
                pass
    assert not (tmp_path / build.OWNER_FILE).exists()
    with build.output_lock(tmp_path):  # free again once the first build is done
        pass


def test_a_recomputed_entry_is_noted_for_the_console(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path))
    cache = ArtifactCache(tmp_path)
    cache.get_or_compute("thing", {"a": 1}, lambda: [1, 2, 3])
    _, start = build.cache_notices_since(0)
    payload = next(p for p in (tmp_path / "thing").rglob("*") if p.is_file() and p.suffix not in (".json", ".lock"))
    payload.write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="is invalid"):
        assert cache.get_or_compute("thing", {"a": 1}, lambda: [1, 2, 3]) == [1, 2, 3]
    lines, end = build.cache_notices_since(start)
    assert len(lines) == 1 and "recomputing it" in lines[0] and end > start
    assert build.cache_notices_since(end) == ([], end)
    assert (tmp_path / NOTICES).is_file()


def test_cache_files_follow_the_umask(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        ArtifactCache(tmp_path).get_or_compute("thing", {"a": 1}, lambda: "x")
    finally:
        os.umask(old)
    files = [p for p in tmp_path.rglob("*") if p.is_file() and not p.name.endswith(".lock")]
    assert files and all(stat.S_IMODE(p.stat().st_mode) == 0o644 for p in files)

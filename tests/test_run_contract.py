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


def test_one_lane_runs_in_this_thread_so_ctrl_c_stops_at_once() -> None:
    import threading

    calls = []

    def run(name: str) -> float:
        calls.append((name, threading.current_thread() is threading.main_thread()))
        if name == "b":
            raise KeyboardInterrupt
        return 1.0

    with pytest.raises(KeyboardInterrupt):
        build.run_in_lanes(["a", "b", "c"], run, lanes=1, after={})
    assert calls == [("a", True), ("b", True)]  # c never started


def test_ctrl_c_prints_one_line_with_what_finished_and_the_resume_command(tmp_path, monkeypatch, capsys) -> None:
    from predact_utils.book import cli

    out = tmp_path / "out"
    out.mkdir()
    build.write_timings(out / "timings.json", "smoke", {"00_setup": 3.0, "01_miniature_family": 4.0}, 7.0,
                        complete=False)

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
    monkeypatch.setattr("predact_utils.book.build.build", interrupted)
    monkeypatch.setattr("predact_utils.book.preflight.preflight", lambda *a, **k: [])
    code = cli.main(["run", "--pair", "mini-s-dpo", "--scale", "smoke", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 130 and len(err) == 1
    assert err[0] == ("[predact] stopped by Ctrl-C; notebooks finished: 00_setup, 01_miniature_family; their "
                      f"results are in the artifact cache, so `predact run --pair mini-s-dpo --scale smoke --out "
                      f"{out}` resumes")


@pytest.mark.slow
def test_two_builds_sharing_one_cache_both_finish_with_one_entry_per_key(tmp_path, tiny_pair_dir) -> None:
    """Two book builds into different folders, started together against one artifact cache: both finish,
    glue the same generations, and the cache holds one complete entry per key."""
    import subprocess
    import sys
    import time

    from conftest import make_book

    chapter = ('# %% [markdown]\n# # Shared cache\n\n# %% tags=["parameters"]\nscale = "full"\n\n'
               '# %%\nimport time, sys\nstart = float(open(' + repr(str(tmp_path / "start.txt")) + ').read())\n'
               'while time.time() < start:\n    time.sleep(0.01)\n'
               'from predact_utils.lm.models import load_model\nfrom predact_utils.lm.sampling import SamplingParams\n'
               'from predact_utils.runs.artifacts import cached_generations, cached_token_logprobs\n'
               f'lm = load_model({str(tiny_pair_dir / "tiny-rlhf")!r}, role="aligned")\n'
               'gens = cached_generations(lm, [f"prompt {i}" for i in range(8)], SamplingParams(n=4, max_new_tokens=12,'
               ' seed=2), rows_per_chunk=4, progress=False)\n'
               'scores = cached_token_logprobs(lm, [g.token_ids + [1] for per in gens for g in per], sequences_per_chunk=4,'
               ' progress=False)\n'
               'from myst_nb import glue\nglue("total", round(sum(s.nll_sum for s in scores), 6))\n')
    books = [make_book(tmp_path / name, {"01_shared": chapter}) for name in ("a", "b")]
    cache = tmp_path / "cache"
    (tmp_path / "start.txt").write_text(str(time.time() + 25))
    env = {**os.environ, "PREDACT_CACHE": str(cache)}
    procs = [subprocess.Popen([sys.executable, "-m", "predact_utils.book.make", "--root", str(b), "--scale", "smoke",
                               "--out", str(b / "_build")], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for b in books]
    outs = [p.communicate(timeout=600)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    glued = []
    for b in books:
        nb = json.loads((b / "_build" / "src" / "notebooks" / "01_shared.ipynb").read_text())
        glued += [o["data"]["text/plain"] for c in nb["cells"] for o in c.get("outputs", [])
                  if o.get("metadata", {}).get("scrapbook", {}).get("name") == "total"]
    assert len(glued) == 2 and glued[0] == glued[1]
    for kind in ("generations", "token_logprobs"):
        entries = [d for d in (cache / kind).glob("*/*") if d.is_dir()]
        assert len(entries) == 1, f"{kind}: {entries}"
        meta = json.loads((entries[0] / "meta.json").read_text())
        assert meta["complete"] and len(list(entries[0].glob("chunk-*.pkl"))) == meta["n_chunks"]
        assert not list(entries[0].glob("*.tmp*"))

"""Artifact cache: keys, hits and misses, corruption, atomic writes, resume after interruption, locking."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from predact_utils.runs.cache import ArtifactCache, chunked, stable_hash


def test_stable_hash_is_canonical():
    assert stable_hash({"a": 1, "b": [1, 2]}) == stable_hash({"b": [1, 2], "a": 1})
    assert stable_hash([1, 2, 3]) != stable_hash([1, 2, 4])
    assert stable_hash({"x": 1}) != stable_hash({"x": 1.0}) != stable_hash({"x": "1"})
    assert stable_hash(np.arange(3, dtype=np.int32)) != stable_hash(np.arange(3, dtype=np.int64))
    with pytest.raises(TypeError):
        stable_hash(object())


def test_hit_and_miss(tmp_path):
    cache = ArtifactCache(tmp_path)
    calls = []
    compute = lambda v: lambda: calls.append(v) or {"value": v, "arr": np.arange(v)}  # noqa: E731
    inputs = {"model": "m@abc", "data": stable_hash([1, 2]), "params": {"top_p": 0.9}, "seed": 0}
    first = cache.get_or_compute("gen", inputs, compute(3))
    again = cache.get_or_compute("gen", dict(inputs), compute(99))
    assert calls == [3] and again["value"] == 3 and np.array_equal(again["arr"], first["arr"])
    cache.get_or_compute("gen", {**inputs, "seed": 1}, compute(4))  # any input change is a miss
    cache.get_or_compute("other", inputs, compute(5))
    assert calls == [3, 4, 5]
    assert not list(tmp_path.rglob("*.tmp"))  # atomic writes leave no temporary files
    meta = next(tmp_path.rglob("meta.json")).read_text()
    assert "m@abc" in meta and "sha256" in meta


def test_corrupt_or_foreign_entries_are_recomputed(tmp_path):
    cache = ArtifactCache(tmp_path)
    inputs = {"x": 1}
    cache.save("k", inputs, "good")
    d = cache.entry_dir("k", cache.key("k", inputs))
    (d / "data.pkl").write_bytes(b"garbage")
    with pytest.warns(UserWarning, match="invalid"):
        assert cache.get_or_compute("k", inputs, lambda: "fresh") == "fresh"
    assert cache.load("k", inputs) == (True, "fresh")
    meta = (d / "meta.json").read_text().replace(cache.key("k", inputs), "0" * 64)
    (d / "meta.json").write_text(meta)  # stored input hash no longer matches the request
    with pytest.warns(UserWarning, match="does not match"):
        assert cache.get_or_compute("k", inputs, lambda: "again") == "again"


def test_chunked_job_resumes_after_interruption(tmp_path):
    cache = ArtifactCache(tmp_path)
    inputs = {"job": "scores"}
    calls: list[int] = []
    fail_at = {3}

    def job(i):
        if i in fail_at:
            raise KeyboardInterrupt  # simulated interruption in the middle of the job
        calls.append(i)
        return i * i

    with pytest.raises(KeyboardInterrupt):
        cache.get_or_compute_chunks("scores", inputs, 6, job, progress=False)
    assert calls == [0, 1, 2] and cache.chunks_done("scores", inputs, 6) == [0, 1, 2]
    fail_at.clear()
    calls.clear()
    assert cache.get_or_compute_chunks("scores", inputs, 6, job, progress=False) == [0, 1, 4, 9, 16, 25]
    assert calls == [3, 4, 5]  # only the missing chunks ran
    d = cache.entry_dir("scores", cache.key("scores", {**inputs, "__n_chunks__": 6}))
    (d / "chunk-000004.pkl").write_bytes(b"\x80junk")  # a corrupted chunk is recomputed alone
    calls.clear()
    with pytest.warns(UserWarning, match="invalid"):
        assert cache.get_or_compute_chunks("scores", inputs, 6, job, progress=False)[4] == 16
    assert calls == [4]


def test_concurrent_requests_compute_once(tmp_path):
    calls, results = [], []

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return "value"

    def worker():
        results.append(ArtifactCache(tmp_path).get_or_compute("shared", {"n": 1}, compute))

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == ["value"] * 3 and len(calls) == 1


def test_chunked_helper():
    assert chunked([1, 2, 3, 4, 5], 2) == [[1, 2], [3, 4], [5]]
    with pytest.raises(ValueError):
        chunked([1], 0)


_WORKER = """
import json, os, sys, time
from predact_utils.runs.cache import ArtifactCache
cache_dir, log, start = sys.argv[1], sys.argv[2], float(sys.argv[3])
while time.time() < start:  # both processes reach the cache at the same moment
    time.sleep(0.005)
def chunk(i):
    with open(log, "a") as fh:
        fh.write(f"{os.getpid()} {i}\\n")
    time.sleep(0.05)
    return {"chunk": i, "values": [i * 10 + k for k in range(50)]}
out = ArtifactCache(cache_dir).get_or_compute_chunks("gen", {"model": "m", "seed": 0}, 8, chunk, progress=False)
print(json.dumps(out))
"""


def test_two_processes_share_one_cache_without_corrupting_it(tmp_path):
    """Two notebooks running at once against the same cache (two OS processes): each chunk is computed
    once, both get the same complete result, and the entry reads back intact afterwards."""
    import json
    import subprocess
    import sys

    log = tmp_path / "calls.log"
    start = time.time() + 2.0
    procs = [subprocess.Popen([sys.executable, "-c", _WORKER, str(tmp_path / "cache"), str(log), str(start)],
                              stdout=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [json.loads(p.communicate(timeout=120)[0]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    expected = [{"chunk": i, "values": [i * 10 + k for k in range(50)]} for i in range(8)]
    assert outs[0] == outs[1] == expected
    computed = [int(line.split()[1]) for line in log.read_text().splitlines()]
    assert sorted(computed) == list(range(8))  # no chunk computed twice
    cache = ArtifactCache(tmp_path / "cache")
    assert cache.chunks_done("gen", {"model": "m", "seed": 0}, 8) == list(range(8))
    assert cache.get_or_compute_chunks("gen", {"model": "m", "seed": 0}, 8, lambda i: None, progress=False) == expected

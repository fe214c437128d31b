"""A generation job killed mid-way resumes from its saved chunks and ends with the same bytes (hardening)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

SCRIPT = r"""
import json, sys, time
import torch
torch.set_num_threads(1)
import predact_utils.runs.artifacts as artifacts
from predact_utils.runs.cache import ArtifactCache
from predact_utils.lm.models import load_model
from predact_utils.lm.sampling import SamplingParams

if sys.argv[4] == "slow":  # make each chunk take a while, so the test can kill the job between chunks
    _generate = artifacts.generate
    def slow(*args, **kwargs):
        time.sleep(0.6)
        return _generate(*args, **kwargs)
    artifacts.generate = slow
lm = load_model(sys.argv[1], role="aligned")
prompts = [f"question {i} about the weather" for i in range(6)]
gens = artifacts.cached_generations(lm, prompts, SamplingParams(n=4, max_new_tokens=24, seed=5),
                                    cache=ArtifactCache(sys.argv[2]), rows_per_chunk=4, progress=False)
with open(sys.argv[3], "w") as fh:  # a canonical serialisation, to compare runs byte for byte
    json.dump([[[g.token_ids, g.text, g.stop_reason] for g in per] for per in gens], fh, sort_keys=True)
"""


def _run(args: list[str], **kw) -> subprocess.Popen:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "HF_HUB_OFFLINE": "1"}
    return subprocess.Popen([sys.executable, "-c", SCRIPT, *args], env=env, **kw)


def _chunks(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(cache.rglob("chunk-*.pkl"))}


def test_killed_generation_resumes_to_identical_bytes(tiny_pair_dir, tmp_path):
    model = str(tiny_pair_dir / "tiny-rlhf")
    ref_cache, cache = tmp_path / "ref", tmp_path / "cache"
    assert _run([model, str(ref_cache), str(tmp_path / "ref.json"), "fast"]).wait(timeout=300) == 0

    job = _run([model, str(cache), str(tmp_path / "out.json"), "slow"])
    deadline = time.time() + 240
    while len(list(cache.rglob("chunk-*.json"))) < 2 and time.time() < deadline and job.poll() is None:
        time.sleep(0.05)
    job.send_signal(signal.SIGKILL)
    job.wait(timeout=60)
    saved = _chunks(cache)
    assert 2 <= len(saved) < 6, f"the job should have been killed mid-way, {len(saved)} of 6 chunks were saved"
    assert not (tmp_path / "out.json").exists()
    stamps = {p.name: p.stat().st_mtime_ns for p in cache.rglob("chunk-*.pkl")}

    assert _run([model, str(cache), str(tmp_path / "out.json"), "fast"]).wait(timeout=300) == 0
    assert (tmp_path / "out.json").read_bytes() == (tmp_path / "ref.json").read_bytes()
    assert _chunks(cache) == _chunks(ref_cache)  # every chunk byte-identical to the uninterrupted run
    assert all(p.stat().st_mtime_ns == stamps[p.name] for p in cache.rglob("chunk-*.pkl") if p.name in stamps), \
        "chunks saved before the kill must be reused, not recomputed"

"""Every kind of artifact-cache entry, garbled three ways, is detected, noted once and rebuilt to a clean
run's exact result."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from predact_utils.chapters.anchors.msa import cached_alignment
from predact_utils.chapters.worldmodel.finetune import FinetuneBudget, finetuned_test_scores
from predact_utils.lm.models import load_model
from predact_utils.lm.sampling import SamplingParams
from predact_utils.runs import artifacts
from predact_utils.runs.cache import NOTICES, ArtifactCache

KINDS = ("generations", "token_logprobs", "hidden_states", "mafft_alignment", "finetuned_scores")
MODES = ("cut", "garbage", "foreign")


@pytest.fixture(scope="module")
def lm(tiny_pair_dir):
    torch.manual_seed(0)
    return load_model(str(tiny_pair_dir / "tiny-rlhf"), role="aligned")


def _jobs(lm) -> dict[str, Callable[[ArtifactCache, int], object]]:
    """One cached computation per artifact kind; ``variant`` changes its inputs (for a foreign entry)."""
    seqs = [lm.tokenizer("the cat sat on the mat and then it rained")["input_ids"],
            lm.tokenizer("a dog ran far away from home")["input_ids"], [5, 6, 7, 8, 9, 10]]
    texts = ["the cat sat on the mat " * 6, "a dog ran far away from home " * 6]
    return {
        "generations": lambda c, v: artifacts.cached_generations(
            lm, ["hello", "weather today", "a question"], SamplingParams(n=2, max_new_tokens=6, seed=3 + v),
            cache=c, rows_per_chunk=2, progress=False),
        "token_logprobs": lambda c, v: artifacts.cached_token_logprobs(
            lm, seqs[v:] + seqs[:v], cache=c, sequences_per_chunk=1, progress=False),
        "hidden_states": lambda c, v: artifacts.cached_hidden_states(
            lm, seqs[v:] + seqs[:v], [1], cache=c, sequences_per_chunk=1, progress=False),
        "mafft_alignment": lambda c, v: cached_alignment([[1, 2, 3, 4], [1, 2, 9, 4], [1, 3, 4 + v]], cache=c),
        "finetuned_scores": lambda c, v: finetuned_test_scores(
            lm, texts, texts[::-1], FinetuneBudget(steps=2, block=16, batch=2, max_train_tokens=200), seed=v,
            window=32, stride=16, cache=c),
    }


def _canon(x: object) -> object:
    """A comparable form of a cached value: arrays by dtype, shape and bytes, objects by their fields."""
    if isinstance(x, np.ndarray):
        return ("array", str(x.dtype), x.shape, x.tobytes())
    if isinstance(x, torch.Tensor):
        return _canon(x.numpy())
    if isinstance(x, dict):
        return {k: _canon(v) for k, v in sorted(x.items(), key=lambda kv: str(kv[0]))}
    if isinstance(x, (list, tuple)):
        return [_canon(v) for v in x]
    if hasattr(x, "__dict__"):
        return (type(x).__name__, _canon(vars(x)))
    if hasattr(x, "__slots__"):
        return (type(x).__name__, _canon({k: getattr(x, k) for k in x.__slots__}))
    return x


def _payloads(root: Path, kind: str) -> list[Path]:
    return sorted(p for p in (root / kind).rglob("*.pkl"))


def _garble(root: Path, kind: str, mode: str, foreign_root: Path) -> int:
    """Damage every payload of ``kind`` under ``root``; return how many entries were damaged."""
    files = _payloads(root, kind)
    assert files, f"no {kind} entry was written"
    if mode == "foreign":
        if files[0].name.startswith("chunk-") and len(files) > 1:  # chunks swapped within an entry
            a, b = files[0], files[1]
            for suffix in (".pkl", ".json"):
                x, y = a.with_suffix(suffix), b.with_suffix(suffix)
                tx, ty = x.read_bytes(), y.read_bytes()
                x.write_bytes(ty)
                y.write_bytes(tx)
            return 2
        other = _payloads(foreign_root, kind)[0]  # another key's entry under this key
        shutil.copy2(other, files[0])
        shutil.copy2(other.with_name("meta.json"), files[0].with_name("meta.json"))
        return 1
    for f in files:
        blob = f.read_bytes()
        f.write_bytes(blob[: len(blob) // 2] if mode == "cut" else np.random.default_rng(0).bytes(len(blob)))
    return len(files)


@pytest.mark.slow
@pytest.mark.parametrize("kind", KINDS)
def test_a_garbled_entry_is_rebuilt_to_the_clean_result(lm, tmp_path, kind) -> None:
    job = _jobs(lm)[kind]
    clean_root, foreign_root = tmp_path / "clean", tmp_path / "other-inputs"
    expected = _canon(job(ArtifactCache(clean_root), 0))
    job(ArtifactCache(foreign_root), 1)
    for mode in MODES:
        root = tmp_path / f"garbled-{mode}"
        shutil.copytree(clean_root, root)
        (root / NOTICES).unlink(missing_ok=True)
        damaged = _garble(root, kind, mode, foreign_root)
        assert _canon(job(ArtifactCache(root), 0)) == expected, f"{kind}/{mode}: rebuilt result differs"
        notes = (root / NOTICES).read_text().splitlines()
        assert len(notes) == damaged and all("invalid" in n and "recomputing" in n for n in notes), (mode, notes)
        notes_before = len(notes)
        assert _canon(job(ArtifactCache(root), 0)) == expected  # the rebuilt entry now reads cleanly
        assert len((root / NOTICES).read_text().splitlines()) == notes_before

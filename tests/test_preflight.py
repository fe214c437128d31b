"""Pre-flight of a run: every problem found before a notebook starts, all at once, with how to fix it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from predact_utils import paths
from predact_utils.book import cli, preflight

ROOT = paths.repo_root()
GIB = 2**30


@pytest.fixture(scope="module")
def mismatched_pair(tmp_path_factory) -> tuple[Path, Path]:
    """Two copies of mini-s-base, the second with one vocabulary entry renamed."""
    root = tmp_path_factory.mktemp("pair")
    a, b = root / "a", root / "b"
    shutil.copytree(paths.models_dir() / "mini-s-base", a)
    shutil.copytree(paths.models_dir() / "mini-s-base", b)
    tok = json.loads((b / "tokenizer.json").read_text())
    vocab = tok["model"]["vocab"]
    first = next(iter(vocab))
    vocab[first + "X"] = vocab.pop(first)
    (b / "tokenizer.json").write_text(json.dumps(tok))
    return a, b


def test_the_miniature_pair_passes() -> None:
    assert preflight.preflight(ROOT, "mini-s-dpo", {}, "smoke", None) == []


def test_every_problem_is_listed_at_once(mismatched_pair, tmp_path) -> None:
    a, b = mismatched_pair
    blocked = tmp_path / "a-file"
    blocked.write_text("x")
    problems = preflight.preflight(ROOT, f"{a},{b}", {"n_samples": -5, "top_p": 1.5}, "smoke", blocked / "out")
    text = "\n".join(problems)
    assert "the tokenizers differ" in text
    assert "03_distribution_collapse" in text and "n_samples: -5 is below the minimum" in text
    assert "top_p: 1.5 is above the maximum 1.0" in text
    assert f"--out {blocked / 'out'}: cannot write there" in text


def test_a_missing_model_and_missing_mafft_are_named(monkeypatch, tmp_path) -> None:
    from predact_utils.chapters.anchors import mafftbin

    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("PREDACT_MAFFT", raising=False)
    monkeypatch.setattr(mafftbin, "build_dir", lambda: tmp_path / "no-build")
    problems = preflight.preflight(ROOT, f"{tmp_path / 'nope'},{paths.models_dir() / 'mini-s-sft'}", {}, "smoke", None)
    assert any(p.startswith("Base model") and "nope" in p for p in problems)
    assert any("MAFFT is not usable" in p and "apt-get install -y mafft" in p for p in problems)


def test_disk_and_memory_against_the_pairs_weights(tmp_path) -> None:
    ok = preflight.resource_problems(27 * GIB, 0, tmp_path, disk_free=10 * GIB, memory_total=64 * GIB)
    assert ok == []
    full = preflight.resource_problems(27 * GIB, 27 * GIB, tmp_path, disk_free=10 * GIB, memory_total=64 * GIB)
    assert len(full) == 1 and full[0].startswith("disk: 10.0 GiB free") and "29.0 GiB" in full[0]
    small = preflight.resource_problems(27 * GIB, 0, tmp_path, disk_free=100 * GIB, memory_total=24 * GIB)
    assert len(small) == 1 and small[0].startswith("memory: the pair's weights take 27.0 GiB")
    assert preflight.resource_problems(27 * GIB, 0, tmp_path, disk_free=100 * GIB, memory_total=24 * GIB,
                                       on_gpu=True) == []


def test_predact_run_stops_before_the_first_notebook(mismatched_pair, capsys) -> None:
    a, b = mismatched_pair
    assert cli.main(["run", "--pair", str(a), str(b), "--scale", "smoke", "-p", "seed", "-1"]) == 2
    err = capsys.readouterr().err
    assert "found before any notebook ran" in err and "the tokenizers differ" in err and "seed" in err

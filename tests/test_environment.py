"""The setup section's environment report and seeding (predact_utils.chapters.setup.environment, predact_utils.seeding)."""

from __future__ import annotations

import importlib.metadata as md
import random

import numpy as np
import pytest
import torch

from predact_utils import paths, seed_everything
from predact_utils.chapters.setup.environment import environment_table, package_versions, tool_version


def test_package_versions_match_installed_metadata() -> None:
    v = package_versions(("torch", "no-such-distribution-xyz"))
    assert v["torch"] == md.version("torch")
    assert v["no-such-distribution-xyz"] == "not installed"


def test_tool_version_reports_missing_tools() -> None:
    assert tool_version(["no-such-tool-predact"]) == "not found on PATH"


def test_environment_table_lists_folders_and_device() -> None:
    t = environment_table()
    assert set(t.columns) == {"what", "name", "value"}
    rows = dict(zip(t["name"], t["value"], strict=True))
    assert rows["local models"] == str(paths.models_dir())
    assert rows["kind"] in {"cpu", "cuda"}


def test_paths_follow_environment_variables(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("PREDACT_DATA", str(tmp_path))
    assert paths.data_dir() == tmp_path.resolve()
    assert paths.cache_dir() == tmp_path.resolve() / "cache"
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "elsewhere"))
    assert paths.cache_dir() == (tmp_path / "elsewhere").resolve()


def test_seed_everything_repeats_every_generator() -> None:
    def draw() -> tuple[float, float, float]:
        return random.random(), float(np.random.rand()), float(torch.rand(1))

    seed_everything(7)
    a = draw()
    seed_everything(7)
    assert draw() == a
    seed_everything(8)
    assert draw() != a


def test_seed_must_be_a_non_negative_int() -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        seed_everything(-1)

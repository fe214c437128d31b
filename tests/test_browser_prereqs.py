"""The browser tests' prerequisite rule (hardening): a missing chromium is a skip with its reason
locally, and a failure in CI, where `make setup` must have installed it; never a silent pass."""

from __future__ import annotations

import pytest
from _pytest.outcomes import Failed, Skipped
from test_book_pages import _need


def test_missing_prerequisite_skips_with_its_reason_locally(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(Skipped, match="chromium-driver are not installed"):
        _need(False, "Debian's chromium and chromium-driver are not installed")


def test_missing_prerequisite_fails_in_ci(monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(Failed, match=r"not installed \(CI must provide it: `make setup` installs it\)"):
        _need(False, "Debian's chromium and chromium-driver are not installed")


def test_present_prerequisite_runs_the_test(monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert _need(True, "unused") is None

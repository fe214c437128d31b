"""The download switch reaches the notebook kernels of a book run, and the message names the switch that works."""

from __future__ import annotations

import os

import pytest

from predact_utils.book import build
from predact_utils.lm import models


def test_kernels_are_offline_unless_downloads_are_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREDACT_ALLOW_DOWNLOAD", raising=False)
    assert build.kernel_env()["HF_HUB_OFFLINE"] == "1"
    monkeypatch.setenv("PREDACT_ALLOW_DOWNLOAD", "1")
    env = build.kernel_env()
    assert not set(build.HUB_OFFLINE_FLAGS) & set(env) and env["TQDM_DISABLE"] == "1"
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with build.kernel_environment(env):  # what a kernel started now inherits
        assert "HF_HUB_OFFLINE" not in os.environ and os.environ["PREDACT_ALLOW_DOWNLOAD"] == "1"
        assert models.downloads_allowed()
        location, fingerprint, local_only = models.resolve_location("meta-llama/Llama-2-7b-chat-hf")
        assert (location, local_only) == ("meta-llama/Llama-2-7b-chat-hf", False)  # would download


def test_with_downloads_off_the_message_names_the_one_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PREDACT_ALLOW_DOWNLOAD", raising=False)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    with pytest.raises(models.ModelNotAvailableError, match="set PREDACT_ALLOW_DOWNLOAD=1"):
        models.resolve_location("nobody/not-cached")
    monkeypatch.setenv("PREDACT_ALLOW_DOWNLOAD", "1")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")  # set by the user's shell: the hub client would refuse
    assert not models.downloads_allowed()
    with pytest.raises(models.ModelNotAvailableError, match="unset HF_HUB_OFFLINE"):
        models.resolve_location("nobody/not-cached")

"""The GPU check's parts that run anywhere: the memory poller on a crafted counter, the refusal without CUDA."""

from __future__ import annotations

import itertools
import time

import pytest
import torch

from benchmarks import gpu_check


def test_the_poller_keeps_the_highest_reading() -> None:
    readings = itertools.chain([5, 9, 30, 7], itertools.repeat(3))
    with gpu_check.PeakMemory(lambda: next(readings), every=0.001) as mem:
        time.sleep(0.05)
    assert mem.peak == 30


def test_without_cuda_the_check_says_so_and_exits_2(monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu_check.main([]) == 2
    assert "no CUDA device here" in capsys.readouterr().err

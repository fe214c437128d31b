"""predact_utils.allocator: freed blocks are reused instead of faulted in again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from predact_utils import allocator

_PROBE = """
import resource, sys, torch
from predact_utils.allocator import keep_allocations
on = keep_allocations()
torch.manual_seed(0)
torch.set_num_threads(1)
net = torch.nn.Sequential(torch.nn.Linear(256, 1024), torch.nn.GELU(), torch.nn.Linear(1024, 256))
x = torch.randn(4096, 256)
faults = []
for _ in range(4):  # training steps: forward and backward, activations of 4 and 16 MB
    a = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    net(x).square().mean().backward()
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - a)
print(on, faults[-1])
"""


def _fourth_step_faults(switch: str) -> tuple[str, int]:
    """(whether the setting took, minor page faults of the fourth step) in a fresh interpreter."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                         env={**os.environ, "PREDACT_KEEP_ALLOCATIONS": switch}).stdout.split()
    return out[0], int(out[1])


def test_freed_blocks_are_reused_instead_of_faulted_again() -> None:
    if not allocator.keep_allocations():
        pytest.skip("the C library has no mallopt (not glibc): keep_allocations changes nothing here")
    # the fourth training step of a small MLP: glibc maps part of its activations afresh at every step
    # (measured here: over 10,000 pages of 4 KB), with the setting the freed blocks are reused
    on, kept = _fourth_step_faults("1")
    assert on == "True" and kept < 100
    off, default = _fourth_step_faults("0")
    assert off == "False" and default >= 1000


def test_a_bad_switch_value_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDACT_KEEP_ALLOCATIONS", "yes")
    with pytest.raises(ValueError, match="must be 0 .* or 1"):
        allocator.wanted()

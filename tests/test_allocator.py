"""predact_utils.lm.allocator: freed blocks are reused instead of faulted in again."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from predact_utils.lm import allocator

_PROBE = """
import ctypes, ctypes.util, resource
from predact_utils.lm.allocator import keep_allocations
on = keep_allocations()
libc = ctypes.CDLL(ctypes.util.find_library("c"))
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 64 * 2**20  # above the largest mmap threshold glibc adapts to (32 MB)
faults = []
for _ in range(3):  # what PyTorch's CPU allocator does for a large tensor: malloc, write, free
    block = libc.malloc(size)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    ctypes.memset(block, 1, size)
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    libc.free(block)
print(on, faults[-1])
"""


def _third_block_faults(switch: str) -> tuple[str, int]:
    """(whether the setting took, minor page faults while writing the third 64 MB block) in a fresh
    interpreter."""
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True,
                         env={**os.environ, "PREDACT_KEEP_ALLOCATIONS": switch}).stdout.split()
    return out[0], int(out[1])


def test_freed_blocks_are_reused_instead_of_faulted_again() -> None:
    if not allocator.keep_allocations():
        pytest.skip("the C library has no mallopt (not glibc): keep_allocations changes nothing here")
    # 64 MB are 16,384 pages of 4 KB: glibc maps every such block afresh and unmaps it on free, so each
    # one is faulted in page by page; with the setting the third block reuses the first one's pages
    on, kept = _third_block_faults("1")
    assert on == "True" and kept < 100
    off, default = _third_block_faults("0")
    assert off == "False" and default >= 16384


def test_a_bad_switch_value_says_what_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREDACT_KEEP_ALLOCATIONS", "yes")
    with pytest.raises(ValueError, match="must be 0 .* or 1"):
        allocator.wanted()

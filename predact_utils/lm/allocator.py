"""Reuse freed CPU memory instead of faulting fresh pages for every large tensor (all sections, on CPU).

PyTorch's CPU allocator asks ``malloc`` for every tensor. glibc's ``malloc`` serves a request above its
mmap threshold (128 KB at first, adapted up to 32 MB) with freshly mapped pages and unmaps them on
``free``, so the next forward pass of the same batch faults the same amount of memory in again, one
zeroed 4 KB page at a time. On the 2-core book machine this is costly: one training step of the
medium miniature on 8 x 256 tokens faulted 297 MB, and one scoring forward of 8 windows of 512 tokens
128 MB (its logits alone are 8 x 512 x 8,192 floats).

:func:`keep_allocations` sets two ``mallopt`` parameters: no allocation is served by ``mmap``
(``M_MMAP_MAX = 0``), and freed memory at the top of the heap is not given back to the kernel below
1 GB (``M_TRIM_THRESHOLD``). Freed blocks are then reused by the next tensors of the same sizes, and
those two measurements fault nothing after the first step. This is what PyTorch's CPU performance
guide obtains with jemalloc or tcmalloc, without a new dependency. The price: a process keeps the
memory of its peak (it does not shrink after a large step), which the book's jobs do not mind.

It is called by :func:`predact_utils.lm.models.load_model` for models on the CPU. Set
``PREDACT_KEEP_ALLOCATIONS=0`` to leave ``malloc`` as it is; where the C library has no ``mallopt``
(not glibc) nothing changes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import os

_M_TRIM_THRESHOLD = -1
_M_MMAP_MAX = -4
#: Freed memory at the top of the heap beyond this is returned to the kernel.
TRIM_THRESHOLD = 2**30


def wanted() -> bool:
    """Whether :func:`keep_allocations` should act: ``PREDACT_KEEP_ALLOCATIONS`` is unset, ``1`` or ``0``."""
    value = os.environ.get("PREDACT_KEEP_ALLOCATIONS", "1").strip()
    if value not in ("0", "1"):
        raise ValueError(f"PREDACT_KEEP_ALLOCATIONS must be 0 (leave malloc alone) or 1 (the default), got {value!r}")
    return value == "1"


@functools.cache
def keep_allocations() -> bool:
    """Make glibc's ``malloc`` keep and reuse freed memory (see the module doc); ``True`` when it is set.

    Acts once per process; a no-op returning ``False`` when switched off or when the C library has no
    ``mallopt``.
    """
    if not wanted():
        return False
    name = ctypes.util.find_library("c")
    try:
        mallopt = ctypes.CDLL(name).mallopt if name else None
    except (OSError, AttributeError):
        return False
    if mallopt is None:
        return False
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    return bool(mallopt(_M_MMAP_MAX, 0)) and bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))

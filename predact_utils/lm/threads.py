"""Process-wide thread pools for CPU row kernels that release the GIL (Fig. 3-4 statistics, sampling).

NumPy passes and the numba kernels of :mod:`statkernels` and :mod:`nucleuskernel` run on one core but
release the GIL, so splitting a batch's rows over a few threads uses the other cores.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np

T = TypeVar("T")
_POOLS: dict[int, ThreadPoolExecutor] = {}


def pool(workers: int) -> ThreadPoolExecutor:
    """A process-wide pool of ``workers`` threads (created once per size)."""
    if workers not in _POOLS:
        _POOLS[workers] = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"predact-{workers}")
    return _POOLS[workers]


def split_rows(fn: Callable[[slice], T], n: int, workers: int) -> list[T]:
    """``fn`` on ``workers`` contiguous slices of ``range(n)`` (on the calling thread when one is enough)."""
    if workers <= 1 or n < 2:
        return [fn(slice(0, n))]
    bounds = np.linspace(0, n, min(workers, n) + 1).astype(int)
    return list(pool(workers).map(fn, [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]))

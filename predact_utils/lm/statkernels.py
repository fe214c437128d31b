"""Compiled row kernels for the CPU distribution statistics of :mod:`diststats` (Fig. 3 and Fig. 4 sections).

NumPy runs each statistic as its own pass over a block of rows, and every comparison first writes a
boolean array: counting the tokens above two thresholds and above the target costs three such passes.
These `numba <https://numba.pydata.org>`_ kernels walk one row at a time while it sits in the core's
L1 cache and fuse what can be fused:

* :func:`top_k`: the ``K`` largest logits of each row (descending) from the groups of the
  vocabulary with the largest maxima, in the spirit of :func:`diststats._topk_desc`;
* :func:`sums_and_counts`: ``S = sum(e)``, ``sum(e * x)`` (terms with ``x = -inf`` count as 0) and the
  number of logits strictly above the target's, given ``e = exp(x - max)``, then the counts strictly
  above ``log t + log Z`` for each threshold.

``exp`` itself stays in NumPy, whose SIMD ``exp`` is several times faster than the scalar one numba
compiles to without Intel's SVML. The kernels are compiled on first use and cached on disk
(``cache=True``); they release the GIL, so :mod:`diststats` can run them on several threads. The
floating-point flags allow re-association (vectorised sums and maxima) and assume no NaN, but not
that every value is finite, since masked logits are ``-inf``.
"""

from __future__ import annotations

import math

import numpy as np

try:
    import numba
except ImportError:  # pragma: no cover - numba is in requirements.txt; diststats falls back to NumPy
    numba = None

#: True when numba is installed; :mod:`diststats` then uses these kernels on CPU.
AVAILABLE = numba is not None
_FLAGS = {"nnan", "reassoc", "contract", "nsz", "arcp"}


def _jit(fn):  # noqa: ANN001, ANN202 - decorator
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(fastmath=_FLAGS, cache=True, nogil=True)(fn)


@_jit
def _push(buf: np.ndarray, k: int, filled: int, a: float) -> int:
    """Insert ``a`` into ``buf[:filled]`` (descending, at most ``k`` kept); returns the new fill."""
    if filled == k:
        if a <= buf[k - 1]:
            return filled
        j = k - 1
    else:
        j = filled
        filled += 1
    while j > 0 and buf[j - 1] < a:
        buf[j] = buf[j - 1]
        j -= 1
    buf[j] = a
    return filled


@_jit
def top_k(x: np.ndarray, k: int, groups: int, top: np.ndarray) -> None:
    """Fill ``top`` [N, k] with the ``k`` largest values of each row of ``x`` [N, V] (descending).

    The first ``groups * (V // groups)`` values of a row are split into ``groups`` strided groups
    (values ``g, g + groups, g + 2 * groups, ...``), whose maxima one vectorised pass finds; ``tau``, the
    ``k``-th largest group maximum, is at most the ``k``-th largest value, so the ``k`` largest values
    are among the values ``>= tau`` of the groups whose maximum is ``>= tau`` and of the tail (exact,
    ties included). Needs ``k <= groups <= V``.
    """
    n, v = x.shape
    r = v // groups
    gmax = np.empty(groups, np.float32)
    buf = np.empty(k, np.float32)
    for i in range(n):
        row = x[i]
        for g in range(groups):
            gmax[g] = row[g]
        for q in range(1, r):
            base = q * groups
            for g in range(groups):
                gmax[g] = max(gmax[g], row[base + g])
        filled = 0
        for g in range(groups):
            filled = _push(buf, k, filled, gmax[g])
        tau = buf[k - 1]
        filled = 0
        for g in range(groups):
            if gmax[g] >= tau:
                for q in range(r):
                    a = row[q * groups + g]
                    if a >= tau:
                        filled = _push(buf, k, filled, a)
        for j in range(r * groups, v):
            if row[j] >= tau:
                filled = _push(buf, k, filled, row[j])
        for j in range(k):
            top[i, j] = buf[j]


@_jit
def sums_and_counts(x: np.ndarray, e: np.ndarray, m: np.ndarray, log_t: np.ndarray, tx: np.ndarray,
                    s_out: np.ndarray, dot_out: np.ndarray, above: np.ndarray, above_t: np.ndarray) -> None:
    """With ``e = exp(x - m)``: ``s_out[i] = sum(e)``, ``dot_out[i] = sum(e * x)`` (``-inf`` logits add 0),
    both accumulated in float64, ``above_t[i]`` = count of ``x > tx[i]`` and ``above[i, j]`` = count of
    ``x > log_t[j] + m + log(s)``."""
    n, v = x.shape
    nt = log_t.shape[0]
    for i in range(n):
        row = x[i]
        er = e[i]
        s = 0.0
        d = 0.0
        t = tx[i]
        cnt = 0
        for j in range(v):
            a = row[j]
            w = er[j]
            cnt += a > t
            s += w
            d += w * max(a, np.float32(-3.0e38))  # 0 * -inf would be NaN; w is 0 there
        s_out[i] = s
        dot_out[i] = d
        above_t[i] = cnt
        log_z = m[i] + math.log(s)
        for q in range(nt):
            cut = np.float32(log_z + log_t[q])
            cnt = 0
            for j in range(v):
                cnt += row[j] > cut
            above[i, q] = cnt

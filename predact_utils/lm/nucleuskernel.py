"""A compiled nucleus draw for the CPU sampler (Fig. 1, Fig. 3-5, n-gram and alignment sections).

:func:`predact_utils.lm.sampling.nucleus_sample` finds each row's nucleus by sorting its probabilities
and taking cumulative sums, then draws by inverse CDF in vocabulary order: a sort and about eight
passes over a ``[rows, vocab]`` array per decoding step, about half of a step of the miniature's
400-row batches on the 2-core CPU. :func:`draw` does the same per row, while the row sits in the
core's cache, without a full sort:

1. one pass puts every probability into one of 2,048 buckets by the top bits of its float32
   representation (for non-negative floats these bits grow with the value), summing each bucket's
   mass in float64;
2. from the highest bucket down, the buckets whose mass lies wholly above ``top_p`` are skipped;
   only the bucket in which the cumulative mass reaches ``top_p`` is sorted, which gives ``tau``,
   the smallest probability of the nucleus (every token with a probability ``>= tau`` is kept, so
   ties at the boundary stay, as in the sorting version);
3. one more pass draws the token: the first in vocabulary order at which the kept mass, summed in
   float64, exceeds ``u`` times the nucleus mass.

The rule is the sorting version's; the sums are float64 rather than float32, so the two can differ
only where a boundary falls within float32 rounding (the tests compare them on many rows). The
kernel releases the GIL; :func:`draw` splits the rows over threads.
"""

from __future__ import annotations

import numpy as np

from predact_utils.lm.threads import split_rows

try:
    import numba
except ImportError:  # pragma: no cover - numba is in requirements.txt; sampling falls back to torch
    numba = None

#: True when numba is installed; :mod:`sampling` then draws with :func:`draw` on CPU.
AVAILABLE = numba is not None
#: Low bits of the float32 representation dropped to form the bucket (2**31 / 2**20 = 2,048 buckets).
_SHIFT = 20
_BUCKETS = 1 << (31 - _SHIFT)
#: Keeps a bucket index in range whatever the sign bit (a NaN made by -inf - -inf has it set on x86).
_MASK = _BUCKETS - 1


def _jit(fn):  # noqa: ANN001, ANN202 - decorator
    if numba is None:  # pragma: no cover
        return fn
    return numba.njit(cache=True, nogil=True)(fn)


@_jit
def _draw_rows(probs: np.ndarray, u: np.ndarray, top_p: float, out: np.ndarray) -> None:
    n, v = probs.shape
    bits = probs.view(np.int32)
    mass = np.empty(_BUCKETS, np.float64)
    buf = np.empty(v, np.float32)
    for i in range(n):
        row = probs[i]
        brow = bits[i]
        mass[:] = 0.0
        top = 0
        for j in range(v):
            b = (brow[j] >> _SHIFT) & _MASK
            mass[b] += row[j]
            if row[j] > row[top]:
                top = j
        # the bucket in which the mass, summed from the most probable down, reaches top_p
        above = 0.0
        b = _BUCKETS - 1
        while b > 0 and above + mass[b] < top_p:
            above += mass[b]
            b -= 1
        tau = np.float32(0.0)
        if above + mass[b] >= top_p:
            m = 0
            for j in range(v):
                if (brow[j] >> _SHIFT) & _MASK == b:
                    buf[m] = row[j]
                    m += 1
            vals = np.sort(buf[:m])
            acc = above
            k = m - 1
            while k > 0 and acc + vals[k] < top_p:
                acc += vals[k]
                k -= 1
            tau = vals[k]
            while k >= 0 and vals[k] == tau:  # ties at the boundary stay
                acc += vals[k]
                k -= 1
            kept = acc
        else:  # rounding left the total below top_p: keep everything
            kept = above + mass[b]
        x = u[i] * kept
        acc = 0.0
        pick = top  # u * mass at the very top of the total: the most probable token
        for j in range(v):
            if row[j] >= tau:
                acc += row[j]
                if acc > x:
                    pick = j
                    break
        out[i] = pick


def draw(probs: np.ndarray, u: np.ndarray, top_p: float, workers: int = 1) -> np.ndarray:
    """One token per row of ``probs`` [N, V] (float32, rows summing to about 1) from its top-``top_p``
    nucleus, by inverse CDF in vocabulary order at the uniforms ``u`` [N]; rows are split over ``workers``
    threads."""
    probs = np.ascontiguousarray(probs, dtype=np.float32)
    u = np.ascontiguousarray(u, dtype=np.float64)
    out = np.empty(probs.shape[0], np.int64)
    limit = float(top_p) if top_p < 1.0 else np.inf  # p = 1 keeps every token, whatever the rounding

    def rows(sl: slice) -> None:
        _draw_rows(probs[sl], u[sl], limit, out[sl])

    split_rows(rows, probs.shape[0], workers)
    return out

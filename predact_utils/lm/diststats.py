"""Per-position statistics of next-token distributions, computed on the fly (Fig. 3 and Fig. 4 sections).

For every scored position the scorer hands a chunk of full-vocabulary
log-probabilities to :func:`distribution_stats`, keeps the few numbers below,
and drops the chunk, so a corpus never holds ``positions x vocabulary``
arrays in memory:

* ``topk_mass[:, k-1]`` cumulative probability of the ``k`` most probable
  tokens, ``k = 1..K`` (Fig. 3: RLHF puts nearly all mass on the top token);
* ``n_above[:, j]`` number of vocabulary tokens with probability strictly
  greater than ``thresholds[j]`` (Fig. 4; the paper's threshold is 1e-8);
* ``entropy`` in nats, ``-sum_v p_v log p_v`` (tokens with p = 0 contribute 0);
* ``rank`` of the actual next token, 1 = the most probable (ties counted in
  its favour: 1 + number of tokens with strictly larger probability).

All of them, and the log-probability of the actual token, follow from a few
linear passes over the logits and a partial top-``K`` selection (no full sort:
an earlier version sorted every row, which made scoring with statistics slower
than a plain ``log_softmax`` loop), so the scorer needs no separate
``log_softmax`` pass over the vocabulary. On CPU the top-``K`` selection first
keeps the ``K`` blocks of the vocabulary with the largest maxima
(:func:`_topk_desc`), and the passes run over blocks of rows that fit in cache.
When numba is installed (it is in ``requirements.txt``), the compiled row
kernels of :mod:`statkernels` replace all NumPy passes but ``exp``: the same
definitions, with the counts fused into one pass and the sums taken in float64.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch

from predact_utils.lm import statkernels
from predact_utils.lm.threads import split_rows


@dataclass(frozen=True)
class DistStatsConfig:
    """Which statistics to keep: ``top_k`` cumulative masses and counts above each of ``thresholds``."""

    top_k: int = 32
    thresholds: tuple[float, ...] = (1e-8,)

    def __post_init__(self) -> None:
        if self.top_k < 1:
            raise ValueError(f"top_k must be >= 1, got {self.top_k}")
        if not self.thresholds or any(not 0 < t < 1 for t in self.thresholds):
            raise ValueError(f"thresholds must be probabilities in (0, 1), got {self.thresholds}")


@dataclass
class DistStats:
    """Statistics of ``N`` next-token distributions (rows aligned with the scored tokens)."""

    topk_mass: np.ndarray  # [N, K] float32
    n_above: np.ndarray  # [N, len(thresholds)] int32
    entropy: np.ndarray  # [N] float32
    rank: np.ndarray  # [N] int32 (0 where no target was given)
    thresholds: tuple[float, ...] = field(default=(1e-8,))

    def __len__(self) -> int:
        return int(self.entropy.shape[0])

    @staticmethod
    def concat(parts: Sequence[DistStats], config: DistStatsConfig | None = None) -> DistStats:
        """Join statistics of consecutive chunks; an empty list gives zero rows."""
        cfg = config or DistStatsConfig()
        if not parts:
            return DistStats(np.zeros((0, cfg.top_k), np.float32), np.zeros((0, len(cfg.thresholds)), np.int32),
                             np.zeros(0, np.float32), np.zeros(0, np.int32), cfg.thresholds)
        return DistStats(
            np.concatenate([p.topk_mass for p in parts]), np.concatenate([p.n_above for p in parts]),
            np.concatenate([p.entropy for p in parts]), np.concatenate([p.rank for p in parts]), parts[0].thresholds,
        )

    def select(self, index: np.ndarray | slice) -> DistStats:
        """Rows ``index`` (e.g. one document's positions)."""
        return DistStats(self.topk_mass[index], self.n_above[index], self.entropy[index], self.rank[index],
                         self.thresholds)


_MIN_ROWS_PER_THREAD = 128
#: Rows per block of the CPU passes: 64 rows of a 32k vocabulary in float32 are 8 MB, of 8k 2 MB (one core's L2 here).
_CACHE_ROWS = 64
#: Use the compiled kernels of :mod:`statkernels` when numba is installed (tests switch this off to
#: compare them with the NumPy passes).
_FUSED = True


def _topk_desc(x: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` largest values of each row of ``x`` [N, V], in descending order (values only).

    Cheaper than a selection over whole rows: split each row into blocks of ``b`` consecutive tokens,
    keep the ``k`` blocks with the largest maxima, and select among their ``k * b`` values (plus the
    ``V mod b`` tail). Exact, ties included: a block whose maximum is beaten by ``k`` other blocks'
    maxima holds no value that ``k`` distinct values do not beat, so every one of the ``k`` largest
    values lies in a kept block or the tail.
    """
    n, v = x.shape
    b = v // (8 * k)
    if b < 4:  # small vocabulary: one selection over the whole row
        return np.sort(np.partition(x, v - k, axis=-1)[:, v - k :], axis=-1)[:, ::-1]
    nb = v // b
    xt = torch.from_numpy(x)
    blocks = xt.as_strided((n, nb, b), (xt.stride(0), b, 1))  # [N, nb, b] views of the rows
    bmax = blocks.amax(-1).numpy()
    keep = np.argpartition(bmax, nb - k, axis=-1)[:, nb - k :]  # [N, k] blocks with the largest maxima
    cand = blocks.numpy()[np.arange(n)[:, None], keep].reshape(n, k * b)
    if nb * b < v:
        cand = np.concatenate([cand, x[:, nb * b :]], axis=1)
    c = cand.shape[1]
    return np.sort(np.partition(cand, c - k, axis=-1)[:, c - k :], axis=-1)[:, ::-1]


def _stats_cpu(x: np.ndarray, top: np.ndarray, t_x: np.ndarray | None,
               log_t: np.ndarray) -> tuple[np.ndarray, ...]:
    """NumPy passes over a [N, V] float32 array (its comparisons and reductions are SIMD on CPU, several
    times faster than torch's boolean reductions there)."""
    m = top[:, :1]
    e = np.subtract(x, m)
    np.exp(e, out=e)
    s = e.sum(-1, keepdims=True)
    log_z = m + np.log(s)
    dot = np.einsum("ij,ij->i", e, x)
    bad = np.isnan(dot)  # 0 * -inf where a token has probability 0: those terms are 0
    if bad.any():
        xb = x[bad]
        dot[bad] = np.einsum("ij,ij->i", e[bad], np.where(np.isneginf(xb), np.float32(0), xb))
    entropy = (log_z - dot[:, None] / s)[:, 0]
    topk_mass = np.cumsum(np.exp(top - m), axis=-1) / s
    cut = log_t[None, :] + log_z  # [N, T]
    above = np.stack([np.count_nonzero(x > cut[:, j : j + 1], axis=-1) for j in range(cut.shape[1])], axis=-1)
    rank, t_lp = np.zeros(len(x), np.int64), None
    if t_x is not None:
        # a target at least as probable as the K-th token: every token above it is among the top K
        rank = (top > t_x).sum(-1) + 1
        out = t_x[:, 0] < top[:, -1]
        if out.any():
            rank[out] = np.count_nonzero(x[out] > t_x[out], axis=-1) + 1
        t_lp = (t_x - log_z)[:, 0]
    return topk_mass, above, entropy, rank, t_lp


def _stats_cpu_fused(x: np.ndarray, k: int, t_x: np.ndarray | None,
                     log_t: np.ndarray) -> tuple[np.ndarray, ...] | None:
    """:func:`_stats_cpu` with the compiled row kernels of :mod:`statkernels` (same definitions; NumPy
    only computes ``exp``); ``None`` when they do not apply (no numba, or a vocabulary too small to split
    into blocks)."""
    n, v = x.shape
    if not statkernels.AVAILABLE or v < 32 * k:
        return None
    tx = np.full(n, np.inf, np.float32) if t_x is None else np.ascontiguousarray(t_x[:, 0])
    top = np.empty((n, k), np.float32)
    statkernels.top_k(x, k, 8 * k, top)
    m = top[:, :1]
    e = np.subtract(x, m)
    np.exp(e, out=e)
    s, dot = np.empty(n, np.float64), np.empty(n, np.float64)
    above, n_above_t = np.empty((n, len(log_t)), np.int64), np.empty(n, np.int64)
    statkernels.sums_and_counts(x, e, m[:, 0], log_t.astype(np.float64), tx, s, dot, above, n_above_t)
    log_z = m[:, 0] + np.log(s)
    entropy = (log_z - dot / s).astype(np.float32)
    topk_mass = np.cumsum(np.exp(top - m), axis=-1) / s[:, None].astype(np.float32)
    rank, t_lp = np.zeros(n, np.int64), None
    if t_x is not None:
        rank = n_above_t + 1
        t_lp = (t_x[:, 0] - log_z).astype(np.float32)
    return topk_mass, above, entropy, rank, t_lp


def _stats_torch(x: torch.Tensor, top: torch.Tensor, t_x: torch.Tensor | None,
                 log_t: torch.Tensor) -> tuple[torch.Tensor, ...]:
    """The same passes in torch, for logits on an accelerator."""
    m = top[:, :1]
    e = torch.sub(x, m).exp_()
    s = e.sum(-1, keepdim=True)
    log_z = m + s.log()
    finite = x if bool(torch.isfinite(x).all()) else x.nan_to_num(neginf=0.0)
    entropy = (log_z - (e * finite).sum(-1, keepdim=True) / s).squeeze(-1)
    topk_mass = torch.sub(top, m).exp_().cumsum(-1) / s
    cut = log_t.view(1, -1) + log_z
    above = torch.stack([(x > cut[:, j : j + 1]).sum(-1) for j in range(cut.shape[1])], dim=-1)
    rank = (x > t_x).sum(-1) + 1 if t_x is not None else torch.zeros(len(x), dtype=torch.long)
    t_lp = (t_x - log_z).squeeze(-1) if t_x is not None else None
    return topk_mass, above, entropy, rank, t_lp


def stats_from_logits(
    logits: torch.Tensor, targets: torch.Tensor | None = None, config: DistStatsConfig | None = None
) -> tuple[torch.Tensor | None, DistStats]:
    """Log-probabilities of ``targets`` and the statistics of each row of unnormalised ``logits`` [N, V].

    A few linear passes over each row, no sort and no separate ``log_softmax``: with ``m`` the row
    maximum, ``e = exp(x - m)`` and ``S = sum(e)``, ``log Z = m + log S``, ``p = e / S``; the entropy
    is ``log Z - sum(e * x) / S``; ``p > t`` exactly when ``x > log t + log Z``; the rank of the target
    is one plus the number of logits strictly above its own; the top-``K`` masses come from a partial
    selection (``torch.topk``) of the ``K`` largest logits.
    """
    cfg = config or DistStatsConfig()
    x = logits.detach().float()
    if x.dim() != 2:
        raise ValueError(f"logits must be [positions, vocab], got shape {tuple(x.shape)}")
    n, v = x.shape
    k = min(cfg.top_k, v)
    t_x = x.gather(-1, targets.to(x.device).long().view(-1, 1)) if targets is not None else None
    if x.device.type == "cpu":
        log_t = np.log(np.asarray(cfg.thresholds, dtype=np.float32))
        xn, txn = x.contiguous().numpy(), None if t_x is None else t_x.numpy()

        def block(a: int, b: int) -> tuple[np.ndarray, ...]:
            xb, tb = xn[a:b], None if txn is None else txn[a:b]
            fused = _stats_cpu_fused(xb, k, tb, log_t) if _FUSED else None
            return fused if fused is not None else _stats_cpu(xb, _topk_desc(xb, k), tb, log_t)

        def rows(sl: slice) -> tuple[np.ndarray, ...]:
            # blocks of rows small enough that the passes over them stay in the core's cache
            done = [block(a, min(a + _CACHE_ROWS, sl.stop)) for a in range(sl.start, sl.stop, _CACHE_ROWS)]
            return tuple(None if done[0][i] is None else np.concatenate([d[i] for d in done]) for i in range(5))

        # NumPy's passes and the kernels run single-threaded but release the GIL: split the rows over threads
        done = split_rows(rows, n, min(torch.get_num_threads(), n // _MIN_ROWS_PER_THREAD))
        parts = done[0] if len(done) == 1 else tuple(
            None if done[0][i] is None else np.concatenate([d[i] for d in done]) for i in range(5))
        topk_mass, above, entropy, rank, t_lp = parts
        target_lp = None if t_lp is None else torch.from_numpy(np.ascontiguousarray(t_lp))
    else:
        top = torch.topk(x, k, dim=-1, sorted=True).values  # [N, k] descending
        log_t = torch.log(torch.tensor(cfg.thresholds, dtype=x.dtype, device=x.device))
        tparts = _stats_torch(x, top, t_x, log_t)
        topk_mass, above, entropy, rank = (p.cpu().numpy() for p in tparts[:4])
        target_lp = tparts[4]
    if k < cfg.top_k:  # vocabulary smaller than K: the mass stays at 1 beyond V
        topk_mass = np.concatenate([topk_mass, np.repeat(topk_mass[:, -1:], cfg.top_k - k, axis=1)], axis=1)
    stats = DistStats(np.asarray(topk_mass, np.float32), np.asarray(above, np.int32),
                      np.asarray(entropy, np.float32), np.asarray(rank, np.int32), tuple(cfg.thresholds))
    return target_lp, stats


def distribution_stats(
    logprobs: torch.Tensor, targets: torch.Tensor | None = None, config: DistStatsConfig | None = None
) -> DistStats:
    """Statistics of each row of ``logprobs`` [N, V] (log-probabilities, or any unnormalised logits).

    ``targets`` [N] are the actual next tokens (for ``rank``); pass ``torch.log(p)`` of a hand-made
    distribution to check the definitions.
    """
    return stats_from_logits(logprobs, targets, config)[1]

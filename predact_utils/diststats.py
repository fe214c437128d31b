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

All of them, and the log-probability of the actual token, follow from the
logits sorted by value (NumPy's SIMD sort on CPU, ``torch.sort`` on GPU), so
the scorer needs no separate ``log_softmax`` pass over the vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch


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


def _sort_ascending(x: torch.Tensor) -> torch.Tensor:
    if x.device.type == "cpu":
        return torch.from_numpy(np.sort(x.contiguous().numpy(), axis=-1))
    return torch.sort(x, dim=-1).values


def stats_from_logits(
    logits: torch.Tensor, targets: torch.Tensor | None = None, config: DistStatsConfig | None = None
) -> tuple[torch.Tensor | None, DistStats]:
    """Log-probabilities of ``targets`` and the statistics of each row of unnormalised ``logits`` [N, V].

    One sort per row gives everything, without a separate ``log_softmax`` pass: with ``m`` the row
    maximum, ``e = exp(x - m)`` and ``S = sum(e)``, ``log Z = m + log S``, ``p = e / S``, the entropy is
    ``log Z - sum(e * x) / S``, and ``p > t`` exactly when ``x > log t + log Z``.
    """
    cfg = config or DistStatsConfig()
    x = logits.detach().float()
    if x.dim() != 2:
        raise ValueError(f"logits must be [positions, vocab], got shape {tuple(x.shape)}")
    n, v = x.shape
    k = min(cfg.top_k, v)
    asc = _sort_ascending(x)  # [N, V] ascending; -inf (p = 0) first
    m = asc[:, -1:]
    e = torch.sub(asc, m).exp_()
    s = e.sum(-1, keepdim=True)
    log_z = m + s.log()
    finite = asc if not bool(torch.isinf(asc[:, 0]).any()) else asc.nan_to_num(neginf=0.0)
    dot = torch.bmm(e.unsqueeze(1), finite.unsqueeze(2)).view(n, 1)
    entropy = (log_z - dot / s).squeeze(-1)
    topk_mass = e[:, v - k :].flip(-1).cumsum(-1) / s
    if k < cfg.top_k:  # vocabulary smaller than K: the mass stays at 1 beyond V
        topk_mass = torch.cat([topk_mass, topk_mass[:, -1:].expand(n, cfg.top_k - k)], dim=-1)
    log_t = torch.log(torch.tensor(cfg.thresholds, dtype=asc.dtype, device=asc.device))
    above = v - torch.searchsorted(asc, (log_t.view(1, -1) + log_z).contiguous(), right=True)
    target_lp = None
    if targets is not None:
        t_x = x.gather(-1, targets.to(x.device).long().view(-1, 1)).contiguous()
        rank = v - torch.searchsorted(asc, t_x, right=True).squeeze(-1) + 1
        target_lp = (t_x - log_z).squeeze(-1)
    else:
        rank = torch.zeros(n, dtype=torch.long)
    stats = DistStats(
        topk_mass.cpu().numpy().astype(np.float32), above.cpu().numpy().astype(np.int32),
        entropy.cpu().numpy().astype(np.float32), rank.cpu().numpy().astype(np.int32), tuple(cfg.thresholds),
    )
    return target_lp, stats


def distribution_stats(
    logprobs: torch.Tensor, targets: torch.Tensor | None = None, config: DistStatsConfig | None = None
) -> DistStats:
    """Statistics of each row of ``logprobs`` [N, V] (log-probabilities, or any unnormalised logits).

    ``targets`` [N] are the actual next tokens (for ``rank``); pass ``torch.log(p)`` of a hand-made
    distribution to check the definitions.
    """
    return stats_from_logits(logprobs, targets, config)[1]

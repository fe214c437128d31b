"""Per-token log-probabilities and perplexity, with a sliding window (Fig. 2, Fig. 3-5, cross-perplexity).

Definitions used throughout the book:

* the log-probability of token ``x_i`` is ``log p(x_i | x_c .. x_{i-1})`` under the model, where the
  context starts at ``c = max(0, i - W)`` for the first window and never has fewer than
  ``W - S + 1`` tokens afterwards (``W`` = ``window``, ``S`` = ``stride``);
* **perplexity** of a set of sequences is ``exp( (1/N) * sum_i -log p(x_i | context_i) )``, the
  exponential of the mean negative log-likelihood over the ``N`` *scored* tokens of all sequences
  together (token-weighted, not an average of per-document perplexities). Which tokens are scored is
  set by ``score_from`` (the first ``score_from`` tokens of a sequence are context only: a prompt, or
  the BOS/EOS prefix that lets the first real token be scored; see :func:`encode_documents`).

Sliding window: the model sees at most ``W`` tokens at once. The first window scores targets
``1..W`` from inputs ``0..W-1``; each later window advances by ``S`` targets. With ``W`` at least the
sequence length minus one, every token is scored with its full context, so sliding-window and
full-context perplexity coincide; ``S = W`` gives disjoint windows (the minimum context is then one
token, as in lm-evaluation-harness' ``loglikelihood_rolling``).

Windows of all sequences are sorted by length, left-padded into batches of at most ``batch_tokens``
tokens, and only the logits of scored positions are computed (``logits_to_keep``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from predact_utils.lm.diststats import DistStats, DistStatsConfig, stats_from_logits
from predact_utils.lm.modelconfig import text_config

_ROWS_PER_CHUNK = 1024  # positions whose full-vocabulary log-probs are held at once


@dataclass
class SequenceScores:
    """Scores of one sequence: ``logprobs[i]`` of token ``i`` (NaN where not scored) and per-position stats."""

    token_ids: np.ndarray  # [L] int64
    logprobs: np.ndarray  # [L] float32, NaN for unscored positions
    stats: DistStats | None  # one row per scored position, in order

    @property
    def scored(self) -> np.ndarray:
        """Boolean mask of scored positions."""
        return ~np.isnan(self.logprobs)

    @property
    def n_scored(self) -> int:
        return int(self.scored.sum())

    @property
    def nll_sum(self) -> float:
        """Sum of negative log-likelihoods of the scored tokens (nats)."""
        return float(-np.nansum(self.logprobs.astype(np.float64)))


@dataclass
class _Block:
    seq: int
    start: int  # first input token
    stop: int  # one past the last target
    first: int  # first target


def plan_windows(length: int, score_from: int, window: int, stride: int) -> list[tuple[int, int, int]]:
    """``(input start, target stop, first target)`` of each window of a sequence of ``length`` tokens."""
    if window < 1 or not 1 <= stride <= window:
        raise ValueError(f"need window >= 1 and 1 <= stride <= window, got window={window}, stride={stride}")
    s = max(1, score_from)
    blocks = []
    prev = s
    b = min(length, window + 1)
    while prev < length:
        if b <= prev:  # score_from beyond the first window
            b = min(length, prev + stride)
        blocks.append((max(0, b - 1 - window), b, prev))
        prev = b
        b = min(length, b + stride)
    return blocks


def _model_window(model: Any) -> int:
    cfg = text_config(model)
    return int(getattr(cfg, "max_position_embeddings", 2048) or 2048)


def encode_documents(tokenizer: Any, texts: Sequence[str]) -> list[list[int]]:
    """Token ids of gold documents, each prefixed by BOS (or EOS when there is no BOS), so that with
    ``score_from=1`` every document token is scored, as lm-evaluation-harness does for rolling log-likelihood."""
    prefix = tokenizer.bos_token_id if tokenizer.bos_token_id is not None else tokenizer.eos_token_id
    if prefix is None:
        raise ValueError("the tokenizer has neither a BOS nor an EOS token to prefix documents with; set one")
    return [[int(prefix)] + list(tokenizer(t, add_special_tokens=False)["input_ids"]) for t in texts]


def _batches(blocks: list[_Block], batch_tokens: int) -> list[list[_Block]]:
    """Windows grouped into batches of at most ``batch_tokens`` input tokens, sorted by input length and
    then by the number of scored targets: a batch computes the language-model head for as many final
    positions as its window with the most targets, so the first windows of documents (``W`` targets)
    go together and the later ones (``S`` targets) keep only ``S`` positions."""
    blocks = sorted(blocks, key=lambda b: (b.stop - 1 - b.start, b.stop - b.first, b.seq, b.start))
    out: list[list[_Block]] = []
    cur: list[_Block] = []
    for blk in blocks:
        n = blk.stop - 1 - blk.start
        if cur and n * (len(cur) + 1) > batch_tokens:
            out.append(cur)
            cur = []
        cur.append(blk)
    if cur:
        out.append(cur)
    return out


@torch.inference_mode()
def token_logprobs(
    model: Any,
    sequences: Sequence[Sequence[int]],
    *,
    score_from: int | Sequence[int] = 1,
    window: int | None = None,
    stride: int | None = None,
    batch_tokens: int | None = None,
    stats: DistStatsConfig | None = None,
    progress: bool = True,
    desc: str = "scoring",
) -> list[SequenceScores]:
    """Log-probability of every token of every sequence from position ``score_from`` on (see module doc).

    ``window`` defaults to the model's maximum context, ``stride`` to ``window // 2``. With ``stats``
    the per-position distribution statistics of :mod:`diststats` are computed on the way. ``batch_tokens``
    (input tokens per batch) defaults to 4096 on the CPU and, on an accelerator, to what its free memory
    holds (:func:`predact_utils.lm.memory.tokens_that_fit`).
    """
    window = window or _model_window(model)
    stride = stride or max(1, window // 2)
    starts = [score_from] * len(sequences) if isinstance(score_from, int) else list(score_from)
    if len(starts) != len(sequences):
        raise ValueError(f"score_from has {len(starts)} entries for {len(sequences)} sequences")
    seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
    blocks = [_Block(i, a, b, f) for i, s in enumerate(seqs) for a, b, f in plan_windows(len(s), starts[i], window, stride)]
    lps = [np.full(len(s), np.nan, dtype=np.float32) for s in seqs]
    stat_parts: list[list[tuple[int, DistStats]]] = [[] for _ in seqs]
    device = model.get_input_embeddings().weight.device
    if batch_tokens is None:
        from predact_utils.lm.memory import free_bytes, tokens_that_fit

        free = free_bytes(device)
        batch_tokens = 4096 if free is None else tokens_that_fit(free, model.config)
    batches = _batches(blocks, batch_tokens)
    bar = tqdm(total=sum(b.stop - b.first for b in blocks), desc=desc, unit="tok", disable=not progress)
    for batch in batches:
        n_in = max(b.stop - 1 - b.start for b in batch)
        keep = max(b.stop - b.first for b in batch)
        ids = torch.zeros(len(batch), n_in, dtype=torch.long)
        mask = torch.zeros(len(batch), n_in, dtype=torch.long)
        for r, b in enumerate(batch):
            n = b.stop - 1 - b.start
            ids[r, n_in - n :] = torch.from_numpy(seqs[b.seq][b.start : b.stop - 1])
            mask[r, n_in - n :] = 1
        padded = bool((mask == 0).any())
        pos = (mask.cumsum(-1) - 1).clamp_min(0)
        out = model(input_ids=ids.to(device), attention_mask=mask.to(device) if padded else None,
                    position_ids=pos.to(device), logits_to_keep=keep, use_cache=False)
        logits = out.logits  # [B, keep, V]
        lp_parts, st_parts, owners = [], [], []
        for r, b in enumerate(batch):  # chunks of each window's scored rows, without copying the logits
            n_t = b.stop - b.first
            owners.append((b, n_t))
            rows = logits[r, keep - n_t :]
            tgt = torch.from_numpy(seqs[b.seq][b.first : b.stop]).to(rows.device)
            for c in range(0, n_t, _ROWS_PER_CHUNK):
                chunk = rows[c : c + _ROWS_PER_CHUNK].float()
                t = tgt[c : c + _ROWS_PER_CHUNK]
                if stats is not None:
                    t_lp, st = stats_from_logits(chunk, t, stats)
                    st_parts.append(st)
                else:
                    t_lp = chunk.gather(-1, t.view(-1, 1)).squeeze(-1) - torch.logsumexp(chunk, dim=-1)
                lp_parts.append(t_lp.cpu())
        lp_all = torch.cat(lp_parts).numpy()
        st_all = DistStats.concat(st_parts, stats) if stats is not None else None
        off = 0
        for b, n_t in owners:
            lps[b.seq][b.first : b.stop] = lp_all[off : off + n_t]
            if st_all is not None:
                stat_parts[b.seq].append((b.first, st_all.select(slice(off, off + n_t))))
            off += n_t
        del out, logits
        bar.update(sum(n for _, n in owners))
    bar.close()
    result = []
    for i, s in enumerate(seqs):
        st = None
        if stats is not None:
            st = DistStats.concat([p for _, p in sorted(stat_parts[i], key=lambda x: x[0])], stats)
        result.append(SequenceScores(s, lps[i], st))
    return result


def perplexity(scores: Sequence[SequenceScores]) -> float:
    """``exp(sum of NLL over all scored tokens / number of scored tokens)``; raises if nothing was scored."""
    n = sum(s.n_scored for s in scores)
    if n == 0:
        raise ValueError("no scored tokens: sequences are too short or score_from is past their end")
    return float(np.exp(sum(s.nll_sum for s in scores) / n))


def sequence_perplexities(scores: Sequence[SequenceScores]) -> np.ndarray:
    """Per-sequence perplexity (NaN for a sequence with no scored token), for distributions over documents."""
    return np.array([np.exp(s.nll_sum / s.n_scored) if s.n_scored else np.nan for s in scores])

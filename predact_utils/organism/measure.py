"""Exact world-modeling measures of the model organism: the world's predictive distribution at every
prefix of a document in one forward pass, and the KL from the world to a model in nats per token.

At each prefix of a document sampled from the world, the world's next-token distribution ``p`` is exact
(:func:`predictive_table`), so ``KL(p || q)`` against the model's ``q`` is exact at that prefix; averaged
over every position of world samples it is an unbiased estimate of the per-token KL from the world to the
model, and its 95% interval resamples documents (the independent unit).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from predact_utils.organism.world import World


def predictive_table(world: World, doc: Sequence[int]) -> np.ndarray:
    """``[len(doc), vocab + 1]``: row ``t`` is the world's exact next-token distribution after ``doc[:t]``."""
    pi, A, B = world._joint()
    belief = pi.copy()
    rows = np.empty((len(doc), B.shape[1]))
    for t, tok in enumerate(doc):
        if not 0 <= int(tok) < B.shape[1]:
            raise ValueError(f"token {int(tok)} at position {t} is not a world token (0..{B.shape[1] - 1}): "
                             "it has probability 0 in this world")
        rows[t] = belief @ B
        joint = belief * B[:, int(tok)]
        z = joint.sum()
        if z <= 0:
            raise ValueError(f"token {int(tok)} at position {t} has probability 0 in this world")
        belief = (joint / z) @ A
    return rows


def _per_doc_interval(sums: np.ndarray, counts: np.ndarray, n_boot: int, seed: int) -> tuple[float, float, float]:
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(sums), size=(n_boot, len(sums)))
    boot = sums[idx].sum(1) / counts[idx].sum(1)
    return float(sums.sum() / counts.sum()), float(np.quantile(boot, 0.025)), float(np.quantile(boot, 0.975))


def kl_to_world(world: World, docs: Sequence[Sequence[int]], model_logprobs: Sequence[np.ndarray],
                n_boot: int = 1000, seed: int = 0) -> tuple[float, float, float]:
    """Mean exact ``KL(world || model)`` per token (nats) over every position of ``docs`` (world samples),
    with a 95% bootstrap interval over documents. ``model_logprobs[i]`` is ``[len(docs[i]), >= vocab + 1]``:
    the model's next-token log-probabilities at each prefix; columns past the world's tokens (request
    tokens) count as mass the world never puts there."""
    if len(docs) != len(model_logprobs) or not docs:
        raise ValueError(f"need one log-probability table per document, got {len(model_logprobs)} for {len(docs)}")
    sums, counts = np.zeros(len(docs)), np.zeros(len(docs))
    for i, (d, lq) in enumerate(zip(docs, model_logprobs, strict=True)):
        p = predictive_table(world, d)
        lq = np.asarray(lq, dtype=float)
        if lq.shape[0] != len(d) or lq.shape[1] < p.shape[1]:
            raise ValueError(f"document {i}: log-probabilities of shape {lq.shape}, need ({len(d)}, >= {p.shape[1]})")
        lq = lq[:, : p.shape[1]]
        with np.errstate(divide="ignore", invalid="ignore"):
            terms = np.where(p > 0, p * (np.log(p) - lq), 0.0)
        sums[i], counts[i] = terms.sum(), len(d)
    return _per_doc_interval(sums, counts, n_boot, seed)


def entropy_per_token(world: World, docs: Sequence[Sequence[int]], n_boot: int = 1000,
                      seed: int = 0) -> tuple[float, float, float]:
    """The world's exact next-token entropy (nats), averaged over every position of ``docs``, with a 95%
    interval over documents: the floor of any model's loss per token (as :meth:`World.entropy_rate`, in one
    pass per document)."""
    sums, counts = np.zeros(len(docs)), np.zeros(len(docs))
    for i, d in enumerate(docs):
        p = predictive_table(world, d)
        with np.errstate(divide="ignore", invalid="ignore"):
            sums[i] = float(-np.where(p > 0, p * np.log(p), 0.0).sum())
        counts[i] = len(d)
    return _per_doc_interval(sums, counts, n_boot, seed)

"""What the organism chapter measures of one model (one point of the frontier).

World modeling is exact: ``KL(world || model)`` per token on held-out world samples
(:func:`~predact_utils.organism.measure.kl_to_world`). Acting is the task's programmatic reward of the model's
own answers to requests. Along them, the paper's collapse and anchor-span measures on the same answers: the
mean top-1 probability and the self-perplexity (log, nats per token) of the model on its own answers, the share
of a request's answers that hold its most common n-gram, and the number of answers aligned (MAFFT) with at least
``min_others`` others, averaged over normalised positions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from predact_utils.organism.lm import next_token_logprobs, sample_answers
from predact_utils.organism.measure import kl_to_world
from predact_utils.organism.task import Task

#: The measures of a point, in the page's order (each a column of the chapter's table).
MEASURES: tuple[str, ...] = ("kl", "reward", "top1", "self_nll", "ngram_share", "aligned_k")


@dataclass(frozen=True)
class Probe:
    """The fixed inputs every point is measured on: held-out world documents and the requests."""

    task: Task
    test_docs: list[list[int]]
    topics: list[int]  # one entry per request
    answers_per_request: int
    ngram: int
    min_others: int
    n_points: int
    seed: int

    @property
    def bos(self) -> int:
        from predact_utils.organism.lm import bos_token

        return bos_token(self.task.n_tokens)


def answers_of(model: torch.nn.Module, probe: Probe) -> list[list[list[int]]]:
    """Per request, ``answers_per_request`` sampled answers (temperature 1; per-row seeds)."""
    prompts = [[probe.task.request_token(k)] for k in probe.topics for _ in range(probe.answers_per_request)]
    flat = sample_answers(model, prompts, probe.bos, max_new=probe.task.max_words + 1, seed=probe.seed,
                          n_tokens=probe.task.n_tokens)
    m = probe.answers_per_request
    return [flat[i * m:(i + 1) * m] for i in range(len(probe.topics))]


def own_text_stats(model: torch.nn.Module, probe: Probe, answers: Sequence[Sequence[Sequence[int]]]) -> tuple[float, float]:
    """Mean top-1 probability and mean NLL per token of the model on its own answers (every answer token)."""
    top1, nll = [], []
    for k, group in zip(probe.topics, answers, strict=True):
        req = probe.task.request_token(k)
        docs = [[req, *a] for a in group if a]
        for d, lp in zip(docs, next_token_logprobs(model, docs, probe.bos), strict=True):
            rows = lp[1:len(d)]  # the rows that predict the answer's tokens
            top1.extend(np.exp(rows.max(axis=1)))
            nll.extend(-rows[np.arange(len(d) - 1), d[1:]])
    return float(np.mean(top1)), float(np.mean(nll))


def ngram_share(answers: Sequence[Sequence[Sequence[int]]], n: int) -> float:
    """Mean over requests of the share of answers that hold the request's most common n-gram."""
    from predact_utils.chapters.anchors.ngrams import coverage_table

    ids = [f"r{i}" for i in range(len(answers))]
    table = coverage_table({"m": [[list(a) for a in g] for g in answers]}, ids, max_n=n)
    return float(table[table["n"] == n]["coverage"].mean())


def aligned_with_others(answers: Sequence[Sequence[Sequence[int]]], min_others: int, n_points: int) -> float:
    """Mean over requests and normalised positions of the answers aligned with at least ``min_others`` others
    (MAFFT text mode, as chapter 04; answers without their end token)."""
    from predact_utils.chapters.anchors import tables
    from predact_utils.chapters.anchors.msa import align_prompts, parse_options

    groups = [[[t for t in a if t != 0] or [0] for a in g] for g in answers]
    alignments = align_prompts(groups, parse_options("--retree 2 --maxiterate 0"), timeout=120, n_overflow=32)
    curves = tables.position_curves({"m": alignments}, min_others, n_points, max(len(a) for g in groups for a in g))
    return float(curves.normalised["m"].mean())


def measure(model: torch.nn.Module, probe: Probe) -> dict[str, Any]:
    """Every measure of :data:`MEASURES` for one model, with the KL's interval over documents, and ``nll``: the
    model's held-out loss per token on the same world documents (nats)."""
    w = probe.task.world
    lps = [t[:, : w.vocab + 1] for t in next_token_logprobs(model, probe.test_docs, probe.bos)]
    kl, kl_lo, kl_hi = kl_to_world(w, probe.test_docs, lps, seed=probe.seed)
    nll = float(np.mean(np.concatenate([-lp[np.arange(len(d)), d] for d, lp in zip(probe.test_docs, lps, strict=True)])))
    answers = answers_of(model, probe)
    rewards = [probe.task.reward(k, a) for k, g in zip(probe.topics, answers, strict=True) for a in g]
    top1, self_nll = own_text_stats(model, probe, answers)
    return {"kl": kl, "kl_lo": kl_lo, "kl_hi": kl_hi, "nll": nll, "reward": float(np.mean(rewards)), "top1": top1,
            "self_nll": self_nll, "ngram_share": ngram_share(answers, probe.ngram),
            "aligned_k": aligned_with_others(answers, probe.min_others, probe.n_points),
            "answer_words": float(np.mean([max(len(a) - 1, 0) for g in answers for a in g]))}

"""Cached, resumable versions of the expensive steps, as notebooks call them (all sections).

Each function keys its result on the model (:attr:`LoadedModel.cache_id`: name and weight
fingerprint or hub revision), a hash of the input tokens, every parameter and the seed, and saves
it chunk by chunk in the :class:`~predact_utils.runs.cache.ArtifactCache`. So the Fig. 1 notebook and the
collapse notebook share one set of generations, and an interrupted 80-prompt run resumes where it
stopped.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from predact_utils.lm.chat import encode_prompts
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.hidden import hidden_states
from predact_utils.lm.models import LoadedModel
from predact_utils.lm.sampling import Generation, SamplingParams, generate
from predact_utils.lm.scoring import SequenceScores, token_logprobs
from predact_utils.runs.cache import ArtifactCache, chunked, stable_hash

CODE_VERSION = "core-2"  # bump when a change alters results, to invalidate old entries


def cached_generations(
    lm: LoadedModel,
    prompts: Sequence[str],
    params: SamplingParams,
    *,
    role: str | None = None,
    cache: ArtifactCache | None = None,
    rows_per_chunk: int = 400,
    batch_size: int | None = None,
    progress: bool = True,
) -> list[list[Generation]]:
    """``params.n`` generations per prompt; the prompt is formatted for ``role`` (default: the model's role).

    Work is saved in chunks of whole prompts holding about ``rows_per_chunk`` sequences (4 prompts at
    100 samples each; a whole prefix set at 2 samples), so few samples per prompt still fill the
    sampler's batches of ``batch_size`` rows (default: :func:`~predact_utils.lm.sampling.auto_batch_size`).
    """
    role = role or lm.role
    ids = encode_prompts(lm.tokenizer, prompts, role)
    cache = cache or ArtifactCache()
    inputs = {"model": lm.cache_id, "prompt_ids": stable_hash(ids), "role": role, "params": params.as_dict(),
              "code": CODE_VERSION}
    pieces = chunked(list(range(len(ids))), max(1, rows_per_chunk // params.n))

    def run(i: int) -> list[list[Generation]]:
        sub = [ids[j] for j in pieces[i]]
        gens = generate(lm.model, lm.tokenizer, sub, params, batch_size=batch_size, progress=False)
        for j, per in zip(pieces[i], gens, strict=True):
            for g in per:
                g.prompt_index = j
        return gens

    parts = cache.get_or_compute_chunks("generations", inputs, len(pieces), run, progress=progress,
                                        desc=f"generations {lm.name}")
    return [per for part in parts for per in part]


def cached_token_logprobs(
    lm: LoadedModel,
    sequences: Sequence[Sequence[int]],
    *,
    score_from: int | Sequence[int] = 1,
    window: int | None = None,
    stride: int | None = None,
    stats: DistStatsConfig | None = None,
    cache: ArtifactCache | None = None,
    sequences_per_chunk: int = 256,
    batch_tokens: int = 4096,
    progress: bool = True,
) -> list[SequenceScores]:
    """:func:`~predact_utils.lm.scoring.token_logprobs`, cached and resumable by chunks of sequences."""
    seqs = [list(map(int, s)) for s in sequences]
    starts = [score_from] * len(seqs) if isinstance(score_from, int) else list(score_from)
    cache = cache or ArtifactCache()
    inputs = {"model": lm.cache_id, "sequences": stable_hash(seqs), "score_from": stable_hash(starts),
              "window": window, "stride": stride, "stats": stats, "code": CODE_VERSION}
    pieces = chunked(list(range(len(seqs))), sequences_per_chunk)

    def run(i: int) -> list[SequenceScores]:
        idx = pieces[i]
        return token_logprobs(lm.model, [seqs[j] for j in idx], score_from=[starts[j] for j in idx], window=window,
                              stride=stride, stats=stats, batch_tokens=batch_tokens, progress=False)

    parts = cache.get_or_compute_chunks("token_logprobs", inputs, len(pieces), run, progress=progress,
                                        desc=f"scoring {lm.name}")
    return [s for part in parts for s in part]


def cached_hidden_states(
    lm: LoadedModel,
    sequences: Sequence[Sequence[int]],
    layers: Sequence[int],
    *,
    cache: ArtifactCache | None = None,
    sequences_per_chunk: int = 256,
    progress: bool = True,
) -> list[np.ndarray]:
    """:func:`~predact_utils.lm.hidden.hidden_states` (float16), cached and resumable by chunks of sequences."""
    seqs = [list(map(int, s)) for s in sequences]
    cache = cache or ArtifactCache()
    inputs = {"model": lm.cache_id, "sequences": stable_hash(seqs), "layers": list(layers), "code": CODE_VERSION}
    pieces = chunked(list(range(len(seqs))), sequences_per_chunk)

    def run(i: int) -> list[np.ndarray]:
        return hidden_states(lm.model, [seqs[j] for j in pieces[i]], layers, progress=False)

    parts = cache.get_or_compute_chunks("hidden_states", inputs, len(pieces), run, progress=progress,
                                        desc=f"hidden states {lm.name}")
    return [h for part in parts for h in part]

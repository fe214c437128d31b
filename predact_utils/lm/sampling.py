"""Batched nucleus sampling, fast on CPU (Fig. 1, Fig. 3-5, n-gram and alignment sections).

The book draws about 80 prompts x 100 generations per model at p = 0.9. This
module samples them with a lean decode loop around the model's own forward:

* each distinct prompt is pre-filled once (batch 1) and its key/value states
  are broadcast into the rows of its samples, instead of running the prompt
  ``n`` times as ``generate(num_return_sequences=n)`` does;
* the key/value cache is preallocated for the whole generation (no
  ``torch.cat`` per step); prompts of one batch are sorted by length and
  left-padded into it;
* the token is drawn by inverse CDF over the nucleus in vocabulary order; on
  CPU a compiled kernel (:mod:`predact_utils.lm.nucleuskernel`) finds the nucleus
  by bucketing each row's probabilities and sorting only the boundary bucket,
  elsewhere the probabilities are sorted by value only;
* finished rows are dropped from the batch as generations end.

Randomness: sample ``j`` of a prompt uses its own generator, seeded from
``(seed, prompt token ids, j)``, which draws the uniforms of all its steps; a
generation therefore does not depend on which other prompts share its batch
(up to float rounding in batched matrix products), on ``batch_size``, or on
the order of the prompts. Nucleus (Holtzman et al., 2020): the fewest most
probable tokens whose probability mass reaches ``top_p`` (ties at the
boundary are kept), renormalised, as in :mod:`predact_utils.chapters.setup.zipf`.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from predact_utils.lm import nucleuskernel
from predact_utils.lm.kvcache import SlotCache
from predact_utils.lm.modelconfig import text_config


@dataclass(frozen=True)
class SamplingParams:
    """Settings of one sampling run; ``temperature=0`` means greedy decoding."""

    top_p: float = 0.9
    temperature: float = 1.0
    max_new_tokens: int = 128
    n: int = 100
    seed: int = 0

    def __post_init__(self) -> None:
        if not 0.0 < self.top_p <= 1.0:
            raise ValueError(f"top_p must be in (0, 1], got {self.top_p}")
        if self.temperature < 0:
            raise ValueError(f"temperature must be >= 0, got {self.temperature}")
        if self.max_new_tokens < 1 or self.n < 1:
            raise ValueError(f"max_new_tokens and n must be >= 1, got {self.max_new_tokens}, {self.n}")
        if self.seed < 0:
            raise ValueError(f"seed must be >= 0, got {self.seed}")

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (for the artifact cache key)."""
        return asdict(self)


@dataclass
class Generation:
    """One sampled continuation: new token ids (without the stop token), text and why it stopped."""

    prompt_index: int
    sample_index: int
    token_ids: list[int]
    text: str
    stop_reason: str  # "eos" (a stop token was sampled) or "length" (max_new_tokens reached)


def row_seed(seed: int, prompt_ids: Sequence[int], sample_index: int) -> int:
    """The generator seed of sample ``sample_index`` of a prompt (independent of batching)."""
    msg = f"{seed}|{','.join(map(str, prompt_ids))}|{sample_index}".encode()
    return int.from_bytes(hashlib.sha256(msg).digest()[:8], "little") & (2**63 - 1)


#: Draw with the compiled kernel of :mod:`nucleuskernel` on CPU when numba is installed (tests switch
#: this off to compare it with the sorting version).
_COMPILED = True


def _sorted_ascending(probs: torch.Tensor) -> torch.Tensor:
    if probs.device.type == "cpu":
        return torch.from_numpy(np.sort(probs.numpy(), axis=-1))
    return torch.sort(probs, dim=-1).values


def _nucleus_by_sorting(probs: torch.Tensor, u: torch.Tensor, top_p: float) -> torch.Tensor:
    """The nucleus from the sorted probabilities and an inverse CDF over it (float32 sums; any device)."""
    if top_p < 1.0:
        sv = _sorted_ascending(probs)
        cs = sv.cumsum(-1)
        # The tokens from ascending position i up hold total - cs[i - 1]; the nucleus starts at the last i
        # where that reaches top_p, i.e. at the number of positions j with cs[j] <= total - top_p.
        last = torch.searchsorted(cs, cs[:, -1:] - top_p, right=True).clamp_max(probs.shape[-1] - 1)
        tau = sv.gather(-1, last)
        probs = probs.masked_fill_(probs < tau, 0.0)  # ties at the boundary stay
    cdf = probs.cumsum(-1)
    target = (u.to(cdf.device, cdf.dtype) * cdf[:, -1]).unsqueeze(-1)
    idx = torch.searchsorted(cdf, target, right=True).clamp_max(probs.shape[-1] - 1)
    bad = probs.gather(-1, idx) <= 0  # u * mass rounded up to the total: fall back to the top token
    if bool(bad.any()):
        idx = torch.where(bad, probs.argmax(-1, keepdim=True), idx)
    return idx.squeeze(-1)


def nucleus_sample(logits: torch.Tensor, u: torch.Tensor, top_p: float, temperature: float = 1.0) -> torch.Tensor:
    """Draw one token per row of ``logits`` [B, V] from the top-p nucleus, using uniforms ``u`` [B] in [0, 1).

    The same ``u`` always gives the same token, which makes sampling reproducible per row. On CPU the
    draw is :func:`predact_utils.lm.nucleuskernel.draw` (the same rule with float64 sums, without a full
    sort); elsewhere the probabilities are sorted.
    """
    if temperature == 0:
        return logits.argmax(-1)
    scaled = logits.float()
    probs = torch.softmax(scaled / temperature if temperature != 1.0 else scaled, dim=-1)
    if _COMPILED and nucleuskernel.AVAILABLE and probs.device.type == "cpu":
        picked = nucleuskernel.draw(probs.numpy(), u.numpy(), top_p, workers=torch.get_num_threads())
        return torch.from_numpy(picked)
    return _nucleus_by_sorting(probs, u, top_p)


@dataclass
class _Row:
    prompt_index: int
    sample_index: int
    prompt: tuple[int, ...]


def _model_device(model: Any) -> torch.device:
    return model.get_input_embeddings().weight.device


def _row_uniforms(rows: Sequence[_Row], params: SamplingParams) -> torch.Tensor:
    """``[rows, max_new_tokens]`` uniforms: each row's from its own generator, seeded by its prompt and index."""
    return torch.stack([torch.rand(params.max_new_tokens, generator=torch.Generator().manual_seed(
        row_seed(params.seed, r.prompt, r.sample_index))) for r in rows])


def _decode_state(rows: int, steps: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The decode loop's bookkeeping: the original index of each live row, the drawn tokens (-1: none yet),
    which rows have stopped."""
    return torch.arange(rows), torch.full((rows, steps), -1, dtype=torch.long), torch.zeros(rows, dtype=torch.bool)


def _draw(logits: torch.Tensor, u_all: torch.Tensor, alive: torch.Tensor, t: int, params: SamplingParams,
          tokens: torch.Tensor, done: torch.Tensor, stop_ids: torch.Tensor) -> torch.Tensor:
    """Step ``t``: draw the live rows' tokens with their own uniforms, record them and which rows stopped."""
    nxt = nucleus_sample(logits, u_all[alive, t], params.top_p, params.temperature)
    tokens[alive, t] = nxt.cpu()
    done[alive[torch.isin(nxt, stop_ids).cpu()]] = True
    return nxt


@torch.inference_mode()
def _run_batch(model: Any, rows: list[_Row], params: SamplingParams, stop_ids: torch.Tensor) -> list[tuple[list[int], str]]:
    device = _model_device(model)
    B, T = len(rows), params.max_new_tokens
    lens = torch.tensor([len(r.prompt) for r in rows])
    P = int(lens.max())
    cache = SlotCache(model.config, batch_size=B, max_len=P + T)
    logits = torch.empty(B, 0)
    by_prompt: dict[tuple[int, ...], list[int]] = {}
    for i, r in enumerate(rows):
        by_prompt.setdefault(r.prompt, []).append(i)
    for prompt, idx in by_prompt.items():  # pre-fill each distinct prompt once
        ids = torch.tensor([prompt], device=device)
        pre = SlotCache.prefill_cache(model.config)
        out = model(input_ids=ids, cache=pre, use_cache=True, logits_to_keep=1)
        cache.write_prompt(pre, idx, start=P - len(prompt))
        last = out.logits[0, -1].float()
        if logits.numel() == 0:
            logits = torch.empty(B, last.shape[-1], device=last.device)
        logits[idx] = last
    cache.set_length(P)
    padded = bool((lens < P).any())
    mask = None
    if padded:
        mask = torch.ones(B, P + T, dtype=torch.long, device=device)
        for i, n in enumerate(lens.tolist()):
            mask[i, : P - n] = 0
    u_all = _row_uniforms(rows, params)
    pos = lens.clone().to(device)
    alive, tokens, done = _decode_state(B, T)
    stop_ids = stop_ids.to(device)
    for t in range(T):
        nxt = _draw(logits, u_all, alive, t, params, tokens, done, stop_ids)
        if bool(done[alive].all()) or t == T - 1:
            break
        n_fin = int(done[alive].sum())
        if n_fin and n_fin >= max(4, len(alive) // 4):  # drop finished rows from the batch
            keep = (~done[alive]).nonzero().squeeze(-1)
            cache.select_rows(keep.to(device))
            alive, nxt, pos = alive[keep], nxt[keep.to(nxt.device)], pos[keep.to(device)]
            if mask is not None:
                mask = mask[keep.to(device)]
        step_mask = mask[:, : P + t + 1] if mask is not None else None
        out = model(input_ids=nxt[:, None], attention_mask=step_mask, position_ids=pos[:, None],
                    cache=cache, use_cache=True)
        logits = out.logits[:, -1]
        pos = pos + 1
    return _stop_at_eos(tokens, stop_ids)


#: Model classes that were sampled with the fallback loop (what the GPU check reports), each said once.
FALLBACKS: dict[str, str] = {}


def _note_fallback(model: Any, kinds: Sequence[str]) -> None:
    name = type(model).__name__
    if name not in FALLBACKS:
        FALLBACKS[name] = (f"{name}: cache layers {', '.join(kinds)} are not served by the preallocated cache; "
                           "sampling with the model's own cache, one prompt per batch (same seeds, slower)")
        warnings.warn(FALLBACKS[name], stacklevel=3)


@torch.inference_mode()
def _run_prompt_dynamic(model: Any, rows: list[_Row], params: SamplingParams,
                        stop_ids: torch.Tensor) -> list[tuple[list[int], str]]:
    """The fallback loop for one prompt's rows: the model's own cache (sliding-window layers included), the
    prompt pre-filled once and repeated into the rows, the same per-row uniforms as :func:`_run_batch`."""
    from transformers import DynamicCache

    device = _model_device(model)
    prompt = rows[0].prompt
    if any(r.prompt != prompt for r in rows):
        raise ValueError("the fallback loop takes the rows of one prompt")
    B, T, P = len(rows), params.max_new_tokens, len(prompt)
    cache = DynamicCache(config=model.config)
    out = model(input_ids=torch.tensor([prompt], device=device), cache=cache, use_cache=True, logits_to_keep=1)
    cache.batch_repeat_interleave(B)
    logits = out.logits[:, -1].float().expand(B, -1)
    u_all = _row_uniforms(rows, params)
    alive, tokens, done = _decode_state(B, T)
    stop_ids = stop_ids.to(device)
    for t in range(T):
        nxt = _draw(logits, u_all, alive, t, params, tokens, done, stop_ids)
        if bool(done[alive].all()) or t == T - 1:
            break
        keep = (~done[alive]).nonzero().squeeze(-1)
        if len(keep) < len(alive):
            cache.batch_select_indices(keep.to(device))
            alive, nxt = alive[keep], nxt[keep.to(nxt.device)]
        pos = torch.full((len(alive), 1), P + t, dtype=torch.long, device=device)
        logits = model(input_ids=nxt[:, None], position_ids=pos, cache=cache, use_cache=True).logits[:, -1]
    return _stop_at_eos(tokens, stop_ids)


def _stop_at_eos(tokens: torch.Tensor, stop_ids: torch.Tensor) -> list[tuple[list[int], str]]:
    """Each row's tokens up to its first stop token, and why it stopped (``"eos"`` or ``"length"``)."""
    results = []
    stop_set = set(stop_ids.tolist())
    for row in tokens.tolist():
        out_ids: list[int] = []
        reason = "length"
        for tok in row:
            if tok < 0:
                break
            if tok in stop_set:
                reason = "eos"
                break
            out_ids.append(tok)
        results.append((out_ids, reason))
    return results


#: Key/value memory a CPU sampling batch may take (bytes); see :func:`auto_batch_size`.
CPU_CACHE_BYTES = 4e9


def auto_batch_size(model: Any, max_len: int, *, cap: int = 512) -> int:
    """Rows per sampling batch: as many rows as fit their key/value cache at ``max_len`` positions, at most
    ``cap``: on an accelerator in half its free memory (:func:`predact_utils.lm.memory.rows_that_fit`, read
    with ``torch.cuda.mem_get_info``), on CPU in :data:`CPU_CACHE_BYTES`.

    Wider batches spread each step's fixed overhead over more rows: with mini-m-base, 400 rows sampled
    about 24% more tokens per second than 128 on the 2-core machine (benchmarks/README.md).
    """
    from predact_utils.lm.memory import free_bytes, kv_bytes_per_token, rows_that_fit

    weight = model.get_input_embeddings().weight
    size = weight.element_size()  # the cache holds activations in the weights' dtype
    free = free_bytes(weight.device)
    if free is not None:
        return rows_that_fit(free, text_config(model), size, max_len, cap=cap)
    per_row = kv_bytes_per_token(text_config(model), size) * max(1, max_len)
    return int(max(1, min(cap, CPU_CACHE_BYTES // per_row)))


def sample_ids(
    model: Any,
    prompt_ids: Sequence[Sequence[int]],
    params: SamplingParams,
    stop_token_ids: Sequence[int],
    *,
    batch_size: int | None = None,
    progress: bool = True,
    fallback: bool | None = None,
) -> list[list[tuple[list[int], str]]]:
    """``params.n`` samples for each tokenised prompt: per prompt, a list of ``(new token ids, stop reason)``.

    Rows are grouped into batches of at most ``batch_size`` sequences (default :func:`auto_batch_size`),
    sorted by prompt length. A model whose cache the preallocated one cannot serve (sliding-window
    attention, ...) is sampled with the fallback loop (:func:`_run_prompt_dynamic`: same seeds, one prompt
    per batch), said once per model class; ``fallback=True`` forces that loop, ``False`` refuses it.
    """
    if not stop_token_ids:
        raise ValueError("stop_token_ids is empty; pass the eos id(s), e.g. chat.stop_token_ids(tokenizer, model)")
    rows = [_Row(i, j, tuple(int(t) for t in p)) for i, p in enumerate(prompt_ids) for j in range(params.n)]
    if any(len(r.prompt) == 0 for r in rows):
        raise ValueError("every prompt needs at least one token")
    rows.sort(key=lambda r: (len(r.prompt), r.prompt_index, r.sample_index))
    if batch_size is None:
        batch_size = auto_batch_size(model, max(len(p) for p in prompt_ids) + params.max_new_tokens) if rows else 1
    if batch_size < 1:
        raise ValueError(f"batch_size must be >= 1, got {batch_size}")
    stop = torch.tensor(sorted(set(stop_token_ids)), dtype=torch.long)
    out: list[list[Any]] = [[None] * params.n for _ in prompt_ids]
    run = _run_batch
    unsupported = SlotCache.unsupported_layers(model.config) if fallback is None else (["forced"] if fallback else [])
    if unsupported:
        _note_fallback(model, unsupported)
        run = _run_prompt_dynamic
        by_prompt: dict[tuple[int, ...], list[_Row]] = {}
        for r in rows:
            by_prompt.setdefault(r.prompt, []).append(r)
        batches = [g[i : i + batch_size] for g in by_prompt.values() for i in range(0, len(g), batch_size)]
    else:
        batches = [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
    bar = tqdm(total=len(rows), desc="sampling", unit="seq", disable=not progress)
    for batch in batches:
        for r, res in zip(batch, run(model, batch, params, stop), strict=True):
            out[r.prompt_index][r.sample_index] = res
        bar.update(len(batch))
    bar.close()
    return out


def generate(
    model: Any,
    tokenizer: Any,
    prompt_ids: Sequence[Sequence[int]],
    params: SamplingParams,
    *,
    batch_size: int | None = None,
    progress: bool = True,
) -> list[list[Generation]]:
    """Sample ``params.n`` continuations of each tokenised prompt and decode them (see :mod:`chat` for prompts)."""
    from predact_utils.lm.chat import stop_token_ids

    raw = sample_ids(model, prompt_ids, params, stop_token_ids(tokenizer, model), batch_size=batch_size,
                     progress=progress)
    return [
        [Generation(i, j, ids, tokenizer.decode(ids, skip_special_tokens=True), reason)
         for j, (ids, reason) in enumerate(per_prompt)]
        for i, per_prompt in enumerate(raw)
    ]

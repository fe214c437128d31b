"""Accelerator memory: what a model's key/value cache costs per token, how many sampling rows fit, how much
of each GPU a loaded model may take, and which half precision the GPU computes in.

Everything here is a pure function of stated figures (a config, free bytes, a dtype size) so that the
sizing logic is tested without a GPU; :func:`free_bytes` is the one call that reads the device.
"""

from __future__ import annotations

from typing import Any

import torch

from predact_utils.lm.modelconfig import decoder_config

#: Share of an accelerator's free memory a sampling or scoring batch may take (the rest: activations,
#: logits, the allocator's fragmentation).
BATCH_SHARE = 0.5
#: Share of each GPU's memory that ``device_map="auto"`` may fill with weights (the headroom holds the
#: caches and activations; without ``max_memory`` accelerate fills the GPUs and silently offloads the rest).
WEIGHT_SHARE = 0.8


def kv_bytes_per_token(config: Any, dtype_bytes: int) -> int:
    """Key/value cache bytes one token of one sequence takes: 2 (keys, values) x layers x key/value heads x
    head size x bytes per element (Llama-2-7B in bf16: 2 x 32 x 32 x 128 x 2 = 524,288, half a MiB)."""
    cfg = decoder_config(config)
    heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    return int(2 * cfg.num_hidden_layers * heads * head_dim * dtype_bytes)


def logits_bytes(config: Any, rows: int, bytes_per: int = 4) -> int:
    """The float32 logits of one decoding step for ``rows`` rows (the vocabulary-wide part of a step)."""
    return int(rows * decoder_config(config).vocab_size * bytes_per)


def rows_that_fit(free: int, config: Any, dtype_bytes: int, max_len: int, *, share: float = BATCH_SHARE,
                  cap: int = 512) -> int:
    """Sampling rows whose cache at ``max_len`` positions, plus one step's logits, fit ``share`` of ``free``
    bytes (at least 1, at most ``cap``)."""
    if free <= 0:
        raise ValueError(f"free memory must be positive, got {free} bytes")
    per_row = kv_bytes_per_token(config, dtype_bytes) * max(1, max_len) + logits_bytes(config, 1)
    return int(max(1, min(cap, share * free // per_row)))


def tokens_that_fit(free: int, config: Any, *, share: float = BATCH_SHARE, floor: int = 4096,
                    cap: int = 1 << 16) -> int:
    """Input tokens of a scoring batch on an accelerator: its float32 logits and their log-softmax (two
    copies of vocabulary x 4 bytes per scored token, plus the hidden state) in ``share`` of ``free`` bytes,
    between the CPU's ``floor`` and ``cap``."""
    cfg = decoder_config(config)
    per_token = 2 * cfg.vocab_size * 4 + 4 * cfg.hidden_size * 4
    return int(min(cap, max(floor, share * free // per_token)))


def free_bytes(device: torch.device) -> int | None:
    """Free memory of an accelerator device (``torch.cuda.mem_get_info``), None on the CPU."""
    if device.type == "cuda":
        free, _ = torch.cuda.mem_get_info(device)
        return int(free)
    return None


def max_memory(totals: dict[int, int], *, share: float = WEIGHT_SHARE) -> dict[int, str]:
    """``max_memory`` for ``from_pretrained(device_map="auto")``: ``share`` of each GPU's total bytes."""
    return {i: f"{int(share * t)}B" for i, t in totals.items()}


def gpu_totals() -> dict[int, int]:
    """Total bytes of each visible CUDA device."""
    return {i: int(torch.cuda.get_device_properties(i).total_memory) for i in range(torch.cuda.device_count())}


def half_dtype(bf16_supported: bool) -> torch.dtype:
    """bf16 where the GPU computes in it (Ampere and later), else fp16 (V100, T4)."""
    return torch.bfloat16 if bf16_supported else torch.float16


def weight_bytes(n_params: int, dtype_bytes: int) -> int:
    """Bytes of a model's weights."""
    return int(n_params * dtype_bytes)

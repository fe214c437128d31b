"""Hidden states of chosen layers at every position, stored as float16 (planning-ahead probing section).

Probes in the book read a model's residual stream at position ``t`` and try to
predict the token at ``t + k``. This module runs sequences through the model
once and keeps, for each sequence, an array ``[positions, layers, hidden]`` of
the requested layers in float16 (half the memory and disk of float32, far
more precision than a linear probe needs).

Layer numbering follows ``transformers``' ``output_hidden_states``: 0 is the
embedding output, ``i`` the output of block ``i``, and ``-1`` the last entry
(for Llama, the last block's output after the final norm). Negative indices count from the end.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from tqdm.auto import tqdm

from predact_utils.lm.modelconfig import text_config


def n_hidden_layers(model: Any) -> int:
    """Number of entries ``output_hidden_states`` returns (blocks + 1 for the embeddings)."""
    cfg = text_config(model)
    return int(cfg.num_hidden_layers) + 1


def resolve_layers(model: Any, layers: Sequence[int]) -> list[int]:
    """Absolute indices of ``layers`` (negative ones count from the end); raises on out-of-range."""
    n = n_hidden_layers(model)
    out = []
    for layer in layers:
        idx = layer + n if layer < 0 else layer
        if not 0 <= idx < n:
            raise ValueError(f"layer {layer} out of range: the model has {n} hidden-state entries (0..{n - 1})")
        out.append(idx)
    if not out:
        raise ValueError("give at least one layer, e.g. layers=[-1] for the last")
    return out


@torch.inference_mode()
def hidden_states(
    model: Any,
    sequences: Sequence[Sequence[int]],
    layers: Sequence[int],
    *,
    batch_tokens: int = 4096,
    max_length: int | None = None,
    progress: bool = True,
) -> list[np.ndarray]:
    """Per sequence, a float16 array ``[len(sequence), len(layers), hidden_size]`` of the chosen layers.

    Sequences are batched by length with left padding; a sequence longer than ``max_length``
    (default: the model's context) raises, since probing needs each position's full context.
    """
    idx = resolve_layers(model, layers)
    cfg = text_config(model)
    limit = max_length or int(getattr(cfg, "max_position_embeddings", 2048))
    seqs = [np.asarray(s, dtype=np.int64) for s in sequences]
    for i, s in enumerate(seqs):
        if len(s) > limit:
            raise ValueError(f"sequence {i} has {len(s)} tokens, more than the context of {limit}; truncate it first")
    device = model.get_input_embeddings().weight.device
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    out: list[np.ndarray | None] = [None] * len(seqs)
    batches: list[list[int]] = []
    cur: list[int] = []
    for i in order:
        if cur and len(seqs[i]) * (len(cur) + 1) > batch_tokens:
            batches.append(cur)
            cur = []
        cur.append(i)
    if cur:
        batches.append(cur)
    hidden = int(cfg.hidden_size)
    for batch in tqdm(batches, desc="hidden states", unit="batch", disable=not progress):
        n = max(len(seqs[i]) for i in batch)
        if n == 0:
            for i in batch:
                out[i] = np.zeros((0, len(idx), hidden), dtype=np.float16)
            continue
        ids = torch.zeros(len(batch), n, dtype=torch.long)
        mask = torch.zeros(len(batch), n, dtype=torch.long)
        for r, i in enumerate(batch):
            L = len(seqs[i])
            if L:
                ids[r, n - L :] = torch.from_numpy(seqs[i])
                mask[r, n - L :] = 1
        padded = bool((mask == 0).any())
        pos = (mask.cumsum(-1) - 1).clamp_min(0)
        kwargs = dict(input_ids=ids.to(device), attention_mask=mask.to(device) if padded else None,
                      position_ids=pos.to(device), use_cache=False, logits_to_keep=1)
        kept = _hooked_states(model, idx, kwargs)
        if kept is None:  # an architecture without the usual decoder layout: ask for every layer
            res = model(**kwargs, output_hidden_states=True)
            kept = {j: res.hidden_states[j] for j in idx}
        stacked = torch.stack([kept[j].to("cpu", torch.float16) for j in idx], dim=2)  # [B, n, l, d]
        for r, i in enumerate(batch):
            L = len(seqs[i])
            out[i] = stacked[r, n - L :].numpy().copy()
    return [o for o in out]  # type: ignore[misc]


def _entry_modules(model: Any) -> dict[int, Any] | None:
    """The module whose output is each ``output_hidden_states`` entry: 0 the input embeddings, ``i`` block
    ``i - 1``, the last the final norm; None for a layout without ``layers`` and ``norm`` on the decoder."""
    decoder = model.get_decoder() if hasattr(model, "get_decoder") else None
    blocks, norm = getattr(decoder, "layers", None), getattr(decoder, "norm", None)
    if blocks is None or norm is None:
        return None
    n = len(blocks)
    return {0: model.get_input_embeddings(), **{i: blocks[i - 1] for i in range(1, n)}, n: norm}


def _hooked_states(model: Any, idx: Sequence[int], kwargs: dict[str, Any]) -> dict[int, torch.Tensor] | None:
    """Run the forward once and keep only the entries ``idx`` (forward hooks), or None when the layout is
    unknown. A 70B model has 81 entries; output_hidden_states would hold all of them per batch."""
    modules = _entry_modules(model)
    if modules is None:
        return None
    kept: dict[int, torch.Tensor] = {}
    handles = []
    for j in dict.fromkeys(idx):
        def keep(_module: Any, _args: Any, output: Any, j: int = j) -> None:
            kept[j] = (output[0] if isinstance(output, tuple) else output).detach()
        handles.append(modules[j].register_forward_hook(keep))
    try:
        model(**kwargs)
    finally:
        for h in handles:
            h.remove()
    return kept


"""A preallocated key/value cache for the sampling loop (serves :mod:`predact_utils.lm.sampling`).

``transformers``' default ``DynamicCache`` grows with ``torch.cat`` at every
decoding step, copying the whole cache each time (for 100 rows x 150 tokens x
6 layers that is ~180 MB of copies per token); its ``StaticCache`` avoids the
copies but attends over the full preallocated length at every step. This
cache writes each step into a preallocated buffer and hands the attention a
view of the filled part only. It plugs into any model whose cache layers are
plain full-attention ``DynamicLayer``s (Llama, Mistral without sliding window,
Qwen2, OLMo, GPT-NeoX, ...), because it subclasses them.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch
from transformers.cache_utils import DynamicCache, DynamicLayer

from predact_utils.lm.modelconfig import decoder_config


class SlotLayer(DynamicLayer):
    """One layer's keys/values in a preallocated ``[batch, heads, max_len, head_dim]`` buffer."""

    def __init__(self, batch_size: int, max_len: int) -> None:
        super().__init__()
        self.batch_size = batch_size
        self.max_len = max_len
        self.length = 0
        self.kbuf: torch.Tensor | None = None
        self.vbuf: torch.Tensor | None = None

    def _allocate(self, k: torch.Tensor, v: torch.Tensor) -> None:
        self.device = k.device
        self.kbuf = torch.zeros(self.batch_size, k.shape[1], self.max_len, k.shape[3], dtype=k.dtype, device=k.device)
        self.vbuf = torch.zeros(self.batch_size, v.shape[1], self.max_len, v.shape[3], dtype=v.dtype, device=v.device)
        self.is_initialized = True
        self._refresh()

    def _refresh(self) -> None:
        self.keys = self.kbuf[:, :, : self.length]
        self.values = self.vbuf[:, :, : self.length]

    def lazy_initialization(self, key_states: torch.Tensor, value_states: torch.Tensor) -> None:
        self._allocate(key_states, value_states)

    def update(self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any):
        """Write the new states at the current length and return views of the filled cache."""
        if not self.is_initialized:
            self._allocate(key_states, value_states)
        n = key_states.shape[-2]
        if self.length + n > self.max_len:
            raise RuntimeError(f"SlotLayer full: {self.length}+{n} > max_len={self.max_len}")
        self.kbuf[:, :, self.length : self.length + n] = key_states
        self.vbuf[:, :, self.length : self.length + n] = value_states
        self.length += n
        self._refresh()
        return self.keys, self.values

    def write_rows(self, rows: Sequence[int], keys: torch.Tensor, values: torch.Tensor, start: int) -> None:
        """Broadcast a pre-filled prompt's states ``[1, H, L, D]`` into ``rows`` at slots ``start:start+L``."""
        if not self.is_initialized:
            self._allocate(keys, values)
        idx = torch.as_tensor(list(rows), device=self.kbuf.device)
        L = keys.shape[-2]
        self.kbuf[idx, :, start : start + L] = keys.to(self.kbuf.device)
        self.vbuf[idx, :, start : start + L] = values.to(self.vbuf.device)

    def select_rows(self, idx: torch.Tensor) -> None:
        """Keep only the rows ``idx`` (finished generations leave the batch)."""
        self.kbuf = self.kbuf.index_select(0, idx.to(self.kbuf.device))
        self.vbuf = self.vbuf.index_select(0, idx.to(self.vbuf.device))
        self.batch_size = self.kbuf.shape[0]
        self._refresh()

    def get_seq_length(self) -> int:
        return self.length

    def get_max_length(self) -> int:
        return -1


class SlotCache(DynamicCache):
    """A cache of :class:`SlotLayer` s for ``batch_size`` rows and ``max_len`` positions."""

    @staticmethod
    def unsupported_layers(config: Any) -> list[str]:
        """The cache layer kinds of ``config``'s model that this cache cannot serve (empty: it serves them all)."""
        probe = DynamicCache(config=config)
        return sorted({type(layer).__name__ for layer in probe.layers if type(layer) is not DynamicLayer})

    def __init__(self, config: Any, batch_size: int, max_len: int) -> None:
        probe = DynamicCache(config=config)
        if probe.layers and any(type(layer) is not DynamicLayer for layer in probe.layers):
            kinds = sorted({type(layer).__name__ for layer in probe.layers})
            raise NotImplementedError(
                f"the fast sampler supports full-attention caches only; this model uses {kinds}. "
                "Sample with model.generate() for sliding-window or linear-attention models."
            )
        n_layers = len(probe.layers) or decoder_config(config).num_hidden_layers
        super().__init__()
        self.layers = [SlotLayer(batch_size, max_len) for _ in range(n_layers)]
        self.layer_class_to_replicate = None

    @staticmethod
    def prefill_cache(config: Any) -> DynamicCache:
        """An ordinary cache to pre-fill one prompt with, before :meth:`write_prompt`."""
        return DynamicCache(config=config)

    def write_prompt(self, prefilled: DynamicCache, rows: Sequence[int], start: int) -> None:
        """Copy a pre-filled prompt's cache into ``rows``, right-aligned so that it ends at ``start + L``."""
        if len(prefilled.layers) != len(self.layers):
            raise RuntimeError(f"pre-filled cache has {len(prefilled.layers)} layers, expected {len(self.layers)}")
        for mine, pre in zip(self.layers, prefilled.layers, strict=True):
            mine.write_rows(rows, pre.keys, pre.values, start)

    def set_length(self, length: int) -> None:
        """Declare the first ``length`` slots filled (after writing prompts)."""
        for layer in self.layers:
            layer.length = length
            layer._refresh()

    def select_rows(self, idx: torch.Tensor) -> None:
        """Keep only the rows ``idx`` in every layer."""
        for layer in self.layers:
            layer.select_rows(idx)

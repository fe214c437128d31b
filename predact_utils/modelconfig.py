"""The decoder's configuration of any causal LM (scoring windows, hidden states, sampling batches)."""

from __future__ import annotations

from typing import Any


def text_config(model: Any) -> Any:
    """The text decoder's config (multimodal configs nest it; plain ones are it)."""
    cfg = model.config
    return cfg.get_text_config(decoder=True) if hasattr(cfg, "get_text_config") else cfg

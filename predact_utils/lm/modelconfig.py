"""The decoder's configuration of any causal LM (scoring windows, hidden states, sampling batches)."""

from __future__ import annotations

from typing import Any


def decoder_config(config: Any) -> Any:
    """The text decoder's part of a model config (multimodal configs nest it; plain ones are it)."""
    return config.get_text_config(decoder=True) if hasattr(config, "get_text_config") else config


def text_config(model: Any) -> Any:
    """The text decoder's config of ``model`` (see :func:`decoder_config`)."""
    return decoder_config(model.config)

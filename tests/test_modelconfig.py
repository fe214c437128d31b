"""The decoder config lookup shared by scoring, hidden states, sampling and the frontier's mixture."""

from __future__ import annotations

from types import SimpleNamespace

from transformers import LlamaConfig, LlavaConfig

from predact_utils.lm.kvcache import SlotCache
from predact_utils.lm.modelconfig import decoder_config, text_config


def _llama(layers: int) -> LlamaConfig:
    return LlamaConfig(vocab_size=32, hidden_size=16, intermediate_size=32, num_hidden_layers=layers,
                       num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=64)


def test_plain_config_is_its_own_decoder_config() -> None:
    cfg = _llama(3)
    assert decoder_config(cfg) is cfg
    assert text_config(SimpleNamespace(config=cfg)) is cfg


def test_nested_text_config_is_found() -> None:
    cfg = LlavaConfig(text_config=_llama(5).to_dict())
    assert decoder_config(cfg).num_hidden_layers == 5
    assert text_config(SimpleNamespace(config=cfg)).num_hidden_layers == 5


def test_slot_cache_has_one_layer_per_decoder_layer() -> None:
    assert len(SlotCache(_llama(4), batch_size=2, max_len=8).layers) == 4
    assert len(SlotCache(LlavaConfig(text_config=_llama(3).to_dict()), batch_size=2, max_len=8).layers) == 3

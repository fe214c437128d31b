"""Accelerator memory sizing with stated figures (no GPU needed): cache bytes per token, rows and tokens
per batch, the weight share per GPU, the half precision."""

from __future__ import annotations

import pytest
import torch
from transformers import LlamaConfig, MistralConfig

from predact_utils.lm import memory

#: Llama-2-7B's shape (its published config) and Llama-2-70B's (grouped-query attention, 8 key/value heads).
LLAMA2_7B = LlamaConfig(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                        num_key_value_heads=32, vocab_size=32000)
LLAMA2_70B = LlamaConfig(hidden_size=8192, intermediate_size=28672, num_hidden_layers=80, num_attention_heads=64,
                         num_key_value_heads=8, vocab_size=32000)
GIB = 2**30


def test_cache_bytes_per_token_of_known_shapes() -> None:
    assert memory.kv_bytes_per_token(LLAMA2_7B, 2) == 2 * 32 * 32 * 128 * 2 == 512 * 1024  # half a MiB
    assert memory.kv_bytes_per_token(LLAMA2_70B, 2) == 2 * 80 * 8 * 128 * 2  # 320 KiB: fewer key/value heads
    mistral = MistralConfig(hidden_size=4096, num_hidden_layers=32, num_attention_heads=32, num_key_value_heads=8,
                            head_dim=128)
    assert memory.kv_bytes_per_token(mistral, 2) == 2 * 32 * 8 * 128 * 2


def test_rows_come_from_the_free_memory() -> None:
    # a 40 GB GPU holding a 7B pair (2 x 13.5 GB) has about 13 GB free; 300-token rows take 150 MiB each
    per_row = 512 * 1024 * 300 + 32000 * 4
    assert memory.rows_that_fit(13 * 10**9, LLAMA2_7B, 2, 300) == int(0.5 * 13 * 10**9 // per_row) == 41
    assert memory.rows_that_fit(80 * GIB, LLAMA2_7B, 2, 300) == 272  # an empty 80 GB GPU
    assert memory.rows_that_fit(200 * GIB, LLAMA2_7B, 2, 300) == 512  # capped
    assert memory.rows_that_fit(10**6, LLAMA2_7B, 2, 300) == 1  # never zero rows
    with pytest.raises(ValueError, match="must be positive"):
        memory.rows_that_fit(0, LLAMA2_7B, 2, 300)


def test_scoring_tokens_come_from_the_free_memory() -> None:
    per_token = 2 * 32000 * 4 + 4 * 4096 * 4
    assert memory.tokens_that_fit(10 * GIB, LLAMA2_7B) == int(0.5 * 10 * GIB // per_token) == 16_697
    assert memory.tokens_that_fit(10**8, LLAMA2_7B) == 4096  # never below the CPU's batch
    assert memory.tokens_that_fit(10**12, LLAMA2_7B) == 1 << 16


def test_weights_leave_headroom_on_every_gpu_and_the_half_precision_follows_the_gpu() -> None:
    assert memory.max_memory({0: 80 * GIB, 1: 40 * GIB}) == {0: f"{int(0.8 * 80 * GIB)}B", 1: f"{int(0.8 * 40 * GIB)}B"}
    assert memory.half_dtype(True) is torch.bfloat16 and memory.half_dtype(False) is torch.float16
    assert memory.weight_bytes(6_738_415_616, 2) / 10**9 == pytest.approx(13.48, abs=0.01)


def test_free_bytes_is_none_on_the_cpu() -> None:
    assert memory.free_bytes(torch.device("cpu")) is None

"""Shapes and training budgets of the miniature family (miniature family section).

Two Llama-architecture sizes mirror the paper's 7B / 70B pair at a tiny scale: ``s`` (about 0.62M
parameters) and ``m`` (about 6.8M). Budgets are in tokens and follow one rule, fixed before training:
the medium Base gets the most pre-training two CPU cores give in under two hours (12M tokens, 1.75
tokens per parameter: the compute-optimal ~20 tokens per parameter would be 137M tokens, about a day);
the small Base is sized so that ~20 tokens per parameter (12.5M tokens) costs a fraction of that. An
earlier small size (4 layers x 128, 1.9M parameters, 16M tokens: 8.6 tokens per parameter) was a better
world model than the medium one on every corpus, so the family did not scale; the size changed, not
the medium model's training. ``tiny`` exists for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from transformers import LlamaConfig


@dataclass(frozen=True)
class Shape:
    """A Llama shape: layers, width, heads, MLP width."""

    layers: int
    hidden: int
    heads: int
    intermediate: int


SHAPES: dict[str, Shape] = {
    "tiny": Shape(layers=2, hidden=32, heads=2, intermediate=64),
    "s": Shape(layers=2, hidden=64, heads=2, intermediate=176),
    "m": Shape(layers=6, hidden=256, heads=4, intermediate=688),
}


@dataclass(frozen=True)
class PretrainBudget:
    """How long a Base LM trains: tokens, block length, batch, peak learning rate."""

    tokens: int
    block: int = 512
    batch: int = 8
    lr: float = 2e-3
    warmup_frac: float = 0.03
    weight_decay: float = 0.1

    @property
    def steps(self) -> int:
        """Optimizer steps needed to see ``tokens`` tokens."""
        return max(1, self.tokens // (self.block * self.batch))


BUDGETS: dict[str, PretrainBudget] = {
    "tiny": PretrainBudget(tokens=4 * 64 * 4, block=64, batch=4, lr=3e-3),
    "s": PretrainBudget(tokens=12_500_000, lr=3e-3),
    "m": PretrainBudget(tokens=12_000_000, lr=2e-3),
}


def llama_config(size: str, vocab_size: int, eos_id: int, pad_id: int, max_positions: int = 1024) -> LlamaConfig:
    """The ``LlamaConfig`` of a size, tied embeddings, no dropout."""
    if size not in SHAPES:
        raise ValueError(f"unknown miniature size {size!r}; choose one of {sorted(SHAPES)}")
    s = SHAPES[size]
    return LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=s.hidden,
        intermediate_size=s.intermediate,
        num_hidden_layers=s.layers,
        num_attention_heads=s.heads,
        num_key_value_heads=s.heads,
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=eos_id,
        eos_token_id=eos_id,
        pad_token_id=pad_id,
        rms_norm_eps=1e-5,
        rope_theta=10000.0,
        attention_dropout=0.0,
    )

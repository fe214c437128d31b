"""Every architecture family of the registry samples and scores through the book's engine: tiny random
models built from configs (Llama, Mistral with a sliding window, OLMo), the fast sampler where it can serve
the cache and the fallback loop, with the same per-sample seeds, where it cannot."""

from __future__ import annotations

import warnings

import pytest
import torch
from transformers import AutoModelForCausalLM, LlamaConfig, MistralConfig, OlmoConfig

from predact_utils.lm import sampling
from predact_utils.lm.kvcache import SlotCache
from predact_utils.lm.sampling import SamplingParams, sample_ids
from predact_utils.lm.scoring import token_logprobs

SHAPE = dict(vocab_size=97, hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=4,
             num_key_value_heads=2, max_position_embeddings=256, bos_token_id=1, eos_token_id=2, pad_token_id=0)
CONFIGS = {
    "llama": lambda: LlamaConfig(**SHAPE),
    "mistral-sliding": lambda: MistralConfig(**SHAPE, sliding_window=8),
    "olmo": lambda: OlmoConfig(**SHAPE),
}
PROMPTS = [[1, 5, 6, 7], [1, 9, 10, 11, 12, 13], [1, 3]]
PARAMS = SamplingParams(top_p=0.9, n=3, max_new_tokens=20, seed=7)


def tiny(kind: str) -> torch.nn.Module:
    torch.manual_seed(0)
    return AutoModelForCausalLM.from_config(CONFIGS[kind]()).eval()


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_each_family_samples_deterministically_and_scores(kind: str) -> None:
    model = tiny(kind)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        a = sample_ids(model, PROMPTS, PARAMS, [2], progress=False)
        b = sample_ids(model, PROMPTS[::-1], PARAMS, [2], batch_size=2, progress=False)[::-1]
    assert a == b  # a sample depends on its seed, prompt and index only
    assert all(len(ids) <= PARAMS.max_new_tokens for per in a for ids, _ in per)
    seqs = [p + a[i][0][0] for i, p in enumerate(PROMPTS)]
    scores = token_logprobs(model, seqs, window=16, stride=8, progress=False)
    assert all(s.n_scored == len(q) - 1 for s, q in zip(scores, seqs, strict=True))


def test_only_the_sliding_window_model_needs_the_fallback() -> None:
    assert SlotCache.unsupported_layers(CONFIGS["llama"]()) == []
    assert SlotCache.unsupported_layers(CONFIGS["olmo"]()) == []
    assert SlotCache.unsupported_layers(CONFIGS["mistral-sliding"]()) == ["DynamicSlidingWindowLayer"]


def test_the_fallback_draws_the_same_samples_as_the_fast_sampler() -> None:
    model = tiny("llama")
    fast = sample_ids(model, PROMPTS, PARAMS, [2], progress=False, fallback=False)
    with pytest.warns(UserWarning, match="sampling with the model's own cache"):
        slow = sample_ids(model, PROMPTS, PARAMS, [2], progress=False, fallback=True)
    assert slow == fast


def test_the_fallback_is_said_once_per_model_class(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sampling, "FALLBACKS", {})
    model = tiny("mistral-sliding")
    with pytest.warns(UserWarning, match="DynamicSlidingWindowLayer"):
        first = sample_ids(model, PROMPTS, PARAMS, [2], progress=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a second warning would fail here
        again = sample_ids(model, PROMPTS, PARAMS, [2], progress=False)
    assert first == again and list(sampling.FALLBACKS) == ["MistralForCausalLM"]
    with pytest.raises(NotImplementedError, match="full-attention caches only"):
        sample_ids(model, PROMPTS, PARAMS, [2], progress=False, fallback=False)


@pytest.mark.parametrize("kind", sorted(CONFIGS))
def test_hooked_hidden_states_are_output_hidden_states(kind: str) -> None:
    """The requested entries read by forward hooks equal the same entries of output_hidden_states."""
    from predact_utils.lm.hidden import hidden_states

    model = tiny(kind)
    seqs = [[1, 5, 6, 7, 8], [1, 9, 10]]
    got = hidden_states(model, seqs, [0, 1, -1], progress=False)
    for s, h in zip(seqs, got, strict=True):
        with torch.inference_mode():
            ref = model(input_ids=torch.tensor([s]), output_hidden_states=True).hidden_states
        want = torch.stack([ref[0][0], ref[1][0], ref[-1][0]], dim=1).to(torch.float16).numpy()
        assert h.shape == want.shape
        assert abs(h.astype("float32") - want.astype("float32")).max() < 1e-2

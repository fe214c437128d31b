"""Nucleus sampling: known distributions, greedy agreement with generate(), determinism, stopping."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from predact_utils.chapters.setup.zipf import nucleus_size, zipf_probs
from predact_utils.lm import nucleuskernel
from predact_utils.lm.sampling import (
    SamplingParams,
    _nucleus_by_sorting,
    generate,
    nucleus_sample,
    sample_ids,
)

PROMPTS = [[1, 57, 74, 281, 262, 274, 263], [1, 54, 259, 223, 83, 87, 75, 69, 77, 291, 84], [5, 6, 7]]


@pytest.fixture(params=["compiled", "sorting"])
def draw_path(request, monkeypatch):
    """Run a test with the CPU kernel of nucleuskernel and again with the sorting version."""
    from predact_utils.lm import sampling
    if request.param == "compiled" and not nucleuskernel.AVAILABLE:
        pytest.skip("numba is not installed")
    monkeypatch.setattr(sampling, "_COMPILED", request.param == "compiled")
    return request.param


def _reference_draw(probs: np.ndarray, u: float, top_p: float) -> int:
    """The nucleus rule in float64 with a full sort: the token the sampler should draw at ``u``."""
    p = probs.astype(np.float64)
    desc = np.sort(p)[::-1]
    k = int(np.searchsorted(np.cumsum(desc), top_p, side="left")) if top_p < 1.0 else p.size - 1
    keep = p >= desc[min(k, p.size - 1)]
    cdf = np.cumsum(np.where(keep, p, 0.0))
    return int(np.searchsorted(cdf, u * cdf[-1], side="right"))


def test_the_kernel_draws_what_the_rule_says_on_many_distributions():
    g = torch.Generator().manual_seed(0)
    rows = []
    for scale in (0.3, 1.0, 3.0, 8.0):
        rows.append(torch.randn(300, 1000, generator=g) * scale)
        rows.append(torch.round(torch.randn(100, 1000, generator=g) * scale * 2) / 2)  # exact ties
    masked = torch.randn(100, 1000, generator=g) * 2
    masked[:, ::3] = float("-inf")  # tokens a logits processor removed
    logits = torch.cat([*rows, masked])
    u = torch.rand(logits.shape[0], generator=g)
    probs = torch.softmax(logits, -1).numpy()
    for top_p in (0.3, 0.9, 0.99, 1.0):
        got = nucleuskernel.draw(probs, u.numpy(), top_p, workers=2)
        want = [_reference_draw(probs[i], float(u[i]), top_p) for i in range(len(u))]
        assert got.tolist() == want
        # the sorting version sums in float32: it may differ only where a boundary falls within rounding
        by_sorting = _nucleus_by_sorting(torch.from_numpy(probs.copy()), u, top_p).numpy()
        assert (by_sorting != got).mean() < 0.002


def test_the_kernel_stays_in_the_vocabulary_on_rows_that_are_not_distributions():
    # a row of -0.0 and a row of NaN with the sign bit set (what -inf - -inf gives on x86): their float bits
    # are negative as integers, yet the token drawn is still a vocabulary index
    bad = np.array([[-0.0] * 8, [np.float32(np.nan)] * 8], dtype=np.float32)
    bad[1] = np.frombuffer(np.full(8, 0xFFC00000, dtype=np.uint32).tobytes(), dtype=np.float32)
    got = nucleuskernel.draw(bad, np.array([0.5, 0.5]), 0.9)
    assert ((got >= 0) & (got < 8)).all()


def test_nucleus_on_a_hand_made_distribution(draw_path):
    logits = torch.log(torch.tensor([[0.15, 0.5, 0.05, 0.3]]))
    pick = lambda u, p=0.9: int(nucleus_sample(logits, torch.tensor([u]), p)[0])  # noqa: E731
    # nucleus at p = 0.9: {1, 3, 0} (mass 0.95), inverse CDF in vocabulary order 0, 1, 3
    assert [pick(u) for u in (0.0, 0.15, 0.16, 0.68, 0.69, 0.999)] == [0, 0, 1, 1, 3, 3]
    assert {pick(u, 0.5) for u in np.linspace(0, 0.999, 50)} == {1}  # the top token alone reaches 0.5
    assert int(nucleus_sample(logits, torch.tensor([0.3]), 0.9, temperature=0)[0]) == 1
    u = torch.rand(40000, generator=torch.Generator().manual_seed(0))
    freq = np.bincount(nucleus_sample(logits.expand(40000, -1), u, 0.9).numpy(), minlength=4) / 40000
    np.testing.assert_allclose(freq, [0.15 / 0.95, 0.5 / 0.95, 0.0, 0.3 / 0.95], atol=0.01)


def test_nucleus_size_matches_reference_on_zipf(draw_path):
    probs = torch.tensor(zipf_probs(500, 1.1), dtype=torch.float32)
    perm = torch.randperm(500, generator=torch.Generator().manual_seed(0))
    logits = torch.log(probs[perm])[None].expand(20000, -1)
    u = torch.linspace(0, 0.99999, 20000)
    drawn = set(nucleus_sample(logits, u, 0.9).tolist())
    assert len(drawn) == nucleus_size(probs.numpy(), 0.9)
    assert drawn == set(perm.argsort()[: len(drawn)].tolist())  # exactly the most probable tokens


def test_greedy_matches_model_generate(tiny_model):
    out = sample_ids(tiny_model, PROMPTS, SamplingParams(n=1, max_new_tokens=12, temperature=0), [0], progress=False)
    for prompt, ((ids, reason),) in zip(PROMPTS, out, strict=True):
        ref = tiny_model.generate(torch.tensor([prompt]), max_new_tokens=12, do_sample=False, eos_token_id=0,
                                  pad_token_id=0)[0, len(prompt):].tolist()
        if 0 in ref:
            ref = ref[: ref.index(0)]
        assert ids == ref
        assert reason == ("eos" if len(ids) < 12 else "length")


def test_same_seed_same_samples_independent_of_batching(tiny_model):
    params = SamplingParams(n=6, max_new_tokens=16, seed=3)
    a = sample_ids(tiny_model, PROMPTS, params, [0], batch_size=128, progress=False)
    b = sample_ids(tiny_model, PROMPTS, params, [0], batch_size=5, progress=False)
    alone = sample_ids(tiny_model, PROMPTS[1:2], params, [0], batch_size=4, progress=False)
    assert a == b
    assert a[1] == alone[0]
    c = sample_ids(tiny_model, PROMPTS, SamplingParams(n=6, max_new_tokens=16, seed=4), [0], progress=False)
    assert [ids for ids, _ in a[0]] != [ids for ids, _ in c[0]]
    assert len({tuple(ids) for ids, _ in a[0]}) > 1  # samples of one prompt differ from each other


def test_stops_at_eos_with_reasons(tiny_model, tiny_tokenizer):
    eos = tiny_tokenizer.eos_token_id
    prompt_len = len(PROMPTS[0])

    def force_eos(module, args, kwargs, output):  # eos becomes certain at the 5th new token
        pos = kwargs.get("position_ids")
        if pos is not None:
            hit = (pos[:, -1] == prompt_len + 3).to(output.logits.device)
            output.logits[hit, -1, eos] = 1e4
        return output

    handle = tiny_model.register_forward_hook(force_eos, with_kwargs=True)
    try:
        gens = generate(tiny_model, tiny_tokenizer, PROMPTS[:1], SamplingParams(n=4, max_new_tokens=9, seed=1),
                        progress=False)
    finally:
        handle.remove()
    forced = [g for g in gens[0] if len(g.token_ids) >= 4]  # others sampled eos by themselves, earlier
    assert forced
    for g in forced:
        assert g.stop_reason == "eos" and len(g.token_ids) == 4
        assert g.text == tiny_tokenizer.decode(g.token_ids, skip_special_tokens=True)
    long = generate(tiny_model, tiny_tokenizer, PROMPTS[2:], SamplingParams(n=3, max_new_tokens=2, seed=0),
                    progress=False)
    assert all(g.stop_reason == "length" and len(g.token_ids) == 2 for g in long[0] if g.stop_reason != "eos")
    assert any(g.stop_reason == "length" for g in long[0])


def test_parameter_validation():
    with pytest.raises(ValueError):
        SamplingParams(top_p=0)
    with pytest.raises(ValueError):
        SamplingParams(n=0)
    with pytest.raises(ValueError, match="stop_token_ids"):
        sample_ids(None, [[1]], SamplingParams(), [])


def test_auto_batch_size_from_the_key_value_memory(tiny_model, monkeypatch):
    """On CPU the default batch holds as many rows as fit the key/value budget: 2 (keys and values)
    x layers x key/value heads x head size x bytes per value x positions per row, worked out by hand."""
    from predact_utils.lm import sampling
    cfg = tiny_model.config
    heads = getattr(cfg, "num_key_value_heads", None) or cfg.num_attention_heads
    head_dim = getattr(cfg, "head_dim", None) or cfg.hidden_size // cfg.num_attention_heads
    per_row = 2 * cfg.num_hidden_layers * heads * head_dim * 4 * 100  # float32, 100 positions
    monkeypatch.setattr(sampling, "CPU_CACHE_BYTES", 7.5 * per_row)
    assert sampling.auto_batch_size(tiny_model, 100) == 7
    monkeypatch.setattr(sampling, "CPU_CACHE_BYTES", 0.5 * per_row)
    assert sampling.auto_batch_size(tiny_model, 100) == 1  # never zero rows
    monkeypatch.setattr(sampling, "CPU_CACHE_BYTES", 1e15)
    assert sampling.auto_batch_size(tiny_model, 100, cap=300) == 300
    params = SamplingParams(top_p=0.9, max_new_tokens=6, n=3, seed=2)
    assert sample_ids(tiny_model, PROMPTS, params, [0], progress=False) == \
        sample_ids(tiny_model, PROMPTS, params, [0], batch_size=2, progress=False)
    with pytest.raises(ValueError, match="batch_size"):
        sample_ids(tiny_model, PROMPTS, params, [0], batch_size=0, progress=False)

"""Loading pairs offline, tokenizer checks, and a tiny pair going through sampling and scoring."""

from __future__ import annotations

import shutil
import socket

import pytest
import torch
from conftest import make_tokenizer, save_checkpoint

from predact_utils.lm import models
from predact_utils.lm.chat import ChatTemplateError, encode_prompt, format_prompt
from predact_utils.lm.models import ModelNotAvailableError, TokenizerMismatchError, load_pair
from predact_utils.lm.registry import PairSpec
from predact_utils.lm.sampling import SamplingParams
from predact_utils.lm.scoring import perplexity
from predact_utils.runs.artifacts import cached_generations, cached_token_logprobs
from predact_utils.runs.cache import ArtifactCache


@pytest.fixture()
def no_network(monkeypatch):
    """Any attempt to open a connection fails the test."""

    def refuse(*args, **kwargs):
        raise AssertionError(f"network access attempted: {args[:2]}")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


def test_unknown_hub_id_fails_without_network(isolated_paths, no_network):
    (isolated_paths / "models" / "mini-s-base").mkdir()
    (isolated_paths / "models" / "mini-s-sft").mkdir()
    with pytest.raises(ModelNotAvailableError) as err:
        load_pair("llama2-7b-chat")
    msg = str(err.value)
    assert "meta-llama/Llama-2-7b-hf" in msg and "mini-s-sft" in msg  # the local pairs are listed
    assert "load_pair('/path/to/base,/path/to/aligned')" in msg and "PREDACT_ALLOW_DOWNLOAD=1" in msg
    for name in ("mini-s-base", "mini-s-sft"):
        (isolated_paths / "models" / name).rmdir()
    with pytest.raises(ModelNotAvailableError, match="none yet"):
        models.load_model("someone/unknown-model")


def test_hub_id_in_local_cache_loads_offline(tiny_pair_dir, isolated_paths, no_network):
    repo = isolated_paths / "hub" / "models--someone--tiny"
    snap = repo / "snapshots" / "0123abcd"
    shutil.copytree(tiny_pair_dir / "tiny-base", snap)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text("0123abcd")
    lm = models.load_model("someone/tiny", dtype="fp32")
    assert lm.fingerprint == "rev:0123abcd" and lm.cache_id == "someone/tiny@rev:0123abcd|fp32"


def test_same_weights_share_a_cache_id_wherever_they_are_loaded_from(tiny_pair_dir, tmp_path, no_network):
    """Cache keys follow the content: a copy of a checkpoint under another name and path hits the same entries."""
    copy = tmp_path / "elsewhere" / "renamed-base"
    shutil.copytree(tiny_pair_dir / "tiny-base", copy)
    a, b = models.load_model(str(tiny_pair_dir / "tiny-base")), models.load_model(str(copy))
    assert a.name != b.name and a.cache_id == b.cache_id == f"{a.fingerprint}|{a.dtype}"
    assert models.load_model(str(tiny_pair_dir / "tiny-rlhf")).cache_id != a.cache_id


def test_load_pair_from_folders(tiny_pair_dir, isolated_paths, no_network):
    pair = load_pair(f"{tiny_pair_dir / 'tiny-base'},{tiny_pair_dir / 'tiny-rlhf'}")
    assert pair.base.role == "base" and pair.aligned.role == "aligned"
    assert pair.base.model.dtype == models.default_dtype() and not pair.base.model.training
    assert pair.base.fingerprint.startswith("sha256:") and pair.base.fingerprint != pair.aligned.fingerprint
    again = models.load_model(str(tiny_pair_dir / "tiny-base"))
    assert again.fingerprint == pair.base.fingerprint
    assert pair.by_role("aligned") is pair.aligned


def test_registry_pair_with_builtin_template(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("PREDACT_MODELS", str(tmp_path))
    tok = make_tokenizer(chat_template=None)
    save_checkpoint(tmp_path / "b", tokenizer=tok, chat_template=None)
    save_checkpoint(tmp_path / "a", seed=1, tokenizer=tok, chat_template=None)
    spec = PairSpec("t", "b", "a", local=True, template_text="{{ messages[0]['content'] }}<|assistant|>")
    pair = load_pair(spec)
    assert format_prompt(pair.aligned.tokenizer, "hi", "aligned") == "hi<|assistant|>"
    with pytest.raises(ChatTemplateError):
        format_prompt(pair.base.tokenizer, "hi", "aligned")


def test_tokenizer_mismatch_is_explained(tiny_tokenizer):
    other = make_tokenizer(vocab_size=280)
    with pytest.raises(TokenizerMismatchError, match="vocab sizes 300 vs 280"):
        models.check_same_tokenizer(tiny_tokenizer, other)
    models.check_same_tokenizer(tiny_tokenizer, make_tokenizer())


def test_tiny_pair_like_a_real_pair(tiny_pair_dir, isolated_paths, no_network, monkeypatch):
    pair = load_pair(f"{tiny_pair_dir / 'tiny-base'},{tiny_pair_dir / 'tiny-rlhf'}")
    prompt = "What are the main differences between Python and JavaScript?"
    assert format_prompt(pair.base.tokenizer, prompt, "base") == prompt
    assert format_prompt(pair.aligned.tokenizer, prompt, "aligned") == f"<|user|>{prompt}\n<|assistant|>"
    params = SamplingParams(n=4, max_new_tokens=10, seed=0)
    cache = ArtifactCache(isolated_paths / "cache")
    gens = {lm.role: cached_generations(lm, [prompt, "The quick brown fox"], params, cache=cache, progress=False)
            for lm in pair}
    assert [len(g) for g in gens["aligned"]] == [4, 4]
    assert gens["aligned"][1][0].prompt_index == 1
    # cross-model perplexity: each model scores each model's generations after that model's prompt
    for scorer in pair:
        for author in pair:
            p_ids = encode_prompt(scorer.tokenizer, prompt, author.role)
            seqs = [p_ids + g.token_ids for g in gens[author.role][0] if g.token_ids]
            scores = cached_token_logprobs(scorer, seqs, score_from=len(p_ids), cache=cache, progress=False)
            assert all(s.n_scored == len(s.token_ids) - len(p_ids) for s in scores)
            assert 1.0 < perplexity(scores) < float("inf")
    # a second notebook asking for the same generations reads them from the cache
    monkeypatch.setattr("predact_utils.runs.artifacts.generate", lambda *a, **k: pytest.fail("recomputed"))
    assert cached_generations(pair.aligned, [prompt, "The quick brown fox"], params, cache=cache,
                              progress=False) == gens["aligned"]


def test_folder_that_is_not_a_checkpoint_is_explained(tmp_path, isolated_paths, no_network):
    (tmp_path / "not-a-model").mkdir()
    (tmp_path / "not-a-model" / "weights.bin").write_bytes(b"x")
    with pytest.raises(ModelNotAvailableError, match="not a Hugging Face checkpoint \\(it has no config.json\\)"):
        models.load_model(str(tmp_path / "not-a-model"))


def test_compute_dtype_follows_the_hardware_unless_overridden(monkeypatch):
    """``auto``: bf16 on a CPU with AMX (or a GPU), float32 on other CPUs; ``$PREDACT_DTYPE`` and the argument win."""
    monkeypatch.delenv("PREDACT_DTYPE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setattr(models, "cpu_has_fast_bf16", lambda: True)
    assert models.default_dtype() == torch.bfloat16
    monkeypatch.setattr(models, "cpu_has_fast_bf16", lambda: False)
    assert models.default_dtype() == models.default_dtype("auto") == torch.float32
    monkeypatch.setenv("PREDACT_DTYPE", "bf16")
    assert models.default_dtype() == torch.bfloat16
    assert models.default_dtype("fp32") == torch.float32  # the argument beats the environment
    monkeypatch.setenv("PREDACT_DTYPE", "float64")
    with pytest.raises(ValueError, match=r"PREDACT_DTYPE.*'auto'"):
        models.default_dtype()
    with pytest.raises(ValueError, match="unknown dtype 'half'"):
        models.default_dtype("half")


def test_results_of_different_dtypes_get_different_cache_ids(tiny_pair_dir, no_network):
    a = models.load_model(str(tiny_pair_dir / "tiny-base"), dtype="fp32")
    b = models.load_model(str(tiny_pair_dir / "tiny-base"), dtype="bf16")
    assert (a.dtype, b.dtype) == ("fp32", "bf16") and b.model.dtype == torch.bfloat16
    assert a.fingerprint == b.fingerprint and a.cache_id != b.cache_id


def test_bf16_scores_agree_with_float32(tiny_pair_dir, tmp_path, no_network):
    """The same checkpoint in bf16 gives nearly the same perplexity (bf16 keeps 8 bits of mantissa)."""
    docs = [[0] + list(range(5, 60)), [0] + list(range(60, 130))]
    ppl = {d: perplexity(cached_token_logprobs(models.load_model(str(tiny_pair_dir / "tiny-base"), dtype=d), docs,
                                               cache=ArtifactCache(tmp_path), progress=False)) for d in ("fp32", "bf16")}
    assert ppl["bf16"] == pytest.approx(ppl["fp32"], rel=0.02) and ppl["bf16"] != ppl["fp32"]

"""Shared helpers of the benchmarks: the medium model, timers, and the machine's matmul FLOP/s.

Benchmarks run on ``data/models/mini-m-base`` when it exists (``make miniature``), else on a randomly
initialised Llama of the same shape (6 layers, d = 256, vocab 8192) saved to a temporary folder, so
they can run before the miniature family is trained. Random weights give nearly flat next-token
distributions: the worst case for nucleus sampling (the nucleus holds ~90% of the vocabulary).
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from predact_utils import paths
from predact_utils.lm.allocator import keep_allocations

MEDIUM = {"vocab_size": 8192, "hidden_size": 256, "intermediate_size": 768, "num_hidden_layers": 6,
          "num_attention_heads": 4, "num_key_value_heads": 4, "max_position_embeddings": 1024}


def set_threads() -> int:
    """Use ``$BENCH_THREADS`` (default 2) torch threads, as the book's CPU machine has 2 cores, and the
    allocator setting that :func:`predact_utils.lm.models.load_model` makes (:mod:`predact_utils.lm.allocator`),
    so that both sides of a comparison run under the book's conditions."""
    n = int(os.environ.get("BENCH_THREADS", "2"))
    torch.set_num_threads(n)
    keep_allocations()
    return n


def _random_medium(folder: Path) -> Path:
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    torch.manual_seed(0)
    cfg = LlamaConfig(**MEDIUM, tie_word_embeddings=True, eos_token_id=0, pad_token_id=0, bos_token_id=0)
    LlamaForCausalLM(cfg).save_pretrained(folder)
    vocab = {f"<{i}>": i for i in range(MEDIUM["vocab_size"])}
    vocab["<|endoftext|>"] = 0
    del vocab["<0>"]
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<|endoftext|>"))
    tok.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>").save_pretrained(folder)
    return folder


def medium_model_dir() -> tuple[Path, str]:
    """``(folder, description)`` of the model the benchmarks use."""
    real = paths.models_dir() / "mini-m-base"
    if (real / "config.json").is_file():
        return real, "mini-m-base (trained miniature)"
    folder = Path(tempfile.mkdtemp(prefix="predact-bench-")) / "random-medium"
    folder.mkdir(parents=True)
    return _random_medium(folder), "random Llama of the mini-m shape (mini-m-base not built yet)"


def timeit(fn: Callable[[], object], repeats: int = 3) -> list[float]:
    """Wall-clock seconds of ``repeats`` calls."""
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def interleaved(fns: dict[str, Callable[[], object]], repeats: int = 3) -> dict[str, list[float]]:
    """Time several functions alternately (A B A B ...), so background load hits them alike."""
    times: dict[str, list[float]] = {k: [] for k in fns}
    for i in range(repeats):
        for k, fn in fns.items():
            times[k] += timeit(fn, 1)
            print(f"    repeat {i + 1}/{repeats} {k}: {times[k][-1]:.2f}s", flush=True)
    return times


def summary(ts: list[float]) -> str:
    return f"median {statistics.median(ts):.2f}s (min {min(ts):.2f}, max {max(ts):.2f}, n={len(ts)})"


def matmul_flops(m: int = 128, k: int = 256, n: int = 8192, seconds: float = 1.0) -> float:
    """Measured float32 matmul FLOP/s of this machine at a decode-like shape ``[m, k] @ [k, n]``."""
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(5):
        a @ b
    count, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        a @ b
        count += 1
    return 2.0 * m * k * n * count / (time.perf_counter() - t0)


def count_params(model: torch.nn.Module, *, exclude_embeddings: bool = True) -> int:
    """Parameters that take part in a token's matmuls (the input embedding lookup is not a matmul)."""
    total = sum(p.numel() for p in model.parameters())
    emb = model.get_input_embeddings().weight
    out = model.get_output_embeddings().weight
    if exclude_embeddings and emb.data_ptr() != out.data_ptr():
        total -= emb.numel()
    return total


def planted_prompt_sets(n_sets: int, *, vocab: int = 8192, seed: int = 0) -> list[list[list[int]]]:
    """``n_sets`` prompts' worth of 100 generations of 50-128 random tokens, the shape of chapter 04's sets:
    even sets diverse (as a Base model's answers), odd sets with one 40-token span at tokens 10-49 in two of
    every three generations (as an aligned model's anchors). Deterministic."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sets = []
    for k in range(n_sets):
        span = rng.integers(0, vocab, 40)
        seqs = []
        for j in range(100):
            s = rng.integers(0, vocab, int(rng.integers(50, 129)))
            if k % 2 and j % 3:
                s[10:50] = span
            seqs.append([int(t) for t in s])
        sets.append(seqs)
    return sets


def checked_ratio(times: dict[str, list[float]], slow: str, fast: str, same: bool, what: str) -> tuple[float, float]:
    """Median seconds of ``slow`` and ``fast`` (keys of ``times``); stops the benchmark when the two did not
    compute the same result (``same``), since a faster wrong answer is no speed-up (``what`` names it)."""
    if not same:
        raise SystemExit(f"{fast} and {slow} computed different {what}: {fast} is wrong")
    return statistics.median(times[slow]), statistics.median(times[fast])

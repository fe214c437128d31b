"""Scoring throughput: predact_utils.lm.scoring (with distribution statistics) vs a plain loop.

The plain loop is what a notebook would write by hand: for each window, ``model(input_ids).logits``,
``log_softmax`` over the vocabulary, and a gather of the target tokens' log-probabilities, one window
at a time. Both score the same windows of the same documents. Ours also computes, at every scored
position, the top-K cumulative masses (K = 32), the count of tokens above 1e-8 and 1e-4, the entropy
and the rank of the actual token; it is timed with the compiled row kernels of ``statkernels`` (the
default) and with the NumPy passes alone. Compilation happens in the untimed first call (and is cached
on disk for later processes). Two settings: the book's default (window W, stride W/2, so the
plain loop also computes logits for positions it does not score) and disjoint windows (stride W).
"""

from __future__ import annotations

import os
import statistics

import numpy as np
import torch
from transformers import AutoModelForCausalLM

from benchmarks.common import interleaved, medium_model_dir, set_threads, summary
from predact_utils.lm import statkernels
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.scoring import plan_windows, token_logprobs


def plain_loop(model, docs: list[list[int]], window: int, stride: int) -> list[np.ndarray]:
    out = []
    with torch.inference_mode():
        for doc in docs:
            lp = np.full(len(doc), np.nan, dtype=np.float32)
            for a, b, f in plan_windows(len(doc), 1, window, stride):
                ids = torch.tensor([doc[a : b - 1]])
                logprobs = torch.log_softmax(model(ids).logits[0].float(), dim=-1)
                tgt = torch.tensor(doc[f:b])
                lp[f:b] = logprobs[f - 1 - a : b - 1 - a].gather(-1, tgt[:, None]).squeeze(-1).numpy()
            out.append(lp)
    return out


def _numpy_statistics(fn):  # noqa: ANN001, ANN202 - benchmark helper
    """Run ``fn`` with the statistics' compiled kernels switched off (the NumPy passes only)."""
    import predact_utils.lm.diststats as ds

    saved, ds._FUSED = ds._FUSED, False
    try:
        return fn()
    finally:
        ds._FUSED = saved


def main() -> dict[str, float]:
    set_threads()
    folder, what = medium_model_dir()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).eval()
    window = int(os.environ.get("BENCH_WINDOW", "512"))
    n_docs = int(os.environ.get("BENCH_DOCS", "6"))
    gen = torch.Generator().manual_seed(0)
    docs = [torch.randint(1, model.config.vocab_size, (1500,), generator=gen).tolist() for _ in range(n_docs)]
    stats = DistStatsConfig(top_k=32, thresholds=(1e-8, 1e-4))
    print(f"model: {what}; {n_docs} documents x 1500 tokens; window {window}")
    kernels = ", numba kernels" if statkernels.AVAILABLE else ", NumPy passes: numba is not installed"
    results = {}
    for label, stride in (("stride W/2 (book default)", window // 2), ("disjoint windows (stride W)", window)):
        ref = plain_loop(model, docs[:1], window, stride)
        mine = token_logprobs(model, docs[:1], window=window, stride=stride, stats=stats, progress=False)
        diff = float(np.nanmax(np.abs(ref[0] - mine[0].logprobs)))
        times = interleaved({
            "plain": lambda s=stride: plain_loop(model, docs, window, s),
            "predact": lambda s=stride: token_logprobs(model, docs, window=window, stride=s, stats=stats,
                                                       progress=False),
            "predact, NumPy statistics": lambda s=stride: _numpy_statistics(
                lambda: token_logprobs(model, docs, window=window, stride=s, stats=stats, progress=False)),
        }, repeats=int(os.environ.get("BENCH_REPEATS", "2")))
        ratio = statistics.median(times["plain"]) / statistics.median(times["predact"])
        ratio_np = statistics.median(times["plain"]) / statistics.median(times["predact, NumPy statistics"])
        print(f"  {label}: max |log-prob difference| {diff:.2e}")
        print(f"    plain loop  {summary(times['plain'])}")
        print(f"    predact     {summary(times['predact'])}  (with statistics{kernels})")
        print(f"    predact     {summary(times['predact, NumPy statistics'])}  (with statistics, NumPy passes "
              f"only: {ratio_np:.2f}x)")
        print(f"  SCORING throughput ratio vs plain loop, {label}: {ratio:.2f}x")
        results[label] = ratio
    return results


if __name__ == "__main__":
    main()

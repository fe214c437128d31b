"""Peak memory of scoring a 0.5M-token corpus with the medium model, statistics included (target < 2 GB).

Runs in its own process (``python -m benchmarks.bench_memory``) so that the peak resident set size
(``ru_maxrss``) belongs to this job alone; it includes the Python interpreter, torch and the model.
The corpus is 250 documents x 2000 tokens, scored in windows of 512 (disjoint, ``stride = window``)
with the per-position statistics of the distribution section (K = 32, two thresholds).
"""

from __future__ import annotations

import os
import resource
import time

import torch
from transformers import AutoModelForCausalLM

from benchmarks.common import medium_model_dir, set_threads
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.scoring import perplexity, token_logprobs


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> dict[str, float]:
    set_threads()
    folder, what = medium_model_dir()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).eval()
    n_tokens = int(os.environ.get("BENCH_MEMORY_TOKENS", "500000"))
    n_docs = n_tokens // 2000
    g = torch.Generator().manual_seed(0)
    docs = [torch.randint(1, model.config.vocab_size, (2000,), generator=g).tolist() for _ in range(n_docs)]
    before = rss_mb()
    t0 = time.perf_counter()
    scores = token_logprobs(model, docs, window=512, stride=512, stats=DistStatsConfig(top_k=32, thresholds=(1e-8, 1e-4)),
                            progress=True, desc="scoring 0.5M tokens")
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    n = sum(s.n_scored for s in scores)
    print(f"model: {what}; {n_docs} documents, {n} scored tokens in {dt:.0f}s ({n / dt:.0f} tok/s), "
          f"perplexity {perplexity(scores):.1f}")
    print(f"  resident memory after loading the model and corpus: {before:.0f} MB")
    print(f"MEMORY peak resident set size while scoring: {peak:.0f} MB (target < 2048 MB)")
    return {"peak_mb": peak, "tokens_per_s": n / dt}


if __name__ == "__main__":
    main()

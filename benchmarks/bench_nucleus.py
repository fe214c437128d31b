"""The nucleus draw: the compiled kernel of predact_utils.lm.nucleuskernel vs sorting the probabilities.

Workload: ``BENCH_PROMPTS`` prompts (default 4) x 100 generations x 128 new tokens at p = 0.9 on the
medium model in the book's dtype (:func:`predact_utils.lm.models.default_dtype`), one batch of 400 rows as
the book samples them. The two versions of :func:`predact_utils.lm.sampling.nucleus_sample` are timed
alternately in this process, end to end (``sample_ids``) and for the draw alone on 400 rows of the
model's next-token logits. Also printed: how many of the generations are identical (the two differ only
where a nucleus boundary or a draw falls within float32 rounding).
"""

from __future__ import annotations

import os
import statistics

import torch
from transformers import AutoModelForCausalLM

from benchmarks.common import interleaved, medium_model_dir, set_threads, summary
from predact_utils.lm import sampling
from predact_utils.lm.models import default_dtype
from predact_utils.lm.sampling import SamplingParams, nucleus_sample, sample_ids


def _with(compiled: bool, fn):  # noqa: ANN001, ANN202
    def run() -> object:
        sampling._COMPILED = compiled
        try:
            return fn()
        finally:
            sampling._COMPILED = True
    return run


def main() -> dict[str, float]:
    threads = set_threads()
    folder, what = medium_model_dir()
    dtype = default_dtype()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=dtype, local_files_only=True).eval()
    n_prompts = int(os.environ.get("BENCH_PROMPTS", "4"))
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    gen = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size
    prompts = [torch.randint(1, vocab, (12 + 3 * i,), generator=gen).tolist() for i in range(n_prompts)]
    params = SamplingParams(top_p=0.9, max_new_tokens=128, n=100, seed=0)
    eos = [int(model.config.eos_token_id)]
    outs: dict[bool, list] = {}

    def sample(compiled: bool) -> None:
        outs[compiled] = sample_ids(model, prompts, params, eos, progress=False)

    with torch.inference_mode():
        ids = torch.randint(1, vocab, (4, 101), generator=gen)
        logits = model(input_ids=ids).logits[:, 1:].reshape(-1, vocab)[:400].float()
    u = torch.rand(logits.shape[0], generator=gen)

    def draws() -> None:
        for _ in range(20):
            nucleus_sample(logits, u, params.top_p)

    draws()  # compiles the kernel (cached on disk afterwards)
    sample(True)
    steps = interleaved({"sorting": _with(False, draws), "compiled": _with(True, draws)}, repeats=repeats)
    ends = interleaved({"sorting": _with(False, lambda: sample(False)), "compiled": _with(True, lambda: sample(True))},
                       repeats=repeats)
    same = sum(a == b for pa, pb in zip(outs[False], outs[True], strict=True) for a, b in zip(pa, pb, strict=True))
    total = n_prompts * params.n
    draw_ratio = statistics.median(steps["sorting"]) / statistics.median(steps["compiled"])
    end_ratio = statistics.median(ends["sorting"]) / statistics.median(ends["compiled"])
    print(f"model: {what} in {dtype}; torch threads: {threads}")
    print(f"draw alone, 20 x {logits.shape[0]} rows: sorting {summary(steps['sorting'])}, "
          f"compiled {summary(steps['compiled'])}: {draw_ratio:.2f}x")
    print(f"sampling {n_prompts} prompts x {params.n} x {params.max_new_tokens}: sorting {summary(ends['sorting'])}, "
          f"compiled {summary(ends['compiled'])}: {end_ratio:.2f}x; identical generations {same} of {total}")
    return {"draw": draw_ratio, "sampling": end_ratio, "identical": same / total}


if __name__ == "__main__":
    main()

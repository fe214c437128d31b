"""Sampling throughput: predact_utils.lm.sampling vs default ``model.generate`` with the same settings.

Workload (the book's, scaled down): ``BENCH_PROMPTS`` prompts (default 2) x 100 generations x 128 new
tokens, nucleus p = 0.9, temperature 1, on the medium model. The baseline calls
``model.generate(do_sample=True, top_p=0.9, num_return_sequences=100, max_new_tokens=128)`` once per
prompt, the way a notebook would. Both are timed alternately in this process; the ratio of wall times is
the speed-up. Also printed: the fraction of the arithmetic roofline, i.e. the time that
``2 x parameters x generated tokens`` FLOPs would take at this machine's measured matmul FLOP/s
divided by the measured time.
"""

from __future__ import annotations

import os
import statistics

import torch
from transformers import AutoModelForCausalLM

from benchmarks.common import count_params, interleaved, matmul_flops, medium_model_dir, set_threads, summary
from predact_utils.lm.sampling import SamplingParams, sample_ids


def main() -> dict[str, float]:
    threads = set_threads()
    folder, what = medium_model_dir()
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).eval()
    n_prompts = int(os.environ.get("BENCH_PROMPTS", "2"))
    repeats = int(os.environ.get("BENCH_REPEATS", "2"))
    gen = torch.Generator().manual_seed(0)
    vocab = model.config.vocab_size
    prompts = [torch.randint(1, vocab, (12 + 3 * i,), generator=gen).tolist() for i in range(n_prompts)]
    params = SamplingParams(top_p=0.9, temperature=1.0, max_new_tokens=128, n=100, seed=0)
    eos = [int(model.config.eos_token_id)]
    counts: dict[str, int] = {}

    def baseline() -> None:
        total = 0
        with torch.inference_mode():
            for i, p in enumerate(prompts):
                torch.manual_seed(i)
                ids = torch.tensor([p])
                out = model.generate(ids, attention_mask=torch.ones_like(ids), do_sample=True, top_p=params.top_p,
                                     temperature=params.temperature, top_k=0, max_new_tokens=params.max_new_tokens,
                                     num_return_sequences=params.n, eos_token_id=eos, pad_token_id=eos[0])
                new = out[:, len(p):]
                total += int((new != eos[0]).sum())
        counts["generate"] = total

    def ours() -> None:
        res = sample_ids(model, prompts, params, eos, batch_size=128, progress=False)
        counts["predact"] = sum(len(ids) for per in res for ids, _ in per)

    ours()  # warm-up (allocator, thread pool)
    times = interleaved({"generate": baseline, "predact": ours}, repeats=repeats)
    flops = matmul_flops()
    n_params = count_params(model)
    tb, to = statistics.median(times["generate"]), statistics.median(times["predact"])
    ideal = lambda tokens: 2.0 * n_params * tokens / flops  # noqa: E731
    print(f"model: {what}; {n_params / 1e6:.2f}M matmul parameters; torch threads: {threads}")
    print(f"workload: {n_prompts} prompts x {params.n} samples x {params.max_new_tokens} new tokens, top_p={params.top_p}")
    print(f"measured matmul throughput: {flops / 1e9:.1f} GFLOP/s")
    for name, t in (("generate", tb), ("predact", to)):
        tok = counts[name]
        print(f"  {name:9s} {summary(times[name])}  {tok / t:8.0f} tok/s  roofline fraction {ideal(tok) / t:.2f}")
    ratio = (counts["predact"] / to) / (counts["generate"] / tb)
    print(f"SAMPLING speed-up vs default generate (tokens/s ratio): {ratio:.2f}x")
    return {"sampling_speedup": ratio, "roofline_fraction": ideal(counts["predact"]) / to}


if __name__ == "__main__":
    main()

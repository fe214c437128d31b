"""bf16 against float32 on this CPU: speed, and what it changes in perplexity.

Three comparisons on the medium model, each timed alternately in this process and printed as a ratio
(float32 time / bf16 time; above 1 means bf16 is faster):

* scoring: the forward pass of 8 windows x 512 tokens (``predact_utils.lm.scoring``'s batch shape);
* fine-tuning: one training step of 8 x 256 tokens with AdamW, float32 weights, with and without bf16
  autocast (what ``TrainingArguments(bf16=True)`` does in Fig. 2B's fine-tuning);
* sampling: ``BENCH_PROMPTS`` prompts (default 2) x 100 samples x 128 new tokens with the book's sampler.

It also prints what bf16 changes in the numbers: the perplexity of mini-m-base and mini-m-rlhf on four
gold corpora (8 test documents each) in both dtypes, and the largest relative difference.

The book computes in bf16 only where :func:`predact_utils.lm.models.cpu_has_fast_bf16` says the CPU has
bf16 matrix hardware (AMX); on other CPUs the first three ratios show why it keeps float32 there.
"""

from __future__ import annotations

import copy
import os
import statistics

import torch
from transformers import AutoModelForCausalLM

from benchmarks.common import interleaved, medium_model_dir, set_threads, summary
from predact_utils.lm.models import cpu_has_fast_bf16
from predact_utils.lm.sampling import SamplingParams, sample_ids


def _ratio(label: str, times: dict[str, list[float]], slow: str, fast: str) -> float:
    for k in (slow, fast):
        print(f"  {label} {k:10s} {summary(times[k])}")
    r = statistics.median(times[slow]) / statistics.median(times[fast])
    print(f"  {label}: {slow} / {fast} = {r:.2f}x")
    return r


def main() -> dict[str, float]:
    threads = set_threads()
    folder, what = medium_model_dir()
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    print(f"model: {what}; torch threads: {threads}; CPU bf16 matrix hardware (AMX): {cpu_has_fast_bf16()}")
    m32 = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).eval()
    m16 = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.bfloat16, local_files_only=True).eval()
    g = torch.Generator().manual_seed(0)
    vocab = m32.config.vocab_size
    out: dict[str, float] = {}

    windows = torch.randint(1, vocab, (8, 512), generator=g)
    with torch.inference_mode():
        fwd = {"fp32": lambda: m32(input_ids=windows), "bf16": lambda: m16(input_ids=windows)}
        fwd["fp32"](), fwd["bf16"]()
        out["scoring"] = _ratio("scoring 8 x 512", interleaved(fwd, repeats=repeats), "fp32", "bf16")

    train = copy.deepcopy(m32).train()
    opt = torch.optim.AdamW(train.parameters(), lr=1e-5)
    blocks = torch.randint(1, vocab, (8, 256), generator=g)

    def step(autocast: bool) -> None:
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=autocast):
            loss = train(input_ids=blocks, labels=blocks).loss
        loss.backward()
        opt.step()
        opt.zero_grad()

    steps = {"fp32": lambda: step(False), "bf16-amp": lambda: step(True)}
    steps["fp32"](), steps["bf16-amp"]()
    out["finetune_step"] = _ratio("training step 8 x 256", interleaved(steps, repeats=repeats), "fp32", "bf16-amp")

    n_prompts = int(os.environ.get("BENCH_PROMPTS", "2"))
    prompts = [torch.randint(1, vocab, (12 + 3 * i,), generator=g).tolist() for i in range(n_prompts)]
    params = SamplingParams(top_p=0.9, max_new_tokens=128, n=100, seed=0)
    eos = [int(m32.config.eos_token_id)]
    samp = {"fp32": lambda: sample_ids(m32, prompts, params, eos, progress=False),
            "bf16": lambda: sample_ids(m16, prompts, params, eos, progress=False)}
    out["sampling"] = _ratio("sampling", interleaved(samp, repeats=repeats), "fp32", "bf16")

    out.update(perplexity_change())
    return out


def perplexity_change(models: tuple[str, ...] = ("mini-m-base", "mini-m-rlhf"), n_corpora: int = 4) -> dict[str, float]:
    """Gold-text perplexity in float32 and bf16 (needs the miniature family and the corpora)."""
    from predact_utils.data import corpora
    from predact_utils.lm.models import ModelNotAvailableError, load_model
    from predact_utils.lm.scoring import encode_documents, perplexity, token_logprobs

    worst = 0.0
    try:
        names = corpora.names(role="eval")[:n_corpora]
        for name in models:
            ppl = {}
            for dtype in ("fp32", "bf16"):
                lm = load_model(name, dtype=dtype)
                ppl[dtype] = []
                for c in names:
                    docs = encode_documents(lm.tokenizer, corpora.sample_texts(c, "test", max_docs=8, max_chars=20000))
                    ppl[dtype].append(perplexity(token_logprobs(lm.model, docs, window=512, stride=256, progress=False)))
            for c, a, b in zip(names, ppl["fp32"], ppl["bf16"], strict=True):
                worst = max(worst, abs(b / a - 1))
                print(f"  perplexity {name} on {c}: fp32 {a:.3f}, bf16 {b:.3f} ({100 * (b / a - 1):+.3f}%)")
    except (ModelNotAvailableError, FileNotFoundError) as err:
        print(f"  perplexity check skipped: {err}")
        return {}
    print(f"  largest relative perplexity change from bf16: {100 * worst:.3f}%")
    return {"ppl_rel_change_bf16": worst}


if __name__ == "__main__":
    main()

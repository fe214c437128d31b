"""``make gpu-check``: the book's GPU path, checked on a machine with CUDA in a few minutes.

1. Every section notebook at smoke scale on the miniature pair, one after another, with the device's
   used memory polled (``torch.cuda.mem_get_info``, twice a second) while each runs: peak memory per
   chapter, and whether it ran.
2. A random-weights model of Llama-2-7B's shape (32 layers, d = 4096, MLP 11008, 32 heads; the miniature's
   8,192-token vocabulary, so the book's tokenizer and chat template serve it) loaded on the GPU the way
   the book loads models (:func:`predact_utils.lm.models.load_model`: half precision by the GPU, headroom
   for the caches): tokens per second of the book's sampler (rows from the free memory) and of scoring,
   with their peak memory, and any sampling fallback taken.

Prints one table; ``--out FILE`` also writes it as JSON. Without CUDA it says so and exits with status 2:
nothing else of the book depends on a GPU.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

#: Llama-2-7B's shape (its published config), with the miniature's vocabulary.
LLAMA2_7B_SHAPE = dict(hidden_size=4096, intermediate_size=11008, num_hidden_layers=32, num_attention_heads=32,
                       num_key_value_heads=32, max_position_embeddings=4096)


class PeakMemory:
    """The highest device-wide used memory seen while the ``with`` block runs (polled in a thread)."""

    def __init__(self, used: Callable[[], int], every: float = 0.5) -> None:
        self.used, self.every, self.peak = used, every, 0
        self._stop = threading.Event()

    def _poll(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.used())
            self._stop.wait(self.every)

    def __enter__(self) -> PeakMemory:
        self.peak = self.used()
        self._thread = threading.Thread(target=self._poll, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.used())


def device_used() -> int:
    """Bytes in use on CUDA device 0, by any process."""
    import torch

    free, total = torch.cuda.mem_get_info(0)
    return int(total - free)


def smoke_chapters(out: Path) -> list[dict[str, Any]]:
    """Each notebook of the book at smoke scale on the miniature pair, with its peak device memory."""
    from predact_utils import paths
    from predact_utils.book.build import error_outputs, execute_notebook, notebook_sources

    rows = []
    out.mkdir(parents=True, exist_ok=True)
    for py in notebook_sources(paths.repo_root()):
        target = out / py.with_suffix(".ipynb").name
        with PeakMemory(device_used) as mem:
            t0 = time.perf_counter()
            try:
                execute_notebook(py, target, {"scale": "smoke"}, py.parent, 1800)
                status = "ok" if not error_outputs(target) else "errors in outputs"
            except Exception as exc:  # report every chapter, then fail at the end
                status = f"FAILED: {type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
        rows.append({"chapter": py.stem, "seconds": round(time.perf_counter() - t0, 1),
                     "peak_gib": round(mem.peak / 2**30, 2), "status": status})
        print(f"[gpu-check] {py.stem}: {rows[-1]}", flush=True)
    return rows


@contextmanager
def random_7b(folder: Path) -> Iterator[Any]:
    """A random model of Llama-2-7B's shape saved to ``folder`` (bf16) with the miniature's tokenizer, loaded
    back through the book's loader."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    from predact_utils import paths
    from predact_utils.lm.models import load_model

    tok = AutoTokenizer.from_pretrained(paths.models_dir() / "mini-s-sft")
    cfg = LlamaConfig(**LLAMA2_7B_SHAPE, vocab_size=len(tok), eos_token_id=tok.eos_token_id,
                      bos_token_id=tok.eos_token_id, pad_token_id=tok.pad_token_id)
    torch.manual_seed(0)
    with torch.device("cuda"):
        model = LlamaForCausalLM(cfg).to(torch.bfloat16)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    del model
    torch.cuda.empty_cache()
    yield load_model(str(folder))


def throughput(lm: Any, n_prompts: int = 8, n_samples: int = 32, new_tokens: int = 128) -> dict[str, Any]:
    """Tokens per second of the book's sampler and scorer on ``lm``, their peak memory, fallbacks taken."""
    import torch

    from predact_utils.lm import sampling
    from predact_utils.lm.chat import stop_token_ids
    from predact_utils.lm.sampling import SamplingParams, auto_batch_size, sample_ids
    from predact_utils.lm.scoring import token_logprobs

    prompts = [[int(t) for t in torch.randint(5, 8000, (24,), generator=torch.Generator().manual_seed(i))]
               for i in range(n_prompts)]
    params = SamplingParams(top_p=0.9, n=n_samples, max_new_tokens=new_tokens, seed=0)
    rows = auto_batch_size(lm.model, 24 + new_tokens)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    out = sample_ids(lm.model, prompts, params, stop_token_ids(lm.tokenizer, lm.model), progress=False)
    torch.cuda.synchronize()
    t_sample = time.perf_counter() - t0
    generated = sum(len(ids) for per in out for ids, _ in per)
    peak_sample = torch.cuda.max_memory_allocated()
    seqs = [p + ids for p, per in zip(prompts, out, strict=True) for ids, _ in per]
    torch.cuda.reset_peak_memory_stats()
    t0 = time.perf_counter()
    scores = token_logprobs(lm.model, seqs, window=512, stride=256, progress=False)
    torch.cuda.synchronize()
    t_score = time.perf_counter() - t0
    scored = sum(s.n_scored for s in scores)
    return {"dtype": lm.dtype, "sampling_rows_per_batch": rows, "generated_tokens": generated,
            "sampling_tokens_per_s": round(generated / t_sample, 1),
            "sampling_peak_gib": round(peak_sample / 2**30, 2), "scored_tokens": scored,
            "scoring_tokens_per_s": round(scored / t_score, 1),
            "scoring_peak_gib": round(torch.cuda.max_memory_allocated() / 2**30, 2),
            "fallbacks": list(sampling.FALLBACKS.values()) or ["none"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON here")
    ap.add_argument("--skip-book", action="store_true", help="only the 7B-shape throughput check")
    args = ap.parse_args(argv)
    import torch

    if not torch.cuda.is_available():
        print("[gpu-check] no CUDA device here: this check needs a GPU (the book itself does not)", file=sys.stderr)
        return 2
    props = torch.cuda.get_device_properties(0)
    report: dict[str, Any] = {"device": props.name, "total_gib": round(props.total_memory / 2**30, 1),
                              "bf16": bool(torch.cuda.is_bf16_supported()), "torch": torch.__version__}
    print(f"[gpu-check] {report}", flush=True)
    with tempfile.TemporaryDirectory(prefix="predact-gpu-check-") as tmp:
        if not args.skip_book:
            report["smoke_chapters"] = smoke_chapters(Path(tmp) / "notebooks")
        with random_7b(Path(tmp) / "llama2-7b-shape") as lm:
            report["llama2_7b_shape"] = throughput(lm)
    print(json.dumps(report, indent=1))
    if args.out:
        args.out.write_text(json.dumps(report, indent=1) + "\n")
    failed = [r["chapter"] for r in report.get("smoke_chapters", []) if r["status"] != "ok"]
    if failed:
        print(f"[gpu-check] chapters that did not run cleanly: {failed}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

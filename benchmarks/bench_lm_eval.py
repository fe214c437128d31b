"""Perplexity agreement with lm-evaluation-harness' ``loglikelihood_rolling`` (an outside reference).

lm-eval's ``HFLM(pretrained=<local folder>)`` scores each document in disjoint windows of
``max_length`` predicted tokens, each window's first token conditioned on the previous token, and
the document's first token conditioned on the BOS (or EOS) prefix. That is exactly
``token_logprobs(encode_documents(...), window=W, stride=W)`` here, so the two must agree to float
rounding: the benchmark prints the relative difference of corpus perplexity and the largest
per-document log-likelihood difference (target: < 1e-3 relative). Runs offline
(``HF_HUB_OFFLINE=1``); if lm-eval is missing or fails, says why and compares against
``transformers``' own loss (``labels=input_ids``) on full-context documents instead.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("HF_DATASETS_OFFLINE", "1")

import torch  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

from benchmarks.common import medium_model_dir, set_threads  # noqa: E402
from predact_utils import paths  # noqa: E402
from predact_utils.lm.scoring import encode_documents, perplexity, token_logprobs  # noqa: E402


def documents(real_model: bool, n: int = 6) -> list[str]:
    """A few held-out documents of the book's corpora for a trained model, else synthetic token text."""
    if real_model:
        files = sorted((paths.data_dir() / "corpora" / "eval").glob("*/test.jsonl"))
        docs = []
        for f in files:
            with open(f, encoding="utf-8") as fh:
                line = fh.readline()
            if line:
                rec = json.loads(line)
                docs.append(str(rec.get("text", ""))[:4000])
        docs = [d for d in docs if d.strip()]
        if docs:
            return docs[:n]
    g = torch.Generator().manual_seed(0)
    return [" ".join(f"<{i}>" for i in torch.randint(1, 8192, (int(L),), generator=g).tolist())
            for L in torch.randint(200, 1400, (n,), generator=g)]


def compare_with_transformers_loss(model, tokenizer, docs: list[str]) -> float:
    """Fallback reference: mean token loss of ``model(ids, labels=ids)`` on each full-context document."""
    seqs = encode_documents(tokenizer, docs)
    nll, count = 0.0, 0
    with torch.inference_mode():
        for s in seqs:
            out = model(torch.tensor([s]), labels=torch.tensor([s]))
            nll += float(out.loss) * (len(s) - 1)
            count += len(s) - 1
    ref = math.exp(nll / count)
    ours = perplexity(token_logprobs(model, seqs, window=max(len(s) for s in seqs), progress=False))
    rel = abs(ours - ref) / ref
    print(f"  transformers loss perplexity {ref:.6f}  predact {ours:.6f}  relative difference {rel:.2e}")
    return rel


def main() -> dict[str, float]:
    set_threads()
    folder, what = medium_model_dir()
    real = "trained" in what
    docs = documents(real)
    window = int(os.environ.get("BENCH_LMEVAL_WINDOW", "256"))
    model = AutoModelForCausalLM.from_pretrained(folder, dtype=torch.float32, local_files_only=True).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder, local_files_only=True)
    print(f"model: {what}; {len(docs)} documents; window {window} (disjoint, as lm-eval's rolling windows)")
    try:
        from lm_eval.api.instance import Instance
        from lm_eval.models.huggingface import HFLM

        lm = HFLM(pretrained=str(folder), backend="causal", batch_size=1, max_length=window, device="cpu",
                  dtype="float32")
        reqs = [Instance(request_type="loglikelihood_rolling", doc={}, arguments=(d,), idx=i)
                for i, d in enumerate(docs)]
        ref_ll = [float(x) for x in lm.loglikelihood_rolling(reqs, disable_tqdm=True)]
    except Exception as err:  # lm-eval missing, or it cannot run offline here
        print(f"  lm-eval could not run ({type(err).__name__}: {err}); comparing with transformers' loss instead")
        return {"ppl_rel_diff_transformers": compare_with_transformers_loss(model, tokenizer, docs)}
    seqs = encode_documents(tokenizer, docs)
    scores = token_logprobs(model, seqs, window=window, stride=window, progress=False)
    ours_ll = [-s.nll_sum for s in scores]
    n_tok = sum(s.n_scored for s in scores)
    ppl_ref = math.exp(-sum(ref_ll) / n_tok)
    ppl_ours = perplexity(scores)
    rel = abs(ppl_ours - ppl_ref) / ppl_ref
    doc_rel = max(abs(a - b) / abs(b) for a, b in zip(ours_ll, ref_ll, strict=True))
    print(f"  lm-eval {__import__('lm_eval').__version__} loglikelihood_rolling perplexity {ppl_ref:.6f}")
    print(f"  predact token_logprobs perplexity                {ppl_ours:.6f}  ({n_tok} tokens)")
    print(f"  LM-EVAL agreement: relative perplexity difference {rel:.2e}; "
          f"max per-document log-likelihood relative difference {doc_rel:.2e} (target < 1e-3)")
    rel_tf = compare_with_transformers_loss(model, tokenizer, [d for d, s in zip(docs, seqs, strict=True)
                                                                if len(s) <= window])
    return {"ppl_rel_diff_lm_eval": rel, "doc_rel_diff_lm_eval": doc_rel, "ppl_rel_diff_transformers": rel_tf,
            "folder": str(Path(folder))}


if __name__ == "__main__":
    main()

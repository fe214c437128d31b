"""Sanity numbers of the miniature checkpoints, written into their model cards (miniature family section).

* Base: validation perplexity per evaluation corpus, beside an interpolated
  bigram baseline on the same tokens (:mod:`predact_utils.miniature.bigram`).
* SFT / DPO / RLHF: on the 80 prompts, nucleus sampling p = 0.9, the share of
  samples that end with the end-of-text token within 256 tokens and stay in
  the assistant role (never write a user marker).
* DPO: held-out preference accuracy, the share of pairs whose implicit reward
  ``beta * (log pi(y|x) - log pi_ref(y|x))`` is higher for the chosen answer.
* RLHF: mean reward-model score of its samples on held-out prompts against the
  SFT model's, with a bootstrap 95% confidence interval of the difference.

Every function takes explicit documents / prompts, so a test can re-measure a
card's numbers on the same subset.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from predact_utils.lm.chat import encode_prompts
from predact_utils.lm.sampling import SamplingParams, generate
from predact_utils.lm.scoring import encode_documents, perplexity, token_logprobs
from predact_utils.miniature.bigram import BigramLM

#: Markers that show a model left the assistant role (it started writing the user's turn).
ROLE_BREAKS: tuple[str, ...] = ("<|user|>", "<|assistant|>")
#: New tokens an aligned model's sampled answer may take, end-of-text included, in the behaviour check.
ANSWER_TOKENS = 256


def corpus_perplexity(model: Any, tok: Any, texts: Sequence[str], window: int = 512) -> tuple[float, int]:
    """Perplexity of ``model`` on documents (EOS-prefixed, sliding window), and the number of scored tokens."""
    seqs = encode_documents(tok, texts)
    scores = token_logprobs(model, seqs, window=window, stride=window // 2, progress=False)
    return perplexity(scores), int(sum(s.n_scored for s in scores))


def bigram_perplexity(lm: BigramLM, tok: Any, texts: Sequence[str]) -> float:
    """The bigram baseline on exactly the tokens :func:`corpus_perplexity` scores (all but the EOS prefix)."""
    seqs = encode_documents(tok, texts)
    total, n = 0.0, 0
    for s in seqs:
        lp = lm.logprobs(s)[1:]  # position 0 is the EOS prefix, not scored
        total -= float(lp.sum())
        n += lp.size
    return math.exp(total / n)


def assistant_behaviour(model: Any, tok: Any, prompts: Sequence[str], n: int = 4, max_new_tokens: int = ANSWER_TOKENS,
                        seed: int = 0) -> dict[str, Any]:
    """Share of nucleus samples (p = 0.9) that stop with end-of-text and never write a role marker."""
    ids = encode_prompts(tok, prompts, role="aligned")
    gens = generate(model, tok, ids, SamplingParams(top_p=0.9, n=n, max_new_tokens=max_new_tokens, seed=seed),
                    progress=False)
    flat = [g for per in gens for g in per]
    eos = np.array([g.stop_reason == "eos" for g in flat])
    in_role = np.array([not any(m in g.text for m in ROLE_BREAKS) for g in flat])
    return {
        "samples": len(flat),
        "ends_with_eos": float(eos.mean()),
        "stays_in_role": float(in_role.mean()),
        "ok": float((eos & in_role).mean()),
        "mean_length": float(np.mean([len(g.token_ids) for g in flat])),
        "examples": [{"prompt": prompts[g.prompt_index], "answer": g.text} for g in flat[:: max(1, n)][:6]],
    }


@torch.no_grad()
def _answer_logprob(model: Any, tok: Any, prompt: list[dict[str, str]], answer: list[dict[str, str]]) -> float:
    """Sum of log-probabilities of the assistant answer's tokens (and its end-of-text) after the templated prompt."""
    p_ids = tok.apply_chat_template(prompt, tokenize=True, add_generation_prompt=True, return_dict=True)["input_ids"]
    full = tok.apply_chat_template(prompt + answer, tokenize=True, return_dict=True)["input_ids"]
    if full[: len(p_ids)] != p_ids:
        raise ValueError("the chat template does not extend the prompt with the answer; cannot score the answer")
    end = len(full)
    # drop the template's trailing newline after end-of-text: it is not part of the answer
    while end > len(p_ids) and full[end - 1] != tok.eos_token_id:
        end -= 1
    x = torch.tensor([full[:end]])
    logp = torch.log_softmax(model(input_ids=x).logits[0, :-1].float(), dim=-1)
    tgt = x[0, 1:]
    lp = logp.gather(1, tgt[:, None])[:, 0]
    return float(lp[len(p_ids) - 1 :].sum())


def preference_accuracy(policy: Any, reference: Any, tok: Any, pairs: Sequence[dict[str, Any]],
                        beta: float = 0.1) -> dict[str, float]:
    """DPO implicit-reward accuracy on preference pairs (ties count as wrong)."""
    margins = []
    for row in pairs:
        r = []
        for key in ("chosen", "rejected"):
            lp = _answer_logprob(policy, tok, row["prompt"], row[key])
            lr = _answer_logprob(reference, tok, row["prompt"], row[key])
            r.append(beta * (lp - lr))
        margins.append(r[0] - r[1])
    m = np.array(margins)
    return {"pairs": len(m), "accuracy": float((m > 0).mean()), "mean_margin": float(m.mean())}


def bootstrap_diff(a: np.ndarray, b: np.ndarray, seed: int = 0, n_boot: int = 2000) -> dict[str, float]:
    """Mean of ``a - b`` (paired by prompt) with a percentile bootstrap 95% interval."""
    d = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if d.size == 0:
        raise ValueError("no paired scores to compare")
    rng = np.random.default_rng(seed)
    boots = d[rng.integers(0, d.size, size=(n_boot, d.size))].mean(axis=1)
    lo, hi = np.percentile(boots, [2.5, 97.5])
    return {"mean_diff": float(d.mean()), "ci_low": float(lo), "ci_high": float(hi)}

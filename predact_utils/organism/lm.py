"""The organism's Base LM: a tiny Llama trained on world samples, and its next-token tables for the exact KL.

Token ids are the world's (0 = end, 1..vocab words) plus one request token per topic
(:class:`~predact_utils.organism.task.Task`); every document starts with a beginning token (the first id
after the requests), so the model predicts the first word too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch


@dataclass(frozen=True)
class BaseBudget:
    """Size and pre-training budget of the organism's Base (sizes by compute: seconds on two cores)."""

    layers: int = 2
    hidden: int = 64
    heads: int = 4
    steps: int = 600
    batch: int = 32
    lr: float = 3e-3
    max_len: int = 96

    def __post_init__(self) -> None:
        if min(self.layers, self.hidden, self.heads, self.steps, self.batch, self.max_len) < 1 or self.lr <= 0:
            raise ValueError(f"bad organism budget {self}: every size and the learning rate must be positive")
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be a multiple of heads ({self.heads})")


def bos_token(n_tokens: int) -> int:
    """The beginning token: the first id after the world's words and the task's requests."""
    return n_tokens


def make_model(n_tokens: int, budget: BaseBudget, seed: int) -> torch.nn.Module:
    """A fresh tiny Llama over ``n_tokens`` ids plus the beginning token."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(vocab_size=n_tokens + 1, hidden_size=budget.hidden, intermediate_size=4 * budget.hidden,
                      num_hidden_layers=budget.layers, num_attention_heads=budget.heads,
                      num_key_value_heads=budget.heads, max_position_embeddings=budget.max_len + 2,
                      tie_word_embeddings=True, bos_token_id=n_tokens, eos_token_id=0, pad_token_id=0)
    return LlamaForCausalLM(cfg)


def _batch(rows: Sequence[tuple[Sequence[int], Sequence[int]]], bos: int) -> tuple[torch.Tensor, torch.Tensor,
                                                                                 torch.Tensor]:
    """Token ids, labels (loss on the answers only) and attention mask of ``(prompt, answer)`` rows, each
    row ``[bos, *prompt, *answer]``, right-padded."""
    width = max(len(p) + len(a) for p, a in rows) + 1
    ids = torch.zeros((len(rows), width), dtype=torch.long)
    labels = torch.full((len(rows), width), -100, dtype=torch.long)
    mask = torch.zeros((len(rows), width), dtype=torch.long)
    for i, (p, a) in enumerate(rows):
        row = [bos, *map(int, p), *map(int, a)]
        ids[i, : len(row)] = torch.tensor(row)
        mask[i, : len(row)] = 1
        labels[i, 1 + len(p): len(row)] = torch.tensor(row[1 + len(p):])
    return ids, labels, mask


def pretrain(model: torch.nn.Module, docs: Sequence[Sequence[int]], budget: BaseBudget, seed: int,
             bos: int) -> list[float]:
    """Next-token training on ``docs`` (AdamW, cosine schedule, batches drawn with ``seed``); the loss log."""
    return finetune(model, [((), d) for d in docs], budget, seed, bos)


def finetune(model: torch.nn.Module, rows: Sequence[tuple[Sequence[int], Sequence[int]]], budget: BaseBudget,
             seed: int, bos: int) -> list[float]:
    """Training on ``(prompt, answer)`` rows with the loss on the answers (pre-training: empty prompts; SFT:
    the request token and a demonstration); AdamW, cosine schedule, batches drawn with ``seed``."""
    rng = np.random.default_rng(seed)
    opt = torch.optim.AdamW(model.parameters(), lr=budget.lr, weight_decay=0.0)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, budget.steps)
    model.train()
    losses = []
    for _ in range(budget.steps):
        pick = rng.integers(0, len(rows), size=budget.batch)
        ids, labels, mask = _batch([(rows[j][0], rows[j][1][: budget.max_len]) for j in pick], bos)
        loss = model(input_ids=ids, attention_mask=mask, labels=labels).loss
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()
        losses.append(float(loss))
    model.eval()
    return losses


@torch.no_grad()
def next_token_logprobs(model: torch.nn.Module, docs: Sequence[Sequence[int]], bos: int) -> list[np.ndarray]:
    """Per document ``[len(doc), n_tokens + 1]``: the model's next-token log-probabilities after each prefix
    (the tables :func:`~predact_utils.organism.measure.kl_to_world` takes)."""
    out = []
    for d in docs:
        ids = torch.tensor([[bos, *map(int, d)]])
        logits = model(input_ids=ids).logits[0, : len(d)]
        out.append(torch.log_softmax(logits.float(), -1).numpy())
    return out


@torch.no_grad()
def sample_answers(model: torch.nn.Module, prompts: Sequence[Sequence[int]], bos: int, max_new: int, seed: int,
                   n_tokens: int) -> list[list[int]]:
    """One sampled answer per prompt (temperature 1, up to and including the end token 0), each row drawn
    from its own generator seeded by ``seed`` and its index, so a row's answer does not depend on the other
    rows; only ids below ``n_tokens`` (world words, end, requests) can be drawn. Rows of equal prompt length
    run as one batch (a finished row is fed the end token and ignored).

    Not the book's :func:`~predact_utils.lm.sampling.sample_ids`, for two reasons of contract (checked on a
    trained organism): that sampler returns answers without their stop token, which the task's reward needs,
    and it can draw the beginning token, which no world document holds (every such answer scores 0)."""
    out: list[list[int]] = [[] for _ in prompts]
    by_length: dict[int, list[int]] = {}
    for i, p in enumerate(prompts):
        by_length.setdefault(len(p), []).append(i)
    for rows in by_length.values():
        gens = [torch.Generator().manual_seed(seed * 1_000_003 + i) for i in rows]
        ids = torch.tensor([[bos, *map(int, prompts[i])] for i in rows])
        running = list(range(len(rows)))
        for _ in range(max_new):
            probs = torch.softmax(model(input_ids=ids).logits[:, -1, :n_tokens].float(), -1)
            step = torch.zeros(len(rows), dtype=torch.long)
            for j in running:
                tok = int(torch.multinomial(probs[j], 1, generator=gens[j]))
                out[rows[j]].append(tok)
                step[j] = tok
            running = [j for j in running if step[j] != 0]
            if not running:
                break
            ids = torch.cat([ids, step[:, None]], 1)
    return out

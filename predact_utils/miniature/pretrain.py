"""Pre-training of the miniature Base LMs (miniature family section).

The Base models are ordinary ``LlamaForCausalLM``s trained with the
``transformers`` ``Trainer`` on a packed token stream: documents of every
training corpus, each followed by the end-of-text token, cut into blocks of
fixed length, blocks shuffled with a seed. Training checkpoints go to a work
folder, so an interrupted run resumes where it stopped (``Trainer``'s
``resume_from_checkpoint``, which restores the optimizer, scheduler, RNG
states and the position in the data order).
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm
from transformers import LlamaForCausalLM, PreTrainedTokenizerFast, Trainer, TrainingArguments

from predact_utils.miniature.configs import BUDGETS, PretrainBudget, llama_config
from predact_utils.miniature.trainutil import Deadline, add_wall, last_checkpoint, loss_log, save_final

#: Longest piece of one document that enters the pre-training stream, in characters.
MAX_DOC_CHARS = 20_000


def tokenize_corpus(tok: PreTrainedTokenizerFast, docs: Sequence[str], cap_tokens: int) -> np.ndarray:
    """Token ids of ``docs`` in order, each document followed by end-of-text, up to ``cap_tokens``: ``uint16``
    where the vocabulary fits (the miniature's), ``uint32`` for larger ones (Llama-3's 128k tokens)."""
    dtype = np.uint16 if len(tok) <= np.iinfo(np.uint16).max + 1 else np.uint32
    out: list[np.ndarray] = []
    n = 0
    eos = tok.eos_token_id
    batch = 256
    for i in range(0, len(docs), batch):
        chunk = [d[:MAX_DOC_CHARS] for d in docs[i : i + batch]]
        for ids in tok(chunk, add_special_tokens=False)["input_ids"]:
            arr = np.asarray(ids + [eos], dtype=dtype)
            out.append(arr)
            n += arr.size
            if n >= cap_tokens:
                return np.concatenate(out)[:cap_tokens]
    return np.concatenate(out) if out else np.zeros(0, dtype=dtype)


def token_pool(
    tok: PreTrainedTokenizerFast, corpora: Mapping[str, Sequence[str]], cap_tokens_per_corpus: int
) -> tuple[np.ndarray, dict[str, int]]:
    """The concatenated stream of all corpora (sorted by name), each capped; also tokens per corpus."""
    if len(tok) > np.iinfo(np.uint16).max:
        raise ValueError(f"vocabulary of {len(tok)} tokens does not fit uint16 storage")
    parts, counts = [], {}
    for name in tqdm(sorted(corpora), desc="tokenizing corpora"):
        ids = tokenize_corpus(tok, corpora[name], cap_tokens_per_corpus)
        parts.append(ids)
        counts[name] = int(ids.size)
    return np.concatenate(parts), counts


def blocks_of(stream: np.ndarray, block: int, seed: int) -> np.ndarray:
    """Cut the stream into ``[n, block]`` blocks (dropping the remainder) in a seeded random order."""
    n = stream.size // block
    if n == 0:
        raise ValueError(f"stream of {stream.size} tokens is shorter than one block of {block}")
    blocks = stream[: n * block].reshape(n, block)
    order = np.random.default_rng(seed).permutation(n)
    return blocks[order]


class BlockDataset(torch.utils.data.Dataset):
    """Fixed-length blocks as causal-LM examples (labels = inputs; the model shifts them)."""

    def __init__(self, blocks: np.ndarray) -> None:
        self.blocks = blocks

    def __len__(self) -> int:
        return int(self.blocks.shape[0])

    def __getitem__(self, i: int) -> dict[str, torch.Tensor]:
        x = torch.from_numpy(self.blocks[i].astype(np.int64))
        return {"input_ids": x, "labels": x.clone()}


def _digest(a: np.ndarray) -> str:
    return hashlib.sha256(a.tobytes()).hexdigest()[:16]


def pretrain(
    size: str,
    tok: PreTrainedTokenizerFast,
    blocks: np.ndarray,
    out_dir: Path,
    work_dir: Path,
    seed: int = 0,
    budget: PretrainBudget | None = None,
    save_every: int = 200,
    max_minutes: float | None = None,
) -> dict[str, object]:
    """Train a Base LM of ``size`` on ``blocks``; resume from ``work_dir`` if a checkpoint is there.

    Saves the final model (float16 safetensors) and tokenizer to ``out_dir`` and
    returns a summary (steps, tokens, wall time, final training loss). With
    ``max_minutes`` the run stops early after a checkpoint and returns
    ``{"finished": False}``, to be resumed by the next call.
    """
    budget = budget or BUDGETS[size]
    if blocks.shape[1] != budget.block:
        raise ValueError(f"blocks have length {blocks.shape[1]} but the budget expects {budget.block}")
    torch.set_num_threads(int(os.environ.get("PREDACT_THREADS", max(1, min(os.cpu_count() or 1, 2)))))
    work_dir.mkdir(parents=True, exist_ok=True)
    meta_path = work_dir / "pretrain_meta.json"
    meta = {"size": size, "seed": seed, "blocks": int(blocks.shape[0]), "data_digest": _digest(blocks),
            "budget": budget.__dict__}
    if meta_path.exists() and json.loads(meta_path.read_text()) != meta:
        raise RuntimeError(
            f"{work_dir} holds a run with other settings or data ({meta_path}); delete that folder to start over"
        )
    meta_path.write_text(json.dumps(meta, indent=1))

    torch.manual_seed(seed)
    cfg = llama_config(size, vocab_size=len(tok), eos_id=tok.eos_token_id, pad_id=tok.pad_token_id)
    model = LlamaForCausalLM(cfg)
    args = TrainingArguments(
        output_dir=str(work_dir),
        per_device_train_batch_size=budget.batch,
        max_steps=budget.steps,
        learning_rate=budget.lr,
        lr_scheduler_type="cosine",
        warmup_steps=max(1, int(budget.warmup_frac * budget.steps)),
        weight_decay=budget.weight_decay,
        adam_beta1=0.9,
        adam_beta2=0.95,
        max_grad_norm=1.0,
        logging_steps=max(1, min(50, budget.steps // 20)),
        save_strategy="steps",
        save_steps=save_every,
        save_total_limit=1,
        seed=seed,
        data_seed=seed,
        use_cpu=True,
        report_to=[],
        dataloader_num_workers=0,
        disable_tqdm=False,
    )
    callbacks = [Deadline(max_minutes)] if max_minutes else []
    trainer = Trainer(model=model, args=args, train_dataset=BlockDataset(blocks), callbacks=callbacks)
    t0 = time.time()
    trainer.train(resume_from_checkpoint=last_checkpoint(work_dir))
    wall = add_wall(work_dir, time.time() - t0)
    step = trainer.state.global_step
    losses = [h["loss"] for h in trainer.state.log_history if "loss" in h]
    summary: dict[str, object] = {
        "finished": step >= budget.steps,
        "steps": step,
        "tokens_seen": step * budget.batch * budget.block,
        "wall_seconds": round(wall, 1),
        "final_train_loss": round(float(np.mean(losses[-5:])), 4) if losses else math.nan,
        "loss_log": loss_log(trainer.state.log_history),
    }
    if not summary["finished"]:
        trainer.save_model(str(work_dir / "partial"))
        return summary
    save_final(trainer.model, tok, out_dir)
    return summary

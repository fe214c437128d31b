"""Fine-tuning a model on a target corpus with a fixed budget (the paper's Fig. 2B).

Both models of a pair get exactly the same budget: the same training
documents packed into the same blocks in the same order, the same number of
steps, learning rate, batch size and seed. The fine-tuned weights are not
kept; only the test-split scores are cached (artifact cache key: model,
corpus text hash, budget, seed), so the world-modeling chapter re-runs
without re-training.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from transformers import Trainer, TrainingArguments

from predact_utils.lm.scoring import encode_documents, token_logprobs
from predact_utils.miniature.pretrain import BlockDataset, blocks_of, tokenize_corpus
from predact_utils.runs.cache import ArtifactCache, stable_hash


@dataclass(frozen=True)
class FinetuneBudget:
    """Steps, block length, batch size, peak learning rate (cosine schedule) and training-token cap."""

    steps: int = 60
    block: int = 256
    batch: int = 8
    lr: float = 3e-4
    max_train_tokens: int = 400_000

    def __post_init__(self) -> None:
        if self.steps < 1 or self.block < 8 or self.batch < 1 or self.lr <= 0:
            raise ValueError(f"bad fine-tuning budget {self}: steps, block, batch and lr must be positive")


def training_blocks(tokenizer: Any, texts: Sequence[str], budget: FinetuneBudget, seed: int) -> np.ndarray:
    """The packed, shuffled training blocks of a corpus (identical for both models of a pair)."""
    stream = tokenize_corpus(tokenizer, list(texts), budget.max_train_tokens)
    return blocks_of(stream, budget.block, seed)


def finetune(model: Any, blocks: np.ndarray, budget: FinetuneBudget, seed: int) -> Any:
    """A fine-tuned copy of ``model`` (the original is left untouched); full fine-tuning with ``Trainer``.

    The copy trains with float32 weights and optimizer states; a model that computes in bf16 (on GPU, or
    on a CPU with AMX, see :func:`predact_utils.lm.models.default_dtype`) trains with bf16 mixed precision
    (``TrainingArguments(bf16=True)``, autocast), and the tuned copy is returned in the parent's dtype.
    """
    torch.manual_seed(seed)
    dtype = model.dtype
    m = copy.deepcopy(model).float().train()
    with tempfile.TemporaryDirectory() as tmp:
        args = TrainingArguments(
            output_dir=tmp, per_device_train_batch_size=budget.batch, max_steps=budget.steps,
            learning_rate=budget.lr, lr_scheduler_type="cosine", warmup_steps=0.1, weight_decay=0.0,
            logging_steps=max(1, budget.steps // 5), save_strategy="no", seed=seed, data_seed=seed,
            use_cpu=not torch.cuda.is_available(), report_to=[], dataloader_num_workers=0, disable_tqdm=True,
            bf16=dtype == torch.bfloat16,
        )
        Trainer(model=m, args=args, train_dataset=BlockDataset(blocks)).train()
    return m.to(dtype).eval()


def finetuned_test_scores(lm: Any, train_texts: Sequence[str], test_texts: Sequence[str], budget: FinetuneBudget,
                          seed: int = 0, window: int = 512, stride: int = 256,
                          cache: ArtifactCache | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-document NLL sums and token counts on ``test_texts`` after fine-tuning on ``train_texts`` (cached)."""
    cache = cache or ArtifactCache()
    tok = lm.tokenizer
    test = encode_documents(tok, test_texts)
    inputs = {"model": lm.cache_id, "train": stable_hash(list(train_texts)), "test": stable_hash(test),
              "budget": asdict(budget), "seed": seed, "window": window, "stride": stride, "code": "finetune-2"}

    def compute() -> dict[str, np.ndarray]:
        tuned = finetune(lm.model, training_blocks(tok, train_texts, budget, seed), budget, seed)
        scores = token_logprobs(tuned, test, window=window, stride=stride, progress=False)
        return {"nll": np.array([s.nll_sum for s in scores]), "tokens": np.array([s.n_scored for s in scores])}

    out = cache.get_or_compute("finetuned_scores", inputs, compute)
    return out["nll"], out["tokens"]

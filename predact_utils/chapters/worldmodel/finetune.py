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
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import torch
from transformers import Trainer, TrainingArguments

from predact_utils.lm.scoring import encode_documents, token_logprobs
from predact_utils.miniature.pretrain import BlockDataset, blocks_of, tokenize_corpus
from predact_utils.runs.cache import ArtifactCache, stable_hash

#: Fine-tuning methods: every weight (``full``), low-rank adapters (``lora``), or by size (``auto``).
METHODS: tuple[str, ...] = ("auto", "full", "lora")


@dataclass(frozen=True)
class FinetuneBudget:
    """Steps, block length, batch size, peak learning rate (cosine schedule), training-token cap, and how the
    weights are tuned: ``full``, ``lora`` (rank ``lora_rank`` adapters on every linear layer, the model frozen
    in its dtype), or ``auto``: LoRA for models of more than ``lora_above`` parameters. Full fine-tuning keeps
    float32 weights and AdamW states, about 16 bytes per parameter (112 GB for a 7B model); LoRA keeps the
    frozen weights and a few million trained ones."""

    steps: int = 60
    block: int = 256
    batch: int = 8
    lr: float = 3e-4
    max_train_tokens: int = 400_000
    method: str = "auto"
    lora_above: int = 1_000_000_000
    lora_rank: int = 16

    def __post_init__(self) -> None:
        if self.steps < 1 or self.block < 8 or self.batch < 1 or self.lr <= 0:
            raise ValueError(f"bad fine-tuning budget {self}: steps, block, batch and lr must be positive")
        if self.method not in METHODS:
            raise ValueError(f"fine-tuning method must be one of {METHODS}, got {self.method!r}")
        if self.lora_rank < 1:
            raise ValueError(f"lora_rank must be >= 1, got {self.lora_rank}")

    def method_for(self, n_params: int) -> str:
        """``full`` or ``lora`` for a model of ``n_params`` parameters."""
        if self.method != "auto":
            return self.method
        return "lora" if n_params > self.lora_above else "full"

    def describe(self, method: str) -> str:
        """A resolved method in words, for the page."""
        if method == "lora":
            return (f"LoRA (peft; rank {self.lora_rank}, alpha {2 * self.lora_rank}, on every linear layer; the "
                    "model's own weights frozen)")
        return "full fine-tuning of every weight (float32 weights and AdamW states)"


def training_blocks(tokenizer: Any, texts: Sequence[str], budget: FinetuneBudget, seed: int) -> np.ndarray:
    """The packed, shuffled training blocks of a corpus (identical for both models of a pair)."""
    stream = tokenize_corpus(tokenizer, list(texts), budget.max_train_tokens)
    return blocks_of(stream, budget.block, seed)


def tokenizer_key(tokenizer: Any) -> str | None:
    """What decides how a fast tokenizer encodes a corpus for training (its whole serialised pipeline and
    end-of-text id), as a digest; ``None`` for a tokenizer without a serialisable backend."""
    backend = getattr(tokenizer, "backend_tokenizer", None)
    if backend is None:
        return None
    return stable_hash({"class": type(tokenizer).__name__, "backend": backend.to_str(), "eos": tokenizer.eos_token_id})


class CorpusBlocks:
    """One corpus' training blocks (:func:`training_blocks`), made once per tokenizer: the models of a family
    share a tokenizer, so Fig. 2B tokenizes each corpus once instead of once per model. Tokenizers are the same
    when :func:`tokenizer_key` is; one without a key is always tokenized afresh."""

    def __init__(self, texts: Sequence[str], budget: FinetuneBudget, seed: int) -> None:
        self.texts, self.budget, self.seed = list(texts), budget, seed
        self.texts_hash = stable_hash(self.texts)
        self.made = 0
        self._blocks: dict[str, np.ndarray] = {}

    def for_tokenizer(self, tokenizer: Any) -> np.ndarray:
        """The blocks as ``tokenizer`` encodes the corpus."""
        key = tokenizer_key(tokenizer)
        if key is not None and key in self._blocks:
            return self._blocks[key]
        blocks = training_blocks(tokenizer, self.texts, self.budget, self.seed)
        self.made += 1
        if key is not None:
            self._blocks[key] = blocks
        return blocks


def _training_args(tmp: str, budget: FinetuneBudget, seed: int, bf16: bool) -> TrainingArguments:
    return TrainingArguments(
        output_dir=tmp, per_device_train_batch_size=budget.batch, max_steps=budget.steps,
        learning_rate=budget.lr, lr_scheduler_type="cosine", warmup_steps=0.1, weight_decay=0.0,
        logging_steps=max(1, budget.steps // 5), save_strategy="no", seed=seed, data_seed=seed,
        use_cpu=not torch.cuda.is_available(), report_to=[], dataloader_num_workers=0, disable_tqdm=True,
        bf16=bf16,
    )


def finetune(model: Any, blocks: np.ndarray, budget: FinetuneBudget, seed: int) -> Any:
    """A fully fine-tuned copy of ``model`` (the original is left untouched), trained with ``Trainer``.

    The copy trains with float32 weights and optimizer states; a model that computes in bf16 (on GPU, or
    on a CPU with AMX, see :func:`predact_utils.lm.models.default_dtype`) trains with bf16 mixed precision
    (``TrainingArguments(bf16=True)``, autocast), and the tuned copy is returned in the parent's dtype.
    """
    torch.manual_seed(seed)
    dtype = model.dtype
    m = copy.deepcopy(model).float().train()
    with tempfile.TemporaryDirectory() as tmp:
        Trainer(model=m, args=_training_args(tmp, budget, seed, dtype == torch.bfloat16),
                train_dataset=BlockDataset(blocks)).train()
    return m.to(dtype).eval()


@contextmanager
def lora_tuned(model: Any, blocks: np.ndarray, budget: FinetuneBudget, seed: int) -> Iterator[Any]:
    """``model`` with LoRA adapters trained on ``blocks`` (peft), for the ``with`` block; the adapters are
    removed afterwards (``unload``), so the loaded model is the original again, even after an error."""
    from peft import LoraConfig, get_peft_model

    torch.manual_seed(seed)
    config = LoraConfig(r=budget.lora_rank, lora_alpha=2 * budget.lora_rank, lora_dropout=0.0,
                        target_modules="all-linear", task_type="CAUSAL_LM")
    tuned = get_peft_model(model, config)
    try:
        tuned.train()
        with tempfile.TemporaryDirectory() as tmp:
            Trainer(model=tuned, args=_training_args(tmp, budget, seed, model.dtype == torch.bfloat16),
                    train_dataset=BlockDataset(blocks)).train()
        tuned.eval()
        yield tuned
    finally:
        tuned.unload()
        model.eval()


@contextmanager
def tuned_model(model: Any, blocks: np.ndarray, budget: FinetuneBudget, seed: int) -> Iterator[Any]:
    """The model fine-tuned by the budget's method for its size (:meth:`FinetuneBudget.method_for`)."""
    if budget.method_for(sum(p.numel() for p in model.parameters())) == "lora":
        with lora_tuned(model, blocks, budget, seed) as m:
            yield m
    else:
        yield finetune(model, blocks, budget, seed)


def finetuned_test_scores(lm: Any, train_texts: Sequence[str], test_texts: Sequence[str], budget: FinetuneBudget,
                          seed: int = 0, window: int = 512, stride: int = 256,
                          cache: ArtifactCache | None = None,
                          blocks: CorpusBlocks | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Per-document NLL sums and token counts on ``test_texts`` after fine-tuning on ``train_texts`` (cached);
    ``blocks``, made for the same texts, budget and seed, shares the tokenized corpus between models."""
    cache = cache or ArtifactCache()
    tok = lm.tokenizer
    test = encode_documents(tok, test_texts)
    method = budget.method_for(sum(p.numel() for p in lm.model.parameters()))
    shape = {k: v for k, v in asdict(budget).items() if k not in ("method", "lora_above", "lora_rank")}
    if method == "lora":
        shape["lora_rank"] = budget.lora_rank
    if blocks is None:
        blocks = CorpusBlocks(train_texts, budget, seed)
    elif (blocks.texts_hash, blocks.budget, blocks.seed) != (stable_hash(list(train_texts)), budget, seed):
        raise ValueError("the shared training blocks were made for other texts, budget or seed than this "
                         "fine-tuning's; make one CorpusBlocks per corpus and budget")
    inputs = {"model": lm.cache_id, "train": blocks.texts_hash, "test": stable_hash(test),
              "budget": shape, "method": method, "seed": seed, "window": window, "stride": stride,
              "code": "finetune-2"}

    def compute() -> dict[str, np.ndarray]:
        with tuned_model(lm.model, blocks.for_tokenizer(tok), budget, seed) as tuned:
            scores = token_logprobs(tuned, test, window=window, stride=stride, progress=False)
        return {"nll": np.array([s.nll_sum for s in scores]), "tokens": np.array([s.n_scored for s in scores])}

    out = cache.get_or_compute("finetuned_scores", inputs, compute)
    return out["nll"], out["tokens"]

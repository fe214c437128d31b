"""The organism's RL stage: trl's RLOO from the SFT model against the task's programmatic reward.

The world's ids become a word-level tokenizer (:func:`organism_tokenizer`: ``e`` = end, ``w1..wV`` = words,
``r0..`` = requests, ``<bos>``), so that trl samples and trains the tiny Llama as it would any causal LM. The
reward of a completion is :meth:`~predact_utils.organism.task.Task.reward` on its token ids (the end token
included when the answer ended): exact, checkable, with no learned reward model. ``beta`` is the KL penalty
towards the SFT model (trl loads it from the same folder as the reference).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from predact_utils.organism.lm import bos_token
from predact_utils.organism.task import Task

END, BOS = "e", "<bos>"


@dataclass(frozen=True)
class RLBudget:
    """The RL stage's knobs: steps, KL coefficient ``beta``, learning rate, prompts per batch and samples per
    prompt (RLOO's leave-one-out baseline needs at least 2)."""

    steps: int = 30
    beta: float = 0.05
    lr: float = 3e-3
    batch: int = 16
    num_generations: int = 8

    def __post_init__(self) -> None:
        if self.steps < 1 or self.lr <= 0 or self.beta < 0 or self.num_generations < 2 or self.batch < 1:
            raise ValueError(f"bad RL budget {self}: steps >= 1, lr > 0, beta >= 0, num_generations >= 2")
        if self.batch % self.num_generations:
            raise ValueError(f"batch ({self.batch}) must be a multiple of num_generations ({self.num_generations})")


def vocabulary(task: Task) -> dict[str, int]:
    """The organism's token strings and their ids (the world's ids, the requests, the beginning token)."""
    w = task.world
    return {END: 0, **{f"w{i}": i for i in range(1, w.vocab + 1)},
            **{f"r{k}": task.request_token(k) for k in range(w.n_topics)}, BOS: bos_token(task.n_tokens)}


def organism_tokenizer(task: Task) -> Any:
    """A word-level fast tokenizer over :func:`vocabulary` (whitespace-separated tokens; end = pad = ``e``;
    prompts padded on the left, as generation needs)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    tk = Tokenizer(models.WordLevel(vocabulary(task), unk_token=END))
    tk.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(tokenizer_object=tk, eos_token=END, pad_token=END)
    tok.padding_side = "left"
    return tok


def request_prompt(task: Task, topic: int) -> str:
    """The text of a request for ``topic`` (the beginning token, then the request token)."""
    task.request_token(topic)  # refuses an unknown topic
    return f"{BOS} r{topic}"


def reward_function(task: Task) -> Any:
    """The reward trl calls: per completion, the task's reward of its token ids for its row's ``topic``."""
    def reward(completions: Sequence[Any], completion_ids: Sequence[Sequence[int]], topic: Sequence[int],
               **_: Any) -> list[float]:
        return [task.reward(int(k), [int(t) for t in ids]) for ids, k in zip(completion_ids, topic, strict=True)]

    reward.__name__ = "programmatic_reward"
    return reward


def save_for_trl(model: torch.nn.Module, task: Task, folder: Path) -> Path:
    """Write ``model`` with its tokenizer and a generation config that stops at the end token (trl reads the
    policy and the KL reference from this folder)."""
    model.generation_config.eos_token_id = 0
    model.generation_config.pad_token_id = 0
    model.generation_config.bos_token_id = None
    model.save_pretrained(folder)
    organism_tokenizer(task).save_pretrained(folder)
    return folder


class Snapshots:
    """A trl callback that keeps a copy of the policy's weights at chosen steps (the RL-steps knob)."""

    def __init__(self, steps: Sequence[int]) -> None:
        from transformers import TrainerCallback

        wanted = set(int(x) for x in steps)
        self.states: dict[int, dict[str, torch.Tensor]] = {}
        states = self.states

        class _Keep(TrainerCallback):
            def on_step_end(self, args: Any, state: Any, control: Any, model: Any = None, **_: Any) -> None:
                if state.global_step in wanted and model is not None:
                    states[state.global_step] = {k: v.detach().clone() for k, v in model.state_dict().items()}

        self.callback = _Keep()


def reinforce(sft_dir: Path, task: Task, topics: Sequence[int], budget: RLBudget, seed: int,
              work_dir: Path, snapshot_steps: Sequence[int] = ()) -> tuple[torch.nn.Module, list[float],
                                                                            dict[int, dict[str, torch.Tensor]]]:
    """RLOO from the model in ``sft_dir`` (written by :func:`save_for_trl`) on requests for ``topics`` (cycled),
    float32 on the CPU; returns the trained model (eval mode), the mean reward of each step, and the weights
    at each of ``snapshot_steps``."""
    from datasets import Dataset
    from trl import RLOOConfig, RLOOTrainer

    rows = [int(k) for k in topics]
    reps = max(1, -(-budget.steps * budget.batch // len(rows)))
    data = Dataset.from_dict({"prompt": [request_prompt(task, k) for k in rows] * reps, "topic": rows * reps})
    args = RLOOConfig(output_dir=str(work_dir), max_steps=budget.steps, learning_rate=budget.lr,
                      per_device_train_batch_size=budget.batch, num_generations=budget.num_generations,
                      max_completion_length=task.max_words + 1, beta=budget.beta, temperature=1.0, top_p=1.0,
                      use_cpu=True, bf16=False, report_to=[], logging_steps=1, save_strategy="no", seed=seed,
                      data_seed=seed, disable_tqdm=True, dataloader_num_workers=0)
    torch.manual_seed(seed)
    snaps = Snapshots(snapshot_steps)
    trainer = RLOOTrainer(model=str(sft_dir), reward_funcs=reward_function(task), args=args, train_dataset=data,
                          processing_class=organism_tokenizer(task), callbacks=[snaps.callback])
    from transformers.trainer_callback import PrinterCallback, ProgressCallback

    for quiet in (PrinterCallback, ProgressCallback):  # the page shows results, not a log per step
        trainer.remove_callback(quiet)
    trainer.train()
    log = [float(h["reward"]) for h in trainer.state.log_history if "reward" in h]
    return trainer.model.eval(), log, snaps.states

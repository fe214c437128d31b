"""Shared training plumbing of the miniature family: deadlines, resumable runs, atomic saves (miniature section)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import torch
from transformers import PreTrainedTokenizerBase, TrainerCallback
from transformers.trainer_utils import get_last_checkpoint


class Deadline(TrainerCallback):
    """Stop training after ``minutes`` (saving a checkpoint first), so long stages run in slices."""

    def __init__(self, minutes: float) -> None:
        self.deadline = time.time() + minutes * 60

    def on_step_end(self, args: Any, state: Any, control: Any, **kwargs: Any) -> Any:
        if time.time() > self.deadline:
            control.should_save = True
            control.should_training_stop = True
        return control


def last_checkpoint(work_dir: Path) -> str | None:
    """The newest ``checkpoint-N`` folder of a run, or None to start fresh."""
    return get_last_checkpoint(str(work_dir)) if work_dir.is_dir() else None


def add_wall(work_dir: Path, seconds: float) -> float:
    """Add ``seconds`` to the run's recorded wall time (kept across resumed slices); return the total."""
    f = work_dir / "wall_seconds.txt"
    total = (float(f.read_text()) if f.exists() else 0.0) + seconds
    work_dir.mkdir(parents=True, exist_ok=True)
    f.write_text(f"{total:.1f}\n")
    return total


def save_final(model: torch.nn.Module, tok: PreTrainedTokenizerBase, out_dir: Path) -> None:
    """Save a model as float16 safetensors plus its tokenizer, atomically (temp folder, then rename)."""
    tmp = out_dir.with_name(out_dir.name + ".tmp")
    if tmp.exists():
        shutil.rmtree(tmp)
    model = model.to(torch.float16)
    model.save_pretrained(str(tmp), safe_serialization=True)
    tok.save_pretrained(str(tmp))
    model.to(torch.float32)
    if out_dir.exists():
        shutil.rmtree(out_dir)
    tmp.rename(out_dir)


def loss_log(log_history: list[dict[str, Any]], key: str = "loss") -> list[dict[str, float]]:
    """The ``(step, value)`` entries of a Trainer log history."""
    return [{"step": h["step"], key: h[key]} for h in log_history if key in h]

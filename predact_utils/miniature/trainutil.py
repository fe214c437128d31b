"""Shared training plumbing of the miniature family: deadlines, resumable runs, atomic saves (miniature section)."""

from __future__ import annotations

import json
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


#: CPU flags of native bfloat16 matrix instructions.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def train_precision(cpuinfo: str | None = None) -> str:
    """``bf16`` (trl's default: bfloat16 autocast) on a CPU with native bfloat16 matrix instructions, else
    ``fp32``: without them PyTorch multiplies bfloat16 matrices in a scalar fallback, and one DPO step of the
    medium model took 180 s instead of 10.6 s (2-core AMD EPYC with AVX2 only). The rule is fixed in advance
    and each stage records the precision it was trained in."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text()
        except OSError:
            cpuinfo = ""
    flags = set()
    for line in cpuinfo.splitlines():
        if line.startswith("flags"):
            flags.update(line.split(":", 1)[1].split())
    return "bf16" if any(f in flags for f in BF16_FLAGS) else "fp32"


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


def plateaued(values: list[float], window: int, patience: int, min_delta: float) -> int | None:
    """The index at which a logged curve stopped improving, or None while it still improves.

    The curve is smoothed by a trailing mean over ``window`` values; it has plateaued at index ``i`` when the
    smoothed value at ``i`` is still not above the best smoothed value seen ``patience`` values earlier (or
    before) by more than ``min_delta``."""
    if window < 1 or patience < 1:
        raise ValueError(f"window and patience must be >= 1, got {window} and {patience}")
    smooth = [sum(values[i - window + 1:i + 1]) / window for i in range(window - 1, len(values))]
    best, best_at = float("-inf"), -1
    for i, v in enumerate(smooth):
        if v > best + min_delta:
            best, best_at = v, i
        elif i - best_at >= patience:
            return i + window - 1
    return None


class RewardPlateau(TrainerCallback):
    """Stop an RL stage once its mean reward stops improving (:func:`plateaued` over the logged ``key``),
    writing ``plateau.json`` into ``work_dir`` so that the stage counts as finished; resumable, because the
    curve is read from the trainer's log history."""

    def __init__(self, work_dir: Path, window: int, patience: int, min_delta: float, key: str = "reward") -> None:
        self.work_dir, self.window, self.patience, self.min_delta, self.key = work_dir, window, patience, min_delta, key

    def on_log(self, args: Any, state: Any, control: Any, logs: dict[str, float] | None = None, **kwargs: Any) -> Any:
        curve = [h[self.key] for h in state.log_history if self.key in h]
        at = plateaued(curve, self.window, self.patience, self.min_delta)
        if at is not None:
            steps = [h["step"] for h in state.log_history if self.key in h]
            info = {"stopped_at_step": state.global_step, "plateau_log_index": at, "plateau_step": steps[at],
                    "window": self.window, "patience": self.patience, "min_delta": self.min_delta,
                    "reward_curve": curve, "curve_steps": steps}
            self.work_dir.mkdir(parents=True, exist_ok=True)
            (self.work_dir / "plateau.json").write_text(json.dumps(info, indent=1))
            control.should_save = True
            control.should_training_stop = True
        return control

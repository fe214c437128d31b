"""Reward-model scores of (prompt, answer) chats (miniature RLHF sanity numbers; frontier section).

A reward model here is a ``AutoModelForSequenceClassification`` checkpoint with
one label, trained on preference pairs (``trl``'s reward trainer); an answer's
score is that label's logit on the chat ``[user: prompt, assistant: answer]``
written with the reward model's own chat template.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch


def load_reward_model(location: str, allow_download: bool = False) -> tuple[Any, Any]:
    """(model, tokenizer) of a reward checkpoint folder or cached hub id; offline unless allowed."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    try:
        tok = AutoTokenizer.from_pretrained(location, local_files_only=not allow_download)
        model = AutoModelForSequenceClassification.from_pretrained(location, local_files_only=not allow_download)
    except OSError as err:
        raise FileNotFoundError(
            f"reward model {location!r} is not available offline: build the miniature family (make miniature) "
            "or pass the folder of a local reward checkpoint"
        ) from err
    if model.config.num_labels != 1:
        raise ValueError(f"{location} has {model.config.num_labels} labels; a reward model has exactly one")
    return model.eval(), tok


@torch.no_grad()
def reward_scores(reward_model: Any, tok: Any, prompts: Sequence[str], answers: Sequence[str]) -> np.ndarray:
    """Reward-model scores of (prompt, answer) chats, one float each."""
    if len(prompts) != len(answers):
        raise ValueError(f"{len(prompts)} prompts but {len(answers)} answers")
    out = []
    device = reward_model.get_input_embeddings().weight.device
    for p, a in zip(prompts, answers, strict=True):
        text = tok.apply_chat_template([{"role": "user", "content": p}, {"role": "assistant", "content": a}],
                                       tokenize=False)
        ids = tok(text, add_special_tokens=False, return_tensors="pt").to(device)
        out.append(float(reward_model(**ids).logits[0, 0]))
    return np.array(out)

"""Model cards of the miniature checkpoints: measured numbers in ``card.json``, prose in ``README.md``.

Each checkpoint folder under ``data/models/`` carries both. ``card.json`` is
what tests and notebooks read (parent model, data, steps, tokens, wall time,
seed, losses, sanity numbers and the exact document / prompt subsets they were
measured on); ``README.md`` renders the same numbers for people, with a few
sampled generations and what the model can and cannot do.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

CARD = "card.json"


def write_card(model_dir: Path, card: dict[str, Any]) -> None:
    """Write ``card.json`` and ``README.md`` atomically into ``model_dir``."""
    for name, text in ((CARD, json.dumps(card, indent=1, ensure_ascii=False) + "\n"), ("README.md", render(card))):
        tmp = model_dir / f".{name}.tmp"
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, model_dir / name)


def read_card(model_dir: Path) -> dict[str, Any]:
    """The measured numbers of a checkpoint; a clear error when the card is missing."""
    p = Path(model_dir) / CARD
    if not p.exists():
        raise FileNotFoundError(f"{p} is missing; run `make miniature` (stage `cards`) to measure and write it")
    return json.loads(p.read_text(encoding="utf-8"))


def _fmt(x: Any) -> str:
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def render(card: dict[str, Any]) -> str:
    """A human-readable model card from ``card``."""
    lines = [
        "---",
        "library_name: transformers",
        "license: other",
        f"base_model: {card.get('parent') or 'none (trained from scratch)'}",
        "tags: [predact, miniature, llama]",
        "---",
        "",
        f"# {card['name']}",
        "",
        card.get("summary", ""),
        "",
        "Part of the miniature model family of *predact*, the executable book of "
        "*Predicting vs. Acting* (Li et al., 2024, arXiv:2407.02446). Built by `make miniature`; "
        "every number below was measured by `predact_utils.miniature` when the checkpoint was made.",
        "",
        "## Training",
        "",
        "| what | value |",
        "|---|---|",
    ]
    for k in ("parent", "method", "architecture", "parameters", "data", "steps", "tokens_seen", "tokens_per_parameter",
              "wall_seconds", "precision", "seed", "final_train_loss"):
        if k in card:
            lines.append(f"| {k.replace('_', ' ')} | {_fmt(card[k])} |")
    if "validation" in card:
        lines += ["", "## Validation perplexity (per evaluation corpus)", "",
                  "| corpus | model | bigram baseline | scored tokens |", "|---|---|---|---|"]
        for name, v in card["validation"].items():
            lines.append(f"| {name} | {_fmt(v['ppl'])} | {_fmt(v.get('bigram_ppl', float('nan')))} | {v['tokens']} |")
    for key, title in (("behaviour", "Assistant behaviour on the 80 prompts (nucleus p = 0.9)"),
                       ("preference", "Held-out preference accuracy (DPO implicit reward)"),
                       ("reward_vs_sft", "Reward-model score of samples vs the SFT model")):
        if key in card:
            lines += ["", f"## {title}", ""]
            for k, v in card[key].items():
                if k != "examples":
                    lines.append(f"- {k.replace('_', ' ')}: {_fmt(v)}")
    examples = card.get("behaviour", {}).get("examples") or card.get("examples")
    if examples:
        lines += ["", "## Sampled generations", ""]
        for ex in examples:
            lines += [f"**Prompt:** {ex['prompt']}", "", "```text", ex["answer"].strip()[:800], "```", ""]
    if card.get("history"):
        lines += ["", "## How this recipe was chosen", "", card["history"], ""]
    if card.get("limitations"):
        lines += ["", "## What it can and cannot do", "", card["limitations"], ""]
    return "\n".join(lines).rstrip() + "\n"

"""How a prompt reaches each model of a pair (generation sections: Fig. 1, Fig. 3-5, cross-perplexity).

The aligned model gets its prompt through its chat template (user turn plus the
assistant marker, ``add_generation_prompt=True``); the Base model gets the raw
prompt text. Why the asymmetry: each model is asked in the form it was trained
on. The Base model never saw the chat markers during pre-training, so wrapping
its prompt in them would measure how it copes with unfamiliar markup rather
than its model of the world; the aligned model was tuned to answer a user turn,
and without its template it behaves like a degraded Base model. The paper
compares the models "as deployed", so the book does the same and says so in
the methods page. Gold-text scoring (corpora perplexity) uses raw text for both.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

ROLES = ("base", "aligned")


class ChatTemplateError(ValueError):
    """An aligned model's tokenizer has no chat template and the registry gives none."""


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"role must be one of {ROLES}, got {role!r}")


def format_prompt(tokenizer: Any, prompt: str, role: str, system: str | None = None) -> str:
    """The text a model of ``role`` sees for ``prompt``: raw for Base, chat-templated for aligned."""
    _check_role(role)
    if role == "base":
        return prompt if system is None else f"{system}\n\n{prompt}"
    if not getattr(tokenizer, "chat_template", None):
        raise ChatTemplateError(
            "the aligned model's tokenizer has no chat_template; give the pair a 'builtin:<name>' template "
            "in predact_utils/lm/registry.yaml or set tokenizer.chat_template before sampling"
        )
    messages = ([{"role": "system", "content": system}] if system else []) + [{"role": "user", "content": prompt}]
    return tokenizer.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)


def encode_prompt(tokenizer: Any, prompt: str, role: str, system: str | None = None) -> list[int]:
    """Token ids of :func:`format_prompt`.

    Base prompts get the tokenizer's own special tokens (e.g. Llama's BOS); templated prompts
    are encoded without adding any, since the template writes them itself.
    """
    text = format_prompt(tokenizer, prompt, role, system)
    ids = tokenizer(text, add_special_tokens=(role == "base"))["input_ids"]
    if not ids:
        raise ValueError(f"prompt {prompt!r} encodes to no tokens for the {role} model; give a non-empty prompt")
    return list(ids)


def encode_prompts(tokenizer: Any, prompts: Sequence[str], role: str, system: str | None = None) -> list[list[int]]:
    """:func:`encode_prompt` for every prompt."""
    return [encode_prompt(tokenizer, p, role, system) for p in prompts]


def stop_token_ids(tokenizer: Any, model: Any | None = None) -> list[int]:
    """Token ids that end a generation: the tokenizer's eos plus the model's generation-config eos ids."""
    ids: set[int] = set()
    if tokenizer.eos_token_id is not None:
        ids.add(int(tokenizer.eos_token_id))
    gen_cfg = getattr(model, "generation_config", None)
    eos = getattr(gen_cfg, "eos_token_id", None)
    if eos is not None:
        ids.update(int(e) for e in (eos if isinstance(eos, (list, tuple)) else [eos]))
    if not ids:
        raise ValueError("neither the tokenizer nor the model defines an eos token; set tokenizer.eos_token")
    return sorted(ids)

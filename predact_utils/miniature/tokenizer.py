"""Byte-level BPE tokenizer of the miniature family, with a chat template (miniature family section).

The tokenizer mirrors what a real chat model ships: an end-of-text token that
ends documents and assistant turns, a separate padding token (so that padding
is never confused with the end of an answer during fine-tuning), and a chat
template with user / assistant markers, so ``tokenizer.apply_chat_template``
works as on Llama-2-chat.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

EOS = "<|endoftext|>"
PAD = "<|pad|>"
USER = "<|user|>"
ASSISTANT = "<|assistant|>"
SPECIAL_TOKENS: tuple[str, ...] = (EOS, PAD, USER, ASSISTANT)

#: Chat template: ``<|user|>\n{question}\n<|assistant|>\n{answer}<|endoftext|>``.
#: The ``generation`` block marks assistant tokens for trl's assistant-only loss.
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{% if message['role'] == 'user' %}"
    "{{ '<|user|>\\n' + message['content'] + '\\n' }}"
    "{% elif message['role'] == 'assistant' %}"
    "{{ '<|assistant|>\\n' }}{% generation %}{{ message['content'] + '<|endoftext|>' }}{% endgeneration %}"
    "{{ '\\n' }}"
    "{% elif message['role'] == 'system' %}"
    "{{ message['content'] + '\\n' }}"
    "{% endif %}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>\\n' }}{% endif %}"
)


def balanced_sample(corpora: dict[str, Sequence[str]], total_bytes: int, seed: int) -> list[str]:
    """An equal byte budget of documents from each corpus, in a seeded random order.

    Long documents are cut to 20k characters so that each corpus contributes
    many documents rather than a few very long ones.
    """
    if not corpora:
        raise ValueError("no corpora given to sample the tokenizer's training text from")
    per = total_bytes / len(corpora)
    rng = random.Random(seed)
    out: list[str] = []
    for name in sorted(corpora):
        docs = list(corpora[name])
        rng.shuffle(docs)
        got = 0
        for d in docs:
            if got >= per:
                break
            d = d[:20000]
            out.append(d)
            got += len(d.encode())
    rng.shuffle(out)
    return out


def train_tokenizer(texts: Iterable[str], vocab_size: int = 8192, min_frequency: int = 2) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on ``texts`` and wrap it with special tokens and the chat template.

    Training is deterministic for a fixed input order (the ``tokenizers`` BPE
    trainer breaks frequency ties by token content).
    """
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.post_processor = processors.ByteLevel(trim_offsets=False)
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        min_frequency=min_frequency,
        special_tokens=list(SPECIAL_TOKENS),
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    texts = list(texts)
    tok.train_from_iterator(texts, trainer=trainer, length=len(texts))
    return wrap(tok)


def wrap(tok: Tokenizer) -> PreTrainedTokenizerFast:
    """A ``PreTrainedTokenizerFast`` around a trained ``tokenizers.Tokenizer``, ready for chat models."""
    hf = PreTrainedTokenizerFast(
        tokenizer_object=tok,
        bos_token=EOS,
        eos_token=EOS,
        unk_token=EOS,
        pad_token=PAD,
        additional_special_tokens=[USER, ASSISTANT],
        model_max_length=1024,
        padding_side="left",
    )
    hf.chat_template = CHAT_TEMPLATE
    return hf


def save_tokenizer(tok: PreTrainedTokenizerFast, out_dir: Path) -> None:
    """Save the tokenizer (``tokenizer.json``, config with the chat template) to ``out_dir``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(str(out_dir))

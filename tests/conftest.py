"""Shared fixtures: tiny random Llama checkpoints with a real BPE tokenizer and chat template; tiny books.

Everything is built in the test from a config (no download): a byte-level BPE
trained on a few sentences, wrapped as a fast tokenizer with eos/pad and a
user/assistant chat template, and a randomly initialised ``LlamaForCausalLM``.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

torch.set_num_threads(2)

SPECIALS = ["<|endoftext|>", "<|user|>", "<|assistant|>"]
CHAT_TEMPLATE = (
    "{% for m in messages %}{% if m['role'] == 'user' %}{{ '<|user|>' + m['content'] + '\n' }}"
    "{% elif m['role'] == 'assistant' %}{{ '<|assistant|>' + m['content'] + eos_token + '\n' }}"
    "{% else %}{{ m['content'] + '\n' }}{% endif %}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "What are the main differences between Python and JavaScript programming languages?",
    "A world model predicts the next token; an agent model acts for a person.",
    "Nucleus sampling keeps the smallest set of tokens whose mass reaches p.",
    "Perplexity is the exponential of the mean negative log-likelihood.",
] * 4


def make_tokenizer(vocab_size: int = 300, chat_template: str | None = CHAT_TEMPLATE):
    """A byte-level BPE tokenizer trained on :data:`SENTENCES`, as a transformers fast tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size, special_tokens=SPECIALS, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(SENTENCES, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|endoftext|>", pad_token="<|endoftext|>")
    if chat_template:
        fast.chat_template = chat_template
    return fast


def make_model(vocab_size: int, seed: int = 0, layers: int = 2, hidden: int = 32, eos_id: int = 0):
    """A tiny random ``LlamaForCausalLM`` (2 layers, d = 32) in float32, eval mode."""
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    cfg = LlamaConfig(
        vocab_size=vocab_size, hidden_size=hidden, intermediate_size=2 * hidden, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=256, eos_token_id=eos_id,
        pad_token_id=eos_id, bos_token_id=eos_id, tie_word_embeddings=False,
    )
    model = LlamaForCausalLM(cfg).eval()
    with torch.no_grad():  # larger weights than the default init, so distributions are not flat
        for p in model.parameters():
            if p.dim() == 2:
                p.normal_(0.0, 0.3)
    return model


def save_checkpoint(folder: Path, seed: int = 0, chat_template: str | None = CHAT_TEMPLATE, tokenizer=None) -> Path:
    """Save a tiny model + tokenizer as a Hugging Face checkpoint folder."""
    tok = tokenizer or make_tokenizer(chat_template=chat_template)
    model = make_model(len(tok), seed=seed, eos_id=tok.eos_token_id)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    tok.save_pretrained(folder)
    return folder


@pytest.fixture(scope="session")
def tiny_tokenizer():
    return make_tokenizer()


@pytest.fixture(scope="session")
def tiny_model(tiny_tokenizer):
    return make_model(len(tiny_tokenizer), eos_id=tiny_tokenizer.eos_token_id)


@pytest.fixture(scope="session")
def tiny_pair_dir(tmp_path_factory) -> Path:
    """A models folder holding ``tiny-base`` (no chat template) and ``tiny-rlhf`` (with one)."""
    root = tmp_path_factory.mktemp("models")
    tok = make_tokenizer()
    save_checkpoint(root / "tiny-base", seed=0, tokenizer=tok)
    save_checkpoint(root / "tiny-rlhf", seed=1, tokenizer=tok)
    return root


@pytest.fixture()
def isolated_paths(tmp_path, monkeypatch):
    """Point the artifact cache, models and hub cache at empty temporary folders."""
    monkeypatch.setenv("PREDACT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PREDACT_MODELS", str(tmp_path / "models"))
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hub"))
    monkeypatch.delenv("PREDACT_ALLOW_DOWNLOAD", raising=False)
    (tmp_path / "models").mkdir()
    return tmp_path


REPO = Path(__file__).resolve().parent.parent


def make_book(folder: Path, notebooks: dict[str, str], intro_extra: str = "") -> Path:
    """A tiny Jupyter Book under ``folder / "book"``: the repository's ``_config.yml`` and bibliography, an
    intro page (plus ``intro_extra``) and one chapter per ``notebooks`` entry (stem -> percent-script text)."""
    root = folder / "book"
    (root / "book").mkdir(parents=True)
    (root / "notebooks").mkdir()
    shutil.copy2(REPO / "_config.yml", root / "_config.yml")
    for asset in ("references.bib", "favicon.png"):
        shutil.copy2(REPO / "book" / asset, root / "book" / asset)
    (root / "_toc.yml").write_text("format: jb-book\nroot: book/intro\nchapters:\n"
                                   + "".join(f"  - file: notebooks/{n}\n" for n in notebooks))
    (root / "book" / "intro.md").write_text("# Intro\n\nA tiny book for a build test.\n" + intro_extra)
    for stem, text in notebooks.items():
        (root / "notebooks" / f"{stem}.py").write_text(text)
    return root


def build_book(root: Path, *options: str) -> subprocess.CompletedProcess[str]:
    """``python -m predact_utils.book.make`` (pre-flight, then build) on a :func:`make_book` book at smoke scale,
    with extra ``options``."""
    return subprocess.run(
        [sys.executable, "-m", "predact_utils.book.make", "--root", str(root), "--scale", "smoke",
         "--out", str(root / "_build"), *options],
        capture_output=True, text=True, timeout=600, check=False,
    )


def chapter_package_source(notebook: Path) -> str:
    """All source text of the chapter package a notebook runs (``from predact_utils.chapters import X as
    chapter``), or "" for a notebook without one."""
    import re

    found = re.findall(r"^from predact_utils\.chapters import (\w+) as chapter$", notebook.read_text(), re.M)
    if not found:
        return ""
    folder = Path(__file__).resolve().parent.parent / "predact_utils" / "chapters" / found[0]
    return "\n".join(f.read_text() for f in sorted(folder.glob("*.py")))

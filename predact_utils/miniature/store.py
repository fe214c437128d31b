"""Where the miniature trainer keeps its state: the shared tokenizer, the token pool, resumable work folders.

Imported by the stages (``build``) and by the measurements (``measure``), so neither imports the other.
"""

from __future__ import annotations

from pathlib import Path

from predact_utils import paths

#: The seed of every stage of the miniature family.
SEED = 0


def work_dir() -> Path:
    """Resumable intermediate state (git-ignored)."""
    return paths.cache_dir() / "miniature" / "work"


def tokenizer_dir() -> Path:
    return paths.models_dir() / "tokenizer"


def load_tokenizer():  # type: ignore[no-untyped-def]
    from transformers import AutoTokenizer

    d = tokenizer_dir()
    if not (d / "tokenizer.json").exists():
        raise FileNotFoundError(f"no tokenizer at {d}; run the `tokenizer` stage first")
    return AutoTokenizer.from_pretrained(str(d))


def pool_path(block: int) -> Path:
    return work_dir() / f"pool_block{block}_seed{SEED}.npy"

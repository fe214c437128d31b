"""predact_utils.corpora: the offline corpora of the book, loaded as ``datasets.Dataset`` (book section: Data).

>>> import predact_utils.corpora as c
>>> c.load("kjv_bible", "validation")          # committed, works offline
>>> c.names(role="eval"), c.categories()

Evaluation splits (``validation``/``test`` of the 9 evaluation corpora) are
committed under ``data/corpora/eval/``; every other split, including all
``train`` splits, is rebuilt by ``make data`` under ``data/corpora/build/``.
See :mod:`predact_utils.corpora.registry` for the corpora and
:mod:`predact_utils.corpora.build` for the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from predact_utils.corpora.io import read_jsonl
from predact_utils.corpora.manifest import corpora_dir, load_manifest
from predact_utils.corpora.registry import CATEGORIES, SPECS, spec
from predact_utils.corpora.splits import SPLITS

__all__ = ["load", "load_texts", "names", "categories", "category_of", "split_path", "load_manifest", "SPLITS"]


def names(role: str | None = None, category: str | None = None) -> list[str]:
    """Corpus names, optionally only one ``role`` (``eval``/``prefix``/``train``) or ``category``."""
    return [s.name for s in SPECS if (role is None or s.role == role) and (category is None or s.category == category)]


def categories() -> tuple[str, ...]:
    """The four categories: literature, reference, technical (docs + code), dialogue."""
    return CATEGORIES


def category_of(name: str) -> str:
    """The category of corpus ``name``."""
    return spec(name).category


def split_path(name: str, split: str) -> Path:
    """The file of one split: the committed one if it exists, else the full build's."""
    s = spec(name)
    if split not in SPLITS or (split == "train" and not s.has_train):
        raise ValueError(f"corpus {name!r} has no split {split!r}; splits: {SPLITS if s.has_train else SPLITS[1:]}")
    for sub in ("eval", "build"):
        p = corpora_dir() / sub / name / f"{split}.jsonl"
        if p.exists():
            return p
    raise FileNotFoundError(
        f"split {name}/{split} is not built: only the held-out splits of the evaluation corpora "
        f"({', '.join(names('eval'))}) are committed. Run `make data` to build it under {corpora_dir() / 'build'}.")


def load_texts(name: str, split: str) -> list[dict[str, Any]]:
    """The rows (``id``, ``source``, ``text``) of one split as plain dicts."""
    return list(read_jsonl(split_path(name, split)))


def load(name: str, split: str) -> Any:
    """One split of a corpus as a ``datasets.Dataset`` with string columns ``id``, ``source``, ``text``."""
    import datasets

    features = datasets.Features({k: datasets.Value("string") for k in ("id", "source", "text")})
    return datasets.Dataset.from_list(load_texts(name, split), features=features)

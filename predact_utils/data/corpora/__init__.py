"""predact_utils.data.corpora: the offline corpora of the book, loaded as ``datasets.Dataset`` (book section: Data).

>>> import predact_utils.data.corpora as c
>>> c.load("kjv_bible", "validation")          # committed, works offline
>>> c.names(role="eval"), c.categories()

Evaluation splits (``validation``/``test`` of the 9 evaluation corpora) are
committed under ``data/corpora/eval/``; every other split, including all
``train`` splits, is rebuilt by ``make data`` under ``data/corpora/build/``.
See :mod:`predact_utils.data.corpora.registry` for the corpora and
:mod:`predact_utils.data.corpora.build` for the pipeline.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from predact_utils.data.corpora.io import read_jsonl
from predact_utils.data.corpora.manifest import corpora_dir, load_manifest
from predact_utils.data.corpora.registry import CATEGORIES, SPECS, spec
from predact_utils.data.corpora.splits import SPLITS
from predact_utils.params import list_entries

__all__ = ["load", "load_texts", "sample_texts", "select_eval", "names", "categories", "category_of", "split_path", "load_manifest", "SPLITS"]


def names(role: str | None = None, category: str | None = None) -> list[str]:
    """Corpus names, optionally only one ``role`` (``eval``/``prefix``/``train``) or ``category``."""
    return [s.name for s in SPECS if (role is None or s.role == role) and (category is None or s.category == category)]


def select_eval(chosen: str | list[str] = "", smoke: bool = False) -> list[str]:
    """Evaluation corpora a chapter runs on: ``chosen`` (``";"``-separated or a list; empty = all 9, in
    registry order), or at smoke scale the first corpus of each of the first two categories."""
    every = names(role="eval")
    picked = list_entries(chosen, "corpus_names")
    unknown = [c for c in picked if c not in every]
    if unknown:
        raise ValueError(f"unknown evaluation corpus {unknown}; choose from {every}")
    if picked:
        return picked
    if smoke:
        return [names(role="eval", category=cat)[0] for cat in categories() if names(role="eval", category=cat)][:2]
    return every


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


def _cut(text: str, max_chars: int) -> str:
    """``text`` cut to at most ``max_chars`` characters, at the last whitespace before the limit if any."""
    if len(text) <= max_chars:
        return text
    head = text[:max_chars]
    space = max(head.rfind(" "), head.rfind("\n"))
    return head[:space] if space > max_chars // 2 else head


def sample_texts(name: str, split: str = "test", *, max_docs: int = 0, max_chars: int = 0, max_doc_chars: int = 0,
                 seed: int = 0) -> list[str]:
    """Texts of a seeded random subset of a split's documents, for chapters that cannot afford a whole split.

    Documents are visited in a random order fixed by ``seed`` (splits keep the source order, so the
    first documents would all come from the same source files); each is cut to ``max_doc_chars``
    characters at a word boundary; documents are taken until ``max_docs`` documents or ``max_chars``
    characters in all (the document that crosses the limit is kept). A limit of 0 means none; with no
    limits the whole split is returned in its own order. The subset does not depend on any tokenizer,
    so every model of a run scores the same text.
    """
    import numpy as np

    for label, v in (("max_docs", max_docs), ("max_chars", max_chars), ("max_doc_chars", max_doc_chars)):
        if v < 0:
            raise ValueError(f"{label} must be >= 0 (0 = no limit), got {v}")
    texts = [r["text"] for r in load_texts(name, split)]
    if not (max_docs or max_chars or max_doc_chars):
        return texts
    order = np.random.default_rng([seed, len(texts)]).permutation(len(texts)) if (max_docs or max_chars) else \
        range(len(texts))
    out: list[str] = []
    total = 0
    for i in order:
        t = _cut(texts[int(i)], max_doc_chars) if max_doc_chars else texts[int(i)]
        out.append(t)
        total += len(t)
        if (max_docs and len(out) >= max_docs) or (max_chars and total >= max_chars):
            break
    return out

"""Extract, clean and split the corpora (the steps of ``python -m predact_utils.data.build``).

Run by ``make data`` (through :mod:`predact_utils.data.build`) after the sources are installed.
Outputs (paths under ``data/``):

* ``corpora/eval/<name>/{validation,test}.jsonl``  committed evaluation splits
* ``corpora/build/<name>/{train,validation,test}.jsonl``  full build, git-ignored
  (for evaluation corpora only ``train`` is here; their held-out splits are the committed ones)
* ``instructions/*.jsonl``, ``prefixes/<name>.jsonl``, ``corpora/manifest.json``

Each row of a split is ``{"id", "source", "text"}``; files are canonical JSON
lines (sorted keys), written atomically, so a rebuild is byte-for-byte stable.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from predact_utils.data.corpora.clean import chunk, dedup, normalize, text_sha
from predact_utils.data.corpora.io import jsonl_bytes, read_jsonl, write_jsonl
from predact_utils.data.corpora.manifest import (
    corpora_dir,
    est_tokens,
    rel,
)
from predact_utils.data.corpora.registry import CorpusSpec, spec
from predact_utils.data.corpora.sources import MissingSourceError
from predact_utils.data.corpora.splits import SPLITS, assign_splits
from predact_utils.data.decontam import document_key

Row = dict[str, str]
#: Corpora whose sources the instruction data (and so ``instruct_heldout``) is built from.
INSTRUCTION_SOURCE_CORPORA = ("gcide", "foldoc", "jargon", "manpages", "python_code", "chatterbot",
                              "perl_pod", "python_docs", "debian_docs")


def clean_docs(name: str, raw: Iterable[dict[str, str]], min_chars: int = 20) -> list[Row]:
    """Normalise, chunk, filter short and deduplicate raw documents; give each a content id."""
    def rows() -> Iterable[Row]:
        for d in raw:
            for i, piece in enumerate(chunk(normalize(d["text"]))):
                piece = piece.strip()
                if len(piece) >= min_chars:
                    src = d["source"] if i == 0 else f"{d['source']}@{i}"
                    yield {"id": f"{name}/{text_sha(piece)[:16]}", "source": src, "text": piece}
    return list(dedup(rows()))


def split_rows(s: CorpusSpec, docs: list[Row]) -> dict[str, list[Row]]:
    """The rows of each split of a corpus (source order kept within a split)."""
    names = assign_splits([d["text"] for d in docs], s.budget, with_train=s.has_train)
    out: dict[str, list[Row]] = {k: [] for k in SPLITS}
    for d, k in zip(docs, names, strict=True):
        out[k].append(d)
    if not s.has_train:
        del out["train"]
        return out
    # A held-out document that is word for word a training one (the same text, other case or punctuation)
    # leaves the held-out split: training stays as it is, evaluation stays unseen.
    seen = {document_key(d["text"]) for d in out["train"]}
    for k in SPLITS:
        if k != "train":
            out[k] = [d for d in out[k] if document_key(d["text"]) not in seen]
    return out


def build_corpus(name: str, heldout_docs: list[Row] | None = None) -> dict[str, list[Row]]:
    """Extract and split one corpus in memory (``instruct_heldout`` needs the rendered held-out chats,
    ``{"source", "text"}`` rows)."""
    s = spec(name)
    if s.extract is None:
        if heldout_docs is None:
            raise ValueError(f"{name} is built from the held-out instruction chats; pass heldout_docs")
        raw = iter(heldout_docs)
    else:
        raw = s.extract()
    return split_rows(s, clean_docs(name, raw, s.min_chars))


def split_path(s: CorpusSpec, split: str) -> Path:
    """Where a split is written: committed ``eval/`` for held-out splits of evaluation corpora, else ``build/``."""
    sub = "eval" if s.role == "eval" and split != "train" else "build"
    return corpora_dir() / sub / s.name / f"{split}.jsonl"


def source_versions(s: CorpusSpec) -> dict[str, str]:
    """{package: version} of a corpus' sources (for ``instruct_heldout``: those of the instruction data)."""
    srcs = s.sources or tuple(x for n in INSTRUCTION_SOURCE_CORPORA for x in spec(n).sources)
    return {x.package: x.version() for x in dict.fromkeys(srcs)}


def write_corpus(s: CorpusSpec, splits: dict[str, list[Row]]) -> dict[str, Any]:
    """Write the splits of a corpus; return its manifest entry."""
    entry: dict[str, Any] = {"category": s.category, "role": s.role, "description": s.description,
                             "license": s.license, "sources": source_versions(s), "splits": {}}
    for split, rows in splits.items():
        path = split_path(s, split)
        nbytes = sum(len(r["text"].encode("utf-8")) for r in rows)
        entry["splits"][split] = {"path": rel(path), "docs": len(rows), "bytes": nbytes,
                                  "est_tokens": est_tokens(nbytes), "sha256": write_jsonl(path, rows),
                                  "committed": "/eval/" in str(path)}
    return entry


def heldout_rows(s: CorpusSpec) -> list[Row]:
    """Held-out rows (test, then validation) of a built corpus, read back from disk."""
    rows: list[Row] = []
    for split in ("test", "validation"):
        path = split_path(s, split)
        if not path.exists():
            raise MissingSourceError(f"{path} is missing: the {s.name!r} corpus is built from its sources "
                                     "(run `make data`)")
        rows += list(read_jsonl(path))
    return rows




def rebuild_bytes(name: str, heldout_docs: list[Row] | None = None) -> dict[str, bytes]:
    """The bytes each split file of ``name`` would have after a rebuild (used by the reproducibility test)."""
    return {k: jsonl_bytes(v) for k, v in build_corpus(name, heldout_docs).items()}

"""Prefix sets for the self-perplexity experiment (book section: Fig. 5 and cross-model perplexity).

From each of the 11 prefix datasets (the 9 evaluation corpora plus the two
``prefix`` corpora of the registry) :data:`N_PREFIXES` documents of the
held-out splits (test first, then validation) are taken in hash order. For
prose and code the prefix is the document's first ~:data:`PREFIX_CHARS`
characters cut at a word boundary; for chats it is the text up to and including
the first ``Assistant:``. The gold ``continuation`` (next ~1000 characters) is kept
for the gold-text analyses.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from predact_utils.data.corpora.splits import split_score

N_PREFIXES = 64
PREFIX_CHARS = 240
CONTINUATION_CHARS = 1000
SALT = "predact-prefix-v1"


def cut_prefix(text: str, dialogue: bool) -> tuple[str, str] | None:
    """(prefix, continuation) of a document, or ``None`` if it is too short."""
    if dialogue:
        i = text.find("Assistant:")
        if i < 0 or len(text) - i < 20:
            return None
        j = i + len("Assistant:")
        return text[:j], text[j:j + CONTINUATION_CHARS]
    if len(text) < PREFIX_CHARS + 100:
        return None
    m = re.search(r"\s", text[PREFIX_CHARS:PREFIX_CHARS + 60])
    j = PREFIX_CHARS + (m.start() if m else 0)
    return text[:j], text[j:j + CONTINUATION_CHARS]


def make_prefixes(name: str, category: str, docs: Sequence[dict[str, str]], n: int = N_PREFIXES) -> list[dict[str, Any]]:
    """``n`` prefix rows of one dataset from its held-out documents (already in preference order)."""
    dialogue = category == "dialogue"
    ordered = sorted(docs, key=lambda d: (split_score(d["text"], SALT), d["id"]))
    out: list[dict[str, Any]] = []
    for d in ordered:
        cut = cut_prefix(d["text"], dialogue)
        if cut is None:
            continue
        out.append({"id": f"{name}-{len(out):03d}", "dataset": name, "category": category, "doc_id": d["id"],
                    "prefix": cut[0], "continuation": cut[1]})
        if len(out) == n:
            return out
    raise ValueError(f"prefix set {name!r}: only {len(out)} usable held-out documents, need {n}")

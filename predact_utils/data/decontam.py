"""Decontamination: no training text may share a 13-word run with any evaluation split.

Words are lower-cased and punctuation-collapsed (runs of letters and digits), so "Python's list." and
"python s list" are the same three words. An :class:`EvalIndex` holds every 13-word run of the held-out
splits (validation and test) of the evaluation and prefix corpora; :meth:`EvalIndex.shares_run` says
whether a training text has one of them. The instruction build drops such chats and pairs and records
how many each filter dropped; ``tests/test_decontamination.py`` checks the committed files.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: Length of the shared word run that counts as contamination.
RUN_WORDS = 13
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    """Lower-cased words of ``text``, punctuation and whitespace collapsed."""
    return _WORD.findall(text.lower())


def _key(run: Sequence[str]) -> int:
    """A stable 64-bit key of a word run (the same in every process)."""
    return int.from_bytes(hashlib.blake2b(" ".join(run).encode(), digest_size=8).digest(), "little")


def runs(text: str, n: int = RUN_WORDS) -> set[int]:
    """Keys of every ``n``-word run of ``text`` (empty when it has fewer than ``n`` words)."""
    w = words(text)
    return {_key(w[i:i + n]) for i in range(len(w) - n + 1)}


@dataclass
class EvalIndex:
    """Every ``n``-word run of a set of evaluation texts."""

    n: int = RUN_WORDS
    keys: set[int] = field(default_factory=set)
    texts: int = 0

    def add(self, texts: Iterable[str]) -> EvalIndex:
        """Index more evaluation texts; return self."""
        for t in texts:
            self.keys |= runs(t, self.n)
            self.texts += 1
        return self

    def shares_run(self, text: str) -> bool:
        """Whether ``text`` holds an ``n``-word run of an indexed evaluation text."""
        w = words(text)
        return any(_key(w[i:i + self.n]) in self.keys for i in range(len(w) - self.n + 1))


def eval_texts(include_heldout_chats: Iterable[str] = ()) -> Iterable[str]:
    """The texts of every committed held-out split (validation and test) of the evaluation and prefix
    corpora, then ``include_heldout_chats`` (the ``instruct_heldout`` documents, built with the data)."""
    import predact_utils.data.corpora as corpora
    from predact_utils.data.corpora.registry import SPECS

    for s in SPECS:
        if s.role not in ("eval", "prefix") or s.name == "instruct_heldout":
            continue
        for split in ("validation", "test"):
            try:
                rows = corpora.load_texts(s.name, split)
            except FileNotFoundError:
                continue
            for r in rows:
                yield r["text"]
    yield from include_heldout_chats


def eval_index(extra: Iterable[str] = ()) -> EvalIndex:
    """The index of :func:`eval_texts`."""
    return EvalIndex().add(eval_texts(extra))


def document_key(text: str) -> str:
    """A document's identity for the exact-duplicate check: its words, hashed."""
    return hashlib.blake2b(" ".join(words(text)).encode(), digest_size=16).hexdigest()


def shared_documents(train: Iterable[str], evaluation: Iterable[str]) -> int:
    """How many training documents are, word for word, an evaluation document."""
    keys = {document_key(t) for t in evaluation}
    return sum(document_key(t) in keys for t in train)

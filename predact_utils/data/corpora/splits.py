"""Deterministic, hash-based train / validation / test splits by document (book section: Data).

Each document gets a score from the sha256 of a fixed salt and its own text;
documents are visited in score order and fill ``validation`` up to its byte
budget, then ``test``, and the rest is ``train``. The split of a document thus
depends only on its own text and its own corpus' size, never on other
corpora: adding a corpus never reshuffles another. Within each split the
documents keep the extractor's (source) order.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

SPLITS: tuple[str, ...] = ("train", "validation", "test")
SPLIT_SALT = "predact-split-v1"


@dataclass(frozen=True)
class Budget:
    """Byte budget of each held-out split: ``min(target_bytes, max_fraction * corpus bytes)``."""

    target_bytes: int
    max_fraction: float

    def for_total(self, total_bytes: int) -> int:
        """The held-out budget for a corpus of ``total_bytes``."""
        return int(min(self.target_bytes, self.max_fraction * total_bytes))


def split_score(text: str, salt: str = SPLIT_SALT) -> int:
    """A 64-bit score of a document: the first 8 bytes of ``sha256(salt NUL text)``."""
    return int.from_bytes(hashlib.sha256(f"{salt}\0{text}".encode()).digest()[:8], "big")


def assign_splits(texts: Sequence[str], budget: Budget, *, with_train: bool = True,
                  salt: str = SPLIT_SALT) -> list[str]:
    """The split name of each text (same order as ``texts``).

    With ``with_train=False`` (a corpus that is all held-out data) the
    documents alternate between validation and test by score order instead.
    """
    sizes = [len(t.encode("utf-8")) for t in texts]
    order = sorted(range(len(texts)), key=lambda i: (split_score(texts[i], salt), i))
    out = ["train"] * len(texts)
    if not with_train:
        for rank, i in enumerate(order):
            out[i] = "validation" if rank % 2 == 0 else "test"
        return out
    cap = budget.for_total(sum(sizes))
    filled = {"validation": 0, "test": 0}
    for i in order:
        for name in ("validation", "test"):
            if filled[name] < cap:
                out[i] = name
                filled[name] += sizes[i]
                break
        else:
            break
    return out


def train_heldout(keys: Sequence[str], heldout_fraction: float, salt: str) -> list[bool]:
    """Whether each key is held out: its score falls below ``heldout_fraction`` of the 64-bit range."""
    limit = int(heldout_fraction * 2**64)
    return [split_score(k, salt) < limit for k in keys]

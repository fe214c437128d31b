"""Extractor for dictd dictionaries: GCIDE, FOLDOC, Jargon File, Devil's Dictionary.

Book section: Data (reference category of the evaluation suite; "What does X
mean?" instruction templates). A dictd database is a dictzip file
(``.dict.dz``, gzip-compatible, so Python's :mod:`gzip` reads it) plus an
``.index`` of ``headword<TAB>offset<TAB>length`` lines, numbers in dictd's
base-64 alphabet. One document per distinct (offset, length) entry; the
headwords pointing at it are kept for the instruction templates.
"""

from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from predact_utils.data.corpora.sources import Source, missing, require_file

DICTD_DIR = Path("/usr/share/dictd")
_B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
Doc = dict[str, str]


@dataclass(frozen=True)
class Entry:
    """One dictionary entry: its headwords (index order) and cleaned text."""

    headwords: tuple[str, ...]
    text: str


def b64_number(s: str) -> int:
    """Decode a dictd base-64 number (``"A"`` = 0, ``"BA"`` = 64)."""
    n = 0
    for c in s:
        i = _B64.find(c)
        if i < 0:
            raise ValueError(f"bad dictd base-64 digit {c!r} in {s!r}")
        n = n * 64 + i
    return n


def clean_entry(raw: str) -> str:
    """Light cleaning of a dictd entry: cross-reference braces removed, 3-space body indent dropped."""
    t = raw.replace("{", "").replace("}", "")
    t = re.sub(r"^ {1,3}", "", t, flags=re.M)
    t = t.replace("\t", " ")
    return t.strip()


def read_dictd(dict_path: Path, index_path: Path, package: str) -> list[Entry]:
    """All entries of a dictd database, in offset order, without the ``00-database-*`` records."""
    src = Source(package)
    require_file(dict_path, src)
    require_file(index_path, src)
    try:
        blob = gzip.decompress(dict_path.read_bytes())
    except (OSError, EOFError) as e:
        raise missing(src, f"a readable {dict_path} (corrupt dictzip: {e}); reinstall it") from e
    heads: dict[tuple[int, int], list[str]] = {}
    for lineno, line in enumerate(index_path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
        parts = line.split("\t")
        if len(parts) < 3:
            raise ValueError(f"{index_path}:{lineno}: expected 'headword<TAB>offset<TAB>length', got {line!r}")
        word, off, length = parts[0], parts[1], parts[2]
        if word.startswith("00-database") or word.startswith("00database"):
            continue
        heads.setdefault((b64_number(off), b64_number(length)), []).append(word)
    entries = []
    for (off, length), words in sorted(heads.items()):
        if off + length > len(blob):
            raise missing(src, f"entry {words[0]!r} inside {dict_path} (index points past the end)")
        text = clean_entry(blob[off: off + length].decode("utf-8", errors="replace"))
        if text:
            entries.append(Entry(tuple(words), text))
    return entries


def dictd_corpus(dictionary: str, package: str, root: Path = DICTD_DIR) -> Iterator[Doc]:
    """Documents (one per entry) of the dictd database ``dictionary`` from Debian ``package``."""
    for e in read_dictd(root / f"{dictionary}.dict.dz", root / f"{dictionary}.index", package):
        yield {"source": f"{dictionary}/{e.headwords[0]}", "text": e.text}


def gcide() -> Iterator[Doc]:
    """GCIDE (Webster 1913 + WordNet additions), Debian ``dict-gcide``."""
    return dictd_corpus("gcide", "dict-gcide")


def foldoc() -> Iterator[Doc]:
    """The Free On-line Dictionary of Computing, Debian ``dict-foldoc``."""
    return dictd_corpus("foldoc", "dict-foldoc")


def jargon() -> Iterator[Doc]:
    """The Jargon File, Debian ``dict-jargon``."""
    return dictd_corpus("jargon", "dict-jargon")


def devil() -> Iterator[Doc]:
    """Ambrose Bierce's *Devil's Dictionary*, Debian ``dict-devil``."""
    return dictd_corpus("devil", "dict-devil")

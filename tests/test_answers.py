"""Source metadata stripped from reference answers, on entries written out by hand (predact_utils.data.answers)."""

from __future__ import annotations

from predact_utils.data.answers import clean_answer

FOLDOC = """Stoneman

<programming> The requirements, written by the HOLWG of the US DoD in
Feb 1980, that led to APSE.

["Requirements for Ada Programming Support Environments:
STONEMAN", US Dept of Defense, Feb 1980].

See also Steelman.

(1995-01-24)"""

GCIDE = """Tegument \\Teg"u*ment\\, n. [L. tegumentum, from tegere to cover.
See Thatch, n., and cf. Detect, Protect.]
1. A cover or covering; an integument.
   [1913 Webster]

2. Especially, the covering of a living body; skin; hide. --Howell.
   [1913 Webster]"""

JARGON = """ques
/kwes/

 1. n. The question mark character (?, ASCII 0111111).

 2. interj. What? (See also wall.)

[Jargon File]"""


def test_foldoc_entry_loses_headword_tag_citation_cross_reference_and_date() -> None:
    assert clean_answer("foldoc", FOLDOC, "Stoneman") == (
        "The requirements, written by the HOLWG of the US DoD in Feb 1980, that led to APSE.")


def test_gcide_entry_loses_pronunciation_etymology_source_tags_and_author() -> None:
    assert clean_answer("gcide", GCIDE, "Tegument") == (
        "1. A cover or covering; an integument.\n\n2. Especially, the covering of a living body; skin; hide.")


def test_jargon_entry_loses_pronunciation_cross_reference_and_tag() -> None:
    assert clean_answer("jargon", JARGON, "ques") == (
        "1. n. The question mark character (?, ASCII 0111111).\n\n2. interj. What?")


def test_other_kinds_keep_their_text() -> None:
    faq = "Use the [1913 Webster] edition.\n\n  Indented code stays.\n"
    assert clean_answer("faq", faq) == "Use the [1913 Webster] edition.\n\n  Indented code stays."

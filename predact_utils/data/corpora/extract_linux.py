"""Extractors for the Linux kernel sources: ``Documentation/`` (reST) and ``kernel/ mm/ lib/`` C code.

Book section: Data (technical and code categories). The tarball of Debian
``linux-source-6.1`` is read once (members streamed from the ``.tar.xz``,
nothing else unpacked) and the needed files are kept, sorted by path, in a
small cache under ``data/sources/linux`` keyed by the package version.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator
from pathlib import Path

from tqdm.auto import tqdm

from predact_utils.data.corpora.io import atomic_write_bytes
from predact_utils.data.corpora.sources import Source, deb_version, require_file, sources_dir

LINUX = Source("linux-source-6.1")
TARBALL = Path("/usr/src/linux-source-6.1.tar.xz")
_WANTED = re.compile(r"^[^/]+/(?:Documentation/(?!translations/).+\.rst|(?:kernel|mm|lib)/.+\.[ch])$")
Doc = dict[str, str]


def linux_tree() -> Path:
    """Folder holding the wanted files of the kernel tarball (unpacked once per package version)."""
    version = deb_version(LINUX.package)
    root = sources_dir() / "linux" / re.sub(r"[^A-Za-z0-9.+-]", "_", version)
    stamp = root / ".complete"
    if stamp.exists():
        return root
    require_file(TARBALL, LINUX)
    try:
        with tarfile.open(TARBALL, "r:xz") as tar:
            for m in tqdm(tar, desc="linux-source tarball", unit=" files", leave=False):
                if m.isfile() and _WANTED.match(m.name):
                    f = tar.extractfile(m)
                    assert f is not None
                    atomic_write_bytes(root / m.name.split("/", 1)[1], f.read())
    except (tarfile.TarError, EOFError, OSError) as e:
        raise require_error(e) from e
    atomic_write_bytes(stamp, version.encode())
    return root


def require_error(e: Exception) -> RuntimeError:
    """The error for an unreadable kernel tarball (names the package to reinstall)."""
    return RuntimeError(f"cannot read {TARBALL} ({e}); reinstall it with: "
                        f"sudo apt-get install --reinstall -y {LINUX.package}")


def _files(root: Path, pattern: str) -> list[Path]:
    return sorted(p for p in root.glob(pattern) if p.is_file())


def linux_docs() -> Iterator[Doc]:
    """The kernel's ``Documentation/**/*.rst`` (translations excluded)."""
    root = linux_tree()
    for f in _files(root, "Documentation/**/*.rst"):
        yield {"source": str(f.relative_to(root)), "text": f.read_text(encoding="utf-8", errors="replace")}


def linux_c() -> Iterator[Doc]:
    """C sources and headers of the kernel's ``kernel/``, ``mm/`` and ``lib/`` folders."""
    root = linux_tree()
    files = [f for d in ("kernel", "mm", "lib") for f in _files(root, f"{d}/**/*.[ch]")]
    for f in sorted(files):
        yield {"source": str(f.relative_to(root)), "text": f.read_text(encoding="utf-8", errors="replace")}

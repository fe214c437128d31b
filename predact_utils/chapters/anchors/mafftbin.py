"""Which MAFFT program the book runs, and how it was built.

``make setup`` builds MAFFT 7.505 from Debian's source package with one patch
(``third_party/mafft/zero-skip.patch``) into ``<environment>/opt/mafft``. The patch changes
only how MAFFT sums a profile column's scores against every symbol: it skips the symbols
whose frequency in the column is zero. Each sum still adds the same nonzero terms in the
same order, and adding ``0 * x`` never changed a sum, so the alignments are byte for byte
those of Debian's ``mafft`` (``tests/test_mafft_build.py``); in text mode, with 256
symbols, that sum was about 84% of MAFFT's time, and the patched build aligns a prompt's
100 generations several times faster (``benchmarks/bench_mafft.py`` measures it).

Order of preference: ``$PREDACT_MAFFT`` (a path to a ``mafft`` script), then that build,
then ``mafft`` on the PATH. Because the outputs are identical, the artifact cache keys
alignments on MAFFT's version only, whichever program made them.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

INSTALL_HINT = ("MAFFT is provided by the Debian/Ubuntu package 'mafft': install it with "
                "`apt-get install -y mafft` (or `conda install -c bioconda mafft`), then re-run.")
#: Written by ``third_party/mafft/build.sh`` as its last step: the build in this folder is complete.
STAMP = ".predact-build"


class MafftError(RuntimeError):
    """MAFFT is missing, failed or timed out; the message says what happened and how to fix it."""


def build_dir() -> Path:
    """Where ``make setup`` installs the patched MAFFT: ``<sys.prefix>/opt/mafft``."""
    return Path(sys.prefix) / "opt" / "mafft"


def built_mafft(folder: Path | None = None) -> Path | None:
    """The patched build's ``mafft`` script when its build finished, else ``None``."""
    folder = folder or build_dir()
    exe = folder / "bin" / "mafft"
    if (folder / STAMP).is_file() and os.access(exe, os.X_OK):
        return exe
    return None


def mafft_path() -> str:
    """Path of the ``mafft`` to run (see the module doc), or :class:`MafftError` with the install command."""
    chosen = os.environ.get("PREDACT_MAFFT")
    if chosen:
        if not os.access(chosen, os.X_OK):
            raise MafftError(f"PREDACT_MAFFT={chosen!r} is not an executable file; point it at a `mafft` "
                             "script or unset it")
        return chosen
    built = built_mafft()
    if built is not None:
        return str(built)
    exe = shutil.which("mafft")
    if exe is None:
        raise MafftError("the `mafft` program was not found (neither `make setup`'s build in "
                         f"{build_dir()} nor `mafft` on the PATH). " + INSTALL_HINT)
    return exe


def mafft_build() -> str:
    """Which program :func:`mafft_path` runs, in words (for the pages)."""
    path = mafft_path()
    if os.environ.get("PREDACT_MAFFT"):
        return f"the program at {path} ($PREDACT_MAFFT)"
    built = built_mafft()
    if built is not None and Path(path) == built:
        return ("built by `make setup` from Debian's source with predact's zero-term patch (alignments "
                "byte-identical to Debian's; third_party/mafft)")
    return path

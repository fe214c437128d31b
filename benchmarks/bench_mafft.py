"""MAFFT: the patched build of ``make setup`` (third_party/mafft) vs Debian's ``/usr/bin/mafft``.

Workload: ``BENCH_PROMPTS`` prompt sets (default 6) of 100 generations of 40-128 tokens, mapped to MAFFT's text
symbols as chapter 04 maps them (:class:`~predact_utils.chapters.anchors.msa.SymbolMap`, 32 overflow symbols):
half diverse (as a Base model's answers), half with a planted 40-token span in two of three generations (as an
aligned model's anchors). Options ``--retree 2 --maxiterate 0`` (the book's). The two programs are timed
alternately, one alignment at a time, and must return the same rows (the benchmark fails otherwise).
"""

from __future__ import annotations

import os
import statistics
from pathlib import Path

import numpy as np

from benchmarks.common import interleaved
from predact_utils.chapters.anchors.mafftbin import built_mafft
from predact_utils.chapters.anchors.msa import SymbolMap, run_mafft

DEBIAN = Path("/usr/bin/mafft")
OPTIONS = ("--retree", "2", "--maxiterate", "0")


def prompt_sets(n_sets: int, seed: int = 0) -> list[list[bytes]]:
    """MAFFT records of ``n_sets`` prompts: diverse and planted sets in turn (deterministic)."""
    rng = np.random.default_rng(seed)
    out = []
    for k in range(n_sets):
        span = rng.integers(0, 3000, 40)
        seqs = []
        for j in range(100):
            s = rng.integers(0, 3000, int(rng.integers(50, 129)))
            if k % 2 and j % 3:
                s[10:50] = span
            seqs.append([int(t) for t in s])
        symbols = SymbolMap.fit(seqs, n_overflow=32)
        out.append([symbols.encode(s) for s in seqs])
    return out


def main() -> dict[str, float]:
    built = built_mafft()
    if built is None or not DEBIAN.is_file():
        print("skipped: needs `make setup`'s MAFFT build and Debian's /usr/bin/mafft")
        return {}
    sets = prompt_sets(int(os.environ.get("BENCH_PROMPTS", "6")))
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    rows: dict[str, list[list[bytes]]] = {}

    def align(name: str, exe: Path) -> None:
        os.environ["PREDACT_MAFFT"] = str(exe)
        try:
            rows[name] = [run_mafft(r, OPTIONS, timeout=600) for r in sets]
        finally:
            del os.environ["PREDACT_MAFFT"]

    times = interleaved({"debian": lambda: align("debian", DEBIAN), "patched": lambda: align("patched", built)},
                        repeats)
    if rows["debian"] != rows["patched"]:
        raise SystemExit("the patched MAFFT aligned differently from Debian's: do not use it")
    t_deb, t_pat = statistics.median(times["debian"]), statistics.median(times["patched"])
    print(f"{len(sets)} prompts x 100 generations, one alignment at a time: Debian {t_deb:.2f} s, patched "
          f"{t_pat:.2f} s: {t_deb / t_pat:.1f}x; alignments identical")
    return {"mafft": t_deb / t_pat}
if __name__ == "__main__":
    main()

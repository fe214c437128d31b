"""MAFFT: the patched build of ``make setup`` (third_party/mafft) vs Debian's ``/usr/bin/mafft``.

Workload: ``BENCH_PROMPTS`` prompt sets (default 6) of 100 generations of 50-128 tokens, mapped to MAFFT's text
symbols as chapter 04 maps them (:class:`~predact_utils.chapters.anchors.msa.SymbolMap`, 32 overflow symbols):
half diverse (as a Base model's answers), half with a planted 40-token span in two of three generations (as an
aligned model's anchors). Options ``--retree 2 --maxiterate 0`` (the book's). The two programs are timed
alternately, one alignment at a time, and must return the same rows (the benchmark fails otherwise).
"""

from __future__ import annotations

import os
from pathlib import Path

from benchmarks.common import checked_ratio, interleaved, planted_prompt_sets
from predact_utils.chapters.anchors.mafftbin import built_mafft
from predact_utils.chapters.anchors.msa import SymbolMap, run_mafft

DEBIAN = Path("/usr/bin/mafft")
OPTIONS = ("--retree", "2", "--maxiterate", "0")


def prompt_sets(n_sets: int) -> list[list[bytes]]:
    """MAFFT records of :func:`benchmarks.common.planted_prompt_sets` (3,000-token vocabulary), as chapter 04
    maps them (32 overflow symbols)."""
    out = []
    for seqs in planted_prompt_sets(n_sets, vocab=3000):
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
    t_deb, t_pat = checked_ratio(times, "debian", "patched", rows["debian"] == rows["patched"], "alignments")
    print(f"{len(sets)} prompts x 100 generations, one alignment at a time: Debian {t_deb:.2f} s, patched "
          f"{t_pat:.2f} s: {t_deb / t_pat:.1f}x; alignments identical")
    return {"mafft": t_deb / t_pat}


if __name__ == "__main__":
    main()

"""Run every benchmark of the measurement core and print the ratios in one table (``make bench``).

The memory benchmark runs in a child process so that its peak resident set size is its own.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks import (
    bench_lm_eval,
    bench_mafft,
    bench_mixture,
    bench_ngrams,
    bench_nucleus,
    bench_precision,
    bench_sampling,
    bench_scoring,
)


def main() -> None:
    print("== sampling ==")
    samp = bench_sampling.main()
    print("\n== nucleus draw ==")
    nuc = bench_nucleus.main()
    print("\n== scoring ==")
    scor = bench_scoring.main()
    print("\n== n-gram coverage ==")
    ngr = bench_ngrams.main()
    print("\n== MAFFT build ==")
    maf = bench_mafft.main()
    print("\n== frontier: mixing path, parents kept ==")
    mix = bench_mixture.main()
    print("\n== perplexity agreement ==")
    agree = bench_lm_eval.main()
    print("\n== bf16 against float32 ==")
    prec = bench_precision.main()
    print("\n== memory (child process) ==")
    subprocess.run([sys.executable, "-m", "benchmarks.bench_memory"], check=True)
    print("\n== summary ==")
    print(f"sampling speed-up vs default generate: {samp['sampling_speedup']:.2f}x (goal >= 2x); "
          f"roofline fraction {samp['roofline_fraction']:.2f}")
    print(f"nucleus draw, compiled kernel vs sorting: {nuc['draw']:.2f}x alone, {nuc['sampling']:.2f}x end to end "
          f"({nuc['identical']:.1%} of generations identical)")
    for label, ratio in scor.items():
        print(f"scoring throughput vs plain loop, {label}: {ratio:.2f}x (goal >= 1.0x, statistics included)")
    for label in ("scoring", "finetune_step", "sampling"):
        print(f"{label}: float32 time / bf16 time {prec[label]:.2f}x (the book uses bf16 only on CPUs with AMX)")
    print(f"n-gram coverage curves, ranks vs tuple counting: {ngr['coverage']:.1f}x (identical curves)")
    if maf:
        print(f"MAFFT, patched build vs Debian's: {maf['mafft']:.1f}x (identical alignments)")
    print(f"frontier gold scoring at 9 mixing points, parents kept vs both parents each time: {mix['mixture']:.1f}x "
          "(identical log-probabilities)")
    key = "ppl_rel_diff_lm_eval" if "ppl_rel_diff_lm_eval" in agree else "ppl_rel_diff_transformers"
    print(f"perplexity relative difference ({key.removeprefix('ppl_rel_diff_')}): {agree[key]:.1e} (goal < 1e-3)")


if __name__ == "__main__":
    main()

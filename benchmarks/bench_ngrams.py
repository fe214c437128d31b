"""n-gram coverage curves: the rank version of ``ngrams.coverage_curve`` vs counting tuples n by n.

Workload: ``BENCH_PROMPTS`` prompt sets (default 8) of 100 generations of 50-128 tokens over an 8,192-token
vocabulary (:func:`benchmarks.common.planted_prompt_sets`: half diverse, half with a planted 40-token span).
Curves to n = 32, as the chapter draws them. The two versions are timed alternately in this process and
must return the same curves (the benchmark fails otherwise).
"""

from __future__ import annotations

import os

import numpy as np

from benchmarks.common import checked_ratio, interleaved, planted_prompt_sets
from predact_utils.chapters.anchors.ngrams import coverage_curve, most_common_ngram


def tuple_counting(seqs: list[list[int]], max_n: int) -> np.ndarray:
    """The definition: the most common n-gram's coverage, one Counter of tuples per n."""
    return np.array([most_common_ngram(seqs, n)[1] for n in range(1, max_n + 1)])


def main() -> dict[str, float]:
    n_sets = int(os.environ.get("BENCH_PROMPTS", "8"))
    repeats = int(os.environ.get("BENCH_REPEATS", "3"))
    sets = planted_prompt_sets(n_sets)
    out: dict[str, list[np.ndarray]] = {}

    def run(name: str, fn) -> None:  # noqa: ANN001
        out[name] = [fn(s, 32) for s in sets]

    times = interleaved({"tuples": lambda: run("tuples", tuple_counting),
                         "ranks": lambda: run("ranks", coverage_curve)}, repeats)
    same = all(np.array_equal(a, b) for a, b in zip(out["tuples"], out["ranks"], strict=True))
    t_tuples, t_ranks = checked_ratio(times, "tuples", "ranks", same, "coverage curves")
    print(f"{n_sets} sets of 100 generations, curves to n = 32: tuple counting {t_tuples:.2f} s, "
          f"ranks {t_ranks:.3f} s: {t_tuples / t_ranks:.1f}x; curves identical")
    return {"coverage": t_tuples / t_ranks}


if __name__ == "__main__":
    main()

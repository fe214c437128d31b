"""The frontier's mixing path: scoring gold text at every interior point with the parents' log-probabilities
kept (``frontier.models.ParentLogprobs``) vs running both parents again at every point.

Workload: the chapter's gold set shape, 72 sequences of 256 random tokens (9 corpora x 8 documents), scored
at the 9 interior points a = 0.1 .. 0.9 of the default grid, as ``world_modeling`` scores them (one window
per sequence). Parents: mini-m-base and mini-m-rlhf once ``make miniature`` has built them, else one random
medium model mixed with itself; in the book's dtype on this CPU. Each repeat starts with nothing kept; the two
versions are timed alternately and must give identical log-probabilities (the benchmark fails otherwise).
"""

from __future__ import annotations

import os

import numpy as np
import torch

from benchmarks.common import checked_ratio, interleaved, medium_model_dir, set_threads
from predact_utils import paths
from predact_utils.chapters.frontier.models import MixtureLM, ParentLogprobs
from predact_utils.lm.models import load_model
from predact_utils.lm.scoring import token_logprobs

GRID = [round(i / 10, 10) for i in range(1, 10)]


def main() -> dict[str, float]:
    set_threads()
    repeats = int(os.environ.get("BENCH_REPEATS", "2"))
    folder, what = medium_model_dir()
    rlhf = paths.models_dir() / "mini-m-rlhf"
    other = rlhf if (rlhf / "config.json").is_file() else folder
    base, aligned = load_model(str(folder), role="base"), load_model(str(other), role="aligned")
    rng = np.random.default_rng(0)
    seqs = [[0] + rng.integers(2, 8192, 256).tolist() for _ in range(72)]
    out: dict[str, list[np.ndarray]] = {}

    def score(name: str, keep: bool) -> None:
        kept = ParentLogprobs()
        res = []
        for a in GRID:
            mixed = MixtureLM(base.model, aligned.model, a).eval()
            if keep:
                with mixed.reusing(kept):
                    sc = token_logprobs(mixed, seqs, progress=False)
            else:
                sc = token_logprobs(mixed, seqs, progress=False)
            res.append(np.concatenate([s.logprobs for s in sc]))
        out[name] = res

    times = interleaved({"afresh": lambda: score("afresh", False), "kept": lambda: score("kept", True)}, repeats)
    same = all(np.array_equal(a, b, equal_nan=True) for a, b in zip(out["afresh"], out["kept"], strict=True))
    t_afresh, t_kept = checked_ratio(times, "afresh", "kept", same, "mixture log-probabilities")
    print(f"{what} mixed with {other.name}, {base.dtype}, {torch.get_num_threads()} threads: gold scoring at "
          f"{len(GRID)} points, both parents at each {t_afresh:.1f} s, parents kept {t_kept:.1f} s: "
          f"{t_afresh / t_kept:.1f}x; log-probabilities identical")
    return {"mixture": t_afresh / t_kept}


if __name__ == "__main__":
    main()

"""Chapter 03 (predact_utils.chapters.collapse.chapter, .tables): settings, glued numbers, claim records and
tables on crafted results."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from predact_utils.chapters import collapse as chapter
from predact_utils.chapters.collapse.analysis import THRESHOLDS, SequenceSummary
from predact_utils.chapters.collapse.chapter import (
    count_verdict,
    self_lower,
    self_perplexity,
    self_verdict,
    top1,
    top1_verdict,
)
from predact_utils.lm.registry import PairSpec
from predact_utils.params import ParameterError

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_distribution_collapse.py"


def parameters_cell() -> dict:
    nb = jupytext.read(NOTEBOOK)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert s.pair_list() == "mini-m-rlhf;mini-s-dpo" and s.scored_samples == 10
    assert s.thresholds == (1e-6, 1e-7, 1e-8, 1e-9, 1e-10)
    assert s.stats_config().top_k == 32 and s.stats_config().thresholds == s.thresholds
    p = s.prompt_sampling(7)
    assert (p.n, p.top_p, p.temperature, p.max_new_tokens, p.seed) == (7, 0.9, 1.0, 128, 0)
    q = s.prefix_sampling()
    assert (q.n, q.max_new_tokens) == (2, 128)


def test_smoke_values() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "n_prompts": 80, "gold_tokens": 512})
    assert (s.n_prompts, s.n_samples, s.stats_samples, s.gold_docs, s.gold_tokens) == (2, 4, 4, 2, 64)
    assert (s.n_prefixes, s.prefix_samples, s.prefix_tokens, s.max_new_tokens) == (2, 1, 32, 48)
    assert s.pair_list() == "mini-s-dpo" and s.top_k == 32 and s.threshold == 1e-8


def test_scored_samples_never_exceed_the_samples() -> None:
    assert chapter.Settings.from_values({"n_samples": 3, "stats_samples": 10}).scored_samples == 3


def test_an_extra_threshold_is_counted() -> None:
    assert chapter.Settings.from_values({"threshold": 1e-5}).thresholds == (1e-5,) + THRESHOLDS


@pytest.mark.parametrize("bad", [{"top_p": 1.5}, {"temperature": -1.0}, {"n_samples": 0}, {"gold_tokens": 4},
                                 {"threshold": 2.0}, {"n_prompts": -1}, {"smoke_pairs": 1}, {"top_k": 0},
                                 {"prefix_tokens": 0}, {"scale": "tiny"}, {"n_prefixes": 2.5}])
def test_bad_values_raise(bad: dict) -> None:
    with pytest.raises(ParameterError, match=next(iter(bad))):
        chapter.Settings.from_values(bad)


# --- crafted results: two pairs, the first ("mini-m-rlhf") the one the prose quotes ------------------------

P1, P2 = "mini-m-rlhf", "mini-s-dpo"
# Fig. 3 top-1 mass: aligned higher on own answers for P1 only, on gold text for P2 only
TOP1 = {(P1, "base", "own"): 0.5, (P1, "aligned", "own"): 0.8, (P1, "base", "gold"): 0.4,
        (P1, "aligned", "gold"): 0.35, (P2, "base", "own"): 0.6, (P2, "aligned", "own"): 0.55,
        (P2, "base", "gold"): 0.3, (P2, "aligned", "gold"): 0.4}


def curves(top: dict) -> pd.DataFrame:
    rows = []
    for (p, m, t), v in top.items():
        rows += [{"pair": p, "model": m, "text": t, "k": 1, "mass": v, "lo": v, "hi": v, "sequences": 2},
                 {"pair": p, "model": m, "text": t, "k": 2, "mass": 1.0, "lo": 1.0, "hi": 1.0, "sequences": 2}]
    return pd.DataFrame(rows)


def count(p: str, m: str, t: str, thr: float) -> float:
    """Fig. 4 counts. P1: own 10 vs 100 (ratio 0.1), gold 110 vs 100 (1.1) at every threshold. P2: own 60 vs 50
    at 1e-8 (1.2) but 40 vs 50 elsewhere, gold 40 vs 80 (0.5)."""
    base = {(P1, "own"): 100, (P1, "gold"): 100, (P2, "own"): 50, (P2, "gold"): 80}[(p, t)]
    if m == "base":
        return base
    if p == P1:
        return 10 if t == "own" else 110
    return (60 if thr == 1e-8 else 40) if t == "own" else 40


def above(counts=count) -> pd.DataFrame:
    return pd.DataFrame([{"pair": p, "model": m, "text": t, "threshold": thr, "n_above": float(counts(p, m, t, thr)),
                          "lo": 0.0, "hi": 0.0, "sequences": 2}
                         for p in (P1, P2) for m in ("base", "aligned") for t in ("own", "gold") for thr in THRESHOLDS])


# Fig. 5: (pair, scorer, generator, dataset) -> perplexity. Self: P1 aligned lower on d1 only, P2 on both.
PPL = {(P1, "base", "base", "d1"): 20, (P1, "base", "base", "d2"): 5,
       (P1, "aligned", "aligned", "d1"): 10, (P1, "aligned", "aligned", "d2"): 8,
       (P1, "base", "aligned", "d1"): 40, (P1, "base", "aligned", "d2"): 40,
       (P1, "aligned", "base", "d1"): 50, (P1, "aligned", "base", "d2"): 2,
       (P2, "base", "base", "d1"): 30, (P2, "base", "base", "d2"): 30,
       (P2, "aligned", "aligned", "d1"): 15, (P2, "aligned", "aligned", "d2"): 15,
       (P2, "base", "aligned", "d1"): 60, (P2, "base", "aligned", "d2"): 60,
       (P2, "aligned", "base", "d1"): 45, (P2, "aligned", "base", "d2"): 45}


def cross(ppl: dict = PPL) -> pd.DataFrame:
    return pd.DataFrame([{"pair": p, "scorer": s, "generator": g, "category": "literature" if d == "d1" else "code",
                          "dataset": d, "ppl": float(v), "lo": v * 0.9, "hi": v * 1.1, "sequences": 2, "tokens": 20}
                         for (p, s, g, d), v in ppl.items()])


def summary(n: int, tokens: int) -> SequenceSummary:
    return SequenceSummary(np.zeros((n, 2)), np.zeros((n, 1)), np.zeros(n), np.ones(n), np.full(n, tokens),
                           ["g"] * n, (1e-8,))


def crafted(**changes) -> chapter.Results:
    s = chapter.Settings.from_values(changes.pop("settings", {}))
    values = dict(settings=s, pairs=[PairSpec(name=P1, base="b1", aligned="a1"),
                                     PairSpec(name=P2, base="b2", aligned="a2")],
                  skipped=[], summaries={(P1, "base", "own"): summary(3, 5), (P1, "base", "gold"): summary(2, 7)},
                  eos_share={(P1, "base"): 0.66666}, curves=curves(TOP1), above=above(),
                  prefix_sets=["d1", "d2"], cross=cross())
    values.update(changes)
    return chapter.Results(**values)


def test_derived_tables_and_verdicts() -> None:
    r = crafted()
    own_top1 = top1(r.curves).unstack("model").xs("own", level="text")
    assert top1_verdict(own_top1) == "partly"
    assert top1_verdict(own_top1.assign(aligned=[0.9, 0.9])) is True
    assert top1_verdict(own_top1.assign(aligned=[0.1, 0.1])) is False
    assert count_verdict(pd.Series([0.1, 1.2]), fewer=True) == "partly"
    assert count_verdict(pd.Series([0.1, 0.9]), fewer=True) is True
    assert count_verdict(pd.Series([1.0, 0.5]), fewer=False) is False  # a ratio of exactly 1 is not "more"
    sp = self_perplexity(r.cross)
    assert sp.loc[(P1, "d2"), "base"] == 5 and sp.loc[(P2, "d1"), "aligned"] == 15
    lower = self_lower(r.cross)
    assert lower.tolist() == [True, False, True, True]
    assert self_verdict(lower) == "partly" and self_verdict(lower.iloc[[0, 2]]) is True
    assert self_verdict(lower.iloc[[1]]) is False


def test_numbers() -> None:
    r = crafted(skipped=["mini-m-dpo"])
    n = chapter.numbers(r)
    assert n == {
        "col_pairs": f"{P1}, {P2}", "col_skipped": "mini-m-dpo",
        "col_sampling": "top-p 0.9, temperature 1, at most 128 new tokens, 100 samples per prompt for the first "
                        "pair and 10 for the others",
        "col_stats_samples": "10", "col_gold": "20 documents per corpus, each cut to 256 tokens", "col_main": P1,
        "col_top1_base_own": "0.500", "col_top1_aligned_own": "0.800", "col_top1_base_gold": "0.400",
        "col_top1_aligned_gold": "0.350", "col_top1_higher": "2 of 4",
        "col_above_base_own": "100", "col_above_aligned_own": "10", "col_above_base_gold": "100",
        "col_above_aligned_gold": "110", "col_threshold": "1e-08",
        "col_own_lower_all": "1 of 2", "col_gold_higher_all": "1 of 2", "col_thr_range": "1e-10 to 1e-06",
        "col_self_lower": "3 of 4", "col_self_gmean_base": "10.00", "col_self_gmean_aligned": f"{math.sqrt(80):.2f}",
        "col_prefix_setup": "2 prefix sets, the first 32 prefixes of each, 2 continuation(s) of at most 128 tokens "
                            "per prefix",
        "col_x_base_base": "10.00", "col_x_base_aligned": "40.00", "col_x_aligned_base": "10.00",
        "col_x_aligned_aligned": f"{math.sqrt(80):.2f}",
    }
    smoke = chapter.numbers(crafted(settings={"scale": "smoke"}))
    assert smoke["col_skipped"] == "none" and smoke["col_stats_samples"] == "4"
    assert smoke["col_sampling"] == ("top-p 0.9, temperature 1, at most 48 new tokens, 4 samples per prompt for "
                                     "the first pair and 4 for the others")


def test_claim_records() -> None:
    common = {"pair": f"{P1}, {P2}", "scale": "smoke", "detail": ""}
    assert chapter.claim_records(crafted(settings={"scale": "smoke"})) == [
        {"claim_id": "fig3-top1", "measured": f"own answers: mean top-1 mass aligned 0.800 vs Base 0.500 ({P1}); "
                                              "aligned higher for 1 of 2 pairs", "holds": "partly", **common},
        {"claim_id": "fig4-own", "measured": f"own answers, p > 1e-08: aligned / Base count 0.100 ({P1}); "
                                             "below 1 for 1 of 2 pairs", "holds": "partly", **common},
        {"claim_id": "fig4-gold", "measured": f"gold text, p > 1e-08: aligned / Base count 1.100 ({P1}); "
                                              "above 1 for 1 of 2 pairs", "holds": "partly", **common},
        {"claim_id": "fig5-self", "measured": "aligned self-perplexity lower on 3 of 4 pair x dataset combinations",
         "holds": "partly", **common},
    ]


def test_claims_that_do_not_hold() -> None:
    flat = {k: 0.5 for k in TOP1}  # aligned never above Base
    same = {k: (20 if k[1] == k[2] else v) for k, v in PPL.items()}  # equal self-perplexities: never lower
    records = chapter.claim_records(crafted(curves=curves(flat), above=above(lambda p, m, t, thr: 50),
                                            cross=cross(same)))
    assert [r["holds"] for r in records] == [False, False, False, False]
    assert records[1]["measured"] == f"own answers, p > 1e-08: aligned / Base count 1.000 ({P1}); below 1 for 0 of 2 pairs"


def test_claims_that_hold() -> None:
    good = {(p, m, t): (0.9 if m == "aligned" and t == "own" else 0.5) for (p, m, t) in TOP1}

    def counts(p: str, m: str, t: str, thr: float) -> float:
        return 100 if m == "base" else (10 if t == "own" else 120)

    lower = {k: (v / 10 if k[1] == k[2] == "aligned" else v) for k, v in PPL.items()}
    records = chapter.claim_records(crafted(curves=curves(good), above=above(counts), cross=cross(lower)))
    assert [r["holds"] for r in records] == [True, True, True, True]
    assert records[2]["measured"] == f"gold text, p > 1e-08: aligned / Base count 1.200 ({P1}); above 1 for 2 of 2 pairs"


def test_tables() -> None:
    r = crafted()
    scored = chapter.scored_table(r)
    assert scored.to_dict("records") == [{"pair": P1, "model": "base", "answers ending with end-of-text": 0.667,
                                          "own sequences scored": 3, "own tokens scored": 15,
                                          "gold tokens scored": 14}]
    ratios = chapter.ratios_table(r)
    assert ratios.loc[(P2, "own"), 1e-8] == 1.2 and ratios.loc[(P2, "own"), 1e-6] == 0.8
    assert chapter.cross_table(r).loc[(P1, "code", "d2"), ("aligned", "base")] == 2.0
    assert chapter.verdicts_table(r)["this run"].tolist() == ["1 of 2 pairs", "1 of 2 pairs", "1 of 2 pairs",
                                                              "3 of 4 pair x dataset combinations"]
    assert chapter.verdicts_table(r)["paper's claim"][1] == ("on its own generations aligned has fewer tokens above "
                                                             "1e-08 than Base")

"""Chapter 03 (predact_utils.chapters.collapse.chapter, .tables): settings, glued numbers, claim records and
tables on crafted results (the verdict rules of predact_utils.claims on per-sequence data with known answers)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import collapse as chapter
from predact_utils.chapters.collapse.analysis import THRESHOLDS, SequenceSummary
from predact_utils.chapters.collapse.chapter import (
    count_effect,
    count_ratio,
    self_effects,
    self_lower,
    self_perplexity,
    top1_effect,
)
from predact_utils.lm.registry import PairSpec
from predact_utils.params import ParameterError

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_distribution_collapse.py"


def parameters_cell() -> dict:
    return notebook_parameters(NOTEBOOK)


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert s.pair_list() == "mini-m-rlhf;mini-m-sft;mini-s-dpo" and s.scored_samples == 10
    assert s.thresholds == (1e-4, 1e-5, 1e-6, 1e-7, 1e-8, 1e-9, 1e-10)
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
    assert chapter.Settings.from_values({"threshold": 1e-3}).thresholds == (1e-3,) + THRESHOLDS


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


# --- per-sequence data of the verdicts: 20 prompts x 2 answers, 10 gold documents, 3 prefix sets x 5 prefixes --

PROMPTS = [f"q{i}" for i in range(20)]
OWN_GROUPS = [q for q in PROMPTS for _ in range(2)]
DOCS = [f"c{i % 2}:{i}" for i in range(10)]
SETS = ["d1", "d2", "d3"]
PREFIXES = [f"p{i}" for i in range(5)]


def seq_summary(top1: np.ndarray, counts: np.ndarray, groups: list[str], tokens: int = 5) -> SequenceSummary:
    """A summary whose top-1 mass and counts above every threshold are the given per-sequence values."""
    n = len(groups)
    topk = np.column_stack([np.broadcast_to(top1, n), np.ones(n)]).astype(float)
    above = np.repeat(np.broadcast_to(np.asarray(counts, dtype=float), n)[:, None], len(THRESHOLDS), axis=1)
    return SequenceSummary(topk, above, np.zeros(n), np.ones(n), np.full(n, tokens), list(groups), THRESHOLDS)


def summaries(top1: dict | None = None, own: dict | None = None, gold: dict | None = None) -> dict:
    """Per (pair, model, text): top-1 mass on own answers (``top1``; gold text 0.4), counts above the thresholds on
    own answers (``own``) and on gold text (``gold``); each a value or per-sequence values. Defaults: all hold."""
    top1 = {"base": 0.5, "aligned": 0.95, **(top1 or {})}
    own = {"base": 100.0, "aligned": 10.0, **(own or {})}
    gold = {"base": 100.0, "aligned": 110.0, **(gold or {})}
    out = {}
    for p in (P1, P2):
        for m in ("base", "aligned"):
            out[(p, m, "own")] = seq_summary(np.asarray(top1[m]), np.asarray(own[m]), OWN_GROUPS)
            out[(p, m, "gold")] = seq_summary(np.asarray(0.4), np.asarray(gold[m]), DOCS, tokens=7)
    return out


def self_summary(log_ppl: np.ndarray) -> SequenceSummary:
    """A model scoring its own continuations of one prefix set, one per prefix, with these NLLs per token."""
    n, tokens = len(PREFIXES), 10
    return SequenceSummary(np.zeros((n, 0)), np.zeros((n, 0)), np.full(n, np.nan),
                           np.broadcast_to(log_ppl, n) * tokens, np.full(n, tokens), list(PREFIXES), ())


def self_scores(diff=lambda p, ds: 1.0) -> dict:
    """Base log self-perplexity 3 on every prefix, aligned 3 - ``diff(pair, dataset)`` (a value or per prefix)."""
    out = {}
    for p in (P1, P2):
        for ds in SETS:
            out[(p, "base", ds)] = self_summary(np.asarray(3.0))
            out[(p, "aligned", ds)] = self_summary(3.0 - np.asarray(diff(p, ds), dtype=float))
    return out


def crafted(**changes) -> chapter.Results:
    s = chapter.Settings.from_values(changes.pop("settings", {}))
    values = dict(settings=s, pairs=[PairSpec(name=P1, base="b1", aligned="a1", method="rlhf"),
                                     PairSpec(name=P2, base="b2", aligned="a2", method="dpo")],
                  skipped=[], summaries=summaries(), eos_share={(P1, "base"): 0.66666}, curves=curves(TOP1),
                  above=above(), prefix_sets=SETS, cross=cross(), self_scores=self_scores())
    values.update(changes)
    return chapter.Results(**values)


def words(r: chapter.Results) -> list[str]:
    return [rec["verdict"] for rec in chapter.claim_records(r)]


def test_derived_tables() -> None:
    r = crafted()
    sp = self_perplexity(r.cross)
    assert sp.loc[(P1, "d2"), "base"] == 5 and sp.loc[(P2, "d1"), "aligned"] == 15
    assert self_lower(r.cross).tolist() == [True, False, True, True]


def test_effects_are_paired_and_oriented_toward_the_paper() -> None:
    r = crafted()
    e = top1_effect(r, P1)
    assert e.units == 20 and np.allclose([e.estimate, e.low, e.high], 0.45)
    own, gold = count_effect(r, P1, "own"), count_effect(r, P1, "gold")
    assert own.units == 20 and math.isclose(own.estimate, math.log(10))  # log(Base / aligned) > 0: fewer
    assert gold.units == 10 and math.isclose(gold.estimate, math.log(1.1))  # log(aligned / Base) > 0: more
    assert math.isclose(count_ratio(own, "own"), 0.1) and math.isclose(count_ratio(gold, "gold"), 1.1)
    fx = self_effects(r)
    assert len(fx) == 6 and fx["prefixes"].tolist() == [5] * 6 and np.allclose(fx["estimate"], 1.0)
    # a log self-perplexity is NLL / tokens per sequence: doubling both changes nothing
    doubled = {k: SequenceSummary(v.topk_mass, v.n_above, v.entropy, 2 * v.nll, 2 * v.tokens, v.groups, ())
               for k, v in r.self_scores.items()}
    assert np.allclose(self_effects(crafted(self_scores=doubled))["estimate"], 1.0)


def test_pairing_uses_the_units_both_sides_have() -> None:
    s = summaries()
    b = s[(P1, "base", "own")]
    s[(P1, "base", "own")] = b.select(np.array([g != "q0" for g in b.groups]))  # Base's answers to q0 dropped
    assert top1_effect(crafted(summaries=s), P1).units == 19
    s[(P1, "base", "own")] = seq_summary(np.asarray(0.5), np.asarray(100.0), ["other"] * 2)
    e = top1_effect(crafted(summaries=s), P1)
    assert e.units == 0 and math.isnan(e.estimate)
    assert words(crafted(summaries=s))[0] == "not testable here"
    missing = {k: v for k, v in self_scores().items() if k[2] != "d3"}
    assert len(self_effects(crafted(self_scores=missing))) == 4


def test_claims_that_reproduce() -> None:
    r = crafted(settings={"scale": "smoke"})
    assert words(r) == ["reproduces"] * 4
    records = chapter.claim_records(r)
    assert [rec["claim_id"] for rec in records] == ["fig3-top1", "fig4-own", "fig4-gold", "fig5-self"]
    for rec in records:
        assert set(rec) == {"claim_id", "measured", "verdict", "reason", "pair", "scale", "detail", "stages"}
        assert (rec["pair"], rec["scale"]) == (f"{P1}, {P2}", "smoke")
    fig3, own, gold, fig5 = records
    assert [st["pair"] for st in fig3["stages"]] == [P1, P2] and all(st["holds"] for st in fig3["stages"])
    assert fig3["stages"][0]["effect"] == "+0.450 (95% interval +0.450 to +0.450 over 20 prompts)"
    assert fig5["stages"][0]["effect"].startswith("aligned lower with the interval above 0 on")
    assert fig3["measured"] == (
        f"own answers, (aligned - Base) mean top-1 mass, {P1} (the verdict's pair): +0.450 (95% interval +0.450 to "
        "+0.450 over 20 prompts); aligned 0.950 vs Base 0.500; other pairs: "
        f"{P2}: +0.450 (95% interval +0.450 to +0.450 over 20 prompts); aligned 0.950 vs Base 0.500")
    assert fig3["reason"] == "the direction holds: shape holds (aligned mean top-1 mass 0.950 >= 0.9)"
    assert own["measured"] == (
        f"own answers, p > 1e-08: log(Base / aligned) count, {P1} (the verdict's pair): +2.303 (95% interval "
        f"+2.303 to +2.303 over 20 prompts); aligned / Base 0.100; other pairs: {P2}: +2.303 (95% interval "
        "+2.303 to +2.303 over 20 prompts); aligned / Base 0.100")
    assert gold["measured"].startswith(
        f"gold text, p > 1e-08: log(aligned / Base) count, {P1} (the verdict's pair): +0.095 (95% interval "
        "+0.095 to +0.095 over 10 documents); aligned / Base 1.100")
    assert own["reason"] == "the direction holds: shape holds (aligned / Base 0.100 <= 0.5)"
    assert gold["reason"] == "the direction holds: shape holds (aligned / Base 1.100 <= 1.5)"
    assert fig5["measured"] == (
        "log self-perplexity (mean NLL per token), Base on its own continuations - aligned on its own, paired by "
        "prefix: aligned lower on 6 of 6 pair x dataset comparisons, 6 with the 95% interval over prefixes above 0; "
        "estimates +1.000 to +1.000, mean +1.000")
    assert "6 of 6 significant after Holm" in fig5["reason"] and "sign test p = 0.016" in fig5["reason"]
    assert fig5["detail"].startswith(f"{P1} / d1: +1.000 (+1.000 to +1.000, 5 prefixes); {P1} / d2: ")
    assert [rec["detail"] for rec in records[:3]] == ["", "", ""]


def test_claims_in_the_right_direction_but_wrong_size_or_shape() -> None:
    # aligned top-1 mass 0.8 (not "nearly all"), own count ratio 0.8 (not "far fewer"), gold 3.0 (not "slightly")
    noisy = [2.0, -1.0, 2.0, -1.0, 0.5]  # mean +0.5, the interval over prefixes includes 0
    r = crafted(summaries=summaries(top1={"aligned": 0.8}, own={"aligned": 80.0}, gold={"aligned": 300.0}),
                self_scores=self_scores(lambda p, ds: noisy if ds == "d1" else 1.0))
    assert words(r) == ["direction only"] * 4
    fig3, own, gold, fig5 = chapter.claim_records(r)
    assert fig3["reason"] == "the direction holds, but the shape does not hold (aligned mean top-1 mass 0.800 < 0.9)"
    assert own["reason"] == "the direction holds, but the shape does not hold (aligned / Base 0.800 > 0.5)"
    assert gold["reason"] == "the direction holds, but the shape does not hold (aligned / Base 3.000 > 1.5)"
    # every comparison in the direction, but the two noisy d1 comparisons are not significant after Holm
    assert "6 of 6 in the paper's direction" in fig5["reason"] and "4 of 6 significant after Holm" in fig5["reason"]
    assert "aligned lower on 6 of 6 pair x dataset comparisons, 4 with the 95% interval" in fig5["measured"]


def test_equal_random_like_models_do_not_reproduce() -> None:
    rng = np.random.default_rng(1)
    n_own, n_gold = len(OWN_GROUPS), len(DOCS)
    r = crafted(summaries=summaries(top1={m: rng.uniform(0.3, 0.7, n_own) for m in ("base", "aligned")},
                                    own={m: rng.lognormal(4, 0.5, n_own) for m in ("base", "aligned")},
                                    gold={m: rng.lognormal(4, 0.5, n_gold) for m in ("base", "aligned")}),
                self_scores=self_scores(lambda p, ds: rng.normal(0, 1, len(PREFIXES))))
    assert words(r) == ["does not reproduce"] * 4
    reasons = [rec["reason"] for rec in chapter.claim_records(r)]
    assert reasons[:3] == ["the 95% interval over prompts includes zero"] * 2 + [
        "the 95% interval over documents includes zero"]
    assert reasons[3].startswith("the direction is not established")
    same = crafted(summaries=summaries(top1={"aligned": 0.5}, own={"aligned": 100.0}, gold={"aligned": 100.0}),
                   self_scores=self_scores(lambda p, ds: 0.0))
    assert words(same) == ["does not reproduce"] * 4  # identical models: an interval of exactly zero


def test_negative_effects_do_not_reproduce() -> None:
    r = crafted(summaries=summaries(top1={"aligned": 0.3}, own={"aligned": 200.0}, gold={"aligned": 90.0}),
                self_scores=self_scores(lambda p, ds: -1.0))
    assert words(r) == ["does not reproduce"] * 4
    reasons = [rec["reason"] for rec in chapter.claim_records(r)]
    assert reasons[:3] == ["the 95% interval over prompts lies on the other side of zero"] * 2 + [
        "the 95% interval over documents lies on the other side of zero"]
    assert "0 of 6 in the paper's direction" in reasons[3]


def test_a_family_too_small_or_split_does_not_reproduce() -> None:
    # 5 of 6 in the direction: sign test p = 7/64 > 0.05
    assert words(crafted(self_scores=self_scores(lambda p, ds: -1.0 if (p, ds) == (P2, "d3") else 1.0)))[3] == \
        "does not reproduce"
    # 4 of 4 (two sets): p = 1/16, a family of four cannot establish a direction at 5%
    small = crafted(self_scores={k: v for k, v in self_scores().items() if k[2] != "d3"})
    assert words(small)[3] == "does not reproduce"
    assert words(crafted(self_scores={}))[3] == "not testable here"
    assert chapter.claim_records(crafted(self_scores={}))[3]["measured"] == "no pair x dataset comparison was scored"


def test_the_verdict_of_figs_3_and_4_is_the_first_pairs() -> None:
    s = summaries()
    for m, v in (("base", 0.5), ("aligned", 0.3)):  # the second pair goes the other way: verdict unchanged
        s[(P2, m, "own")] = seq_summary(np.asarray(v), np.asarray(100.0), OWN_GROUPS)
    r = crafted(summaries=s)
    assert words(r)[0] == "reproduces"
    assert f"{P2}: -0.200 (95% interval -0.200 to -0.200 over 20 prompts)" in chapter.claim_records(r)[0]["measured"]
    assert words(crafted(summaries=s, pairs=r.pairs[::-1]))[0] == "does not reproduce"


def test_counts_of_zero_are_not_testable() -> None:
    r = crafted(summaries=summaries(own={"aligned": 0.0}))
    assert words(r)[1] == "not testable here"
    assert "aligned / Base nan" in chapter.claim_records(r)[1]["measured"]


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
        "col_own_lower_all": "1 of 2", "col_gold_higher_all": "1 of 2", "col_thr_range": "1e-10 to 1e-4",
        "col_self_lower": "3 of 4", "col_self_gmean_base": "10.00", "col_self_gmean_aligned": f"{math.sqrt(80):.2f}",
        "col_prefix_setup": "3 prefix sets, the first 32 prefixes of each, 2 continuation(s) of at most 128 tokens "
                            "per prefix",
        "col_x_base_base": "10.00", "col_x_base_aligned": "40.00", "col_x_aligned_base": "10.00",
        "col_x_aligned_aligned": f"{math.sqrt(80):.2f}",
    }
    smoke = chapter.numbers(crafted(settings={"scale": "smoke"}))
    assert smoke["col_skipped"] == "none" and smoke["col_stats_samples"] == "4"
    assert smoke["col_sampling"] == ("top-p 0.9, temperature 1, at most 48 new tokens, 4 samples per prompt for "
                                     "the first pair and 4 for the others")


def test_tables() -> None:
    r = crafted()
    scored = chapter.scored_table(r)
    assert scored.to_dict("records") == [{"pair": P1, "model": "base", "answers ending with end-of-text": 0.667,
                                          "own sequences scored": 40, "own tokens scored": 200,
                                          "gold tokens scored": 70}]
    ratios = chapter.ratios_table(r)
    assert ratios.loc[(P2, "own"), 1e-8] == 1.2 and ratios.loc[(P2, "own"), 1e-6] == 0.8
    assert chapter.cross_table(r).loc[(P1, "code", "d2"), ("aligned", "base")] == 2.0
    table = chapter.verdicts_table(r)
    assert table["this run"].tolist() == ["1 of 2 pairs", "1 of 2 pairs", "1 of 2 pairs",
                                          "3 of 4 pair x dataset combinations"]
    assert table["paper's claim"][1] == "on its own generations aligned has fewer tokens above 1e-08 than Base"
    assert table["verdict"].tolist() == words(r)


def test_pairs_load_with_the_registry_template_and_the_tokenizer_check(tmp_path) -> None:
    """Chapter 03 loads a pair as load_pair does: a checkpoint without a chat template gets the registry's
    builtin one, and two checkpoints whose tokenizers differ are refused (a Tulu-style pair would otherwise
    sample without a template)."""
    from conftest import make_tokenizer, save_checkpoint

    from predact_utils.chapters.collapse.chapter import pair_models
    from predact_utils.lm.models import TokenizerMismatchError
    from predact_utils.lm.registry import PairSpec

    base = save_checkpoint(tmp_path / "base", seed=0, chat_template=None)
    aligned = save_checkpoint(tmp_path / "aligned", seed=1, chat_template=None)
    template = "{% for m in messages %}<|{{ m['role'] }}|>{{ m['content'] }}{% endfor %}<|assistant|>"
    spec = PairSpec(name="t", base=str(base), aligned=str(aligned), template_text=template)
    models: dict = {}
    loaded = pair_models(models, spec)
    assert loaded["aligned"].tokenizer.chat_template == template
    assert pair_models(models, spec)["base"] is loaded["base"]  # loaded once
    other = save_checkpoint(tmp_path / "other", seed=2, tokenizer=make_tokenizer(vocab_size=280))
    with pytest.raises(TokenizerMismatchError):
        pair_models({}, PairSpec(name="u", base=str(base), aligned=str(other)))


def test_rlhf_vs_sft_cells_compare_the_two_aligned_models_of_one_base() -> None:
    """An SFT pair on P1's Base: RLHF puts 0.05 more mass on its top token than SFT (0.95 vs 0.90), keeps half as
    many tokens above the threshold on own answers (10 vs 20), 110 vs 105 on gold text, and finds its own text
    more predictable by 0.5 nats on every dataset (SFT: 3 - 0.5, RLHF: 3 - 1)."""
    sft = "mini-m-sft"
    summ = summaries()
    summ[(sft, "aligned", "own")] = seq_summary(np.asarray(0.90), np.asarray(20.0), OWN_GROUPS)
    summ[(sft, "aligned", "gold")] = seq_summary(np.asarray(0.4), np.asarray(105.0), DOCS, tokens=7)
    summ[(sft, "base", "own")], summ[(sft, "base", "gold")] = summ[(P1, "base", "own")], summ[(P1, "base", "gold")]
    selfs = self_scores()
    for ds in SETS:
        selfs[(sft, "base", ds)] = selfs[(P1, "base", ds)]
        selfs[(sft, "aligned", ds)] = self_summary(np.asarray(2.5))
    pairs = [PairSpec(name=P1, base="b1", aligned="a1", method="rlhf"),
             PairSpec(name=sft, base="b1", aligned="a3", method="sft")]
    r = crafted(pairs=pairs, summaries=summ, self_scores=selfs)
    stages = {rec["claim_id"]: {st["comparison"]: st for st in rec["stages"]} for rec in chapter.claim_records(r)}
    label = f"{P1} vs {sft}"
    top1, own, gold, fig5 = (stages[c]["RLHF vs SFT"] for c in ("fig3-top1", "fig4-own", "fig4-gold", "fig5-self"))
    assert {top1["pair"], own["pair"], gold["pair"], fig5["pair"]} == {label}
    assert top1["effect"].startswith("+0.050 (95% interval +0.050 to +0.050") and top1["holds"]
    assert own["effect"].startswith(f"{np.log(2):+.3f}") and own["holds"]
    assert gold["effect"].startswith(f"{np.log(110 / 105):+.3f}") and gold["holds"]
    assert fig5["effect"] == "aligned lower with the interval above 0 on 3 of 3 datasets" and fig5["holds"]
    assert stages["fig3-top1"]["SFT vs Base"]["effect"].startswith("+0.400")  # SFT 0.90 vs Base 0.50
    # the SFT model no better than the RLHF one on top-1 mass: the cell does not hold
    summ[(sft, "aligned", "own")] = seq_summary(np.asarray(0.97), np.asarray(20.0), OWN_GROUPS)
    again = chapter.claim_records(crafted(pairs=pairs, summaries=summ, self_scores=selfs))[0]
    assert not {st["comparison"]: st for st in again["stages"]}["RLHF vs SFT"]["holds"]

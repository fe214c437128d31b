"""Chapter 04 (predact_utils.chapters.anchors.chapter): settings, glued numbers, verdict rules and claim
records on crafted results."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import anchors as chapter
from predact_utils.chapters.anchors import tables, verdicts
from predact_utils.chapters.anchors.analysis import AnchorSpan, SankeyGraph
from predact_utils.chapters.anchors.plots import PositionCurves
from predact_utils.params import ParameterError
from predact_utils.verdicts import DIRECTION_ONLY, DOES_NOT, NOT_TESTABLE, REPRODUCES

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "04_anchor_spans.py"
BASE, ALIGNED = "Base (b)", "DPO (a)"
NAMES = {"base": BASE, "aligned": ALIGNED}


def parameters_cell() -> dict:
    return notebook_parameters(NOTEBOOK)



# ---------------------------------------------------------------- settings


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert not s.smoke and s.pair_name == "mini-m-rlhf;mini-m-sft;mini-s-dpo"
    assert s.prompts_used is None and s.samples_used == 100 and s.overflow_check_prompts == 4
    assert s.overflow_counts() == [32, 8, 128]
    p = s.sampling()
    assert (p.top_p, p.temperature, p.max_new_tokens, p.n, p.seed) == (0.9, 1.0, 128, 100, 0)


def test_smoke_values() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "n_prompts": 20, "overflow_check_prompts": 3})
    assert s.pair_name == "mini-s-dpo" and s.prompts_used == 3 and s.overflow_check_prompts == 1
    assert s.samples_used == 12 and s.sampling().n == 12
    assert chapter.Settings.from_values({"scale": "smoke", "n_samples": 5}).samples_used == 5
    assert chapter.Settings.from_values({"n_prompts": 7, "n_samples": 30}).samples_used == 30


def test_overflow_counts_keep_the_first_and_drop_repeats() -> None:
    assert chapter.Settings.from_values({"overflow_check": "8, 32,,8"}).overflow_counts() == [32, 8]
    assert chapter.Settings.from_values({"overflow_check": ""}).overflow_counts() == [32]


@pytest.mark.parametrize("bad", [{"mafft_overflow": 248}, {"top_p": 1.5}, {"n_samples": 1}, {"n_prompts": -1},
                                 {"live_widgets": "yes"}, {"pair": 3}, {"scale": "fast"}, {"min_others": 0},
                                 {"n_points": 1}, {"mafft_options": 5}, {"anchor_threshold": True},
                                 {"max_anchors": 0}])
def test_bad_values_raise(bad: dict) -> None:
    with pytest.raises(ParameterError, match=next(iter(bad))):
        chapter.Settings.from_values(bad)


def test_integer_top_p_is_a_float() -> None:
    assert chapter.Settings.from_values({"top_p": 1}).top_p == 1.0


# ---------------------------------------------------------------- crafted results


def span(order: int, first: int, length: int, support: int = 3) -> AnchorSpan:
    cols = tuple(range(first, first + length))
    return AnchorSpan(order, cols, tuple(range(length)), support, support, 4)


def graph(n_spans: int, paths: list[tuple]) -> SankeyGraph:
    return SankeyGraph([span(k, 10 * k, 2) for k in range(n_spans)], paths)


A0, A1, O1, START, END = ("anchor", 0), ("anchor", 1), ("other", 1), ("start", 0), ("end", 0)
# aligned: 2 of 3 generations through both spans; Base keeps no span, so no generation counts
ALIGNED_GRAPH = graph(2, [(START, A0, A1, END), (START, A0, O1, END), (START, ("free", 0), A0, A1, END)])
BASE_GRAPH = graph(0, [(START, END), (START, ("free", 0), END)])


HOLDS = ((0.8, 0.2, 1.4), (3.0, 2.0, 4.0))  # (length-matched difference, above chance): both intervals above 0


def crafted(edges: pd.DataFrame | None = None, band: tuple[float, float] = (0.5, 1.5),
            ngram_bands: dict | None = None, controls: tuple | None = HOLDS, **settings) -> chapter.Results:
    s = chapter.Settings.from_values(settings)
    ngram_mean = pd.DataFrame({n: [0.1 + 0.01 * n, 0.5 + 0.01 * n] for n in range(1, s.max_n + 1)},
                              index=pd.Index([BASE, ALIGNED], name="model"))
    ngram_mean.columns.name = "n"
    if edges is None:
        edges = pd.DataFrame({"mean over positions": [2.0, 6.25], "first 10%": [2.5, 8.0], "middle": [1.9, 5.0],
                              "last 10%": [2.2, 7.04]}, index=pd.Index([BASE, ALIGNED], name="model"))
    if ngram_bands is None:
        ngram_bands = {n: b for n, b in {10: (0.3, 0.1, 0.5), 25: (-0.02, -0.05, 0.01)}.items() if n <= s.max_n}
    fold = pd.DataFrame({"distinct_tokens": [210.4, 98.6], "folded_share": [0.0234, 0.0]}, index=[BASE, ALIGNED])
    spans_ = pd.DataFrame({"anchor_spans": [0.5, 4.25], "mean_span_length": [1.0, 3.0], "longest_span": [1.0, 7.5],
                           "anchor_token_share": [0.014, 0.456], "aligned_token_share": [0.1, 0.62]},
                          index=[BASE, ALIGNED])
    return chapter.Results(
        settings=s, pair="mini-s-dpo", method="dpo", model_names={"base": "b", "aligned": "a"},
        not_built=["mini-m-rlhf"], prompts=[{"id": "p1", "prompt": "Why?"}, {"id": "p2", "prompt": "How?"}],
        names=NAMES, colors={BASE: "#1f77b4", ALIGNED: "#d62728"}, mean_length={"base": 101.25, "aligned": 64.0},
        eos_share={"base": 0.125, "aligned": 0.9}, ngram_table=pd.DataFrame(), ngram_mean=ngram_mean,
        example_index=1, shared_ngrams=pd.DataFrame(), mafft_options=("--retree", "2"), mafft_version="v7.505",
        mafft_seconds=12.4, folding=pd.DataFrame(), fold_summary=fold, span_table=pd.DataFrame(),
        span_summary=spans_, example_spans=pd.DataFrame(), check_prompts=1, overflow_table=pd.DataFrame(),
        sankey_example=(BASE_GRAPH, ALIGNED_GRAPH), sankey_examples=[("Why?", BASE_GRAPH, ALIGNED_GRAPH)] * 2,
        curves=PositionCurves({}, {}, {}, np.array([])), edges=edges, position_diff=np.array([1.0, 2.0, 0.5]),
        position_band=band, ngram_bands=ngram_bands, control_index=[0, 1] if controls else [],
        position_controls=controls, ngram_controls={n: controls for n in ngram_bands} if controls else {})


def test_numbers_of_crafted_results() -> None:
    out = chapter.numbers(crafted(scale="smoke"))
    assert out["an_pair"] == "mini-s-dpo (b and a, dpo); not built, hence not used: mini-m-rlhf"
    assert out["an_prompts"] == "2" and out["an_samples"] == "12" and out["an_floor"] == "8%"
    assert out["an_sampling"] == "nucleus p = 0.9, temperature 1, at most 128 new tokens, seed 0"
    assert (out["an_len_base"], out["an_eos_base"], out["an_eos_aligned"]) == ("101.2", "12%", "90%")
    assert (out["an_ng10_base"], out["an_ng10_aligned"], out["an_ng25_aligned"]) == ("20%", "60%", "75%")
    assert out["an_mafft_opts"] == "--retree 2" and out["an_mafft_seconds"] == "12"
    assert (out["an_types_base"], out["an_folded_base"], out["an_folded_aligned"]) == ("210", "2.3%", "0.0%")
    assert (out["an_spans_aligned"], out["an_longest_aligned"]) == ("4.2", "7.5")
    assert (out["an_anchor_share_aligned"], out["an_aligned_share_base"]) == ("46%", "10%")
    assert out["an_example_text"] == "How?" and out["an_check_prompts"] == "1" and out["an_n_sankey"] == "2"
    assert out["an_skeleton_aligned"] == "2 of 3" and out["an_skeleton_base"] == "0 of 2"
    assert (out["an_pos_mean_aligned"], out["an_pos_first_aligned"], out["an_pos_last_base"]) == ("6.2", "8.0", "2.2")
    assert out["an_pos_diff"] == "1.2 [0.5, 1.5]"
    assert out["an_pos_shape"] == "higher at both ends than in the middle"
    assert out["an_pos_verdict"] == "above"
    assert out["an_ng_verdict"] == (
        "at n = 10 the aligned model shows more sharing than Base (+30.0 points, 95% interval +10.0 to +50.0), "
        "and its 60% is 1.00 times the paper's about 60%; at n = 25 the aligned model shows no clear difference "
        "from Base (-2.0 points, 95% interval -5.0 to +1.0), and its 75% is 3.00 times the paper's about 25%")
    assert "an_mafft_version" in out and all(isinstance(v, str) for v in out.values())
    assert out["an_ctrl_prompts"] == "2"
    assert out["an_ng_controls"].startswith("at n = 10, with lengths matched the difference is +80.0 points (95% "
                                            "interval +20.0 to +140.0, the 2 prompts); the aligned model's margin")
    assert out["an_pos_controls"] == ("with lengths matched the difference is +0.8 generations (95% interval +0.2 "
                                      "to +1.4, the 2 control prompts); the aligned model's margin over its "
                                      "chance baseline is +3.0 generations (95% interval +2.0 to +4.0)")
    bare = chapter.numbers(crafted(controls=None))
    assert bare["an_ng_controls"] == bare["an_pos_controls"] == "not run (fewer than 2 prompts)"


def test_numbers_below_the_paper_n() -> None:
    out = chapter.numbers(crafted(max_n=8, band=(-2.0, -0.5)))
    assert out["an_ng10_aligned"] == "nan%" and out["an_ng25_base"] == "nan%"
    assert out["an_ng_verdict"] == "(max_n below 10: not measured)"
    assert out["an_pos_verdict"] == "below"


def test_flat_aligned_curve_is_not_higher_at_both_ends() -> None:
    edges = pd.DataFrame({"mean over positions": [2.0, 6.0], "first 10%": [2.5, 8.0], "middle": [1.9, 6.0],
                          "last 10%": [2.2, 6.0]}, index=[BASE, ALIGNED])
    out = chapter.numbers(crafted(edges=edges, band=(-0.1, 0.3)))
    assert out["an_pos_shape"] == "not higher at both ends than in the middle"
    assert out["an_pos_verdict"] == "not distinguishable from"


def test_claim_records_of_crafted_results() -> None:
    records = chapter.claim_records(crafted(scale="smoke"))
    assert [r["claim_id"] for r in records] == ["fig1-anchors", "ngram-10", "ngram-25"]
    assert all(set(r) == {"claim_id", "measured", "verdict", "reason", "pair", "scale", "detail", "stages"}
               for r in records)
    # the run's one pair is a DPO pair: its stage cell, holding where the verdict's direction holds
    assert records[0]["stages"] == [{"comparison": "DPO vs Base", "pair": "mini-s-dpo",
                                     "effect": "+1.2 generations [+0.5, +1.5]", "holds": True}]
    assert records[2]["stages"][0]["holds"] is False
    fig1 = records[0]
    assert (fig1["verdict"], fig1["pair"], fig1["scale"]) == (REPRODUCES, "mini-s-dpo", "smoke")
    assert fig1["measured"] == (
        "generations aligned with >= 5 others, mean over positions: aligned 6.2 vs Base 2.0 of 12; difference "
        "+1.2 generations (95% interval +0.5 to +1.5, resampling the 2 prompts); aligned curve 8.0 in the first "
        "tenth, 5.0 in the middle, 7.0 in the last tenth; the paper gives no number; with lengths matched the "
        "difference is +0.8 (95% interval +0.2 to +1.4, the 2 control prompts); the aligned model's margin over "
        "its chance baseline is +3.0 (95% interval +2.0 to +4.0)")
    assert "shape holds" in fig1["reason"] and "magnitude" not in fig1["reason"]
    assert "both controls hold" in fig1["reason"]
    # n = 10: interval +10 to +50 points, aligned 60% against the paper's 60%: ratio 1.00
    assert records[1]["verdict"] == REPRODUCES and "magnitude 1.00 times the paper's" in records[1]["reason"]
    assert records[1]["measured"] == (
        "most common 10-gram in 60% of aligned and 20% of Base generations; difference +30.0 points "
        "(95% interval +10.0 to +50.0, resampling the 2 prompts); magnitude ratio 1.00 (aligned 60% / the "
        "paper's 60%); with lengths matched the difference is +80.0 points (95% interval +20.0 to +140.0, the 2 "
        "prompts); the aligned model's margin over its chance baseline is +300.0 points (95% interval +200.0 to "
        "+400.0)")
    # n = 25: the interval -5 to +1 points straddles zero, whatever the ratio (75% / 25% = 3.00)
    assert records[2]["verdict"] == DOES_NOT and "includes zero" in records[2]["reason"]
    assert "magnitude ratio 3.00 (aligned 75% / the paper's 25%)" in records[2]["measured"]


def test_claim_records_follow_max_n_and_the_interval() -> None:
    records = chapter.claim_records(crafted(max_n=12, band=(0.0, 0.4)))
    assert [r["claim_id"] for r in records] == ["fig1-anchors", "ngram-10"]
    assert records[0]["verdict"] == DOES_NOT and records[0]["scale"] == "full"
    assert [r["claim_id"] for r in chapter.claim_records(crafted(max_n=3))] == ["fig1-anchors"]


def test_fig1_below_base_does_not_reproduce() -> None:
    fig1 = chapter.claim_records(crafted(band=(-2.0, -0.5)))[0]
    assert fig1["verdict"] == DOES_NOT and "other side of zero" in fig1["reason"]


def test_fig1_flat_aligned_curve_is_direction_only() -> None:
    """Aligned above Base, but its curve is no higher at the ends than in the middle: the shape fails."""
    edges = pd.DataFrame({"mean over positions": [2.0, 6.0], "first 10%": [2.5, 8.0], "middle": [1.9, 6.0],
                          "last 10%": [2.2, 6.0]}, index=[BASE, ALIGNED])
    fig1 = chapter.claim_records(crafted(edges=edges, band=(0.5, 1.5)))[0]
    assert fig1["verdict"] == DIRECTION_ONLY and "the shape does not hold" in fig1["reason"]
    assert "6.0 in the last tenth" in fig1["reason"]


def test_ngram_right_direction_a_tenth_of_the_size_is_direction_only() -> None:
    """The 10-gram in 5% of aligned generations, significantly more than Base, against the paper's ~60%."""
    r = crafted(ngram_bands={10: (0.03, 0.01, 0.05), 25: (0.01, 0.002, 0.02)})
    r.ngram_mean.loc[ALIGNED, 10], r.ngram_mean.loc[ALIGNED, 25] = 0.05, 0.24
    records = {x["claim_id"]: x for x in chapter.claim_records(r)}
    assert records["ngram-10"]["verdict"] == DIRECTION_ONLY
    assert "0.08 times the paper's (outside 0.5 to 2)" in records["ngram-10"]["reason"]
    assert records["ngram-25"]["verdict"] == REPRODUCES  # 24% / 25% = 0.96


def test_ngram_less_sharing_than_base_does_not_reproduce() -> None:
    r = crafted(ngram_bands={10: (-0.2, -0.3, -0.1), 25: (-0.1, -0.2, -0.05)})
    assert [x["verdict"] for x in chapter.claim_records(r)[1:]] == [DOES_NOT, DOES_NOT]


def test_random_like_equal_models_do_not_reproduce() -> None:
    """Two models whose coverage differs by noise around zero, prompt by prompt: no direction."""
    rng = np.random.default_rng(1)
    cover = rng.uniform(0.0, 0.1, size=20)
    noise = np.tile([0.01, -0.01], 10)
    rows = [{"model": m, "prompt": f"p{i}", "n": 10, "coverage": c}
            for m, values in ((BASE, cover), (ALIGNED, cover + noise)) for i, c in enumerate(values)]
    band = verdicts.ngram_difference(pd.DataFrame(rows), 10, BASE, ALIGNED)
    assert band[1] < 0 < band[2]
    assert verdicts.ngram_claim_verdict(band, 0.6, 0.6).word == DOES_NOT  # even at the paper's size
    base = np.tile(cover[:, None], (1, 10))
    diff, lo, hi = verdicts.position_difference(base, base + noise[:, None])
    assert lo < 0 < hi and verdicts.fig1_verdict(lo, hi, 8.0, 5.0, 7.0).word == DOES_NOT


def test_one_prompt_is_not_testable() -> None:
    """One prompt resamples to itself: its interval is a point, not an interval over prompts."""
    r = crafted()
    r.prompts = r.prompts[:1]
    assert {x["verdict"] for x in chapter.claim_records(r)} == {NOT_TESTABLE}


def test_claim_records_are_valid_scoreboard_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from predact_utils.claims import record_all

    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    record_all(chapter.claim_records(crafted()))
    assert sorted(p.name for p in tmp_path.glob("*.json")) == ["fig1-anchors.json", "ngram-10.json", "ngram-25.json"]


def test_tables_of_crafted_results() -> None:
    r = crafted()
    assert chapter.table_folding(r).loc[BASE, "folded_share"] == 0.023
    assert chapter.table_position_edges(r).loc[ALIGNED, "last 10%"] == 7.04
    comparison = chapter.table_comparison(r)
    assert comparison.loc["generations containing the most common 10-gram", ALIGNED] == "60%"
    assert comparison.loc["generations aligned with >= 5 others (mean over positions)", BASE] == "2.0 of 100"
    assert comparison.loc["... first 10% / middle / last 10% of the generation", ALIGNED] == "8.0 / 5.0 / 7.0"
    assert chapter.widget_sankey(r) is None
    short = chapter.table_comparison(crafted(max_n=20))
    assert short.loc["generations containing the most common 25-gram", BASE] == "-"


# ---------------------------------------------------------------- verdict rules and table builders


@pytest.mark.parametrize(("lo", "hi", "words", "place", "word"), [
    (0.1, 0.5, "more", "above", REPRODUCES), (-0.5, -0.1, "less", "below", DOES_NOT),
    (-0.1, 0.5, "no clear difference from", "not distinguishable from", DOES_NOT),
    (0.0, 0.5, "no clear difference from", "not distinguishable from", DOES_NOT)])
def test_interval_rules(lo: float, hi: float, words: str, place: str, word: str) -> None:
    assert verdicts.difference_verdict(lo, hi, "more", "less") == words
    assert verdicts.position_verdict(lo, hi) == place
    assert verdicts.fig1_verdict(lo, hi, 3.0, 2.0, 2.5).word == word
    assert verdicts.ngram_claim_verdict((0.0, lo, hi), 0.3, 0.25).word == word


@pytest.mark.parametrize(("share", "paper", "word"), [
    (0.30, 0.60, REPRODUCES), (0.29, 0.60, DIRECTION_ONLY), (1.20, 0.60, REPRODUCES), (0.60, 0.25, DIRECTION_ONLY),
    (0.125, 0.25, REPRODUCES), (0.12, 0.25, DIRECTION_ONLY)])
def test_ngram_magnitude_band(share: float, paper: float, word: str) -> None:
    """The aligned share over the paper's 60% (10-gram) or 25% (25-gram) must lie within 0.5 to 2."""
    assert verdicts.ngram_claim_verdict((0.1, 0.05, 0.15), share, paper).word == word


def test_shape_rule() -> None:
    assert verdicts.higher_at_both_ends(3.0, 2.0, 2.5) and not verdicts.higher_at_both_ends(3.0, 2.0, 2.0)
    assert verdicts.shape_verdict(3.0, 2.0, 2.5) == "higher at both ends than in the middle"
    assert verdicts.shape_verdict(3.0, 2.0, 2.0) == "not higher at both ends than in the middle"
    assert verdicts.shape_verdict(1.0, 2.0, 3.0) == "not higher at both ends than in the middle"


def test_ngram_difference_on_a_crafted_table() -> None:
    rows = [{"model": m, "prompt": p, "n": n, "coverage": c}
            for m, per in ((BASE, {"p1": 0.1, "p2": 0.2}), (ALIGNED, {"p1": 0.3, "p2": 0.6}))
            for p, c in per.items() for n in (10, 11)]
    d, lo, hi = verdicts.ngram_difference(pd.DataFrame(rows), 10, BASE, ALIGNED)
    assert math.isclose(d, 0.3) and 0.2 - 1e-12 <= lo <= d <= hi <= 0.4 + 1e-12
    one = pd.DataFrame([r for r in rows if r["prompt"] == "p1"])
    assert verdicts.ngram_difference(one, 11, BASE, ALIGNED) == pytest.approx((0.2, 0.2, 0.2))


def test_position_difference_is_aligned_minus_base() -> None:
    base = np.array([[1.0, 3.0], [2.0, 2.0]])
    aligned = np.array([[4.0, 6.0], [2.0, 4.0]])
    diff, lo, hi = verdicts.position_difference(base, aligned)
    assert diff.tolist() == [3.0, 1.0] and 1.0 <= lo <= 2.0 <= hi <= 3.0


def test_full_skeleton_and_shown_prompts() -> None:
    assert tables.full_skeleton(ALIGNED_GRAPH) == 2 and tables.full_skeleton(BASE_GRAPH) == 0
    assert tables.shown_prompts(5, 10, 4) == [5, 0, 1, 2, 3]
    assert tables.shown_prompts(2, 3, 4) == [2, 0, 1]


def test_position_edges_of_crafted_curves() -> None:
    mat = np.array([[10.0] + [2.0] * 8 + [6.0], [10.0] + [4.0] * 8 + [6.0]])  # 10 points: tenth = 1 point
    curves = PositionCurves({ALIGNED: mat}, {}, {}, np.linspace(0.05, 0.95, 10))
    row = tables.position_edges(curves, 10).loc[ALIGNED]
    assert (row["first 10%"], row["middle"], row["last 10%"]) == (10.0, 3.0, 6.0)
    assert row["mean over positions"] == pytest.approx(4.0)


def test_example_spans_table_decodes_the_tokens() -> None:
    table = tables.example_spans_table({ALIGNED: [span(0, 3, 2, support=4)], BASE: []},
                                       lambda toks: "\n".join(map(str, toks)))
    assert table.to_dict("records") == [{"model": ALIGNED, "span": 1, "columns": "3-4", "tokens": 2,
                                         "verbatim in": "4 of 4", "text": "0⏎1"}]
    assert list(tables.example_spans_table({}, str).columns) == ["model", "span", "columns", "tokens",
                                                                 "verbatim in", "text"]


@pytest.mark.parametrize(("controls", "word", "why"), [
    # the raw effect vanishes once the two models' generations have equal lengths
    (((0.05, -0.1, 0.2), (3.0, 2.0, 4.0)), DOES_NOT, "with lengths matched the difference is +0.05"),
    # the aligned model lines up no more than its own generations of other prompts do
    (((0.8, 0.2, 1.4), (0.0, -0.5, 0.5)), DOES_NOT, "above the chance baseline the difference is +0"),
    (((0.8, 0.2, 1.4), (float("nan"),) * 3), NOT_TESTABLE, "above the chance baseline"),
])
def test_a_failed_or_missing_control_overrides_the_raw_direction(controls, word, why) -> None:
    records = chapter.claim_records(crafted(controls=controls))
    fig1, ng10 = records[0], records[1]
    for rec in (fig1, ng10):
        assert rec["verdict"] == word and why in rec["reason"], rec["reason"]
        assert rec["reason"].startswith("the raw difference lies above 0, but")


def test_without_controls_the_record_says_so() -> None:
    fig1 = chapter.claim_records(crafted(controls=None))[0]
    assert fig1["measured"].endswith("; controls not run (fewer than 2 prompts)") and fig1["verdict"] == REPRODUCES



def test_other_stage_cells_reach_their_claims_records_and_the_table() -> None:
    from predact_utils.chapters.anchors.stages import StageMeasure
    from predact_utils.lm.registry import StageSides
    from predact_utils.verdicts import Verdict

    r = crafted()
    cell = StageSides("RLHF vs SFT", "m-rlhf vs m-sft", ("m-sft", "aligned"), ("m-rlhf", "aligned"))
    r.stage_cells = [(cell, [StageMeasure("ngram-10", "+4.0 points [+1.0, +7.0]", Verdict(DIRECTION_ONLY, "why")),
                             StageMeasure("fig1-anchors", "-0.5 generations [-1.0, +0.1] over 2 prompts",
                                          Verdict(DOES_NOT, "why"))])]
    records = {rec["claim_id"]: rec for rec in chapter.claim_records(r)}
    assert [(c["comparison"], c["holds"]) for c in records["ngram-10"]["stages"]] == [
        ("DPO vs Base", True), ("RLHF vs SFT", True)]
    assert [(c["comparison"], c["holds"]) for c in records["fig1-anchors"]["stages"]][1] == ("RLHF vs SFT", False)
    assert [c["comparison"] for c in records["ngram-25"]["stages"]] == ["DPO vs Base"]
    t = chapter.table_stages(r)
    cell = t[(t["pair"] == "m-rlhf vs m-sft") & (t["claim"] == "ngram-10")].iloc[0]
    assert (cell["effect [95% interval]"], cell["verdict"]) == ("+4.0 points [+1.0, +7.0]", DIRECTION_ONLY)
    assert list(t["claim"]) == ["fig1-anchors", "fig1-anchors", "ngram-10", "ngram-10", "ngram-25"]
    assert t.iloc[0]["comparison"] == "DPO vs Base" and t.iloc[0]["pair"] == "mini-s-dpo"
    assert "also measured on m-rlhf vs m-sft" in chapter.numbers(r)["an_pair"]

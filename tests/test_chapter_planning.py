"""Chapter 05 (planning ahead): settings, glued numbers, verdicts and the scoreboard record on crafted results."""

from __future__ import annotations

import ast
import math
from pathlib import Path

import jupytext
import numpy as np
import pandas as pd
import pytest

from predact_utils.chapters import planning as chapter
from predact_utils.chapters.planning.chapter import plan_row
from predact_utils.chapters.planning.page import (
    cells_aligned_ahead,
    difference_verdict,
    plan_result_text,
    plan_targets_text,
    probe_ahead_verdict,
)
from predact_utils.chapters.planning.probing import GroupScores, ProbeRun, gain_difference, regroup, regrouped
from predact_utils.params import ParameterError
from predact_utils.verdicts import DOES_NOT, NOT_TESTABLE, REPRODUCES

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_planning_ahead.py"


def _parameters_cell() -> dict[str, object]:
    cell = next(c for c in jupytext.read(NOTEBOOK).cells if "parameters" in c.metadata.get("tags", []))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}


def test_defaults_are_the_notebook_parameters() -> None:
    assert chapter.Settings.defaults() == _parameters_cell()
    s = chapter.Settings.from_values({})
    assert not s.smoke and s.pairs == "mini-m-rlhf;mini-m-sft;mini-s-dpo"
    assert s.mafft_timeout == 300.0 and isinstance(s.mafft_timeout, float)
    assert s.offset_list == [1, 2, 3, 4, 6, 8, 12, 16]
    assert s.ks_ahead == [2, 3, 4, 6, 8, 12, 16] and s.k_show == 4
    assert s.probe_samples == 8
    assert s.layer_indices(3) == [0, 1, 2]


def test_smoke_values_apply_at_smoke_only() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "n_prompts": 50, "pair": "a;b", "smoke_pair": "c"})
    assert (s.n_prompts, s.n_samples, s.n_probe_samples, s.max_new_tokens) == (4, 4, 4, 24)
    assert (s.gold_docs, s.gold_tokens, s.probe_max_iter, s.n_boot, s.max_train_positions) == (1, 32, 15, 100, 2000)
    assert s.layers == "0,-1" and s.layer_indices(5) == [0, -1]
    assert s.pairs == "c"
    full = chapter.Settings.from_values({"n_prompts": 50, "pair": "a;b"})
    assert full.n_prompts == 50 and full.layers == "all" and full.pairs == "a;b"


def test_derived_offsets() -> None:
    s = chapter.Settings.from_values({"offsets": "1,2,8", "n_probe_samples": 20, "n_samples": 5})
    assert s.k_show == 8 and s.ks_ahead == [2, 8] and s.probe_samples == 5
    s = chapter.Settings.from_values({"offsets": "1"})
    assert s.ks_ahead == [1] and s.k_show == 1
    with pytest.raises(ValueError, match="offsets"):
        _ = chapter.Settings.from_values({"offsets": "one"}).offset_list
    kw = chapter.Settings.from_values({"seed": 3}).probe_kwargs()
    assert kw["seed"] == 3 and kw["top_n"] == 127 and kw["offsets"][0] == 1


@pytest.mark.parametrize("bad", [
    {"split_by": "token"}, {"plan_spans": "random"}, {"probe_top_n": 0}, {"test_fraction": 0.95},
    {"n_prompts": 2}, {"gold_tokens": 4}, {"n_boot": 5}, {"mafft_timeout": 0.5}, {"max_train_positions": 50},
    {"plan_max_share": 1.5}, {"pair": 3}, {"layers": 0}, {"scale": "fast"}, {"probe_l2": -1.0},
])
def test_bad_values_raise(bad: dict[str, object]) -> None:
    with pytest.raises(ParameterError):
        chapter.Settings.from_values(bad)


def _table() -> pd.DataFrame:
    """Scores of 2 roles x 2 sources x layers {0, 2} x k {1, 2, 4}; the aligned gain is the larger in 3 cells."""
    rows = []
    for role in ("base", "aligned"):
        for src in ("own generations", "gold text"):
            for layer in (0, 2):
                for k in (1, 2, 4):
                    gain = 0.1 * k + (0.05 if role == "aligned" and src == "own generations" and layer == 2 else 0)
                    if role == "aligned" and src == "gold text" and layer == 0 and k == 4:
                        gain += 0.01
                    acc = 0.5 / k + (0.1 if role == "aligned" else 0.0)
                    rows.append({"layer": layer, "k": k, "n_positions": 100, "acc": acc, "acc_lo": acc - 0.05,
                                 "acc_hi": acc + 0.05, "base_acc": 0.25, "ce": 2.0, "base_ce": 2.0 + gain,
                                 "gain": gain, "gain_lo": gain - 0.02, "gain_hi": gain + 0.02,
                                 "role": role, "source": src})
    return pd.DataFrame(rows)


def _results(own: dict[str, float], gold: dict[str, float], plan_auc: float = 0.75,
             gold_layer0: dict[str, float] | None = None, **settings: object) -> chapter.Results:
    s = chapter.Settings.from_values({"offsets": "1,2,4", "layers": "0,2", "curve_layer": 2, **settings})
    plan = [plan_row("base", "mini-s-base", [[(1, 2)], []],
                                     {"prompts": 3.0, "auc_probe": plan_auc, "auc_probe_lo": 0.6,
                                      "auc_probe_hi": 0.9, "auc_prior": 0.5}),
            plan_row("aligned", "mini-s-dpo", [[], []], {"prompts": 0.0})]
    return chapter.Results(settings=s, base_name="mini-s-base", aligned_name="mini-s-dpo", not_built=["mini-m"],
                           layers=[0, 2], curve=2, table=_table(), sizes=pd.DataFrame(),
                           comparisons={"own generations": own, "gold text": gold}, plan_rows=plan,
                           by_layer={"own generations": {0: own, 2: own},
                                     "gold text": {0: gold_layer0 or gold, 2: gold}})


GROUPS = {"paired": 1.0, "groups_a": 16.0, "groups_b": 16.0}
OWN = {"a": 0.3, "b": 0.35, "diff": 0.05, "lo": 0.01, "hi": 0.09, **GROUPS}
GOLD = {"a": 0.3, "b": 0.3, "diff": 0.0, "lo": -0.02, "hi": 0.03, **GROUPS}


def test_numbers_on_crafted_results() -> None:
    n = chapter.numbers(_results(OWN, GOLD))
    assert n["pl_pair"] == "mini-s-base / mini-s-dpo; not built, hence not used: mini-m"
    assert n["pl_layers"] == "0, 2" and n["pl_curve_layer"] == "2" and n["pl_k_show"] == "4"
    assert n["pl_ks_ahead"] == "2, 4" and n["pl_top_n"] == "127"
    assert n["pl_samples"] == "100" and n["pl_probe_samples"] == "8"
    # layer 2, k = 4, own generations: base acc 0.125, aligned 0.225; gain 0.4 and 0.45
    assert n["pl_own_base_acc"] == "0.125 [0.075, 0.175]"
    assert n["pl_own_aligned_acc"] == "0.225 [0.175, 0.275]"
    assert n["pl_own_aligned_base_acc"] == "0.250"
    assert n["pl_own_base_gain"] == "0.400 [0.380, 0.420]"
    assert n["pl_own_aligned_gain"] == "0.450 [0.430, 0.470]"
    assert n["pl_gold_aligned_gain"] == "0.400 [0.380, 0.420]"
    assert n["pl_own_mean_base"] == "0.300" and n["pl_own_mean_aligned"] == "0.350"
    assert n["pl_own_diff"] == "+0.050 [+0.010, +0.090]"
    assert n["pl_gold_diff"] == "+0.000 [-0.020, +0.030]"
    assert n["pl_own_verdict"].startswith("more forward-predictive in the aligned model")
    assert n["pl_gold_verdict"].startswith("not clearly different")
    # k in {2, 4}: 2 aligned-ahead cells at layer 2 of own generations, 1 at layer 0 of gold text, of 8
    assert n["pl_cells_aligned_ahead"] == "3 of 8"
    assert n["pl_plan_min_share"] == "20%" and n["pl_plan_max_share"] == "80%"
    assert n["pl_plan_max_spans"] == "20" and n["pl_plan_n"] == "4"
    assert n["pl_plan_targets"].startswith("The targets are the prompt's anchor spans")
    assert "threshold 0.5," in n["pl_plan_targets"] and "20% to 80%" in n["pl_plan_targets"]
    assert n["pl_plan_base_result"] == ("a mean AUC of 0.750 [0.600, 0.900] (0.500 without the state; "
                                        "0.5 spans per prompt)")
    assert n["pl_plan_aligned_result"].startswith("no measurable AUC (0.0 spans per prompt")


def test_verdicts() -> None:
    assert difference_verdict({"lo": 0.01, "hi": 0.2}).startswith("more forward-predictive in the aligned")
    assert difference_verdict({"lo": -0.3, "hi": -0.01}).startswith("more forward-predictive in the Base")
    assert difference_verdict({"lo": 0.0, "hi": 0.1}).startswith("not clearly different")


def _c(a: float, b: float, lo: float, hi: float, **kw: float) -> dict[str, float]:
    return {"a": a, "b": b, "diff": b - a, "lo": lo, "hi": hi, **GROUPS, **kw}


def test_probe_ahead_reproduces_only_with_both_gains_above_zero() -> None:
    v = probe_ahead_verdict(_c(0.3, 0.35, 0.01, 0.09))
    assert v.word == REPRODUCES and "both gains are above 0 (Base +0.300, aligned +0.350" in v.reason


@pytest.mark.parametrize(("c", "why"), [
    # both probes lose to the baseline; the aligned one loses less: the difference alone would pass
    (_c(-6.4, -5.0, 1.0, 1.8), "the Base gain (-6.400 nats/token) and the aligned gain (-5.000 nats/token) are "
                               "not above 0"),
    (_c(-0.1, 0.2, 0.1, 0.5), "the Base gain (-0.100 nats/token) is not above 0"),
    (_c(0.0, 0.2, 0.1, 0.3), "the Base gain (+0.000 nats/token) is not above 0"),
    # random-like equal models: same gain, interval straddling zero
    (_c(0.001, 0.001, -0.002, 0.002), "includes zero"),
    (_c(0.0, 0.0, 0.0, 0.0), "includes zero"),
    (_c(0.4, 0.2, -0.3, -0.1), "other side of zero"),
    (_c(-0.4, -0.5, -0.3, -0.1), "other side of zero, and the Base gain"),
])
def test_probe_ahead_does_not_reproduce(c: dict[str, float], why: str) -> None:
    v = probe_ahead_verdict(c)
    assert v.word == DOES_NOT and why in v.reason, v.reason


def test_probe_ahead_with_one_held_out_prompt_or_no_interval_is_not_testable() -> None:
    v = probe_ahead_verdict(_c(0.3, 0.35, 0.05, 0.05, groups_a=1.0, groups_b=1.0))
    assert v.word == NOT_TESTABLE and "1 held-out document: a bootstrap over one held-out document" in v.reason
    assert probe_ahead_verdict(_c(0.3, 0.35, math.nan, math.nan)).word == NOT_TESTABLE


def test_negative_gains_fail_even_without_an_interval() -> None:
    """The smoke run's case: one held-out prompt, both probes below their baseline (-6.359 and -4.999)."""
    v = probe_ahead_verdict(_c(-6.359, -4.999, 1.360, 1.360, groups_a=1.0, groups_b=1.0))
    assert v.word == DOES_NOT
    assert v.reason == ("the Base gain (-6.359 nats/token) and the aligned gain (-4.999 nats/token) are not above "
                        "0: a probe that loses to its baseline shows no planning (1 held-out document: a bootstrap "
                        "over one held-out document gives a point, not an interval over held-out documents)")
    assert probe_ahead_verdict(_c(-0.1, 0.2, math.nan, math.nan)).word == DOES_NOT


def test_plan_texts() -> None:
    nan_row = plan_row("base", "m", [[(1,)], [(2,), (3,)]], {"prompts": 0.0})
    assert math.isnan(nan_row["AUC probe"]) and nan_row["prompts with spans"] == 2
    assert plan_result_text(nan_row).startswith("no measurable AUC (1.5 spans per prompt")
    s = chapter.Settings.from_values({"plan_spans": "ngram", "plan_ngram": 3, "n_samples": 10})
    assert plan_targets_text(s) == ("The targets are the token 3-grams of the prompt present in 20% to 80% "
                                    "of its 10 generations (no alignment)")


def test_cells_aligned_ahead_none() -> None:
    t = _table()
    t.loc[t["role"] == "aligned", "gain"] = -1.0
    assert cells_aligned_ahead(t, [1, 2, 4]) == "0 of 12"


def test_claim_records_judge_gold_text_at_the_curve_layer() -> None:
    (rec,) = chapter.claim_records(_results(GOLD, OWN))
    assert rec == {
        "claim_id": "probe-ahead", "verdict": REPRODUCES, "pair": "mini-s-base / mini-s-dpo", "scale": "full",
        "reason": "the direction holds, and both gains are above 0 (Base +0.300, aligned +0.350 nats/token)",
        "detail": "source: the paper's summary only (no figure or number of the paper to compare with, so no "
                  "magnitude); the text probed is gold text, which both models read token for token; layer rule: "
                  "the curve layer (2), fixed before the run; every probed layer is reported on the page: the "
                  "interval lies above 0 at 2 of 2 layers",
        "measured": "gold text, layer 2: information gain over the token-only baseline, mean over "
                    "k >= 2, aligned +0.350 vs Base +0.300 nats/token; difference +0.050 (95% interval "
                    "+0.010 to +0.090, paired bootstrap over the 16 held-out documents)", "stages": []}
    # a pair of known training method gets its stage cell
    r = _results(GOLD, OWN)
    r.method = "dpo"
    (rec,) = chapter.claim_records(r)
    assert rec["stages"] == [{"comparison": "DPO vs Base", "pair": "mini-s-base / mini-s-dpo",
                              "effect": "+0.050 nats/token [+0.010, +0.090]", "holds": True}]
    # own generations ahead, gold text not: the verdict follows gold text
    (rec,) = chapter.claim_records(_results(OWN, GOLD, scale="smoke"))
    assert rec["verdict"] == DOES_NOT and rec["scale"] == "smoke" and "includes zero" in rec["reason"]
    # a better layer found after the fact does not rescue the fixed one
    (rec,) = chapter.claim_records(_results(OWN, GOLD, gold_layer0=OWN))
    assert rec["verdict"] == DOES_NOT and "above 0 at 1 of 2 layers" in rec["detail"]
    (rec,) = chapter.claim_records(_results(OWN, _c(0.4, 0.2, -0.3, -0.1)))
    assert rec["verdict"] == DOES_NOT and "difference -0.200" in rec["measured"]
    unpaired = _c(0.3, 0.35, 0.01, 0.09, paired=0.0, groups_b=15.0)
    (rec,) = chapter.claim_records(_results(OWN, unpaired))
    assert "independent bootstraps over the held-out documents (16 Base, 15 aligned)" in rec["measured"]


def test_layers_table_reports_every_layer_and_marks_the_verdict_layer() -> None:
    r = _results(OWN, GOLD, gold_layer0=OWN)
    t = chapter.layers_table(r)
    assert len(t) == 4 and set(t["source"]) == {"own generations", "gold text"}
    marked = t[t["verdict layer"]]
    assert len(marked) == 1 and marked.iloc[0]["source"] == "gold text" and marked.iloc[0]["layer"] == 2
    n = chapter.numbers(r)
    assert n["pl_gold_layers_above"] == "1 of 2" and n["pl_own_layers_above"] == "2 of 2"


def test_claim_records_are_valid_scoreboard_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from predact_utils.claims import record_all

    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    record_all(chapter.claim_records(_results(OWN, GOLD)))
    assert [p.name for p in tmp_path.glob("*.json")] == ["probe-ahead.json"]


def _scores(groups: list[int], n: list[float], nll: list[float], base_nll: list[float]) -> GroupScores:
    col = [np.array(v, dtype=float)[:, None] for v in (n, n, nll, n, base_nll)]
    return GroupScores(np.array(groups), col[0], 0 * col[1], col[2], 0 * col[3], col[4])


def test_regroup_merges_generations_into_their_prompts() -> None:
    # held-out generations 4, 5, 6, 9 answer prompts 2, 2, 3, 3 (prompt_of: generation -> prompt)
    prompt_of = [0, 0, 1, 1, 2, 2, 3, 3, 3, 3]
    s = regroup(_scores([4, 5, 6, 9], [10, 20, 5, 5], [1.0, 2.0, 3.0, 4.0], [2.0, 2.0, 4.0, 4.0]), prompt_of)
    assert s.groups.tolist() == [2, 3]
    assert s.n[:, 0].tolist() == [30.0, 10.0] and s.nll[:, 0].tolist() == [3.0, 7.0]
    assert s.base_nll[:, 0].tolist() == [4.0, 8.0]
    same = regroup(s, list(range(4)))
    assert same.groups.tolist() == [2, 3] and same.nll.tolist() == s.nll.tolist()


def test_gain_difference_over_prompts_after_regrouping() -> None:
    """Two generations of each of 2 held-out prompts: by generation 4 groups, by prompt 2, the point the same."""
    prompt_of = [0, 0, 1, 1]

    def run_(nll: list[float]) -> ProbeRun:
        return ProbeRun(pd.DataFrame(), {0: _scores([0, 1, 2, 3], [1, 1, 1, 1], nll, [1.0, 1.0, 1.0, 1.0])},
                        None, 0, 0, 4)

    a, b = run_([0.9, 0.9, 0.9, 0.9]), run_([0.5, 0.7, 0.8, 0.6])
    by_seq = gain_difference(a, b, 0, [1], [1], n_boot=200)
    by_prompt = gain_difference(regrouped(a, prompt_of), regrouped(b, prompt_of), 0, [1], [1], n_boot=200)
    assert (by_seq["groups_a"], by_prompt["groups_a"], by_prompt["groups_b"]) == (4.0, 2.0, 2.0)
    assert by_prompt["paired"] == 1.0 and by_prompt["diff"] == pytest.approx(by_seq["diff"]) == pytest.approx(0.25)
    # over a's gain of 0.1: prompt 0 adds 0.4 - 0.1 = 0.3, prompt 1 adds 0.3 - 0.1 = 0.2; resampling the two
    # prompts stays within 0.2 to 0.3
    assert 0.2 - 1e-9 <= by_prompt["lo"] <= by_prompt["hi"] <= 0.3 + 1e-9


def test_tables() -> None:
    r = _results(OWN, GOLD)
    scores = chapter.scores_table(r)
    assert list(scores.columns)[:4] == ["role", "source", "layer", "k"] and len(scores) == 24
    plan = chapter.plan_table(r)
    assert list(plan["role"]) == ["base", "aligned"] and plan["AUC probe"].isna().tolist() == [False, True]


def test_stage_cells_follow_the_probe_rule_and_negative_gains_fail() -> None:
    from predact_utils.lm.registry import StageSides

    r = _results(GOLD, OWN)
    r.method = "rlhf"
    sft = StageSides("SFT vs Base", "m-sft", ("m-sft", "base"), ("m-sft", "aligned"))
    couple = StageSides("RLHF vs SFT", "m-rlhf vs m-sft", ("m-sft", "aligned"), ("m-rlhf", "aligned"))
    ahead = {**OWN, "layer": 6.0}
    negative = {**_c(-0.2, -0.1, 0.05, 0.15), "layer": 6.0}  # aligned "ahead" of Base, both below baseline
    r.stage_cells = [(sft, ahead), (couple, negative)]
    (rec,) = chapter.claim_records(r)
    assert [(c["comparison"], c["pair"], c["holds"]) for c in rec["stages"]] == [
        ("RLHF vs Base", "mini-s-base / mini-s-dpo", True), ("SFT vs Base", "m-sft", True),
        ("RLHF vs SFT", "m-rlhf vs m-sft", False)]
    assert rec["stages"][1]["effect"] == "+0.050 nats/token [+0.010, +0.090] (gains +0.350 vs +0.300, layer 6)"
    t = chapter.stages_table(r)
    assert list(t["verdict"]) == [REPRODUCES, REPRODUCES, DOES_NOT]
    assert "stage table the gold-text probe is also run on m-sft, m-rlhf vs m-sft" in chapter.numbers(r)["pl_pair"]

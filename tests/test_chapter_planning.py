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
    probe_ahead_holds,
)
from predact_utils.params import ParameterError

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "05_planning_ahead.py"


def _parameters_cell() -> dict[str, object]:
    cell = next(c for c in jupytext.read(NOTEBOOK).cells if "parameters" in c.metadata.get("tags", []))
    return {n.targets[0].id: ast.literal_eval(n.value) for n in ast.parse(cell.source).body}


def test_defaults_are_the_notebook_parameters() -> None:
    assert chapter.Settings.defaults() == _parameters_cell()
    s = chapter.Settings.from_values({})
    assert not s.smoke and s.pairs == "mini-m-rlhf;mini-m-dpo;mini-s-dpo"
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
             **settings: object) -> chapter.Results:
    s = chapter.Settings.from_values({"offsets": "1,2,4", "layers": "0,2", "curve_layer": 2, **settings})
    plan = [plan_row("base", "mini-s-base", [[(1, 2)], []],
                                     {"prompts": 3.0, "auc_probe": plan_auc, "auc_probe_lo": 0.6,
                                      "auc_probe_hi": 0.9, "auc_prior": 0.5}),
            plan_row("aligned", "mini-s-dpo", [[], []], {"prompts": 0.0})]
    return chapter.Results(settings=s, base_name="mini-s-base", aligned_name="mini-s-dpo", not_built=["mini-m"],
                           layers=[0, 2], curve=2, table=_table(), sizes=pd.DataFrame(),
                           comparisons={"own generations": own, "gold text": gold}, plan_rows=plan)


OWN = {"a": 0.3, "b": 0.35, "diff": 0.05, "lo": 0.01, "hi": 0.09}
GOLD = {"a": 0.3, "b": 0.3, "diff": 0.0, "lo": -0.02, "hi": 0.03}


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
    assert probe_ahead_holds({"lo": 0.01}) is True
    assert probe_ahead_holds({"lo": 0.0}) is False
    assert probe_ahead_holds({"lo": np.float64(-0.2)}) is False


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


def test_claim_records() -> None:
    (rec,) = chapter.claim_records(_results(OWN, GOLD))
    assert rec == {"claim_id": "probe-ahead", "holds": True, "pair": "mini-s-base / mini-s-dpo", "scale": "full",
                   "detail": "",
                   "measured": "own generations, layer 2: information gain over the token-only baseline, mean over "
                               "k >= 2, aligned 0.350 vs Base 0.300 nats/token (difference +0.050, 95% interval "
                               "+0.010 to +0.090)"}
    (rec,) = chapter.claim_records(_results(GOLD, OWN, scale="smoke"))
    assert rec["holds"] is False and rec["scale"] == "smoke"
    (rec,) = chapter.claim_records(_results({"a": 0.4, "b": 0.2, "diff": -0.2, "lo": -0.3, "hi": -0.1}, GOLD))
    assert rec["holds"] is False and "difference -0.200" in rec["measured"]


def test_tables() -> None:
    r = _results(OWN, GOLD)
    scores = chapter.scores_table(r)
    assert list(scores.columns)[:4] == ["role", "source", "layer", "k"] and len(scores) == 24
    plan = chapter.plan_table(r)
    assert list(plan["role"]) == ["base", "aligned"] and plan["AUC probe"].isna().tolist() == [False, True]

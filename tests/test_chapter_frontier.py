"""The frontier chapter: its settings, and its numbers and scoreboard record on hand-made grids."""

from __future__ import annotations

import math
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import frontier as chapter
from predact_utils.chapters.frontier import chapter as chapter_module
from predact_utils.params import ParameterError
from predact_utils.verdicts import NOT_TESTABLE

NOTEBOOK = Path(__file__).resolve().parents[1] / "notebooks" / "06_tradeoff_frontier.py"


def test_defaults_are_the_notebooks_parameters_cell():
    assert chapter.Settings.defaults() == notebook_parameters(NOTEBOOK)
    s = chapter.Settings.from_values({})
    assert (s.pair_list(), s.grid()) == ("mini-m-rlhf;mini-m-dpo", [round(i / 10, 10) for i in range(11)])
    assert (s.sampling().n, s.sampling().max_new_tokens, s.sampling().top_p) == (5, 128, 0.9)


def test_smoke_values_apply_at_smoke_scale_only():
    s = chapter.Settings.from_values({"scale": "smoke", "grid_step": 0.25, "ngram": 4})
    assert (s.grid_step, s.n_prompts, s.n_samples, s.max_new_tokens, s.gold_docs, s.gold_tokens) == (
        0.5, 2, 3, 24, 1, 48)
    assert s.ngram == 4 and s.pair_list() == "mini-s-dpo" and s.grid() == [0.0, 0.5, 1.0]
    assert s.sampling().n == 3
    full = chapter.Settings.from_values({"grid_step": 0.25})
    assert full.grid() == [0.0, 0.25, 0.5, 0.75, 1.0] and full.n_prompts == 20


@pytest.mark.parametrize("bad", [{"grid_step": 0.0}, {"grid_step": 1.5}, {"top_p": 1.5}, {"n_prompts": "ten"},
                                 {"gold_tokens": 4}, {"temperature": -1.0}, {"pairs": 3}, {"scale": "fast"},
                                 {"reward_per_prompt": 0}, {"ngram": True}])
def test_bad_values_raise(bad):
    with pytest.raises(ParameterError):
        chapter.Settings.from_values(bad)


def _table(interp_mid=(0.1, 0.6), mix_mid=(0.3, 0.5), ends=((0.0, 0.4), (0.4, 0.8)), other=True):
    """Rows of pair ``p`` (cost, top-1 mass at a = 0, 0.5, 1 on both paths) and of a second pair ``q``."""
    rows = []
    for path, mid in (("interp", interp_mid), ("mix", mix_mid)):
        for a, (cost, top1) in zip((0.0, 0.5, 1.0), (ends[0], mid, ends[1]), strict=True):
            rows.append({"pair": "p", "path": path, "a": a, "wm_log_ppl": 3.0 + cost, "wm_cost": cost,
                         "top1_mass": top1, "self_ppl": 5.0 - top1, "answer_tokens": 20.123456,
                         "eos_share": 0.5})
    if other:
        rows += [{"pair": "q", "path": path, "a": a, "wm_log_ppl": 4.0, "wm_cost": 9.0, "top1_mass": 0.0,
                  "self_ppl": 1.0, "answer_tokens": 1.0, "eos_share": 1.0}
                 for path in ("interp", "mix") for a in (0.0, 0.5, 1.0)]
    return pd.DataFrame(rows)


def _results(table, grid=(0.0, 0.5, 1.0), skipped=(), scale="smoke"):
    settings = chapter.Settings.from_values({"scale": scale})
    return chapter.Results(settings, ["p", "q"], list(skipped), list(grid), 2, table, ["top1_mass", "self_ppl"])


def test_numbers_on_a_hand_made_grid():
    n = chapter.numbers(_results(_table(), skipped=["mini-m-rlhf"]))
    assert n == {
        "fr_pairs": "p, q", "fr_skipped": "mini-m-rlhf", "fr_grid": "0, 0.5, 1",
        "fr_setup": "2 prompts x 3 answers of at most 24 tokens (top-p 0.9), 1 gold documents per corpus cut "
                    "to 48 tokens",
        "fr_main": "p", "fr_cost_end": "0.4000", "fr_top1_end": "0.800", "fr_top1_base": "0.400",
        # interpolation: (0.6 - 0.4) / 0.4 of the change for 0.1 / 0.4 of the cost; mixing 0.1/0.4 for 0.3/0.4
        "fr_interp_kept": "50%", "fr_interp_paid": "25%", "fr_mix_kept": "25%", "fr_mix_paid": "75%",
        "fr_half_a": "0.5",
        # (0.3, 0.5) on the mixing path is dominated by (0.1, 0.6); the shared ends are equal, not dominated
        "fr_front_top1": "5 of 6",
    }
    assert chapter.numbers(_results(_table()))["fr_skipped"] == "none"


def test_shares_of_a_non_monotone_path_and_of_flat_ends():
    n = chapter.numbers(_results(_table(interp_mid=(0.6, 0.2))))
    assert (n["fr_interp_kept"], n["fr_interp_paid"]) == ("-50%", "150%")
    flat = chapter.numbers(_results(_table(ends=((0.0, 0.4), (0.0, 0.4)))))
    assert (flat["fr_interp_kept"], flat["fr_interp_paid"]) == ("nan%", "nan%")
    got, paid = chapter_module.kept_share(_table(other=False).iloc[:3], "top1_mass", 0.5)
    assert (got, paid) == pytest.approx((0.5, 0.25))
    assert math.isnan(chapter_module.kept_share(_table(ends=((0.0, 0.4), (0.0, 0.4))).iloc[:3],
                                                "top1_mass", 0.5)[0])


def test_midpoint_off_the_grid_is_the_middle_grid_point():
    grid = [0.0, 0.3333333333, 0.6666666667, 1.0]
    t = _table().replace({"a": {0.5: 0.6666666667}})
    r = _results(t, grid=grid)
    assert r.half_a == 0.6666666667
    assert chapter.numbers(r)["fr_half_a"] == "0.666667"


def test_claim_record_is_not_testable_with_the_rules_reason():
    recs = chapter.claim_records(_results(_table()))
    assert recs == [{"claim_id": "frontier", "verdict": NOT_TESTABLE, "pair": "p", "scale": "smoke",
                     "reason": "the paper states no result to reproduce; the chapter reports the frontier",
                     "detail": "a description, not a test: point values on 2 prompts and 1 gold document per "
                               "corpus, no interval and nothing compared with the paper",
                     "measured": "p, weight interpolation at a = 0.5: 50% of the top-1 mass change for 25% of "
                                 "the world-modeling cost"}]
    bad = chapter.claim_records(_results(_table(interp_mid=(0.6, 0.2)), scale="full"))[0]
    assert bad["verdict"] == NOT_TESTABLE and bad["scale"] == "full" and "-50% of the top-1" in bad["measured"]
    # whatever the frontier looks like (a free lunch, or nothing kept), nothing is tested
    for got, paid in ((1.0, 0.0), (0.0, 1.0), (math.nan, math.nan)):
        assert chapter_module.frontier_verdict(got, paid).word == NOT_TESTABLE


def test_the_reason_is_the_claims_rule():
    from predact_utils.claims import CLAIMS

    rule = next(c.rule for c in CLAIMS if c.id == "frontier")
    assert rule == f"{NOT_TESTABLE}: {chapter_module.FRONTIER_REASON}"


def test_claim_record_is_a_valid_scoreboard_record(tmp_path, monkeypatch):
    from predact_utils.claims import record_all

    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    record_all(chapter.claim_records(_results(_table())))
    assert [p.name for p in tmp_path.glob("*.json")] == ["frontier.json"]


def test_points_table_figures_and_plotly():
    r = _results(_table())
    t = chapter.points_table(r)
    assert list(t.columns) == ["pair", "path", "a", "wm_log_ppl", "wm_cost", "top1_mass", "self_ppl",
                               "answer_tokens", "eos_share"]
    assert t["answer_tokens"].iloc[0] == 20.1235
    figs = chapter.figures(r)
    assert list(figs) == ["fig_fr_frontier"] and len(figs["fig_fr_frontier"].axes) == 2
    assert len(chapter.frontier_plotly(r).data) == 2 * 2 * 2  # (pair, path) groups x measures


def test_measure_pair_shares_the_two_ends_of_the_paths(monkeypatch):
    class Spec:
        name, reward = "p", None

    class Pair:
        base, aligned = "B", "A"

    class Point(NamedTuple):  # a stand-in for a LoadedModel: the chapter reads its ``model``
        path: str
        a: float
        model: None = None

    calls = []
    monkeypatch.setattr(chapter_module, "load_pair", lambda spec: Pair())
    monkeypatch.setattr(chapter_module, "PATHS", (("interp", lambda b, al, a: Point("interp", a)),
                                                  ("mix", lambda b, al, a: Point("mix", a))))
    monkeypatch.setattr(chapter_module, "world_modeling", lambda point, gold: calls.append(point) or {"wm": 1})
    monkeypatch.setattr(chapter_module, "agent_behaviour", lambda point, *args, **kw: {"tag": point[:2]})
    settings = chapter.Settings.from_values({})
    recs = chapter_module.measure_pair(Spec(), [0.0, 0.5, 1.0], None, None, [], settings)
    assert [c[:2] for c in calls] == [("interp", 0.0), ("interp", 0.5), ("interp", 1.0), ("mix", 0.5)]
    assert [(r["path"], r["a"], r["tag"]) for r in recs] == [
        ("interp", 0.0, ("interp", 0.0)), ("interp", 0.5, ("interp", 0.5)), ("interp", 1.0, ("interp", 1.0)),
        ("mix", 0.0, ("interp", 0.0)), ("mix", 0.5, ("mix", 0.5)), ("mix", 1.0, ("interp", 1.0))]

"""The scoreboard: records round-trip, verdicts, and every claim points at a chapter of the book."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import chapter_package_source

from predact_utils import claims
from predact_utils.book.build import toc_files

ROOT = Path(__file__).resolve().parents[1]


def test_record_and_scoreboard_round_trip(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path / "claims"))
    claims.record("fig3-top1", "top-1 mass 0.61 vs 0.42", "reproduces", reason="r1", pair="p", scale="smoke")
    claims.record("fig5-self", "lower on 3 of 11", "direction only", reason="r2", pair="p", scale="smoke")
    board = claims.scoreboard().set_index("claim")
    row = board.loc[next(c.claim for c in claims.CLAIMS if c.id == "fig3-top1")]
    assert row["this build"] == "top-1 mass 0.61 vs 0.42" and row["verdict"] == "reproduces" and row["why"] == "r1"
    assert (board["verdict"] == "direction only").sum() == 1
    assert (board["verdict"] == "not run").sum() == len(claims.CLAIMS) - 2
    assert not list((tmp_path / "claims").glob("*.tmp"))  # atomic writes leave no temporary files


def test_bad_records_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    with pytest.raises(ValueError, match="unknown claim"):
        claims.record("fig9", "x", "reproduces", reason="", pair="p", scale="full")
    with pytest.raises(ValueError, match="verdict must be one of"):
        claims.record("fig3-top1", "x", "partly", reason="", pair="p", scale="full")


def test_every_claim_states_its_rule_and_source():
    for c in claims.CLAIMS:
        assert len(c.rule) > 40, c.id
        assert c.source in ("figure", "summary only"), c.id
    summary_only = {c.id for c in claims.CLAIMS if c.source == "summary only"}
    assert summary_only == {"probe-ahead", "organism-tradeoff"}


def test_every_claim_is_tested_by_a_chapter_of_the_book():
    chapters = {Path(e).name for e in toc_files(ROOT / "_toc.yml")}
    for c in claims.CLAIMS:
        assert c.notebook in chapters, f"claim {c.id} names {c.notebook}, which is not in _toc.yml"
        notebook = ROOT / "notebooks" / f"{c.notebook}.py"
        assert "run_chapter(chapter, globals())" in notebook.read_text(), f"{c.notebook} records no claims"
        assert f'"{c.id}"' in chapter_package_source(notebook), f"{c.notebook}'s chapter never records {c.id}"


def test_stage_entries_fill_the_stage_table_and_bad_ones_are_refused(tmp_path, monkeypatch):
    from predact_utils.claims import STAGES, record, stage, stage_of, stage_table

    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    record("ngram-10", "m", "direction only", reason="r", pair="p", scale="smoke",
           stages=[stage("SFT vs Base", "mini-m-sft", "+1.0 points [+0.2, +2.0]", True),
                   stage("RLHF vs SFT", "mini-m-rlhf / mini-m-sft", "-0.5 points [-1.0, +0.1]", False),
                   stage("SFT vs Base", "mini-s-sft", "+0.1 points [-0.2, +0.3]", False)])
    t = stage_table(tmp_path).set_index("claim")
    assert list(t.columns) == ["figure", *STAGES]
    row = t.loc["the most common 10-gram recurs across a prompt's aligned generations"]
    assert row["SFT vs Base"] == ("holds: +1.0 points [+0.2, +2.0] (mini-m-sft); "
                                  "does not hold: +0.1 points [-0.2, +0.3] (mini-s-sft)")
    assert row["RLHF vs SFT"].startswith("does not hold: -0.5") and row["DPO vs Base"] == "not measured"
    assert (t.drop(index=row.name)[list(STAGES)] == "not measured").all().all()
    assert stage_of("ppo") == "RLHF vs Base" and stage_of("dpo") == "DPO vs Base"
    with pytest.raises(ValueError, match="stage comparison must be one of"):
        stage("KTO vs Base", "p", "e", True)
    assert stage_of("custom") is None


def test_rlhf_vs_sft_pairs_the_rlhf_model_with_the_sft_model_of_its_base():
    from predact_utils.claims import RLHF_VS_SFT, stage_of
    from predact_utils.lm.registry import PairSpec, rlhf_vs_sft

    sft = PairSpec(name="m-sft", base="m-base", aligned="m-sft", method="sft")
    rlhf = PairSpec(name="m-rlhf", base="m-base", aligned="m-rlhf", method="rlhf")
    other = PairSpec(name="s-ppo", base="s-base", aligned="s-ppo", method="ppo")  # no SFT pair of its Base
    dpo = PairSpec(name="m-dpo", base="m-base", aligned="m-dpo", method="dpo")  # DPO is not an RLHF stage
    (derived,) = rlhf_vs_sft([dpo, rlhf, other, sft])
    assert (derived.name, derived.method) == ("m-rlhf vs m-sft", RLHF_VS_SFT)
    assert (derived.base_location(), derived.aligned_location()) == ("m-sft", "m-rlhf")
    assert stage_of(derived.method) == "RLHF vs SFT"
    assert rlhf_vs_sft([rlhf]) == [] and rlhf_vs_sft([sft, dpo]) == []

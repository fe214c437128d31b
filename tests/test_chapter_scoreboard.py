"""The scoreboard page on crafted records: verdict counts and the stage table."""

from __future__ import annotations

from predact_utils.chapters import scoreboard as chapter
from predact_utils.claims import record, stage


def test_counts_and_the_stage_table_of_crafted_records(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    s = chapter.Settings.from_values({})
    empty = chapter.run(s)
    assert chapter.stages_table(empty).empty
    assert chapter.numbers(empty)["sb_stages"] == "no claim of this build was measured per stage"
    record("fig3-top1", "m", "reproduces", reason="r", pair="mini-m-rlhf", scale="full",
           stages=[stage("RLHF vs Base", "mini-m-rlhf", "+0.2 [+0.1, +0.3]", True),
                   stage("DPO vs Base", "mini-s-dpo", "+0.0 [-0.1, +0.1]", False)])
    record("ngram-10", "m", "does not reproduce", reason="r", pair="mini-m-rlhf", scale="full")
    r = chapter.run(s)
    n = chapter.numbers(r)
    assert (n["sb_reproduces"], n["sb_not"], n["sb_notrun"]) == ("1", "1", str(len(r.board) - 2))
    t = chapter.stages_table(r)
    assert len(t) == 1 and t.loc[0, "RLHF vs Base"] == "holds: +0.2 [+0.1, +0.3] (mini-m-rlhf)"
    assert t.loc[0, "SFT vs Base"] == "not measured"
    assert n["sb_stages"] == "1 claim has a per-stage measurement (2 stage cells)"

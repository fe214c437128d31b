"""Chapter 00 and the scoreboard chapter on crafted inputs (predact_utils.chapters.setup / .scoreboard)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from predact_utils import claims
from predact_utils.chapters import scoreboard, setup


def test_setup_numbers_on_a_known_zipf_law() -> None:
    s = setup.Settings.from_values({"zipf_exponent": 0.0, "vocab_size": 10, "top_p": 0.5})
    env = pd.DataFrame({"name": ["compute dtype", "torch"], "value": ["float32", "2.13"]})
    res = setup.Results(s, env, nucleus_tokens=5)  # a flat law over 10 tokens: half the mass is 5 tokens
    assert setup.numbers(res) == {"env_dtype": "float32", "vocab_size": "10", "zipf_exponent": "0",
                                  "top_p": "0.5", "nucleus_tokens": "5"}
    assert setup.claim_records(res) == []


def test_setup_exponents_per_scale() -> None:
    assert setup.Settings().exponents() == [0.8, 1.0, 1.1, 1.4, 2.0]
    assert setup.Settings.from_values({"scale": "smoke"}).exponents() == [1.0, 1.1]
    assert setup.Settings.from_values({"scale": "smoke", "zipf_exponent": 1.0}).exponents() == [1.0]


def test_scoreboard_counts_verdicts_of_crafted_records(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("PREDACT_CLAIMS_DIR", str(tmp_path))
    claims.record_all([
        {"claim_id": "fig2a-worse", "measured": "x", "verdict": "reproduces", "reason": "", "pair": "p",
         "scale": "smoke"},
        {"claim_id": "fig3-top1", "measured": "y", "verdict": "direction only", "reason": "", "pair": "p",
         "scale": "smoke"},
        {"claim_id": "fig5-self", "measured": "z", "verdict": "does not reproduce", "reason": "", "pair": "q",
         "scale": "smoke"},
    ])
    res = scoreboard.run(scoreboard.Settings(), tmp_path)
    n = scoreboard.numbers(res)
    total_claims = len(claims.CLAIMS)
    assert (n["sb_reproduces"], n["sb_direction"], n["sb_not"], n["sb_untestable"]) == ("1", "1", "1", "0")
    assert n["sb_notrun"] == str(total_claims - 3)
    assert n["sb_total"] == str(total_claims)
    assert n["sb_dir"] == str(tmp_path)
    assert "p (smoke)" in n["sb_runs"] and "q (smoke)" in n["sb_runs"]
    assert "sb_table" in scoreboard.figures(res)
    assert list(scoreboard.rules_table(res).columns) == ["figure", "claim", "source", "rule"]


def test_scoreboard_of_an_empty_build(tmp_path: Path) -> None:
    n = scoreboard.numbers(scoreboard.run(scoreboard.Settings(), tmp_path))
    assert n["sb_reproduces"] == "0" and n["sb_runs"] == "none"

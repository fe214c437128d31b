"""The miniature family chapter's scaling-check tables, on hand-made cards (miniature family section)."""

from __future__ import annotations

import math

import pytest

from predact_utils.miniature import report
from predact_utils.miniature.report import loss_at_tokens, size_table


def _card(ppl: dict[str, float], steps: int, tokens: int, losses: list[float]) -> dict:
    log = [{"step": 10 * (i + 1), "loss": v} for i, v in enumerate(losses)]
    return {"validation": {k: {"ppl": v, "bigram_ppl": 2 * v, "tokens": 100} for k, v in ppl.items()},
            "steps": steps, "tokens_seen": tokens, "loss_log": log, "parameters": 1000}


def test_size_table_ratio_per_shared_corpus():
    cards = {"mini-s-base": _card({"a": 10.0, "b": 20.0, "only_s": 5.0}, 100, 1000, [1.0]),
             "mini-m-base": _card({"a": 12.0, "b": 15.0}, 100, 1000, [1.0])}
    t = size_table(cards)
    assert list(t.index) == ["a", "b"]
    assert t.loc["a", "medium / small"] == pytest.approx(1.2) and t.loc["b", "medium / small"] == pytest.approx(0.75)
    assert size_table({"mini-s-base": cards["mini-s-base"]}).empty


def test_loss_at_tokens_uses_each_runs_tokens_per_step():
    # small: 10 tokens/step, logged every 10 steps = every 100 tokens; medium: 20 tokens/step = every 200 tokens
    small = _card({}, 100, 1000, [float(i) for i in range(10)])       # loss i at 100*(i+1) tokens
    medium = _card({}, 50, 1000, [10.0 + i for i in range(5)])       # loss 10+i at 200*(i+1) tokens
    t = loss_at_tokens({"mini-s-base": small, "mini-m-base": medium}, [400, 5000], window=1)
    assert t.loc[400 / 1e6, "mini-s-base"] == 3.0   # 400 tokens = 4th log entry (loss 3)
    assert t.loc[400 / 1e6, "mini-m-base"] == 11.0  # 400 tokens = 2nd log entry (loss 11)
    assert math.isnan(t.loc[5000 / 1e6, "mini-s-base"])  # past the end of the run
    t3 = loss_at_tokens({"mini-s-base": small}, [400], window=3)
    assert t3.iloc[0]["mini-s-base"] == pytest.approx((2.0 + 3.0 + 4.0) / 3)  # 300, 400, 500 tokens


class _WordTokenizer:
    """One token per whitespace-separated word."""

    def __call__(self, text: str, add_special_tokens: bool = True) -> dict[str, list[int]]:
        return {"input_ids": list(range(len(text.split())))}


def _pair(kind: str, chosen: int, rejected: int) -> dict:
    return {"rejection": kind, "chosen": [{"role": "assistant", "content": " ".join(["w"] * chosen)}],
            "rejected": [{"role": "assistant", "content": " ".join(["w"] * rejected)}]}


def test_preference_lengths_per_kind_worked_by_hand():
    pairs = [_pair("truncated", 10, 3), _pair("truncated", 4, 1), _pair("other_answer", 2, 6), _pair("other_answer", 5, 5)]
    t = report.preference_lengths(pairs, _WordTokenizer(), max_new_tokens=5)
    assert list(t.index) == ["other_answer", "truncated", "all"]
    assert t.loc["truncated", "pairs"] == 2 and t.loc["all", "pairs"] == 4
    assert t.loc["truncated", "chosen mean tokens"] == 7.0 and t.loc["truncated", "rejected mean tokens"] == 2.0
    assert t.loc["truncated", "chosen longer"] == 1.0
    assert t.loc["other_answer", "chosen longer"] == 0.0  # 2 < 6, and 5 == 5 is not longer
    assert t.loc["all", "chosen mean tokens"] == 21 / 4 and t.loc["all", "rejected mean tokens"] == 15 / 4
    # answers of 5 tokens or more leave no room for end-of-text within 5 new tokens: 10 and 5
    assert t.loc["all", "chosen >= 5 tokens"] == 0.5 and t.loc["truncated", "chosen >= 5 tokens"] == 0.5
    with pytest.raises(ValueError, match="no preference pairs"):
        report.preference_lengths([], _WordTokenizer())


def test_length_change_text_pairs_each_size_by_name():
    import pandas as pd

    b = pd.DataFrame({"mean length (tokens)": [50.0, 70.25, 65.0], "both": [0.95, 0.9, 0.9125]},
                     index=["mini-s-sft", "mini-s-dpo", "mini-m-sft"])
    assert report.length_change_text(b) == "mini-s: 50.0 -> 70.2 tokens (in role 95.0% -> 90.0%)"
    assert report.length_change_text(b.drop(index="mini-s-dpo")) == "none"

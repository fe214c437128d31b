"""The miniature family chapter's scaling-check tables, on hand-made cards (miniature family section)."""

from __future__ import annotations

import math

import pytest

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

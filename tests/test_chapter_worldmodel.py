"""Chapter 02 (predact_utils.chapters.worldmodel.chapter): settings, glued numbers and claim records on crafted
results."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import worldmodel as chapter
from predact_utils.chapters.worldmodel.chapter import (
    n_significant,
    n_worse,
    sample_description,
    worse_verdict,
)
from predact_utils.chapters.worldmodel.finetune import FinetuneBudget
from predact_utils.lm.registry import PairSpec
from predact_utils.params import ParameterError

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_world_modeling.py"


def parameters_cell() -> dict:
    return notebook_parameters(NOTEBOOK)


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert not s.smoke and s.max_docs == 0 and s.finetune_steps == 30 and s.finetune_test_docs == 40
    assert s.finetune_budget() == FinetuneBudget(steps=30, block=256, batch=8, lr=0.0003, max_train_tokens=400_000)


def test_smoke_values() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "max_docs": 50, "finetune_steps": 9})
    assert (s.max_docs, s.max_corpus_chars, s.finetune_steps, s.finetune_test_docs) == (3, 0, 2, 2)
    assert s.max_doc_chars == 4000 and s.window == 512
    assert s.finetune_budget() == FinetuneBudget(steps=2, block=256, batch=8, lr=0.0003, max_train_tokens=20_000)


@pytest.mark.parametrize("bad", [{"window": 8}, {"stride": 0}, {"max_docs": -1}, {"finetune_lr": -0.1},
                                 {"finetune_block": 4}, {"finetune_test_docs": 0}, {"pairs": 3},
                                 {"corpus_names": 1.5}, {"scale": "fast"}, {"finetune_steps": "ten"}])
def test_bad_values_raise(bad: dict) -> None:
    with pytest.raises(ParameterError, match=next(iter(bad))):
        chapter.Settings.from_values(bad)


def test_integer_learning_rate_is_a_float() -> None:
    assert chapter.Settings.from_values({"finetune_lr": 1}).finetune_lr == 1.0


def row(pair: str, corpus: str, delta: float, lo: float, hi: float, ratio: float) -> dict:
    return {"pair": pair, "category": "literature", "corpus": corpus, "documents": 3, "tokens": 30,
            "base_ppl": 10.0, "aligned_ppl": 10.0 * ratio, "ppl_ratio": ratio, "delta_log_ppl": delta,
            "ci_low": lo, "ci_high": hi}


def crafted(table_a: pd.DataFrame, table_b: pd.DataFrame, **settings) -> chapter.Results:
    p1 = PairSpec(name="mini-s-dpo", base="b1", aligned="a1")
    p2 = PairSpec(name="mini-m-rlhf", base="b2", aligned="a2")
    s = chapter.Settings.from_values(settings)
    return chapter.Results(settings=s, pairs=[p1, p2], skipped=[], corpora=["c1", "c2"], table_a=table_a,
                           summary_a=pd.DataFrame(), budget=s.finetune_budget(), ft_pairs=[p2], table_b=table_b)


# Fig. 2A: aligned worse on 3 of 4 rows, significantly on 2; mean ratio (1.5 + 1.2 + 1.1 + 0.9) / 4 = 1.175
TABLE_A = pd.DataFrame([row("mini-s-dpo", "c1", 0.4, 0.2, 0.6, 1.5), row("mini-s-dpo", "c2", 0.2, 0.1, 0.3, 1.2),
                        row("mini-m-rlhf", "c1", 0.1, -0.1, 0.3, 1.1),
                        row("mini-m-rlhf", "c2", -0.1, -0.2, 0.0, 0.9)])
# Fig. 2B: aligned worse on both rows, significantly on both
TABLE_B = pd.DataFrame([row("mini-m-rlhf", "c1", 0.3, 0.1, 0.5, 1.3), row("mini-m-rlhf", "c2", 0.2, 0.05, 0.4, 1.2)])


def test_counts_and_verdicts() -> None:
    assert (n_worse(TABLE_A), n_significant(TABLE_A)) == (3, 2)
    # 3 of 4 worse: sign test p = 5/16, no direction established
    assert worse_verdict(TABLE_A).word == "does not reproduce"
    # 2 of 2: p = 1/4, a family of two cannot establish a direction at 5%
    assert worse_verdict(TABLE_B).word == "does not reproduce"
    six = pd.DataFrame([row("p", f"c{i}", 0.3, 0.2, 0.4, 1.3) for i in range(6)])  # p = 1/64, all clear of 0
    assert worse_verdict(six).word == "reproduces"
    mixed = six.assign(delta_log_ppl=[0.3] * 4 + [0.05, 0.05], ci_low=[0.2] * 4 + [-0.1, -0.1],
                       ci_high=[0.4] * 4 + [0.2, 0.2])  # all worse, two intervals include 0
    v = worse_verdict(mixed)
    assert v.word == "direction only" and "4 of 6 significant after Holm" in v.reason
    with pytest.raises(ValueError):
        worse_verdict(TABLE_B.iloc[:0])


def test_the_verdict_of_an_rlhf_claim_uses_the_rlhf_pairs() -> None:
    rlhf = [dict(row("m-rlhf", f"c{i}", 0.3, 0.2, 0.4, 1.3), method="rlhf") for i in range(6)]
    sft = [dict(row("m-sft", f"c{i}", -0.2, -0.3, -0.1, 0.8), method="sft") for i in range(6)]
    table = pd.DataFrame(rlhf + sft)
    assert chapter.verdict_rows(table)[1] == "the RLHF pairs"
    assert worse_verdict(table).word == "reproduces"
    stages = chapter.by_stage(table)
    assert stages.startswith("RLHF vs Base: 6 of 6 worse") and "SFT vs Base: 0 of 6 worse" in stages
    assert worse_verdict(pd.DataFrame(sft)).word == "does not reproduce"
    cells = {c["comparison"]: c for c in chapter.stage_entries(table)}
    assert cells["RLHF vs Base"]["holds"] is True and cells["RLHF vs Base"]["pair"] == "m-rlhf"
    assert cells["SFT vs Base"]["holds"] is False and cells["SFT vs Base"]["effect"].startswith("0 of 6 worse")


def test_the_rlhf_vs_sft_cell_comes_from_the_derived_pair_and_leaves_the_verdict_alone() -> None:
    rlhf = [dict(row("m-rlhf", f"c{i}", 0.3, 0.2, 0.4, 1.3), method="rlhf") for i in range(6)]
    sft = [dict(row("m-sft", f"c{i}", 0.25, 0.2, 0.3, 1.28), method="sft") for i in range(6)]
    # RLHF barely worse than its SFT model: 2 of 6 corpora, none significant
    derived = pd.DataFrame([dict(row("m-rlhf vs m-sft", f"c{i}", d, d - 0.1, d + 0.1, 1.0), method="rlhf-vs-sft")
                            for i, d in enumerate([0.05, 0.05, -0.05, -0.05, -0.05, -0.05])])
    r = crafted(pd.DataFrame(rlhf + sft), TABLE_B)
    r.stage_a = derived
    a = chapter.claim_records(r)[0]
    assert a["verdict"] == "reproduces"  # decided on the RLHF pairs alone
    cells = {c["comparison"]: c for c in a["stages"]}
    assert cells["RLHF vs SFT"]["pair"] == "m-rlhf vs m-sft" and cells["RLHF vs SFT"]["holds"] is False
    assert cells["RLHF vs SFT"]["effect"].startswith("2 of 6 worse")
    assert "RLHF vs SFT: 2 of 6 worse" in a["detail"]


def test_numbers() -> None:
    r = crafted(TABLE_A, TABLE_B)
    r.skipped = ["mini-m-sft"]
    assert chapter.numbers(r) == {
        "wm_pairs": "mini-s-dpo, mini-m-rlhf", "wm_skipped": "mini-m-sft", "wm_corpora": "2",
        "wm_sample": "a random subset of each test split (seed 0): documents cut to 4000 characters, "
                     "taken until 100000 characters",
        "wm_a_worse": "3 of 4", "wm_a_sig": "2", "wm_a_mean_ratio": "1.175",
        "wm_budget": "30 steps of 8 x 256 tokens, peak learning rate 0.0003, cosine schedule",
        "wm_ft_docs": "40", "wm_ft_pairs": "mini-m-rlhf", "wm_b_worse": "2 of 2", "wm_b_sig": "2",
        "wm_lora_above": "1,000,000,000",
        "wm_ft_method": "full fine-tuning of every weight (float32 weights and AdamW states) for mini-m-rlhf",
    }
    # a 7B pair under the auto rule is tuned with LoRA, and the page says so
    r.ft_params = {"mini-m-rlhf": 6_738_415_616}
    assert chapter.numbers(r)["wm_ft_method"] == ("LoRA (peft; rank 16, alpha 32, on every linear layer; the model's "
                                                  "own weights frozen) for mini-m-rlhf")
    smoke = chapter.numbers(crafted(TABLE_A, TABLE_B, scale="smoke", seed=3))
    assert smoke["wm_skipped"] == "none" and smoke["wm_ft_docs"] == "2"
    assert smoke["wm_budget"].startswith("2 steps of 8 x 256 tokens")
    assert smoke["wm_sample"] == ("a random subset of each test split (seed 3): documents cut to 4000 characters, "
                                  "taken until any number of characters or 3 documents")


def test_sample_description() -> None:
    whole = chapter.Settings.from_values({"max_corpus_chars": 0, "max_doc_chars": 0})
    assert sample_description(whole) == "the whole test split"
    docs = chapter.Settings.from_values({"max_corpus_chars": 0, "max_doc_chars": 0, "max_docs": 5})
    assert sample_description(docs) == ("a random subset of each test split (seed 0): documents cut to any "
                                        "characters, taken until any number of characters or 5 documents")


def test_claim_records() -> None:
    records = chapter.claim_records(crafted(TABLE_A, TABLE_B, scale="smoke"))
    assert [r["claim_id"] for r in records] == ["fig2a-worse", "fig2b-finetune"]
    a, b = records
    assert a["measured"] == ("aligned worse on 3 of 4 pair x corpus combinations (2 with the 95% interval over "
                             "documents above 0); mean perplexity ratio 1.175; verdict on every pair (the run "
                             "has no RLHF pair)")
    assert a["verdict"] == "does not reproduce" and "3 of 4 in the paper's direction" in a["reason"]
    assert (a["pair"], a["scale"], b["pair"]) == ("mini-s-dpo, mini-m-rlhf", "smoke", "mini-m-rlhf")
    assert set(a) == {"claim_id", "measured", "verdict", "reason", "pair", "scale", "detail", "stages"}
    worse_nowhere = TABLE_B.assign(delta_log_ppl=[-0.1, -0.2], ci_low=[-0.3, -0.4], ci_high=[0.1, 0.0])
    b = chapter.claim_records(crafted(TABLE_A, worse_nowhere))[1]
    assert b["verdict"] == "does not reproduce" and b["measured"].startswith(
        "after fine-tuning, aligned worse on 0 of 2 pair x corpus combinations")


def test_displayed_tables() -> None:
    r = crafted(TABLE_A.assign(base_ppl=10.123456), TABLE_B)
    assert list(chapter.table_a(r).columns) == ["pair", "category", "corpus", "documents", "tokens", "base_ppl",
                                                "aligned_ppl", "ppl_ratio", "delta_log_ppl", "ci_low", "ci_high"]
    assert chapter.table_a(r)["base_ppl"].iloc[0] == 10.1235
    assert "tokens" not in chapter.table_b(r).columns and len(chapter.table_b(r)) == 2


def test_settings_are_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        chapter.Settings.from_values({}).seed = 1  # type: ignore[misc]


def test_before_after_scatter_compares_the_same_documents() -> None:
    """Fig. 2B's scatter sets each gap after fine-tuning against the gap *on the same documents* before it:
    the first ``finetune_test_docs`` of the sample, not the whole Fig. 2A sample."""
    import numpy as np

    from predact_utils.chapters.worldmodel.analysis import DocScores, pair_table

    p = PairSpec(name="mini-m-rlhf", base="b2", aligned="a2")
    # 4 documents of 10 tokens; aligned is worse on the first two (+1 nat/token), better on the last two
    base = DocScores(np.array([10.0, 10.0, 10.0, 10.0]), np.array([10, 10, 10, 10]))
    aligned = DocScores(np.array([20.0, 20.0, 0.0, 0.0]), np.array([10, 10, 10, 10]))
    scores = {("b2", "c1"): base, ("a2", "c1"): aligned}
    first = chapter.first_documents(scores, 2)
    assert list(first[("a2", "c1")].nll) == [20.0, 20.0]
    whole = pair_table([p], scores, ["c1"], lambda c: "literature")
    matched = pair_table([p], first, ["c1"], lambda c: "literature")
    assert matched["delta_log_ppl"].item() == pytest.approx(1.0)  # (40 - 20) nats over 20 tokens
    assert whole["delta_log_ppl"].item() == pytest.approx(0.0)  # (40 - 40) nats over 40 tokens
    r = dataclasses.replace(crafted(TABLE_A, TABLE_B), table_a_matched=matched)
    before, after = chapter.before_after_tables(r)
    assert before is matched and after is TABLE_B
    with pytest.raises(ValueError, match="table_a_matched"):
        chapter.before_after_tables(crafted(TABLE_A, TABLE_B))

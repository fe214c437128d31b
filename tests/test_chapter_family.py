"""Chapter 01 (predact_utils.chapters.family): settings, the page's numbers and displays on crafted results."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import family as chapter
from predact_utils.chapters.family.chapter import examples_lines, scale_verdict
from predact_utils.miniature import report
from predact_utils.params import ParameterError
from predact_utils.plotting import close_all

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "01_miniature_family.py"


def parameters_cell() -> dict:
    return notebook_parameters(NOTEBOOK)


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert s.model_names[0] == "mini-s-base" and len(s.model_names) == 8 and s.n_examples == 3


def test_smoke_shows_one_example_and_names_are_split() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "models": " mini-s-base, ,mini-s-dpo "})
    assert s.model_names == ["mini-s-base", "mini-s-dpo"] and s.n_examples == 1
    assert chapter.Settings.smoke_values() == {}


@pytest.mark.parametrize("values, message", [
    ({"models": ["mini-s-base"]}, "models: expected str"),
    ({"scale": "tiny"}, "scale: 'tiny' is not one of"),
    ({"seed": -1}, "seed: -1 is below the minimum 0"),
])
def test_bad_values_raise(values: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        chapter.Settings.from_values(values)


def card(role: str, size: str, ppl: dict[str, float], tokens: int, params: int, examples: int = 0) -> dict:
    log = [{"step": 10 * (i + 1), "loss": 5.0 - i} for i in range(4)]
    return {"role": role, "size": size, "parent": None, "parameters": params, "steps": 40, "tokens_seen": tokens,
            "wall_seconds": 120.0, "final_train_loss": 2.0, "method": None, "loss_log": log,
            "validation": {k: {"ppl": v, "bigram_ppl": 2 * v, "tokens": 100} for k, v in ppl.items()},
            "behaviour": {"samples": 10, "ends_with_eos": 0.9, "stays_in_role": 0.8, "ok": 0.75,
                          "mean_length": 40.0 + 10 * examples,
                          "examples": [{"prompt": f"q{i}", "answer": f"  a{i}  "} for i in range(examples)]}}


def crafted(cards: dict, names: list[str], lengths: pd.DataFrame, scale: str = "full") -> chapter.Results:
    s = chapter.Settings.from_values({"scale": scale})
    sizes = report.size_table(cards)
    marks = report.loss_at_tokens(cards, [2e6]) if len(sizes) else None
    return chapter.Results(settings=s, names=names, cards=cards, not_built=[n for n in names if n not in cards],
                           overview=report.overview_table(cards), validation=report.validation_table(cards),
                           sizes=sizes, behaviour=report.behaviour_table(cards), lengths=lengths,
                           loss_marks=marks)


LENGTHS = pd.DataFrame({"pairs": [30, 70, 100], "chosen >= 256 tokens": [0.0, 0.1, 0.0712]},
                       index=pd.Index(["other_answer", "truncated", "all"], name="rejection"))


def family_cards() -> dict:
    return {"mini-s-base": card("base", "s", {"a": 10.0, "b": 20.0, "c": 30.0}, 12_340_000, 1_000_000),
            "mini-m-base": card("base", "m", {"a": 12.0, "b": 18.0, "c": 33.0}, 8_000_000, 4_000_000),
            "mini-s-sft": card("sft", "s", {}, 0, 1_000_000, examples=1),
            "mini-s-dpo": card("dpo", "s", {}, 0, 1_000_000, examples=5)}


def test_numbers_of_a_crafted_family() -> None:
    names = [*family_cards(), "mini-m-rlhf"]
    out = chapter.numbers(crafted(family_cards(), names, LENGTHS))
    assert (out["n_built"], out["n_planned"], out["not_built"]) == ("4", "5", "mini-m-rlhf")
    assert out["worst_bigram_ratio"] == "0.50"
    assert (out["scale_tokens_s"], out["scale_tokens_m"]) == ("12.3", "8.0")
    assert (out["scale_opt_s"], out["scale_opt_m"]) == ("20", "80")
    assert (out["scale_tpp_s"], out["scale_tpp_m"]) == ("12.3", "2.0")
    assert out["scale_m_better"] == "1 of 3" and out["scale_ratio_range"] == "0.90 to 1.20"
    assert out["scale_verdict"].startswith("With budgets this small")
    assert out["pref_truncated_share"] == "70%" and out["pref_too_long"] == "7.1%"
    assert out["dpo_lengths"] == "mini-s: 50.0 -> 90.0 tokens (in role 75.0% -> 75.0%)"
    assert chapter.claim_records(crafted(family_cards(), names, LENGTHS)) == []


def test_numbers_when_little_is_built() -> None:
    cards = {"mini-s-base": family_cards()["mini-s-base"]}
    lengths = LENGTHS.drop(index=["truncated"])
    out = chapter.numbers(crafted(cards, ["mini-s-base", "mini-m-base"], lengths))
    assert out["not_built"] == "mini-m-base" and out["worst_bigram_ratio"] == "0.50"
    assert out["scale_m_better"] == "n/a (a Base size is not built)" and out["scale_verdict"] == ""
    assert out["pref_truncated_share"] == "none" and out["dpo_lengths"] == "n/a (not built)"
    sft_only = {"mini-s-sft": family_cards()["mini-s-sft"]}
    out = chapter.numbers(crafted(sft_only, ["mini-s-sft"], LENGTHS))
    assert out["worst_bigram_ratio"] == "n/a (no Base model built)" and out["not_built"] == "none"
    assert out["dpo_lengths"] == "none"


def test_scale_verdict_separates_every_corpus_most_corpora_and_a_minority() -> None:
    assert scale_verdict(pd.Series([0.8, 0.9, 0.95])).startswith("The extra parameters pay off on every corpus")
    assert scale_verdict(pd.Series([0.8, 0.9, 1.05])).startswith("The extra parameters pay off on most corpora")
    for minority in ([1.2, 1.1, 0.9], [1.2, 0.9], [1.0, 1.0, 1.0]):  # a tie is not a better model
        assert scale_verdict(pd.Series(minority)).startswith("With budgets this small"), minority


def test_examples_lines_and_scale() -> None:
    cards = family_cards()
    assert examples_lines(cards, 1) == ["=== mini-s-sft", "Q: q0\nA: a0\n", "=== mini-s-dpo", "Q: q0\nA: a0\n"]
    assert len(examples_lines(cards, 3)) == 1 + 1 + 1 + 3
    assert examples_lines({"mini-s-base": cards["mini-s-base"]}, 3) == []


def test_figures_and_tables() -> None:
    r = crafted(family_cards(), list(family_cards()), LENGTHS)
    figs = chapter.figures(r)
    assert list(figs) == ["fig_mini_loss", "fig_mini_validation"]
    assert len(figs["fig_mini_loss"].axes) == 2 and figs["fig_mini_validation"].axes[0].get_yscale() == "log"
    close_all()
    assert list(chapter.sizes_table(r).columns) == ["mini-s-base", "mini-m-base", "medium / small"]
    assert chapter.loss_marks_table(r) is not None
    assert list(chapter.behaviour_table(r).index) == ["mini-s-sft", "mini-s-dpo"]
    empty = crafted({"mini-s-sft": family_cards()["mini-s-sft"]}, ["mini-s-sft"], LENGTHS)
    assert chapter.validation_table(empty).empty and chapter.loss_marks_table(empty) is None
    assert chapter.figures(empty)["fig_mini_validation"].axes == []
    close_all()


def test_page_lists_the_thresholds_each_card_records_as_missed() -> None:
    cards = family_cards()
    assert chapter.numbers(crafted(cards, list(cards), LENGTHS))["shortfalls"] == "none"
    cards["mini-s-dpo"]["shortfalls"] = ["held-out preference accuracy 0.600 (threshold 0.75)"]
    cards["mini-s-base"]["shortfalls"] = ["validation perplexity on a 9.0, not below 0.75 x the bigram's 10.0",
                                          "validation perplexity on b 19.0, not below 0.75 x the bigram's 20.0"]
    assert chapter.numbers(crafted(cards, list(cards), LENGTHS))["shortfalls"] == (
        "mini-s-base: validation perplexity on a 9.0, not below 0.75 x the bigram's 10.0; validation perplexity "
        "on b 19.0, not below 0.75 x the bigram's 20.0. mini-s-dpo: held-out preference accuracy 0.600 "
        "(threshold 0.75)")

"""Chapter 08 (predact_utils.chapters.explorer): settings, the page's numbers and displays on crafted results."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

from pathlib import Path

import pandas as pd
import pytest

from predact_utils.book.build import notebook_parameters
from predact_utils.chapters import explorer as chapter
from predact_utils.chapters.explorer.analysis import ExplorerConfig
from predact_utils.chapters.explorer.chapter import choose_prompts, ends, floats, more_counts, setting_text
from predact_utils.params import ParameterError
from predact_utils.plotting import close_all

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "08_sampling_explorer.py"


def parameters_cell() -> dict:
    return notebook_parameters(NOTEBOOK)


def test_defaults_are_the_notebooks_parameters() -> None:
    assert chapter.Settings.defaults() == parameters_cell()
    s = chapter.Settings.from_values({})
    assert (s.n_samples, s.tokens_used, s.others_used, s.ngram_used) == (30, 96, 5, 10)
    assert s.grid() == ([0.7, 1.0, 1.3], [0.8, 0.9, 0.95, 1.0])
    assert s.pair_list == "mini-m-rlhf;mini-m-dpo;mini-s-dpo"
    assert s.explorer_config() == ExplorerConfig(max_n=24, min_others=5, n_points=40, anchor_threshold=0.5,
                                                 max_anchors=8, mafft_timeout=300, mafft_overflow=32)


def test_smoke_scale_shrinks_the_grid_and_the_samples() -> None:
    s = chapter.Settings.from_values({"scale": "smoke", "n_samples": 50, "max_new_tokens": 12, "min_others": 9})
    assert (s.n_samples, s.tokens_used, s.others_used) == (6, 12, 5)
    assert s.grid() == ([0.7, 1.3], [0.8, 1.0])
    assert s.pair_list == "mini-s-dpo"
    assert s.explorer_config().max_n == 12 and s.ngram_used == 10
    assert chapter.Settings.from_values({"scale": "smoke"}).tokens_used == 24
    full = chapter.Settings.from_values({"max_new_tokens": 8, "ngram_n": 30})
    assert full.ngram_used == 8 and full.explorer_config().max_n == 8


@pytest.mark.parametrize("values, message", [
    ({"n_samples": 1}, "n_samples: 1 is below the minimum 2"),
    ({"initial_top_p": 1.5}, "initial_top_p: 1.5 is above the maximum 1.0"),
    ({"mafft_overflow": 248}, "mafft_overflow: 248 is above the maximum 247"),
    ({"live_widgets": 1}, "live_widgets: expected bool"),
    ({"pair": 3}, "pair: expected str or list"),
    ({"temperatures": "0.7;hot"}, "temperatures must be numbers separated by ';'"),
    ({"top_ps": " ; "}, "top_ps is empty"),
    ({"mafft_options": "--amino"}, "mafft_options: pass MAFFT options without"),
])
def test_bad_values_raise(values: dict, message: str) -> None:
    with pytest.raises(ParameterError, match=message):
        chapter.Settings.from_values(values)


def test_floats_and_ends() -> None:
    assert floats("0.7; 1;;1.3", "t") == [0.7, 1.0, 1.3]
    assert ends([1.0, 0.7, 1.3, 0.7]) == [0.7, 1.3]
    assert ends([0.9]) == [0.9]


def test_choose_prompts_keeps_the_order_and_refuses_unknown_ids() -> None:
    rows = [{"id": f"p-{i}", "prompt": f"prompt {i}"} for i in range(4)]
    assert [r["id"] for r in choose_prompts("p-2; p-0", rows, smoke=False)] == ["p-2", "p-0"]
    assert [r["id"] for r in choose_prompts("p-2;p-0", rows, smoke=True)] == ["p-2"]
    with pytest.raises(ParameterError, match=r"unknown or no ids \['p-9'\]"):
        choose_prompts("p-1;p-9", rows, smoke=False)
    with pytest.raises(ParameterError, match="unknown or no ids"):
        choose_prompts(" ; ", rows, smoke=False)


def crafted_table() -> pd.DataFrame:
    """Two temperatures x two top-p values; the aligned model has more n-gram coverage in 3 of 4 settings
    and more aligned tokens in 1 of 4."""
    rows = []
    cov = {"base": [0.2, 0.5, 0.1, 0.4], "aligned": [0.6, 0.4, 0.3, 0.9]}
    aligned = {"base": [0.30, 0.50, 0.70, 0.90], "aligned": [0.10, 0.50, 0.60, 0.95]}
    for role in ("base", "aligned"):
        for j, (t, p) in enumerate([(0.7, 0.8), (0.7, 1.0), (1.3, 0.8), (1.3, 1.0)]):
            rows.append({"role": role, "temperature": t, "top_p": p, "coverage": cov[role][j],
                         "aligned_share": aligned[role][j], "anchor_share": 0.1, "length": 20.0 + j})
    return pd.DataFrame(rows)


def crafted_results(**settings) -> chapter.Results:
    s = chapter.Settings.from_values({"scale": "smoke", **settings})
    return chapter.Results(settings=s, pair="mini-s-dpo", method="dpo", base_model="mini-s-base",
                           aligned_model="mini-s-dpo", not_built=["mini-m-rlhf"],
                           prompts=[{"id": "a", "prompt": "A?"}], temperatures=[0.7, 1.3], top_ps=[0.8, 1.0],
                           config=s.explorer_config(), mafft="v7.505 (2022/Apr/10)", table=crafted_table(),
                           seconds=12.4)


def test_more_counts_on_a_crafted_table() -> None:
    assert more_counts(crafted_table()) == {"coverage": 3, "aligned_share": 1}
    equal = crafted_table().assign(coverage=0.5, aligned_share=0.5)
    assert more_counts(equal) == {"coverage": 0, "aligned_share": 0}


def test_numbers_of_crafted_results() -> None:
    out = chapter.numbers(crafted_results())
    assert out["ex_pair"] == ("mini-s-dpo (mini-s-base and mini-s-dpo, dpo); not built, hence not used: "
                              "mini-m-rlhf")
    assert out["ex_prompts"] == "1 prompt"
    assert (out["ex_samples"], out["ex_tokens"], out["ex_cells"], out["ex_total"]) == ("6", "24", "4", "48")
    assert (out["ex_temperatures"], out["ex_top_ps"]) == ("0.7, 1.3", "0.8, 1")
    assert (out["ex_k"], out["ex_ngram"], out["ex_threshold"], out["ex_anchors"], out["ex_points"]) == (
        "5", "10", "50%", "8", "40")
    assert out["ex_mafft"] == "MAFFT v7.505 (2022/Apr/10), options --retree 2 --maxiterate 0, 32 overflow symbols"
    assert out["ex_seconds"] == "12"
    assert out["ex_cov_lo_aligned"] == "30% at temperature 1.3, top-p 0.8"
    assert out["ex_cov_hi_aligned"] == "90% at temperature 1.3, top-p 1"
    assert out["ex_cov_lo_base"] == "10% at temperature 1.3, top-p 0.8"
    assert out["ex_cov_hi_base"] == "50% at temperature 0.7, top-p 1"
    assert out["ex_aligned_range_base"] == "30% to 90%"
    assert out["ex_aligned_range_aligned"] == "10% to 95%"
    assert (out["ex_more_ngram"], out["ex_more_aligned"]) == ("3 of 4", "1 of 4")
    assert all(isinstance(v, str) for v in out.values())


def test_numbers_plural_and_empty_options() -> None:
    r = crafted_results(mafft_options="")
    r.prompts = [{"id": "a", "prompt": "A?"}, {"id": "b", "prompt": "B?"}]
    r.not_built = []
    out = chapter.numbers(r)
    assert out["ex_prompts"] == "2 prompts" and out["ex_total"] == "96"
    assert out["ex_pair"] == "mini-s-dpo (mini-s-base and mini-s-dpo, dpo)"
    assert "options (none)" in out["ex_mafft"]


def test_setting_text() -> None:
    row = pd.Series({"coverage": 0.456, "temperature": 1.0, "top_p": 0.95})
    assert setting_text(row) == "46% at temperature 1, top-p 0.95"


def test_no_claims_and_figures_and_table() -> None:
    r = crafted_results()
    assert chapter.claim_records(r) == []
    figs = chapter.figures(r)
    assert list(figs) == ["fig_ex_grid"] and len(figs["fig_ex_grid"].axes) == 4
    close_all()
    shown = chapter.grid_display(r)
    assert shown.index.names == ["role", "temperature", "top_p"]
    assert "most common 10-gram coverage" in shown.columns and "tokens aligned with >= 5" in shown.columns
    assert set(shown.index.get_level_values("role")) == {"Base (mini-s-base)", "DPO (mini-s-dpo)"}

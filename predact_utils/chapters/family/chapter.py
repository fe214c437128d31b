"""Chapter 01, the miniature family: what was trained, how well, and how the aligned models behave.

Everything is read from the model cards the miniature pipeline wrote (:mod:`predact_utils.miniature.report`)
and from the DPO preference data (:mod:`predact_utils.data.instructions`); :func:`run` gathers the tables,
:func:`numbers` and :func:`figures` are what the page glues, and the ``*_table`` helpers what it displays.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import matplotlib.pyplot as plt
import pandas as pd
from transformers import AutoTokenizer

from predact_utils import paths
from predact_utils.data import instructions
from predact_utils.miniature import report
from predact_utils.plotting import set_style
from predact_utils.seeding import seed_everything
from predact_utils.settings import ChapterSettings, param

#: The two Base sizes of the scaling check.
SMALL, MEDIUM = "mini-s-base", "mini-m-base"
#: Token counts at which the two Base runs' training losses are compared (the last mark is the shorter run's end).
LOSS_MARKS: tuple[float, ...] = (2e6, 4e6, 8e6)
#: Roles of the aligned models (the ones with behaviour numbers and sampled answers).
ALIGNED_ROLES: tuple[str, ...] = ("sft", "dpo", "rlhf")


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """The parameters of the miniature-family chapter."""

    models: str = param("mini-s-base,mini-m-base,mini-s-sft,mini-m-sft,mini-s-dpo,mini-m-dpo,mini-m-reward,"
                        "mini-m-rlhf", doc="','-separated checkpoints of the family, in the tables' order")

    @property
    def model_names(self) -> list[str]:
        """The checkpoints named in ``models``."""
        return [m.strip() for m in self.models.split(",") if m.strip()]

    @property
    def n_examples(self) -> int:
        """Sampled answers shown per aligned model (one at smoke scale)."""
        return 3 if self.scale == "full" else 1


@dataclass
class Results:
    """What the page shows: the model cards and the tables read from them and from the preference data."""

    settings: Settings
    names: list[str]  # the checkpoints of the family
    cards: dict[str, dict[str, Any]]  # the built ones' model cards
    not_built: list[str]
    overview: pd.DataFrame
    validation: pd.DataFrame  # report.validation_table (empty when no Base is built)
    sizes: pd.DataFrame  # report.size_table (empty unless both Base sizes are built)
    behaviour: pd.DataFrame  # report.behaviour_table (empty when no aligned model is built)
    lengths: pd.DataFrame  # report.preference_lengths of the training pairs
    loss_marks: pd.DataFrame | None = None  # report.loss_at_tokens (None unless both Base sizes are built)


def run(settings: Settings) -> Results:
    """Read the model cards and the preference data, and build every table of the page."""
    seed_everything(settings.seed)
    names = settings.model_names
    cards = report.load_cards(names)
    not_built = report.missing(names)
    sizes = report.size_table(cards)
    loss_marks = None
    if len(sizes):
        marks = [*LOSS_MARKS, min(cards[SMALL]["tokens_seen"], cards[MEDIUM]["tokens_seen"])]
        loss_marks = report.loss_at_tokens(cards, marks)
    tokenizer = AutoTokenizer.from_pretrained(paths.models_dir() / "tokenizer")
    lengths = report.preference_lengths(instructions.load_preferences("train", with_meta=True), tokenizer)
    return Results(settings=settings, names=names, cards=cards, not_built=not_built,
                   overview=report.overview_table(cards), validation=report.validation_table(cards),
                   sizes=sizes, behaviour=report.behaviour_table(cards), lengths=lengths, loss_marks=loss_marks)


def scale_verdict(ratio: pd.Series) -> str:
    """The sentence on the scaling check, from the medium / small validation perplexity ratios (one per
    corpus): whether the medium Base is the better world model on every corpus, on most, or not."""
    if (ratio < 1).all():
        return ("The extra parameters pay off on every corpus: the medium Base is the better world model, as "
                "the larger model of each of the paper's pairs is. With one seed and two sizes this is an "
                "ordering, not a scaling trend.")
    if (ratio < 1).mean() > 0.5:
        return ("The extra parameters pay off on most corpora but not on all, so the medium Base is the better "
                "world model only where its ratio is below 1; with one seed and two sizes no figure should be "
                "read as a scaling trend.")
    return ("With budgets this small the extra parameters do not pay off: the small model ends ahead, so "
            "\"medium\" here means more parameters, not a better world model, and no figure should be read "
            "as a scaling trend.")


def family_numbers(results: Results) -> dict[str, str]:
    """Checkpoints built and missing, and the Base models' worst ratio to the bigram baseline."""
    val = results.validation
    return {
        "n_built": f"{len(results.cards)}",
        "n_planned": f"{len(results.names)}",
        "not_built": ", ".join(results.not_built) if results.not_built else "none",
        "worst_bigram_ratio": f"{val['ratio to bigram'].max():.2f}" if len(val) else "n/a (no Base model built)",
        "shortfalls": shortfalls_text(results.cards),
    }


def shortfalls_text(cards: dict[str, dict[str, Any]]) -> str:
    """The sanity thresholds each card records as missed, one clause per checkpoint ("none" when all are met)."""
    missed = [f"{name}: {'; '.join(card['shortfalls'])}" for name, card in cards.items() if card.get("shortfalls")]
    return ". ".join(missed) if missed else "none"


def scale_numbers(results: Results) -> dict[str, str]:
    """The scaling check of the two Base sizes: tokens seen, compute-optimal tokens, medium / small ratios."""
    if not len(results.sizes):
        missing = "n/a (a Base size is not built)"
        keys = ("scale_tokens_s", "scale_tokens_m", "scale_tpp_s", "scale_tpp_m", "scale_opt_s", "scale_opt_m",
                "scale_m_better", "scale_ratio_range")
        return {**{k: missing for k in keys}, "scale_verdict": ""}
    s_card, m_card = results.cards[SMALL], results.cards[MEDIUM]
    ratio = results.sizes["medium / small"]
    return {
        "scale_tokens_s": f"{s_card['tokens_seen'] / 1e6:.1f}",
        "scale_tokens_m": f"{m_card['tokens_seen'] / 1e6:.1f}",
        "scale_tpp_s": f"{s_card['tokens_seen'] / s_card['parameters']:.1f}",
        "scale_tpp_m": f"{m_card['tokens_seen'] / m_card['parameters']:.1f}",
        "scale_opt_s": f"{20 * s_card['parameters'] / 1e6:.0f}",
        "scale_opt_m": f"{20 * m_card['parameters'] / 1e6:.0f}",
        "scale_m_better": f"{int((ratio < 1).sum())} of {len(ratio)}",
        "scale_ratio_range": f"{ratio.min():.2f} to {ratio.max():.2f}",
        "scale_verdict": scale_verdict(ratio),
    }


def preference_numbers(results: Results) -> dict[str, str]:
    """DPO and answer length: truncated rejections, over-long chosen answers, SFT -> DPO lengths."""
    lengths, behaviour = results.lengths, results.behaviour
    return {
        "pref_truncated_share": f"{lengths.loc['truncated', 'pairs'] / lengths.loc['all', 'pairs']:.0%}"
                                if "truncated" in lengths.index else "none",
        "pref_too_long": f"{lengths.loc['all', 'chosen >= 256 tokens']:.1%}",
        "dpo_lengths": report.length_change_text(behaviour, "sft", "dpo") if len(behaviour) else "n/a (not built)",
    }


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    return {**family_numbers(results), **scale_numbers(results), **preference_numbers(results)}


def figures(results: Results) -> dict[str, Any]:
    """The glued figures: training losses of every stage, and the Base models' validation perplexity."""
    set_style()
    loss = report.loss_curves_figure(results.cards)
    val = report.validation_figure(results.validation) if len(results.validation) else plt.figure()
    return {"fig_mini_loss": loss, "fig_mini_validation": val}


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The family chapter tests no claim of the paper: no scoreboard records."""
    return []


def _rounded(table: pd.DataFrame) -> pd.DataFrame:
    return table.round(3) if len(table) else table


def overview_table(results: Results) -> pd.DataFrame:
    """One row per built checkpoint (role, parent, size, steps, tokens, time, loss, method)."""
    return results.overview.round(3)


def validation_table(results: Results) -> pd.DataFrame:
    """Validation perplexity of the Base models per corpus, beside the bigram baseline."""
    return _rounded(results.validation)


def loss_marks_table(results: Results) -> pd.DataFrame | None:
    """Training loss of the two Base runs after the same numbers of tokens (None unless both are built)."""
    return None if results.loss_marks is None else results.loss_marks.round(3)


def sizes_table(results: Results) -> pd.DataFrame:
    """Validation perplexity of the two Base sizes per corpus, and medium / small."""
    return results.sizes.round(3)


def behaviour_table(results: Results) -> pd.DataFrame:
    """The aligned models' sanity numbers."""
    return _rounded(results.behaviour)


def lengths_table(results: Results) -> pd.DataFrame:
    """Answer lengths of the preference pairs, per rejection kind."""
    return results.lengths.round(3)


def examples_lines(cards: Mapping[str, Mapping[str, Any]], n_examples: int) -> list[str]:
    """The sampled answers of each aligned model, as printed (one entry per ``print``)."""
    out = []
    for name, c in cards.items():
        if c["role"] in ALIGNED_ROLES:
            out.append(f"=== {name}")
            for ex in c["behaviour"]["examples"][:n_examples]:
                out.append(f"Q: {ex['prompt']}\nA: {ex['answer'].strip()[:400]}\n")
    return out


def print_examples(results: Results) -> None:
    """Print a few sampled answers of each aligned model, exactly as sampled (the answer cut at 400 characters)."""
    for line in examples_lines(results.cards, results.settings.n_examples):
        print(line)

"""Chapter 02 as one pipeline: settings -> ``run`` -> the page's numbers, figures, tables and claims.

The notebook ``02_world_modeling`` is the story; this module is everything it computes:

* :class:`Settings`: the notebook's parameters, their bounds and their smoke-scale values;
* :func:`run`: perplexities of every pair on gold text (Fig. 2A), then after fine-tuning (Fig. 2B);
* :func:`numbers`, :func:`figures`: the page's glued text and figures;
* :func:`claim_records`: the scoreboard records of ``fig2a-worse`` and ``fig2b-finetune``;
* :func:`table_a`, :func:`summary_a`, :func:`table_b`, :func:`delta_plotly`: the displayed tables and chart.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

import predact_utils.data.corpora as corpora
from predact_utils.chapters.worldmodel import plots
from predact_utils.chapters.worldmodel.analysis import (
    DocScores,
    document_scores,
    pair_table,
    summary_by_category,
)
from predact_utils.chapters.worldmodel.finetune import CorpusBlocks, FinetuneBudget, finetuned_test_scores
from predact_utils.lm.models import load_model
from predact_utils.lm.registry import PairSpec, available_pairs, pair_entries, rlhf_vs_sft
from predact_utils.plotting import set_style
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, ChapterSettings, param
from predact_utils.verdicts import Verdict, decide_family, family

#: Columns of the displayed Fig. 2A and Fig. 2B tables.
TABLE_A_COLUMNS = ["pair", "category", "corpus", "documents", "tokens", "base_ppl", "aligned_ppl",
                   "ppl_ratio", "delta_log_ppl", "ci_low", "ci_high"]
TABLE_B_COLUMNS = ["pair", "category", "corpus", "documents", "base_ppl", "aligned_ppl", "delta_log_ppl",
                   "ci_low", "ci_high"]


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """The parameters of the world-modeling chapter."""

    pairs: Any = param("mini-s-sft;mini-s-dpo;mini-m-sft;mini-m-dpo;mini-m-rlhf", PAIRS_KIND,
                       doc="Base / aligned pairs of Fig. 2A (the first one only at smoke scale)")
    corpus_names: Any = param("", (str, list), doc="evaluation corpora ('' = all 9; two at smoke scale)")
    max_docs: int = param(0, minimum=0, smoke=3, doc="documents per test split (0 = no cap)")
    max_corpus_chars: int = param(100000, minimum=0, smoke=0, doc="characters per test split (0 = no cap)")
    max_doc_chars: int = param(4000, minimum=0, doc="each document cut to this many characters (0 = whole)")
    window: int = param(512, minimum=16, doc="sliding-window length of the scoring")
    stride: int = param(256, minimum=1, doc="sliding-window stride of the scoring")
    finetune_pairs: Any = param("mini-m-rlhf;mini-m-sft;mini-s-dpo", PAIRS_KIND,
                                doc="pairs fine-tuned for Fig. 2B (the first pair of the run if none is)")
    finetune_steps: int = param(30, minimum=1, smoke=2, doc="optimizer steps of each fine-tuning")
    finetune_lr: float = param(0.0003, minimum=0.0, doc="peak learning rate (cosine schedule)")
    finetune_batch: int = param(8, minimum=1, doc="blocks per fine-tuning step")
    finetune_block: int = param(256, minimum=8, doc="tokens per fine-tuning block")
    finetune_test_docs: int = param(40, minimum=1, smoke=2,
                                    doc="test documents scored after fine-tuning (the first of Fig. 2A's)")
    finetune_method: str = param("auto", str, choices=("auto", "full", "lora"),
                                 doc="full fine-tuning, LoRA, or auto: LoRA above finetune_lora_above parameters")
    finetune_lora_above: int = param(1_000_000_000, minimum=0, doc="parameter count above which auto uses LoRA")
    finetune_lora_rank: int = param(16, minimum=1, doc="rank of the LoRA adapters")

    def finetune_budget(self) -> FinetuneBudget:
        """The same fine-tuning budget for every model of Fig. 2B (a smaller token cap at smoke scale)."""
        return FinetuneBudget(steps=self.finetune_steps, block=self.finetune_block, batch=self.finetune_batch,
                              lr=self.finetune_lr, max_train_tokens=20_000 if self.smoke else 400_000,
                              method=self.finetune_method, lora_above=self.finetune_lora_above,
                              lora_rank=self.finetune_lora_rank)


@dataclass
class Results:
    """What the page shows: the pairs and corpora of the run, the Fig. 2A and 2B tables."""

    settings: Settings
    pairs: list[PairSpec]
    skipped: list[str]
    corpora: list[str]
    table_a: pd.DataFrame
    summary_a: pd.DataFrame
    budget: FinetuneBudget
    ft_pairs: list[PairSpec]
    table_b: pd.DataFrame
    #: Fig. 2A's comparison of the fine-tuned pairs on the same documents that Fig. 2B scores (the first
    #: ``finetune_test_docs`` of each corpus' sample), for the before/after scatter
    table_a_matched: pd.DataFrame | None = None
    #: parameters of each fine-tuned pair's aligned model (what decides full fine-tuning or LoRA)
    ft_params: dict[str, int] = field(default_factory=dict)
    #: RLHF against the SFT model it was trained from, on Fig. 2A's and Fig. 2B's documents (rows of derived
    #: pairs, :func:`predact_utils.lm.registry.rlhf_vs_sft`; empty when the run has no such two pairs)
    stage_a: pd.DataFrame | None = None
    stage_b: pd.DataFrame | None = None


def gold_scores(pairs: Sequence[PairSpec], corpus_names: Sequence[str], texts: Mapping[str, Sequence[str]],
                window: int, stride: int) -> tuple[dict[tuple[str, str], DocScores], dict[str, Any]]:
    """Scores of every model of ``pairs`` on every corpus (keyed by (location, corpus)) and the loaded models
    (a model shared by two pairs is loaded and scored once)."""
    scores: dict[tuple[str, str], DocScores] = {}
    loaded: dict[str, Any] = {}
    for spec in pairs:
        for role, ident in (("base", spec.base_location()), ("aligned", spec.aligned_location())):
            if ident not in loaded:
                loaded[ident] = load_model(ident, role=role)
            for c in corpus_names:
                if (ident, c) not in scores:
                    scores[(ident, c)] = document_scores(loaded[ident], texts[c], window=window, stride=stride)
    return scores, loaded


def finetune_selection(pairs: Sequence[PairSpec], finetune_pairs: Any) -> list[PairSpec]:
    """The pairs of the run named in ``finetune_pairs``, or the first pair of the run when none is."""
    wanted = pair_entries(finetune_pairs)
    return [s for s in pairs if s.name in wanted] or list(pairs[:1])


def finetuned_scores(models: Mapping[str, Any], corpus_names: Sequence[str],
                     texts: Mapping[str, Sequence[str]], settings: Settings,
                     budget: FinetuneBudget) -> dict[tuple[str, str], DocScores]:
    """Test scores of every model after fine-tuning it on each corpus' validation split (same budget)."""
    out: dict[tuple[str, str], DocScores] = {}
    for c in corpus_names:
        train_texts = [r["text"] for r in corpora.load_texts(c, "validation")]
        test_texts = texts[c][:settings.finetune_test_docs]
        blocks = CorpusBlocks(train_texts, budget, settings.seed)  # tokenized once per tokenizer, not per model
        for ident, lm in models.items():
            nll, ntok = finetuned_test_scores(lm, train_texts, test_texts, budget, seed=settings.seed,
                                              window=settings.window, stride=settings.stride, blocks=blocks)
            out[(ident, c)] = DocScores(nll, ntok)
    return out


def first_documents(scores: Mapping[tuple[str, str], DocScores], n: int) -> dict[tuple[str, str], DocScores]:
    """The scores of each model on the first ``n`` documents of each corpus' sample only."""
    return {k: DocScores(v.nll[:n], v.tokens[:n]) for k, v in scores.items()}


def run(settings: Settings) -> Results:
    """Every computation of the chapter, in the notebook's order."""
    s = settings
    seed_everything(s.seed)
    budget = s.finetune_budget()
    available, skipped = available_pairs(s.pairs)
    if s.smoke:
        available = available[:1]
    eval_corpora = corpora.select_eval(s.corpus_names, smoke=s.smoke)
    texts = {c: corpora.sample_texts(c, "test", max_docs=s.max_docs, max_chars=s.max_corpus_chars,
                                     max_doc_chars=s.max_doc_chars, seed=s.seed) for c in eval_corpora}
    scores, loaded = gold_scores(available, eval_corpora, texts, s.window, s.stride)
    table_a = pair_table(available, scores, eval_corpora, corpora.category_of, seed=s.seed)
    summary_a = summary_by_category(table_a)
    ft_pairs = finetune_selection(available, s.finetune_pairs)
    ft_models = {i: loaded[i] for p in ft_pairs for i in (p.base_location(), p.aligned_location())}
    ft_scores = finetuned_scores(ft_models, eval_corpora, texts, s, budget)
    table_b = pair_table(ft_pairs, ft_scores, eval_corpora, corpora.category_of, seed=s.seed)
    matched = pair_table(ft_pairs, first_documents(scores, s.finetune_test_docs), eval_corpora,
                         corpora.category_of, seed=s.seed)
    stage_a = pair_table(rlhf_vs_sft(available), scores, eval_corpora, corpora.category_of, seed=s.seed)
    stage_b = pair_table(rlhf_vs_sft(ft_pairs), ft_scores, eval_corpora, corpora.category_of, seed=s.seed)
    return Results(settings=s, pairs=list(available), skipped=list(skipped), corpora=list(eval_corpora),
                   table_a=table_a, summary_a=summary_a, budget=budget, ft_pairs=ft_pairs, table_b=table_b,
                   table_a_matched=matched, stage_a=stage_a, stage_b=stage_b,
                   ft_params={p.name: sum(t.numel() for t in ft_models[p.aligned_location()].model.parameters())
                              for p in ft_pairs})


def n_worse(table: pd.DataFrame) -> int:
    """Rows where the aligned model is the worse predictor (Δ log-perplexity above zero)."""
    return int((table["delta_log_ppl"] > 0).sum())


def n_significant(table: pd.DataFrame) -> int:
    """Rows whose whole 95% interval of Δ lies above zero."""
    return int((table["ci_low"] > 0).sum())


def mean_ratio(table: pd.DataFrame) -> float:
    """Mean perplexity ratio (aligned / Base) over the rows."""
    return float(table["ppl_ratio"].mean())


def verdict_rows(table: pd.DataFrame) -> tuple[pd.DataFrame, str]:
    """The rows a verdict about RLHF rests on: the RLHF pairs' when the run has any, else every row; and
    which those are, in words."""
    if "method" in table and (table["method"] == "rlhf").any():
        return table[table["method"] == "rlhf"], "the RLHF pairs"
    return table, "every pair (the run has no RLHF pair)"


def worse_verdict(table: pd.DataFrame) -> Verdict:
    """Fig. 2: the family rule of the claim (claims.py), on :func:`verdict_rows`."""
    rows, _ = verdict_rows(table)
    return decide_family(family(rows["delta_log_ppl"], rows["ci_low"], rows["ci_high"]), every=True)


def by_stage(table: pd.DataFrame) -> str:
    """Which alignment stage carries the effect: the family test per training method of the pairs."""
    from predact_utils.claims import stage_of

    if "method" not in table:
        return ""
    parts = []
    for method, rows in table.groupby("method", sort=False):
        f = family(rows["delta_log_ppl"], rows["ci_low"], rows["ci_high"])
        parts.append(f"{stage_of(method) or method}: {f.in_direction} of {f.n} worse (sign test p = {f.sign_p:.2g}), "
                     f"{f.holm_significant} significant after Holm")
    return "; ".join(parts)


def stage_entries(table: pd.DataFrame) -> list[dict[str, Any]]:
    """The stage table's cells of a Fig. 2 claim: per training method, the family test of its pairs."""
    from predact_utils.claims import stage, stage_of
    from predact_utils.verdicts import ALPHA

    if "method" not in table:
        return []
    out = []
    for method, rows in table.groupby("method", sort=False):
        comparison = stage_of(method)
        if comparison is None:
            continue
        f = family(rows["delta_log_ppl"], rows["ci_low"], rows["ci_high"])
        out.append(stage(comparison, ", ".join(dict.fromkeys(rows["pair"])),
                         f"{f.in_direction} of {f.n} worse, sign test p = {f.sign_p:.2g}, {f.holm_significant} "
                         "significant after Holm", bool(f.sign_p < ALPHA)))
    return out


def sample_description(settings: Settings) -> str:
    """What part of each test split Fig. 2A scores."""
    s = settings
    if not (s.max_docs or s.max_corpus_chars or s.max_doc_chars):
        return "the whole test split"
    return (f"a random subset of each test split (seed {s.seed}): documents cut to {s.max_doc_chars or 'any'} "
            f"characters, taken until {s.max_corpus_chars or 'any number of'} characters"
            + (f" or {s.max_docs} documents" if s.max_docs else ""))


def _names(pairs: Sequence[PairSpec]) -> str:
    return ", ".join(p.name for p in pairs)


def _methods(results: Results) -> dict[str, str]:
    """The fine-tuning method that ran, and for which pairs (by the models' parameter counts)."""
    out: dict[str, list[str]] = {}
    for p in results.ft_pairs:
        out.setdefault(results.budget.method_for(results.ft_params.get(p.name, 0)), []).append(p.name)
    return {m: ", ".join(v) for m, v in out.items()}


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    r, b = results, results.budget
    return {
        "wm_pairs": _names(r.pairs),
        "wm_skipped": ", ".join(r.skipped) if r.skipped else "none",
        "wm_corpora": f"{len(r.corpora)}",
        "wm_sample": sample_description(r.settings),
        "wm_a_worse": f"{n_worse(r.table_a)} of {len(r.table_a)}",
        "wm_a_sig": f"{n_significant(r.table_a)}",
        "wm_a_mean_ratio": f"{mean_ratio(r.table_a):.3f}",
        "wm_budget": f"{b.steps} steps of {b.batch} x {b.block} tokens, peak learning rate {b.lr:g}, "
                     "cosine schedule",
        "wm_lora_above": f"{b.lora_above:,}",
        "wm_ft_method": "; ".join(f"{b.describe(m)} for {names}" for m, names in _methods(r).items()) or "none",
        "wm_ft_docs": f"{r.settings.finetune_test_docs}",
        "wm_ft_pairs": _names(r.ft_pairs),
        "wm_b_worse": f"{n_worse(r.table_b)} of {len(r.table_b)}",
        "wm_b_sig": f"{n_significant(r.table_b)}",
    }


def figures(results: Results) -> dict[str, Any]:
    """Every glued figure of the page (house style)."""
    set_style()
    return {
        "fig_wm_2a": plots.delta_figure(results.table_a, "Fig. 2A (miniature): aligned vs Base on gold text"),
        "fig_wm_2b": plots.delta_figure(results.table_b,
                                        "Fig. 2B (miniature): after fine-tuning both models on the corpus"),
        "fig_wm_2b_scatter": plots.before_after_figure(*before_after_tables(results)),
    }


def before_after_tables(results: Results) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(before, after) of the scatter: both on the documents fine-tuning was scored on."""
    if results.table_a_matched is None:
        raise ValueError("the results hold no Fig. 2A table on Fig. 2B's documents (table_a_matched)")
    return results.table_a_matched, results.table_b


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard records of Fig. 2A and Fig. 2B (keyword arguments of :func:`predact_utils.claims.record`)."""
    r, out = results, []
    for claim_id, table, pairs, what, derived in (
            ("fig2a-worse", r.table_a, r.pairs, "aligned worse", r.stage_a),
            ("fig2b-finetune", r.table_b, r.ft_pairs, "after fine-tuning, aligned worse", r.stage_b)):
        v = worse_verdict(table)
        by_stages = table if derived is None or derived.empty else pd.concat([table, derived], ignore_index=True)
        _, on = verdict_rows(table)
        out.append({"claim_id": claim_id,
                    "measured": f"{what} on {n_worse(table)} of {len(table)} pair x corpus combinations "
                                f"({n_significant(table)} with the 95% interval over documents above 0); mean "
                                f"perplexity ratio {mean_ratio(table):.3f}; verdict on {on}",
                    "verdict": v.word, "reason": v.reason, "pair": _names(pairs), "scale": r.settings.scale,
                    "detail": by_stage(by_stages), "stages": stage_entries(by_stages)})
    return out


def table_a(results: Results) -> pd.DataFrame:
    """The raw perplexities of Fig. 2A, one row per pair x corpus."""
    return results.table_a[TABLE_A_COLUMNS].round(4)


def summary_a(results: Results) -> pd.DataFrame:
    """Fig. 2A by pair and category."""
    return results.summary_a.round(4)


def table_b(results: Results) -> pd.DataFrame:
    """The perplexities after fine-tuning (Fig. 2B)."""
    return results.table_b[TABLE_B_COLUMNS].round(4)


def delta_plotly(results: Results) -> Any:
    """The interactive version of both panels (a menu switches before / after fine-tuning)."""
    return plots.delta_plotly(results.table_a, results.table_b)

"""Chapter 03 as one pipeline: settings -> ``run`` -> the page's numbers, figures and claims.

The notebook ``03_distribution_collapse`` is the story; this module is everything it computes:

* :class:`Settings`: the notebook's parameters, their bounds and their smoke-scale values;
* :func:`run`: each model's own answers and gold text scored with distribution statistics (Figs. 3, 4), then
  every model scoring every model's continuations of the prefix sets (Fig. 5, the cross-model matrix);
* :func:`numbers`, :func:`figures`: the page's glued text and figures;
* :func:`claim_records`: the scoreboard records ``fig3-top1``, ``fig4-own``, ``fig4-gold``, ``fig5-self``.

The displayed tables and interactive charts are in :mod:`predact_utils.chapters.collapse.tables`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

import predact_utils.data.corpora as corpora
from predact_utils.chapters.collapse import plots
from predact_utils.chapters.collapse.analysis import (
    THRESHOLDS,
    SequenceSummary,
    above_table,
    at_threshold,
    cross_matrix,
    generation_text_set,
    gold_text_set,
    perplexity_rows,
    ratio_by_threshold,
    summarize,
    topk_curves,
)
from predact_utils.claims import Holds, share_verdict
from predact_utils.data import prompts as prompt_data
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.models import load_model
from predact_utils.lm.registry import PairSpec, available_pairs
from predact_utils.lm.sampling import SamplingParams
from predact_utils.plotting import set_style
from predact_utils.runs.artifacts import cached_token_logprobs
from predact_utils.runs.generations import prefix_generations, prompt_generations, sampling_params
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, ChapterSettings, param

ROLES = ("base", "aligned")
TEXTS = ("own", "gold")


@dataclass(frozen=True)
class Settings(ChapterSettings):
    """The parameters of the distribution-collapse chapter."""

    pairs: Any = param("mini-m-rlhf;mini-s-dpo", PAIRS_KIND, doc="Base / aligned pairs of the book's build")
    smoke_pairs: Any = param("mini-s-dpo", PAIRS_KIND, doc="the pairs at smoke scale")
    n_prompts: int = param(0, minimum=0, smoke=2, doc="prompts answered (0 = all 80)")
    n_samples: int = param(100, minimum=1, smoke=4, doc="samples per prompt of the run's first pair")
    max_new_tokens: int = param(128, minimum=1, smoke=48, doc="new tokens per answer at most")
    top_p: float = param(0.9, minimum=0.0, maximum=1.0, doc="nucleus sampling mass")
    temperature: float = param(1.0, minimum=0.0, doc="sampling temperature")
    stats_samples: int = param(10, minimum=1, smoke=4, doc="samples per prompt scored for Figs. 3 and 4")
    gold_docs: int = param(20, minimum=1, smoke=2, doc="gold documents per evaluation corpus")
    gold_tokens: int = param(256, minimum=8, smoke=64, doc="each gold document cut to this many tokens")
    top_k: int = param(32, minimum=1, doc="cumulative masses kept for k = 1..top_k")
    threshold: float = param(1e-8, minimum=0.0, maximum=1.0, doc="the paper's non-negligible probability")
    n_prefixes: int = param(32, minimum=1, smoke=2, doc="prefixes continued per prefix set")
    prefix_samples: int = param(2, minimum=1, smoke=1, doc="continuations per prefix")
    prefix_tokens: int = param(128, minimum=1, smoke=32, doc="new tokens per continuation at most")

    def pair_list(self) -> Any:
        """The pairs of this run (``smoke_pairs`` at smoke scale)."""
        return self.smoke_pairs if self.smoke else self.pairs

    @property
    def scored_samples(self) -> int:
        """Samples per prompt scored for Figs. 3 and 4 (never more than are sampled)."""
        return min(self.stats_samples, self.n_samples)

    @property
    def thresholds(self) -> tuple[float, ...]:
        """The thresholds counted: the robustness range and ``threshold``, largest first."""
        return tuple(sorted(set(THRESHOLDS) | {self.threshold}, reverse=True))

    def stats_config(self) -> DistStatsConfig:
        """The per-position statistics the scorer keeps."""
        return DistStatsConfig(top_k=self.top_k, thresholds=self.thresholds)

    def prompt_sampling(self, n: int) -> SamplingParams:
        """Sampling of ``n`` answers per prompt."""
        return sampling_params(top_p=self.top_p, temperature=self.temperature, max_new_tokens=self.max_new_tokens,
                               n=n, seed=self.seed)

    def prefix_sampling(self) -> SamplingParams:
        """Sampling of the prefix continuations (Fig. 5)."""
        return sampling_params(top_p=self.top_p, temperature=self.temperature, max_new_tokens=self.prefix_tokens,
                               n=self.prefix_samples, seed=self.seed)


@dataclass
class Results:
    """What the page shows: per-sequence summaries, the Fig. 3 / 4 tables and the cross-model rows."""

    settings: Settings
    pairs: list[PairSpec]
    skipped: list[str]
    summaries: dict[tuple[str, str, str], SequenceSummary]  # (pair, model, text) -> summary
    eos_share: dict[tuple[str, str], float]  # (pair, model) -> share of answers ending with end-of-text
    curves: pd.DataFrame  # Fig. 3: topk_curves
    above: pd.DataFrame  # Fig. 4: above_table
    prefix_sets: list[str]
    cross: pd.DataFrame  # Fig. 5 and the cross-model matrix: perplexity_rows of every scorer x generator

    @property
    def main(self) -> str:
        """The run's first pair, the one the prose quotes."""
        return self.pairs[0].name


def _model(models: dict[str, Any], ident: str, role: str) -> Any:
    """Load each checkpoint once, shared by the pairs that use it."""
    if ident not in models:
        models[ident] = load_model(ident, role=role)
    return models[ident]


def own_and_gold(settings: Settings, pairs: Sequence[PairSpec], gold_rows: Sequence[tuple[str, str]],
                 models: dict[str, Any]) -> tuple[dict[tuple[str, str, str], SequenceSummary],
                                                  dict[tuple[str, str], float]]:
    """Figs. 3 and 4: every model's own answers and the gold documents, scored with distribution statistics.

    Only the first pair samples ``n_samples`` answers per prompt (the anchor chapter's shared set); the others
    sample just the scored ones."""
    s, stats = settings, settings.stats_config()
    summaries: dict[tuple[str, str, str], SequenceSummary] = {}
    eos_share: dict[tuple[str, str], float] = {}
    for spec in pairs:
        n_run = s.n_samples if spec is pairs[0] else s.scored_samples
        for role, ident in (("base", spec.base_location()), ("aligned", spec.aligned_location())):
            lm = _model(models, ident, role)
            answers = prompt_generations(lm, s.prompt_sampling(n_run), n_prompts=s.n_prompts or None)
            eos_share[(spec.name, role)] = answers.eos_share()
            own = generation_text_set(lm.tokenizer, answers, max_per_prompt=s.scored_samples)
            gold = gold_text_set(lm.tokenizer, [t for _, t in gold_rows], [c for c, _ in gold_rows], s.gold_tokens)
            for text, ts in (("own", own), ("gold", gold)):
                sc = cached_token_logprobs(lm, ts.sequences, score_from=ts.score_from, stats=stats, progress=False)
                summaries[(spec.name, role, text)] = summarize(sc, ts.groups)
    return summaries, eos_share


def cross_rows(settings: Settings, pairs: Sequence[PairSpec], prefix_sets: Sequence[str],
               models: dict[str, Any]) -> list[dict[str, object]]:
    """Fig. 5: both models of each pair continue every prefix set; every model scores every continuation."""
    params = settings.prefix_sampling()
    rows: list[dict[str, object]] = []
    for spec in pairs:
        pair_models = {"base": _model(models, spec.base_location(), "base"),
                       "aligned": _model(models, spec.aligned_location(), "aligned")}
        for ds in prefix_sets:
            sets = {g: generation_text_set(lm.tokenizer,
                                           prefix_generations(lm, ds, params, n_prefixes=settings.n_prefixes))
                    for g, lm in pair_models.items()}
            for gen_role, ts in sets.items():
                for scorer_role, scorer in pair_models.items():
                    sc = cached_token_logprobs(scorer, ts.sequences, score_from=ts.score_from, progress=False)
                    labels = {"pair": spec.name, "scorer": scorer_role, "generator": gen_role,
                              "category": corpora.category_of(ds)}
                    rows += perplexity_rows(summarize(sc, ts.groups), labels, seed=settings.seed)
    return rows


def run(settings: Settings) -> Results:
    """Every computation of the chapter, in the notebook's order."""
    s = settings
    seed_everything(s.seed)
    available, skipped = available_pairs(s.pair_list())
    s.stats_config()  # bad values fail here, before any model is loaded
    s.prompt_sampling(s.n_samples)
    s.prefix_sampling()
    gold_rows = [(c, t) for c in corpora.names(role="eval")
                 for t in corpora.sample_texts(c, "test", max_docs=s.gold_docs, seed=s.seed)]
    models: dict[str, Any] = {}
    summaries, eos_share = own_and_gold(s, available, gold_rows, models)
    curves = topk_curves(summaries, seed=s.seed)
    above = above_table(summaries, seed=s.seed)
    prefix_sets = prompt_data.prefix_sets()
    cross = pd.DataFrame(cross_rows(s, available, prefix_sets, models))
    return Results(settings=s, pairs=list(available), skipped=list(skipped), summaries=summaries,
                   eos_share=eos_share, curves=curves, above=above, prefix_sets=list(prefix_sets), cross=cross)


# --- derived tables (pure) ---------------------------------------------------------------------------------


def top1(curves: pd.DataFrame) -> pd.Series:
    """Mean mass of the top token per (pair, model, text)."""
    return curves[curves["k"] == 1].set_index(["pair", "model", "text"])["mass"]


def self_perplexity(cross: pd.DataFrame) -> pd.DataFrame:
    """Each model's perplexity on its own continuations: rows (pair, dataset), columns the model."""
    own = cross[cross["scorer"] == cross["generator"]]
    return own.pivot_table(index=["pair", "dataset"], columns="scorer", values="ppl")


def self_lower(cross: pd.DataFrame) -> pd.Series:
    """Per (pair, dataset): is the aligned model's self-perplexity below the Base model's?"""
    sp = self_perplexity(cross)
    return sp["aligned"] < sp["base"]


def matrices(results: Results) -> dict[str, pd.DataFrame]:
    """The 2x2 scorer x generator matrix (geometric mean over datasets) of every pair."""
    cross = results.cross
    return {p.name: cross_matrix(cross[cross["pair"] == p.name]) for p in results.pairs}


def _share(mask: pd.Series) -> str:
    return f"{int(mask.sum())} of {len(mask)}"


# --- verdict rules -------------------------------------------------------------------------------------------


def top1_verdict(own_top1: pd.DataFrame) -> Holds:
    """Fig. 3: the aligned model puts more mass on its top token than Base on own answers, per pair."""
    return share_verdict(int((own_top1["aligned"] > own_top1["base"]).sum()), len(own_top1))


def count_verdict(ratio: pd.Series, fewer: bool) -> Holds:
    """Fig. 4: the aligned / Base count ratio is below 1 (``fewer``, own answers) or above 1 (gold), per pair."""
    hits = ratio < 1 if fewer else ratio > 1
    return share_verdict(int(hits.sum()), len(ratio))


def self_verdict(lower: pd.Series) -> Holds:
    """Fig. 5: the aligned model's self-perplexity is the lower one, per pair x dataset."""
    return share_verdict(int(lower.sum()), len(lower))


# --- the page ------------------------------------------------------------------------------------------------


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    r, s, main = results, results.settings, results.main
    out = {
        "col_pairs": ", ".join(p.name for p in r.pairs),
        "col_skipped": ", ".join(r.skipped) if r.skipped else "none",
        "col_sampling": f"top-p {s.top_p:g}, temperature {s.temperature:g}, at most {s.max_new_tokens} new "
                        f"tokens, {s.n_samples} samples per prompt for the first pair and {s.scored_samples} for "
                        "the others",
        "col_stats_samples": f"{s.scored_samples}",
        "col_gold": f"{s.gold_docs} documents per corpus, each cut to {s.gold_tokens} tokens",
        "col_main": main,
    }
    t1 = top1(r.curves)
    for text in TEXTS:
        for model in ROLES:
            out[f"col_top1_{model}_{text}"] = f"{t1[(main, model, text)]:.3f}"
    wide = t1.unstack("model")
    out["col_top1_higher"] = f"{int((wide['aligned'] > wide['base']).sum())} of {len(wide)}"
    at = at_threshold(r.above, s.threshold).set_index(["pair", "model", "text"])["n_above"]
    for text in TEXTS:
        for model in ROLES:
            out[f"col_above_{model}_{text}"] = f"{at[(main, model, text)]:.0f}"
    out["col_threshold"] = f"{s.threshold:g}"
    ratios = ratio_by_threshold(r.above)
    out["col_own_lower_all"] = _share((ratios.xs("own", level="text") < 1).all(axis=1))
    out["col_gold_higher_all"] = _share((ratios.xs("gold", level="text") > 1).all(axis=1))
    out["col_thr_range"] = f"{min(s.thresholds):g} to {max(s.thresholds):g}"
    out["col_self_lower"] = _share(self_lower(r.cross))
    main_self = self_perplexity(r.cross).loc[main]
    for model in ROLES:
        out[f"col_self_gmean_{model}"] = f"{float(np.exp(np.log(main_self[model]).mean())):.2f}"
    out["col_prefix_setup"] = (f"{len(r.prefix_sets)} prefix sets, the first {s.n_prefixes} prefixes of each, "
                               f"{s.prefix_samples} continuation(s) of at most {s.prefix_tokens} tokens per prefix")
    m = matrices(r)[main]
    for scorer in ROLES:
        for gen in ROLES:
            out[f"col_x_{scorer}_{gen}"] = f"{m.loc[scorer, gen]:.2f}"
    return out


def figures(results: Results) -> dict[str, Any]:
    """Every glued figure of the page (house style)."""
    set_style()
    return {
        "fig_col_topk": plots.topk_figure(results.curves),
        "fig_col_above": plots.above_figure(results.above, results.settings.threshold),
        "fig_col_thresholds": plots.threshold_figure(results.above),
        "fig_col_self": plots.self_ppl_figure(results.cross),
        "fig_col_cross": plots.cross_heatmaps(matrices(results)),
    }


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard records of Figs. 3, 4 and 5 (keyword arguments of :func:`predact_utils.claims.record`)."""
    r, thr, main = results, results.settings.threshold, results.main
    common = {"pair": ", ".join(p.name for p in r.pairs), "scale": r.settings.scale, "detail": ""}
    t1 = top1(r.curves)
    own_top1 = t1.unstack("model").xs("own", level="text")
    k_top1 = int((own_top1["aligned"] > own_top1["base"]).sum())
    ratios = ratio_by_threshold(r.above)
    r_own, r_gold = ratios.xs("own", level="text")[thr], ratios.xs("gold", level="text")[thr]
    lower = self_lower(r.cross)
    return [
        {"claim_id": "fig3-top1",
         "measured": f"own answers: mean top-1 mass aligned {t1[(main, 'aligned', 'own')]:.3f} vs Base "
                     f"{t1[(main, 'base', 'own')]:.3f} ({main}); aligned higher for {k_top1} of {len(own_top1)} "
                     "pairs",
         "holds": top1_verdict(own_top1), **common},
        {"claim_id": "fig4-own",
         "measured": f"own answers, p > {thr:g}: aligned / Base count {r_own[main]:.3f} ({main}); "
                     f"below 1 for {int((r_own < 1).sum())} of {len(r_own)} pairs",
         "holds": count_verdict(r_own, fewer=True), **common},
        {"claim_id": "fig4-gold",
         "measured": f"gold text, p > {thr:g}: aligned / Base count {r_gold[main]:.3f} ({main}); "
                     f"above 1 for {int((r_gold > 1).sum())} of {len(r_gold)} pairs",
         "holds": count_verdict(r_gold, fewer=False), **common},
        {"claim_id": "fig5-self",
         "measured": f"aligned self-perplexity lower on {int(lower.sum())} of {len(lower)} pair x dataset "
                     "combinations",
         "holds": self_verdict(lower), **common},
    ]

"""Chapter 03 as one pipeline: settings -> ``run`` -> the page's numbers, figures and claims.

The notebook ``03_distribution_collapse`` is the story; this module is everything it computes:

* :class:`Settings`: the notebook's parameters, their bounds and their smoke-scale values;
* :func:`run`: each model's own answers and gold text scored with distribution statistics (Figs. 3, 4), then
  every model scoring every model's continuations of the prefix sets (Fig. 5, the cross-model matrix);
* :func:`numbers`, :func:`figures`: the page's glued text and figures;
* :func:`claim_records`: the scoreboard records ``fig3-top1``, ``fig4-own``, ``fig4-gold``, ``fig5-self``, each
  decided by the rule its claim states in :mod:`predact_utils.claims` (paired bootstraps over prompts, documents
  and prefixes, :mod:`predact_utils.verdicts`).

The displayed tables and interactive charts are in :mod:`predact_utils.chapters.collapse.tables`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
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
from predact_utils.data import prompts as prompt_data
from predact_utils.lm.diststats import DistStatsConfig
from predact_utils.lm.models import check_same_tokenizer, load_model
from predact_utils.lm.registry import PairSpec, available_pairs
from predact_utils.lm.sampling import SamplingParams
from predact_utils.plotting import set_style
from predact_utils.runs.artifacts import cached_token_logprobs
from predact_utils.runs.generations import (
    PromptChapterSettings,
    prefix_generations,
    prompt_generations,
    sampling_params,
)
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, param
from predact_utils.verdicts import (
    NOT_TESTABLE,
    Verdict,
    decide,
    decide_family,
    family,
    paired_group_bootstrap,
)

ROLES = ("base", "aligned")
TEXTS = ("own", "gold")


@dataclass(frozen=True)
class Settings(PromptChapterSettings):
    """The parameters of the distribution-collapse chapter."""

    pairs: Any = param("mini-m-rlhf;mini-m-sft;mini-s-dpo", PAIRS_KIND, doc="Base / aligned pairs of the book's build")
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
    # (pair, model, text) -> summary; groups: prompt ids (own answers), document ids "corpus:index" (gold text)
    summaries: dict[tuple[str, str, str], SequenceSummary]
    eos_share: dict[tuple[str, str], float]  # (pair, model) -> share of answers ending with end-of-text
    curves: pd.DataFrame  # Fig. 3: topk_curves
    above: pd.DataFrame  # Fig. 4: above_table
    prefix_sets: list[str]
    cross: pd.DataFrame  # Fig. 5 and the cross-model matrix: perplexity_rows of every scorer x generator
    # Fig. 5's verdict: (pair, model, dataset) -> the model scoring its own continuations, groups = prefix ids
    self_scores: dict[tuple[str, str, str], SequenceSummary]

    @property
    def main(self) -> str:
        """The run's first pair, the one the prose quotes."""
        return self.pairs[0].name


def pair_models(models: dict[str, Any], spec: PairSpec) -> dict[str, Any]:
    """``{"base": ..., "aligned": ...}`` of a pair, loaded as :func:`predact_utils.lm.models.load_pair` loads
    them (the registry's chat template on the aligned model, the two tokenizers checked to agree); a
    checkpoint shared by two pairs is loaded once."""
    out = {}
    for role, ident in (("base", spec.base_location()), ("aligned", spec.aligned_location())):
        if ident not in models:
            models[ident] = load_model(ident, role=role,
                                       chat_template=spec.template_text if role == "aligned" else None)
        out[role] = models[ident]
    check_same_tokenizer(out["base"].tokenizer, out["aligned"].tokenizer)
    return out


def own_and_gold(settings: Settings, pairs: Sequence[PairSpec], gold_rows: Sequence[tuple[str, str]],
                 models: dict[str, Any]) -> tuple[dict[tuple[str, str, str], SequenceSummary],
                                                  dict[tuple[str, str], float]]:
    """Figs. 3 and 4: every model's own answers and the gold documents, scored with distribution statistics.

    Only the first pair samples ``n_samples`` answers per prompt (the anchor chapter's shared set); the others
    sample just the scored ones."""
    s, stats = settings, settings.stats_config()
    summaries: dict[tuple[str, str, str], SequenceSummary] = {}
    eos_share: dict[tuple[str, str], float] = {}
    rows = s.prompt_rows()
    for spec in pairs:
        n_run = s.n_samples if spec is pairs[0] else s.scored_samples
        for role, lm in pair_models(models, spec).items():
            answers = prompt_generations(lm, s.prompt_sampling(n_run), n_prompts=s.n_prompts or None, rows=rows)
            eos_share[(spec.name, role)] = answers.eos_share()
            own = generation_text_set(lm.tokenizer, answers, max_per_prompt=s.scored_samples)
            gold = gold_text_set(lm.tokenizer, [t for _, t in gold_rows], document_ids(gold_rows), s.gold_tokens)
            for text, ts in (("own", own), ("gold", gold)):
                sc = cached_token_logprobs(lm, ts.sequences, score_from=ts.score_from, stats=stats, progress=False)
                summaries[(spec.name, role, text)] = summarize(sc, ts.groups)
    return summaries, eos_share


def document_ids(gold_rows: Sequence[tuple[str, str]]) -> list[str]:
    """One label per gold document, ``corpus:index`` (the unit Fig. 4's gold-text interval resamples)."""
    return [f"{c}:{i}" for i, (c, _) in enumerate(gold_rows)]


def prefix_ids(run: Any) -> list[str]:
    """The prefix id of every continuation of a prefix run, in the order of :func:`generation_text_set`."""
    return [str(row["id"]) for row, gens in zip(run.prompts, run.generations, strict=True) for _ in gens]


def cross_rows(settings: Settings, pairs: Sequence[PairSpec], prefix_sets: Sequence[str],
               models: dict[str, Any]) -> tuple[list[dict[str, object]], dict[tuple[str, str, str], SequenceSummary]]:
    """Fig. 5: both models of each pair continue every prefix set; every model scores every continuation.

    Returns the perplexity rows and, for each model scoring its own continuations, the per-sequence summary
    grouped by prefix id (what Fig. 5's verdict resamples)."""
    params = settings.prefix_sampling()
    rows: list[dict[str, object]] = []
    self_scores: dict[tuple[str, str, str], SequenceSummary] = {}
    for spec in pairs:
        loaded = pair_models(models, spec)
        for ds in prefix_sets:
            runs = {g: prefix_generations(lm, ds, params, n_prefixes=settings.n_prefixes)
                    for g, lm in loaded.items()}
            sets = {g: generation_text_set(loaded[g].tokenizer, pr) for g, pr in runs.items()}
            for gen_role, ts in sets.items():
                for scorer_role, scorer in loaded.items():
                    sc = cached_token_logprobs(scorer, ts.sequences, score_from=ts.score_from, progress=False)
                    labels = {"pair": spec.name, "scorer": scorer_role, "generator": gen_role,
                              "category": corpora.category_of(ds)}
                    by_prefix = summarize(sc, prefix_ids(runs[gen_role]))
                    rows += perplexity_rows(summarize(sc, ts.groups), labels, seed=settings.seed,
                                            units=by_prefix.groups)
                    if scorer_role == gen_role:
                        self_scores[(spec.name, gen_role, ds)] = by_prefix
    return rows, self_scores


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
    rows, self_scores = cross_rows(s, available, prefix_sets, models)
    return Results(settings=s, pairs=list(available), skipped=list(skipped), summaries=summaries,
                   eos_share=eos_share, curves=curves, above=above, prefix_sets=list(prefix_sets),
                   cross=pd.DataFrame(rows), self_scores=self_scores)


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


# --- verdict rules (the ``rule`` of each claim in predact_utils.claims) ---------------------------------------


@dataclass(frozen=True)
class Paired:
    """A paired effect, oriented so that positive is the paper's direction: the mean over the shared units of
    the within-unit difference, its 95% bootstrap interval, and how many units (prompts, documents, prefixes)."""

    estimate: float
    low: float
    high: float
    units: int

    def interval(self, unit: str) -> str:
        """``+0.123 (95% interval +0.100 to +0.150 over 20 prompts)``."""
        return f"{self.estimate:+.3f} (95% interval {self.low:+.3f} to {self.high:+.3f} over {self.units} {unit}s)"


def paired(a: np.ndarray, a_groups: Sequence[str], b: np.ndarray, b_groups: Sequence[str], seed: int) -> Paired:
    """:func:`predact_utils.verdicts.paired_group_bootstrap` of ``a - b`` over the groups both sides have
    (NaN, with 0 units, when they share none: nothing to pair)."""
    units = len(set(a_groups) & set(b_groups))
    if not units:
        return Paired(math.nan, math.nan, math.nan, 0)
    with np.errstate(invalid="ignore"):
        est, lo, hi = paired_group_bootstrap(a, a_groups, b, b_groups, seed=seed)
    return Paired(est, lo, hi, units)


def _log(x: np.ndarray) -> np.ndarray:
    """Natural log; a count of 0 gives -inf, so the interval is not finite and the claim not testable."""
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(x, dtype=float))


def _column(summary: SequenceSummary, threshold: float) -> int:
    """The column of ``summary.n_above`` that counts tokens above ``threshold``."""
    hits = [j for j, t in enumerate(summary.thresholds) if math.isclose(t, threshold, rel_tol=1e-6)]
    if not hits:
        raise ValueError(f"threshold {threshold:g} was not counted; counted: {summary.thresholds}")
    return hits[0]


#: The reference side of an effect: (pair, model) whose summaries stand where the pair's Base would; None is
#: the pair's own Base (an "RLHF vs SFT" cell passes the SFT pair's aligned model).
Reference = tuple[str, str] | None


def _sides(table: Mapping[tuple[str, str, str], SequenceSummary], pair: str, what: str,
           reference: Reference) -> tuple[SequenceSummary, SequenceSummary]:
    """(aligned, reference) summaries of ``pair`` on ``what`` (a text kind or a dataset)."""
    ref_pair, ref_model = reference or (pair, "base")
    return table[(pair, "aligned", what)], table[(ref_pair, ref_model, what)]


def top1_effect(results: Results, pair: str, reference: Reference = None) -> Paired:
    """Fig. 3: (aligned - Base) mean top-1 mass on the models' own answers, paired by prompt."""
    a, b = _sides(results.summaries, pair, "own", reference)
    return paired(a.topk_mass[:, 0], a.groups, b.topk_mass[:, 0], b.groups, results.settings.seed)


def aligned_top1(results: Results, pair: str) -> float:
    """The aligned model's mean top-1 mass on its own answers (the mean over sequences, as in Fig. 3)."""
    return float(results.summaries[(pair, "aligned", "own")].topk_mass[:, 0].mean())


def count_effect(results: Results, pair: str, text: str, reference: Reference = None) -> Paired:
    """Fig. 4: the log count ratio of tokens above ``settings.threshold``, oriented to the paper: on own answers
    log(Base / aligned), paired by prompt; on gold text log(aligned / Base), paired by document."""
    thr = results.settings.threshold
    a, b = _sides(results.summaries, pair, text, reference)
    la, lb = _log(a.n_above[:, _column(a, thr)]), _log(b.n_above[:, _column(b, thr)])
    if text == "own":
        return paired(lb, b.groups, la, a.groups, results.settings.seed)
    return paired(la, a.groups, lb, b.groups, results.settings.seed)


def count_ratio(effect: Paired, text: str) -> float:
    """aligned / Base count from a :func:`count_effect` (the geometric mean ratio over the units)."""
    return math.exp(-effect.estimate if text == "own" else effect.estimate)


def top1_verdict(results: Results) -> Verdict:
    """fig3-top1 on the run's first pair: the interval over prompts above 0; shape: aligned top-1 mass >= 0.9."""
    e, m = top1_effect(results, results.main), aligned_top1(results, results.main)
    ok = m >= 0.9
    return decide(e.low, e.high, unit="prompt", shape=ok,
                  shape_text=f"aligned mean top-1 mass {m:.3f} {'>=' if ok else '<'} 0.9")


def count_verdict(results: Results, text: str) -> Verdict:
    """fig4-own (``text="own"``: far fewer, aligned / Base <= 0.5) and fig4-gold (``"gold"``: slightly more,
    aligned / Base <= 1.5) on the run's first pair: the interval over prompts / documents above 0, then the shape."""
    e = count_effect(results, results.main, text)
    limit, unit = (0.5, "prompt") if text == "own" else (1.5, "document")
    if not (math.isfinite(e.low) and math.isfinite(e.high)):
        return decide(e.low, e.high, unit=unit)
    ratio = count_ratio(e, text)
    ok = ratio <= limit
    return decide(e.low, e.high, unit=unit, shape=ok,
                  shape_text=f"aligned / Base {ratio:.3f} {'<=' if ok else '>'} {limit:g}")


def self_effects(results: Results, couples: Sequence[tuple[str, Reference]] | None = None) -> pd.DataFrame:
    """Fig. 5: per pair x dataset, log self-perplexity (mean over a prefix's continuations of NLL / tokens) of
    Base on its own continuations minus the aligned model on its own, paired by prefix (positive: aligned lower).
    ``couples``: (pair, reference) to compare instead of every pair against its Base."""
    rows = []
    for name, reference in couples if couples is not None else [(p.name, None) for p in results.pairs]:
        for ds in results.prefix_sets:
            try:
                al, base = _sides(results.self_scores, name, ds, reference)
            except KeyError:
                continue
            e = paired(base.nll / base.tokens, base.groups, al.nll / al.tokens, al.groups, results.settings.seed)
            rows.append({"pair": name, "dataset": ds, "estimate": e.estimate, "ci_low": e.low, "ci_high": e.high,
                         "prefixes": e.units})
    return pd.DataFrame(rows, columns=["pair", "dataset", "estimate", "ci_low", "ci_high", "prefixes"])


def self_verdict(effects: pd.DataFrame) -> Verdict:
    """fig5-self: the family rule (sign test, every comparison significant after Holm) over the comparisons that
    have prefixes to pair."""
    rows = effects[effects["prefixes"] > 0]
    if rows.empty:
        return Verdict(NOT_TESTABLE, "no pair x dataset comparison has prefixes both models continued")
    return decide_family(family(rows["estimate"], rows["ci_low"], rows["ci_high"]), every=True)


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
    out["col_thr_range"] = f"{min(s.thresholds):.0e} to {max(s.thresholds):.0e}".replace("e-0", "e-")
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


def _with_others(results: Results, describe: Any) -> str:
    """``describe(pair)`` for the run's first pair, the one the verdict is on, then for the other pairs."""
    text = f"{results.main} (the verdict's pair): {describe(results.main)}"
    others = [f"{p.name}: {describe(p.name)}" for p in results.pairs[1:]]
    return text + (f"; other pairs: {'; '.join(others)}" if others else "")


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard records of Figs. 3, 4 and 5 (keyword arguments of :func:`predact_utils.claims.record`).

    Figs. 3 and 4 are decided on the run's first pair (the one the prose quotes) and report the other pairs'
    estimates; Fig. 5 is decided on the family of every pair x dataset of the run."""
    r, thr = results, results.settings.threshold
    common = {"pair": ", ".join(p.name for p in r.pairs), "scale": r.settings.scale}

    def top1_text(pair: str) -> str:
        base = float(r.summaries[(pair, "base", "own")].topk_mass[:, 0].mean())
        return f"{top1_effect(r, pair).interval('prompt')}; aligned {aligned_top1(r, pair):.3f} vs Base {base:.3f}"

    def count_text(text: str) -> Any:
        unit = "prompt" if text == "own" else "document"

        def describe(pair: str) -> str:
            e = count_effect(r, pair, text)
            ratio = count_ratio(e, text) if math.isfinite(e.estimate) else math.nan
            return f"{e.interval(unit)}; aligned / Base {ratio:.3f}"
        return describe

    effects = self_effects(r)
    if len(effects):
        fig5 = (f"log self-perplexity (mean NLL per token), Base on its own continuations - aligned on its own, "
                f"paired by prefix: aligned lower on {int((effects['estimate'] > 0).sum())} of {len(effects)} pair "
                f"x dataset comparisons, {int((effects['ci_low'] > 0).sum())} with the 95% interval over prefixes "
                f"above 0; estimates {effects['estimate'].min():+.3f} to {effects['estimate'].max():+.3f}, mean "
                f"{effects['estimate'].mean():+.3f}")
        unpaired = int((effects["prefixes"] == 0).sum())
        if unpaired:
            fig5 += f"; {unpaired} comparison(s) had no prefix both models continued and are left out"
    else:
        fig5 = "no pair x dataset comparison was scored"
    detail5 = "; ".join(f"{e.pair} / {e.dataset}: {e.estimate:+.3f} ({e.ci_low:+.3f} to {e.ci_high:+.3f}, "
                        f"{e.prefixes} prefixes)" for e in effects.itertuples())
    records = [
        ("fig3-top1", "own answers, (aligned - Base) mean top-1 mass, " + _with_others(r, top1_text),
         top1_verdict(r), ""),
        ("fig4-own", f"own answers, p > {thr:g}: log(Base / aligned) count, " + _with_others(r, count_text("own")),
         count_verdict(r, "own"), ""),
        ("fig4-gold", f"gold text, p > {thr:g}: log(aligned / Base) count, " + _with_others(r, count_text("gold")),
         count_verdict(r, "gold"), ""),
        ("fig5-self", fig5, self_verdict(effects), detail5),
    ]
    stages = stage_entries(r, effects)
    return [{"claim_id": cid, "measured": measured, "verdict": v.word, "reason": v.reason, **common,
             "detail": detail, "stages": stages[cid]} for cid, measured, v, detail in records]


def stage_entries(results: Results, effects: pd.DataFrame) -> dict[str, list[dict[str, Any]]]:
    """The stage table's cells of Figs. 3, 4 and 5: every pair of the run, under its training stage; an
    effect holds when its 95% interval lies above 0 (Fig. 5: on every dataset of the pair)."""
    from predact_utils.claims import stage, stage_of
    from predact_utils.lm.registry import rlhf_sft_couples

    r = results
    out: dict[str, list[dict[str, Any]]] = {"fig3-top1": [], "fig4-own": [], "fig4-gold": [], "fig5-self": []}
    cells: list[tuple[str, str, str, Reference]] = [(c, p.name, p.name, None) for p in r.pairs
                                                    if (c := stage_of(p.method)) is not None]
    couples = [(rl.name, (sft.name, "aligned")) for rl, sft in rlhf_sft_couples(r.pairs)]
    cells += [("RLHF vs SFT", f"{name} vs {ref[0]}", name, ref) for name, ref in couples]
    for comparison, label, name, reference in cells:
        for cid, e, unit in (("fig3-top1", top1_effect(r, name, reference), "prompt"),
                             ("fig4-own", count_effect(r, name, "own", reference), "prompt"),
                             ("fig4-gold", count_effect(r, name, "gold", reference), "document")):
            out[cid].append(stage(comparison, label, e.interval(unit), bool(e.low > 0)))
        mine = effects[effects["pair"] == name] if reference is None else self_effects(r, [(name, reference)])
        if len(mine):
            above = int((mine["ci_low"] > 0).sum())
            out["fig5-self"].append(stage(comparison, label, f"aligned lower with the interval above 0 on {above} "
                                          f"of {len(mine)} datasets", bool(above == len(mine))))
    return out

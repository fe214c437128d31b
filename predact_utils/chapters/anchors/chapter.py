"""Chapter 04, "Implicit blueprints and anchor spans": settings, the pipeline, and what the page shows.

``run(settings)`` samples (through the artifact cache) the answers of a Base / aligned pair to the book's
prompts, measures n-gram coverage, aligns each prompt's generations with MAFFT, reads anchor spans and
the aligned-with-k-others counts off the alignments, and returns :class:`Results`; :func:`numbers`,
:func:`figures` and :func:`claim_records` turn them into the page's glue and the scoreboard's records
(:mod:`~predact_utils.chapters.anchors.displays`: the page's tables and interactive figures).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from predact_utils.chapters.anchors import tables
from predact_utils.chapters.anchors.analysis import AnchorSpan, SankeyGraph, alignment_summary, anchor_spans
from predact_utils.chapters.anchors.controls import control_indices
from predact_utils.chapters.anchors.mafftbin import mafft_build
from predact_utils.chapters.anchors.msa import Alignment, align_prompts, mafft_version, parse_options
from predact_utils.chapters.anchors.ngrams import PAPER_REPORTED, coverage_table
from predact_utils.chapters.anchors.plots import (
    PositionCurves,
    alignment_figure,
    ngram_figure,
    position_figure,
    sankey_pair_figure,
)
from predact_utils.chapters.anchors.stages import StageMeasure, control_measures, stage_measures
from predact_utils.chapters.anchors.verdicts import (
    Band,
    fig1_verdict,
    ngram_claim_verdict,
    ngram_difference,
    ngram_verdict,
    position_difference,
    position_verdict,
    shape_verdict,
)
from predact_utils.runs.generations import PromptChapterSettings
from predact_utils.seeding import seed_everything
from predact_utils.settings import PAIRS_KIND, param

if TYPE_CHECKING:
    from predact_utils.lm.registry import PairSpec, StageSides
    from predact_utils.lm.sampling import SamplingParams
    from predact_utils.verdicts import Verdict

ROLES = ("base", "aligned")


@dataclass(frozen=True)
class Settings(PromptChapterSettings):
    """The parameters of the anchor-span chapter (the notebook's parameters cell)."""

    pair: str | list[str] = param("mini-m-rlhf;mini-m-sft;mini-s-dpo", PAIRS_KIND,
                                  doc="pairs: the first built one is the page's, the other built ones fill the "
                                      "stage table")
    smoke_pair: str | list[str] = param("mini-s-dpo", PAIRS_KIND, doc="the pair list used at smoke scale")
    n_prompts: int = param(0, minimum=0, smoke=3, doc="prompts to answer (0: all 80)")

    n_samples: int = param(100, minimum=2, doc="generations per prompt and model (at most 12 at smoke)")
    max_new_tokens: int = param(128, minimum=1, doc="longest generation, in tokens")
    top_p: float = param(0.9, minimum=0.0, maximum=1.0, doc="nucleus sampling p")
    temperature: float = param(1.0, minimum=0.0, doc="sampling temperature")
    max_n: int = param(32, minimum=1, doc="longest n-gram of the coverage curves")
    shared_min_share: float = param(0.2, minimum=0.0, maximum=1.0,
                                    doc="share of generations a listed shared n-gram must reach")
    anchor_threshold: float = param(0.5, minimum=0.0, maximum=1.0,
                                    doc="share of generations that makes an anchor column")
    min_others: int = param(5, minimum=1, doc="k of 'aligned with at least k others'")
    n_points: int = param(50, minimum=2, doc="normalised positions read per generation")
    mafft_options: str = param("--retree 2 --maxiterate 0", doc="MAFFT options (text mode is added)")
    mafft_timeout: int = param(300, minimum=1, doc="seconds one MAFFT alignment may take")
    mafft_overflow: int = param(32, minimum=1, maximum=247, doc="shared overflow symbols for rare tokens")
    overflow_check: str = param("8,128", doc="other overflow counts of the folding check, comma-separated")
    overflow_check_prompts: int = param(4, minimum=0, smoke=1, doc="prompts of the folding check")
    example_prompt: str = param("comparison-01", doc="id of the prompt shown in detail")
    sankey_prompts: int = param(6, minimum=1, doc="prompts of the interactive Sankey menu")
    max_anchors: int = param(10, minimum=1, doc="anchor spans drawn in a Sankey")
    live_widgets: bool = param(False, doc="an ipywidgets menu over all prompts (live kernel only)")
    control_prompts: int = param(20, minimum=0, smoke=2,
                                 doc="prompts (spread evenly) of the aligned controls (chance and equal lengths) "
                                     "and of the other stages' alignment measure")


    @property
    def pair_name(self) -> str | list[str]:
        """The pair list this run tries (``smoke_pair`` at smoke scale)."""
        return self.smoke_pair if self.smoke else self.pair

    @property
    def prompts_used(self) -> int | None:
        """Prompts to answer, ``None`` for all of them."""
        return self.n_prompts or None

    def caps(self) -> list[str]:
        """The smoke scale's cap on the generations per prompt, when it bites on a value changed from the
        book's (the default's cap is what smoke scale means)."""
        if self.smoke and self.n_samples > 12 and self.n_samples != type(self).defaults()["n_samples"]:
            return [f"n_samples = {self.n_samples} is capped at 12 generations per prompt at smoke scale"]
        return []

    @property
    def samples_used(self) -> int:
        """Generations per prompt and model (at most 12 at smoke scale)."""
        return min(self.n_samples, 12) if self.smoke else self.n_samples

    def sampling(self) -> SamplingParams:
        """The sampling parameters of the generations (shared with the collapse chapter's cache)."""
        from predact_utils.runs.generations import sampling_params

        return sampling_params(top_p=self.top_p, temperature=self.temperature,
                               max_new_tokens=self.max_new_tokens, n=self.samples_used, seed=self.seed)

    def overflow_counts(self) -> list[int]:
        """Overflow-symbol counts of the folding check: the book's first, then ``overflow_check``."""
        return list(dict.fromkeys([self.mafft_overflow]
                                  + [int(k) for k in self.overflow_check.split(",") if k.strip()]))


@dataclass
class Results:
    """Everything the page shows; per-model dicts are keyed by role (``base``, ``aligned``) unless they
    are keyed by display name (``names[role]``), as the tables and curves are."""

    settings: Settings
    pair: str
    method: str
    model_names: dict[str, str]
    not_built: list[str]
    prompts: list[dict[str, Any]]
    names: dict[str, str]
    colors: dict[str, str]
    mean_length: dict[str, float]
    eos_share: dict[str, float]
    ngram_table: pd.DataFrame
    ngram_mean: pd.DataFrame
    example_index: int
    shared_ngrams: pd.DataFrame
    mafft_options: tuple[str, ...]
    mafft_version: str
    mafft_seconds: float
    folding: pd.DataFrame
    fold_summary: pd.DataFrame
    span_table: pd.DataFrame
    span_summary: pd.DataFrame
    example_spans: pd.DataFrame
    check_prompts: int
    overflow_table: pd.DataFrame
    sankey_example: tuple[SankeyGraph, SankeyGraph]
    sankey_examples: list[tuple[str, SankeyGraph, SankeyGraph]]
    curves: PositionCurves
    edges: pd.DataFrame
    position_diff: np.ndarray
    position_band: tuple[float, float]
    ngram_bands: dict[int, Band]
    alignments: dict[str, list[Alignment]] = field(default_factory=dict)
    spans: dict[str, list[list[AnchorSpan]]] = field(default_factory=dict)
    tokenizer: Any = None
    #: controls (:mod:`~predact_utils.chapters.anchors.controls`): n-gram coverage of the chance groups and of
    #: the length-matched generations (all prompts), the alignment curves of both on the control prompts
    ngram_chance: pd.DataFrame | None = None
    ngram_matched: pd.DataFrame | None = None
    control_index: list[int] = field(default_factory=list)
    chance_curves: PositionCurves | None = None
    matched_curves: PositionCurves | None = None
    #: per paper-reported n: (length-matched aligned - Base, aligned above chance), each a Band over prompts
    ngram_controls: dict[int, tuple[Band, Band]] = field(default_factory=dict)
    #: Fig. 1: (length-matched aligned - Base, aligned above chance), each a Band over the control prompts
    position_controls: tuple[Band, Band] | None = None
    #: the stage table's other cells (the other built pairs of the list, and RLHF vs SFT): each cell with the
    #: claims' measures on it (:func:`~predact_utils.chapters.anchors.stages.stage_measures`)
    stage_cells: list[tuple[StageSides, list[StageMeasure]]] = field(default_factory=list)
    #: which MAFFT program ran (:func:`~predact_utils.chapters.anchors.mafftbin.mafft_build`)
    mafft_build: str = ""

    @property
    def role_colors(self) -> tuple[str, str]:
        """Colours of the Base and aligned model."""
        return self.colors[self.names["base"]], self.colors[self.names["aligned"]]

    @property
    def pair_names(self) -> tuple[str, str]:
        """Display names of the Base and aligned model."""
        return self.names["base"], self.names["aligned"]

    def decode(self, tokens: list[int]) -> str:
        """Text of token ids (the pair shares one tokenizer)."""
        return self.tokenizer.decode(tokens)

    def sankey_graphs(self, i: int) -> tuple[SankeyGraph, SankeyGraph]:
        """The Base and aligned Sankey graphs of prompt ``i``."""
        return tables.sankey_pair_graphs(self.alignments, self.spans, i, self.settings.max_anchors)


def run(settings: Settings) -> Results:
    """All computation of the chapter, in the page's order."""
    # the engine is imported here, so that importing the chapter's analyses (as later chapters do)
    # does not load torch and the models
    from predact_utils.lm.models import load_pair
    from predact_utils.lm.registry import available_pairs
    from predact_utils.plotting import ROLE_COLORS
    from predact_utils.runs.generations import prompt_generations, prompt_index


    s = settings
    rows = s.prompt_rows()
    seed_everything(s.seed)
    available, not_built = available_pairs(s.pair_name)
    spec, others = available[0], available[1:]
    models = load_pair(spec)
    params = s.sampling()
    runs = {lm.role: prompt_generations(lm, params, n_prompts=s.prompts_used, rows=rows, progress=False) for lm in models}
    prompts = runs["base"].prompts
    names = {"base": f"Base ({models.base.name})", "aligned": f"{spec.method.upper()} ({models.aligned.name})"}
    colors = {names["base"]: ROLE_COLORS["base"],
              names["aligned"]: ROLE_COLORS.get(spec.method, ROLE_COLORS["aligned"])}
    tokenizer = models.aligned.tokenizer
    lengths = {r: np.array([len(t) for t in run_.all_token_ids()]) for r, run_ in runs.items()}
    prompt_ids = [p["id"] for p in prompts]
    per_prompt = {r: [runs[r].token_ids(i) for i in range(len(prompts))] for r in runs}
    by_name = {names[r]: per_prompt[r] for r in runs}
    # n-grams
    ngram_table = coverage_table(by_name, prompt_ids, max_n=s.max_n)
    ngram_mean = ngram_table.groupby(["model", "n"], sort=False)["coverage"].mean().unstack("n")
    example_index = prompt_index(prompts, s.example_prompt, rows)
    shared = tables.shared_ngrams_table(by_name, prompt_ids, tables.shown_prompts(example_index, len(prompts), 4),
                                        s.shared_min_share, tokenizer.decode)
    # MAFFT
    options = parse_options(s.mafft_options)
    version = mafft_version()
    t0 = time.perf_counter()
    alignments = {r: align_prompts(per_prompt[r], options, timeout=s.mafft_timeout, n_overflow=s.mafft_overflow)
                  for r in runs}
    seconds = time.perf_counter() - t0
    aligned_by_name = {names[r]: alignments[r] for r in runs}
    folding = tables.folding_table(aligned_by_name, prompt_ids)
    # anchor spans
    spans = {r: [anchor_spans(a.columns, s.anchor_threshold) for a in alignments[r]] for r in runs}
    span_table = tables.span_table(aligned_by_name, {names[r]: spans[r] for r in runs}, prompt_ids, s.min_others)
    example_spans = tables.example_spans_table({names[r]: spans[r][example_index] for r in runs}, tokenizer.decode)
    check_n = min(s.overflow_check_prompts, len(prompts))
    overflow = tables.overflow_summary(_overflow_rows(s, runs, alignments, names, options, check_n))
    # Sankey
    sankey_example = tables.sankey_pair_graphs(alignments, spans, example_index, s.max_anchors)
    sankey_idx = tables.shown_prompts(example_index, len(prompts), s.sankey_prompts)[:s.sankey_prompts]
    sankey_examples = [(prompts[i]["prompt"], *tables.sankey_pair_graphs(alignments, spans, i, s.max_anchors))
                       for i in sankey_idx]
    # aligned with >= k others, along the position
    curves = tables.position_curves(aligned_by_name, s.min_others, s.n_points, s.max_new_tokens)
    edges = tables.position_edges(curves, s.n_points)
    diff, lo, hi = position_difference(curves.normalised[names["base"]], curves.normalised[names["aligned"]],
                                       seed=s.seed)
    bands = {n: ngram_difference(ngram_table, n, names["base"], names["aligned"], seed=s.seed)
             for n, _ in PAPER_REPORTED if n <= s.max_n}
    idx = control_indices(len(prompt_ids), s.control_prompts)
    ctrl = control_measures(s, per_prompt, names, prompt_ids, ngram_table,
                            curves.normalised[names["aligned"]][idx] if idx else None, options)
    stage_cells = _stage_cells(s, spec, others, per_prompt, prompt_ids, params, rows, options)
    return Results(
        settings=s, pair=spec.name, method=spec.method,
        model_names={"base": models.base.name, "aligned": models.aligned.name}, not_built=list(not_built),
        prompts=prompts, names=names, colors=colors,
        mean_length={r: float(v.mean()) for r, v in lengths.items()},
        eos_share={r: runs[r].eos_share() for r in runs}, ngram_table=ngram_table, ngram_mean=ngram_mean,
        example_index=example_index, shared_ngrams=shared, mafft_options=options, mafft_version=version,
        mafft_seconds=seconds, folding=folding, fold_summary=tables.folding_summary(folding),
        span_table=span_table, span_summary=tables.span_summary(span_table), example_spans=example_spans,
        check_prompts=check_n, overflow_table=overflow, sankey_example=sankey_example,
        sankey_examples=sankey_examples, curves=curves, edges=edges, position_diff=diff, position_band=(lo, hi),
        ngram_bands=bands, alignments=alignments, spans=spans, tokenizer=tokenizer,
        stage_cells=stage_cells, mafft_build=mafft_build(), **ctrl)


def _overflow_rows(s: Settings, runs: dict[str, Any], alignments: dict[str, list[Alignment]],
                   names: dict[str, str], options: tuple[str, ...], check_n: int) -> list[dict[str, Any]]:
    """The span measures of the first ``check_n`` prompts, aligned again with each overflow count."""
    rows = []
    for k in s.overflow_counts():
        for r in runs:
            for i in range(check_n):
                a = (alignments[r][i] if k == s.mafft_overflow else
                     align_prompts([runs[r].token_ids(i)], options, timeout=s.mafft_timeout, n_overflow=k)[0])
                rows.append({"overflow symbols": k, "model": names[r],
                             **alignment_summary(a.columns, anchor_spans(a.columns, s.anchor_threshold),
                                                 s.min_others)})
    return rows


def numbers(results: Results) -> dict[str, str]:
    """Every text glue of the page."""
    from predact_utils.lm.registry import not_built_note

    r, s = results, results.settings
    names, mn = r.names, r.model_names
    out = {
        "an_pair": f"{r.pair} ({mn['base']} and {mn['aligned']}, {r.method})" + not_built_note(r.not_built)
                  + stage_note(r),
        "an_prompts": f"{len(r.prompts)}",
        "an_samples": f"{s.samples_used}",
        "an_sampling": f"nucleus p = {s.top_p:g}, temperature {s.temperature:g}, at most {s.max_new_tokens} "
                       f"new tokens, seed {s.seed}",
    }
    for role in ROLES:
        out[f"an_len_{role}"] = f"{r.mean_length[role]:.1f}"
        out[f"an_eos_{role}"] = f"{100 * r.eos_share[role]:.0f}%"
    out["an_max_n"] = f"{s.max_n}"
    out["an_floor"] = f"{100 / s.samples_used:.0f}%"
    for role in ROLES:
        for n, _ in PAPER_REPORTED:
            value = r.ngram_mean.loc[names[role], n] if n <= s.max_n else float("nan")
            out[f"an_ng{n}_{role}"] = f"{100 * value:.0f}%"
    out["an_shared_pct"] = f"{100 * s.shared_min_share:.0f}%"
    out["an_overflow"] = f"{s.mafft_overflow}"
    out["an_mafft_opts"] = " ".join(r.mafft_options) or "(none)"
    out["an_mafft_version"] = f"{r.mafft_version}; {r.mafft_build}" if r.mafft_build else r.mafft_version
    out["an_mafft_seconds"] = f"{r.mafft_seconds:.0f}"
    for role in ROLES:
        row = r.fold_summary.loc[names[role]]
        out[f"an_types_{role}"] = f"{row['distinct_tokens']:.0f}"
        out[f"an_folded_{role}"] = f"{100 * row['folded_share']:.1f}%"
    out["an_threshold"] = f"{100 * s.anchor_threshold:.0f}%"
    for role in ROLES:
        row = r.span_summary.loc[names[role]]
        out[f"an_spans_{role}"] = f"{row['anchor_spans']:.1f}"
        out[f"an_longest_{role}"] = f"{row['longest_span']:.1f}"
        out[f"an_anchor_share_{role}"] = f"{100 * row['anchor_token_share']:.0f}%"
        out[f"an_aligned_share_{role}"] = f"{100 * row['aligned_token_share']:.0f}%"
    out["an_example_text"] = r.prompts[r.example_index]["prompt"]
    out["an_check_prompts"] = f"{r.check_prompts}"
    out["an_max_anchors"] = f"{s.max_anchors}"
    for role, g in zip(ROLES, r.sankey_example, strict=True):
        out[f"an_skeleton_{role}"] = f"{tables.full_skeleton(g)} of {len(g.paths)}"
    out["an_min_others_text"] = f"{s.min_others}"
    out["an_n_sankey"] = f"{len(r.sankey_examples)}"
    out["an_points"] = f"{s.n_points}"
    for role in ROLES:
        edge = r.edges.loc[names[role]]
        out[f"an_pos_mean_{role}"] = f"{edge['mean over positions']:.1f}"
        for key in tables.EDGE_PARTS:
            out[f"an_pos_{key.split()[0]}_{role}"] = f"{edge[key]:.1f}"
    lo, hi = r.position_band
    out["an_pos_diff"] = f"{r.position_diff.mean():.1f} [{lo:.1f}, {hi:.1f}]"
    aligned_edge = r.edges.loc[names["aligned"]]
    out["an_pos_shape"] = shape_verdict(aligned_edge["first 10%"], aligned_edge["middle"], aligned_edge["last 10%"])
    out["an_pos_verdict"] = position_verdict(lo, hi)
    coverage = {n: r.ngram_mean.loc[names["aligned"], n] for n in r.ngram_bands}
    out["an_ng_verdict"] = ngram_verdict(r.ngram_bands, coverage, s.max_n)
    out["an_ctrl_prompts"] = f"{len(r.control_index)}"
    out["an_ng_controls"] = "; ".join(
        f"at n = {n}," + _controls_text(*r.ngram_controls[n], f"the {len(r.prompts)} prompts", 100.0, " points")[1:]
        for n in r.ngram_controls) or "not run (fewer than 2 prompts)"
    if r.position_controls is not None:
        out["an_pos_controls"] = _controls_text(*r.position_controls, f"the {len(r.control_index)} control prompts",
                                                1.0, " generations")[2:]
    else:
        out["an_pos_controls"] = "not run (fewer than 2 prompts)"
    return out


def figures(results: Results) -> dict[str, Any]:
    """Every glued figure of the page (matplotlib), in the house style."""
    from predact_utils.plotting import set_style

    set_style()
    r, s = results, results.settings
    i = r.example_index
    return {
        "fig_an_ngrams": ngram_figure(r.ngram_table, r.colors, seed=s.seed,
                                      controls=_present({"matched": r.ngram_matched, "chance": r.ngram_chance})),
        "fig_an_sankey": sankey_pair_figure(r.prompts[i]["prompt"], *r.sankey_example, r.decode, r.role_colors,
                                            r.pair_names),
        "fig_an_alignment": alignment_figure([(r.names[role], r.alignments[role][i].columns, r.spans[role][i],
                                               r.colors[r.names[role]]) for role in ROLES],
                                             min_others=s.min_others),
        "fig_an_position": position_figure(r.curves, r.colors, min_others=s.min_others, seed=s.seed,
                                           n_samples=s.samples_used,
                                           controls=_present({"matched": r.matched_curves, "chance": r.chance_curves})),
    }


def _present(controls: dict[str, Any]) -> dict[str, Any]:
    """The controls that were run."""
    return {k: v for k, v in controls.items() if v is not None}


def _interval(results: Results, lo: float, hi: float) -> tuple[float, float]:
    """The interval over prompts, or none (NaN) when a single prompt was answered: one prompt resamples to
    itself, and its "interval" is a point."""
    return (lo, hi) if len(results.prompts) >= 2 else (float("nan"), float("nan"))


def claim_records(results: Results) -> list[dict[str, Any]]:
    """The scoreboard records of the chapter: Fig. 1 bottom and the 10- and 25-gram numbers, each judged by
    its claim's rule (:mod:`predact_utils.claims`); the intervals resample prompts."""
    r, s = results, results.settings
    base, aligned = r.pair_names
    n_prompts = len(r.prompts)
    lo, hi = r.position_band
    edge = r.edges.loc[aligned]
    first, middle, last = (float(edge[k]) for k in tables.EDGE_PARTS)
    matched, chance = r.position_controls or (None, None)
    v = fig1_verdict(*_interval(r, lo, hi), first, middle, last, matched=matched, chance=chance)
    records = [{
        "claim_id": "fig1-anchors",
        "measured": f"generations aligned with >= {s.min_others} others, mean over positions: aligned "
                    f"{r.edges.loc[aligned, 'mean over positions']:.1f} vs Base "
                    f"{r.edges.loc[base, 'mean over positions']:.1f} of {s.samples_used}; difference "
                    f"{r.position_diff.mean():+.1f} generations (95% interval {lo:+.1f} to {hi:+.1f}, "
                    f"resampling the {n_prompts} prompts); aligned curve {first:.1f} in the first tenth, "
                    f"{middle:.1f} in the middle, {last:.1f} in the last tenth; the paper gives no number"
                    + _controls_text(matched, chance, f"the {len(r.control_index)} control prompts", 1.0, ""),
        "verdict": v.word, "reason": v.reason, "pair": r.pair, "scale": s.scale,
        "stages": _stage(r, "fig1-anchors", f"{r.position_diff.mean():+.1f} generations [{lo:+.1f}, {hi:+.1f}]", v),
        "detail": "shape: the aligned curve's first and last tenth must both lie above its middle; controls: "
                  "the same difference with each Base and aligned generation cut to the shorter of the two, and "
                  "the aligned curve against the same alignment of generations of other prompts (chance)",
    }]
    for (n, paper), claim_id in zip(PAPER_REPORTED, ("ngram-10", "ngram-25"), strict=True):
        if n <= s.max_n:
            d, d_lo, d_hi = r.ngram_bands[n]
            share = float(r.ngram_mean.loc[aligned, n])
            d_lo_v, d_hi_v = _interval(r, d_lo, d_hi)
            matched, chance = r.ngram_controls.get(n, (None, None))
            v = ngram_claim_verdict((d, d_lo_v, d_hi_v), share, paper, matched=matched, chance=chance)
            records.append({
                "claim_id": claim_id,
                "measured": f"most common {n}-gram in {100 * share:.0f}% of aligned and "
                            f"{100 * r.ngram_mean.loc[base, n]:.0f}% of Base generations; difference "
                            f"{100 * d:+.1f} points (95% interval {100 * d_lo:+.1f} to {100 * d_hi:+.1f}, "
                            f"resampling the {n_prompts} prompts); magnitude ratio {share / paper:.2f} "
                            f"(aligned {100 * share:.0f}% / the paper's {100 * paper:.0f}%)"
                            + _controls_text(matched, chance, f"the {n_prompts} prompts", 100.0, " points"),
                "verdict": v.word, "reason": v.reason, "pair": r.pair, "scale": s.scale,
                "stages": _stage(r, claim_id, f"{100 * d:+.1f} points [{100 * d_lo:+.1f}, {100 * d_hi:+.1f}]", v),
                "detail": "controls: the same difference with each Base and aligned generation cut to the shorter "
                          "of the two, and the aligned share against groups of generations of other prompts "
                          "(chance)",
            })
    return records


def _stage(results: Results, claim_id: str, effect: str, v: Verdict) -> list[dict[str, Any]]:
    """The stage cells of ``claim_id``: the page's pair (``effect``, judged ``v``), then every other cell of the
    pair list (:func:`_stage_cells`). A cell's effect holds when its verdict's direction (with the controls)
    does."""
    from predact_utils.claims import stage, stage_of

    comparison = stage_of(results.method)
    out = [stage(comparison, results.pair, effect, v.direction_holds)] if comparison else []
    out += [stage(c.comparison, c.label, m.effect, m.verdict.direction_holds)
            for c, measures in results.stage_cells for m in measures if m.claim_id == claim_id]
    return out


def _stage_cells(s: Settings, spec: PairSpec, others: list[PairSpec], per_prompt: dict[str, list[Any]],
                 prompt_ids: list[str], params: SamplingParams, rows: Any,
                 options: tuple[str, ...]) -> list[tuple[StageSides, list[StageMeasure]]]:
    """The other built pairs of the list: their generations (from the artifact cache where chapter 03 sampled
    them), and the claims' measures on every stage cell the list fills besides the page's own pair."""
    from predact_utils.lm.models import load_pair
    from predact_utils.lm.registry import stage_sides
    from predact_utils.runs.generations import prompt_generations

    gens = {(spec.name, r): per_prompt[r] for r in ROLES}
    for other in others:
        models = load_pair(other)
        for lm in models:
            run_ = prompt_generations(lm, params, n_prompts=s.prompts_used, rows=rows, progress=False)
            gens[(other.name, lm.role)] = [run_.token_ids(i) for i in range(len(run_.prompts))]
        del models
    return [(c, stage_measures(s, gens[c.before], gens[c.after], prompt_ids, options))
            for c in stage_sides([spec, *others]) if c.label != spec.name]


def stage_note(results: Results) -> str:
    """Which other pairs of the list this run measured, and how (the page's pair label)."""
    labels = [c.label for c, _ in results.stage_cells]
    if not labels:
        return ""
    return (f"; for the scoreboard's stage table the same three claims are also measured on {', '.join(labels)} "
            f"(n-grams over every prompt, the alignment measure over the {results.settings.control_prompts} "
            "control prompts, with both controls; no figures)")


def _controls_text(matched: Band | None, chance: Band | None, over: str, scale: float, unit: str) -> str:
    """The measured text of both controls (empty when they were not run)."""
    if matched is None or chance is None:
        return "; controls not run (fewer than 2 prompts)"
    (m, m_lo, m_hi), (c, c_lo, c_hi) = matched, chance
    return (f"; with lengths matched the difference is {scale * m:+.1f}{unit} (95% interval {scale * m_lo:+.1f} to "
            f"{scale * m_hi:+.1f}, {over}); the aligned model's margin over its chance baseline is {scale * c:+.1f}{unit} "
            f"(95% interval {scale * c_lo:+.1f} to {scale * c_hi:+.1f})")


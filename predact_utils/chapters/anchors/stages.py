"""The controls of chapter 04's two measures, and the same measures for every other stage of the pair list.

:func:`control_measures` gives the chance baseline and the length-matched comparison of the n-gram and the
Fig. 1 measures (the page's pair). :func:`stage_measures` applies the page's claim rules
(:func:`~predact_utils.chapters.anchors.verdicts.fig1_verdict`,
:func:`~predact_utils.chapters.anchors.verdicts.ngram_claim_verdict`, with both controls) to one other cell of
the stage table (SFT vs Base, DPO vs Base, RLHF vs SFT, ...): n-grams over every prompt, the MAFFT measure
over the control prompts, so that the stage table costs a fraction of the page's alignments.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from predact_utils.chapters.anchors import tables
from predact_utils.chapters.anchors.controls import control_indices, length_matched, other_prompt_groups
from predact_utils.chapters.anchors.msa import align_prompts
from predact_utils.chapters.anchors.ngrams import PAPER_REPORTED, coverage_table
from predact_utils.chapters.anchors.plots import PositionCurves
from predact_utils.chapters.anchors.verdicts import (
    Band,
    above_chance,
    fig1_verdict,
    ngram_claim_verdict,
    ngram_difference,
    position_difference,
)
from predact_utils.verdicts import Verdict

ROLES = ("base", "aligned")
#: Token ids of every generation of every prompt: prompts x generations x tokens.
Generations = Sequence[Sequence[Sequence[int]]]


def control_measures(s: Any, per_prompt: dict[str, Generations], names: dict[str, str], prompt_ids: list[str],
                     ngram_table: pd.DataFrame, own_at_controls: np.ndarray | None,
                     options: tuple[str, ...]) -> dict[str, Any]:
    """The chance baseline and the length-matched comparison of both measures (the chapter's Results fields of
    the controls): n-grams on every prompt, alignments on ``s.control_prompts`` of them. ``own_at_controls``:
    the aligned model's normalised Fig. 1 curve (control prompts x positions) that the chance curve is compared
    with."""
    base, aligned = names["base"], names["aligned"]
    nan_band = (float("nan"),) * 3
    if len(prompt_ids) < 2:
        return {}
    chance = {names[r]: other_prompt_groups(per_prompt[r]) for r in ROLES}
    cut_base, cut_aligned = length_matched(per_prompt["base"], per_prompt["aligned"])
    matched = {base: cut_base, aligned: cut_aligned}
    ngram_chance = coverage_table(chance, prompt_ids, max_n=s.max_n)
    ngram_matched = coverage_table(matched, prompt_ids, max_n=s.max_n)
    ngram_controls = {n: (ngram_difference(ngram_matched, n, base, aligned, seed=s.seed),
                          above_chance(ngram_table, ngram_chance, n, aligned, seed=s.seed))
                      for n, _ in PAPER_REPORTED if n <= s.max_n}
    out: dict[str, Any] = {"ngram_chance": ngram_chance, "ngram_matched": ngram_matched,
                           "ngram_controls": ngram_controls}
    idx = control_indices(len(prompt_ids), s.control_prompts)
    if not idx or own_at_controls is None:
        return out
    chance_curves, matched_curves = (aligned_curves(s, {m: [g[i] for i in idx] for m, g in sets.items()}, options)
                                     for sets in (chance, matched))
    if len(idx) >= 2:
        d, lo, hi = position_difference(matched_curves.normalised[base], matched_curves.normalised[aligned],
                                        seed=s.seed)
        c, c_lo, c_hi = position_difference(chance_curves.normalised[aligned], own_at_controls, seed=s.seed)
        position_controls = ((float(d.mean()), lo, hi), (float(c.mean()), c_lo, c_hi))
    else:
        position_controls = (nan_band, nan_band)
    return {**out, "control_index": idx, "chance_curves": chance_curves, "matched_curves": matched_curves,
            "position_controls": position_controls}


def aligned_curves(s: Any, sets: dict[str, Generations], options: tuple[str, ...]) -> PositionCurves:
    """The Fig. 1 curves of each model's prompts (MAFFT through the artifact cache)."""
    al = {m: align_prompts(g, options, timeout=s.mafft_timeout, n_overflow=s.mafft_overflow)
          for m, g in sets.items()}
    return tables.position_curves(al, s.min_others, s.n_points, s.max_new_tokens)


@dataclass(frozen=True)
class StageMeasure:
    """One claim's measure on one stage-table cell: the effect in words and the claim's verdict on it."""

    claim_id: str
    effect: str
    verdict: Verdict


def stage_measures(s: Any, before: Generations, after: Generations, prompt_ids: list[str],
                   options: tuple[str, ...]) -> list[StageMeasure]:
    """``fig1-anchors``, ``ngram-10`` and ``ngram-25`` for one stage cell (``before``: the model the stage
    starts from, on the Base side of the rules; ``after``: the model it trains), by the rules the page's pair
    is judged by, with both controls. Fig. 1 is measured over the control prompts only (intervals over those
    prompts); n-grams over every prompt. Fewer than 2 prompts: every interval is NaN (not testable)."""
    names = {"base": "before", "aligned": "after"}
    per_prompt = {"base": before, "aligned": after}
    by_name = {names[r]: per_prompt[r] for r in ROLES}
    ngram_table = coverage_table(by_name, prompt_ids, max_n=s.max_n)
    idx = control_indices(len(prompt_ids), s.control_prompts) if len(prompt_ids) >= 2 else []
    curves = aligned_curves(s, {m: [g[i] for i in idx] for m, g in by_name.items()}, options) if idx else None
    ctrl = control_measures(s, per_prompt, names, prompt_ids, ngram_table,
                            None if curves is None else curves.normalised["after"], options)
    nan = float("nan")
    out = []
    if curves is not None:
        diff, lo, hi = position_difference(curves.normalised["before"], curves.normalised["after"], seed=s.seed)
        if len(idx) < 2:
            lo = hi = nan
        edge = tables.position_edges(curves, s.n_points).loc["after"]
        first, middle, last = (float(edge[k]) for k in tables.EDGE_PARTS)
        matched, chance = ctrl.get("position_controls", (None, None))
        v = fig1_verdict(lo, hi, first, middle, last, matched=matched, chance=chance)
        out.append(StageMeasure("fig1-anchors", f"{diff.mean():+.1f} generations [{lo:+.1f}, {hi:+.1f}] over "
                                f"{len(idx)} prompts", v))
    for (n, paper), claim_id in zip(PAPER_REPORTED, ("ngram-10", "ngram-25"), strict=True):
        if n > s.max_n:
            continue
        d, d_lo, d_hi = ngram_difference(ngram_table, n, "before", "after", seed=s.seed)
        if len(prompt_ids) < 2:
            d_lo = d_hi = nan
        share = float(ngram_table[(ngram_table["n"] == n) & (ngram_table["model"] == "after")]["coverage"].mean())
        matched, chance = ctrl.get("ngram_controls", {}).get(n, (None, None))
        band: Band = (d, d_lo, d_hi)
        v = ngram_claim_verdict(band, share, paper, matched=matched, chance=chance)
        out.append(StageMeasure(claim_id, f"{100 * d:+.1f} points [{100 * d_lo:+.1f}, {100 * d_hi:+.1f}]", v))
    return out

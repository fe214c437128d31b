"""Aligned-minus-Base differences of the anchor-span chapter and the rules that turn them into words.

A difference is the mean over prompts of (aligned - Base), with a 95% percentile-bootstrap interval over
prompts (:func:`predact_utils.bootstrap.mean_band`: the prompt is the independent unit, each of its
generations answers it). The page's words only read the interval: the aligned model shows *more* when the
interval lies above zero, *less* when below, and no clear difference otherwise. The scoreboard's verdicts
(:func:`fig1_verdict`, :func:`ngram_claim_verdict`) apply the rules of the claims ``fig1-anchors``,
``ngram-10`` and ``ngram-25`` (:data:`predact_utils.claims.CLAIMS`) through
:func:`predact_utils.verdicts.decide`.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from predact_utils.bootstrap import mean_band
from predact_utils.chapters.anchors.ngrams import PAPER_REPORTED
from predact_utils.verdicts import DOES_NOT, NOT_TESTABLE, Verdict, decide

#: (mean, low, high) of a difference over prompts.
Band = tuple[float, float, float]


def ngram_difference(table: pd.DataFrame, n: int, base: str, aligned: str, *, seed: int = 0) -> Band:
    """Mean over prompts of (aligned - Base) coverage of the most common n-gram, with its 95% interval
    (``table``: the long coverage table, ``base`` / ``aligned``: the two models' names in it)."""
    per = table[table["n"] == n].pivot(index="prompt", columns="model", values="coverage")
    d = (per[aligned] - per[base]).to_numpy()[:, None]
    mean, lo, hi = mean_band(d, seed=seed)
    return float(mean[0]), float(lo[0]), float(hi[0])


def position_difference(base: np.ndarray, aligned: np.ndarray, *, seed: int = 0) -> tuple[np.ndarray, float, float]:
    """Per prompt (aligned - Base) of the mean over positions of the two prompt x position matrices, and the
    95% interval of its mean over prompts."""
    diff = aligned.mean(axis=1) - base.mean(axis=1)
    _, lo, hi = mean_band(diff[:, None], seed=seed)
    return diff, float(lo[0]), float(hi[0])


def difference_verdict(lo: float, hi: float, more: str, less: str) -> str:
    """``more`` for an interval above zero, ``less`` below, else "no clear difference from"."""
    return more if lo > 0 else (less if hi < 0 else "no clear difference from")


def position_verdict(lo: float, hi: float) -> str:
    """Where the aligned curve lies with respect to the Base curve: "above", "below" or "not
    distinguishable from"."""
    return "above" if lo > 0 else ("below" if hi < 0 else "not distinguishable from")


def higher_at_both_ends(first: float, middle: float, last: float) -> bool:
    """Whether a curve is higher in both its first and its last tenth than in the middle."""
    return bool(min(first, last) > middle)


def shape_verdict(first: float, middle: float, last: float) -> str:
    """:func:`higher_at_both_ends`, in words."""
    if higher_at_both_ends(first, middle, last):
        return "higher at both ends than in the middle"
    return "not higher at both ends than in the middle"


def controlled(v: Verdict, matched: Band, chance: Band, unit: str = "control prompt") -> Verdict:
    """A verdict whose raw direction holds kept only when both controls hold too: the (aligned - Base)
    difference with lengths matched (``matched``) and the aligned model's margin over its chance baseline
    (``chance``: real minus other-prompt groups) must both have 95% intervals above 0. A control that fails
    makes the claim "does not reproduce" (the raw effect is what length or chance gives); a control that
    could not be measured (no interval) leaves it "not testable here"."""
    if not v.direction_holds:
        return v
    missing, failed = [], []
    for name, (d, lo, hi) in (("with lengths matched", matched), ("above the chance baseline", chance)):
        if not (np.isfinite(lo) and np.isfinite(hi)):
            missing.append(name)
        elif not lo > 0:
            failed.append(f"{name} the difference is {d:+.3g} (95% interval over {unit}s {lo:+.3g} to {hi:+.3g}, "
                          "not above 0)")
    if failed:
        return Verdict(DOES_NOT, "the raw difference lies above 0, but " + "; ".join(failed))
    if missing:
        return Verdict(NOT_TESTABLE, f"the raw difference lies above 0, but the controls ({', '.join(missing)}) "
                                     f"have no interval (fewer than 2 {unit}s)")
    return Verdict(v.word, f"{v.reason}; both controls hold (with lengths matched {matched[0]:+.3g}, above "
                           f"chance {chance[0]:+.3g})")


def fig1_verdict(lo: float, hi: float, first: float, middle: float, last: float,
                 matched: Band | None = None, chance: Band | None = None) -> Verdict:
    """The rule of ``fig1-anchors``: the 95% interval over prompts of the mean over positions of (aligned -
    Base) generations aligned with >= k others above 0; shape: the aligned curve's first and last tenth
    (``first``, ``last``) both above its middle; no magnitude (the paper gives no number); and, when given,
    both controls (:func:`controlled`) above 0."""
    v = decide(lo, hi, unit="prompt", shape=higher_at_both_ends(first, middle, last),
               shape_text=f"aligned curve {first:.1f} in the first tenth, {middle:.1f} in the middle, "
                          f"{last:.1f} in the last tenth; both ends must lie above the middle")
    return controlled(v, matched, chance) if matched is not None and chance is not None else v


def ngram_claim_verdict(band: Band, aligned_share: float, paper_share: float, matched: Band | None = None,
                        chance: Band | None = None) -> Verdict:
    """The rule of ``ngram-10`` / ``ngram-25``: the 95% interval over prompts of the (aligned - Base) share of
    generations holding the prompt's most common n-gram above 0; magnitude: the aligned share over the
    paper's (``paper_share``: 0.60 at n = 10, 0.25 at n = 25) within 0.5 to 2; and, when given, both
    controls (:func:`controlled`) above 0."""
    _, lo, hi = band
    v = decide(lo, hi, unit="prompt", ratio=aligned_share / paper_share)
    return controlled(v, matched, chance, unit="prompt") if matched is not None and chance is not None else v


def above_chance(real: pd.DataFrame, chance: pd.DataFrame, n: int, model: str, *, seed: int = 0) -> Band:
    """Mean over prompts of a model's coverage of the most common n-gram minus the same on its chance groups
    (:func:`~predact_utils.chapters.anchors.controls.other_prompt_groups`), with its 95% interval."""
    r = real[(real["n"] == n) & (real["model"] == model)].set_index("prompt")["coverage"]
    c = chance[(chance["n"] == n) & (chance["model"] == model)].set_index("prompt")["coverage"]
    d = (r - c.reindex(r.index)).to_numpy()[:, None]
    mean, lo, hi = mean_band(d, seed=seed)
    return float(mean[0]), float(lo[0]), float(hi[0])


def ngram_sentence(n: int, band: Band, value: float, paper_value: float) -> str:
    """One n-gram comparison: aligned vs Base (difference and interval), and aligned vs the paper."""
    d, lo, hi = band
    return (f"at n = {n} the aligned model shows {difference_verdict(lo, hi, 'more sharing than', 'less sharing than')} "
            f"Base ({100 * d:+.1f} points, 95% interval {100 * lo:+.1f} to {100 * hi:+.1f}), and its "
            f"{100 * value:.0f}% is {value / paper_value:.2f} times the paper's about {100 * paper_value:.0f}%")


def ngram_verdict(bands: Mapping[int, Band], aligned_coverage: Mapping[int, float], max_n: int) -> str:
    """The n-gram sentences of every paper-reported n up to ``max_n``, joined (``bands[n]``: the difference,
    ``aligned_coverage[n]``: the aligned model's mean coverage)."""
    sentences = [ngram_sentence(n, bands[n], aligned_coverage[n], paper_value)
                 for n, paper_value in PAPER_REPORTED if n <= max_n]
    return "; ".join(sentences) if sentences else "(max_n below 10: not measured)"

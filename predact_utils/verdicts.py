"""Verdict rules of the scoreboard: what was measured, and no more.

Every claim is judged on three separate questions:

* **direction**: the 95% interval of the effect, resampled over the independent unit (prompt, prefix,
  document), lies on the paper's side of zero (for a family of comparisons: a one-sided sign test over
  the family at 5%, with the share of comparisons that stay significant after Holm's correction);
* **magnitude**: where the paper gives a number, the measured value over the paper's, which must lie
  within a factor of 2 (0.5 to 2);
* **shape**: where the paper states one (a curve highest at both ends, "all corpora", "nearly all
  mass"), whether it holds.

The verdict is **reproduces** (direction, and magnitude and shape wherever the paper gives them),
**direction only** (the direction holds, the magnitude or shape does not), **does not reproduce** (the
direction is not established), or **not testable here** (no direction to test, or nothing measurable).
:data:`RULES` states each claim's rule in words for the scoreboard page.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from predact_utils.bootstrap import mean_band

REPRODUCES, DIRECTION_ONLY, DOES_NOT, NOT_TESTABLE = ("reproduces", "direction only", "does not reproduce",
                                                      "not testable here")
VERDICTS: tuple[str, ...] = (REPRODUCES, DIRECTION_ONLY, DOES_NOT, NOT_TESTABLE)
#: The band a magnitude ratio (measured / paper) must fall in to count as the paper's size.
MAGNITUDE_BAND: tuple[float, float] = (0.5, 2.0)
#: Significance level of every test.
ALPHA = 0.05


@dataclass(frozen=True)
class Verdict:
    """A verdict word and the reason, in words, that the rule gave it."""

    word: str
    reason: str

    def __post_init__(self) -> None:
        if self.word not in VERDICTS:
            raise ValueError(f"verdict must be one of {VERDICTS}, got {self.word!r}")

    @property
    def direction_holds(self) -> bool:
        """Whether the paper's direction was established (reproduces, or direction only)."""
        return self.word in (REPRODUCES, DIRECTION_ONLY)


def magnitude_ok(ratio: float | None) -> bool | None:
    """Whether a measured / paper ratio is within a factor of 2 (None when the paper gives no number)."""
    if ratio is None:
        return None
    return bool(MAGNITUDE_BAND[0] <= ratio <= MAGNITUDE_BAND[1])


def _size_and_shape(ratio: float | None, shape: bool | None, shape_text: str) -> Verdict:
    """The verdict once the direction holds."""
    problems = []
    if magnitude_ok(ratio) is False:
        problems.append(f"the magnitude is {ratio:.2f} times the paper's (outside 0.5 to 2)")
    if shape is False:
        problems.append(f"the shape does not hold ({shape_text})")
    if problems:
        return Verdict(DIRECTION_ONLY, "the direction holds, but " + " and ".join(problems))
    extra = []
    if ratio is not None:
        extra.append(f"magnitude {ratio:.2f} times the paper's")
    if shape:
        extra.append(f"shape holds ({shape_text})")
    return Verdict(REPRODUCES, "the direction holds" + (": " + "; ".join(extra) if extra else ""))


def decide(ci_low: float, ci_high: float, *, unit: str, ratio: float | None = None, shape: bool | None = None,
           shape_text: str = "") -> Verdict:
    """The verdict of one comparison whose effect is oriented so that *positive is the paper's direction*:
    its 95% interval over ``unit`` (``ci_low``, ``ci_high``), the magnitude ratio, the shape."""
    if not (math.isfinite(ci_low) and math.isfinite(ci_high)):
        return Verdict(NOT_TESTABLE, "no finite interval could be measured")
    if ci_low > 0:
        return _size_and_shape(ratio, shape, shape_text)
    if ci_high < 0:
        return Verdict(DOES_NOT, f"the 95% interval over {unit}s lies on the other side of zero")
    return Verdict(DOES_NOT, f"the 95% interval over {unit}s includes zero")


def sign_test_p(k: int, n: int) -> float:
    """One-sided sign test: the chance of ``k`` or more of ``n`` comparisons in the paper's direction when
    each is a coin flip."""
    if n <= 0 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n > 0, got k={k}, n={n}")
    return float(sum(math.comb(n, i) for i in range(k, n + 1)) / 2**n)


def holm(pvalues: Sequence[float], alpha: float = ALPHA) -> list[bool]:
    """Holm's step-down correction: which of the hypotheses are rejected at family-wise level ``alpha``."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    reject = np.zeros(len(p), dtype=bool)
    for rank, i in enumerate(order):
        if p[i] <= alpha / (len(p) - rank):
            reject[i] = True
        else:
            break
    return reject.tolist()


def p_from_interval(estimate: float, ci_low: float, ci_high: float) -> float:
    """One-sided p-value of "effect > 0" from a 95% interval, by the normal approximation
    (standard error = interval width / 3.92)."""
    se = (ci_high - ci_low) / (2 * 1.959963984540054)
    if not (math.isfinite(se) and se > 0):
        return 0.0 if estimate > 0 else 1.0
    return float(0.5 * math.erfc(estimate / se / math.sqrt(2)))


@dataclass(frozen=True)
class FamilyResult:
    """A family of comparisons (corpora x pairs, datasets x pairs): the sign test and Holm's correction."""

    n: int
    in_direction: int
    sign_p: float
    holm_significant: int

    @property
    def share(self) -> float:
        """Share of the comparisons significant after Holm's correction."""
        return self.holm_significant / self.n if self.n else float("nan")


def family(estimates: Sequence[float], ci_lows: Sequence[float], ci_highs: Sequence[float]) -> FamilyResult:
    """Sign test and Holm's correction over a family whose effects are oriented toward the paper."""
    est = [float(e) for e in estimates]
    if not est:
        raise ValueError("an empty family has no verdict")
    p = [p_from_interval(e, lo, hi) for e, lo, hi in zip(est, ci_lows, ci_highs, strict=True)]
    k = sum(e > 0 for e in est)
    return FamilyResult(n=len(est), in_direction=k, sign_p=sign_test_p(k, len(est)), holm_significant=sum(holm(p)))


def decide_family(f: FamilyResult, *, every: bool, ratio: float | None = None) -> Verdict:
    """A family's verdict. The direction holds when the sign test is significant; where the paper says the
    effect holds in *every* comparison (``every``), the shape is "all comparisons significant after Holm"."""
    where = f"{f.in_direction} of {f.n} in the paper's direction, sign test p = {f.sign_p:.2g}; " \
            f"{f.holm_significant} of {f.n} significant after Holm"
    if f.sign_p >= ALPHA:
        return Verdict(DOES_NOT, f"the direction is not established ({where})")
    shape = (f.holm_significant == f.n) if every else None
    v = _size_and_shape(ratio, shape, "every comparison significant after Holm" if every else "")
    return Verdict(v.word, f"{v.reason} ({where})")


def paired_group_bootstrap(a: np.ndarray, a_groups: Sequence[str], b: np.ndarray, b_groups: Sequence[str],
                           seed: int = 0, n_boot: int = 2000) -> tuple[float, float, float]:
    """Mean over groups of (mean of ``a`` - mean of ``b`` within the group), with a 95% percentile interval from
    resampling the groups (the independent unit: prompts, prefixes, documents); only groups both sides have."""
    shared = sorted(set(a_groups) & set(b_groups))
    if not shared:
        raise ValueError("the two sides share no group: nothing to pair")
    ga = {g: [] for g in shared}
    gb = {g: [] for g in shared}
    for v, g in zip(np.asarray(a, dtype=float), a_groups, strict=True):
        if g in ga:
            ga[g].append(v)
    for v, g in zip(np.asarray(b, dtype=float), b_groups, strict=True):
        if g in gb:
            gb[g].append(v)
    d = np.array([np.mean(ga[g]) - np.mean(gb[g]) for g in shared])
    if np.isnan(d).any():  # an undefined unit leaves the whole comparison undefined (mean_band would skip it)
        return math.nan, math.nan, math.nan
    mean, lo, hi = mean_band(d, seed=seed, n_boot=n_boot)
    return float(mean), float(lo), float(hi)

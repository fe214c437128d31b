"""The scoreboard's verdict rules on crafted cases, including the ones that must fail (predact_utils.verdicts)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from predact_utils import verdicts as v


def test_interval_above_zero_with_the_papers_size_reproduces() -> None:
    out = v.decide(0.2, 0.4, unit="prompt", ratio=1.3)
    assert out.word == v.REPRODUCES and "1.30 times" in out.reason


def test_a_tenth_of_the_papers_size_is_direction_only() -> None:
    """ngram-10 at 2% of aligned generations against the paper's ~60%: significant, but 0.03 of the size."""
    out = v.decide(0.005, 0.03, unit="prompt", ratio=0.02 / 0.60)
    assert out.word == v.DIRECTION_ONLY and "0.03 times the paper's" in out.reason


def test_a_curve_of_the_wrong_shape_is_direction_only() -> None:
    out = v.decide(1.0, 3.0, unit="prompt", shape=False, shape_text="highest near both ends")
    assert out.word == v.DIRECTION_ONLY and "highest near both ends" in out.reason


def test_two_random_models_do_not_reproduce() -> None:
    """0.001 vs 0.001 top-1 mass: the interval of the difference straddles zero."""
    b = np.full(40, 0.001)
    groups = [f"p{i // 4}" for i in range(40)]  # 10 prompts of 4 sequences
    a = b + np.repeat([1e-4, -1e-4] * 5, 4)  # prompt-level differences +1e-4, -1e-4, ...: no direction
    d, lo, hi = v.paired_group_bootstrap(a, groups, b, groups, seed=0)
    assert lo < 0 < hi
    assert v.decide(lo, hi, unit="prompt").word == v.DOES_NOT


def test_negative_gains_do_not_reproduce() -> None:
    """Both probes worse than their baseline (-5.0 vs -6.4): the gain oriented toward the paper is negative."""
    out = v.decide(-5.0, -4.0, unit="prompt")
    assert out.word == v.DOES_NOT and "other side of zero" in out.reason


def test_no_interval_is_not_testable() -> None:
    assert v.decide(math.nan, 1.0, unit="prompt").word == v.NOT_TESTABLE


def test_sign_test_by_hand() -> None:
    assert v.sign_test_p(3, 3) == pytest.approx(1 / 8)
    assert v.sign_test_p(0, 4) == 1.0
    assert v.sign_test_p(9, 10) == pytest.approx(11 / 1024)
    with pytest.raises(ValueError):
        v.sign_test_p(5, 4)


def test_holm_by_hand() -> None:
    # sorted 0.001, 0.012, 0.016, 0.2 against 0.05/4, 0.05/3, 0.05/2, 0.05: the first three pass, 0.2 fails
    assert v.holm([0.016, 0.001, 0.2, 0.012]) == [True, True, False, True]
    # 0.01 passes 0.05/3, then 0.03 fails 0.05/2: the step-down stops there, 0.04 is not tested
    assert v.holm([0.01, 0.03, 0.04]) == [True, False, False]


def test_one_success_in_45_does_not_reproduce() -> None:
    """share_verdict used to say "partly" for 1 of 45; a sign test over the family says no direction."""
    est = [0.5] + [-0.1] * 44
    f = v.family(est, [0.3] + [-0.3] * 44, [0.7] + [0.1] * 44)
    assert (f.in_direction, f.n) == (1, 45)
    assert v.decide_family(f, every=True).word == v.DOES_NOT


def test_a_family_significant_but_not_everywhere_is_direction_only() -> None:
    est = [0.5] * 8 + [0.01, 0.02]
    lo = [0.3] * 8 + [-0.2, -0.2]
    hi = [0.7] * 8 + [0.2, 0.2]
    f = v.family(est, lo, hi)
    assert f.in_direction == 10 and f.holm_significant == 8 and f.share == 0.8
    out = v.decide_family(f, every=True)
    assert out.word == v.DIRECTION_ONLY and "8 of 10 significant after Holm" in out.reason
    assert v.decide_family(v.family([0.5] * 10, [0.3] * 10, [0.7] * 10), every=True).word == v.REPRODUCES


def test_paired_group_bootstrap_resamples_groups_not_sequences() -> None:
    """Ten sequences of one prompt count once: the interval is that of 3 prompt means, not 30 values."""
    a = np.array([1.0] * 10 + [2.0] * 10 + [3.0] * 10)
    b = np.zeros(30)
    groups = ["p1"] * 10 + ["p2"] * 10 + ["p3"] * 10
    d, lo, hi = v.paired_group_bootstrap(a, groups, b, groups, seed=1)
    assert d == pytest.approx(2.0) and lo >= 1.0 and hi <= 3.0 and hi - lo > 0.5
    with pytest.raises(ValueError, match="share no group"):
        v.paired_group_bootstrap(a, groups, b, ["x"] * 30)


def test_p_from_interval() -> None:
    assert v.p_from_interval(1.96, 0.0, 3.92) == pytest.approx(0.025, abs=1e-3)
    assert v.p_from_interval(-1.0, -2.0, 0.0) > 0.5


def test_verdict_words_are_checked() -> None:
    with pytest.raises(ValueError, match="verdict must be one of"):
        v.Verdict("partly", "x")

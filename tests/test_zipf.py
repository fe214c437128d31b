"""Nucleus truncation on hand-made distributions (predact_utils.chapters.setup.zipf)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers.generation.logits_process import TopPLogitsWarper

from predact_utils.chapters.setup.zipf import nucleus_size, zipf_probs


def test_hand_made_distribution() -> None:
    p = np.array([0.5, 0.3, 0.15, 0.05])
    assert nucleus_size(p, 0.5) == 1
    assert nucleus_size(p, 0.6) == 2
    assert nucleus_size(p, 0.8) == 2  # 0.5 + 0.3 reaches 0.8 exactly
    assert nucleus_size(p, 0.9) == 3
    assert nucleus_size(p, 1.0) == 4
    assert nucleus_size(p[::-1].copy(), 0.9) == 3  # order of the input does not matter


def test_zipf_is_normalised_and_decreasing() -> None:
    p = zipf_probs(100, 1.0)
    assert p.sum() == pytest.approx(1.0)
    assert np.all(np.diff(p) < 0)
    # p(1)/p(2) = 2 for exponent 1
    assert p[0] / p[1] == pytest.approx(2.0)


@pytest.mark.parametrize("top_p", [0.3, 0.7, 0.9, 0.95])
def test_agrees_with_transformers_top_p(top_p: float) -> None:
    p = zipf_probs(500, 1.2)
    logits = torch.log(torch.tensor(p, dtype=torch.float64))[None]
    kept = TopPLogitsWarper(top_p=top_p)(torch.zeros(1, 1, dtype=torch.long), logits)
    assert int(torch.isfinite(kept).sum()) == nucleus_size(p, top_p)


def test_bad_input_is_refused() -> None:
    with pytest.raises(ValueError, match="top_p must be in"):
        nucleus_size(np.array([1.0]), 1.5)
    with pytest.raises(ValueError, match="must sum to 1"):
        nucleus_size(np.array([0.2, 0.2]), 0.5)

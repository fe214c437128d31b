"""Percentile-bootstrap bands of means over rows (collapse and anchor-span sections)."""

from __future__ import annotations

import numpy as np


def mean_band(values: np.ndarray, *, seed: int = 0, n_boot: int = 1000,
              level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over rows and a percentile bootstrap interval over rows, per column (NaNs ignored).

    Rows (prompts, sequences) are resampled with replacement ``n_boot`` times; with fewer than
    two rows the band collapses onto the mean.
    """
    values = np.asarray(values, dtype=float)
    mean = np.nanmean(values, axis=0)
    if values.shape[0] < 2:
        return mean, mean.copy(), mean.copy()
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, values.shape[0], size=(n_boot, values.shape[0]))
    boots = np.nanmean(values[idx], axis=1)
    alpha = (1 - level) / 2
    return mean, np.nanquantile(boots, alpha, axis=0), np.nanquantile(boots, 1 - alpha, axis=0)

"""Percentile-bootstrap bands of means over rows, or over clusters of rows (collapse and anchor-span sections)."""

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


def cluster_mean_band(values: np.ndarray, clusters: list[str] | np.ndarray, *, seed: int = 0, n_boot: int = 1000,
                      level: float = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean over rows (every row weighs the same) and a percentile bootstrap interval that resamples whole
    clusters (the independent unit: the prompt of several samples, the prefix of several continuations).

    NaNs are ignored per column; with fewer than two clusters the band collapses onto the mean.
    """
    values = np.asarray(values, dtype=float)
    if len(clusters) != values.shape[0]:
        raise ValueError(f"{values.shape[0]} rows but {len(clusters)} cluster labels")
    mean = np.nanmean(values, axis=0)
    _, inverse = np.unique(np.asarray(clusters, dtype=str), return_inverse=True)
    n_clusters = int(inverse.max()) + 1 if inverse.size else 0
    if n_clusters < 2:
        return mean, mean.copy(), mean.copy()
    flat = values.reshape(values.shape[0], -1)
    sums = np.zeros((n_clusters, flat.shape[1]))
    counts = np.zeros((n_clusters, flat.shape[1]))
    np.add.at(sums, inverse, np.nan_to_num(flat))
    np.add.at(counts, inverse, ~np.isnan(flat))
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, n_clusters, size=(n_boot, n_clusters))
    with np.errstate(invalid="ignore", divide="ignore"):
        boots = sums[idx].sum(axis=1) / counts[idx].sum(axis=1)
    alpha = (1 - level) / 2
    lo, hi = np.nanquantile(boots, alpha, axis=0), np.nanquantile(boots, 1 - alpha, axis=0)
    return mean, lo.reshape(mean.shape), hi.reshape(mean.shape)

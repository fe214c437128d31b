"""n-gram anchors on crafted sequences (predact_utils.chapters.anchors.ngrams)."""

from __future__ import annotations

import numpy as np
import pytest

from predact_utils.chapters.anchors.ngrams import (
    coverage_curve,
    coverage_table,
    longest_shared_ngrams,
    most_common_ngram,
    ngram_document_counts,
)

# four generations; [1, 2, 3] is in three of them, [1, 2, 3, 4] in two, [9] twice inside one sequence
SEQS = [
    [1, 2, 3, 4, 5],
    [7, 1, 2, 3, 4],
    [1, 2, 3, 9, 9],
    [8],
]


def test_document_counts_count_each_sequence_once() -> None:
    counts = ngram_document_counts(SEQS, 1)
    assert counts[(9,)] == 1  # twice in one sequence, counted once
    assert counts[(1,)] == 3 and counts[(8,)] == 1
    assert ngram_document_counts(SEQS, 3)[(1, 2, 3)] == 3
    with pytest.raises(ValueError):
        ngram_document_counts(SEQS, 0)


def test_most_common_ngram_and_ties() -> None:
    assert most_common_ngram(SEQS, 3) == ((1, 2, 3), 0.75)
    assert most_common_ngram(SEQS, 4) == ((1, 2, 3, 4), 0.5)
    # every 5-gram occurs once: the tie goes to the smallest tuple, share 1/4 (denominator: all sequences)
    assert most_common_ngram(SEQS, 5) == ((1, 2, 3, 4, 5), 0.25)
    assert most_common_ngram(SEQS, 6) == (None, 0.0)


def test_coverage_curve_is_non_increasing_with_known_values() -> None:
    curve = coverage_curve(SEQS, max_n=6)
    np.testing.assert_allclose(curve, [0.75, 0.75, 0.75, 0.5, 0.25, 0.0])
    assert np.all(np.diff(curve) <= 0)


def test_longest_shared_ngrams() -> None:
    got = longest_shared_ngrams(SEQS, min_share=0.5)
    assert [(g.tokens, g.count, g.share) for g in got] == [((1, 2, 3, 4), 2, 0.5)]
    got = longest_shared_ngrams(SEQS, min_share=0.75)
    assert [g.tokens for g in got] == [(1, 2, 3)] and got[0].n == 3
    # 20% of 4 generations rounds up to one generation: the longest n-grams are the whole 5-token sequences
    got = longest_shared_ngrams(SEQS, min_share=0.2, limit=10)
    assert {g.tokens for g in got} == {(1, 2, 3, 4, 5), (7, 1, 2, 3, 4), (1, 2, 3, 9, 9)}
    assert longest_shared_ngrams([[1], [2], [3]], min_share=0.5) == []


def test_identical_generations_share_everything() -> None:
    seqs = [list(range(30))] * 10
    assert coverage_curve(seqs, 32)[24] == 1.0 and coverage_curve(seqs, 32)[30] == 0.0
    assert longest_shared_ngrams(seqs, 0.2)[0].n == 30


def test_coverage_table_shape() -> None:
    t = coverage_table({"base": [SEQS, SEQS[:2]], "aligned": [SEQS, SEQS]}, ["p1", "p2"], max_n=4)
    assert len(t) == 2 * 2 * 4
    assert t.query("model == 'base' and prompt == 'p2' and n == 4")["coverage"].item() == 1.0  # both contain [1, 2, 3, 4]
    with pytest.raises(ValueError):
        coverage_table({"base": [SEQS]}, ["p1", "p2"])


def _reference_curve(seqs: list[list[int]], max_n: int) -> np.ndarray:
    """Coverage by counting tuples, n by n (the definition)."""
    return np.array([most_common_ngram(seqs, n)[1] for n in range(1, max_n + 1)])


def test_coverage_curve_equals_tuple_counting_on_random_sets() -> None:
    rng = np.random.default_rng(7)
    for trial in range(200):
        vocab = int(rng.integers(2, 40))
        seqs = [[int(t) for t in rng.integers(0, vocab, int(rng.integers(0, 30)))]
                for _ in range(int(rng.integers(1, 20)))]
        if trial % 3 == 0:  # a planted shared span in some of them
            seqs = [s + [1, 2, 3, 4, 5, 6] if i % 2 else s for i, s in enumerate(seqs)]
        np.testing.assert_array_equal(coverage_curve(seqs, 10), _reference_curve(seqs, 10))


def test_coverage_curve_edge_cases() -> None:
    np.testing.assert_array_equal(coverage_curve([[], []], 3), [0.0, 0.0, 0.0])
    # no n-gram shared: one sequence's share up to the longest sequence, then nothing
    np.testing.assert_array_equal(coverage_curve([[1, 2, 3], [4, 5]], 4), [0.5, 0.5, 0.5, 0.0])
    # numpy arrays and large token ids (a real vocabulary) count the same as lists
    big = [np.array([150_000, 7, 150_000, 7]), np.array([7, 150_000, 7])]
    np.testing.assert_array_equal(coverage_curve(big, 4), [1.0, 1.0, 1.0, 0.5])
    with pytest.raises(ValueError):
        coverage_curve([], 3)

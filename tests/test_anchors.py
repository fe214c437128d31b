"""Anchor spans, the aligned-with-5-others count and Sankey paths on a hand-built alignment (predact_utils.chapters.anchors.analysis)."""

from __future__ import annotations

import numpy as np
import pytest

from predact_utils.bootstrap import mean_band as prompt_band
from predact_utils.chapters.anchors.analysis import (
    aligned_with_others,
    alignment_summary,
    anchor_spans,
    carries,
    column_consensus,
    position_counts,
    position_counts_normalised,
    sankey_graph,
    select_spans,
)
from predact_utils.chapters.anchors.msa import GAP

G = GAP


def hand_alignment() -> np.ndarray:
    """8 generations, 8 columns.

    col 0: 10 in rows 0-6, row 7 has 30        col 4: 13 in rows 0-4, rows 5-7 differ
    col 1: 11 in every row                      col 5: a different token in every row
    col 2: 12 in rows 0-5, rows 6-7 differ      col 6: 14 in rows 0-5, rows 6-7 ended
    col 3: row 0 inserts 50, the rest gap       col 7: 15 in rows 0-5, rows 6-7 ended
    """
    rows = []
    for r in range(8):
        row = [10 if r < 7 else 30, 11, 12 if r < 6 else 40 + r, 50 if r == 0 else G,
               13 if r < 5 else 60 + r, 70 + r, 14 if r < 6 else G, 15 if r < 6 else G]
        rows.append(row)
    return np.array(rows, dtype=np.int64)


def test_column_consensus() -> None:
    tokens, support = column_consensus(hand_alignment())
    assert tokens.tolist() == [10, 11, 12, 50, 13, 70, 14, 15]  # col 5: all differ, smallest id wins
    assert support.tolist() == [7, 8, 6, 1, 5, 1, 6, 6]
    t, s = column_consensus(np.full((3, 1), G))
    assert t.tolist() == [G] and s.tolist() == [0]


def test_anchor_spans_bridge_a_minority_insertion() -> None:
    spans = anchor_spans(hand_alignment(), threshold=0.5)
    assert [s.columns for s in spans] == [(0, 1, 2, 4), (6, 7)]
    assert [s.tokens for s in spans] == [(10, 11, 12, 13), (14, 15)]
    assert [s.support for s in spans] == [5, 6]  # rows 0-4 carry the first span verbatim, rows 0-5 the second
    assert [s.min_column_support for s in spans] == [5, 6]
    assert [s.order for s in spans] == [0, 1]
    assert spans[0].share == pytest.approx(5 / 8) and spans[1].length == 2
    assert (spans[0].first, spans[0].last) == (0, 4)


def test_anchor_spans_without_bridging_and_other_thresholds() -> None:
    a = hand_alignment()
    assert [s.columns for s in anchor_spans(a, 0.5, bridge_insertions=False)] == [(0, 1, 2), (4,), (6, 7)]
    assert [s.columns for s in anchor_spans(a, 0.75)] == [(0, 1, 2), (6, 7)]
    assert [s.columns for s in anchor_spans(a, 0.5, min_length=3)] == [(0, 1, 2, 4)]
    assert [s.columns for s in anchor_spans(a, 1.0)] == [(1,)]
    with pytest.raises(ValueError):
        anchor_spans(a, 0.0)


def test_carries() -> None:
    a = hand_alignment()
    first = anchor_spans(a, 0.5)[0]
    assert carries(a, first).tolist() == [True] * 5 + [False] * 3
    assert carries(a, first, min_match=0.75).tolist() == [True] * 6 + [False] * 2  # row 5 has 3 of 4


def test_aligned_with_at_least_five_others() -> None:
    flags = aligned_with_others(hand_alignment(), 5)
    # a token counts when >= 6 rows carry it in its column: columns 0 (rows 0-6), 1, 2, 6, 7 (rows 0-5)
    assert flags[:, 0].tolist() == [True] * 7 + [False]
    assert flags[:, 1].all() and not flags[:, 3].any() and not flags[:, 4].any() and not flags[:, 5].any()
    assert flags[:, 6].tolist() == [True] * 6 + [False] * 2
    assert aligned_with_others(hand_alignment(), 4)[:, 4].sum() == 5  # 13 in 5 rows: 4 others each


def test_position_counts_absolute() -> None:
    counts, running = position_counts(hand_alignment(), 5, max_len=9)
    assert counts.tolist() == [7, 8, 6, 0, 0, 5, 6, 1, 0]
    assert running.tolist() == [8, 8, 8, 8, 8, 6, 6, 1, 0]
    assert np.all(counts <= running)


def test_position_counts_normalised() -> None:
    # q = 0.25, 0.75: row 0 (8 tokens) reads tokens 2 and 6, rows 1-5 (7 tokens) tokens 1 and 5,
    # rows 6-7 (5 tokens) tokens 1 and 3
    assert position_counts_normalised(hand_alignment(), 5, n_points=2).tolist() == [8, 6]
    empty = np.full((2, 3), G)
    assert position_counts_normalised(empty, 5, n_points=4).tolist() == [0, 0, 0, 0]


def test_prompt_band() -> None:
    values = np.array([[1.0, 2.0], [3.0, 2.0], [2.0, 2.0]])
    mean, lo, hi = prompt_band(values, seed=0)
    assert mean.tolist() == [2.0, 2.0]
    assert lo[0] < 2.0 < hi[0] and lo[1] == hi[1] == 2.0
    again = prompt_band(values, seed=0)
    np.testing.assert_array_equal(lo, again[1])
    one = prompt_band(values[:1])
    assert one[1].tolist() == one[2].tolist() == [1.0, 2.0]


def test_sankey_paths_of_the_hand_alignment() -> None:
    a = hand_alignment()
    g = sankey_graph(a, anchor_spans(a, 0.5))
    full = (("start", 0), ("anchor", 0), ("free", 1), ("anchor", 1), ("end", 0))
    assert g.paths[:5] == [full] * 5
    assert g.paths[5] == (("start", 0), ("other", 0), ("free", 1), ("anchor", 1), ("end", 0))
    ended = (("start", 0), ("other", 0), ("free", 1), ("end", 0))  # rows 6-7 stop before the second span
    assert g.paths[6] == g.paths[7] == ended
    links = g.links()
    assert links[(("start", 0), ("anchor", 0))] == 5 and links[(("start", 0), ("other", 0))] == 3
    assert links[(("free", 1), ("anchor", 1))] == 6 and links[(("free", 1), ("end", 0))] == 2
    flow = g.node_flow()
    assert flow[("start", 0)] == flow[("end", 0)] == 8
    assert len(g.free_text[1]) == 8 and g.free_text[1][0] == [70]


def test_sankey_flows_are_conserved_and_without_anchors() -> None:
    rng = np.random.default_rng(1)
    a = rng.integers(0, 4, size=(30, 25))
    a[rng.random(a.shape) < 0.3] = G
    spans = anchor_spans(a, 0.3)
    g = sankey_graph(a, spans, min_match=0.8)
    links = g.links()
    for node, n in g.node_flow().items():
        inflow = sum(v for (s, t), v in links.items() if t == node)
        outflow = sum(v for (s, t), v in links.items() if s == node)
        if node[0] == "start":
            assert outflow == n == 30
        elif node[0] == "end":
            assert inflow == n == 30
        else:
            assert inflow == outflow == n
    none = sankey_graph(a, [])
    assert set(none.paths) <= {(("start", 0), ("free", 0), ("end", 0)), (("start", 0), ("end", 0))}


def test_select_spans_keeps_the_heaviest_in_order() -> None:
    a = hand_alignment()
    spans = anchor_spans(a, 0.5, bridge_insertions=False)  # (0,1,2) support 6, (4,) 5, (6,7) 6
    chosen = select_spans(spans, max_anchors=2)
    assert [s.columns for s in chosen] == [(0, 1, 2), (6, 7)]


def test_alignment_summary_by_hand() -> None:
    a = hand_alignment()
    got = alignment_summary(a, anchor_spans(a, 0.5), min_others=5)
    # 53 tokens; span tokens matching their consensus: 7 + 8 + 6 + 5 (first span) + 6 + 6 (second) = 38;
    # tokens aligned with >= 5 others: 7 + 8 + 6 + 6 + 6 = 33
    assert got == {"columns": 8, "anchor_spans": 2, "mean_span_length": 3.0, "longest_span": 4,
                   "longest_span_support": 5, "anchor_token_share": pytest.approx(38 / 53),
                   "aligned_token_share": pytest.approx(33 / 53)}


def test_aligned_with_others_matches_a_direct_count() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, size=(40, 30))
    a[rng.random(a.shape) < 0.4] = G
    flags = aligned_with_others(a, 5)
    for s in range(a.shape[0]):
        for c in range(a.shape[1]):
            t = a[s, c]
            expected = t != G and int((a[:, c] == t).sum()) - 1 >= 5
            assert flags[s, c] == expected

"""Anchor spans read off a multiple sequence alignment (section "Implicit blueprints and anchor spans", Fig. 1).

All functions take the token-id matrix of a decoded alignment
(:attr:`predact_utils.chapters.anchors.msa.Alignment.columns`: one row per generation, one
column per alignment column, :data:`~predact_utils.chapters.anchors.msa.GAP` for a gap) and
compare real token ids.

* **Consensus** of a column: its most common token (ties: smallest id) and the
  number of generations carrying it (its *support*).
* **Anchor column**: a column whose consensus is carried by at least
  ``threshold`` of all generations (empty generations included).
* **Anchor span**: a maximal run of anchor columns. With
  ``bridge_insertions`` a column in which at least ``threshold`` of the
  generations have a gap (a minority's insertion) does not break a run: for the
  majority the tokens on both sides are adjacent. A span's ``support`` is the
  number of generations carrying the consensus token in *every* anchor column
  of the span (the span verbatim); ``order`` numbers the spans left to right.
* **Aligned with at least k others** (Fig. 1, bottom): a token of a generation
  counts when at least ``k`` *other* generations carry the same token id in
  the same alignment column.
* **Sankey paths** (Fig. 1, top): see :func:`sankey_graph`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from predact_utils.chapters.anchors.msa import GAP


def column_consensus(columns: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per column: the most common non-gap token (GAP for an all-gap column) and how many rows carry it."""
    tokens = np.full(columns.shape[1], GAP, dtype=np.int64)
    support = np.zeros(columns.shape[1], dtype=np.int64)
    for c in range(columns.shape[1]):
        col = columns[:, c]
        col = col[col != GAP]
        if col.size:
            values, counts = np.unique(col, return_counts=True)  # values ascending: ties go to the smallest id
            best = int(np.argmax(counts))
            tokens[c], support[c] = values[best], counts[best]
    return tokens, support


@dataclass(frozen=True)
class AnchorSpan:
    """A run of anchor columns: its consensus tokens, where it lies, how many generations carry it verbatim."""

    order: int
    columns: tuple[int, ...]  # the anchor columns (bridged insertion columns left out)
    tokens: tuple[int, ...]  # consensus token of each anchor column
    support: int  # generations carrying every token of the span
    min_column_support: int
    n_sequences: int

    @property
    def length(self) -> int:
        return len(self.tokens)

    @property
    def share(self) -> float:
        """Share of generations that carry the span verbatim."""
        return self.support / self.n_sequences if self.n_sequences else 0.0

    @property
    def first(self) -> int:
        return self.columns[0]

    @property
    def last(self) -> int:
        return self.columns[-1]


def carries(columns: np.ndarray, span: AnchorSpan, min_match: float = 1.0) -> np.ndarray:
    """Per generation: does it carry at least ``min_match`` of the span's consensus tokens in its columns?"""
    block = columns[:, list(span.columns)] == np.asarray(span.tokens)[None, :]
    return block.mean(axis=1) >= min_match - 1e-12


def anchor_spans(columns: np.ndarray, threshold: float = 0.5, *, min_length: int = 1,
                 bridge_insertions: bool = True) -> list[AnchorSpan]:
    """The anchor spans of an alignment, left to right (see the module doc for the exact rule)."""
    if not 0 < threshold <= 1:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    n_seq, n_col = columns.shape
    if n_seq == 0:
        return []
    tokens, support = column_consensus(columns)
    need = threshold * n_seq - 1e-9
    is_anchor = support >= need
    gap_share = (columns == GAP).sum(axis=0)
    bridge = (gap_share >= need) & ~is_anchor if bridge_insertions else np.zeros(n_col, dtype=bool)
    runs: list[list[int]] = []
    current: list[int] = []
    for c in range(n_col):
        if is_anchor[c]:
            current.append(c)
        elif bridge[c] and current:
            continue
        elif current:
            runs.append(current)
            current = []
    if current:
        runs.append(current)
    spans = []
    for cols in runs:
        if len(cols) < min_length:
            continue
        toks = tuple(int(tokens[c]) for c in cols)
        verbatim = (columns[:, cols] == np.asarray(toks)[None, :]).all(axis=1)
        spans.append(AnchorSpan(len(spans), tuple(cols), toks, int(verbatim.sum()),
                                int(support[cols].min()), n_seq))
    return spans


def aligned_with_others(columns: np.ndarray, min_others: int = 5) -> np.ndarray:
    """Boolean matrix: the cell's token is carried by at least ``min_others`` other rows in its column."""
    if columns.size == 0:
        return np.zeros(columns.shape, dtype=bool)
    shift = int(columns.max()) + 2  # (column, token) -> one integer key; GAP (-1) becomes 0
    keys = np.arange(columns.shape[1], dtype=np.int64)[None, :] * shift + (columns + 1)
    _, inverse, counts = np.unique(keys.ravel(), return_inverse=True, return_counts=True)
    same = counts[inverse.ravel()].reshape(columns.shape)
    return (columns != GAP) & (same - 1 >= min_others)


def position_counts(columns: np.ndarray, min_others: int = 5, max_len: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Per absolute token position i < max_len: generations whose i-th token is aligned with >= k others,
    and generations that have an i-th token at all."""
    flags = aligned_with_others(columns, min_others)
    counts = np.zeros(max_len, dtype=np.int64)
    running = np.zeros(max_len, dtype=np.int64)
    for s in range(columns.shape[0]):
        pos = np.flatnonzero(columns[s] != GAP)[:max_len]
        running[: len(pos)] += 1
        counts[: len(pos)] += flags[s, pos]
    return counts, running


def normalised_points(n_points: int = 50) -> np.ndarray:
    """The normalised positions q_j = (j + 1/2) / n_points at which each generation is read."""
    return (np.arange(n_points) + 0.5) / n_points


def position_counts_normalised(columns: np.ndarray, min_others: int = 5, n_points: int = 50) -> np.ndarray:
    """At each normalised position q: generations (of length L >= 1) whose token at index floor(q * L) is
    aligned with >= k others."""
    flags = aligned_with_others(columns, min_others)
    q = normalised_points(n_points)
    counts = np.zeros(n_points, dtype=np.int64)
    for s in range(columns.shape[0]):
        pos = np.flatnonzero(columns[s] != GAP)
        if pos.size:
            counts += flags[s, pos[np.floor(q * pos.size).astype(int)]]
    return counts


@dataclass
class SankeyGraph:
    """Layered paths of a prompt's generations through its anchor spans (Fig. 1, top).

    Nodes, in sequence order: ``start``; for each region before/between/after the chosen anchors a
    *free-text* node ``("free", k)`` visited by the generations with tokens in that region; for each
    anchor ``k`` the node ``("anchor", k)`` (carries it) or ``("other", k)`` (has text at or after the
    anchor but not the anchor itself); ``end``. A generation whose tokens have all been visited goes
    to ``end`` at once. Every generation takes exactly one path, so the flows out of ``start`` and into
    ``end`` both add up to the number of generations.
    """

    spans: list[AnchorSpan]
    paths: list[tuple[tuple[str, int], ...]]
    free_text: dict[int, list[list[int]]] = field(default_factory=dict)  # region -> token stretches

    def links(self) -> dict[tuple[tuple[str, int], tuple[str, int]], int]:
        """Number of generations on each edge."""
        out: Counter = Counter()
        for p in self.paths:
            out.update(zip(p[:-1], p[1:], strict=True))
        return dict(out)

    def node_flow(self) -> dict[tuple[str, int], int]:
        """Number of generations through each node."""
        out: Counter = Counter()
        for p in self.paths:
            out.update(p)
        return dict(out)


def select_spans(spans: Sequence[AnchorSpan], max_anchors: int = 10) -> list[AnchorSpan]:
    """The ``max_anchors`` spans with the most carried tokens (support x length), back in sequence order."""
    ranked = sorted(spans, key=lambda s: (-s.support * s.length, -s.support, s.first))[:max_anchors]
    return sorted(ranked, key=lambda s: s.first)


def sankey_graph(columns: np.ndarray, spans: Sequence[AnchorSpan], *, min_match: float = 1.0) -> SankeyGraph:
    """The path of every generation through ``spans`` (taken in column order; see :class:`SankeyGraph`)."""
    spans = sorted(spans, key=lambda s: s.first)
    n_seq, n_col = columns.shape
    bounds = [-1] + [s.last for s in spans]  # region k lies after bounds[k] and before spans[k] (or the end)
    starts = [s.first for s in spans] + [n_col]
    carried = [carries(columns, s, min_match) for s in spans]
    free: dict[int, list[list[int]]] = {}
    paths = []
    for r in range(n_seq):
        row = columns[r]
        have = np.flatnonzero(row != GAP)
        last_col = int(have[-1]) if have.size else -1
        path: list[tuple[str, int]] = [("start", 0)]
        for k in range(len(spans) + 1):
            stretch = row[bounds[k] + 1: starts[k]]
            stretch = stretch[stretch != GAP]
            if stretch.size:
                path.append(("free", k))
                free.setdefault(k, []).append(stretch.tolist())
            if k == len(spans) or last_col < spans[k].first:
                break
            path.append(("anchor", k) if carried[k][r] else ("other", k))
        path.append(("end", 0))
        paths.append(tuple(path))
    return SankeyGraph(list(spans), paths, free)


def alignment_summary(columns: np.ndarray, spans: Sequence[AnchorSpan], min_others: int = 5) -> dict[str, float]:
    """One prompt's numbers: spans, their lengths, and which share of all tokens they and the k-others rule cover.

    ``anchor_token_share``: tokens that sit in an anchor column of a span and equal its consensus token,
    over all tokens; ``aligned_token_share``: tokens aligned with at least ``min_others`` others, over all
    tokens.
    """
    n_tokens = int((columns != GAP).sum())
    in_anchor = 0
    for s in spans:
        in_anchor += int((columns[:, list(s.columns)] == np.asarray(s.tokens)[None, :]).sum())
    flags = aligned_with_others(columns, min_others)
    lengths = [s.length for s in spans]
    return {
        "columns": int(columns.shape[1]),
        "anchor_spans": len(spans),
        "mean_span_length": float(np.mean(lengths)) if lengths else 0.0,
        "longest_span": int(max(lengths, default=0)),
        "longest_span_support": max((s.support for s in spans if s.length == max(lengths)), default=0),
        "anchor_token_share": in_anchor / n_tokens if n_tokens else 0.0,
        "aligned_token_share": float(flags.sum()) / n_tokens if n_tokens else 0.0,
    }

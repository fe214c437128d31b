"""Figures of the anchor-span section on hand-built alignments (predact_utils.chapters.anchors.plots)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from predact_utils.chapters.anchors.analysis import anchor_spans, sankey_graph
from predact_utils.chapters.anchors.msa import GAP
from predact_utils.chapters.anchors.plots import (
    PositionCurves,
    alignment_figure,
    ngram_figure,
    ngram_plotly,
    position_figure,
    position_plotly,
    sankey_layout,
    sankey_pair_figure,
    sankey_plotly,
    sankey_trace,
    show_text,
)
from predact_utils.plotting import close_all

COLORS = {"base": "#1f77b4", "aligned": "#d62728"}


def decode(tokens: list[int]) -> str:
    return " ".join(f"t{t}" for t in tokens)


def alignment(n: int = 20, seed: int = 0) -> np.ndarray:
    """n generations: a shared 3-token opening, a noisy middle, a shared 2-token close carried by most."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n):
        middle = rng.integers(100, 200, size=4).tolist()
        close = [7, 8] if r % 4 else [GAP, GAP]
        rows.append([1, 2, 3, *middle, *close])
    return np.array(rows)


def test_show_text() -> None:
    assert show_text("a\nb") == "a⏎b"
    assert show_text("  ") == "␣␣"
    assert show_text("x" * 50, 10) == "x" * 9 + "…"


def test_sankey_flows_add_up_to_the_number_of_generations() -> None:
    cols = alignment(20)
    graph = sankey_graph(cols, anchor_spans(cols, 0.5))
    assert len(graph.spans) == 2
    trace = sankey_trace(graph, decode, "#d62728", (0.0, 1.0))
    labels = list(trace.node.label)
    src, tgt, val = np.array(trace.link.source), np.array(trace.link.target), np.array(trace.link.value)
    start, end = labels.index("prompt"), labels.index("end")
    assert val[src == start].sum() == 20 and val[tgt == end].sum() == 20
    for i in range(len(labels)):
        if i not in (start, end):
            assert val[tgt == i].sum() == val[src == i].sum()
    assert "t1 t2 t3" in labels and "t7 t8" in labels
    # 15 of 20 carry the closing span; the other 5 end after the middle
    assert val[tgt == labels.index("t7 t8")].sum() == 15


def test_sankey_layout_orders_nodes_by_sequence() -> None:
    cols = alignment(8)
    lay = sankey_layout(sankey_graph(cols, anchor_spans(cols, 0.5)), decode, "red")
    layers = [lay.layer[n] for n in lay.nodes]
    assert layers == sorted(layers) and lay.nodes[0] == ("start", 0) and lay.nodes[-1] == ("end", 0)


def test_sankey_dropdown_switches_prompts() -> None:
    examples = []
    for seed in range(3):
        a, b = alignment(12, seed), alignment(12, seed + 10)
        examples.append((f"prompt {seed}", sankey_graph(b, []), sankey_graph(a, anchor_spans(a, 0.5))))
    fig = sankey_plotly(examples, decode)
    assert len(fig.data) == 6 and [t.visible for t in fig.data] == [True, True, False, False, False, False]
    buttons = fig.layout.updatemenus[0].buttons
    assert len(buttons) == 3 and buttons[2].args[0]["visible"] == [False] * 4 + [True] * 2
    for t in fig.data:  # every panel, with or without anchors, carries all 12 generations
        labels = list(t.node.label)
        assert sum(v for s, v in zip(t.link.source, t.link.value, strict=True) if s == labels.index("prompt")) == 12


def test_static_figures_draw() -> None:
    a = alignment(16)
    spans = anchor_spans(a, 0.5)
    fig = sankey_pair_figure("a prompt", sankey_graph(a, []), sankey_graph(a, spans), decode)
    assert len(fig.axes) == 2
    fig = alignment_figure([("Base", a, [], COLORS["base"]), ("aligned", a, spans, COLORS["aligned"])])
    assert len(fig.axes) == 2
    curves = PositionCurves(
        normalised={m: np.random.default_rng(0).random((4, 10)) * 10 for m in COLORS},
        absolute={m: np.random.default_rng(1).random((4, 16)) * 10 for m in COLORS},
        running={m: np.full((4, 16), 10.0) for m in COLORS},
        points=(np.arange(10) + 0.5) / 10,
    )
    fig = position_figure(curves, COLORS, n_samples=10)
    assert len(fig.axes) == 2
    pfig = position_plotly(curves, COLORS)
    assert len(pfig.layout.updatemenus[0].buttons) == 2
    close_all()


def test_ngram_figures_mark_the_paper_values() -> None:
    rows = [{"model": m, "prompt": p, "n": n, "coverage": max(0.0, 1 - n / 20)}
            for m in COLORS for p in ("a", "b") for n in range(1, 33)]
    table = pd.DataFrame(rows)
    fig = ngram_figure(table, COLORS)
    marks = fig.axes[0].collections[-1].get_offsets()
    assert np.asarray(marks).tolist() == [[10, 60], [25, 25]]
    pfig = ngram_plotly(table, COLORS, {"a": "prompt a"})
    paper = [t for t in pfig.data if t.name == "paper, RLHF (reported)"][0]
    assert list(paper.x) == [10, 25] and list(paper.y) == pytest.approx([60, 25])
    assert len(pfig.layout.updatemenus[0].buttons) == 3
    close_all()

"""The sampling explorer on hand-made data (predact_utils.chapters.explorer.analysis): cells, trace masks, controls."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pytest

from predact_utils.chapters.anchors.analysis import anchor_spans
from predact_utils.chapters.anchors.msa import GAP
from predact_utils.chapters.explorer.analysis import (
    MODEL_CHOICES,
    ROLES,
    ExplorerConfig,
    ExplorerGrid,
    TraceKey,
    analyse_cell,
    explorer_figure,
    grid_heatmaps,
    grid_table,
    live_explorer,
    show_explorer,
    state_key,
    visible_traces,
)
from predact_utils.plotting import close_all

COLORS = {"base": "#1f77b4", "aligned": "#d62728"}
NAMES = {"base": "Base", "aligned": "aligned"}
CONFIG = ExplorerConfig(max_n=6, min_others=2, n_points=10, anchor_threshold=0.5, max_anchors=4)


def decode(tokens: list[int]) -> str:
    return " ".join(f"t{t}" for t in tokens)


def columns(n: int, shared: int, seed: int) -> np.ndarray:
    """n aligned generations: the first ``shared`` rows open with [1, 2, 3], the rest with random tokens."""
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(n):
        head = [1, 2, 3] if r < shared else rng.integers(100, 200, size=3).tolist()
        rows.append([*head, *rng.integers(200, 300, size=3).tolist(), 9 if r % 2 else GAP])
    return np.array(rows)


def sequences(cols: np.ndarray) -> list[list[int]]:
    return [[int(t) for t in row if t != GAP] for row in cols]


def make_grid(n_prompts: int = 2, temperatures=(0.7, 1.3), top_ps=(0.8, 0.9, 1.0)) -> ExplorerGrid:
    cells = {}
    for i in range(n_prompts):
        for ti, t in enumerate(temperatures):
            for pj, p in enumerate(top_ps):
                for role in ROLES:
                    shared = 6 if role == "aligned" else 2
                    cols = columns(8, shared, seed=100 * i + 10 * ti + pj)
                    cells[(i, role, t, p)] = analyse_cell(sequences(cols), cols, CONFIG)
    return ExplorerGrid([f"prompt {i}" for i in range(n_prompts)], list(temperatures), list(top_ps), cells, CONFIG)


def test_analyse_cell_known_answers() -> None:
    cols = columns(8, 6, seed=0)
    cell = analyse_cell(sequences(cols), cols, CONFIG)
    assert cell.n_generations == 8
    assert cell.coverage.shape == (CONFIG.max_n,)
    # the opening 3-gram [1, 2, 3] is in 6 of 8 generations; no 4-gram is shared (random tails)
    assert cell.coverage[2] == pytest.approx(6 / 8)
    assert cell.coverage[3] == pytest.approx(1 / 8)
    # the first third of each generation is its shared opening: 6 generations aligned with >= 2 others
    assert cell.aligned.shape == (CONFIG.n_points,)
    assert cell.aligned[0] == 6
    assert cell.mean_length == pytest.approx(np.mean([len(s) for s in sequences(cols)]))
    assert [s.tokens for s in cell.graph.spans] == [s.tokens for s in anchor_spans(cols, 0.5)][: CONFIG.max_anchors]
    assert len(cell.graph.paths) == 8


def test_missing_cells_are_reported_and_refused() -> None:
    grid = make_grid()
    assert grid.missing() == []
    del grid.cells[(1, "base", 1.3, 0.9)]
    assert grid.missing() == [(1, "base", 1.3, 0.9)]
    with pytest.raises(ValueError, match="lacks 1 cells"):
        explorer_figure(grid, decode, COLORS, NAMES)


def test_visible_traces_select_one_setting() -> None:
    keys = [TraceKey(i, t, p, r, v) for i in range(2) for t in range(2) for p in range(3) for r in ROLES
            for v in ("curve", "curve", "sankey", "half")]
    both = visible_traces(keys, 1, 0, 2, "both")
    assert {(keys[j].prompt, keys[j].t_index, keys[j].p_index) for j in both} == {(1, 0, 2)}
    assert sorted(keys[j].view for j in both) == ["curve"] * 4 + ["half"] * 2
    only = visible_traces(keys, 1, 0, 2, "aligned")
    assert {keys[j].role for j in only} == {"aligned"}
    assert sorted(keys[j].view for j in only) == ["curve", "curve", "sankey"]
    with pytest.raises(ValueError):
        visible_traces(keys, 0, 0, 0, "rlhf")


def test_figure_controls_and_masks() -> None:
    grid = make_grid()
    fig = explorer_figure(grid, decode, COLORS, NAMES, initial=(1.3, 0.9))
    n_settings = len(grid.prompts) * len(grid.temperatures) * len(grid.top_ps)
    assert len(fig.data) == n_settings * len(ROLES) * 4
    temp, top = fig.layout.sliders
    assert [s.label for s in temp.steps] == ["0.7", "1.3"]
    assert [s.label for s in top.steps] == ["0.8", "0.9", "1"]
    assert (temp.active, top.active) == (1, 1)
    prompts, models = fig.layout.updatemenus
    assert len(prompts.buttons) == 2 and len(models.buttons) == len(MODEL_CHOICES)
    assert all(c.method == "skip" for c in (*temp.steps, *top.steps, *prompts.buttons, *models.buttons))
    visible = fig.layout.meta["explorer"]["visible"]
    assert len(visible) == n_settings * len(MODEL_CHOICES)
    seen: set[int] = set()
    for key, idx in visible.items():
        assert idx, f"no traces for {key}"
        assert len(idx) == (6 if key.split(",")[1] == "0" else 3)
        seen |= set(idx)
    assert seen == set(range(len(fig.data)))  # every precomputed trace is reachable
    # traces of one state carry that cell's numbers
    idx = visible[state_key(1, MODEL_CHOICES.index("aligned"), 0, 2)]
    cell = grid.cells[(1, "aligned", 0.7, 1.0)]
    assert np.allclose(fig.data[idx[0]].y, 100 * cell.coverage)
    assert np.allclose(fig.data[idx[1]].y, cell.aligned)
    # the initial state is shown, nothing else
    on = [j for j, t in enumerate(fig.data) if t.visible]
    assert on == visible[state_key(0, 0, 1, 1)]


def test_show_explorer_links_the_controls() -> None:
    html = show_explorer(explorer_figure(make_grid(1), decode, COLORS, NAMES), div_id="ex-test")._repr_html_()
    assert 'class="predact-plotly"' in html and 'id="ex-test"' in html
    assert "document.getElementById('ex-test')" in html and "plotly_sliderchange" in html
    assert "plotly_buttonclicked" in html


def test_grid_table_and_heatmaps() -> None:
    grid = make_grid()
    table = grid_table(grid, ngram_n=3)
    assert len(table) == len(ROLES) * len(grid.temperatures) * len(grid.top_ps)
    row = table[(table["role"] == "aligned") & (table["temperature"] == 0.7) & (table["top_p"] == 0.8)]
    assert row["coverage"].item() == pytest.approx(6 / 8)  # both prompts: [1, 2, 3] in 6 of 8
    assert (table.loc[table["role"] == "aligned", "coverage"].to_numpy()
            > table.loc[table["role"] == "base", "coverage"].to_numpy()).all()
    fig = grid_heatmaps(table, NAMES, 3, CONFIG.min_others)
    assert len(fig.axes) == 4
    close_all()


def test_live_explorer_calls_compute_with_the_controls() -> None:
    pytest.importorskip("ipywidgets")
    calls = []

    def compute(i: int, t: float, p: float, n: int, m: int) -> ExplorerGrid:
        calls.append((i, t, p, n, m))
        return make_grid(1, (t,), (p,))

    drawn = []
    box = live_explorer(["a", "b"], compute, lambda g, model: drawn.append(model) or None, n=10, max_new_tokens=16)
    box.controls["prompt"].value = 1
    box.controls["temperature"].value = 1.5
    box.button.click()
    assert calls == [(1, 1.5, 0.9, 10, 16)]
    box.controls["model"].value = "aligned"  # re-draws without sampling again
    assert len(calls) == 1 and drawn[-1] == "aligned"

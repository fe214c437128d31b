"""The sampling explorer (section "Sampling explorer"): anchor spans as temperature and top-p change.

For one prompt, one model and one sampling setting, :func:`analyse_cell`
reduces a prompt's generations and their MAFFT alignment to what the page
draws: the coverage of the most common n-gram (:mod:`predact_utils.chapters.anchors.ngrams`),
the generations aligned with at least k others along the normalised position
and the Sankey graph through the heaviest anchor spans
(:mod:`predact_utils.chapters.anchors.analysis`). :func:`run_grid` does this for every cell of a
grid of temperatures x top-p values, prompts and both models of a pair,
through the book's shared generation and alignment caches.

Two ways to look at it:

* the static book: :func:`explorer_figure` puts every precomputed cell in one
  plotly figure with a prompt menu, a model menu and temperature / top-p
  sliders. Their steps do nothing by themselves (``method="skip"``); a short
  script (:data:`LINK_JS`, attached by :func:`show_explorer`) reads all four
  controls and shows the traces of that combination, listed in
  ``layout.meta`` (:func:`visible_traces`), so no kernel is needed;
* a live kernel: :func:`live_explorer`, ipywidgets controls that sample and
  align again for any setting.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import plotly.graph_objects as go
from matplotlib.figure import Figure

from predact_utils.chapters.anchors.analysis import (
    SankeyGraph,
    alignment_summary,
    anchor_spans,
    normalised_points,
    position_counts_normalised,
    sankey_graph,
    select_spans,
)
from predact_utils.chapters.anchors.msa import align_prompts
from predact_utils.chapters.anchors.ngrams import coverage_curve
from predact_utils.chapters.anchors.plots import Decode, sankey_trace, show_text
from predact_utils.lm.models import ModelPair
from predact_utils.plotting import PlotlyHTML
from predact_utils.runs.generations import prompt_generations, sampling_params

ROLES: tuple[str, str] = ("base", "aligned")
#: Choices of the model menu, in menu order: both side by side, or one model.
MODEL_CHOICES: tuple[str, ...] = ("both", "base", "aligned")
CURVE_DOMAIN_Y, SANKEY_DOMAIN_Y = (0.62, 1.0), (0.0, 0.42)


@dataclass(frozen=True)
class ExplorerConfig:
    """The analysis rules of the explorer (the anchor-span chapter's definitions)."""

    max_n: int = 24
    min_others: int = 5
    n_points: int = 40
    anchor_threshold: float = 0.5
    max_anchors: int = 8
    mafft_options: tuple[str, ...] = ("--retree", "2", "--maxiterate", "0")
    mafft_timeout: float = 300.0
    mafft_overflow: int = 32


@dataclass
class CellResult:
    """One prompt, one model, one sampling setting: what the explorer draws."""

    coverage: np.ndarray  # most common n-gram coverage, n = 1..max_n
    aligned: np.ndarray  # generations aligned with >= k others at each normalised position
    graph: SankeyGraph
    n_generations: int
    mean_length: float
    summary: dict[str, float] = field(default_factory=dict)  # anchors.alignment_summary


def analyse_cell(sequences: Sequence[Sequence[int]], columns: np.ndarray, config: ExplorerConfig) -> CellResult:
    """Reduce a prompt's generations and their decoded alignment (``Alignment.columns``) to a :class:`CellResult`."""
    spans = anchor_spans(columns, config.anchor_threshold)
    return CellResult(
        coverage=coverage_curve(sequences, config.max_n),
        aligned=position_counts_normalised(columns, config.min_others, config.n_points).astype(float),
        graph=sankey_graph(columns, select_spans(spans, config.max_anchors)),
        n_generations=len(sequences),
        mean_length=float(np.mean([len(s) for s in sequences])) if sequences else 0.0,
        summary=alignment_summary(columns, spans, config.min_others),
    )


@dataclass
class ExplorerGrid:
    """Precomputed cells: ``cells[(prompt index, role, temperature, top_p)]``."""

    prompts: list[str]
    temperatures: list[float]
    top_ps: list[float]
    cells: dict[tuple[int, str, float, float], CellResult]
    config: ExplorerConfig = field(default_factory=ExplorerConfig)

    def missing(self) -> list[tuple[int, str, float, float]]:
        """Cells of the grid that hold no result (empty when complete)."""
        return [(i, r, t, p) for i in range(len(self.prompts)) for r in ROLES for t in self.temperatures
                for p in self.top_ps if (i, r, t, p) not in self.cells]


def run_grid(models: ModelPair, rows: Sequence[dict[str, Any]], temperatures: Sequence[float],
             top_ps: Sequence[float], *, n: int, max_new_tokens: int, seed: int,
             config: ExplorerConfig) -> ExplorerGrid:
    """Sample ``n`` generations per prompt, model and setting, align them with MAFFT and analyse (all cached)."""
    cells: dict[tuple[int, str, float, float], CellResult] = {}
    for t in temperatures:
        for p in top_ps:
            params = sampling_params(top_p=p, temperature=t, max_new_tokens=max_new_tokens, n=n, seed=seed)
            for lm in models:
                run = prompt_generations(lm, params, rows=rows, progress=False)
                seqs = [run.token_ids(i) for i in range(len(rows))]
                aligned = align_prompts(seqs, config.mafft_options, timeout=config.mafft_timeout,
                                        n_overflow=config.mafft_overflow)
                for i, a in enumerate(aligned):
                    cells[(i, lm.role, t, p)] = analyse_cell(seqs[i], a.columns, config)
    return ExplorerGrid([r["prompt"] for r in rows], list(temperatures), list(top_ps), cells, config)


def grid_table(grid: ExplorerGrid, ngram_n: int = 10) -> pd.DataFrame:
    """Per model and setting, means over prompts: n-gram coverage, token shares, generation length."""
    n = min(ngram_n, grid.config.max_n)
    rows = []
    for (i, role, t, p), c in grid.cells.items():
        rows.append({"role": role, "temperature": t, "top_p": p, "prompt": i, "coverage": float(c.coverage[n - 1]),
                     "aligned_share": c.summary.get("aligned_token_share", np.nan),
                     "anchor_share": c.summary.get("anchor_token_share", np.nan), "length": c.mean_length})
    out = pd.DataFrame(rows).groupby(["role", "temperature", "top_p"]).mean(numeric_only=True).drop(columns="prompt")
    return out.reset_index().sort_values("role", key=lambda r: r.map(ROLES.index), kind="stable").reset_index(drop=True)


def grid_heatmaps(table: pd.DataFrame, names: Mapping[str, str], ngram_n: int, min_others: int) -> Figure:
    """Static overview: temperature x top-p heatmaps of n-gram coverage and aligned tokens, per model."""
    measures = [("coverage", f"most common {ngram_n}-gram: generations containing it (%)"),
                ("aligned_share", f"tokens aligned with ≥{min_others} others (%)")]
    fig, axes = plt.subplots(len(measures), len(ROLES), figsize=(9.5, 6.4), squeeze=False)
    for row, (col, title) in enumerate(measures):
        for j, role in enumerate(ROLES):
            ax = axes[row][j]
            mat = table[table["role"] == role].pivot(index="temperature", columns="top_p", values=col)
            ax.imshow(100 * mat.to_numpy(), vmin=0, vmax=100, cmap="viridis", aspect="auto", origin="lower")
            for (a, b), v in np.ndenumerate(100 * mat.to_numpy()):
                ax.text(b, a, f"{v:.0f}", ha="center", va="center", fontsize=9, color="white" if v < 60 else "black")
            ax.set_xticks(range(mat.shape[1]), [f"{x:g}" for x in mat.columns])
            ax.set_yticks(range(mat.shape[0]), [f"{x:g}" for x in mat.index])
            ax.set_xlabel("top-p")
            ax.set_ylabel("temperature")
            ax.grid(False)
            ax.set_title(f"{names[role]}\n{title}", fontsize=9, loc="left")
    return fig


# ---------------------------------------------------------------- the static explorer figure


@dataclass(frozen=True)
class TraceKey:
    """Which control state a trace belongs to; ``view`` is ``curve``, ``sankey`` (full width) or ``half``."""

    prompt: int
    t_index: int
    p_index: int
    role: str
    view: str


def visible_traces(keys: Sequence[TraceKey], prompt: int, t_index: int, p_index: int, model: str) -> list[int]:
    """Indices of the traces shown for one state of the controls (``model``: one of :data:`MODEL_CHOICES`)."""
    if model not in MODEL_CHOICES:
        raise ValueError(f"model must be one of {MODEL_CHOICES}, got {model!r}")
    out = []
    for i, k in enumerate(keys):
        if (k.prompt, k.t_index, k.p_index) != (prompt, t_index, p_index):
            continue
        shown = {"curve": model in ("both", k.role), "sankey": model == k.role, "half": model == "both"}[k.view]
        if shown:
            out.append(i)
    return out


def state_key(prompt: int, model: int, t_index: int, p_index: int) -> str:
    """The key of a control state in ``layout.meta["explorer"]["visible"]`` (menu and slider positions)."""
    return f"{prompt},{model},{t_index},{p_index}"


def _initial_index(values: Sequence[float], wanted: float | None) -> int:
    return values.index(wanted) if wanted in values else 0


def explorer_figure(grid: ExplorerGrid, decode: Decode, colors: Mapping[str, str], names: Mapping[str, str], *,
                    initial: tuple[float, float] | None = None, model: str = "both") -> go.Figure:
    """Every cell of ``grid`` in one figure: n-gram curve, aligned-with-k curve and Sankey, with four controls."""
    if grid.missing():
        raise ValueError(f"the grid lacks {len(grid.missing())} cells, e.g. {grid.missing()[0]}")
    cfg = grid.config
    fig = go.Figure()
    keys: list[TraceKey] = []
    ns, points = np.arange(1, cfg.max_n + 1), normalised_points(cfg.n_points)
    ti0 = _initial_index(grid.temperatures, initial[0] if initial else None)
    pi0 = _initial_index(grid.top_ps, initial[1] if initial else None)
    for i in range(len(grid.prompts)):
        for ti, t in enumerate(grid.temperatures):
            for pj, p in enumerate(grid.top_ps):
                for role in ROLES:
                    c = grid.cells[(i, role, t, p)]
                    new = [
                        go.Scatter(x=ns, y=100 * c.coverage, name=names[role], legendgroup=role,
                                   line={"color": colors[role]}, xaxis="x", yaxis="y",
                                   hovertemplate="n = %{x}: %{y:.0f}%<extra>" + names[role] + "</extra>"),
                        go.Scatter(x=points, y=c.aligned, name=names[role], legendgroup=role, showlegend=False,
                                   line={"color": colors[role]}, xaxis="x2", yaxis="y2",
                                   hovertemplate="%{y:.0f} of " + str(c.n_generations) + "<extra>" + names[role]
                                   + "</extra>"),
                        sankey_trace(c.graph, decode, colors[role], (0.0, 1.0)),
                        sankey_trace(c.graph, decode, colors[role], (0.0, 0.49) if role == "base" else (0.51, 1.0)),
                    ]
                    for trace, view in zip(new, ("curve", "curve", "sankey", "half"), strict=True):
                        if view != "curve":
                            trace.update(domain={"y": list(SANKEY_DOMAIN_Y)})
                        fig.add_trace(trace)
                        keys.append(TraceKey(i, ti, pj, role, view))
    visible = {state_key(i, m, ti, pj): visible_traces(keys, i, ti, pj, choice)
               for i in range(len(grid.prompts)) for m, choice in enumerate(MODEL_CHOICES)
               for ti in range(len(grid.temperatures)) for pj in range(len(grid.top_ps))}
    m0 = MODEL_CHOICES.index(model)
    shown = set(visible[state_key(0, m0, ti0, pi0)])
    for j, trace in enumerate(fig.data):
        trace.visible = j in shown
    n_gen = max(c.n_generations for c in grid.cells.values())

    def slider(label: str, values: Sequence[float], active: int, x: float) -> dict[str, Any]:
        return {"active": active, "x": x, "len": 0.45, "y": 1.03, "yanchor": "bottom", "pad": {"t": 0, "b": 0},
                "currentvalue": {"prefix": f"{label} = ", "font": {"size": 12}},
                "steps": [{"label": f"{v:g}", "method": "skip", "args": []} for v in values]}

    menu_labels = {"both": "both models", "base": names["base"], "aligned": names["aligned"]}
    fig.update_layout(
        height=900, margin={"l": 50, "r": 20, "t": 180, "b": 10}, template="plotly_white",
        legend={"orientation": "h", "x": 0.5, "xanchor": "center", "y": 0.535, "yanchor": "top"},
        xaxis={"domain": [0.0, 0.45], "anchor": "y", "title": {"text": "n (tokens)"}},
        yaxis={"domain": list(CURVE_DOMAIN_Y), "range": [0, 102],
               "title": {"text": "gens with most common n-gram (%)"}},
        xaxis2={"domain": [0.55, 1.0], "anchor": "y2", "title": {"text": "normalised position"}},
        yaxis2={"domain": list(CURVE_DOMAIN_Y), "anchor": "x2", "range": [0, n_gen * 1.02],
                "title": {"text": f"gens aligned with ≥{cfg.min_others} others"}},
        updatemenus=[
            {"type": "dropdown", "active": 0, "x": 0.0, "xanchor": "left", "y": 1.25, "yanchor": "bottom",
             "buttons": [{"label": show_text(p, 60), "method": "skip", "args": []} for p in grid.prompts]},
            {"type": "buttons", "direction": "right", "active": m0, "x": 0.0, "xanchor": "left", "y": 1.165,
             "yanchor": "bottom", "buttons": [{"label": menu_labels[c], "method": "skip", "args": []}
                                              for c in MODEL_CHOICES]},
        ],
        sliders=[slider("temperature", grid.temperatures, ti0, 0.0),
                 slider("top-p", grid.top_ps, pi0, 0.55)],
        annotations=[{"text": "Sankey through the anchor spans (both models: Base left, aligned right)",
                      "x": 0.5, "y": SANKEY_DOMAIN_Y[1] + 0.035, "xref": "paper", "yref": "paper",
                      "showarrow": False, "font": {"size": 12}}],
        meta={"explorer": {"visible": visible, "models": list(MODEL_CHOICES),
                           "temperatures": grid.temperatures, "top_ps": grid.top_ps}},
    )
    return fig


#: Links the four controls: on any change, show the traces listed for the new state (plotly.js, no kernel).
LINK_JS = """
var gd = document.getElementById('{plot_id}');
var ex = gd.layout.meta.explorer;
function predactExplorerUpdate() {
  var m = gd.layout.updatemenus, s = gd.layout.sliders;
  var key = [m[0].active || 0, m[1].active || 0, s[0].active || 0, s[1].active || 0].join(',');
  var on = ex.visible[key];
  if (!on) { return; }
  var vis = gd.data.map(function () { return false; });
  on.forEach(function (i) { vis[i] = true; });
  Plotly.restyle(gd, {visible: vis});
}
gd.on('plotly_sliderchange', predactExplorerUpdate);
gd.on('plotly_buttonclicked', predactExplorerUpdate);
"""


class ExplorerHTML(PlotlyHTML):
    """:class:`~predact_utils.plotting.PlotlyHTML` with :data:`LINK_JS` run once the figure is drawn."""

    def _repr_html_(self) -> str:
        body = self.fig.to_html(include_plotlyjs=False, full_html=False, div_id=self.div_id, post_script=LINK_JS,
                                config={"displaylogo": False, "responsive": True})
        return f'<div class="predact-plotly">{body}</div>'


def show_explorer(fig: go.Figure, div_id: str | None = None) -> ExplorerHTML:
    """Show an :func:`explorer_figure` in the book, its controls working without a kernel."""
    return ExplorerHTML(fig, div_id=div_id)


# ---------------------------------------------------------------- live kernel


def live_explorer(prompts: Sequence[str], compute: Callable[[int, float, float, int, int], ExplorerGrid],
                  draw: Callable[[ExplorerGrid, str], go.Figure], *, temperature: float = 1.0, top_p: float = 0.9,
                  n: int = 30, max_new_tokens: int = 96):
    """ipywidgets controls that sample again: ``compute(prompt, temperature, top_p, n, max_new_tokens)``
    returns a one-cell :class:`ExplorerGrid`, ``draw(grid, model)`` its figure (needs a live kernel)."""
    import ipywidgets as widgets
    from IPython.display import display

    style = {"description_width": "120px"}
    w = {
        "prompt": widgets.Dropdown(options=[(show_text(p, 80), i) for i, p in enumerate(prompts)], value=0,
                                   description="prompt", layout={"width": "95%"}, style=style),
        "model": widgets.ToggleButtons(options=list(MODEL_CHOICES), value="both", description="model", style=style),
        "temperature": widgets.FloatSlider(value=temperature, min=0.1, max=2.0, step=0.05, description="temperature",
                                           style=style),
        "top_p": widgets.FloatSlider(value=top_p, min=0.05, max=1.0, step=0.05, description="top-p", style=style),
        "n": widgets.IntSlider(value=n, min=6, max=200, description="generations", style=style),
        "max_new_tokens": widgets.IntSlider(value=max_new_tokens, min=8, max=512, step=8, description="max tokens",
                                            style=style),
    }
    button = widgets.Button(description="generate", button_style="primary")
    out = widgets.Output()
    last: dict[str, ExplorerGrid] = {}

    def redraw(_: Any = None) -> None:
        if "grid" in last:
            with out:
                out.clear_output(wait=True)
                display(draw(last["grid"], w["model"].value))

    def generate(_: Any = None) -> None:
        last["grid"] = compute(w["prompt"].value, w["temperature"].value, w["top_p"].value, w["n"].value,
                               w["max_new_tokens"].value)
        redraw()

    button.on_click(generate)
    w["model"].observe(redraw, names="value")
    box = widgets.VBox([*w.values(), button, out])
    box.controls, box.button = w, button  # for tests and for scripting the explorer
    return box
